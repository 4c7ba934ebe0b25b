//! `wicket export`: a date range of sales, items, redemptions, sessions or totals as CSV or xlsx.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use wicket_device::Replica;
use wicket_device::export::{ExportFormat, ExportKind};

/// A UTC day (`YYYY-MM-DD`) as the unix second it starts, or plain unix seconds.
fn day_start(s: &str) -> anyhow::Result<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), fmt)
        .with_context(|| format!("{s:?} is not a date (YYYY-MM-DD) or unix seconds"))?;
    Ok(d.midnight().assume_utc().unix_timestamp())
}

/// The range `[from, to)`: a `--to` day is included whole.
pub fn range(from: &str, to: &str) -> anyhow::Result<(i64, i64)> {
    let start = day_start(from)?;
    let end = match to.parse::<i64>() {
        Ok(n) => n,
        Err(_) => day_start(to)? + 86_400,
    };
    Ok((start, end))
}

pub fn run(
    r: &Replica,
    kind: &str,
    (from, to): (&str, &str),
    format: &str,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let kind: ExportKind = kind.parse()?;
    let format: ExportFormat = format.parse()?;
    let (start, end) = range(from, to)?;
    let table = r.export(kind, start, end)?;
    let bytes = table.encode(format, kind.as_str())?;
    match out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "{} {} rows → {}",
                table.rows.len(),
                kind.as_str(),
                path.display()
            );
        }
        None if format == ExportFormat::Xlsx => {
            anyhow::bail!("an xlsx workbook is binary: name a file with --out")
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn days_are_utc_and_the_last_is_whole() {
        assert_eq!(
            range("2026-12-01", "2026-12-01").unwrap(),
            (1_796_083_200, 1_796_169_600)
        );
        assert_eq!(range("10", "20").unwrap(), (10, 20));
        assert!(range("1 Dec", "2026-12-01").is_err());
    }
}
