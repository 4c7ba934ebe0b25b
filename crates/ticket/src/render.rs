//! QR rendering of tokens as SVG (for print and web) and PNG (for mail and apps).
//!
//! Always error correction level M with the standard 4-module quiet zone: M survives
//! creases and glare on a phone screen, and the quiet zone is what lets a camera
//! find the code on a busy background.

use std::io::Cursor;

use image::{GrayImage, ImageEncoder, Luma, codecs::png::PngEncoder};
use qrcode::{Color, EcLevel, QrCode, render::svg};

/// Modules of blank margin around the symbol, as the QR standard asks.
const QUIET_ZONE: u32 = 4;
/// Largest accepted PNG scale; keeps a typo from allocating gigabytes.
pub const MAX_SCALE: u32 = 64;

/// Errors from rendering a token as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The text does not fit in any QR version at level M.
    #[error("text too long for a QR code: {0}")]
    TooLong(String),
    /// PNG scale outside `1..=MAX_SCALE`.
    #[error("png scale must be 1..={MAX_SCALE}, got {0}")]
    BadScale(u32),
    /// The PNG encoder failed.
    #[error("png encoding failed: {0}")]
    Png(String),
}

impl RenderError {
    /// Stable snake_case code for UIs, APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::TooLong(_) => "qr_too_long",
            RenderError::BadScale(_) => "bad_scale",
            RenderError::Png(_) => "png_encode",
        }
    }
}

/// The QR symbol for `token` at error correction level Q (25%): a highlight that
/// washes out part of a phone screen still reads (framebench glare: 20/20 at Q,
/// 6/20 at M, for version 10 instead of 8). Tickets rendered at M still read.
/// Exposed so callers can check its version.
pub fn qr_code(token: &str) -> Result<QrCode, RenderError> {
    QrCode::with_error_correction_level(token.as_bytes(), EcLevel::Q)
        .map_err(|e| RenderError::TooLong(e.to_string()))
}

/// The QR modules for `token`, row by row (`true` = dark), and the side in modules
/// (without quiet zone): for drawing the code as vector squares, e.g. in a PDF.
pub fn qr_modules(token: &str) -> Result<(usize, Vec<bool>), RenderError> {
    let code = qr_code(token)?;
    let side = code.width();
    Ok((
        side,
        code.to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    ))
}

/// SVG document of the QR code for `token` (black on white, with quiet zone).
pub fn render_svg(token: &str) -> Result<String, RenderError> {
    let code = qr_code(token)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(256, 256)
        .build())
}

/// 8-bit grayscale image of the code, `scale` pixels per module, with quiet zone.
pub fn render_gray(token: &str, scale: u32) -> Result<GrayImage, RenderError> {
    if scale == 0 || scale > MAX_SCALE {
        return Err(RenderError::BadScale(scale));
    }
    let code = qr_code(token)?;
    let modules = code.to_colors();
    // QR width is at most 177 modules, so these casts cannot truncate.
    let width = code.width() as u32;
    let side = (width + 2 * QUIET_ZONE) * scale;
    Ok(GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= QUIET_ZONE
            && my >= QUIET_ZONE
            && mx < QUIET_ZONE + width
            && my < QUIET_ZONE + width
            && modules[((my - QUIET_ZONE) * width + (mx - QUIET_ZONE)) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    }))
}

/// PNG file bytes of the QR code for `token`, `scale` pixels per module.
pub fn render_png(token: &str, scale: u32) -> Result<Vec<u8>, RenderError> {
    let img = render_gray(token, scale)?;
    let mut out = Cursor::new(Vec::new());
    PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|e| RenderError::Png(e.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SigningKey, TicketClaims, sign};
    use qrcode::types::Version;
    use uuid::Uuid;

    fn token(event: bool) -> String {
        let claims = TicketClaims {
            product_id: Uuid::from_u128(u128::MAX),
            item_uuid: Uuid::from_u128(u128::MAX - 1),
            item_id: u64::from(u32::MAX),
            event_id: event.then(|| Uuid::from_u128(u128::MAX - 2)),
            valid_from: i64::from(u32::MAX) - 1,
            valid_until: i64::from(u32::MAX),
        };
        sign(&claims, &SigningKey::from_bytes(&[0xAB; 32])).unwrap()
    }

    #[test]
    fn ticket_fits_qr_version_10_at_level_m() {
        for event in [false, true] {
            let code = qr_code(&token(event)).unwrap();
            assert_eq!(code.error_correction_level(), EcLevel::Q);
            match code.version() {
                Version::Normal(v) => assert!(v <= 10, "version {v} (event={event})"),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn svg_is_an_svg_document() {
        let svg = render_svg(&token(true)).unwrap();
        assert!(svg.contains("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn png_has_signature_and_quiet_zone() {
        let t = token(true);
        let png = render_png(&t, 3).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = render_gray(&t, 3).unwrap();
        let modules = qr_code(&t).unwrap().width() as u32;
        assert_eq!(img.width(), (modules + 8) * 3);
        // Quiet zone is white, the top-left finder corner is dark.
        assert_eq!(img.get_pixel(0, 0).0[0], 255);
        assert_eq!(img.get_pixel(4 * 3 - 1, 4 * 3 - 1).0[0], 255);
        assert_eq!(img.get_pixel(4 * 3, 4 * 3).0[0], 0);
    }

    #[test]
    fn bad_scale_and_oversized_text_are_refused() {
        assert_eq!(render_png("X", 0).unwrap_err().code(), "bad_scale");
        assert_eq!(
            render_png("X", MAX_SCALE + 1).unwrap_err().code(),
            "bad_scale"
        );
        let huge = "A".repeat(5000);
        assert_eq!(render_svg(&huge).unwrap_err().code(), "qr_too_long");
    }
}
