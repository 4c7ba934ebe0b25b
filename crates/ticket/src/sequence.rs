//! Reading a code from video, not one frame: at the door the same code sits in
//! front of the lens for many frames while glare, noise and blur change. When no
//! frame reads on its own, each frame is straightened onto a square by the code's
//! corners (found, or followed from the last frame; see [`crate::locate`]), which
//! also registers the frames to each other however the code moves. Per pixel the
//! frames least brightened there are averaged, so a moving highlight drops out
//! and the noise averages away; that image is decoded as it is, stretched, and
//! sharpened. While a code is being chased, the slower readers behind zxing-cpp
//! run only on the region around where it was.

use std::collections::VecDeque;

use image::{GrayImage, Luma, imageops};

use crate::decode::{DEFAULT_CASCADE, DecodeError, Step, decode_gray, decode_gray_with};
use crate::locate::{
    Frame, Patch, Quad, TRACK_FRAMES, centre, locate, square_to_quad, textured_region,
};

/// Side of a straightened code, in pixels (about 4 px per module at version 10).
const SIDE: u32 = 232;
/// White border around the combined image (the quiet zone the readers want).
const QUIET: u32 = 24;

/// Combines the frames of one camera session. Not thread-safe by itself: one per
/// camera, behind the caller's lock.
pub struct FrameCombiner {
    frames: VecDeque<Straight>,
    keep: usize,
    /// Where the code was last seen, to follow it when zxing-cpp loses it.
    last: Option<Track>,
}

/// One straightened frame and, per pixel, the brightest value near it (a highlight
/// raises it; the combination trusts the frames where it is lowest).
struct Straight {
    img: GrayImage,
    lmax: Vec<u8>,
}

/// The code's last known corners and the raw pixels around them.
struct Track {
    quad: Quad,
    patch: Patch,
    /// Frames since the corners were last found rather than followed.
    age: u32,
    /// Placed by the texture region, not by zxing-cpp's corners.
    rough: bool,
}

impl Track {
    fn new(frame: Frame<'_>, quad: Quad, rough: bool) -> Track {
        Track {
            quad,
            patch: Patch::cut(frame, &quad),
            age: 0,
            rough,
        }
    }
}

