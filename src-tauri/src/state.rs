//! The app's state: the replica (shared with the sync engine) and who is signed in.
//! Commands lock both through [`AppState::lock`], always replica first, so every
//! command sees a consistent pair; the engine only ever takes the replica.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use wicket_device::sync::{SharedReplica, SyncEngine};
use wicket_device::{Replica, Staff, demo};
use wicket_domain::Action;

use crate::error::{AppError, AppResult};

/// A locked view of the replica and the signed-in staff member.
pub struct Session<'a> {
    pub replica: MutexGuard<'a, Replica>,
    pub staff: MutexGuard<'a, Option<Staff>>,
}

impl Session<'_> {
    /// The signed-in staff member if their role reaches `min`, else
    /// `not_signed_in` / `forbidden`.
    /// The signed-in staff member, if their role may do `action` (`Role::may`, the
    /// same rule the replica and head office apply).
    pub fn require(&self, action: Action, what: &str) -> AppResult<&Staff> {
        match self.staff.as_ref() {
            None => Err(AppError::not_signed_in()),
            Some(s) if s.role.may(action) => Ok(s),
            Some(_) => Err(AppError::forbidden(what)),
        }
    }
}

/// Head office URL and enrollment code given in the environment, so that a
/// scripted first start enrolls without typing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EnrollPreset {
    pub url: String,
    pub code: String,
    pub name: String,
}

/// The running sync engine and the switch that stops it.
pub struct SyncHandle {
    pub engine: Arc<SyncEngine>,
    pub stop: tokio::sync::watch::Sender<bool>,
}

/// Tauri-managed state.
pub struct AppState {
    replica: SharedReplica,
    staff: Mutex<Option<Staff>>,
    export_dir: PathBuf,
    /// Whether this replica runs the local demo (`WICKET_DEMO=1`).
    pub demo: bool,
    pub preset: Option<EnrollPreset>,
    sync: Mutex<Option<SyncHandle>>,
    /// Held while an enrollment runs, so that two cannot race.
    pub enrolling: tokio::sync::Mutex<()>,
    /// The signed-in member's head office sign-in, for the management screens.
    pub manage_token: Mutex<Option<wicket_protocol::StaffToken>>,
    lan: Mutex<Option<Arc<crate::lan::LanHandle>>>,
    /// The camera's recent frames, for codes no single frame reads.
    pub frames: Arc<Mutex<wicket_ticket::sequence::FrameCombiner>>,
}

impl AppState {
    /// State over `replica`; exports are written to `export_dir`.
    pub fn new(replica: Replica, export_dir: PathBuf) -> Self {
        AppState {
            replica: Arc::new(Mutex::new(replica)),
            staff: Mutex::new(None),
            export_dir,
            demo: false,
            preset: None,
            sync: Mutex::new(None),
            enrolling: tokio::sync::Mutex::new(()),
            manage_token: Mutex::new(None),
            lan: Mutex::new(None),
            frames: Arc::new(Mutex::new(Default::default())),
        }
    }

    /// The running peer network, if any.
    pub fn lan(&self) -> Option<Arc<crate::lan::LanHandle>> {
        self.lan.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_lan(&self, h: crate::lan::LanHandle) {
        *self.lan.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(h));
    }

    pub fn with_demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    pub fn with_preset(mut self, preset: Option<EnrollPreset>) -> Self {
        self.preset = preset;
        self
    }

    pub fn export_dir(&self) -> &Path {
        &self.export_dir
    }

    /// The replica as the sync engine shares it.
    pub fn replica(&self) -> &SharedReplica {
        &self.replica
    }

    /// Lock the session. A panic in another command cannot leave the replica
    /// half-written (every write is one SQLite transaction), so a poisoned lock is
    /// taken over rather than turned into a dead app.
    pub fn lock(&self) -> Session<'_> {
        let replica = self
            .replica
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let staff = self
            .staff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Session { replica, staff }
    }

    /// The running sync engine, if any.
    pub fn engine(&self) -> Option<Arc<SyncEngine>> {
        self.sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|h| Arc::clone(&h.engine))
    }

    /// Keep the engine's handle; answers false (and keeps the old one) when an
    /// engine already runs.
    pub fn set_sync(&self, handle: SyncHandle) -> bool {
        let mut slot = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return false;
        }
        *slot = Some(handle);
        true
    }

    /// Stop the background engine (at exit, and in tests).
    pub fn stop_sync(&self) {
        if let Some(h) = self.sync.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = h.stop.send(true);
        }
        if let Some(h) = self.lan.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = h.stop.send(true);
        }
    }
}

/// Open the replica file; when it has no products yet and `demo` is set, install
/// the demo catalog and demo staff. Returns the replica and whether the demo was
/// installed now.
pub fn open_replica(path: &Path, demo: bool) -> AppResult<(Replica, bool)> {
    let mut replica = Replica::open(path)?;
    let empty = replica.products()?.is_empty();
    if empty && demo {
        demo::install(&mut replica)?;
        return Ok((replica, true));
    }
    Ok((replica, false))
}
