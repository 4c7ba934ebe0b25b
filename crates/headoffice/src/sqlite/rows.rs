//! Row helpers of the SQLite store: clock, column conversions, counts, and the
//! change feed's `touch`.

use std::str::FromStr;

use rusqlite::types::{Type, Value};
use rusqlite::{Connection, Row, params};
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

pub(crate) fn conv_err(
    idx: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

pub(crate) fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| conv_err(idx, e)))
        .transpose()
}

pub(crate) fn json_at<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn decimal_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Decimal> {
    let s: String = row.get(idx)?;
    Decimal::from_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn opt_u64(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn bad_stored(what: &str) -> rusqlite::Error {
    conv_err(
        0,
        std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
    )
}

pub(crate) fn count(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<u64> {
    let n: i64 = conn.query_row(sql, p, |r| r.get(0))?;
    Ok(opt_u64(Some(n)).unwrap_or(0))
}

pub(crate) fn page_of<T>(
    conn: &Connection,
    count_sql: &str,
    list_sql: &str,
    args: Vec<Value>,
    page: &PageReq,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Page<T>> {
    let total = count(conn, count_sql, rusqlite::params_from_iter(args.iter()))?;
    let mut all = args;
    all.push(Value::Integer(i64::from(page.limit)));
    all.push(Value::Integer(to_i64(page.offset())));
    let mut st = conn.prepare(list_sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(all.iter()), f)?;
    let items = rows.collect::<rusqlite::Result<Vec<T>>>()?;
    Ok(Page::new(items, total, page))
}

/// Give an entity a fresh change seq so devices pull its current state again.
pub(crate) fn touch(tx: &Connection, entity: &str, key: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM changes WHERE entity = ?1 AND key = ?2")?
        .execute(params![entity, key])?;
    tx.prepare_cached("INSERT INTO changes (entity, key) VALUES (?1, ?2)")?
        .execute(params![entity, key])?;
    Ok(())
}
