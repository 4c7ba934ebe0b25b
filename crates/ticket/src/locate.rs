//! Finding a QR code in a camera frame when no reader decodes it: zxing-cpp's
//! corners of a code it detects but cannot read, else the densest region of
//! two-directional texture, and from there following the code as it moves.

/// A code's corners in frame pixels, in symbol order (top-left, top-right,
/// bottom-right, bottom-left) when zxing-cpp found them.
pub type Quad = [(f64, f64); 4];

/// Frames a lost code is followed before the combiner gives up on it.
pub(crate) const TRACK_FRAMES: u32 = 9;
/// How far (pixels) a code may move between two frames and still be followed.
const TRACK_REACH: i64 = 14;
/// Sampling step of the patch compared when following a code.
const PATCH_STEP: usize = 3;

/// A borrowed camera frame; the caller checked that `px` is `w * h` bytes.
#[derive(Clone, Copy)]
pub(crate) struct Frame<'a> {
    pub(crate) w: usize,
    pub(crate) h: usize,
    pub(crate) px: &'a [u8],
}

/// The corners of a QR code zxing-cpp detects but cannot read, in symbol order
/// (top-left, top-right, bottom-right, bottom-left).
pub(crate) fn locate(f: Frame<'_>) -> Option<Quad> {
    let found = std::panic::catch_unwind(|| {
        let (w, h) = (i32::try_from(f.w).ok()?, i32::try_from(f.h).ok()?);
        let view = zxingcpp::ImageView::from_slice(f.px, w, h, zxingcpp::ImageFormat::Lum).ok()?;
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

/// Centre x, centre y and mean side length of a quad.
pub(crate) fn centre(q: &Quad) -> (f64, f64, f64) {
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

/// Raw pixels sampled every PATCH_STEP px over a code's bounding box.
pub(crate) struct Patch {
    x0: i64,
    y0: i64,
    cols: usize,
    px: Vec<u8>,
}

impl Patch {
    pub(crate) fn cut(f: Frame<'_>, q: &Quad) -> Patch {
        let clampx = |v: f64| (v.max(0.0) as usize).min(f.w - 1);
        let clampy = |v: f64| (v.max(0.0) as usize).min(f.h - 1);
        let (x0, x1) = (
            clampx(q.iter().map(|c| c.0).fold(f64::MAX, f64::min)),
            clampx(q.iter().map(|c| c.0).fold(f64::MIN, f64::max)),
        );
        let (y0, y1) = (
            clampy(q.iter().map(|c| c.1).fold(f64::MAX, f64::min)),
            clampy(q.iter().map(|c| c.1).fold(f64::MIN, f64::max)),
        );
        let cols = (x1 - x0) / PATCH_STEP + 1;
        let mut px = Vec::new();
        for y in (y0..=y1).step_by(PATCH_STEP) {
            for x in (x0..=x1).step_by(PATCH_STEP) {
                px.push(f.px[y * f.w + x]);
            }
        }
        Patch {
            x0: x0 as i64,
            y0: y0 as i64,
            cols,
            px,
        }
    }

    /// The shift (within TRACK_REACH) at which this patch best matches `f`: least
    /// sum of differences, each capped so a moving highlight weighs little.
    pub(crate) fn find_in(&self, f: Frame<'_>) -> (f64, f64) {
        let cost = |dx: i64, dy: i64| -> u64 {
            let mut sum = 0u64;
            for (i, &p) in self.px.iter().enumerate() {
                let x = self.x0 + (i % self.cols * PATCH_STEP) as i64 + dx;
                let y = self.y0 + (i / self.cols * PATCH_STEP) as i64 + dy;
                let v = if x >= 0 && y >= 0 && (x as usize) < f.w && (y as usize) < f.h {
                    f.px[y as usize * f.w + x as usize]
                } else {
                    128
                };
                sum += u64::from(p.abs_diff(v).min(60));
            }
            sum
        };
        // Coarse search every 2 px, then the neighbours of the best.
        let mut best = (u64::MAX, 0, 0);
        for dy in (-TRACK_REACH..=TRACK_REACH).step_by(2) {
            for dx in (-TRACK_REACH..=TRACK_REACH).step_by(2) {
                best = best.min((cost(dx, dy), dx, dy));
            }
        }
        let (_, bx, by) = best;
        for dy in by - 1..=by + 1 {
            for dx in bx - 1..=bx + 1 {
                best = best.min((cost(dx, dy), dx, dy));
            }
        }
        (best.1 as f64, best.2 as f64)
    }
}

/// Downscale factor of the texture map.
const REGION_SCALE: usize = 4;

/// The quad around the largest compact region of fine texture running in two
/// directions (a QR code's modules), on a 4x box-downscaled frame. `None` when no
/// region is large and square enough. Its corners are rough (a module or two)
/// and in no symbol order; readers find the code inside the straightened square.
pub(crate) fn textured_region(f: Frame<'_>) -> Option<Quad> {
    let s = REGION_SCALE;
    let (w, h) = (f.w / s, f.h / s);
    if w < 16 || h < 16 {
        return None;
    }
    let mut small = vec![0u16; w * h];
    for (y, row) in small.chunks_mut(w).enumerate() {
        for (x, v) in row.iter_mut().enumerate() {
            let mut sum = 0u16;
            for yy in y * s..y * s + s {
                for xx in x * s..x * s + s {
                    sum += u16::from(f.px[yy * f.w + xx]);
                }
            }
            *v = sum / (s * s) as u16;
        }
    }
    // Structure tensor over 5x5 windows: its smaller eigenvalue is large only
    // where edges run in two directions (module texture), not along one straight
    // edge (a box, a table) or a highlight's soft rim.
    let mut sums = [
        vec![0f64; (w + 1) * (h + 1)],
        vec![0f64; (w + 1) * (h + 1)],
        vec![0f64; (w + 1) * (h + 1)],
    ];
    for y in 0..h {
        let mut row = [0f64; 3];
        for x in 0..w {
            let v = f64::from(small[y * w + x]);
            let gx = if x + 1 < w {
                f64::from(small[y * w + x + 1]) - v
            } else {
                0.0
            };
            let gy = if y + 1 < h {
                f64::from(small[(y + 1) * w + x]) - v
            } else {
                0.0
            };
            for (k, g) in [gx * gx, gy * gy, gx * gy].into_iter().enumerate() {
                row[k] += g;
                sums[k][(y + 1) * (w + 1) + x + 1] = sums[k][y * (w + 1) + x + 1] + row[k];
            }
        }
    }
    let density: Vec<f64> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let (x0, x1, y0, y1) = (
                x.saturating_sub(2),
                (x + 3).min(w),
                y.saturating_sub(2),
                (y + 3).min(h),
            );
            let [a, c, b] = [0, 1, 2].map(|k| {
                let t = &sums[k];
                t[y1 * (w + 1) + x1] + t[y0 * (w + 1) + x0]
                    - t[y0 * (w + 1) + x1]
                    - t[y1 * (w + 1) + x0]
            });
            (a + c) / 2.0 - (((a - c) / 2.0).powi(2) + b * b).sqrt()
        })
        .collect();
    let mut sorted = density.clone();
    sorted.sort_by(f64::total_cmp);
    let high = sorted[sorted.len() * 99 / 100];
    // Sensor noise alone (a few levels after downscaling) stays far below this.
    let threshold = (high * 0.3).max(25.0 * 40.0);
    // Largest 4-connected component above the threshold.
    let mut label = vec![false; w * h];
    let mut best: Vec<usize> = Vec::new();
    for start in 0..w * h {
        if label[start] || density[start] < threshold {
            continue;
        }
        label[start] = true;
        let mut stack = vec![start];
        let mut comp = Vec::new();
        while let Some(i) = stack.pop() {
            comp.push(i);
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if !label[j] && density[j] >= threshold {
                    label[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        if comp.len() > best.len() {
            best = comp;
        }
    }
    // Too small to be a code, or most of the frame (a textured carpet, say).
    if best.len() < 400 || best.len() * 10 > w * h * 6 {
        return None;
    }
    let n = best.len() as f64;
    // The box search sorts these 90 times: a sample of at most 4096 cells keeps
    // it to a few milliseconds with the same quantiles.
    let stride = best.len().div_ceil(4096);
    let pts: Vec<(f64, f64)> = best
        .iter()
        .step_by(stride)
        .map(|&i| ((i % w) as f64 + 0.5, (i / w) as f64 + 0.5))
        .collect();
    let k = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / k,
        pts.iter().map(|p| p.1).sum::<f64>() / k,
    );
    // The code's axes: the angle (modulo 90 degrees) whose box around the region,
    // trimmed of its outermost 0.5% along each axis, is smallest.
    let q = |v: &[f64], f: f64| v[((v.len() - 1) as f64 * f) as usize];
    let mut us = Vec::with_capacity(pts.len());
    let mut vs = Vec::with_capacity(pts.len());
    let mut tight: Option<(f64, [f64; 4])> = None;
    for k in 0..90 {
        let (sa, ca) = f64::from(k).to_radians().sin_cos();
        us.clear();
        vs.clear();
        us.extend(pts.iter().map(|p| (p.0 - mx) * ca + (p.1 - my) * sa));
        vs.extend(pts.iter().map(|p| -(p.0 - mx) * sa + (p.1 - my) * ca));
        us.sort_by(f64::total_cmp);
        vs.sort_by(f64::total_cmp);
        let b = [q(&us, 0.005), q(&us, 0.995), q(&vs, 0.005), q(&vs, 0.995)];
        let better = tight
            .is_none_or(|(_, t)| (b[1] - b[0]) * (b[3] - b[2]) < (t[1] - t[0]) * (t[3] - t[2]));
        if better {
            tight = Some((f64::from(k).to_radians(), b));
        }
    }
    let (a, [u0, u1, v0, v1]) = tight?;
    let (du, dv) = (u1 - u0, v1 - v0);
    if du.min(dv) / du.max(dv) < 0.6 || n < 0.5 * du * dv {
        return None;
    }
    let sc = s as f64;
    let (sa, ca) = a.sin_cos();
    let corner = |u: f64, v: f64| ((mx + u * ca - v * sa) * sc, (my + u * sa + v * ca) * sc);
    Some([
        corner(u0, v0),
        corner(u1, v0),
        corner(u1, v1),
        corner(u0, v1),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    /// A 640x480 frame: a gradient, a large dark box with straight edges, and a
    /// ticket code at (ox, oy) with a saturated disc over its top-left finder.
    fn scene(ox: u32, oy: u32) -> (GrayImage, u32) {
        let code = crate::render::render_gray("WK1FINDTHECODEBYITSTEXTURE", 4).unwrap();
        let img = GrayImage::from_fn(640, 480, |x, y| {
            if x >= ox && y >= oy && x - ox < code.width() && y - oy < code.height() {
                let d = (f64::from(x - ox) - 44.0).hypot(f64::from(y - oy) - 44.0);
                return Luma([if d < 36.0 {
                    255
                } else {
                    code.get_pixel(x - ox, y - oy).0[0]
                }]);
            }
            if (400..600).contains(&x) && (250..450).contains(&y) {
                return Luma([20]);
            }
            Luma([(80 + x / 8) as u8])
        });
        (img, code.width())
    }

    fn frame(img: &GrayImage) -> Frame<'_> {
        Frame {
            w: img.width() as usize,
            h: img.height() as usize,
            px: img.as_raw(),
        }
    }

    #[test]
    fn a_code_zxing_cannot_locate_is_found_by_its_texture() {
        let (img, side) = scene(120, 90);
        assert!(
            locate(frame(&img)).is_none(),
            "the highlight hides a finder"
        );
        let q = textured_region(frame(&img)).expect("a region");
        let (cx, cy, found) = centre(&q);
        let mid = f64::from(side) / 2.0;
        assert!(
            (cx - 120.0 - mid).abs() < 12.0 && (cy - 90.0 - mid).abs() < 12.0,
            "{q:?}"
        );
        assert!(
            (found - f64::from(side)).abs() < 0.2 * f64::from(side),
            "{found} vs {side}"
        );
        // A frame of flat light and straight edges has no code.
        let boxes = GrayImage::from_fn(640, 480, |x, y| {
            Luma([if x < 300 && y < 200 { 30 } else { 200 }])
        });
        assert!(textured_region(frame(&boxes)).is_none());
    }

    #[test]
    fn a_followed_code_is_found_where_it_moved() {
        let (a, side) = scene(120, 90);
        let (b, _) = scene(129, 84);
        let s = f64::from(side);
        let q = [
            (120.0, 90.0),
            (120.0 + s, 90.0),
            (120.0 + s, 90.0 + s),
            (120.0, 90.0 + s),
        ];
        let patch = Patch::cut(frame(&a), &q);
        assert_eq!(patch.find_in(frame(&b)), (9.0, -6.0));
        assert_eq!(patch.find_in(frame(&a)), (0.0, 0.0));
    }
}
