//! The app's door-to-door sharing: the same peer service `wicket serve` runs
//! (`wicket_device::lan`), started with the sync engine, its peers on the Sync
//! screen, and the configured peers a manager's setting.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use uuid::Uuid;
use wicket_device::lan::{DEFAULT_TICK, Lan, PeerStatus};
use wicket_domain::Action;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where the peer service listens unless `WICKET_LAN_LISTEN` says otherwise.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:7733";

/// The running peer network.
pub struct LanHandle {
    pub lan: Arc<Lan>,
    pub listen: Option<SocketAddr>,
    /// Why the peer service is not listening (the port taken, ...).
    pub error: Option<String>,
    pub stop: tokio::sync::watch::Sender<bool>,
}

/// The Sync screen's view of the doors on this network.
#[derive(Debug, Clone, Serialize)]
pub struct LanView {
    pub running: bool,
    pub device_id: Uuid,
    pub listen: Option<String>,
    pub error: Option<String>,
    /// The configured doors (mDNS finds the rest).
    pub configured: Vec<String>,
    pub peers: Vec<PeerStatus>,
}

/// Start sharing with the doors of this venue (once; enrolled devices only).
pub async fn start<R: Runtime>(app: &AppHandle<R>) -> AppResult<()> {
    let state = app.state::<AppState>();
    if state.lan().is_some() {
        return Ok(());
    }
    let stored = state.lock().replica.lan_peers()?;
    let lan = Lan::new(Arc::clone(state.replica()), DEFAULT_TICK)?;
    for p in &stored {
        if let Err(e) = lan.add_peer(p, false) {
            tracing::warn!(peer = %p, error = %e, "configured peer ignored");
        }
    }
    let addr = std::env::var("WICKET_LAN_LISTEN").unwrap_or_else(|_| DEFAULT_LISTEN.into());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let (listen, error) = match addr.parse::<SocketAddr>() {
        Ok(a) => match lan.serve(a).await {
            Ok(bound) => {
                wicket_device::lan::discover(&lan, bound, stop_rx.clone());
                (Some(bound), None)
            }
            Err(e) => (None, Some(format!("cannot listen on {a}: {e}"))),
        },
        Err(e) => (None, Some(format!("WICKET_LAN_LISTEN {addr:?}: {e}"))),
    };
    if let Some(e) = &error {
        // Still sends to and asks the configured peers; others cannot reach it.
        tracing::warn!(error = %e, "peer service not listening");
    }
    tauri::async_runtime::spawn(Arc::clone(&lan).run(stop_rx));
    state.set_lan(LanHandle {
        lan,
        listen,
        error,
        stop,
    });
    Ok(())
}

fn view(state: &AppState) -> AppResult<LanView> {
    let (device_id, configured) = {
        let s = state.lock();
        (s.replica.device_id(), s.replica.lan_peers()?)
    };
    Ok(match state.lan() {
        Some(h) => LanView {
            running: true,
            device_id,
            listen: h.listen.map(|a| a.to_string()),
            error: h.error.clone(),
            configured,
            peers: h.lan.status(),
        },
        None => LanView {
            running: false,
            device_id,
            listen: None,
            error: None,
            configured,
            peers: Vec::new(),
        },
    })
}

#[tauri::command]
pub fn lan_status(state: State<'_, AppState>) -> AppResult<LanView> {
    view(&state)
}

/// Replace the configured doors (a manager's setting).
#[tauri::command]
pub fn set_lan_peers(state: State<'_, AppState>, peers: Vec<String>) -> AppResult<LanView> {
    let clean = {
        let mut s = state.lock();
        s.require(Action::ChangeSettings, "the door network settings")?;
        s.replica.set_lan_peers(&peers)?
    };
    if let Some(h) = state.lan() {
        h.lan.set_configured(&clean).map_err(AppError::invalid)?;
    }
    view(&state)
}
