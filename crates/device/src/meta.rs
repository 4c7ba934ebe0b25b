//! The replica's key-value settings (`meta` table): device id, head office URL and
//! credential, pull cursor, last sync.

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) fn get(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

pub(crate) fn set(c: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(())
}

/// Whether this replica is enrolled with a head office.
pub(crate) fn is_enrolled(c: &Connection) -> rusqlite::Result<bool> {
    Ok(get(c, "ho_url")?.is_some())
}
