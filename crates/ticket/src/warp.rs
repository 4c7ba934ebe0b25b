//! Gently warped copies of an image, for a code printed on cloth or a creased
//! page: its module rows bend a little, and the readers assume straight rows. A
//! sine-wave displacement along or across each axis that happens to undo part of
//! the bend lets a reader sample the grid again.

use std::f64::consts::{PI, TAU};

/// Largest side the warped copies are made at (a larger image is downscaled
/// first, so the search stays well under a second).
pub(crate) const WARP_MAX_SIDE: u32 = 640;

/// One displacement: `axis` 0..4 picks which coordinate moves and what it
/// varies with (x along y, x along x, y along x, y along y); amplitude and
/// period are fractions of the short side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Warp {
    axis: u8,
    amplitude: f64,
    period: f64,
    phase: f64,
}

/// The search, in order: 4 axes x 3 amplitudes (0.4–0.8% of the short side) x 3
/// periods (1/4–1/2 of it) x 8 phases = 288 copies. On the zxing-cpp samples
/// the creased-cloth photos that read do so at several neighbouring settings.
pub(crate) fn warps() -> impl Iterator<Item = Warp> {
    (0..4u8).flat_map(|axis| {
        [0.004, 0.006, 0.008]
            .into_iter()
            .flat_map(move |amplitude| {
                [0.25, 0.375, 0.5].into_iter().flat_map(move |period| {
                    (0..8).map(move |k| Warp {
                        axis,
                        amplitude,
                        period,
                        phase: f64::from(k) * PI / 4.0,
                    })
                })
            })
    })
}

/// `px` (w x h, row-major) resampled under `warp`, linear along the moved axis.
pub(crate) fn apply(w: usize, h: usize, px: &[u8], warp: Warp) -> Vec<u8> {
    let side = w.min(h) as f64;
    let (a, period) = (warp.amplitude * side, warp.period * side);
    let shift = |t: usize| a * (TAU * t as f64 / period + warp.phase).sin();
    let along = |v: f64, n: usize| v.clamp(0.0, (n - 1) as f64);
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = match warp.axis {
                0 => (along(x as f64 + shift(y), w), y as f64),
                1 => (along(x as f64 + shift(x), w), y as f64),
                2 => (x as f64, along(y as f64 + shift(x), h)),
                _ => (x as f64, along(y as f64 + shift(y), h)),
            };
            out[y * w + x] = if warp.axis < 2 {
                lerp(
                    px[y * w + sx as usize],
                    px[y * w + (sx as usize + 1).min(w - 1)],
                    sx.fract(),
                )
            } else {
                lerp(
                    px[sy as usize * w + x],
                    px[(sy as usize + 1).min(h - 1) * w + x],
                    sy.fract(),
                )
            };
        }
    }
    out
}

fn lerp(a: u8, b: u8, t: f64) -> u8 {
    (f64::from(a) * (1.0 - t) + f64::from(b) * t)
        .round()
        .clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_has_288_warps_and_a_warp_only_moves_pixels() {
        assert_eq!(warps().count(), 288);
        // A vertical stripe pattern shifted along x by up to 0.8% of 100 px.
        let (w, h) = (100, 100);
        let px: Vec<u8> = (0..w * h)
            .map(|i| if (i % w) / 10 % 2 == 0 { 0 } else { 255 })
            .collect();
        for warp in warps() {
            let out = apply(w, h, &px, warp);
            assert_eq!(out.len(), px.len());
            // Far from a stripe edge, nothing changes.
            assert_eq!(out[50 * w + 5], 0, "{warp:?}");
            assert_eq!(out[50 * w + 15], 255, "{warp:?}");
        }
    }
}
