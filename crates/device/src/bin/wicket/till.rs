//! `wicket refund` and `wicket session`: the box office's money after the sale.

use wicket_device::Replica;
use wicket_device::report_pdf::{report_lines, write_report_pdf};
use wicket_domain::{SessionReport, parse_price};

use crate::args::{Cli, Cmd, SessionCmd};
use crate::print;

fn show(cli: &Cli, report: &SessionReport, pdf: Option<&std::path::Path>) -> anyhow::Result<()> {
    if let Some(path) = pdf {
        write_report_pdf(path, report)?;
    }
    print(cli.json, report, || {
        for l in report_lines(report) {
            println!("{l}");
        }
        if let Some(p) = pdf {
            println!("saved {}", p.display());
        }
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
            SessionCmd::Report { pdf } => show(cli, &r.session_report()?, pdf.as_deref()),
            SessionCmd::Close { counted, pdf } => {
                let report = r.close_session(parse_price(counted)?)?;
                show(cli, &report, pdf.as_deref())
            }
        },
        _ => Ok(()),
    }
}
