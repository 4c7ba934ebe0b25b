//! The app's state: the replica behind one mutex, together with who is signed in,
//! so that every command sees a consistent pair.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use wicket_device::{Replica, Staff, demo};
use wicket_domain::Role;

use crate::error::{AppError, AppResult};

/// The replica and the signed-in staff member.
pub struct Session {
    pub replica: Replica,
    pub staff: Option<Staff>,
}

impl Session {
    /// The signed-in staff member if their role reaches `min`, else
    /// `not_signed_in` / `forbidden`.
    pub fn require(&self, min: Role, what: &str) -> AppResult<&Staff> {
        match &self.staff {
            None => Err(AppError::not_signed_in()),
            Some(s) if s.role >= min => Ok(s),
            Some(_) => Err(AppError::forbidden(what)),
        }
    }
}

/// Tauri-managed state.
pub struct AppState {
    inner: Mutex<Session>,
    export_dir: PathBuf,
}

impl AppState {
    /// State over `replica`; exports are written to `export_dir`.
    pub fn new(replica: Replica, export_dir: PathBuf) -> Self {
        AppState {
            inner: Mutex::new(Session {
                replica,
                staff: None,
            }),
            export_dir,
        }
    }

    pub fn export_dir(&self) -> &Path {
        &self.export_dir
    }

    /// Lock the session. A panic in another command cannot leave the replica
    /// half-written (every write is one SQLite transaction), so a poisoned lock is
    /// taken over rather than turned into a dead app.
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
