//! The embedded SQLite store: one file, zero setup. One connection behind a mutex is
//! the single writer; every call runs on the blocking pool so the async runtime never
//! waits on disk. Each write is one IMMEDIATE transaction (taking the write lock up
//! front), so counters such as `next_item_id` cannot race.

use std::path::Path;
use std::sync::{Arc, Mutex};

use include_dir::{Dir, include_dir};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result};
use crate::store::StoreFuture;

mod acts;
mod demo;
mod events;
pub(crate) mod items;
pub(crate) mod products;
mod pull;
pub(crate) mod rewards;
pub(crate) mod rows;
mod store_impl;
mod sync;
pub mod tx;
pub(crate) mod users;

static MIGRATIONS_DIR: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/../../migrations/headoffice");

/// The numbered SQL files of `migrations/headoffice`, in file-name order.
fn migrations() -> Migrations<'static> {
    let mut files: Vec<_> = MIGRATIONS_DIR
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort_by_key(|f| f.path());
    Migrations::new(
        files
            .into_iter()
            .filter_map(|f| f.contents_utf8())
            .map(M::up)
            .collect(),
    )
}

/// SQLite behind the [`Store`] trait.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Open (creating if missing) the database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        // WAL lets readers proceed during writes; FULL makes a commit durable on
        // power loss, which is the point of a box office ledger.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(crate) fn run<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                // A poisoned lock only means another call panicked; its transaction was
                // rolled back on drop, so the connection is still consistent.
                let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut guard)
            })
            .await
            .map_err(|e| Error::Storage(format!("blocking task failed: {e}")))?
        })
    }

    /// Run a use case on one IMMEDIATE transaction of this store, on the calling
    /// thread, committing only if it succeeds (tests, the contract suite, tools).
    pub fn with_tx<T>(&self, f: impl FnOnce(&dyn crate::storage::Tx) -> Result<T>) -> Result<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx::SqliteTx(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    /// Run `f` in one IMMEDIATE transaction, committing only if it succeeds.
    pub(crate) fn write<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}
