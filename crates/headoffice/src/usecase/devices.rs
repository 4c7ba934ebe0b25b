//! Devices and staff: one-time enrollment codes, enrolling a device (its key and
//! credential), staff members, head office's own ticket-signing key and the tickets
//! it signs for its items.

use uuid::Uuid;
use wicket_domain::{self as domain, Role, Timestamp};
use wicket_protocol::StaffResponse;

use crate::error::{Error, Result};
use crate::storage::Tx;
use crate::store::EventKey;
use crate::usecase::issue;

/// A one-time code; with `for_device`, the admin's leave to re-enroll that device
/// (a laptop reinstalled), which replaces its credential and key.
pub fn create_enrollment_code(
    tx: &dyn Tx,
    code_hash: &str,
    expires_at: Timestamp,
    for_device: Option<Uuid>,
) -> Result<()> {
    if let Some(d) = for_device
        && !tx.device_exists(d)?
    {
        return Err(Error::not_found(format!("device {d}")));
    }
    tx.insert_enrollment_code(code_hash, expires_at, for_device)
}

/// Use a code once and enroll the device; answers head office's public key (hex).
/// An id that is enrolled already is refused unless the code was made for it:
/// otherwise any code would let its holder take over (and cut off) another device.
pub fn enroll(
    tx: &dyn Tx,
    code_hash: &str,
    device: Uuid,
    name: &str,
    public_key: &str,
    credential_hash: &str,
    at: Timestamp,
) -> Result<String> {
    let Some(for_device) = tx.use_enrollment_code(code_hash, device, at)? else {
        tracing::warn!("enrollment with an unknown, used or expired code");
        return Err(Error::Unauthorized);
    };
    if tx.device_exists(device)? && for_device != Some(device) {
        tracing::warn!(%device, "re-enrollment of an enrolled device refused");
        return Err(Error::Conflict(format!(
            "device {device} is enrolled already; an admin must make a re-enrollment code for it"
        )));
    }
    if let Some(d) = for_device
        && d != device
    {
        return Err(Error::Conflict(format!(
            "this code re-enrolls device {d} only"
        )));
    }
    tx.upsert_device(device, name, public_key, credential_hash, at)?;
    headoffice_key(tx)
}

pub fn create_staff(
    tx: &dyn Tx,
    name: &str,
    role: Role,
    pin_hash: &str,
    at: Timestamp,
) -> Result<StaffResponse> {
    let id = Uuid::now_v7();
    tx.insert_staff(id, name, role, pin_hash, at)?;
    Ok(StaffResponse {
        id,
        name: name.to_string(),
        role,
    })
}

/// Head office's ticket-signing key, created on first use; answers the public key hex.
pub fn headoffice_key(tx: &dyn Tx) -> Result<String> {
    if let Some(pk) = tx.setting("public_key")? {
        return Ok(pk);
    }
    new_signing_key(tx)
}

fn new_signing_key(tx: &dyn Tx) -> Result<String> {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = hex::encode(key.verifying_key().to_bytes());
    tx.set_setting("public_key", &public)?;
    tx.set_setting("signing_key", &hex::encode(seed))?;
    Ok(public)
}

/// The short id a ticket token names its signer by, of a hex public key.
fn key_id_of(public_hex: &str) -> Result<String> {
    let bytes: [u8; 32] = hex::decode(public_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Storage("stored public key is not 32 hex bytes".into()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|e| Error::Storage(format!("stored public key: {e}")))?;
    Ok(wicket_ticket::key_id(&key).to_string())
}

/// Longest overlap a rotation may keep the old key trusted (a season).
pub const MAX_KEY_OVERLAP_SECS: i64 = 366 * 86_400;

/// What a rotation did: the new key signs from now; the old one admits until
/// `old_trusted_until`, then every door refuses its tickets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rotated {
    pub new_key_id: String,
    pub new_public_key: String,
    pub old_key_id: String,
    pub old_trusted_until: Timestamp,
}

