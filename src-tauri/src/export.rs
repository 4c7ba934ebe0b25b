//! Files the app saves for managers: date-range exports (CSV or xlsx) and claim
//! code sheets (PDF or CSV), written into the export folder.

use std::path::PathBuf;

use tauri::State;
use wicket_device::claim_sheet_pdf::{self, ClaimCode, ClaimCodesFormat};
use wicket_device::export::{ExportFormat, ExportKind};
use wicket_domain::{Action, Timestamp};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where a saved file went and how many rows it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub path: String,
    pub rows: usize,
}

fn target(state: &AppState, name: &str) -> AppResult<PathBuf> {
    let dir = state.export_dir();
    std::fs::create_dir_all(dir).map_err(|e| AppError::new("export_failed", e.to_string()))?;
    Ok(dir.join(name))
}

fn write(path: &std::path::Path, bytes: &[u8]) -> AppResult<()> {
    std::fs::write(path, bytes).map_err(|e| AppError::new("export_failed", e.to_string()))
}

/// Export `kind` dated in `[from, to)` (unix seconds) as `format` (csv, xlsx).
#[tauri::command]
pub fn export(
    state: State<'_, AppState>,
    kind: String,
    from: Timestamp,
    to: Timestamp,
    format: String,
) -> AppResult<Saved> {
    let kind: ExportKind = kind.parse()?;
    let format: ExportFormat = format.parse()?;
    let table = state.lock().replica.export(kind, from, to)?;
    let bytes = table.encode(format, kind.as_str())?;
    let ext = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    };
    let path = target(
        &state,
        &format!("wicket-{}-{from}-{to}.{ext}", kind.as_str()),
    )?;
    write(&path, &bytes)?;
    Ok(Saved {
        path: path.display().to_string(),
        rows: table.rows.len(),
    })
}

/// Save claim codes head office made for `product` as a PDF sheet of QR codes or
/// as CSV (`format`: pdf, csv).
#[tauri::command]
pub fn save_claim_codes(
    state: State<'_, AppState>,
    product: String,
    codes: Vec<ClaimCode>,
    format: String,
) -> AppResult<Saved> {
    state.lock().require(Action::Manage, "claim codes")?;
    if codes.is_empty() || codes.len() > 10_000 {
        return Err(AppError::invalid("between 1 and 10000 claim codes"));
    }
    let kind: ClaimCodesFormat = format.parse()?;
    let stamp = state.lock().replica.now();
    let path = target(&state, &format!("wicket-claim-codes-{stamp}.{format}"))?;
    claim_sheet_pdf::save_claim_codes(&path, &product, &codes, kind)?;
    Ok(Saved {
        path: path.display().to_string(),
        rows: codes.len(),
    })
}
