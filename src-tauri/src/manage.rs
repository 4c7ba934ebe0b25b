//! Management screens' commands: the signed-in manager or admin signs in at head
//! office with their PIN, then the screens make head office API requests as them.
//! Online only; head office decides every act (403 for a role that may not).

use serde::Serialize;
use serde_json::Value;
use tauri::State;
use wicket_domain::{Action, Role};
use wicket_protocol::StaffToken;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where the management sign-in stands, for the screens.
#[derive(Debug, Clone, Serialize)]
pub struct ManageStatus {
    /// Signed in at head office as the member signed in here.
    pub signed_in: bool,
    pub role: Option<Role>,
    pub expires_at: Option<i64>,
    /// Enrolled with a head office (management needs one, and the network).
    pub enrolled: bool,
}

/// The live head office sign-in of the member signed in here, if any.
fn current(state: &AppState) -> AppResult<Option<StaffToken>> {
    let (staff, now) = {
        let s = state.lock();
        (s.require(Action::Manage, "management")?.id, s.replica.now())
    };
    let t = state
        .manage_token
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(t.filter(|t| t.staff_id == staff && t.expires_at > now))
}

#[tauri::command]
pub fn manage_status(state: State<'_, AppState>) -> AppResult<ManageStatus> {
    let t = current(&state)?;
    Ok(ManageStatus {
        signed_in: t.is_some(),
        role: t.as_ref().map(|t| t.role),
        expires_at: t.as_ref().map(|t| t.expires_at),
        enrolled: state.engine().is_some(),
    })
}

/// Sign the member signed in here in at head office with their PIN.
#[tauri::command]
pub async fn manage_sign_in(state: State<'_, AppState>, pin: String) -> AppResult<ManageStatus> {
    state.lock().require(Action::Manage, "management")?;
    let engine = state.engine().ok_or_else(|| {
        AppError::new(
            "not_enrolled",
            "management needs a head office: enroll this device first",
        )
    })?;
    let token = engine.manage_sign_in(pin.trim()).await?;
    let status = ManageStatus {
        signed_in: true,
        role: Some(token.role),
        expires_at: Some(token.expires_at),
        enrolled: true,
    };
    *state.manage_token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
    Ok(status)
}

/// One head office API request as the signed-in member (`method`, a head office
/// API `path`, an optional JSON `body`); head office's JSON answer.
#[tauri::command]
pub async fn manage(
    state: State<'_, AppState>,
    method: String,
    path: String,
    body: Option<Value>,
) -> AppResult<Value> {
    wicket_device::manage::check_request(&method, &path)?;
    let token = current(&state)?.ok_or_else(|| {
        AppError::new(
            "manage_sign_in_needed",
            "sign in to head office with your PIN first",
        )
    })?;
    let engine = state
        .engine()
        .ok_or_else(|| AppError::new("not_enrolled", "management needs a head office"))?;
    let out = engine
        .manage(&token.token, &method, &path, body.as_ref())
        .await;
    if let Err(e) = &out
        && e.code() == "unauthorized"
    {
        // Ended at head office (PIN reset, role change, deactivation): ask again.
        *state.manage_token.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    Ok(out?)
}

/// A QR code (SVG) of `text`, e.g. a new laptop's enrollment code for its camera.
#[tauri::command]
pub fn qr_svg(state: State<'_, AppState>, text: String) -> AppResult<String> {
    state.lock().require(Action::Manage, "management")?;
    if text.is_empty() || text.len() > 1000 {
        return Err(AppError::invalid("QR text must be 1 to 1000 bytes"));
    }
    Ok(wicket_ticket::render_svg(&text)?)
}
