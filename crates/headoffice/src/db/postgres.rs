//! The facade over PostgreSQL: a pool (r2d2) of synchronous `postgres` clients, each
//! with its own prepared-statement cache, used from the blocking pool like SQLite.
//! Values bind by the type the server inferred for each parameter, so one
//! [`Value`] fits an INTEGER, BIGINT, BOOLEAN or TEXT column alike.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::str::FromStr;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use include_dir::{Dir, include_dir};
use postgres::error::SqlState;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use rust_decimal::Decimal;

use super::{Dialect, Driver, Row, Value};
use crate::error::{Error, Result};

static MIGRATIONS_DIR: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/../../migrations/headoffice-postgres");

type BoxErr = Box<dyn StdError + Sync + Send>;

// ------------------------------------------------------------------ values

fn int_to_sql(i: i64, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxErr> {
    match *ty {
        Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
        Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
        Type::INT8 => i.to_sql(ty, out),
        Type::BOOL => (i != 0).to_sql(ty, out),
        Type::NUMERIC => Decimal::from(i).to_sql(ty, out),
        #[allow(clippy::cast_precision_loss)]
        Type::FLOAT8 => (i as f64).to_sql(ty, out),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            i.to_string().as_str().to_sql(&Type::TEXT, out)
        }
        _ => Err(format!("cannot send an integer as {ty}").into()),
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxErr> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => int_to_sql(*i, ty, out),
            Value::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            Value::Bool(b) => int_to_sql(i64::from(*b), ty, out),
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::NUMERIC => Decimal::try_from(*f)?.to_sql(ty, out),
                _ => Err(format!("cannot send a float as {ty}").into()),
            },
            Value::Text(s) => match *ty {
                Type::INT2 | Type::INT4 | Type::INT8 => int_to_sql(s.parse::<i64>()?, ty, out),
                Type::NUMERIC => Decimal::from_str(s)?.to_sql(ty, out),
                Type::JSONB => {
                    out.put_u8(1);
                    out.put_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                _ => s.as_str().to_sql(&Type::TEXT, out),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxErr> {
        Ok(match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => Value::Text(Decimal::from_sql(ty, raw)?.normalize().to_string()),
            Type::JSONB => Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or(&[]))?.into()),
            _ => Value::Text(std::str::from_utf8(raw)?.to_string()),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxErr> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

// ------------------------------------------------------------------ errors

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        let Some(code) = e.code() else {
            return Error::Storage(format!("postgres: {e}"));
        };
        let detail = e
            .as_db_error()
            .map(|d| {
                format!(
                    "{}{}",
                    d.constraint().map(|c| format!("{c}: ")).unwrap_or_default(),
                    d.message()
                )
            })
            .unwrap_or_else(|| e.to_string());
        if *code == SqlState::UNIQUE_VIOLATION {
            // A write conflict the client can fix, as with SQLite.
            Error::Conflict(format!("duplicate value for {detail}"))
        } else if code.code().starts_with("23") {
            Error::InvalidRequest(format!("refused by the store: {detail}"))
        } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::LOCK_NOT_AVAILABLE
        {
            Error::Busy(detail)
        } else if code.code().starts_with("22") {
            Error::InvalidRequest(format!("refused by the store: {detail}"))
        } else {
            Error::Storage(format!("postgres {}: {detail}", code.code()))
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Error::Busy(format!("no database connection: {e}"))
    }
}

// ------------------------------------------------------------------ connections

/// A pooled client with its statement cache.
pub struct PgConn {
    /// Always `Some` until drop (see `Drop`).
    client: Option<Client>,
    cache: HashMap<String, Statement>,
    /// Inside BEGIN .. COMMIT: a connection given back in this state is discarded.
    in_tx: bool,
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // A sync client owns a small runtime, which must not be dropped on an async
        // task (a pool can be dropped anywhere): let a plain thread drop it.
        if let Some(c) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            std::thread::spawn(move || drop(c));
        }
    }
}

