//! Reading a code from video, not one frame: at the door the same code sits in
//! front of the lens for many frames while glare, noise and blur change. When no
//! frame reads on its own but zxing-cpp still finds the code's corners, each such
//! frame is straightened onto a square by those corners (which also registers the
//! frames to each other, however the code moves), and the per-pixel median of the
//! last few straightened frames is decoded: a highlight or a noise burst present
//! in a minority of frames drops out.

use std::collections::VecDeque;

use image::{GrayImage, Luma};

use crate::decode::{DecodeError, decode_gray};

/// Side of a straightened code, in pixels (about 4 px per module at version 10).
const SIDE: u32 = 232;
/// White border around the median image (the quiet zone the readers want).
const QUIET: u32 = 24;

/// Combines the frames of one camera session. Not thread-safe by itself: one per
/// camera, behind the caller's lock.
pub struct FrameCombiner {
    frames: VecDeque<GrayImage>,
    keep: usize,
    /// Centre and side of the last located code, to notice a different one.
    last: Option<(f64, f64, f64)>,
}

impl Default for FrameCombiner {
    fn default() -> Self {
        Self::new(5)
    }
}

type Quad = [(f64, f64); 4];

impl FrameCombiner {
    /// Combine up to `keep` frames (at least 2).
    pub fn new(keep: usize) -> Self {
        FrameCombiner {
            frames: VecDeque::new(),
            keep: keep.max(2),
            last: None,
        }
    }

    /// Forget the frames (a new code, or the camera stopped).
    pub fn reset(&mut self) {
        self.frames.clear();
        self.last = None;
    }

    /// Decode one frame: the door's cascade first; if it reads nothing, the
    /// median of this and the previous located frames.
    pub fn decode(
        &mut self,
        width: u32,
        height: u32,
        px: &[u8],
    ) -> Result<Vec<String>, DecodeError> {
        let texts = decode_gray(width, height, px)?;
        if !texts.is_empty() {
            self.reset();
            return Ok(texts);
        }
        let Some(quad) = locate(width, height, px) else {
            return Ok(Vec::new());
        };
        let (cx, cy, side) = centre(&quad);
        if let Some((lx, ly, ls)) = self.last
            && ((cx - lx).powi(2) + (cy - ly).powi(2)).sqrt() > ls.max(side)
        {
            // Far from the last one: another code, or the same one re-framed.
            self.frames.clear();
        }
        self.last = Some((cx, cy, side));
        self.frames.push_back(straighten(width, height, px, &quad));
        while self.frames.len() > self.keep {
            self.frames.pop_front();
        }
        if self.frames.len() < 2 {
            return Ok(Vec::new());
        }
        let m = median(&self.frames);
        let mut texts = decode_gray(m.width(), m.height(), m.as_raw())?;
        if texts.is_empty() {
            // A highlight that stays on the code: stretch each neighbourhood to its
            // own darkest and lightest (the modules still show, faintly, in its halo).
            let n = stretch(&m, 6);
            texts = decode_gray(n.width(), n.height(), n.as_raw())?;
        }
        if !texts.is_empty() {
            self.reset();
        }
        Ok(texts)
    }
}

