//! The SQLite side of device sync: enrollment, staff, exactly-once application of
//! pushed operations (each in a savepoint of one batch transaction, its op id kept
//! for good in `sync_ops`; each act through `crate::usecase`), and stock allotments.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;
use wicket_domain::{self as domain, Allotment, Role};
use wicket_protocol::{
    DeviceSyncState, Op, OpResult, OpStatus, RedemptionHistoryEntry, StaffResponse, WireOp,
};

use super::items::find_item;
use super::products::{require_product, save_counters};
use super::rows::{now, opt_u64, opt_uuid_at, to_i64, touch, uuid_at};
use super::tx::{ALLOT_COLS, SqliteTx, allot_from_row};
use crate::error::{Error, Result};
use crate::review::SyncIssue;
use crate::usecase::push::{OpContext, apply_op, authorize};
use crate::usecase::scan::Outcome;

// ------------------------------------------------------------------ enrollment

pub(crate) fn create_enrollment_code(
    tx: &Connection,
    code_hash: &str,
    expires_at: i64,
) -> Result<()> {
    let (at, _) = now();
    tx.execute(
        "INSERT INTO enrollment_codes (code_hash, expires_at, created_at) VALUES (?1, ?2, ?3)",
        params![code_hash, expires_at, at],
    )?;
    Ok(())
}

