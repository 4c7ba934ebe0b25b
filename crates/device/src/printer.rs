//! Printing through the system's print service (CUPS' `lp`), with no dialog: the
//! printer is a replica setting; receipts with their tickets and drawer reports go
//! to it as PDF. With no printer set, the PDF is still saved.

use std::path::{Path, PathBuf};
use std::process::Command;

use uuid::Uuid;
use wicket_domain::{Action, RecipientRef};

use crate::error::{DeviceError, Result};
use crate::meta;
use crate::receipt_pdf::{PdfSale, PdfTicket, write_sale_pdf};
use crate::replica::Replica;

/// A CUPS queue name: 1-127 characters, no spaces, slashes, `#` or control
/// characters, and not starting with `-` (it goes on `lp`'s command line).
pub fn validate_queue(name: &str) -> Result<&str> {
    let ok = (1..=127).contains(&name.len())
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '#' | '\\' | '\'' | '"'));
    if ok {
        Ok(name)
    } else {
        Err(DeviceError::Invalid(format!(
            "{name:?} is not a printer queue name (letters, digits, '-', '_', '.'; no spaces)"
        )))
    }
}

/// Send a PDF to `queue` with `lp`; answers the job id CUPS gave it.
pub fn print_pdf(queue: &str, path: &Path, title: &str) -> Result<String> {
    let queue = validate_queue(queue)?;
    let out = Command::new("lp")
        .arg("-d")
        .arg(queue)
        .arg("-t")
        .arg(title)
        .arg("--")
        .arg(path)
        .output()
        .map_err(|e| DeviceError::Print(format!("could not run lp (is CUPS installed?): {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(DeviceError::Print(format!("lp: {}", stderr.trim())));
    }
    // "request id is QUEUE-12 (1 file(s))"
    stdout
        .split_whitespace()
        .skip_while(|w| *w != "is")
        .nth(1)
        .map(str::to_string)
        .ok_or_else(|| DeviceError::Print(format!("lp said {:?}", stdout.trim())))
}

/// A file-name-safe form of an order number.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Replica {
    /// The printer receipts and reports go to (`None`: save PDFs only).
    pub fn printer(&self) -> Result<Option<String>> {
        Ok(meta::get(&self.conn, "printer")?)
    }

    /// Choose the printer (manager); `None` stops printing.
    pub fn set_printer(&mut self, queue: Option<&str>) -> Result<()> {
        self.authorize(Action::ChangeSettings)?;
        match queue.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => meta::set(&self.conn, "printer", validate_queue(q)?)?,
            None => {
                self.conn
                    .execute("DELETE FROM meta WHERE key = 'printer'", [])?;
            }
        }
        Ok(())
    }

    /// Print `path` on the chosen printer; `None` when no printer is set.
    pub fn print_file(&self, path: &Path, title: &str) -> Result<Option<String>> {
        match self.printer()? {
            Some(q) => print_pdf(&q, path, title).map(Some),
            None => Ok(None),
        }
    }

    /// The receipt and ticket pages of an order as `wicket-order-<number>.pdf` in
    /// `dir`; answers its path.
    pub fn receipt_pdf(&self, order: &str, dir: &Path) -> Result<PathBuf> {
        self.authorize(Action::Sell)?;
        let sale = crate::till::find_sale(&self.conn, order)?
            .ok_or_else(|| DeviceError::not_found("order", order))?;
        let (product, _) = self.product(sale.product_id)?;
        let buyer = self
            .customer(&RecipientRef::User(sale.buyer_id))
            .map(|c| c.email)
            .unwrap_or_default();
        let mut tickets = Vec::new();
        for id in &sale.item_ids {
            let item = self.item(*id)?;
            tickets.push((item.item_id, self.ticket_token(*id)?));
        }
        let money = |d: rust_decimal::Decimal| format!("{} {:.2}", sale.currency, d);
        let paid = sale
            .paid_by()
            .iter()
            .map(|p| {
                if sale.payments.is_empty() {
                    p.method.as_str().to_string()
                } else {
                    format!("{} {}", p.method.as_str(), money(p.amount))
                }
            })
            .collect::<Vec<_>>()
            .join(" + ");
        let subtotal = sale.unit_price * rust_decimal::Decimal::from(sale.quantity);
        let pdf = PdfSale {
            order_number: &sale.order_number,
            product_name: &product.name,
            buyer_email: &buyer,
            quantity: sale.quantity,
            unit_price: money(sale.unit_price),
            subtotal: money(subtotal),
            discount: (!sale.discount.is_zero()).then(|| money(sale.discount)),
            total: money(sale.total),
            payment_method: &paid,
            sold_at: sale.created_at,
            tickets: tickets
                .iter()
                .map(|(n, t)| PdfTicket {
                    item_id: *n,
                    token: t,
                })
                .collect(),
        };
        std::fs::create_dir_all(dir).map_err(|e| DeviceError::Pdf(e.to_string()))?;
        let path = dir.join(format!("wicket-order-{}.pdf", safe(&sale.order_number)));
        write_sale_pdf(&path, &pdf)?;
        Ok(path)
    }

    /// A drawer report as `wicket-<x|z>-report-<session>.pdf` in `dir`.
    pub fn report_pdf(&self, report: &wicket_domain::SessionReport, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| DeviceError::Pdf(e.to_string()))?;
        let path = dir.join(format!(
            "wicket-{}-report-{}.pdf",
            report.kind,
            Uuid::simple(report.session.id)
        ));
        crate::report_pdf::write_report_pdf(&path, report)?;
        Ok(path)
    }
}
