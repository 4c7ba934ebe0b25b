//! Head office connection: first-run enrollment, the background sync engine
//! (`wicket_device::sync::SyncEngine::run` on Tauri's async runtime) and its status
//! forwarded to the UI as `sync-status` events. The commands here stay thin: the
//! engine decides when to push, pull, back off and reserve stock.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use uuid::Uuid;
use wicket_device::sync::{self, ConflictRecord, SyncEngine, SyncError, SyncStatus};
use wicket_domain::Action;

use crate::error::{AppError, AppResult};
use crate::state::{AppState, EnrollPreset, SyncHandle};

/// Event carrying a [`SyncView`] whenever the engine's status changes.
pub const SYNC_EVENT: &str = "sync-status";
/// Time between sync rounds while head office answers (failures back off).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(5);
/// Units of each product on sale kept reserved for offline sales.
pub const ALLOT_UNITS: u64 = 20;
/// Environment: head office URL and a one-time code to enroll with on first start.
pub const ENV_HEADOFFICE: &str = "WICKET_HEADOFFICE";
pub const ENV_ENROLL_CODE: &str = "WICKET_ENROLL_CODE";
/// Environment: this device's name for that enrollment (default: the host name).
pub const ENV_DEVICE_NAME: &str = "WICKET_DEVICE_NAME";

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

/// What the UI shows about the device and its sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncView {
    pub device_id: Uuid,
    pub headoffice: Option<String>,
    pub enrolled: bool,
    /// Whether the engine runs (enrolled and started).
    pub running: bool,
    pub online: bool,
    pub syncing: bool,
    pub pending: u64,
    /// Unix seconds of the last successful sync.
    pub last_sync: Option<i64>,
    pub conflicts: u64,
    /// Progress of a pull in flight: changes applied / changes to apply.
    pub pull_done: u64,
    pub pull_total: u64,
    pub last_error: Option<String>,
}

impl SyncView {
    fn from_status(device_id: Uuid, headoffice: Option<String>, st: &SyncStatus) -> Self {
        SyncView {
            device_id,
            headoffice,
            enrolled: st.enrolled,
            running: false,
            online: st.online,
            syncing: st.syncing,
            pending: st.pending_ops,
            last_sync: st.last_sync,
            conflicts: st.conflicts,
            pull_done: st.pull_done,
            pull_total: st.pull_total,
            last_error: st.last_error.clone(),
        }
    }
}

/// How the app starts: what the first screen should be.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub device_id: Uuid,
    pub enrolled: bool,
    pub demo: bool,
    /// The replica holds a catalog (demo or pulled).
    pub has_data: bool,
    /// Not enrolled, no demo and no data: ask for head office first.
    pub needs_enrollment: bool,
    /// Enrolled and synced at least once (staff and catalog are here).
    pub first_sync_done: bool,
    /// Enrollment details from the environment, to submit without typing.
    pub preset: Option<EnrollPreset>,
    /// Where the replica's key is kept: `keyring`, `key_file` (the app warns) or
    /// `none`.
    pub key_storage: &'static str,
}

/// The enrollment preset from `WICKET_HEADOFFICE` and `WICKET_ENROLL_CODE`.
pub fn preset_from_env() -> Option<EnrollPreset> {
    let get = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string());
    let url = get(ENV_HEADOFFICE).filter(|v| !v.is_empty())?;
    let code = get(ENV_ENROLL_CODE).filter(|v| !v.is_empty())?;
    let name = get(ENV_DEVICE_NAME)
        .filter(|v| !v.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "Wicket device".into());
    Some(EnrollPreset { url, code, name })
}

