//! The outbox: every local act as a typed `wicket_protocol::Op`, appended in the
//! same transaction as the act itself, uploaded in order and settled from head
//! office's per-op answers.

use std::collections::HashSet;

use rusqlite::{Connection, Transaction, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_domain::Timestamp;
use wicket_protocol::{Op, OpResult, OpStatus, Touch, WireOp};

use crate::allotment;
use crate::error::{DeviceError, Result};

/// One outbox operation, as it waits for upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOp {
    pub seq: i64,
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub device_time: Timestamp,
    pub kind: String,
    pub payload: serde_json::Value,
}

impl OutboxOp {
    /// The typed op.
    pub fn op(&self) -> Result<Op> {
        Op::decode(&self.kind, &self.payload.to_string()).map_err(corrupt)
    }
}

/// What one push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSummary {
    pub sent: u64,
    pub applied: u64,
    pub duplicate: u64,
    pub conflict: u64,
    pub rejected: u64,
    /// Answers this device does not understand (a newer head office); kept to retry.
    pub unknown: u64,
}

fn corrupt(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Corrupt(e.to_string())
}

/// Append `op` inside the transaction that did the act.
pub(crate) fn append(
    tx: &Transaction<'_>,
    device_id: Uuid,
    staff_id: Option<Uuid>,
    op: &Op,
    now: Timestamp,
) -> Result<Uuid> {
    let op_id = Uuid::now_v7();
    tx.prepare_cached(
        "INSERT INTO outbox (op_id, device_id, staff_id, device_time, kind, payload) VALUES (?1,?2,?3,?4,?5,?6)",
    )?
    .execute(params![op_id, device_id, staff_id, now, op.kind(), op.payload_json()])?;
    Ok(op_id)
}

/// Outbox rows in upload order (at most `limit`), as wire envelopes whose payload
/// text passes through unparsed.
fn rows(c: &Connection, limit: i64) -> Result<Vec<WireOp>> {
    let mut st = c.prepare_cached(
        "SELECT seq, op_id, device_id, staff_id, device_time, kind, payload FROM outbox ORDER BY seq LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Uuid>(1)?,
            r.get::<_, Uuid>(2)?,
            r.get::<_, Option<Uuid>>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, op_id, device_id, staff_id, device_time, kind, payload) = row?;
        out.push(
            WireOp::from_parts(seq, op_id, device_id, staff_id, device_time, &kind, payload)
                .map_err(corrupt)?,
        );
    }
    Ok(out)
}

/// The whole outbox in upload order.
pub(crate) fn list(c: &Connection) -> Result<Vec<OutboxOp>> {
    rows(c, i64::MAX)?
        .into_iter()
        .map(|w| {
            Ok(OutboxOp {
                seq: w.seq,
                op_id: w.op_id,
                device_id: w.device_id,
                staff_id: w.staff_id,
                device_time: w.device_time,
                payload: serde_json::from_str(w.payload.get())?,
                kind: w.kind,
            })
        })
        .collect()
}

pub(crate) fn len(c: &Connection) -> Result<u64> {
    Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
}

/// The next `n` ops as wire envelopes.
pub(crate) fn batch(c: &Connection, n: usize) -> Result<Vec<WireOp>> {
    rows(c, i64::try_from(n).unwrap_or(i64::MAX))
}

/// Items and customers named by operations still in the outbox: a pull keeps their
/// local state until head office has those operations (it then sends them again).
pub(crate) fn pending_touches(c: &Connection) -> Result<HashSet<Uuid>> {
    let mut out = HashSet::new();
    let mut st = c.prepare_cached("SELECT kind, payload FROM outbox")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (kind, payload) = row?;
        // An op this version cannot read protects nothing (and must not stop pulls).
        let Ok(op) = Op::decode(&kind, &payload) else {
            tracing::warn!(%kind, "outbox op this version cannot read");
            continue;
        };
        for t in op.touches() {
            if let Touch::Item(u) | Touch::Customer(u) = t {
                out.insert(u);
            }
        }
    }
    Ok(out)
}

/// Head office answered for these ops, in one transaction: answered ops leave the
/// outbox; a rejected one is kept for review, the items it created are dropped and
/// their allotment units given back. An answer this version does not know leaves the
/// op queued.
pub(crate) fn settle(
    tx: &Transaction<'_>,
    sent: &[WireOp],
    results: &[OpResult],
    now: Timestamp,
) -> Result<PushSummary> {
    let mut s = PushSummary {
        sent: sent.len() as u64,
        ..PushSummary::default()
    };
    for r in results {
        let Some(w) = sent.iter().find(|o| o.op_id == r.op_id) else {
            continue;
        };
        match r.status {
            OpStatus::Applied => s.applied += 1,
            OpStatus::Duplicate => s.duplicate += 1,
            OpStatus::Conflict => s.conflict += 1,
            OpStatus::Unknown => {
                s.unknown += 1;
                tracing::warn!(op = %w.op_id, "head office answered with a status this device does not know; kept");
                continue;
            }
            OpStatus::Rejected => {
                s.rejected += 1;
                reject(tx, w, r, now)?;
            }
        }
        tx.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?
            .execute([r.op_id])?;
    }
    Ok(s)
}

fn reject(tx: &Transaction<'_>, w: &WireOp, r: &OpResult, now: Timestamp) -> Result<()> {
    let op = w.decode().ok();
    let item = op.as_ref().and_then(|o| {
        o.touches().into_iter().find_map(|t| match t {
            Touch::Item(u) => Some(u),
            _ => None,
        })
    });
    tx.prepare_cached(
        "INSERT OR REPLACE INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at, source) \
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'rejected')",
    )?
    .execute(params![
        w.op_id,
        w.device_id,
        w.kind,
        item,
        r.code.clone().unwrap_or_default(),
        r.message.clone().unwrap_or_default(),
        now
    ])?;
    tracing::warn!(op = %w.op_id, kind = %w.kind, code = ?r.code, "head office rejected an operation");
    let Some(op) = op else {
        return Ok(());
    };
    if let Op::Refund(p) = &op {
        // The money stays taken: head office refused the refund, so its tickets
        // are valid again.
        return crate::till::drop_refund(tx, p.refund.id);
    }
    // What the refused op created never existed at head office: drop it here now
    // (not at the next pull) so its numbers can be used again at once.
    let product = match &op {
        Op::Issue(p) => Some(p.product_id),
        Op::Sale(p) => Some(p.sale.product_id),
        Op::Claim(_) | Op::RewardRedeem(_) => None,
        _ => return Ok(()),
    };
    if let Op::Sale(p) = &op {
        tx.prepare_cached("DELETE FROM sales WHERE id = ?1")?
            .execute([p.sale.id])?;
    }
    for t in op.touches() {
        let Touch::Item(id) = t else { continue };
        let row: Option<(Uuid, i64)> = rusqlite::OptionalExtension::optional(
            tx.prepare_cached("SELECT product_id, item_id FROM items WHERE id = ?1")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?))),
        )?;
        let Some((pid, number)) = row else { continue };
        tx.prepare_cached("DELETE FROM items WHERE id = ?1")?
            .execute([id])?;
        if product.is_none_or(|p| p == pid) {
            allotment::give_back(tx, pid, number as u64)?;
        }
    }
    Ok(())
}
