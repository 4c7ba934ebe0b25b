//! The SQLite side of device sync: enrollment, staff, exactly-once application of
//! pushed operations (each in a savepoint of one batch transaction, its op id kept
//! for good in `sync_ops`; each act through `crate::usecase`), and stock allotments.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;
use wicket_domain::{self as domain, Allotment, Role};
use wicket_protocol::{DeviceSyncState, OpResult, RedemptionHistoryEntry, StaffResponse, WireOp};

use super::items::find_item;
use super::products::require_product;
use super::rows::{now, opt_u64, opt_uuid_at, uuid_at};
use super::tx::SqliteTx;
use crate::error::{Error, Result};
use crate::review::SyncIssue;
use crate::usecase::{allotment, push};

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

// ------------------------------------------------------------------ push and allotments

/// A device's batch in one IMMEDIATE transaction (see `usecase::push::push_batch`).
pub(crate) fn push_ops(
    conn: &mut Connection,
    device: Uuid,
    ops: Vec<WireOp>,
) -> Result<Vec<OpResult>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (at, _) = now();
    let out = push::push_batch(&SqliteTx(&tx), device, &ops, at)?;
    tx.commit()?;
    Ok(out)
}

pub(crate) fn create_allotment(
    tx: &Connection,
    device: Uuid,
    product: Uuid,
    units: u64,
    ttl_secs: i64,
) -> Result<Allotment> {
    let (at, _) = now();
    allotment::grant(&SqliteTx(tx), device, product, units, ttl_secs, at)
}

pub(crate) fn release_allotment(tx: &Connection, device: Uuid, id: Uuid) -> Result<u64> {
    let (at, _) = now();
    allotment::release(&SqliteTx(tx), device, id, at)
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
