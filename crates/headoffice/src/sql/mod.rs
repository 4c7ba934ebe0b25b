//! Head office's SQL store, one implementation for two engines: the embedded SQLite
//! file (the default: zero setup) and PostgreSQL (several head office processes on
//! one server). Queries go through [`crate::db`]; only opening, transactions and a
//! few dialect clauses differ.
//!
//! SQLite: one connection behind a mutex is the single writer; each write is one
//! IMMEDIATE transaction. PostgreSQL: a pool; each write is one READ COMMITTED
//! transaction whose reads lock the rows they will change (`FOR UPDATE`), retried
//! when the server reports a deadlock or serialization failure.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use include_dir::{Dir, include_dir};
use rusqlite::TransactionBehavior;
use rusqlite_migration::{M, Migrations};

use crate::db::postgres::{self as pg, Isolation, PgDb, PgPool};
use crate::db::{Connection, Driver};
use crate::error::{Error, Result};
use crate::store::StoreFuture;

mod acts;
mod batch;
pub mod companies;
pub mod copy;
mod demo;
mod events;
pub(crate) mod items;
pub(crate) mod products;
mod pull;
mod refunds;
pub(crate) mod rewards;
pub(crate) mod rows;
mod staff;
mod stats;
mod store_impl;
mod sync;
mod trust;
pub mod tx;
pub(crate) mod users;
pub(crate) mod zones;

pub use tx::SqlTx;

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

/// How many times a PostgreSQL write is tried when the server reports a deadlock
/// or serialization failure (each try is the whole transaction again).
const WRITE_TRIES: u32 = 8;

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
    Postgres(PgPool),
}

/// Head office's store on SQLite or PostgreSQL, behind the [`crate::Store`] trait.
#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
    /// This process's name in mint leases.
    instance: uuid::Uuid,
    /// `serve`'s arguments for this database.
    target: Vec<String>,
}

impl SqlStore {
    /// Open (creating if missing) a SQLite file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = rusqlite::Connection::open(path)?;
        // WAL lets readers proceed during writes; FULL makes a commit durable on
        // power loss, which is the point of a box office ledger.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Foreign keys are off while migrations run (SQLite's way to rebuild a
        // table others reference), then checked once and enforced from then on.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        migrations().to_latest(&mut conn)?;
        let broken: i64 =
            conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if broken > 0 {
            return Err(Error::Storage(format!(
                "{broken} row(s) break a foreign key after migrating"
            )));
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(SqlStore {
            backend: Backend::Sqlite(Arc::new(Mutex::new(conn))),
            instance: uuid::Uuid::now_v7(),
            target: vec!["--db".into(), path.to_string_lossy().into_owned()],
        })
    }

    /// Connect to PostgreSQL (`postgres://USER:PASS@HOST:PORT/DB`) with a pool of
    /// `pool` connections and bring its schema up to date.
    pub fn connect(url: &str, pool: u32) -> Result<Self> {
        Ok(SqlStore {
            backend: Backend::Postgres(pg::connect(url, pool)?),
            instance: uuid::Uuid::now_v7(),
            target: vec!["--database-url".into(), url.to_string()],
        })
    }

