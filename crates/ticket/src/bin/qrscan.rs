//! QR decode benchmark over image files.
//!
//! `qrscan FILE...` prints `path<TAB>text<TAB>ms` per file, with tabs, newlines and
//! backslashes in the path and text escaped (`\t`, `\n`, `\r`, `\\`) so each file
//! stays on one line; `--json` prints one JSON object per line instead. `qrscan --corpus DIR`
//! scores every image under DIR against its sibling `.txt` and ends with
//! `decoded N/M, median X ms, p95 Y ms`. Times cover QR decoding only, not reading
//! the file or decompressing the image format.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use wicket_ticket::decode::{ALL_STEPS, IMAGE_CASCADE, Scan, Step, decode_gray_with, load_gray};

#[derive(Parser)]
#[command(about = "Decode QR codes in image files and time the cascade")]
struct Args {
    /// Image files (PNG, JPEG, WebP) to decode.
    files: Vec<PathBuf>,
    /// Score every image under this directory against its sibling .txt file.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Comma-separated cascade steps to run instead of the default (for ablation);
    /// names as printed in the per-step summary, or "all".
    #[arg(long, value_delimiter = ',')]
    steps: Vec<String>,
    /// One JSON object per file and line: `{"path", "text", "ms"}` (`text` null
    /// when nothing was read, with `error`).
    #[arg(long)]
    json: bool,
}

/// A field of the tab-separated output: one line whatever the text holds.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn main() -> ExitCode {
    let args = Args::parse();
    let cascade = match cascade_from(&args.steps) {
        Ok(c) => c,
        Err(name) => {
            eprintln!("unknown step {name:?}; known: all, {}", names(ALL_STEPS));
            return ExitCode::from(2);
        }
    };
    if args.files.is_empty() && args.corpus.is_none() {
        eprintln!("give image files or --corpus DIR");
        return ExitCode::from(2);
    }
    for path in &args.files {
        let shown = path.display().to_string();
        match scan_file(&cascade, path) {
            Ok((scan, ms)) => {
                let text = scan.texts.first().map(String::as_str);
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"path": shown, "text": text, "ms": ms})
                    );
                } else {
                    println!(
                        "{}\t{}\t{ms:.3}",
                        escape(&shown),
                        escape(text.unwrap_or(""))
                    );
                }
            }
            Err(e) => {
                eprintln!("{shown}: {e}");
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"path": shown, "text": null, "error": e.to_string()})
                    );
                } else {
                    println!("{}\t\t", escape(&shown));
                }
            }
        }
    }
    if let Some(dir) = &args.corpus {
        return run_corpus(&cascade, dir);
    }
    ExitCode::SUCCESS
}

fn names(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn cascade_from(names: &[String]) -> Result<Vec<Step>, String> {
    if names.is_empty() {
        return Ok(IMAGE_CASCADE.to_vec());
    }
    if names.len() == 1 && names[0] == "all" {
        return Ok(ALL_STEPS.to_vec());
    }
    names
        .iter()
        .map(|n| {
            ALL_STEPS
                .iter()
                .copied()
                .find(|s| s.name() == n.trim())
                .ok_or_else(|| n.clone())
        })
        .collect()
}

/// Reads and decodes one file; the time is for the QR cascade alone.
fn scan_file(cascade: &[Step], path: &Path) -> Result<(Scan, f64), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let img = load_gray(&bytes).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let scan = decode_gray_with(cascade, img.width(), img.height(), img.as_raw())
        .map_err(|e| e.to_string())?;
    Ok((scan, start.elapsed().as_secs_f64() * 1000.0))
}

fn is_image(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("png" | "jpg" | "jpeg" | "webp")
    )
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_image(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Value at quantile `q` of sorted `v` (nearest rank).
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let idx = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    v[idx]
}

fn run_corpus(cascade: &[Step], dir: &Path) -> ExitCode {
    let mut images = Vec::new();
    if let Err(e) = walk(dir, &mut images) {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    images.sort();
    let (mut ok, mut total, mut wrong) = (0usize, 0usize, 0usize);
    let mut times = Vec::new();
    let mut by_step = vec![0usize; cascade.len()];
    for path in &images {
        // Expectation is the sibling .txt; zxing's *.result.txt files never match an
        // image stem with this rule (their stem ends in ".result").
        let Ok(expected) = std::fs::read_to_string(path.with_extension("txt")) else {
            eprintln!("skip (no .txt): {}", path.display());
            continue;
        };
        total += 1;
        match scan_file(cascade, path) {
            Ok((scan, ms)) => {
                times.push(ms);
                if scan.texts.iter().any(|t| t.trim() == expected.trim()) {
                    ok += 1;
                    if let Some(i) = scan.step.and_then(|s| cascade.iter().position(|&c| c == s)) {
                        by_step[i] += 1;
                    }
                } else {
                    // Text that is not the expected one: a misread, worse than none.
                    wrong += usize::from(!scan.texts.is_empty());
                    let got = scan.texts.first().map(String::as_str).unwrap_or("");
                    let shown: String = got.chars().take(40).collect();
                    eprintln!("FAIL {}\tgot {:?} ({ms:.1} ms)", path.display(), shown);
                }
            }
            Err(e) => eprintln!("FAIL {}\t{e}", path.display()),
        }
    }
    for (step, n) in cascade.iter().zip(&by_step) {
        eprintln!("  {:<16} {n}", step.name());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "decoded {ok}/{total}, median {:.2} ms, p95 {:.2} ms, wrong texts {wrong}",
        quantile(&times, 0.5),
        quantile(&times, 0.95)
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn a_multi_line_text_stays_on_one_line() {
        let t = "line 1\nline\t2\r\\end";
        let e = escape(t);
        assert!(!e.contains('\n') && !e.contains('\t') && !e.contains('\r'));
        assert_eq!(e, "line 1\\nline\\t2\\r\\\\end");
        assert_eq!(escape("WK1ABC"), "WK1ABC");
    }
}
