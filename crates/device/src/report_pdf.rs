//! The X/Z report of a cash drawer session as a one-page PDF (A4, built-in fonts),
//! what the box office files with the counted cash.

use std::fs::File;
use std::path::Path;

use pdf_canvas::{BuiltinFont, Pdf};
use wicket_domain::SessionReport;

use crate::error::{DeviceError, Result};
use crate::receipt_pdf::{MARGIN, PAGE_H, PAGE_W, printable, when};

fn failed(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Pdf(e.to_string())
}

/// The report's lines, as the screen and the CLI show them too.
pub fn report_lines(r: &SessionReport) -> Vec<String> {
    let s = &r.session;
    let mut out = vec![
        format!("{} report  session {}", r.kind.to_uppercase(), s.id),
        format!("device {}", s.device_id),
        format!(
            "opened {}  float {} {}",
            when(s.opened_at),
            s.float,
            s.currency
        ),
    ];
    if let Some(c) = s.closed_at {
        out.push(format!("closed {}", when(c)));
    }
    out.push(String::new());
    for (title, lines, noun) in [
        ("Sales by payment method", &r.sales, "orders"),
        ("Refunds by payment method", &r.refunds, "refunds"),
    ] {
        out.push(title.into());
        for l in lines {
            out.push(format!(
                "  {:<5} {:>4} {noun:<7} {} {}",
                l.method.as_str(),
                l.count,
                l.amount,
                l.currency
            ));
        }
    }
    out.push("Tickets by product".into());
    for p in &r.products {
        out.push(format!(
            "  {}  sold {}  refunded {}",
            p.name, p.sold, p.refunded
        ));
    }
    out.push(String::new());
    out.push(format!("Expected cash  {} {}", r.expected_cash, s.currency));
    if let Some(c) = r.counted {
        out.push(format!("Counted cash   {c} {}", s.currency));
    }
    if let Some(d) = r.over_short {
        let word = if d.is_zero() {
            "exact"
        } else if d.is_sign_negative() {
            "short"
        } else {
            "over"
        };
        out.push(format!("Over/short     {d} {} ({word})", s.currency));
    }
    out
}

/// Write the report to `path` as a PDF.
pub fn write_report_pdf(path: &Path, r: &SessionReport) -> Result<()> {
    let file = File::create(path).map_err(failed)?;
    let mut doc = Pdf::new(file).map_err(failed)?;
    doc.set_title(&format!(
        "Wicket {} report {}",
        r.kind.to_uppercase(),
        r.session.id
    ));
    doc.set_producer("Wicket");
    let lines = report_lines(r);
    doc.render_page(PAGE_W, PAGE_H, |c| {
        let mut y = PAGE_H - MARGIN;
        for (i, line) in lines.iter().enumerate() {
            let (font, size) = if i == 0 {
                (BuiltinFont::Helvetica_Bold, 16.0)
            } else {
                (BuiltinFont::Courier, 10.0)
            };
            c.left_text(MARGIN, y, font, size, &printable(line))?;
            y -= if i == 0 { 24.0 } else { 14.0 };
        }
        Ok(())
    })
    .map_err(failed)?;
    doc.finish().map_err(failed)
}
