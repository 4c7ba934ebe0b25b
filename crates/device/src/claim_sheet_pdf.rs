//! A printable sheet of claim codes: twelve QR codes to an A4 page, each with its
//! code underneath, for a product's claim codes made at head office. Each QR holds
//! the claim URL, which a phone camera opens as head office's claim page. The same
//! codes can be saved as CSV instead ([`save_claim_codes`]).

use std::fs::File;
use std::path::Path;

use pdf_canvas::graphicsstate::Color;
use pdf_canvas::{BuiltinFont, Canvas, Pdf};

use crate::error::{DeviceError, Result};
use crate::receipt_pdf::{MARGIN, PAGE_H, PAGE_W, printable};

fn failed(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Pdf(e.to_string())
}

/// One claim code and the URL its QR opens.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct ClaimCode {
    pub code: String,
    pub url: String,
}

const COLS: usize = 3;
const ROWS: usize = 4;
/// Side of each QR code, in points (about 4.5 cm: reads from a phone at arm's length).
const QR_SIDE: f32 = 128.0;

fn page(
    c: &mut Canvas,
    product: &str,
    (n, of): (usize, usize),
    codes: &[(&ClaimCode, (usize, Vec<bool>))],
) -> std::io::Result<()> {
    let top = PAGE_H - MARGIN;
    c.left_text(
        MARGIN,
        top,
        BuiltinFont::Helvetica_Bold,
        16.0,
        &format!("Claim codes - {}", printable(product)),
    )?;
    c.right_text(
        PAGE_W - MARGIN,
        top,
        BuiltinFont::Helvetica,
        10.0,
        &format!("page {n} of {of}"),
    )?;
    let cell_w = (PAGE_W - 2.0 * MARGIN) / COLS as f32;
    let cell_h = (top - 24.0 - MARGIN) / ROWS as f32;
    c.set_fill_color(Color::gray(0))?;
    for (i, (code, (side, dark))) in codes.iter().enumerate() {
        let (col, row) = (i % COLS, i / COLS);
        let x0 = MARGIN + col as f32 * cell_w + (cell_w - QR_SIDE) / 2.0;
        let y_top = top - 24.0 - row as f32 * cell_h - 8.0;
        let y0 = y_top - QR_SIDE;
        let m = QR_SIDE / *side as f32;
        for (k, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
            let (qc, qr) = (k % side, k / side);
            c.rectangle(x0 + qc as f32 * m, y0 + (side - 1 - qr) as f32 * m, m, m)?;
        }
        c.fill()?;
        c.center_text(
            MARGIN + col as f32 * cell_w + cell_w / 2.0,
            y0 - 14.0,
            BuiltinFont::Courier,
            7.0,
            &printable(&code.code),
        )?;
    }
    Ok(())
}

/// Write the sheet of `codes` for `product` to `path` (at least one code).
pub fn write_claim_sheet(path: &Path, product: &str, codes: &[ClaimCode]) -> Result<()> {
    if codes.is_empty() {
        return Err(DeviceError::Invalid("no claim codes to print".into()));
    }
    let drawn = codes
        .iter()
        .map(|c| Ok((c, wicket_ticket::qr_modules(&c.url).map_err(failed)?)))
        .collect::<Result<Vec<_>>>()?;
    let per = COLS * ROWS;
    let pages = drawn.len().div_ceil(per);
    let file = File::create(path).map_err(failed)?;
    let mut doc = Pdf::new(file).map_err(failed)?;
    doc.set_title(&format!("Claim codes {}", printable(product)));
    doc.set_producer("Wicket");
    for (n, chunk) in drawn.chunks(per).enumerate() {
        doc.render_page(PAGE_W, PAGE_H, |c| page(c, product, (n + 1, pages), chunk))
            .map_err(failed)?;
    }
    doc.finish().map_err(failed)
}

/// How claim codes are saved: a PDF sheet of QR codes, or CSV (code, url).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimCodesFormat {
    Pdf,
    Csv,
}

impl std::str::FromStr for ClaimCodesFormat {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pdf" => Ok(ClaimCodesFormat::Pdf),
            "csv" => Ok(ClaimCodesFormat::Csv),
            _ => Err(DeviceError::Invalid(format!(
                "claim codes are saved as pdf or csv, not {s:?}"
            ))),
        }
    }
}

/// Save `codes` of `product` to `path` as `format` (the app and `wicket
/// claim-codes` both come here).
pub fn save_claim_codes(
    path: &Path,
    product: &str,
    codes: &[ClaimCode],
    format: ClaimCodesFormat,
) -> Result<()> {
    match format {
        ClaimCodesFormat::Pdf => write_claim_sheet(path, product, codes),
        ClaimCodesFormat::Csv => {
            let table = crate::export::Table {
                header: vec!["code", "url"],
                rows: codes
                    .iter()
                    .map(|c| vec![c.code.clone(), c.url.clone()])
                    .collect(),
            };
            std::fs::write(path, table.to_csv()?).map_err(|e| {
                DeviceError::Invalid(format!("could not write {}: {e}", path.display()))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_codes_make_two_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sheet.pdf");
        let codes: Vec<ClaimCode> = (0..13)
            .map(|i| ClaimCode {
                code: format!("0190a0a0-0000-7000-8000-{i:012}"),
                url: format!("http://127.0.0.1:8080/claim/{i}"),
            })
            .collect();
        write_claim_sheet(&path, "Members pass", &codes).unwrap();
        let pdf = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(
            text.matches("/Type /Page\n").count(),
            2,
            "13 codes at 12 a page"
        );
        assert!(write_claim_sheet(&path, "x", &[]).is_err());
    }

    #[test]
    fn the_csv_lists_each_code_and_its_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codes.csv");
        let codes = [ClaimCode {
            code: "=A1".into(),
            url: "http://127.0.0.1:8080/claim/1".into(),
        }];
        let format: ClaimCodesFormat = "csv".parse().unwrap();
        save_claim_codes(&path, "Pass", &codes, format).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "code,url\r\n'=A1,http://127.0.0.1:8080/claim/1\r\n"
        );
        assert!("txt".parse::<ClaimCodesFormat>().is_err());
    }
}
