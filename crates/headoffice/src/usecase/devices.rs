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

pub fn create_enrollment_code(tx: &dyn Tx, code_hash: &str, expires_at: Timestamp) -> Result<()> {
    tx.insert_enrollment_code(code_hash, expires_at)
}

/// Use a code once and enroll the device; answers head office's public key (hex).
pub fn enroll(
    tx: &dyn Tx,
    code_hash: &str,
    device: Uuid,
    name: &str,
    public_key: &str,
    credential_hash: &str,
    at: Timestamp,
) -> Result<String> {
    if !tx.use_enrollment_code(code_hash, device, at)? {
        tracing::warn!("enrollment with an unknown, used or expired code");
        return Err(Error::Unauthorized);
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
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = hex::encode(key.verifying_key().to_bytes());
    tx.set_setting("public_key", &public)?;
    tx.set_setting("signing_key", &hex::encode(seed))?;
    Ok(public)
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
    let (valid_from, valid_until) = domain::ticket_validity(event, it.created_at);
    let claims = wicket_ticket::TicketClaims {
        product_id: product,
        item_uuid: it.id,
        item_id: it.item_id,
        event_id: p.event_id,
        valid_from,
        valid_until,
    };
    let key = signing_key(tx)?;
    wicket_ticket::sign(&claims, &key).map_err(|e| Error::Storage(format!("signing: {e}")))
}
