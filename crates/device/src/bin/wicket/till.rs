//! `wicket refund`, `wicket session` and `wicket receipt`: the box office's money
//! after the sale, its PDFs and printing.

use wicket_device::Replica;
use wicket_device::report_pdf::{report_lines, write_report_pdf};
use wicket_domain::{SessionReport, parse_price};

use crate::args::{Cli, Cmd, SessionCmd};
use crate::print;

fn show(
    cli: &Cli,
    r: &Replica,
    report: &SessionReport,
    pdf: Option<&std::path::Path>,
    to_printer: bool,
) -> anyhow::Result<()> {
    let saved = match (pdf, to_printer) {
        (Some(path), _) => {
            write_report_pdf(path, report)?;
            Some(path.to_path_buf())
        }
        (None, true) => Some(r.report_pdf(report, &std::env::temp_dir())?),
        (None, false) => None,
    };
    let job = match (&saved, to_printer) {
        (Some(p), true) => Some(printed(r, p, &format!("wicket-{}-report", report.kind))?),
        _ => None,
    };
    print(cli.json, report, || {
        for l in report_lines(report) {
            println!("{l}");
        }
        if let Some(p) = pdf {
            println!("saved {}", p.display());
        }
        if let Some(j) = &job {
            println!("printed as job {j}");
        }
    })
}

/// Print on the chosen printer; refused when none is set.
fn printed(r: &Replica, path: &std::path::Path, title: &str) -> anyhow::Result<String> {
    r.print_file(path, title)?.ok_or_else(|| {
        anyhow::anyhow!("no printer is set: choose one with `wicket settings --printer QUEUE`")
    })
}

pub fn run(cli: &Cli, r: &mut Replica) -> anyhow::Result<()> {
    match &cli.cmd {
        Cmd::Refund {
            order,
            items,
            reason,
        } => {
            let refund = r.refund(order, items, reason)?;
            print(cli.json, &refund, || {
                println!(
                    "refunded {} {} by {} for order {} ({} item(s))",
                    refund.amount,
                    refund.currency,
                    refund.payment_method.as_str(),
                    refund.order_number,
                    refund.item_ids.len()
                );
                for i in &refund.item_ids {
                    println!("  revoked {i}");
                }
            })
        }
        Cmd::Session { cmd } => match cmd {
            SessionCmd::Open { float, currency } => {
                let s = r.open_session(parse_price(float)?, currency)?;
                print(cli.json, &s, || {
                    println!("session {} open  float {} {}", s.id, s.float, s.currency)
                })
            }
            SessionCmd::Report { pdf, print: p } => {
                let report = r.session_report()?;
                show(cli, r, &report, pdf.as_deref(), *p)
            }
            SessionCmd::Close {
                counted,
                pdf,
                print: p,
            } => {
                let report = r.close_session(parse_price(counted)?)?;
                show(cli, r, &report, pdf.as_deref(), *p)
            }
        },
        Cmd::Receipt {
            order,
            dir,
            print: p,
        } => {
            let path = r.receipt_pdf(order, dir)?;
            let job = if *p {
                Some(printed(r, &path, &format!("wicket-order-{order}"))?)
            } else {
                None
            };
            print(
                cli.json,
                &serde_json::json!({"pdf": path, "job": job}),
                || {
                    println!("saved {}", path.display());
                    if let Some(j) = &job {
                        println!("printed as job {j}");
                    }
                },
            )
        }
        _ => Ok(()),
    }
}
