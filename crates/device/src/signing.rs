//! The device's own ticket-signing key: created on first open, kept in the replica,
//! and trusted by the replica itself.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use wicket_ticket::{SigningKey, key_id};

use crate::error::{DeviceError, Result};

/// Load the device's ticket-signing key, creating (and trusting) one on first open.
pub(crate) fn load_or_create_key(conn: &Connection, device_id: Uuid) -> Result<SigningKey> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'signing_key'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let key = match stored {
        Some(h) => {
            let bytes: [u8; 32] = hex::decode(&h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| DeviceError::Corrupt("signing_key is not 32 hex bytes".into()))?;
            SigningKey::from_bytes(&bytes)
        }
        None => {
            let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('signing_key', ?1)",
                [hex::encode(key.to_bytes())],
            )?;
            key
        }
    };
    let public = key.verifying_key();
    conn.execute(
        "INSERT OR IGNORE INTO trusted_keys (key_id, public_key, owner) VALUES (?1, ?2, ?3)",
        params![
            key_id(&public).0.to_vec(),
            public.to_bytes().to_vec(),
            format!("device:{device_id}")
        ],
    )?;
    Ok(key)
}
