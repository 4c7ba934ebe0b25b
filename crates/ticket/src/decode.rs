//! QR decoding from camera frames and image files.
//!
//! A fixed cascade of attempts runs until one yields text. The order and the set of
//! steps were chosen by running `qrscan --corpus` on the zxing-cpp samples and the
//! `framebench` synthetic camera frames: a step stays only if it decoded images the
//! earlier steps missed (see the crate README section in the workspace notes and the
//! numbers in [`DEFAULT_CASCADE`]).
//!
//! zxing-cpp (the C++ reference reader, through the `zxing-cpp` crate, built from
//! its bundled source) leads the cascade; see [`DEFAULT_CASCADE`] for the figures.
//!
//! Every decoder call runs under `catch_unwind`: third-party decoders have panicked
//! on odd geometry (rqrr 0.11 on `qrcode-6/7.png`), and a bad frame must cost one
//! failed attempt, never the door app. This needs the default `panic = "unwind"`.

use std::collections::HashSet;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits, imageops};
use rxing::common::HybridBinarizer;

use crate::warp::{WARP_MAX_SIDE, apply, warps};
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader, Reader};

/// Largest image side accepted from a file; camera frames and photos are far below.
const MAX_SIDE: u32 = 12_000;
/// Memory cap for decoding one image file.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Errors from decoding an image; "no QR found" is not an error but an empty list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The pixel buffer length is not `width * height`, or a side is zero.
    #[error("pixel buffer of {len} bytes does not match {width}x{height}")]
    BadDimensions { width: u32, height: u32, len: usize },
    /// The bytes are not PNG, JPEG or WebP.
    #[error("unsupported or unrecognised image format")]
    UnsupportedFormat,
    /// The image is larger than this decoder accepts.
    #[error("image too large")]
    TooLarge,
    /// The image file is corrupt or truncated.
    #[error("image could not be decoded: {0}")]
    BadImage(String),
}

impl DecodeError {
    /// Stable snake_case code for UIs, APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::BadDimensions { .. } => "bad_dimensions",
            DecodeError::UnsupportedFormat => "unsupported_format",
            DecodeError::TooLarge => "image_too_large",
            DecodeError::BadImage(_) => "bad_image",
        }
    }
}

/// One attempt of the cascade: a preprocessing of the frame plus a decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// rxing (QR only, try-harder, also inverted) on the frame as given.
    Rxing,
    /// rqrr on the frame as given.
    Rqrr,
    /// rqrr after a light blur and a local-mean threshold (rqrr binarises row by
    /// row, which fails on uneven light and JPEG/WebP ringing).
    ThresholdRqrr,
    /// rxing after the same blur and local-mean threshold.
    ThresholdRxing,
    /// rxing on a 2x upscale, only for images whose short side is below 400 px.
    UpscaleRxing,
    /// rqrr on a 2x upscale, only for images whose short side is below 400 px.
    UpscaleRqrr,
    /// rqrr on the frame rotated by 90 degrees.
    RotateRqrr,
    /// rxing on a 2x box-downscale, for images whose short side is at least
    /// 200 px (halftone texture and fine noise confuse the binariser at full size).
    DownscaleRxing,
    /// zxing-cpp (C++, the reference reader: try-harder, inverted, rotated).
    Zxing,
    /// zxing-cpp after the blur and local-mean threshold.
    ThresholdZxing,
    /// zxing-cpp on a 2x box-downscale (as for rxing).
    DownscaleZxing,
    /// zxing-cpp on gently warped copies (see `warp.rs`), for codes on cloth or
    /// creased paper; up to 288 reads, so for image files only, last.
    WarpZxing,
}