impl Default for FrameCombiner {
    fn default() -> Self {
        Self::new(10)
    }
}

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
    /// combination of this and the previous frames where the code was found.
    pub fn decode(
        &mut self,
        width: u32,
        height: u32,
        px: &[u8],
    ) -> Result<Vec<String>, DecodeError> {
        let texts = match self.region_of_interest(width, height, px.len()) {
            // Chasing a code that has not read yet: zxing-cpp (fast) over the whole
            // frame, for a new code anywhere, and the slower readers behind it only
            // on the region around where the code was.
            Some((x0, y0, cw, ch)) => {
                let mut texts = decode_gray_with(&[Step::Zxing], width, height, px)?.texts;
                if texts.is_empty() {
                    let mut crop = Vec::with_capacity(cw * ch);
                    for y in y0..y0 + ch {
                        let row = y * width as usize + x0;
                        crop.extend_from_slice(&px[row..row + cw]);
                    }
                    let behind: Vec<Step> = DEFAULT_CASCADE
                        .iter()
                        .copied()
                        .filter(|s| *s != Step::Zxing)
                        .collect();
                    texts = decode_gray_with(&behind, cw as u32, ch as u32, &crop)?.texts;
                }
                texts
            }
            None => decode_gray(width, height, px)?,
        };
        if !texts.is_empty() {
            self.reset();
            return Ok(texts);
        }
        self.combine(width, height, px)
    }

    /// The box (x, y, width, height) around the last place of the code being
    /// chased, half a code side wider each way; `None` when there is none or it
    /// would cover most of the frame anyway.
    fn region_of_interest(
        &self,
        width: u32,
        height: u32,
        len: usize,
    ) -> Option<(usize, usize, usize, usize)> {
        let q = &self.last.as_ref()?.quad;
        let (w, h) = (width as usize, height as usize);
        if w.checked_mul(h) != Some(len) {
            return None;
        }
        let (_, _, side) = centre(q);
        let xs = q.iter().map(|c| c.0);
        let ys = q.iter().map(|c| c.1);
        let clamp = |v: f64, hi: usize| (v.max(0.0) as usize).min(hi);
        let x0 = clamp(xs.clone().fold(f64::MAX, f64::min) - side / 2.0, w);
        let x1 = clamp(xs.fold(f64::MIN, f64::max) + side / 2.0, w);
        let y0 = clamp(ys.clone().fold(f64::MAX, f64::min) - side / 2.0, h);
        let y1 = clamp(ys.fold(f64::MIN, f64::max) + side / 2.0, h);
        let (cw, ch) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
        (cw >= 16 && ch >= 16 && cw * ch * 10 < w * h * 6).then_some((x0, y0, cw, ch))
    }

    /// The combination step alone, for a frame the cascade did not read.
    pub fn combine(
        &mut self,
        width: u32,
        height: u32,
        px: &[u8],
    ) -> Result<Vec<String>, DecodeError> {
        if (width as usize).checked_mul(height as usize) != Some(px.len())
            || width < 2
            || height < 2
        {
            return Err(DecodeError::BadDimensions {
                width,
                height,
                len: px.len(),
            });
        }
        let frame = Frame {
            w: width as usize,
            h: height as usize,
            px,
        };
        let quad = match (locate(frame), self.last.as_mut()) {
            (Some(quad), last) => {
                if let Some(t) = last {
                    let (cx, cy, side) = centre(&quad);
                    let (lx, ly, ls) = centre(&t.quad);
                    // Far from the last one (another code, or the same re-framed), or
                    // the frames so far were placed by the rougher texture region:
                    // they would not line up with these corners.
                    if (cx - lx).hypot(cy - ly) > ls.max(side) || t.rough {
                        self.frames.clear();
                    }
                }
                self.last = Some(Track::new(frame, quad, false));
                quad
            }
            // Lost (a highlight on a finder pattern, say): follow the code from
            // where it last was, for a few frames.
            (None, Some(t)) if t.age < TRACK_FRAMES => {
                let (dx, dy) = t.patch.find_in(frame);
                t.quad = t.quad.map(|(x, y)| (x + dx, y + dy));
                t.patch = Patch::cut(frame, &t.quad);
                t.age += 1;
                t.quad
            }
            // Never found: zxing-cpp needs all three finder patterns, so a
            // highlight on one hides the code. Take the densest textured region
            // as the code and follow it from there.
            (None, _) => {
                self.reset();
                let Some(quad) = textured_region(frame) else {
                    return Ok(Vec::new());
                };
                self.last = Some(Track::new(frame, quad, true));
                quad
            }
        };
        let img = straighten(frame, &quad);
        let lmax = local_max(&img, 5);
        self.frames.push_back(Straight { img, lmax });
        while self.frames.len() > self.keep {
            self.frames.pop_front();
        }
        if self.frames.len() < 2 {
            return Ok(Vec::new());
        }
        let m = least_glare(&self.frames);
        let mut texts = decode_gray(m.width(), m.height(), m.as_raw())?;
        if texts.is_empty() {
            // A highlight that stays on the code: stretch each neighbourhood to its
            // own darkest and lightest (the modules still show, faintly, in its halo).
            let n = stretch(&m, 6);
            texts = decode_gray(n.width(), n.height(), n.as_raw())?;
        }
        if texts.is_empty() {
            // A blurred code: the noise is averaged out now, so it can be sharpened.
            let n = imageops::unsharpen(&m, 2.0, 0);
            texts = decode_gray(n.width(), n.height(), n.as_raw())?;
        }
        if !texts.is_empty() {
            self.reset();
        }
        Ok(texts)
    }
}

/// Per pixel, the frames' values weighted towards the frames least brightened
/// there (lowest local maximum): a highlight drops out wherever another frame
/// saw that spot without it, and elsewhere the frames average out the noise.
fn least_glare(frames: &VecDeque<Straight>) -> GrayImage {
    let (w, h) = frames[0].img.dimensions();
    let mut out = Vec::with_capacity((w * h) as usize);
    for i in 0..(w * h) as usize {
        let floor = frames.iter().map(|f| f.lmax[i]).min().unwrap_or(0);
        let (mut sum, mut weight) = (0.0f64, 0.0f64);
        for f in frames {
            let k = f64::from(f.lmax[i] - floor) / GLARE_SCALE;
            let wgt = (-k * k).exp();
            sum += wgt * f64::from(f.img.as_raw()[i]);
            weight += wgt;
        }
        out.push((sum / weight).round().clamp(0.0, 255.0) as u8);
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| frames[0].img.clone())
}

/// Local-maximum difference (grey levels) at which a frame's weight falls to 1/e.
const GLARE_SCALE: f64 = 12.0;

/// The brightest value within `r` of each pixel, after a 3x3 mean against noise.
fn local_max(img: &GrayImage, r: u32) -> Vec<u8> {
    let smooth = imageops::blur(img, 1.0);
    let (w, h) = smooth.dimensions();
    let px = smooth.as_raw();
    let rows = minmax_pass(px, w, h, r, true, u8::max);
    minmax_pass(&rows, w, h, r, false, u8::max)
}

