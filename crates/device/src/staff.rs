//! Staff on this device: adding members with a PIN (Argon2 hash), signing in by
//! PIN, and finding a member by name for the CLI.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::params;
use uuid::Uuid;
use wicket_domain::Role;

use crate::door::Staff;
use crate::error::{DeviceError, Result};
use crate::replica::Replica;

fn hash_pin(pin: &str) -> Result<String> {
    wicket_domain::validate_pin(pin)?;
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| DeviceError::Invalid(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DeviceError::Invalid(format!("pin hash: {e}")))
}

impl Replica {
    /// Add a staff member with a PIN (4–12 digits, stored as an Argon2 hash).
    pub fn add_staff(&mut self, name: &str, role: Role, pin: &str) -> Result<Staff> {
        let name = wicket_domain::validate_name("name", name)?;
        let name = name.as_str();
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
            params![staff.id, staff.name, role.as_str(), hash_pin(pin)?],
        )?;
        Ok(staff)
    }

    /// The active staff member with this PIN, or `bad_pin`.
    pub fn sign_in(&self, pin: &str) -> Result<Staff> {
        self.staff_by_pin(pin)?.ok_or(DeviceError::BadPin)
    }

    fn staff_by_pin(&self, pin: &str) -> Result<Option<Staff>> {
        if wicket_domain::validate_pin(pin).is_err() {
            return Ok(None);
        }
        let mut st = self
            .conn
            .prepare_cached("SELECT id, name, role, pin_hash FROM staff WHERE active = 1")?;
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
            if Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
            {
                let role = Role::parse(&role)
                    .ok_or_else(|| DeviceError::Corrupt(format!("role {role:?}")))?;
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