impl Step {
    /// Short name for benchmark output.
    pub fn name(self) -> &'static str {
        match self {
            Step::Rxing => "rxing",
            Step::Rqrr => "rqrr",
            Step::ThresholdRqrr => "threshold+rqrr",
            Step::ThresholdRxing => "threshold+rxing",
            Step::UpscaleRxing => "upscale+rxing",
            Step::UpscaleRqrr => "upscale+rqrr",
            Step::RotateRqrr => "rotate90+rqrr",
            Step::DownscaleRxing => "downscale+rxing",
            Step::Zxing => "zxing",
            Step::ThresholdZxing => "threshold+zxing",
            Step::DownscaleZxing => "downscale+zxing",
            Step::WarpZxing => "warp+zxing",
        }
    }
}

/// Every step implemented, in cascade order; for benchmarking candidates.
pub const ALL_STEPS: &[Step] = &[
    Step::Zxing,
    Step::DownscaleZxing,
    Step::ThresholdZxing,
    Step::Rxing,
    Step::DownscaleRxing,
    Step::Rqrr,
    Step::ThresholdRqrr,
    Step::ThresholdRxing,
    Step::UpscaleRxing,
    Step::UpscaleRqrr,
    Step::RotateRqrr,
    Step::WarpZxing,
];

/// The cascade [`decode_gray`] runs: the steps that raised the score.
/// zxing-cpp leads: on `framebench` camera frames it reads 175/180 alone where rxing
/// reads 154 (it is far better at low contrast and noise) in about the same time;
/// on the 137 zxing-cpp samples both read 121. The rxing and rqrr steps behind it
/// still add reads (perspective and the photos: 130/137 with them, no wrong text),
/// and run only when zxing-cpp found nothing. The zxing-cpp variants (threshold,
/// downscale) and the upscale and rotation steps added nothing and are left out.
pub const DEFAULT_CASCADE: &[Step] = &[
    Step::Zxing,
    Step::Rxing,
    Step::DownscaleRxing,
    Step::Rqrr,
    Step::ThresholdRqrr,
    Step::ThresholdRxing,
];

/// The cascade for image files (a dropped or pasted image, a photo):
/// [`DEFAULT_CASCADE`], then the warp search, which reads 3 more of the 137
/// zxing-cpp samples (creased cloth) but can take a few hundred milliseconds on
/// an image nothing reads, too slow for camera frames.
pub const IMAGE_CASCADE: &[Step] = &{
    let mut steps = [Step::WarpZxing; DEFAULT_CASCADE.len() + 1];
    let mut i = 0;
    while i < DEFAULT_CASCADE.len() {
        steps[i] = DEFAULT_CASCADE[i];
        i += 1;
    }
    steps
};

/// Result of one cascade run: the texts and which step found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Distinct decoded texts, in the order found.
    pub texts: Vec<String>,
    /// The step that produced `texts`, `None` when nothing decoded.
    pub step: Option<Step>,
}

/// Decodes QR codes in an 8-bit grayscale frame (row-major, `width * height` bytes).
/// Returns an empty list when no code is readable.
pub fn decode_gray(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<String>, DecodeError> {
    decode_gray_with(DEFAULT_CASCADE, width, height, pixels).map(|s| s.texts)
}

/// Decodes a PNG, JPEG or WebP file's bytes.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<String>, DecodeError> {
    let img = load_gray(bytes)?;
    decode_gray_with(IMAGE_CASCADE, img.width(), img.height(), img.as_raw()).map(|s| s.texts)
}

/// Reads a PNG, JPEG or WebP file into grayscale, flattening transparency onto
/// white (a transparent PNG with black modules would otherwise read as all black).
pub fn load_gray(bytes: &[u8]) -> Result<GrayImage, DecodeError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError::BadImage(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) => {}
        _ => return Err(DecodeError::UnsupportedFormat),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => DecodeError::TooLarge,
        image::ImageError::Unsupported(_) => DecodeError::UnsupportedFormat,
        other => DecodeError::BadImage(other.to_string()),
    })?;
    Ok(flatten_gray(img))
}