/// The code's quad sampled (bilinear) onto a SIDE x SIDE square with a white border.
fn straighten(f: Frame<'_>, q: &Quad) -> GrayImage {
    let m = square_to_quad(q);
    let (w, h) = (f.w, f.h);
    let at = |x: usize, y: usize| f64::from(f.px[y * w + x]);
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
    let pass = |src: &[u8], horizontal: bool, pick: fn(u8, u8) -> u8| {
        minmax_pass(src, w, h, r, horizontal, pick)
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

/// One separable pass of a min or max filter of radius `r`, along rows or columns.
fn minmax_pass(
    src: &[u8],
    w: u32,
    h: u32,
    r: u32,
    horizontal: bool,
    pick: fn(u8, u8) -> u8,
) -> Vec<u8> {
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
    fn the_region_of_interest_is_around_the_code_being_chased() {
        let mut c = FrameCombiner::default();
        assert_eq!(c.region_of_interest(1280, 720, 1280 * 720), None);
        let quad = [
            (600.0, 300.0),
            (700.0, 300.0),
            (700.0, 400.0),
            (600.0, 400.0),
        ];
        let blank = vec![0u8; 16];
        c.last = Some(Track {
            quad,
            patch: Patch::cut(
                Frame {
                    w: 4,
                    h: 4,
                    px: &blank,
                },
                &[(0.0, 0.0); 4],
            ),
            age: 0,
            rough: false,
        });
        assert_eq!(
            c.region_of_interest(1280, 720, 1280 * 720),
            Some((550, 250, 200, 200))
        );
        // Clamped at the frame's edge; none when it would be most of the frame.
        assert_eq!(
            c.region_of_interest(680, 720, 680 * 720),
            Some((550, 250, 130, 200))
        );
        if let Some(t) = c.last.as_mut() {
            t.quad = [(50.0, 50.0), (150.0, 50.0), (150.0, 150.0), (50.0, 150.0)];
        }
        assert_eq!(c.region_of_interest(240, 240, 240 * 240), None);
        assert_eq!(
            c.region_of_interest(640, 480, 640 * 480),
            Some((0, 0, 200, 200))
        );
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
    fn the_combination_keeps_the_frame_without_the_highlight() {
        // Two frames of one spot: ink (30) in one, washed out (250) by a highlight
        // in the other; far from the highlight both agree on paper (200).
        let mut frames = VecDeque::new();
        for glared in [false, true] {
            let img = GrayImage::from_fn(40, 40, |x, y| {
                let ink = (10..20).contains(&x) && (10..20).contains(&y);
                Luma([match (ink, glared && x < 25) {
                    (_, true) => 250,
                    (true, false) => 30,
                    (false, false) => 200,
                }])
            });
            let lmax = local_max(&img, 5);
            frames.push_back(Straight { img, lmax });
        }
        let m = least_glare(&frames);
        assert!(m.get_pixel(15, 15).0[0] < 60, "ink kept");
        assert!(m.get_pixel(35, 35).0[0] == 200, "paper averaged");
    }

    #[test]
    fn a_glared_sequence_reads_combined_when_no_frame_reads_alone() {
        // A ticket whose every frame has a saturated disc over a different part of
        // the code, big enough that no single frame decodes.
        let text = "WK1COMBINEDFRAMESREADWHATNOFRAMEREADSALONE0123456789";
        let code = crate::render::render_gray(text, 4).unwrap();
        let (w, h) = (640u32, 480u32);
        let frames: Vec<GrayImage> = (0..6)
            .map(|t| {
                let (ox, oy) = (150 + 3 * t, 60 + 2 * t);
                let half = f64::from(code.width()) / 2.0;
                let (gx, gy) = (
                    f64::from(ox) + half - 55.0 + 22.0 * f64::from(t),
                    f64::from(oy) + half,
                );
                GrayImage::from_fn(w, h, |x, y| {
                    let v = if x >= ox && y >= oy && x - ox < code.width() && y - oy < code.height()
                    {
                        code.get_pixel(x - ox, y - oy).0[0]
                    } else {
                        120
                    };
                    let d = (f64::from(x) - gx).hypot(f64::from(y) - gy);
                    Luma([if d < 42.0 { 255 } else { v }])
                })
            })
            .collect();
        for f in &frames {
            let alone = decode_gray(w, h, f.as_raw()).unwrap();
            assert!(
                alone.is_empty(),
                "the test needs frames that do not read alone"
            );
        }
        let mut c = FrameCombiner::default();
        let read = frames
            .iter()
            .position(|f| c.decode(w, h, f.as_raw()).unwrap() == vec![text.to_owned()]);
        assert!(read.is_some_and(|i| i >= 1), "read at {read:?}");
    }
}
