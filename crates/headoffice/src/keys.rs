//! API keys: random, shown once, stored only as a SHA-256 digest so a copied
//! database does not leak working credentials.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::model::Scope;
use crate::store::Store;

/// A fresh key: `wk_` + 256 random bits in lower-case base32.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "wk_{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}

/// Hex SHA-256 of a key, the only form the store keeps.
pub fn hash_key(key: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(key.as_bytes()))
}

/// Create and store a key; returns the key itself (the only time it is known).
pub async fn create_key(store: &dyn Store, scope: Scope) -> Result<String> {
    let key = generate_key();
    store.insert_key(hash_key(&key), scope).await?;
    Ok(key)
}