fn flatten_gray(img: DynamicImage) -> GrayImage {
    if !img.color().has_alpha() {
        return img.into_luma8();
    }
    let la = img.into_luma_alpha8();
    GrayImage::from_fn(la.width(), la.height(), |x, y| {
        let [l, a] = la.get_pixel(x, y).0;
        let (l, a) = (u32::from(l), u32::from(a));
        // Composite over white; the result is at most 255 so the cast is exact.
        image::Luma([((l * a + 255 * (255 - a)) / 255) as u8])
    })
}

/// Runs `cascade` in order and stops at the first step that decodes anything.
pub fn decode_gray_with(
    cascade: &[Step],
    width: u32,
    height: u32,
    pixels: &[u8],
) -> Result<Scan, DecodeError> {
    let bad = || DecodeError::BadDimensions {
        width,
        height,
        len: pixels.len(),
    };
    let expected = (width as usize)
        .checked_mul(height as usize)
        .ok_or_else(bad)?;
    if width == 0 || height == 0 || pixels.len() != expected {
        return Err(bad());
    }
    let frame = Gray {
        w: width as usize,
        h: height as usize,
        px: pixels,
    };
    // Derived images are built lazily and shared between steps that need them.
    let mut thresholded: Option<Vec<u8>> = None;
    let mut upscaled: Option<Option<GrayImage>> = None;
    for &step in cascade {
        let texts = match step {
            Step::Rxing => rxing(frame),
            Step::Rqrr => rqrr(frame),
            Step::Zxing => zxing(frame),
            Step::ThresholdRqrr | Step::ThresholdRxing | Step::ThresholdZxing => {
                let t = thresholded.get_or_insert_with(|| local_threshold(frame));
                let g = Gray { px: t, ..frame };
                match step {
                    Step::ThresholdRqrr => rqrr(g),
                    Step::ThresholdRxing => rxing(g),
                    _ => zxing(g),
                }
            }
            Step::UpscaleRxing | Step::UpscaleRqrr => {
                let up = upscaled.get_or_insert_with(|| upscale_small(frame));
                match up {
                    Some(img) => {
                        let g = Gray::of(img);
                        if step == Step::UpscaleRxing {
                            rxing(g)
                        } else {
                            rqrr(g)
                        }
                    }
                    None => Vec::new(),
                }
            }
            Step::RotateRqrr => {
                let img = imageops::rotate90(&frame.to_image());
                rqrr(Gray::of(&img))
            }
            Step::DownscaleRxing | Step::DownscaleZxing => match downscale_large(frame) {
                Some(img) if step == Step::DownscaleRxing => rxing(Gray::of(&img)),
                Some(img) => zxing(Gray::of(&img)),
                None => Vec::new(),
            },
            Step::WarpZxing => warp_search(frame),
        };
        if !texts.is_empty() {
            return Ok(Scan {
                texts: dedup(texts),
                step: Some(step),
            });
        }
    }
    Ok(Scan::default())
}

/// zxing-cpp on each warped copy of the frame (downscaled to at most
/// WARP_MAX_SIDE first) until one reads.
fn warp_search(g: Gray<'_>) -> Vec<String> {
    let small;
    let g = if g.w.max(g.h) > WARP_MAX_SIDE as usize {
        let img = g.to_image();
        let k = f64::from(WARP_MAX_SIDE) / g.w.max(g.h) as f64;
        let (w, h) = ((g.w as f64 * k) as u32, (g.h as f64 * k) as u32);
        small = imageops::resize(&img, w.max(1), h.max(1), imageops::FilterType::Triangle);
        Gray::of(&small)
    } else {
        g
    };
    if g.w < 2 || g.h < 2 {
        return Vec::new();
    }
    for w in warps() {
        let px = apply(g.w, g.h, g.px, w);
        let texts = zxing(Gray { px: &px, ..g });
        if !texts.is_empty() {
            return texts;
        }
    }
    Vec::new()
}

/// Borrowed grayscale view with validated dimensions.
#[derive(Clone, Copy)]
struct Gray<'a> {
    w: usize,
    h: usize,
    px: &'a [u8],
}

impl<'a> Gray<'a> {
    fn of(img: &'a GrayImage) -> Self {
        Gray {
            w: img.width() as usize,
            h: img.height() as usize,
            px: img.as_raw(),
        }
    }

