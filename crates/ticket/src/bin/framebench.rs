//! Camera-frame decode benchmark: synthesises 1280x720 grayscale frames, each with
//! a real signed ticket QR under one perturbation, decodes them with the default
//! cascade and prints success per perturbation plus median / p95 decode time.
//! Deterministic: fixed key, fixed PRNG seeds, no files.
#![forbid(unsafe_code)]

use std::time::Instant;

use clap::Parser;
use image::{GrayImage, Luma, imageops};
use qrcode::Color;
use wicket_ticket::decode::{ALL_STEPS, DEFAULT_CASCADE, Step, decode_gray_with};
use wicket_ticket::sequence::FrameCombiner;
use wicket_ticket::{SigningKey, TicketClaims, parse, render, sign};

const W: u32 = 1280;
const H: u32 = 720;

#[derive(Parser)]
#[command(about = "Decode synthetic camera frames holding a ticket QR")]
struct Args {
    /// Frames per perturbation.
    #[arg(long, default_value_t = 20)]
    frames: u32,
    /// A decoder set to compare, NAME=step,step,... (repeat); default: zxing-cpp,
    /// rxing and rqrr alone, the cascade before zxing-cpp, and the door's cascade.
    #[arg(long = "cascade")]
    cascades: Vec<String>,
    /// Door-camera sequences of 10 frames (a drifting code, a sliding highlight),
    /// decoded by the door's cascade frame by frame.
    #[arg(long, default_value_t = 50)]
    sequences: usize,
    /// Sign the ticket without an event id (a shorter token: what a smaller QR
    /// version buys).
    #[arg(long)]
    no_event: bool,
    /// Write the frames of every sequence the combined decoding missed into this
    /// directory (`SEQ_FRAME.png`), to look at or to try a decoder on.
    #[arg(long)]
    dump_missed: Option<std::path::PathBuf>,
    /// Another set of frames: mixed into every perturbation's PRNG seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The cascades to compare, by name.
fn cascades(args: &[String]) -> Result<Vec<(String, Vec<Step>)>, String> {
    let step = |n: &str| {
        ALL_STEPS
            .iter()
            .copied()
            .find(|s| s.name() == n.trim())
            .ok_or_else(|| format!("unknown step {n:?}"))
    };
    if args.is_empty() {
        return Ok(vec![
            ("zxing-cpp".into(), vec![Step::Zxing]),
            ("rxing".into(), vec![Step::Rxing]),
            ("rqrr".into(), vec![Step::Rqrr]),
            (
                "old cascade".into(),
                vec![
                    Step::Rxing,
                    Step::DownscaleRxing,
                    Step::Rqrr,
                    Step::ThresholdRqrr,
                    Step::ThresholdRxing,
                ],
            ),
            ("door cascade".into(), DEFAULT_CASCADE.to_vec()),
        ]);
    }
    args.iter()
        .map(|a| {
            let (name, steps) = a
                .split_once('=')
                .ok_or_else(|| format!("{a:?}: NAME=steps"))?;
            let steps = steps.split(',').map(step).collect::<Result<Vec<_>, _>>()?;
            Ok((name.to_string(), steps))
        })
        .collect()
}

/// xorshift64*: tiny deterministic PRNG so the frames are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

#[derive(Clone, Copy, Debug)]
enum Perturbation {
    Clean,
    Rotation,
    Perspective,
    Blur,
    Glare,
    LowContrast,
    Noise,
    /// The code far from the lens: 2–3 px per module in the 1280x720 frame.
    SmallCode,
    /// A phone screen filmed: a fine diagonal grating over the code (moiré),
    /// dimmer blacks and a slight blur.
    ScreenMoire,
}

const ALL: [Perturbation; 9] = [
    Perturbation::Clean,
    Perturbation::Rotation,
    Perturbation::Perspective,
    Perturbation::Blur,
    Perturbation::Glare,
    Perturbation::LowContrast,
    Perturbation::Noise,
    Perturbation::SmallCode,
    Perturbation::ScreenMoire,
];

/// 3x3 homography mapping the unit square onto a quad (projective, row-major).
type Mat = [f64; 9];

/// Square-to-quad homography for corners in order (0,0), (1,0), (1,1), (0,1).
fn square_to_quad(q: [(f64, f64); 4]) -> Mat {
    wicket_ticket::locate::square_to_quad(&q)
}

/// Inverse up to scale (adjugate), enough for projective mapping.
fn adjugate(m: Mat) -> Mat {
    let [a, b, c, d, e, f, g, h, i] = m;
    [
        e * i - f * h,
        c * h - b * i,
        b * f - c * e,
        f * g - d * i,
        a * i - c * g,
        c * d - a * f,
        d * h - e * g,
        b * g - a * h,
        a * e - b * d,
    ]
}

fn apply(m: &Mat, x: f64, y: f64) -> (f64, f64) {
    let w = m[6] * x + m[7] * y + m[8];
    (
        (m[0] * x + m[1] * y + m[2]) / w,
        (m[3] * x + m[4] * y + m[5]) / w,
    )
}

/// Draws one frame: textured background, the code (with quiet zone) mapped onto a
/// quad, then the perturbation's image-level effect.
fn frame(modules: &[Color], n: usize, p: Perturbation, rng: &mut Rng) -> GrayImage {
    placed(modules, n, p, rng).0
}

/// A frame and where its code sits: centre x, centre y and side in pixels.
fn placed(
    modules: &[Color],
    n: usize,
    p: Perturbation,
    rng: &mut Rng,
) -> (GrayImage, f64, f64, f64) {
    let (ink, paper) = match p {
        Perturbation::LowContrast => (105.0, 150.0),
        Perturbation::ScreenMoire => (rng.range(45.0, 70.0), rng.range(200.0, 245.0)),
        _ => (rng.range(20.0, 50.0), rng.range(190.0, 235.0)),
    };
    // Background: lighting gradient plus a few darker blocks (desk, hands, clutter).
    let (g0, gx, gy) = (
        rng.range(60.0, 140.0),
        rng.range(-0.05, 0.05),
        rng.range(-0.05, 0.05),
    );
    let mut img = GrayImage::from_fn(W, H, |x, y| {
        Luma([(g0 + gx * f64::from(x) + gy * f64::from(y)).clamp(0.0, 255.0) as u8])
    });
    for _ in 0..6 {
        let (x, y) = (
            rng.range(0.0, f64::from(W)) as u32,
            rng.range(0.0, f64::from(H)) as u32,
        );
        let (w, h) = (rng.range(40.0, 300.0) as u32, rng.range(40.0, 300.0) as u32);
        let v = rng.range(0.0, 255.0) as u8;
        for yy in y..(y + h).min(H) {
            for xx in x..(x + w).min(W) {
                img.put_pixel(xx, yy, Luma([v]));
            }
        }
    }

    let total = (n + 8) as f64; // modules including the 4-module quiet zone each side
    let module_px = match p {
        Perturbation::SmallCode => rng.range(2.2, 3.0),
        _ => rng.range(4.0, 7.0),
    };
    let side = total * module_px;
    let angle = match p {
        Perturbation::Rotation => rng.range(0.0, 360.0),
        _ => rng.range(-8.0, 8.0),
    }
    .to_radians();
    let (cx, cy) = (
        rng.range(side / 2.0 + 20.0, f64::from(W) - side / 2.0 - 20.0),
        rng.range(side / 2.0 + 20.0, f64::from(H) - side / 2.0 - 20.0),
    );
    let (s, c) = angle.sin_cos();
    let jitter = if matches!(p, Perturbation::Perspective) {
        0.18 * side
    } else {
        0.0
    };
    let mut corners = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map(|(u, v)| {
        let (x, y) = (u * side, v * side);
        (cx + c * x - s * y, cy + s * x + c * y)
    });
    for corner in &mut corners {
        corner.0 += rng.range(-jitter, jitter);
        corner.1 += rng.range(-jitter, jitter);
    }
    let inv = adjugate(square_to_quad(corners));
    let min_x = corners
        .iter()
        .map(|c| c.0)
        .fold(f64::MAX, f64::min)
        .max(0.0) as u32;
    let max_x = corners
        .iter()
        .map(|c| c.0)
        .fold(f64::MIN, f64::max)
        .min(f64::from(W - 1)) as u32;
    let min_y = corners
        .iter()
        .map(|c| c.1)
        .fold(f64::MAX, f64::min)
        .max(0.0) as u32;
    let max_y = corners
        .iter()
        .map(|c| c.1)
        .fold(f64::MIN, f64::max)
        .min(f64::from(H - 1)) as u32;
    for y in min_y..=max_y {
        for x in min_x..=max_x {
            // 2x2 supersampling for anti-aliased module edges, as a lens gives.
            let (mut sum, mut hits) = (0.0, 0);
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = apply(&inv, f64::from(x) + ox, f64::from(y) + oy);
                if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                    continue;
                }
                let (mx, my) = ((u * total) as usize, (v * total) as usize);
                let dark = (4..4 + n).contains(&mx)
                    && (4..4 + n).contains(&my)
                    && modules[(my - 4) * n + (mx - 4)] == Color::Dark;
                sum += if dark { ink } else { paper };
                hits += 1;
            }
            if hits > 0 {
                let bg = f64::from(img.get_pixel(x, y).0[0]);
                let v = (sum + bg * f64::from(4 - hits)) / 4.0;
                img.put_pixel(x, y, Luma([v as u8]));
            }
        }
    }

    match p {
        Perturbation::Blur => img = imageops::blur(&img, rng.range(1.5, 2.5) as f32),
        Perturbation::Glare => {
            // Soft saturated highlight over part of the code, like a lamp on a phone.
            let (gx, gy) = (
                cx + rng.range(-0.3, 0.3) * side,
                cy + rng.range(-0.3, 0.3) * side,
            );
            let r = rng.range(0.10, 0.18) * side;
            glare(&mut img, gx, gy, r);
        }
        Perturbation::ScreenMoire => {
            // The screen's pixel grid beating against the camera's: a grating of
            // 2.5–4 px at an angle, 20–35% deep, then the lens softens it.
            let period = rng.range(2.5, 4.0);
            let depth = rng.range(0.20, 0.35);
            let (s, c) = rng.range(0.0, std::f64::consts::PI).sin_cos();
            for (x, y, px) in img.enumerate_pixels_mut() {
                let phase = (f64::from(x) * c + f64::from(y) * s) / period;
                let k = 1.0 - depth * (0.5 + 0.5 * (phase * std::f64::consts::TAU).sin());
                px.0[0] = (f64::from(px.0[0]) * k).clamp(0.0, 255.0) as u8;
            }
            img = imageops::blur(&img, 0.8);
        }
        Perturbation::Noise => {
            for px in img.pixels_mut() {
                // Sum of uniforms approximates Gaussian sensor noise, sigma ~ 17.
                let n: f64 = (0..3).map(|_| rng.range(-30.0, 30.0)).sum();
                px.0[0] = (f64::from(px.0[0]) + n).clamp(0.0, 255.0) as u8;
            }
        }
        _ => {}
    }
    (img, cx, cy, side)
}