/// Check and tidy what a person typed on the first-run screen.
pub fn check_enroll_input(
    url: &str,
    code: &str,
    name: &str,
) -> AppResult<(String, String, String)> {
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://"))
        || url.len() < 10
        || url.len() > 300
        || url.chars().any(char::is_whitespace)
    {
        return Err(AppError::invalid(
            "head office URL must look like https://headoffice.example or http://10.0.0.5:8080",
        ));
    }
    let code = code.trim();
    if code.is_empty() || code.len() > 200 {
        return Err(AppError::invalid(
            "enter the enrollment code from head office",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("device name must be 1-100 characters"));
    }
    Ok((url.to_string(), code.to_string(), name.to_string()))
}

fn local_view(state: &AppState) -> AppResult<SyncView> {
    let s = state.lock();
    let st = s.replica.sync_status()?;
    let url = s.replica.sync_config()?.map(|(u, _)| u);
    Ok(SyncView::from_status(s.replica.device_id(), url, &st))
}

/// The engine's live status with fresh local counts (a sale made a second ago is
/// already pending, before the engine's next round notices).
pub fn current_view(state: &AppState) -> AppResult<SyncView> {
    let mut view = local_view(state)?;
    if let Some(engine) = state.engine() {
        let live = engine.subscribe().borrow().clone();
        view.running = true;
        view.online = live.online;
        view.syncing = live.syncing;
        view.pull_done = live.pull_done;
        view.pull_total = live.pull_total;
        view.last_error = live.last_error;
    }
    Ok(view)
}

/// Start the background engine on an enrolled replica and forward its status to
/// the UI. Answers the engine (the running one if already started).
pub async fn start_engine<R: Runtime>(app: &AppHandle<R>) -> AppResult<Arc<SyncEngine>> {
    let state = app.state::<AppState>();
    if let Some(e) = state.engine() {
        return Ok(e);
    }
    let mut engine = SyncEngine::new(Arc::clone(state.replica())).await?;
    engine.allot_units = ALLOT_UNITS;
    let engine = Arc::new(engine);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    if !state.set_sync(SyncHandle {
        engine: Arc::clone(&engine),
        stop,
    }) {
        // Another caller started one first; use theirs.
        return state
            .engine()
            .ok_or_else(|| AppError::new("sync", "sync engine vanished"));
    }
    let (device_id, url) = {
        let s = state.lock();
        (
            s.replica.device_id(),
            s.replica.sync_config()?.map(|(u, _)| u),
        )
    };
    let mut rx = engine.subscribe();
    let forward = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let mut view = SyncView::from_status(device_id, url.clone(), &rx.borrow_and_update());
            view.running = true;
            if let Err(e) = forward.emit(SYNC_EVENT, &view) {
                tracing::warn!(error = %e, "could not send sync status to the window");
            }
            if rx.changed().await.is_err() {
                break;
            }
        }
    });
    let runner = Arc::clone(&engine);
    tauri::async_runtime::spawn(async move {
        runner.run(SYNC_INTERVAL, stop_rx).await;
        tracing::info!("sync engine stopped");
    });
    tracing::info!(%device_id, "sync engine started");
    // Doors of this venue share admissions on the local network too.
    if let Err(e) = crate::lan::start(app).await {
        tracing::warn!(code = %e.code, error = %e.message, "door network did not start");
    }
    Ok(engine)
}

// ------------------------------------------------------------------ commands

/// What the first screen should be, and the device's identity.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppResult<AppInfo> {
    let s = state.lock();
    let enrolled = s.replica.sync_config()?.is_some();
    let has_data = !s.replica.products()?.is_empty();
    let first_sync_done = s.replica.last_sync()?.is_some();
    Ok(AppInfo {
        first_sync_done,
        device_id: s.replica.device_id(),
        enrolled,
        demo: state.demo,
        has_data,
        needs_enrollment: !enrolled && !state.demo && !has_data,
        preset: if enrolled { None } else { state.preset.clone() },
        key_storage: s.replica.key_source().map_or("none", |k| k.as_str()),
    })
}

/// Enroll this device with head office using a one-time code, pull everything
/// (progress arrives as `sync-status` events), reserve stock for offline sales,
/// then keep syncing in the background. Only an empty, unenrolled replica enrolls.
#[tauri::command]
pub async fn enroll<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
    code: String,
    name: String,
) -> AppResult<SyncView> {
    let (url, code, name) = check_enroll_input(&url, &code, &name)?;
    let _one = state
        .enrolling
        .try_lock()
        .map_err(|_| AppError::new("enrolling", "an enrollment is already running"))?;
    {
        let s = state.lock();
        if s.replica.sync_config()?.is_some() {
            return Err(AppError::new(
                "already_enrolled",
                "this device is already enrolled with a head office",
            ));
        }
        if !s.replica.products()?.is_empty() {
            return Err(AppError::new(
                "replica_not_empty",
                "this replica already holds data (a demo?); enroll with an empty one",
            ));
        }
    }
    sync::enroll(state.replica(), &url, &code, &name).await?;
    tracing::info!(%url, %name, "enrolled; pulling from head office");
    let engine = start_engine(&app).await?;
    // The first pull, awaited so the first-run screen can move on to sign-in when
    // the staff and the catalog are here; the engine publishes its progress.
    // If it fails the device is still enrolled: the engine retries by itself and
    // the screen waits for its first good round.
    match engine.sync_once(|_, _| {}).await {
        Ok(_) => {
            if let Err(e) = engine.top_up_allotments(ALLOT_UNITS).await {
                tracing::warn!(code = e.code(), error = %e, "no stock reserved for offline sales yet");
            }
        }
        Err(e) => {
            tracing::warn!(code = e.code(), error = %e, "first pull failed; retrying in the background")
        }
    }
    current_view(&state)
}

/// The device's sync status (local counts are fresh).
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> AppResult<SyncView> {
    state.lock().require(Action::Redeem, "sync status")?;
    current_view(&state)
}

/// Sync now rather than at the next round: push, then pull.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> AppResult<SyncView> {
    state.lock().require(Action::Redeem, "sync")?;
    let engine = state.engine().ok_or_else(|| {
        AppError::new(
            "not_enrolled",
            "this device is not connected to a head office",
        )
    })?;
    engine.sync_once(|_, _| {}).await?;
    current_view(&state)
}

/// Conflicts and rejections head office reported, newest first, for review.
#[tauri::command]
pub fn sync_conflicts(state: State<'_, AppState>) -> AppResult<Vec<ConflictRecord>> {
    let s = state.lock();
    s.require(Action::Redeem, "sync conflicts")?;
    Ok(s.replica.sync_conflicts()?)
}