/// Head office's ticket-signing key, created on first use; returns the public key hex.
fn headoffice_key(tx: &Connection) -> Result<String> {
    if let Some(pk) = tx
        .query_row(
            "SELECT value FROM ho_meta WHERE key = 'public_key'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        return Ok(pk);
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = hex::encode(key.verifying_key().to_bytes());
    tx.execute(
        "INSERT INTO ho_meta (key, value) VALUES ('public_key', ?1)",
        [&public],
    )?;
    tx.execute(
        "INSERT INTO ho_meta (key, value) VALUES ('signing_key', ?1)",
        [hex::encode(seed)],
    )?;
    Ok(public)
}

/// Head office's ticket-signing key, created on first use.
fn headoffice_signing_key(tx: &Connection) -> Result<wicket_ticket::SigningKey> {
    headoffice_key(tx)?;
    let seed: String = tx.query_row(
        "SELECT value FROM ho_meta WHERE key = 'signing_key'",
        [],
        |r| r.get(0),
    )?;
    let seed: [u8; 32] = hex::decode(seed.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Storage("stored signing key is not 32 hex bytes".into()))?;
    Ok(wicket_ticket::SigningKey::from_bytes(&seed))
}

/// The token of one of `product`'s items, signed by head office with the same
/// validity window a device would give it (`wicket_domain::ticket_validity`).
pub(crate) fn item_ticket(tx: &Connection, product: Uuid, item: Uuid) -> Result<String> {
    let row = find_item(tx, item)?
        .filter(|r| r.item.product_id == product)
        .ok_or_else(|| Error::not_found(format!("item {item} of product {product}")))?;
    let p = require_product(tx, product)?;
    let event = match p.p.event_id {
        Some(e) => tx
            .query_row(
                "SELECT start_date, end_date FROM events WHERE id = ?1",
                [e.to_string()],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()?,
        None => None,
    };
    let (valid_from, valid_until) = domain::ticket_validity(event, row.item.created_at);
    let claims = wicket_ticket::TicketClaims {
        product_id: product,
        item_uuid: row.item.id,
        item_id: row.item.item_id,
        event_id: p.p.event_id,
        valid_from,
        valid_until,
    };
    let key = headoffice_signing_key(tx)?;
    wicket_ticket::sign(&claims, &key).map_err(|e| Error::Storage(format!("signing: {e}")))
}

pub(crate) fn enroll_device(
    tx: &Connection,
    code_hash: &str,
    device_id: Uuid,
    name: &str,
    public_key: &str,
    credential_hash: &str,
) -> Result<String> {
    let (at, _) = now();
    let used = tx.execute(
        "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 \
         WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![code_hash, at, device_id.to_string()],
    )?;
    if used == 0 {
        tracing::warn!("enrollment with an unknown, used or expired code");
        return Err(Error::Unauthorized);
    }
    tx.execute(
        "INSERT INTO devices (id, name, public_key, credential_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key, \
         credential_hash = excluded.credential_hash, revoked_at = NULL",
        params![device_id.to_string(), name, public_key, credential_hash, at],
    )?;
    headoffice_key(tx)
}

pub(crate) fn device_by_credential(c: &Connection, credential_hash: &str) -> Result<Option<Uuid>> {
    Ok(c.prepare_cached(
        "SELECT id FROM devices WHERE credential_hash = ?1 AND revoked_at IS NULL",
    )?
    .query_row([credential_hash], |r| uuid_at(r, 0))
    .optional()?)
}

pub(crate) fn create_staff(
    tx: &Connection,
    name: &str,
    role: Role,
    pin_hash: &str,
) -> Result<StaffResponse> {
    let (at, _) = now();
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO staff (id, name, role, pin_hash, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        params![id.to_string(), name, role.as_str(), pin_hash, at],
    )?;
    Ok(StaffResponse {
        id,
        name: name.to_string(),
        role,
    })
}

// ------------------------------------------------------------------ changes

/// Make devices re-pull the truth about everything `op` names (undoing whatever
/// the device did locally when head office refused or repeated it).
fn touch_refs(tx: &Connection, op: &Op) -> Result<()> {
    for t in op.touches() {
        let (e, k) = t.entity();
        touch(tx, e, &k.to_string())?;
    }
    Ok(())
}

// ------------------------------------------------------------------ push

fn result(
    op_id: Uuid,
    status: OpStatus,
    code: Option<String>,
    message: Option<String>,
) -> OpResult {
    OpResult {
        op_id,
        status,
        code,
        message,
    }
}

/// Apply a device's batch exactly once per op id, in order, each op in a savepoint
/// of one transaction. A refused op is answered `rejected` with its code and changes
/// nothing; only a storage failure fails the batch (the device retries it).
pub(crate) fn push_ops(
    conn: &mut Connection,
    device: Uuid,
    ops: Vec<WireOp>,
) -> Result<Vec<OpResult>> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (at, _) = now();
    sweep_expired(&tx, at)?;
    let mut out = Vec::with_capacity(ops.len());
    for w in ops {
        let op_key = w.op_id.to_string();
        let decoded = w.decode();
        let earlier: Option<(String, Option<String>)> = tx
            .prepare_cached("SELECT status, code FROM sync_ops WHERE op_id = ?1")?
            .query_row([&op_key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((status, code)) = earlier {
            if let Ok(op) = &decoded {
                touch_refs(&tx, op)?;
            }
            count_op(&tx, device, OpStatus::Duplicate, at)?;
            out.push(result(
                w.op_id,
                OpStatus::Duplicate,
                code,
                Some(format!("already received ({status})")),
            ));
            continue;
        }
        if w.device_id != device {
            out.push(result(
                w.op_id,
                OpStatus::Rejected,
                Some("wrong_device".into()),
                Some("operation belongs to another device".into()),
            ));
            continue;
        }
        let applied = match &decoded {
            Err(e) => Err(Error::InvalidRequest(format!("{}: {e}", e.code()))),
            Ok(op) => {
                let sp = tx.savepoint()?;
                let cx = OpContext {
                    device,
                    op_id: w.op_id,
                    staff_id: w.staff_id,
                    device_time: w.device_time,
                };
                let tx = SqliteTx(&sp);
                let r = authorize(&tx, w.staff_id, op).and_then(|()| apply_op(&tx, &cx, op));
                if r.is_ok() {
                    sp.commit()?;
                }
                r
            }
        };
        let (status, code, message) = match applied {
            Ok(Outcome::Applied) => (OpStatus::Applied, None, None),
            Ok(Outcome::Conflict { code, message }) => {
                (OpStatus::Conflict, Some(code), Some(message))
            }
            // A storage failure is not the op's fault: fail the batch, the device retries.
            Err(Error::Storage(e)) => return Err(Error::Storage(e)),
            Err(e) => {
                if let Ok(op) = &decoded {
                    touch_refs(&tx, op)?;
                }
                tracing::warn!(op = %w.op_id, kind = %w.kind, code = e.code(), "pushed op rejected");
                (
                    OpStatus::Rejected,
                    Some(e.code().to_string()),
                    Some(e.to_string()),
                )
            }
        };
        tx.prepare_cached(
            "INSERT INTO sync_ops (op_id, device_id, device_seq, staff_id, device_time, kind, status, code, message, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            op_key,
            device.to_string(),
            w.seq,
            w.staff_id.map(|s| s.to_string()),
            w.device_time,
            w.kind,
            status.as_str(),
            code,
            message,
            at
        ])?;
        count_op(&tx, device, status, at)?;
        out.push(result(w.op_id, status, code, message));
    }
    tx.commit()?;
    Ok(out)
}

/// Per-device sync counters for support (`GET /v1/sync/devices`).
fn count_op(tx: &Connection, device: Uuid, status: OpStatus, at: i64) -> Result<()> {
    let col = match status {
        OpStatus::Applied => "applied",
        OpStatus::Duplicate => "duplicate",
        OpStatus::Conflict => "conflict",
        OpStatus::Rejected => "rejected",
        OpStatus::Unknown => return Ok(()),
    };
    tx.prepare_cached(&format!(
        "INSERT INTO device_sync (device_id, last_push_at, {col}) VALUES (?1, ?2, 1) \
         ON CONFLICT (device_id) DO UPDATE SET last_push_at = excluded.last_push_at, {col} = {col} + 1"
    ))?
    .execute(params![device.to_string(), at])?;
    Ok(())
}

// ------------------------------------------------------------------ allotments

fn release_one(tx: &Connection, a: &Allotment, at: i64) -> Result<u64> {
    let row = require_product(tx, a.product_id)?;
    let (_, iso) = now();
    save_counters(
        tx,
        a.product_id,
        &domain::release_allotment(&row.counters, a),
        &iso,
    )?;
    tx.prepare_cached("UPDATE allotments SET released_at = ?2 WHERE id = ?1")?
        .execute(params![a.id.to_string(), at])?;
    Ok(a.units_left())
}

/// Expired allotments give their unused units back.
fn sweep_expired(tx: &Connection, at: i64) -> Result<()> {
    let expired: Vec<Allotment> = tx
        .prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE released_at IS NULL AND expires_at <= ?1"
        ))?
        .query_map([at], allot_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    for a in &expired {
        let back = release_one(tx, a, at)?;
        tracing::info!(allotment = %a.id, back, "expired allotment released");
    }
    Ok(())
}

pub(crate) fn create_allotment(
    tx: &Connection,
    device: Uuid,
    product: Uuid,
    units: u64,
    ttl_secs: i64,
) -> Result<Allotment> {
    let (at, iso) = now();
    sweep_expired(tx, at)?;
    let row = require_product(tx, product)?;
    let (a, counters) = domain::grant_allotment(
        &row.p,
        &row.counters,
        device,
        units,
        at,
        ttl_secs,
        Uuid::now_v7(),
    )?;
    save_counters(tx, product, &counters, &iso)?;
    tx.execute(
        "INSERT INTO allotments (id, product_id, device_id, units, used, first_item_id, expires_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
        params![
            a.id.to_string(),
            product.to_string(),
            device.to_string(),
            to_i64(a.units),
            to_i64(a.first_item_id),
            a.expires_at
        ],
    )?;
    Ok(a)
}

pub(crate) fn release_allotment(tx: &Connection, device: Uuid, id: Uuid) -> Result<u64> {
    let (at, _) = now();
    let found: Option<(Allotment, Option<i64>)> = tx
        .query_row(
            &format!(
                "SELECT {ALLOT_COLS}, released_at FROM allotments WHERE id = ?1 AND device_id = ?2"
            ),
            params![id.to_string(), device.to_string()],
            |r| Ok((allot_from_row(r)?, r.get(7)?)),
        )
        .optional()?;
    match found {
        None => Err(Error::not_found(format!("allotment {id}"))),
        Some((_, Some(_))) => Ok(0),
        Some((a, None)) => release_one(tx, &a, at),
    }
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
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
            op_id: uuid_at(r, 1)?,
            device_id: uuid_at(r, 2)?,
            kind: r.get(3)?,
            item: opt_uuid_at(r, 4)?,
            code: r.get(5)?,
            detail: r.get(6)?,
            at: r.get(7)?,
            source: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn device_states(c: &Connection) -> Result<Vec<DeviceSyncState>> {
    let mut st = c.prepare_cached(
        "SELECT d.id, d.name, d.revoked_at IS NOT NULL, s.last_push_at, s.last_pull_at, s.last_pull_cursor, \
         COALESCE(s.applied, 0), COALESCE(s.duplicate, 0), COALESCE(s.conflict, 0), COALESCE(s.rejected, 0) \
         FROM devices d LEFT JOIN device_sync s ON s.device_id = d.id ORDER BY d.enrolled_at, d.id",
    )?;
    let rows = st.query_map([], |r| {
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
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