    /// A PostgreSQL URL or a SQLite file path.
    pub fn open_any(target: &str, pool: u32) -> Result<Self> {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Self::connect(target, pool)
        } else {
            Self::open(Path::new(target))
        }
    }

    /// This store's (process's) id, as the owner of the mints it leases.
    pub fn instance(&self) -> uuid::Uuid {
        self.instance
    }

    /// The store the test suites run on: `WICKET_TEST_BACKEND=postgres` gives a
    /// fresh database on the server of `WICKET_TEST_DATABASE_URL` (see
    /// `scripts/postgres.sh`); unset or `sqlite`, a file in `dir`. Any other value,
    /// or postgres without a URL, is an error: a suite never silently skips.
    pub fn open_test_backend(dir: &Path) -> Result<Self> {
        match std::env::var("WICKET_TEST_BACKEND").as_deref() {
            Err(_) | Ok("sqlite") => Self::open(&dir.join("ho.db")),
            Ok("postgres") => {
                let admin = std::env::var("WICKET_TEST_DATABASE_URL").map_err(|_| {
                    Error::InvalidRequest(
                        "WICKET_TEST_BACKEND=postgres needs WICKET_TEST_DATABASE_URL".into(),
                    )
                })?;
                Self::connect(&pg::create_database(&admin)?, 4)
            }
            Ok(other) => Err(Error::InvalidRequest(format!(
                "WICKET_TEST_BACKEND={other:?}: no such backend (sqlite, postgres)"
            ))),
        }
    }

    /// Where this store lives, as `serve` takes it: `["--db", FILE]` or
    /// `["--database-url", URL]` (tests start head office processes on it).
    pub fn serve_args(&self) -> Vec<String> {
        self.target.clone()
    }

    /// Run a read-only query and return every value as text (NULL as ""): support
    /// scripts and cross-part tests, on either engine.
    pub fn query_text(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        let rows = match &self.backend {
            Backend::Sqlite(conn) => lock(conn).rows(sql, Vec::new())?,
            Backend::Postgres(pool) => {
                let pool = pool.clone();
                pg::off_runtime(|| PgDb::new(pool.get()?).rows(sql, Vec::new()))?
            }
        };
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.get::<crate::db::Value>(i).map(|v| match v {
                            crate::db::Value::Null => String::new(),
                            crate::db::Value::Int(n) => n.to_string(),
                            crate::db::Value::Real(f) => f.to_string(),
                            crate::db::Value::Text(t) => t,
                            crate::db::Value::Bool(b) => i64::from(b).to_string(),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The first column of the first row of `sql` as an integer.
    pub fn scalar(&self, sql: &str) -> Result<i64> {
        let rows = self.query_text(sql)?;
        let v = rows.first().and_then(|r| r.first()).ok_or(Error::NoRows)?;
        if v.is_empty() {
            return Ok(0);
        }
        v.parse()
            .map_err(|_| Error::Storage(format!("{sql}: {v:?} is not an integer")))
    }

    /// Which engine this store runs on: `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Connections of the pool: (open, idle); SQLite has one.
    pub fn pool_state(&self) -> (u32, u32) {
        match &self.backend {
            Backend::Sqlite(_) => (1, 0),
            Backend::Postgres(p) => {
                let s = p.state();
                (s.connections, s.idle_connections)
            }
        }
    }

    /// Run `f` on a connection without a transaction (single-statement reads).
    pub(crate) fn run<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let backend = self.backend.clone();
        blocking(move || match backend {
            Backend::Sqlite(conn) => f(&*lock(&conn)),
            Backend::Postgres(pool) => f(&PgDb::new(pool.get()?)),
        })
    }

    /// Run `f` in one read transaction: a consistent snapshot for several reads.
    pub(crate) fn snapshot<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        let backend = self.backend.clone();
        blocking(move || match backend {
            Backend::Sqlite(conn) => {
                let mut guard = lock(&conn);
                let tx = guard.transaction()?;
                let out = f(&*tx)?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres(pool) => {
                retry(|| PgDb::transaction(pool.get()?, Isolation::Snapshot, |db| f(db)))
            }
        })
    }

    /// Like [`Self::snapshot`], for reads of the change feed: on PostgreSQL the
    /// changes of every finished transaction are numbered first, in their own
    /// transaction (`wicket_sequence`, migrations/headoffice-postgres/0011), so the
    /// snapshot sees them. SQLite numbers changes as they are written.
    pub(crate) fn feed_snapshot<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        if let Backend::Postgres(pool) = &self.backend {
            let pool = pool.clone();
            return blocking(move || {
                retry(|| PgDb::new(pool.get()?).rows("SELECT wicket_sequence()", Vec::new()))?;
                retry(|| PgDb::transaction(pool.get()?, Isolation::Snapshot, |db| f(db)))
            });
        }
        self.snapshot(f)
    }

    /// Run `f` in one write transaction, committing only if it succeeds. On
    /// PostgreSQL `f` may run more than once (a deadlock or serialization failure
    /// rolls everything back and the whole transaction is tried again).
    pub(crate) fn write<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        let backend = self.backend.clone();
        blocking(move || write_on(&backend, &f))
    }

    /// Run a use case on one write transaction of this store, on the calling
    /// thread (tests, the contract suite, tools; not from an async task). Not
    /// retried.
    pub fn with_tx<T>(&self, f: impl FnOnce(&dyn crate::storage::Tx) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut guard = lock(conn);
                let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = f(&SqlTx(&*tx))?;
                tx.commit()?;
                Ok(out)
            }
            // Call from a blocking context (not an async task) on PostgreSQL.
            Backend::Postgres(pool) => {
                PgDb::transaction(pool.get()?, Isolation::Write, |db| f(&SqlTx(db)))
            }
        }
    }

    /// Whether the database answers and its schema is the one this build expects.
    pub(crate) fn check_ready(&self) -> StoreFuture<()> {
        let backend = self.backend.clone();
        blocking(move || match backend {
            Backend::Sqlite(conn) => {
                let g = lock(&conn);
                let v: i64 = g.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let want = i64::try_from(MIGRATIONS_DIR.files().count()).unwrap_or(0);
                if v >= want {
                    Ok(())
                } else {
                    Err(Error::Busy(format!("schema at {v}, expected {want}")))
                }
            }
            Backend::Postgres(pool) => {
                let db = PgDb::new(pool.get()?);
                let have = pg::applied_migration(&db)?;
                let want = pg::latest_migration()?;
                if have >= want {
                    Ok(())
                } else {
                    Err(Error::Busy(format!("schema at {have}, expected {want}")))
                }
            }
        })
    }
}

fn write_on<T>(backend: &Backend, f: &dyn Fn(&Connection) -> Result<T>) -> Result<T> {
    match backend {
        Backend::Sqlite(conn) => {
            let mut guard = lock(conn);
            let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&*tx)?;
            tx.commit()?;
            Ok(out)
        }
        Backend::Postgres(pool) => {
            retry(|| PgDb::transaction(pool.get()?, Isolation::Write, |db| f(db)))
        }
    }
}

/// Try `f` again while the server says the transaction lost a race.
fn retry<T>(f: impl Fn() -> Result<T>) -> Result<T> {
    let mut tries = 0;
    loop {
        match f() {
            Err(Error::Busy(why)) if tries + 1 < WRITE_TRIES => {
                tries += 1;
                tracing::debug!(%why, tries, "transaction lost a race; trying again");
                // Spread the retries so the racers do not meet again at once.
                let ms = 2u64.pow(tries.min(6)) + u64::from(rand::random::<u8>() % 8);
                std::thread::sleep(Duration::from_millis(ms));
            }
            other => return other,
        }
    }
}

fn lock(conn: &Mutex<rusqlite::Connection>) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
    // A poisoned lock only means another call panicked; its transaction was rolled
    // back on drop, so the connection is still consistent.
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> StoreFuture<T> {
    Box::pin(async move {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::Storage(format!("blocking task failed: {e}")))?
    })
}