impl PgConn {
    fn client(&mut self) -> Result<&mut Client> {
        self.client
            .as_mut()
            .ok_or_else(|| Error::Storage("database connection already closed".into()))
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.cache.get(sql) {
            return Ok(s.clone());
        }
        let st = self.client()?.prepare(&super::dollar_placeholders(sql))?;
        // Bounded: queries built at run time (list filters) must not grow it forever.
        if self.cache.len() > 512 {
            self.cache.clear();
        }
        self.cache.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

/// Makes and checks the pool's connections.
#[derive(Debug, Clone)]
pub struct PgManager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: Some(self.config.connect(NoTls)?),
            cache: HashMap::new(),
            in_tx: false,
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> std::result::Result<(), postgres::Error> {
        match conn.client.as_mut() {
            Some(c) => c.simple_query("").map(|_| ()),
            None => Ok(()),
        }
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.in_tx || conn.client.as_ref().is_none_or(Client::is_closed)
    }
}

pub type PgPool = r2d2::Pool<PgManager>;

/// One checked-out connection as a [`Driver`].
pub struct PgDb {
    conn: RefCell<r2d2::PooledConnection<PgManager>>,
    locking: bool,
}

/// How a transaction reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Writes: READ COMMITTED, and every row a use case reads is locked (FOR UPDATE)
    /// until commit, so read-modify-write (stock, item numbers, balances, scan
    /// counts) never races another process.
    Write,
    /// One consistent snapshot for a multi-statement read (a pull page).
    Snapshot,
}

impl PgDb {
    pub fn new(conn: r2d2::PooledConnection<PgManager>) -> Self {
        PgDb {
            conn: RefCell::new(conn),
            locking: false,
        }
    }

    /// Run `f` in one transaction, committing only if it succeeds.
    pub fn transaction<T>(
        conn: r2d2::PooledConnection<PgManager>,
        iso: Isolation,
        f: impl FnOnce(&PgDb) -> Result<T>,
    ) -> Result<T> {
        let db = PgDb {
            conn: RefCell::new(conn),
            locking: iso == Isolation::Write,
        };
        let begin = match iso {
            Isolation::Write => "BEGIN",
            Isolation::Snapshot => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        };
        db.control(begin, true)?;
        match f(&db) {
            Ok(v) => {
                // On failure the server has rolled back already.
                let done = db.control("COMMIT", false);
                done.map(|()| v)
            }
            Err(e) => {
                // A failed rollback leaves `in_tx` set: the pool drops the connection.
                let _ = db.control("ROLLBACK", false);
                Err(e)
            }
        }
    }

    fn control(&self, sql: &str, opening: bool) -> Result<()> {
        let mut c = self.conn.borrow_mut();
        c.in_tx = true;
        c.client()?.batch_execute(sql)?;
        c.in_tx = opening;
        Ok(())
    }
}

impl Driver for PgDb {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&self, sql: &str, args: Vec<Value>) -> Result<usize> {
        let mut c = self.conn.borrow_mut();
        let st = c.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as _).collect();
        let n = c.client()?.execute(&st, &refs)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn rows(&self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>> {
        let mut c = self.conn.borrow_mut();
        let st = c.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as _).collect();
        let rows = c.client()?.query(&st, &refs)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Value>(i).map_err(Error::from))
                    .collect::<Result<Vec<_>>>()
                    .map(Row::new)
            })
            .collect()
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn.borrow_mut().client()?.batch_execute(sql)?)
    }

    fn locking(&self) -> bool {
        self.locking
    }
}

// ------------------------------------------------------------------ pool and schema

/// Run `f` where a blocking client may live: on a thread of its own when called
/// from an async task (the sync client's runtime cannot nest in tokio's).
pub fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|_| Err(Error::Storage("database thread panicked".into())))
    })
}

/// Connect a pool of `size` to `url` and bring the schema up to date.
pub fn connect(url: &str, size: u32) -> Result<PgPool> {
    off_runtime(|| connect_here(url, size))
}

fn connect_here(url: &str, size: u32) -> Result<PgPool> {
    let config = postgres::Config::from_str(url)
        .map_err(|e| Error::InvalidRequest(format!("database URL: {e}")))?;
    migrate(&config)?;
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(1))
        // No probe round trip per checkout: a dead connection fails its first
        // statement (nothing written) and `has_broken` drops it from the pool.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .build(PgManager { config })
        .map_err(|e| Error::Storage(format!("database pool: {e}")))
}