/// The corners of a QR code zxing-cpp detects but cannot read, in symbol order
/// (top-left, top-right, bottom-right, bottom-left).
fn locate(width: u32, height: u32, px: &[u8]) -> Option<Quad> {
    let found = std::panic::catch_unwind(|| {
        let (w, h) = (i32::try_from(width).ok()?, i32::try_from(height).ok()?);
        let view = zxingcpp::ImageView::from_slice(px, w, h, zxingcpp::ImageFormat::Lum).ok()?;
        let codes = zxingcpp::read()
            .formats(zxingcpp::BarcodeFormat::QRCode)
            .try_harder(true)
            .try_invert(true)
            .return_errors(true)
            .from(view)
            .ok()?;
        let p = codes.first()?.position();
        Some(
            [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
                .map(|c| (f64::from(c.x), f64::from(c.y))),
        )
    });
    let quad = found.ok().flatten()?;
    let (_, _, side) = centre(&quad);
    // A degenerate quad (a few pixels) is no code.
    (side >= 20.0).then_some(quad)
}

fn centre(q: &Quad) -> (f64, f64, f64) {
    let cx = q.iter().map(|c| c.0).sum::<f64>() / 4.0;
    let cy = q.iter().map(|c| c.1).sum::<f64>() / 4.0;
    let side =
        ((q[0].0 - q[1].0).hypot(q[0].1 - q[1].1) + (q[0].0 - q[3].0).hypot(q[0].1 - q[3].1)) / 2.0;
    (cx, cy, side)
}

/// The projective map of the unit square onto `q` (row-major 3x3), corners in
/// order (0,0), (1,0), (1,1), (0,1).
pub fn square_to_quad(q: &[(f64, f64); 4]) -> [f64; 9] {
    let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = *q;
    let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
    if sx.abs() < 1e-9 && sy.abs() < 1e-9 {
        return [x1 - x0, x3 - x0, x0, y1 - y0, y3 - y0, y0, 0.0, 0.0, 1.0];
    }
    let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
    let den = dx1 * dy2 - dx2 * dy1;
    if den.abs() < 1e-12 {
        return [x1 - x0, x3 - x0, x0, y1 - y0, y3 - y0, y0, 0.0, 0.0, 1.0];
    }
    let g = (sx * dy2 - dx2 * sy) / den;
    let h = (dx1 * sy - sx * dy1) / den;
    [
        x1 - x0 + g * x1,
        x3 - x0 + h * x3,
        x0,
        y1 - y0 + g * y1,
        y3 - y0 + h * y3,
        y0,
        g,
        h,
        1.0,
    ]
}

/// The code's quad sampled (bilinear) onto a SIDE x SIDE square with a white border.
fn straighten(width: u32, height: u32, px: &[u8], q: &Quad) -> GrayImage {
    let m = square_to_quad(q);
    let (w, h) = (width as usize, height as usize);
    let at = |x: usize, y: usize| f64::from(px[y * w + x]);
    let full = SIDE + 2 * QUIET;
    GrayImage::from_fn(full, full, |ox, oy| {
        if ox < QUIET || oy < QUIET || ox >= QUIET + SIDE || oy >= QUIET + SIDE {
            return Luma([255]);
        }
        let (u, v) = (
            (f64::from(ox - QUIET) + 0.5) / f64::from(SIDE),
            (f64::from(oy - QUIET) + 0.5) / f64::from(SIDE),
        );
        let d = m[6] * u + m[7] * v + m[8];
        let (x, y) = (
            (m[0] * u + m[1] * v + m[2]) / d,
            (m[3] * u + m[4] * v + m[5]) / d,
        );
        if !(x >= 0.0 && y >= 0.0 && x < (w - 1) as f64 && y < (h - 1) as f64) {
            return Luma([255]);
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        Luma([(top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8])
    })
}

/// Each pixel stretched between the darkest and lightest within `r` of it (a flat
/// neighbourhood, under 24 levels, is left as it was).
fn stretch(img: &GrayImage, r: u32) -> GrayImage {
    let (w, h) = img.dimensions();
    let px = img.as_raw();
    // Separable min and max: rows, then columns.
    let pass = |src: &[u8], horizontal: bool, pick: fn(u8, u8) -> u8| -> Vec<u8> {
        let mut out = vec![0u8; src.len()];
        for y in 0..h {
            for x in 0..w {
                let (lo, hi) = if horizontal {
                    (x.saturating_sub(r), (x + r).min(w - 1))
                } else {
                    (y.saturating_sub(r), (y + r).min(h - 1))
                };
                let mut v = src[(y * w + x) as usize];
                for k in lo..=hi {
                    let i = if horizontal { y * w + k } else { k * w + x };
                    v = pick(v, src[i as usize]);
                }
                out[(y * w + x) as usize] = v;
            }
        }
        out
    };
    let lo = pass(&pass(px, true, u8::min), false, u8::min);
    let hi = pass(&pass(px, true, u8::max), false, u8::max);
    let data = px
        .iter()
        .zip(lo.iter().zip(&hi))
        .map(|(&v, (&a, &b))| {
            if b.saturating_sub(a) < 24 {
                v
            } else {
                ((u32::from(v - a) * 255) / u32::from(b - a)) as u8
            }
        })
        .collect();
    GrayImage::from_raw(w, h, data).unwrap_or_else(|| img.clone())
}

/// Per-pixel median of same-sized images.
fn median(frames: &VecDeque<GrayImage>) -> GrayImage {
    let (w, h) = frames[0].dimensions();
    let mut buf = Vec::with_capacity(frames.len());
    GrayImage::from_fn(w, h, |x, y| {
        buf.clear();
        buf.extend(frames.iter().map(|f| f.get_pixel(x, y).0[0]));
        buf.sort_unstable();
        Luma([buf[buf.len() / 2]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_frame_reads_nothing_and_keeps_nothing() {
        let mut c = FrameCombiner::default();
        let px = vec![128u8; 64 * 48];
        assert!(c.decode(64, 48, &px).unwrap().is_empty());
        assert!(c.frames.is_empty());
        assert!(c.decode(64, 48, &px[..10]).is_err());
    }

    #[test]
    fn stretching_restores_faint_contrast_and_leaves_flat_areas() {
        // Faint modules in a highlight's halo: 200 and 240 side by side.
        let img = GrayImage::from_fn(20, 20, |x, _| Luma([if x % 4 < 2 { 200 } else { 240 }]));
        let s = stretch(&img, 3);
        assert_eq!((s.get_pixel(8, 8).0[0], s.get_pixel(10, 8).0[0]), (0, 255));
        let flat = GrayImage::from_pixel(10, 10, Luma([250]));
        assert_eq!(stretch(&flat, 3).get_pixel(5, 5).0[0], 250);
    }

    #[test]
    fn the_median_drops_what_one_frame_alone_shows() {
        let mut frames = VecDeque::new();
        for v in [10u8, 12, 250] {
            frames.push_back(GrayImage::from_pixel(4, 4, Luma([v])));
        }
        assert_eq!(median(&frames).get_pixel(1, 1).0[0], 12);
    }
}
