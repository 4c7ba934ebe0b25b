//! API keys: random, shown once, stored only as a SHA-256 digest so a copied
//! database does not leak working credentials.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

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

/// How long a process trusts a key it has looked up. Every request names its key,
/// and on PostgreSQL each lookup is a round trip; a key removed from the database
/// stops working on every process within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(10);

/// Keys seen by this process: digest -> (scope, when looked up).
static SEEN: LazyLock<Mutex<HashMap<String, (Scope, Instant)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The scope of `key`, or `None` for an unknown key (never cached: a key created a
/// moment ago on another process works at once).
pub async fn scope_of(store: &dyn Store, key: &str) -> Result<Option<Scope>> {
    let digest = hash_key(key);
    {
        let seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((scope, at)) = seen.get(&digest)
            && at.elapsed() < KEY_CACHE_TTL
        {
            return Ok(Some(*scope));
        }
    }
    let scope = store.key_scope(digest.clone()).await?;
    if let Some(s) = scope {
        let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: drop everything rather than grow without end.
        if seen.len() > 10_000 {
            seen.clear();
        }
        seen.insert(digest, (s, Instant::now()));
    }
    Ok(scope)
}
