//! Row helpers of the SQL store: clock, column conversions, counts, and the
//! change feed's `touch`.

use std::str::FromStr;

use crate::db::{Connection, Params, Row, Value};
use crate::params;
use uuid::Uuid;
use wicket_domain::Decimal;

use crate::error::Result;
use crate::model::*;

pub(crate) fn now() -> (i64, String) {
    let t = time::OffsetDateTime::now_utc();
    let iso = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string());
    (t.unix_timestamp(), iso)
}

pub(crate) fn conv_err(idx: usize, e: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::Storage(format!("stored value in column {idx}: {e}"))
}

pub(crate) fn uuid_at(row: &Row, idx: usize) -> Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn opt_uuid_at(row: &Row, idx: usize) -> Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| conv_err(idx, e)))
        .transpose()
}

pub(crate) fn json_at<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv_err(idx, e))
}

/// A split payment's parts as stored: JSON, or NULL when paid one way.
pub(crate) fn json_parts(parts: &[wicket_domain::Payment]) -> Result<Option<String>> {
    if parts.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(parts)
        .map(Some)
        .map_err(|e| crate::error::Error::Storage(e.to_string()))
}

/// Stored parts back (none when NULL).
pub(crate) fn parts_at(row: &Row, idx: usize) -> Result<Vec<wicket_domain::Payment>> {
    let s: Option<String> = row.get(idx)?;
    match s {
        None => Ok(Vec::new()),
        Some(s) => serde_json::from_str(&s).map_err(|e| conv_err(idx, e)),
    }
}

pub(crate) fn decimal_at(row: &Row, idx: usize) -> Result<Decimal> {
    let s: String = row.get(idx)?;
    Decimal::from_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn opt_u64(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn bad_stored(what: &str) -> crate::error::Error {
    crate::error::Error::Storage(format!("unreadable stored {what}"))
}

pub(crate) fn count(conn: &Connection, sql: &str, p: impl Params) -> Result<u64> {
    let n: i64 = conn.query_row(sql, p, |r| r.get(0))?;
    Ok(opt_u64(Some(n)).unwrap_or(0))
}

pub(crate) fn page_of<T>(
    conn: &Connection,
    count_sql: &str,
    list_sql: &str,
    args: Vec<Value>,
    page: &PageReq,
    f: impl FnMut(&Row) -> Result<T>,
) -> Result<Page<T>> {
    let total = count(conn, count_sql, args.clone())?;
    let mut all = args;
    all.push(Value::Int(i64::from(page.limit)));
    all.push(Value::Int(to_i64(page.offset())));
    let mut st = conn.prepare(list_sql)?;
    let rows = st.query_map(all, f)?;
    let items = rows.collect::<Result<Vec<T>>>()?;
    Ok(Page::new(items, total, page))
}

/// Give an entity a fresh change seq so devices pull its current state again.
pub(crate) fn touch(tx: &Connection, entity: &str, key: &str) -> Result<()> {
    match tx.dialect() {
        crate::db::Dialect::Sqlite => {
            tx.prepare_cached("DELETE FROM changes WHERE entity = ?1 AND key = ?2")?
                .execute(params![entity, key])?;
            tx.prepare_cached("INSERT INTO changes (entity, key) VALUES (?1, ?2)")?
                .execute(params![entity, key])?;
        }
        // Staged, numbered by the next pull once final (migrations/headoffice-postgres/0011).
        crate::db::Dialect::Postgres => {
            tx.rows("SELECT wicket_touch(?1, ?2)", params![entity, key])?;
        }
    }
    Ok(())
}
