//! Staff on this device: adding members with a PIN (Argon2 hash), signing in by
//! PIN, and finding a member by name for the CLI.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wicket_domain::Role;

use crate::door::Staff;
use crate::error::{DeviceError, Result};
use crate::replica::Replica;

/// Argon2id at the cost the domain sets for PIN hashes (`PIN_HASH_*`).
fn hasher() -> Result<Argon2<'static>> {
    let params = argon2::Params::new(
        wicket_domain::PIN_HASH_MEMORY_KIB,
        wicket_domain::PIN_HASH_PASSES,
        1,
        None,
    )
    .map_err(|e| DeviceError::Invalid(format!("pin hash parameters: {e}")))?;
    Ok(Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

/// Hash a PIN for a staff member of `role` (PHC string, as head office stores it).
pub fn hash_pin(role: Role, pin: &str) -> Result<String> {
    wicket_domain::validate_pin_for(role, pin)?;
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| DeviceError::Invalid(format!("salt: {e}")))?;
    hasher()?
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DeviceError::Invalid(format!("pin hash: {e}")))
}

/// PINs verified by this process: a keyed digest of the PIN -> (staff id, the stored
/// hash it matched). Kept in memory only (never on disk, gone when the app exits), so
/// a second sign-in of the same person costs a lookup instead of a third of a second
/// per staff member; the stored hash must still be the same for it to count.
type PinCache = HashMap<[u8; 32], Vec<(Uuid, String)>>;
static PIN_CACHE: LazyLock<Mutex<PinCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));
/// This process's digest key: a cache entry means nothing outside it.
static PIN_CACHE_KEY: LazyLock<[u8; 32]> = LazyLock::new(rand::random);

fn pin_digest(pin: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(*PIN_CACHE_KEY);
    h.update(pin.as_bytes());
    h.finalize().into()
}

/// The key of the device-wide wrong-PIN counter (sign-in is by PIN alone, so a miss
/// belongs to no one in particular).
const ANYONE: [u8; 16] = [0; 16];

impl Replica {
    /// Add a staff member with a PIN (4–12 digits, 6 for managers and admins,
    /// stored as an Argon2id hash).
    pub fn add_staff(&mut self, name: &str, role: Role, pin: &str) -> Result<Staff> {
        let name = wicket_domain::validate_name("name", name)?;
        let name = name.as_str();
        wicket_domain::validate_pin_for(role, pin)?;
        // PINs must be unique: sign-in finds the person by PIN alone.
        if self.staff_by_pin(pin)?.is_some() {
            return Err(DeviceError::Invalid("that PIN is already in use".into()));
        }
        let staff = Staff {
            id: Uuid::now_v7(),
            name: name.to_string(),
            role,
        };
        self.conn.execute(
            "INSERT INTO staff (id, name, role, pin_hash) VALUES (?1, ?2, ?3, ?4)",
            params![staff.id, staff.name, role.as_str(), hash_pin(role, pin)?],
        )?;
        Ok(staff)
    }

    /// Add a staff member whose PIN hash is known (the demo staff, hashed once).
    pub(crate) fn add_staff_hashed(&mut self, name: &str, role: Role, hash: &str) -> Result<Staff> {
        let staff = Staff {
            id: Uuid::now_v7(),
            name: wicket_domain::validate_name("name", name)?,
            role,
        };
        self.conn.execute(
            "INSERT INTO staff (id, name, role, pin_hash) VALUES (?1, ?2, ?3, ?4)",
            params![staff.id, staff.name, role.as_str(), hash],
        )?;
        Ok(staff)
    }

