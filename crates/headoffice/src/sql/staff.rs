//! Staff sign-in at head office (tokens, PIN failures) and staff upkeep; the same
//! query text on both engines.

use uuid::Uuid;
use wicket_domain::{Role, Timestamp};
use wicket_protocol::StaffListing;

use super::rows::uuid_at;
use super::tx::SqlTx;
use crate::db::OptionalExtension;
use crate::error::{Error, Result};
use crate::params;
use crate::storage::{StaffAccess, StaffLogin};

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| Error::Storage(format!("staff role {s:?}")))
}

impl StaffAccess for SqlTx<'_> {
    fn staff_login(&self, id: Uuid) -> Result<Option<StaffLogin>> {
        let row: Option<(String, String, String, bool, i64, i64)> = self
            .0
            .prepare_cached(
                "SELECT s.name, s.role, s.pin_hash, s.active, COALESCE(f.failures, 0), \
                 COALESCE(f.locked_until, 0) \
                 FROM staff s LEFT JOIN staff_pin_failures f ON f.staff_id = s.id WHERE s.id = ?1",
            )?
            .query_row([id.to_string()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?;
        row.map(|(name, role, pin_hash, active, failures, locked_until)| {
            Ok(StaffLogin {
                id,
                name,
                role: role_of(&role)?,
                pin_hash,
                active,
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                locked_until,
            })
        })
        .transpose()
    }

    fn add_pin_failure(&self, id: Uuid) -> Result<u32> {
        let n: i64 = self
            .0
            .prepare_cached(
                "INSERT INTO staff_pin_failures (staff_id, failures, locked_until) VALUES (?1, 1, 0) \
                 ON CONFLICT (staff_id) DO UPDATE SET failures = staff_pin_failures.failures + 1 \
                 RETURNING failures",
            )?
            .query_row([id.to_string()], |r| r.get(0))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn set_pin_lockout(&self, id: Uuid, locked_until: Timestamp) -> Result<()> {
        self.0
            .prepare_cached("UPDATE staff_pin_failures SET locked_until = ?2 WHERE staff_id = ?1")?
            .execute(params![id.to_string(), locked_until])?;
        Ok(())
    }

    fn clear_pin_failures(&self, id: Uuid) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM staff_pin_failures WHERE staff_id = ?1")?
            .execute([id.to_string()])?;
        Ok(())
    }

    fn insert_staff_token(
        &self,
        token_hash: &str,
        staff: Uuid,
        device: Uuid,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<()> {
        // Expired tokens of anyone go with each new one: the table stays small.
        self.0
            .prepare_cached("DELETE FROM staff_tokens WHERE expires_at < ?1")?
            .execute(params![at])?;
        self.0
            .prepare_cached(
                "INSERT INTO staff_tokens (token_hash, staff_id, device_id, expires_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                token_hash,
                staff.to_string(),
                device.to_string(),
                expires_at,
                at
            ])?;
        Ok(())
    }

    fn staff_for_token(
        &self,
        token_hash: &str,
        device: Uuid,
        at: Timestamp,
    ) -> Result<Option<(Uuid, Role)>> {
        let row: Option<(Uuid, String)> = self
            .0
            .prepare_cached(
                "SELECT s.id, s.role FROM staff_tokens t JOIN staff s ON s.id = t.staff_id \
                 WHERE t.token_hash = ?1 AND t.device_id = ?2 AND t.expires_at > ?3 AND s.active = 1",
            )?
            .query_row(params![token_hash, device.to_string(), at], |r| {
                Ok((uuid_at(r, 0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(id, role)| Ok((id, role_of(&role)?))).transpose()
    }

    fn drop_staff_tokens(&self, staff: Uuid) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM staff_tokens WHERE staff_id = ?1")?
            .execute([staff.to_string()])?;
        Ok(())
    }

    fn update_staff(
        &self,
        id: Uuid,
        name: Option<&str>,
        role: Option<Role>,
        pin_hash: Option<&str>,
        active: Option<bool>,
    ) -> Result<bool> {
        let n = self
            .0
            .prepare_cached(
                "UPDATE staff SET name = COALESCE(?2, name), role = COALESCE(?3, role), \
                 pin_hash = COALESCE(?4, pin_hash), active = COALESCE(?5, active) WHERE id = ?1",
            )?
            .execute(params![
                id.to_string(),
                name,
                role.map(Role::as_str),
                pin_hash,
                active.map(i64::from)
            ])?;
        Ok(n > 0)
    }

    fn list_staff(&self) -> Result<Vec<StaffListing>> {
        let mut st = self.0.prepare_cached(
            "SELECT id, name, role, active, created_at FROM staff ORDER BY name, id",
        )?;
        let rows = st.query_map(Vec::<crate::db::Value>::new(), |r| {
            Ok((
                uuid_at(r, 0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<bool>(3)?,
                r.get::<i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, name, role, active, created_at) = row?;
            Ok(StaffListing {
                id,
                name,
                role: role_of(&role)?,
                active,
                created_at,
            })
        })
        .collect()
    }
}
