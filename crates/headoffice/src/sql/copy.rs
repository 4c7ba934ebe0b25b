//! `copy-db`: move a SQLite head office into an empty PostgreSQL database, all of
//! it (keys, devices and their credentials, staff, the op log, the change feed with
//! its sequence numbers), so enrolled devices go on syncing from their cursors
//! without enrolling again.

use std::path::Path;

use crate::db::postgres::{self as pg, Isolation, PgDb};
use crate::db::{Connection, Value};
use crate::error::{Error, Result};

/// Every table, parents before children; `changes` last (see below).
const TABLES: &[&str] = &[
    "api_keys",
    "events",
    "users",
    "ledger",
    "status_tiers",
    "companies",
    "products",
    "product_details",
    "product_prices",
    "order_rules",
    "items",
    "transfers",
    "sales",
    "refunds",
    "refunded_items",
    "cash_sessions",
    "claim_codes",
    "rewards",
    "reward_redeems",
    "ho_meta",
    "devices",
    "enrollment_codes",
    "staff",
    "staff_tokens",
    "staff_pin_failures",
    "sync_ops",
    "redemptions",
    "refusals",
    "passages",
    "zones",
    "sync_conflicts",
    "customer_aliases",
    "revocations",
    "allotments",
    "nft_collections",
    "nft_mints",
    "device_sync",
    "ho_keys",
    "audit_log",
    "changes",
];

/// Rows sent per INSERT.
const BATCH: usize = 500;

/// Copy `from` (a SQLite head office file) into the empty PostgreSQL database at
/// `to`, in one PostgreSQL transaction; `progress` hears each table's row count.
/// Returns the rows copied per table.
pub fn copy_sqlite_to_postgres(
    from: &Path,
    to: &str,
    mut progress: impl FnMut(&str, u64),
) -> Result<Vec<(String, u64)>> {
    if !from.exists() {
        return Err(Error::NotFound(format!("{} not found", from.display())));
    }
    // Opening brings the file's schema up to date first.
    let source = super::SqlStore::open(from)?;
    let super::Backend::Sqlite(src) = &source.backend else {
        return Err(Error::Storage("source is not SQLite".into()));
    };
    let src = super::lock(src);
    let pool = pg::connect(to, 1)?;
    let read = src.unchecked_transaction()?;
    PgDb::transaction(pool.get()?, Isolation::Write, |db| {
        refuse_unless_empty(db)?;
        let mut out = Vec::new();
        for table in TABLES {
            if *table == "companies" {
                // The empty database's migration made the default company; the
                // source's row (same id) replaces it.
                (db as &Connection).execute_batch("DELETE FROM companies")?;
            }
            let n = copy_table(&read, db, table)?;
            progress(table, n);
            out.push(((*table).to_string(), n));
        }
        finish(db)?;
        Ok(out)
    })
}

fn refuse_unless_empty(db: &Connection) -> Result<()> {
    for t in ["api_keys", "users", "products", "devices", "events"] {
        let n: i64 = db.query_row(&format!("SELECT COUNT(*) FROM {t}"), (), |r| r.get(0))?;
        if n > 0 {
            return Err(Error::Conflict(format!(
                "the PostgreSQL database is not empty ({t} has {n} rows); copy-db only fills an empty one"
            )));
        }
    }
    Ok(())
}

fn copy_table(src: &rusqlite::Connection, db: &Connection, table: &str) -> Result<u64> {
    // users: SQLite's implicit rowid is the insertion order PostgreSQL keeps in a
    // real column of that name.
    let select = if table == "users" {
        "SELECT *, rowid AS rowid FROM users ORDER BY rowid".to_string()
    } else {
        format!("SELECT * FROM {table}")
    };
    let mut st = src.prepare(&select)?;
    let cols: Vec<String> = st.column_names().iter().map(|c| (*c).to_string()).collect();
    let width = cols.len();
    let mut rows = st.query([])?;
    let mut batch: Vec<Value> = Vec::with_capacity(BATCH * width);
    let mut copied = 0u64;
    while let Some(r) = rows.next()? {
        for i in 0..width {
            batch.push(crate::db::sqlite::read(r.get_ref(i)?)?);
        }
        if batch.len() == BATCH * width {
            copied += insert(db, table, &cols, std::mem::take(&mut batch))?;
        }
    }
    if !batch.is_empty() {
        copied += insert(db, table, &cols, batch)?;
    }
    Ok(copied)
}

fn insert(db: &Connection, table: &str, cols: &[String], vals: Vec<Value>) -> Result<u64> {
    let width = cols.len().max(1);
    let rows = vals.len() / width;
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("({})", super::batch::marks(r * width + 1, width)));
    }
    db.execute(&sql, vals)?;
    Ok(u64::try_from(rows).unwrap_or(u64::MAX))
}

/// The copied rows staged changes of their own; drop them (the copied `changes`
/// table already holds every entity at its original seq), then move the counters
/// past what was copied so new changes and numbers follow on.
fn finish(db: &Connection) -> Result<()> {
    db.execute_batch(
        "DELETE FROM changes_staged;
         UPDATE change_counter SET seq = (SELECT COALESCE(MAX(seq), 0) FROM changes) WHERE id = 1;
         SELECT setval('sales_seq_seq', GREATEST((SELECT COALESCE(MAX(seq), 0) FROM sales), 1),
                       (SELECT COUNT(*) > 0 FROM sales));
         SELECT setval(pg_get_serial_sequence('ledger', 'seq'),
                       GREATEST((SELECT COALESCE(MAX(seq), 0) FROM ledger), 1), (SELECT COUNT(*) > 0 FROM ledger));
         SELECT setval(pg_get_serial_sequence('reward_redeems', 'seq'),
                       GREATEST((SELECT COALESCE(MAX(seq), 0) FROM reward_redeems), 1),
                       (SELECT COUNT(*) > 0 FROM reward_redeems));
         SELECT setval(pg_get_serial_sequence('users', 'rowid'),
                       GREATEST((SELECT COALESCE(MAX(rowid), 0) FROM users), 1), (SELECT COUNT(*) > 0 FROM users));",
    )
}

#[cfg(test)]
mod tests {
    /// A table added by a migration and left out of `TABLES` would silently stay
    /// behind in every copy.
    #[test]
    fn every_table_of_the_sqlite_schema_is_copied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::sql::SqlStore::open(&dir.path().join("ho.db")).expect("open");
        let tables = store
            .query_text(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'refinery_%'",
            )
            .expect("tables");
        let missing: Vec<&str> = tables
            .iter()
            .filter_map(|r| r.first().map(String::as_str))
            .filter(|t| !super::TABLES.contains(t))
            .collect();
        assert!(missing.is_empty(), "copy-db leaves out {missing:?}");
    }
}