    /// The active staff member with this PIN, or `bad_pin`. After
    /// `PIN_FREE_TRIES` wrong PINs in a row the device makes sign-in wait, longer
    /// with each further miss (`locked_out`), whoever tries.
    pub fn sign_in(&self, pin: &str) -> Result<Staff> {
        let now = self.now();
        let (failures, locked_until) = self.pin_failures()?;
        if locked_until > now {
            return Err(DeviceError::LockedOut(locked_until - now));
        }
        match self.staff_by_pin(pin)? {
            Some(staff) => {
                self.conn.execute(
                    "DELETE FROM pin_failures WHERE staff_id = ?1",
                    [ANYONE.as_slice()],
                )?;
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sign_in', ?1)",
                    [hex::encode(staff.id.as_bytes())],
                )?;
                Ok(staff)
            }
            None => {
                let failures = failures.saturating_add(1);
                let wait = wicket_domain::pin_lockout_secs(failures);
                self.conn.execute(
                    "INSERT OR REPLACE INTO pin_failures (staff_id, failures, locked_until) \
                     VALUES (?1, ?2, ?3)",
                    params![ANYONE.as_slice(), failures, now.saturating_add(wait)],
                )?;
                if wait > 0 {
                    tracing::warn!(failures, wait, "wrong PINs: sign-in locked");
                }
                Err(DeviceError::BadPin)
            }
        }
    }

    /// Wrong PINs in a row and until when sign-in waits.
    fn pin_failures(&self) -> Result<(u32, i64)> {
        Ok(self
            .conn
            .query_row(
                "SELECT failures, locked_until FROM pin_failures WHERE staff_id = ?1",
                [ANYONE.as_slice()],
                |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0)))
    }

    fn staff_by_pin(&self, pin: &str) -> Result<Option<Staff>> {
        if wicket_domain::validate_pin(pin).is_err() {
            return Ok(None);
        }
        let digest = pin_digest(pin);
        let known: Vec<(Uuid, String)> = PIN_CACHE
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)
            .cloned()
            .unwrap_or_default();
        for (id, hash) in known {
            let row: Option<(String, String)> = self
                .conn
                .query_row(
                    "SELECT name, role FROM staff WHERE id = ?1 AND pin_hash = ?2 AND active = 1",
                    params![id, hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((name, role)) = row {
                let role = Role::parse(&role)
                    .ok_or_else(|| DeviceError::Corrupt(format!("role {role:?}")))?;
                return Ok(Some(Staff { id, name, role }));
            }
        }
        // Whoever signed in last here first: each check costs a third of a second.
        let mut st = self.conn.prepare_cached(
            "SELECT id, name, role, pin_hash FROM staff WHERE active = 1 \
             ORDER BY lower(hex(id)) = (SELECT value FROM meta WHERE key = 'last_sign_in') DESC, name",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, Uuid>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for row in rows {
            let (id, name, role, hash) = row?;
            let Ok(parsed) = PasswordHash::new(&hash) else {
                continue;
            };
            // Verification takes the cost from the stored hash itself.
            if Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
            {
                let role = Role::parse(&role)
                    .ok_or_else(|| DeviceError::Corrupt(format!("role {role:?}")))?;
                let mut cache = PIN_CACHE.lock().unwrap_or_else(|p| p.into_inner());
                // Bounded: a device has tens of staff, a test process a few hundred.
                if cache.len() > 4096 {
                    cache.clear();
                }
                cache.entry(digest).or_default().push((id, hash.clone()));
                return Ok(Some(Staff { id, name, role }));
            }
        }
        Ok(None)
    }

    /// An active staff member by id or by name (case-insensitive).
    pub fn staff_named(&self, key: &str) -> Result<Staff> {
        let key = key.trim();
        let id = Uuid::parse_str(key).ok();
        self.staff()?
            .into_iter()
            .find(|s| Some(s.id) == id || s.name.eq_ignore_ascii_case(key))
            .ok_or_else(|| DeviceError::not_found("staff member", key))
    }

    pub fn staff(&self) -> Result<Vec<Staff>> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, role FROM staff WHERE active = 1 ORDER BY name")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, Uuid>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role) = row?;
            let role =
                Role::parse(&role).ok_or_else(|| DeviceError::Corrupt(format!("role {role:?}")))?;
            out.push(Staff { id, name, role });
        }
        Ok(out)
    }
}