fn migrations() -> Result<Vec<refinery::Migration>> {
    let mut files: Vec<_> = MIGRATIONS_DIR
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort_by_key(|f| f.path());
    files
        .into_iter()
        .map(|f| {
            let stem = f
                .path()
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            // `0001_schema` is refinery's `V1__schema`.
            let (num, name) = stem.split_once('_').unwrap_or((stem, "migration"));
            let version: u32 = num
                .parse()
                .map_err(|_| Error::Storage(format!("migration file {stem}: no number")))?;
            let sql = f
                .contents_utf8()
                .ok_or_else(|| Error::Storage(format!("migration {stem}: not UTF-8")))?;
            refinery::Migration::unapplied(&format!("V{version}__{name}"), sql)
                .map_err(|e| Error::Storage(format!("migration {stem}: {e}")))
        })
        .collect()
}

/// The newest migration this build knows.
pub fn latest_migration() -> Result<i64> {
    Ok(migrations()?
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0))
}

/// Apply the numbered migrations (refinery). Processes that start together take
/// turns: the first holds a table lock (released with its transaction, never a
/// session advisory lock) while it migrates; the others then find nothing to do.
fn migrate(config: &postgres::Config) -> Result<()> {
    let mut locker = config.connect(NoTls)?;
    if let Err(e) = locker
        .batch_execute("CREATE TABLE IF NOT EXISTS wicket_migration_lock (id INTEGER PRIMARY KEY)")
        && e.code() != Some(&SqlState::UNIQUE_VIOLATION)
    {
        return Err(e.into());
    }
    let mut guard = locker.transaction()?;
    guard.batch_execute("LOCK TABLE wicket_migration_lock IN ACCESS EXCLUSIVE MODE")?;
    let mut worker = config.connect(NoTls)?;
    refinery::Runner::new(&migrations()?)
        .set_grouped(true)
        .run(&mut worker)
        .map_err(|e| Error::Storage(format!("migration: {e}")))?;
    guard.commit()?;
    drop_client(worker);
    drop_client(locker);
    Ok(())
}

/// The version of the newest migration applied to the database.
pub fn applied_migration(db: &PgDb) -> Result<i64> {
    let rows = db.rows(
        "SELECT COALESCE(MAX(version), 0) FROM refinery_schema_history",
        Vec::new(),
    )?;
    rows.first().map_or(Ok(0), |r| r.get::<i64>(0))
}

/// Create a new empty database on the server of `admin_url` and return its URL
/// (tests and benchmarks: each gets a database of its own).
pub fn create_database(admin_url: &str) -> Result<String> {
    off_runtime(|| create_database_here(admin_url))
}

fn create_database_here(admin_url: &str) -> Result<String> {
    let name = format!("wicket_{}", uuid::Uuid::now_v7().simple());
    let config = postgres::Config::from_str(admin_url)
        .map_err(|e| Error::InvalidRequest(format!("database URL: {e}")))?;
    let mut c = config.connect(NoTls)?;
    c.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let prefix = match base.find("://") {
        Some(i) => match base[i + 3..].find('/') {
            Some(j) => &base[..i + 3 + j],
            None => base,
        },
        None => base,
    };
    drop_client(c);
    Ok(format!("{prefix}/{name}{query}"))
}

/// Drop a database [`create_database`] made (benchmarks leave hundreds of MB
/// otherwise); its open connections are ended first.
pub fn drop_database(admin_url: &str, db_url: &str) -> Result<()> {
    let name = db_url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| {
            n.starts_with("wicket_") && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .ok_or_else(|| Error::InvalidRequest(format!("not a test database URL: {db_url}")))?
        .to_string();
    let admin = admin_url.to_string();
    off_runtime(move || {
        let config = postgres::Config::from_str(&admin)
            .map_err(|e| Error::InvalidRequest(format!("database URL: {e}")))?;
        let mut c = config.connect(NoTls)?;
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        drop_client(c);
        Ok(())
    })
}

/// Drop a client off any async task (see `PgConn`'s `Drop`).
fn drop_client(c: Client) {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::spawn(move || drop(c));
    }
}
