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

/// This device's own order at once; another device's through head office when
/// the replica is enrolled (online).
fn refund(
    r: Replica,
    order: &str,
    items: &[u64],
    reason: &str,
) -> anyhow::Result<wicket_domain::Refund> {
    let mut r = r;
    match r.refund(order, items, reason) {
        Err(e) if e.code() == "refund_needs_head_office" => {
            let shared = std::sync::Arc::new(std::sync::Mutex::new(r));
            crate::runtime()?.block_on(async {
                let engine = match wicket_device::sync::SyncEngine::new(shared).await {
                    Ok(engine) => engine,
                    // Not enrolled: the device's own refusal says what to do.
                    Err(_) => return Err(anyhow::Error::from(e)),
                };
                Ok(engine.refund_online(order, items, reason).await?)
            })
        }
        other => Ok(other?),
    }
}

pub fn run(cli: &Cli, r: Replica) -> anyhow::Result<()> {
    let mut r = r;
    match &cli.cmd {
        Cmd::Refund {
            order,
            items,
            reason,
        } => {
            let refund = refund(r, order, items, reason)?;
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
                show(cli, &r, &report, pdf.as_deref(), *p)
            }
            SessionCmd::Close {
                counted,
                pdf,
                print: p,
            } => {
                let report = r.close_session(parse_price(counted)?)?;
                show(cli, &r, &report, pdf.as_deref(), *p)
            }
        },
        Cmd::Receipt {
            order,
            dir,
            print: p,
        } => {
            let path = r.receipt_pdf(order, dir)?;
            let job = if *p {
                Some(printed(&r, &path, &format!("wicket-order-{order}"))?)
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
