//! The PDF of a sale: a receipt page, then one page per ticket with its QR code
//! drawn as vector squares, so it prints sharp at any resolution and scans from
//! paper or a phone screen. The app saves it at each sale; `wicket receipt` makes
//! it for any order of the replica; both can send it to the printer.

use std::fs::File;
use std::path::Path;

use pdf_canvas::graphicsstate::Color;
use pdf_canvas::{BuiltinFont, Canvas, Pdf};

use crate::error::{DeviceError, Result};

fn failed(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Pdf(e.to_string())
}

/// A4 portrait, in points.
pub(crate) const PAGE_W: f32 = 595.0;
pub(crate) const PAGE_H: f32 = 842.0;
pub(crate) const MARGIN: f32 = 56.0;
/// Side of the printed QR code (without quiet zone), in points: about 10 cm.
const QR_SIDE: f32 = 283.0;

/// One ticket of the sale.
pub struct PdfTicket<'a> {
    pub item_id: u64,
    pub token: &'a str,
}

/// What the receipt shows; amounts are already formatted (`EUR 49.99`).
pub struct PdfSale<'a> {
    pub order_number: &'a str,
    pub product_name: &'a str,
    pub buyer_email: &'a str,
    pub quantity: u32,
    pub unit_price: String,
    pub subtotal: String,
    /// `None` when no tier discount applied.
    pub discount: Option<String>,
    pub total: String,
    pub payment_method: &'a str,
    /// Unix seconds.
    pub sold_at: i64,
    pub tickets: Vec<PdfTicket<'a>>,
}

/// A unix time as `2026-11-30 15:04 UTC`.
pub(crate) fn when(ts: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// PDF text uses the built-in fonts' WinAnsi encoding: keep printable ASCII and
/// Latin-1 letters, replace anything else so a name never breaks the file.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if (' '..='~').contains(&c) || ('\u{a0}'..='\u{ff}').contains(&c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn receipt(c: &mut Canvas, s: &PdfSale<'_>) -> std::io::Result<()> {
    let mut y = PAGE_H - MARGIN;
    c.left_text(
        MARGIN,
        y,
        BuiltinFont::Helvetica_Bold,
        22.0,
        "Wicket receipt",
    )?;
    y -= 30.0;
    let lines = [
        ("Order", printable(s.order_number)),
        ("Date", when(s.sold_at)),
        ("Buyer", printable(s.buyer_email)),
        (
            "Item",
            format!("{} x {}", s.quantity, printable(s.product_name)),
        ),
        ("Unit price", s.unit_price.clone()),
        ("Subtotal", s.subtotal.clone()),
    ];
    for (k, v) in lines {
        c.left_text(MARGIN, y, BuiltinFont::Helvetica, 12.0, k)?;
        c.left_text(MARGIN + 110.0, y, BuiltinFont::Helvetica, 12.0, &v)?;
        y -= 18.0;
    }
    if let Some(d) = &s.discount {
        c.left_text(MARGIN, y, BuiltinFont::Helvetica, 12.0, "Tier discount")?;
        c.left_text(
            MARGIN + 110.0,
            y,
            BuiltinFont::Helvetica,
            12.0,
            &format!("-{d}"),
        )?;
        y -= 18.0;
    }
    y -= 6.0;
    c.left_text(MARGIN, y, BuiltinFont::Helvetica_Bold, 14.0, "Total")?;
    c.left_text(
        MARGIN + 110.0,
        y,
        BuiltinFont::Helvetica_Bold,
        14.0,
        &s.total,
    )?;
    y -= 20.0;
    c.left_text(
        MARGIN,
        y,
        BuiltinFont::Helvetica,
        12.0,
        &format!("Paid by {}", printable(s.payment_method)),
    )?;
    y -= 30.0;
    c.left_text(
        MARGIN,
        y,
        BuiltinFont::Helvetica_Oblique,
        10.0,
        &format!("{} ticket(s) follow, one per page.", s.tickets.len()),
    )
}

fn ticket(
    c: &mut Canvas,
    s: &PdfSale<'_>,
    t: &PdfTicket<'_>,
    modules: (usize, &[bool]),
) -> std::io::Result<()> {
    let top = PAGE_H - MARGIN;
    c.left_text(
        MARGIN,
        top,
        BuiltinFont::Helvetica_Bold,
        24.0,
        &printable(s.product_name),
    )?;
    c.left_text(
        MARGIN,
        top - 28.0,
        BuiltinFont::Helvetica,
        14.0,
        &format!(
            "Ticket #{} - order {}",
            t.item_id,
            printable(s.order_number)
        ),
    )?;
    c.left_text(
        MARGIN,
        top - 48.0,
        BuiltinFont::Helvetica,
        12.0,
        &printable(s.buyer_email),
    )?;
    let (side, dark) = modules;
    let m = QR_SIDE / side as f32;
    let x0 = (PAGE_W - QR_SIDE) / 2.0;
    let y0 = top - 90.0 - QR_SIDE;
    c.set_fill_color(Color::gray(0))?;
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (col, row) = (i % side, i / side);
        // PDF y grows upwards; QR rows go down.
        c.rectangle(x0 + col as f32 * m, y0 + (side - 1 - row) as f32 * m, m, m)?;
    }
    c.fill()?;
    c.center_text(
        PAGE_W / 2.0,
        y0 - 28.0,
        BuiltinFont::Helvetica,
        11.0,
        "Show this code at the door, on paper or on a phone screen.",
    )
}

/// Write the receipt and ticket pages of `sale` to `path`.
pub fn write_sale_pdf(path: &Path, sale: &PdfSale<'_>) -> Result<()> {
    let codes = sale
        .tickets
        .iter()
        .map(|t| wicket_ticket::qr_modules(t.token).map_err(failed))
        .collect::<Result<Vec<_>>>()?;
    let file = File::create(path).map_err(failed)?;
    let mut doc = Pdf::new(file).map_err(failed)?;
    doc.set_title(&format!("Wicket order {}", printable(sale.order_number)));
    doc.set_producer("Wicket");
    doc.render_page(PAGE_W, PAGE_H, |c| receipt(c, sale))
        .map_err(failed)?;
    for (t, (side, dark)) in sale.tickets.iter().zip(&codes) {
        doc.render_page(PAGE_W, PAGE_H, |c| ticket(c, sale, t, (*side, dark)))
            .map_err(failed)?;
    }
    doc.finish().map_err(failed)
}
