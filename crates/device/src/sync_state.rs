//! The replica's side of sync: what the app shows (status, conflicts), the items
//! checksum, and the `Replica` methods the engine uses (outbox batches, settling
//! answers, pulled pages, allotments, enrollment state). The engine itself
//! (`sync.rs`) holds no SQL.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wicket_domain::{Allotment, Timestamp};
use wicket_protocol::{OpResult, PullResponse, WireOp};

use crate::outbox::PushSummary;
use crate::replica::Replica;
use crate::{allotment, meta, outbox, pull};

// ------------------------------------------------------------------ status

/// What the app shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub online: bool,
    pub syncing: bool,
    pub pending_ops: u64,
    pub last_sync: Option<Timestamp>,
    pub cursor: i64,
    pub conflicts: u64,
    /// Progress of the pull in flight (changes applied / changes to apply).
    pub pull_done: u64,
    pub pull_total: u64,
    pub last_error: Option<String>,
}

/// A conflict or rejection head office reported (the protocol's record).
pub type ConflictRecord = wicket_protocol::SyncIssue;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSummary {
    pub pages: u64,
    pub changes: u64,
    pub cursor: i64,
}

/// One item row as the checksum sees it.
pub type ItemKey = (Uuid, Uuid, u64, Uuid, u32, bool);

/// SHA-256 over items (id, product, item_id, owner, redemption_count, revoked),
/// sorted by id: equal on two replicas when they hold the same items.
pub fn checksum_items(mut rows: Vec<ItemKey>) -> String {
    rows.sort_by_key(|r| r.0);
    let mut h = Sha256::new();
    for (id, p, n, o, c, rv) in &rows {
        h.update(id.as_bytes());
        h.update(p.as_bytes());
        h.update(n.to_le_bytes());
        h.update(o.as_bytes());
        h.update(c.to_le_bytes());
        h.update([u8::from(*rv)]);
    }
    format!("{}:{}", rows.len(), hex::encode(h.finalize()))
}

impl Replica {
    /// Head office URL and credential, once enrolled.
    pub fn sync_config(&self) -> crate::Result<Option<(String, String)>> {
        Ok(
            match (
                meta::get(&self.conn, "ho_url")?,
                meta::get(&self.conn, "ho_credential")?,
            ) {
                (Some(u), Some(c)) => Some((u, c)),
                _ => None,
            },
        )
    }

    pub fn pull_cursor(&self) -> crate::Result<i64> {
        Ok(meta::get(&self.conn, "pull_cursor")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub fn last_sync(&self) -> crate::Result<Option<Timestamp>> {
        Ok(meta::get(&self.conn, "last_sync")?.and_then(|v| v.parse().ok()))
    }

    /// Conflicts and rejections head office reported, newest first.
    pub fn sync_conflicts(&self) -> crate::Result<Vec<ConflictRecord>> {
        let mut st = self.conn.prepare(
            "SELECT id, op_id, device_id, kind, item, code, detail, at, source FROM sync_conflicts ORDER BY at DESC, id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(ConflictRecord {
                id: r.get(0)?,
                op_id: r.get(1)?,
                device_id: r.get(2)?,
                kind: r.get(3)?,
                item: r.get(4)?,
                code: r.get(5)?,
                detail: r.get(6)?,
                at: r.get(7)?,
                source: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// This device's allotments that are not released.
    pub fn allotments(&self) -> crate::Result<Vec<Allotment>> {
        allotment::list(&self.conn, self.device_id)
    }

    /// Units of `product` this device can still sell offline.
    pub fn allotment_units_left(&self, product: Uuid) -> crate::Result<u64> {
        allotment::units_left(&self.conn, product, self.now())
    }

    /// Keep an allotment head office granted.
    pub fn store_allotment(&mut self, a: &Allotment) -> crate::Result<()> {
        allotment::store(&self.conn, a)
    }

    /// Stop selling from an allotment (its release is being asked for).
    pub fn stop_allotment(&mut self, id: Uuid) -> crate::Result<()> {
        allotment::mark_released(&self.conn, id)
    }

    /// Store head office's URL and this device's credential once enrolled.
    pub fn set_enrollment(&mut self, url: &str, credential: &str) -> crate::Result<()> {
        let tx = self.conn.transaction()?;
        meta::set(&tx, "ho_url", url)?;
        meta::set(&tx, "ho_credential", credential)?;
        tx.commit()?;
        Ok(())
    }

    /// Note a successful sync round.
    pub fn mark_synced(&mut self) -> crate::Result<()> {
        let now = self.now();
        meta::set(&self.conn, "last_sync", &now.to_string())?;
        Ok(())
    }

    /// Checksum of every item in the replica (see [`checksum_items`]).
    pub fn items_checksum(&self) -> crate::Result<String> {
        let mut st = self.conn.prepare(
            "SELECT id, product_id, item_id, owner_id, redemption_count, revoked FROM items",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)? as u64,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        Ok(checksum_items(rows.collect::<rusqlite::Result<_>>()?))
    }

    /// A local status snapshot (no network).
    pub fn sync_status(&self) -> crate::Result<SyncStatus> {
        let conflicts: i64 =
            self.conn
                .query_row("SELECT COUNT(*) FROM sync_conflicts", [], |r| r.get(0))?;
        Ok(SyncStatus {
            enrolled: meta::is_enrolled(&self.conn)?,
            pending_ops: self.outbox_len()?,
            last_sync: self.last_sync()?,
            cursor: self.pull_cursor()?,
            conflicts: conflicts as u64,
            ..SyncStatus::default()
        })
    }

    /// The next `n` outbox ops as wire envelopes.
    pub fn outbox_batch(&self, n: usize) -> crate::Result<Vec<WireOp>> {
        outbox::batch(&self.conn, n)
    }

    /// Head office answered for these ops: settle them in one transaction.
    pub fn settle(&mut self, sent: &[WireOp], results: &[OpResult]) -> crate::Result<PushSummary> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let s = outbox::settle(&tx, sent, results, now)?;
        tx.commit()?;
        Ok(s)
    }

    /// Apply one pulled page and advance the cursor, in one transaction; returns the
    /// changes skipped because this version cannot read them.
    pub fn apply_pull_page(&mut self, page: &PullResponse) -> crate::Result<u64> {
        pull::apply_page(&mut self.conn, page)
    }
}