    fn to_image(self) -> GrayImage {
        // Dimensions came from u32 and were validated, so this cannot fail; an
        // empty image simply decodes to nothing.
        GrayImage::from_raw(self.w as u32, self.h as u32, self.px.to_vec()).unwrap_or_default()
    }
}

fn dedup(texts: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    texts
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

/// Runs `f`, turning a panic into "nothing decoded".
fn guarded(f: impl FnOnce() -> Vec<String>) -> Vec<String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_default()
}

fn rxing(g: Gray<'_>) -> Vec<String> {
    guarded(|| {
        let hints = DecodeHints {
            TryHarder: Some(true),
            // Light-on-dark codes (phone dark mode, some print) need the second pass.
            AlsoInverted: Some(true),
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            ..DecodeHints::default()
        };
        let Ok(source) = Luma8Source::new_with_slice(g.px, g.w as u32, g.h as u32) else {
            return Vec::new();
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let mut reader = MultiFormatReader::default();
        match reader.decode_with_hints(&mut bitmap, &hints) {
            Ok(r) => vec![r.getText().to_owned()],
            Err(_) => Vec::new(),
        }
    })
}

fn zxing(g: Gray<'_>) -> Vec<String> {
    guarded(|| {
        let (Ok(w), Ok(h)) = (i32::try_from(g.w), i32::try_from(g.h)) else {
            return Vec::new();
        };
        let Ok(view) = zxingcpp::ImageView::from_slice(g.px, w, h, zxingcpp::ImageFormat::Lum)
        else {
            return Vec::new();
        };
        zxingcpp::read()
            .formats(zxingcpp::BarcodeFormat::QRCode)
            .try_harder(true)
            .try_invert(true)
            .try_rotate(true)
            // The bytes as encoded (no GS1 brackets, no <SOH> escapes), like rxing.
            .text_mode(zxingcpp::TextMode::Plain)
            .from(view)
            .map(|found| {
                found
                    .into_iter()
                    .filter(|b| b.is_valid())
                    .map(|b| b.text())
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn rqrr(g: Gray<'_>) -> Vec<String> {
    guarded(|| {
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(g.w, g.h, |x, y| g.px[y * g.w + x]);
        img.detect_grids()
            .iter()
            .filter_map(|grid| {
                let mut bytes = Vec::new();
                grid.decode_to(&mut bytes).ok()?;
                Some(bytes_to_text(bytes))
            })
            .collect()
    })
}

/// rqrr hands back raw bytes; UTF-8 is the common case, otherwise ISO-8859-1 is
/// the QR standard's default byte-mode charset.
fn bytes_to_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect())
}

/// How far below the local mean a pixel must be to count as dark.
const THRESHOLD_MARGIN: u64 = 0;

/// Light blur, then local-mean threshold via an integral image: dark where a pixel
/// is below the mean of its neighbourhood. O(w*h) whatever the window size.
fn local_threshold(g: Gray<'_>) -> Vec<u8> {
    // The blur removes compression ringing and sensor noise that would otherwise
    // turn into speckles after thresholding.
    let blurred = imageops::blur(&g.to_image(), 1.0);
    let g = Gray::of(&blurred);
    let (w, h) = (g.w, g.h);
    // Window about 1/6 of the short side: larger than a module, smaller than the
    // light gradient across a photographed code.
    let r = (w.min(h) / 12).clamp(4, 64);
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(g.px[y * w + x]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = vec![255u8; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            let count = ((x1 - x0) * (y1 - y0)) as u64;
            if u64::from(g.px[y * w + x]) * count + THRESHOLD_MARGIN * count < sum {
                out[y * w + x] = 0;
            }
        }
    }
    out
}

/// 2x bilinear upscale for images whose short side is under 400 px, where modules
/// can be only 1-2 px wide; `None` when the image is large enough already.
fn upscale_small(g: Gray<'_>) -> Option<GrayImage> {
    if g.w.min(g.h) >= 400 {
        return None;
    }
    let img = g.to_image();
    Some(imageops::resize(
        &img,
        img.width() * 2,
        img.height() * 2,
        imageops::FilterType::Triangle,
    ))
}

/// 2x2 box-average downscale for images whose short side is at least 200 px.
fn downscale_large(g: Gray<'_>) -> Option<GrayImage> {
    if g.w.min(g.h) < 200 {
        return None;
    }
    let (w2, h2) = (g.w / 2, g.h / 2);
    let mut out = Vec::with_capacity(w2 * h2);
    for y in 0..h2 {
        let (r0, r1) = (&g.px[2 * y * g.w..], &g.px[(2 * y + 1) * g.w..]);
        for x in 0..w2 {
            let s = u16::from(r0[2 * x])
                + u16::from(r0[2 * x + 1])
                + u16::from(r1[2 * x])
                + u16::from(r1[2 * x + 1]);
            // Average of four u8 values fits u8.
            out.push((s / 4) as u8);
        }
    }
    GrayImage::from_raw(w2 as u32, h2 as u32, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_mismatch_is_an_error() {
        let err = decode_gray(10, 10, &[0; 99]).unwrap_err();
        assert_eq!(err.code(), "bad_dimensions");
        assert_eq!(decode_gray(0, 0, &[]).unwrap_err().code(), "bad_dimensions");
        assert_eq!(
            decode_gray(u32::MAX, u32::MAX, &[]).unwrap_err().code(),
            "bad_dimensions"
        );
    }

    #[test]
    fn blank_frames_decode_to_nothing() {
        for (w, h) in [(1, 1), (3, 700), (64, 64), (640, 480)] {
            let px = vec![200u8; (w * h) as usize];
            assert_eq!(decode_gray(w, h, &px).unwrap(), Vec::<String>::new());
        }
    }

    #[test]
    fn garbage_image_bytes_are_errors() {
        assert_eq!(
            decode_image_bytes(b"not an image").unwrap_err().code(),
            "unsupported_format"
        );
        // A GIF header is recognised but not a format we accept.
        assert_eq!(
            decode_image_bytes(b"GIF89a\x01\x00\x01\x00")
                .unwrap_err()
                .code(),
            "unsupported_format"
        );
        let truncated_png = b"\x89PNG\r\n\x1a\n\x00\x00";
        assert_eq!(
            decode_image_bytes(truncated_png).unwrap_err().code(),
            "bad_image"
        );
    }

    #[test]
    fn decodes_rendered_ticket_with_each_decoder() {
        let img = crate::render::render_gray("WK1HELLOWORLD234567", 4).unwrap();
        let g = Gray::of(&img);
        assert_eq!(rxing(g), vec!["WK1HELLOWORLD234567".to_owned()]);
        assert_eq!(rqrr(g), vec!["WK1HELLOWORLD234567".to_owned()]);
        // Margin 0 scored best on the photo corpus; on a perfectly sharp render it
        // fattens dark modules enough to lose rqrr, but rxing still reads it.
        let t = local_threshold(g);
        assert_eq!(
            rxing(Gray { px: &t, ..g }),
            vec!["WK1HELLOWORLD234567".to_owned()]
        );
    }

    #[test]
    fn inverted_code_decodes() {
        let mut img = crate::render::render_gray("WK1INVERTED", 4).unwrap();
        imageops::invert(&mut img);
        let texts = decode_gray(img.width(), img.height(), img.as_raw()).unwrap();
        assert_eq!(texts, vec!["WK1INVERTED".to_owned()]);
    }

    #[test]
    fn guarded_turns_panic_into_nothing() {
        let out = guarded(|| panic!("decoder bug"));
        assert!(out.is_empty());
    }

    #[test]
    fn latin1_fallback_for_non_utf8() {
        assert_eq!(bytes_to_text(vec![0x41, 0xE9]), "Aé");
        assert_eq!(bytes_to_text("ü".as_bytes().to_vec()), "ü");
    }
}