/// Rotate head office's ticket key: new tickets are signed with a fresh key, and
/// devices trust the old one for `overlap_secs` more (0: refused as soon as devices
/// pull). Devices learn both through the change feed.
pub fn rotate_ticket_key(tx: &dyn Tx, overlap_secs: i64, at: Timestamp) -> Result<Rotated> {
    if !(0..=MAX_KEY_OVERLAP_SECS).contains(&overlap_secs) {
        return Err(domain::DomainError::InvalidField {
            field: "overlap",
            reason: format!("must be 0..={MAX_KEY_OVERLAP_SECS} seconds"),
        }
        .into());
    }
    let old = headoffice_key(tx)?;
    let old_id = key_id_of(&old)?;
    let until = at.saturating_add(overlap_secs);
    tx.retire_ho_key(&old_id, &old, until)?;
    let new = new_signing_key(tx)?;
    tx.touch("trusted_key", "headoffice")?;
    tx.touch("trusted_key", &format!("headoffice:{old_id}"))?;
    tracing::info!(old = %old_id, until, "head office ticket key rotated");
    Ok(Rotated {
        new_key_id: key_id_of(&new)?,
        new_public_key: new,
        old_key_id: old_id,
        old_trusted_until: until,
    })
}

/// Revoke a device: its credential fails at once, and every other device learns on
/// its next pull that the key it signs with is revoked (see the door's rules).
pub fn revoke_device(tx: &dyn Tx, device: Uuid, by: Option<Uuid>, at: Timestamp) -> Result<()> {
    if !tx.revoke_device(device, at)? {
        return Err(Error::not_found(format!("device {device}")));
    }
    tx.insert_audit(&crate::storage::AuditEntry {
        id: Uuid::now_v7(),
        device_id: None,
        staff_id: by,
        action: "device_revoke".into(),
        subject: Some(device.to_string()),
        detail: None,
        at,
        received_at: at,
    })?;
    tracing::warn!(%device, "device revoked");
    Ok(())
}

/// Rename a device (as the Devices screen shows it); audited.
pub fn rename_device(
    tx: &dyn Tx,
    device: Uuid,
    name: &str,
    by: Option<Uuid>,
    at: Timestamp,
) -> Result<()> {
    let name = wicket_domain::validate_name("name", name)?;
    if !tx.rename_device(device, &name)? {
        return Err(Error::not_found(format!("device {device}")));
    }
    tx.insert_audit(&crate::storage::AuditEntry {
        id: Uuid::now_v7(),
        device_id: None,
        staff_id: by,
        action: "device_rename".into(),
        subject: Some(device.to_string()),
        detail: Some(name),
        at,
        received_at: at,
    })?;
    Ok(())
}

/// Keep what a device reported with its pull. A version that is not a short
/// plain version string is refused, not stored.
pub fn record_device_report(
    tx: &dyn Tx,
    device: Uuid,
    pending: Option<u64>,
    app_version: Option<&str>,
) -> Result<()> {
    if let Some(v) = app_version {
        let plain = !v.is_empty()
            && v.len() <= 32
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        if !plain {
            return Err(Error::InvalidRequest(
                "app: a version of 1 to 32 letters, digits, '.', '-' or '+'".into(),
            ));
        }
    }
    tx.record_device_report(device, pending, app_version)
}

fn signing_key(tx: &dyn Tx) -> Result<wicket_ticket::SigningKey> {
    headoffice_key(tx)?;
    let seed = tx
        .setting("signing_key")?
        .ok_or_else(|| Error::Storage("head office signing key missing".into()))?;
    let seed: [u8; 32] = hex::decode(seed.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Storage("stored signing key is not 32 hex bytes".into()))?;
    Ok(wicket_ticket::SigningKey::from_bytes(&seed))
}

/// The token of one of `product`'s items, signed by head office with the same
/// validity window a device would give it (`wicket_domain::ticket_validity`).
pub fn item_ticket(tx: &dyn Tx, product: Uuid, item: Uuid) -> Result<String> {
    let it = tx
        .item(item)?
        .filter(|i| i.product_id == product)
        .ok_or_else(|| Error::not_found(format!("item {item} of product {product}")))?;
    let (p, _) = issue::product(tx, product)?;
    let event = match p.event_id {
        Some(e) => tx
            .event(&EventKey::Id(e))?
            .map(|e| (e.start_date, e.end_date)),
        None => None,
    };
    let (valid_from, valid_until) = domain::ticket_validity(event, it.created_at)?;
    let claims = wicket_ticket::TicketClaims {
        product_id: product,
        item_uuid: it.id,
        item_id: it.item_id,
        event_id: p.event_id,
        valid_from,
        valid_until,
    };
    let key = signing_key(tx)?;
    // What cannot be signed (an item number beyond a token's 32 bits) is a fact
    // about this item, not a server failure.
    wicket_ticket::sign(&claims, &key)
        .map_err(|e| Error::Conflict(format!("no ticket for this item: {}: {e}", e.code())))
}
