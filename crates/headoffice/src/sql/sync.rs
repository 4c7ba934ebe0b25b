//! The store side of device sync: the push batch and allotments in one write
//! transaction each (the acts are `crate::usecase`'s), and the review queries.

use crate::db::Connection;
use uuid::Uuid;
use wicket_domain::Allotment;
use wicket_protocol::{DeviceSyncState, OpResult, RedemptionHistoryEntry, WireOp};

use super::rows::{now, opt_u64, opt_uuid_at, uuid_at};
use super::tx::SqlTx;
use crate::error::Result;
use crate::review::SyncIssue;
use crate::usecase::{allotment, push};

// ------------------------------------------------------------------ push and allotments

/// A device's batch in one write transaction (see `usecase::push::push_batch`).
pub(crate) fn push_ops(tx: &Connection, device: Uuid, ops: &[WireOp]) -> Result<Vec<OpResult>> {
    let (at, _) = now();
    push::push_batch(&SqlTx(tx), device, ops, at)
}

pub(crate) fn create_allotment(
    tx: &Connection,
    device: Uuid,
    product: Uuid,
    units: u64,
    ttl_secs: i64,
) -> Result<Allotment> {
    let (at, _) = now();
    allotment::grant(&SqlTx(tx), device, product, units, ttl_secs, at)
}

pub(crate) fn release_allotment(tx: &Connection, device: Uuid, id: Uuid) -> Result<u64> {
    let (at, _) = now();
    allotment::release(&SqlTx(tx), device, id, at)
}

// ------------------------------------------------------------------ review

pub(crate) fn item_redemptions(c: &Connection, item: Uuid) -> Result<Vec<RedemptionHistoryEntry>> {
    let mut st = c.prepare_cached(
        "SELECT id, op_id, device_id, staff_id, gate, redeemed_at, conflict, pending FROM redemptions \
         WHERE item = ?1 ORDER BY redeemed_at, id",
    )?;
    let rows = st.query_map([item.to_string()], |r| {
        let device: Uuid = uuid_at(r, 2)?;
        Ok(RedemptionHistoryEntry {
            id: uuid_at(r, 0)?,
            op_id: opt_uuid_at(r, 1)?,
            // Head office's own (API) scans carry the nil device.
            device_id: (!device.is_nil()).then_some(device),
            staff_id: opt_uuid_at(r, 3)?,
            gate: r.get(4)?,
            redeemed_at: r.get(5)?,
            conflict: r.get(6)?,
            pending: r.get(7)?,
        })
    })?;
    rows.collect::<Result<_>>()
}

pub(crate) fn sync_issues(c: &Connection, limit: u32) -> Result<Vec<SyncIssue>> {
    let mut st = c.prepare_cached(
        "SELECT id, op_id, device_id, kind, item, code, detail, at, 'conflict' FROM sync_conflicts \
         UNION ALL \
         SELECT op_id, op_id, device_id, kind, NULL, COALESCE(code, ''), COALESCE(message, ''), received_at, 'rejected' \
         FROM sync_ops WHERE status = 'rejected' \
         ORDER BY 8 DESC, 1 LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(SyncIssue {
            id: uuid_at(r, 0)?,
            op_id: opt_uuid_at(r, 1)?,
            device_id: opt_uuid_at(r, 2)?,
            kind: r.get(3)?,
            item: opt_uuid_at(r, 4)?,
            code: r.get(5)?,
            detail: r.get(6)?,
            at: r.get(7)?,
            source: r.get(8)?,
        })
    })?;
    rows.collect::<Result<_>>()
}

pub(crate) fn device_states(c: &Connection) -> Result<Vec<DeviceSyncState>> {
    let mut st = c.prepare_cached(
        "SELECT d.id, d.name, d.revoked_at IS NOT NULL, s.last_push_at, s.last_pull_at, s.last_pull_cursor, \
         COALESCE(s.applied, 0), COALESCE(s.duplicate, 0), COALESCE(s.conflict, 0), COALESCE(s.rejected, 0), \
         s.pending_ops, s.app_version \
         FROM devices d LEFT JOIN device_sync s ON s.device_id = d.id ORDER BY d.enrolled_at, d.id",
    )?;
    let rows = st.query_map((), |r| {
        Ok(DeviceSyncState {
            device_id: uuid_at(r, 0)?,
            name: r.get(1)?,
            revoked: r.get(2)?,
            last_push_at: r.get(3)?,
            last_pull_at: r.get(4)?,
            last_pull_cursor: r.get(5)?,
            applied: opt_u64(r.get(6)?).unwrap_or(0),
            duplicate: opt_u64(r.get(7)?).unwrap_or(0),
            conflict: opt_u64(r.get(8)?).unwrap_or(0),
            rejected: opt_u64(r.get(9)?).unwrap_or(0),
            pending_ops: opt_u64(r.get(10)?),
            app_version: r.get(11)?,
        })
    })?;
    rows.collect::<Result<_>>()
}