/// A soft saturated highlight of radius `r` at (gx, gy), fading out to 2r.
fn glare(img: &mut GrayImage, gx: f64, gy: f64, r: f64) {
    for (x, y, px) in img.enumerate_pixels_mut() {
        let d = ((f64::from(x) - gx).powi(2) + (f64::from(y) - gy).powi(2)).sqrt() / r;
        if d < 2.0 {
            let a = if d < 1.0 { 1.0 } else { 2.0 - d };
            let v = f64::from(px.0[0]) * (1.0 - a) + 255.0 * a;
            px.0[0] = v as u8;
        }
    }
}

/// Frames of one door-camera sequence: the code drifting a few pixels a frame,
/// a highlight sliding across it, fresh sensor noise in each frame.
fn sequence(modules: &[Color], n: usize, len: usize, rng: &mut Rng) -> Vec<GrayImage> {
    let base = match rng.next() % 3 {
        0 => Perturbation::Clean,
        1 => Perturbation::Blur,
        _ => Perturbation::LowContrast,
    };
    let (img, cx, cy, side) = placed(modules, n, base, rng);
    let (vx, vy) = (rng.range(-5.0, 5.0), rng.range(-3.0, 3.0));
    let (mut gx, mut gy) = (
        cx + rng.range(-0.25, 0.25) * side,
        cy + rng.range(-0.25, 0.25) * side,
    );
    let (gvx, gvy) = (rng.range(-0.06, 0.06) * side, rng.range(-0.06, 0.06) * side);
    let r = rng.range(0.12, 0.20) * side;
    (0..len)
        .map(|t| {
            let (dx, dy) = ((vx * t as f64) as i64, (vy * t as f64) as i64);
            let mut f = GrayImage::from_fn(W, H, |x, y| {
                let (sx, sy) = (i64::from(x) - dx, i64::from(y) - dy);
                if (0..i64::from(W)).contains(&sx) && (0..i64::from(H)).contains(&sy) {
                    *img.get_pixel(sx as u32, sy as u32)
                } else {
                    Luma([90])
                }
            });
            glare(&mut f, gx + dx as f64, gy + dy as f64, r);
            gx += gvx;
            gy += gvy;
            for px in f.pixels_mut() {
                let noise = rng.range(-10.0, 10.0) + rng.range(-10.0, 10.0);
                px.0[0] = (f64::from(px.0[0]) + noise).clamp(0.0, 255.0) as u8;
            }
            f
        })
        .collect()
}

fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let idx = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    v[idx]
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let key = SigningKey::from_bytes(&[7; 32]);
    let claims = TicketClaims {
        product_id: uuid::Uuid::from_u128(0x5eed_0001),
        item_uuid: uuid::Uuid::from_u128(0x5eed_0002),
        item_id: 123_456,
        event_id: (!args.no_event).then(|| uuid::Uuid::from_u128(0x5eed_0003)),
        valid_from: 1_767_225_600,
        valid_until: 1_767_312_000,
    };
    let token = sign(&claims, &key).map_err(|e| e.to_string())?;
    let code = render::qr_code(&token).map_err(|e| e.to_string())?;
    let (modules, n) = (code.to_colors(), code.width());
    println!(
        "token {} chars, QR {:?} ({n} modules)",
        token.len(),
        code.version()
    );

    let sets = cascades(&args.cascades)?;
    // The same frames for every decoder set.
    let frames: Vec<Vec<GrayImage>> = ALL
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15
                ^ (i as u64 + 1).wrapping_mul(0x1234_5678_9ABC_DEF1)
                ^ args.seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
            (0..args.frames)
                .map(|_| frame(&modules, n, p, &mut rng))
                .collect()
        })
        .collect();
    print!("{:<12}", "frames");
    for (name, _) in &sets {
        print!(" | {name:>24}");
    }
    println!();
    let mut totals: Vec<(usize, Vec<f64>)> = vec![(0, Vec::new()); sets.len()];
    for (p, imgs) in ALL.into_iter().zip(&frames) {
        print!("{:<12}", format!("{p:?}"));
        for (k, (_, steps)) in sets.iter().enumerate() {
            let mut times = Vec::new();
            let mut ok = 0;
            for img in imgs {
                let start = Instant::now();
                let scan = decode_gray_with(steps, img.width(), img.height(), img.as_raw())
                    .map_err(|e| e.to_string())?;
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                let good = scan.texts.iter().any(|t| {
                    parse(t)
                        .is_ok_and(|st| st.verify(&key.verifying_key()).is_ok_and(|c| *c == claims))
                });
                ok += usize::from(good);
            }
            totals[k].0 += ok;
            totals[k].1.extend_from_slice(&times);
            times.sort_by(f64::total_cmp);
            print!(
                " | {ok:>3}/{:<3} {:>6.2} {:>6.2} ms",
                args.frames,
                quantile(&times, 0.5),
                quantile(&times, 0.95)
            );
        }
        println!();
    }
    let n_all = ALL.len() * args.frames as usize;
    print!("{:<12}", "overall");
    for (ok, times) in &mut totals {
        times.sort_by(f64::total_cmp);
        print!(
            " | {ok:>3}/{n_all:<3} {:>6.2} {:>6.2} ms",
            quantile(times, 0.5),
            quantile(times, 0.95)
        );
    }
    println!();
    println!("(each cell: frames read, median and p95 decode time)");

    // Sequences: how many frames until the door reads the code, frame by frame
    // and with the frames combined (the door's camera path).
    let mut rng = Rng(0x0005_E90E_4CE5 ^ args.seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let seqs: Vec<Vec<GrayImage>> = (0..args.sequences)
        .map(|_| sequence(&modules, n, 10, &mut rng))
        .collect();
    let good = |texts: &[String]| {
        texts.iter().any(|t| {
            parse(t).is_ok_and(|st| st.verify(&key.verifying_key()).is_ok_and(|c| *c == claims))
        })
    };
    for combined in [false, true] {
        let (mut within, mut frames_used, mut times) = (0, 0usize, Vec::new());
        for (si, seq) in seqs.iter().enumerate() {
            let mut combiner = FrameCombiner::default();
            let mut read = false;
            for (t, img) in seq.iter().enumerate() {
                let start = Instant::now();
                let texts = if combined {
                    combiner.decode(img.width(), img.height(), img.as_raw())
                } else {
                    decode_gray_with(DEFAULT_CASCADE, img.width(), img.height(), img.as_raw())
                        .map(|s| s.texts)
                }
                .map_err(|e| e.to_string())?;
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                if good(&texts) {
                    within += 1;
                    frames_used += t + 1;
                    read = true;
                    break;
                }
            }
            if let (false, true, Some(dir)) = (read, combined, &args.dump_missed) {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                for (t, img) in seq.iter().enumerate() {
                    img.save(dir.join(format!("{si:03}_{t}.png")))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        times.sort_by(f64::total_cmp);
        if args.sequences > 0 {
            println!(
                "sequences, {:<15}: {within}/{} read within 10 frames ({:.1}%), first read at frame {:.2} on average, median {:.2} ms p95 {:.2} ms a frame",
                if combined {
                    "frames combined"
                } else {
                    "frame by frame"
                },
                args.sequences,
                100.0 * within as f64 / args.sequences as f64,
                frames_used as f64 / within.max(1) as f64,
                quantile(&times, 0.5),
                quantile(&times, 0.95)
            );
        }
    }
    Ok(())
}
