//! Devices, enrollment, staff, settings and the records head office keeps to
//! distrust devices (price history, allotted ranges, retired keys, audit log).

use std::str::FromStr;

use rust_decimal::Decimal;
use uuid::Uuid;
use wicket_domain::{Product, Role, Timestamp};

use super::rows::{now, opt_u64, opt_uuid_at, uuid_at};
use super::tx::SqlTx;
use crate::db::OptionalExtension;
use crate::error::{Error, Result};
use crate::params;
use crate::storage::{AuditEntry, Devices, ItemRange, Trust};

impl Devices for SqlTx<'_> {
    fn insert_enrollment_code(
        &self,
        code_hash: &str,
        expires_at: Timestamp,
        for_device: Option<Uuid>,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO enrollment_codes (code_hash, expires_at, created_at, for_device) \
             VALUES (?1, ?2, ?3, ?4)",
            params![
                code_hash,
                expires_at,
                now().0,
                for_device.map(|d| d.to_string())
            ],
        )?;
        Ok(())
    }

    fn use_enrollment_code(
        &self,
        code_hash: &str,
        device: Uuid,
        at: Timestamp,
    ) -> Result<Option<Option<Uuid>>> {
        let n = self.0.execute(
            "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 \
             WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![code_hash, at, device.to_string()],
        )?;
        if n == 0 {
            return Ok(None);
        }
        let for_device = self
            .0
            .query_row(
                "SELECT for_device FROM enrollment_codes WHERE code_hash = ?1",
                params![code_hash],
                |r| opt_uuid_at(r, 0),
            )
            .optional()?
            .flatten();
        Ok(Some(for_device))
    }

    fn device_exists(&self, id: Uuid) -> Result<bool> {
        self.0
            .prepare_cached("SELECT 1 FROM devices WHERE id = ?1")?
            .exists(params![id.to_string()])
    }

    fn revoke_device(&self, id: Uuid, at: Timestamp) -> Result<bool> {
        if !self.device_exists(id)? {
            return Ok(false);
        }
        self.0.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id.to_string(), at],
        )?;
        Ok(true)
    }

    fn rename_device(&self, id: Uuid, name: &str) -> Result<bool> {
        let n = self.0.execute(
            "UPDATE devices SET name = ?2 WHERE id = ?1",
            params![id.to_string(), name],
        )?;
        Ok(n > 0)
    }

    fn record_device_report(
        &self,
        id: Uuid,
        pending: Option<u64>,
        app_version: Option<&str>,
    ) -> Result<()> {
        self.0.execute(
            "UPDATE device_sync SET pending_ops = COALESCE(?2, pending_ops), \
             app_version = COALESCE(?3, app_version) WHERE device_id = ?1",
            params![
                id.to_string(),
                pending.map(super::rows::to_i64),
                app_version
            ],
        )?;
        Ok(())
    }

    fn upsert_device(
        &self,
        id: Uuid,
        name: &str,
        public_key: &str,
        credential_hash: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO devices (id, name, public_key, credential_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key, \
             credential_hash = excluded.credential_hash, revoked_at = NULL",
            params![id.to_string(), name, public_key, credential_hash, at],
        )?;
        Ok(())
    }

    fn device_by_credential(&self, credential_hash: &str) -> Result<Option<Uuid>> {
        self.0
            .prepare_cached(
                "SELECT id FROM devices WHERE credential_hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([credential_hash], |r| uuid_at(r, 0))
            .optional()
    }

    fn insert_staff(
        &self,
        id: Uuid,
        name: &str,
        role: Role,
        pin_hash: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO staff (id, name, role, pin_hash, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            params![id.to_string(), name, role.as_str(), pin_hash, at],
        )?;
        Ok(())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.0
            .prepare_cached("SELECT value FROM ho_meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.0.execute(
            "INSERT INTO ho_meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

fn decimal(s: &str) -> Result<Decimal> {
    Decimal::from_str(s.trim()).map_err(|e| Error::Storage(format!("stored price {s:?}: {e}")))
}

impl Trust for SqlTx<'_> {
    fn prices_between(
        &self,
        product: Uuid,
        currency: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Decimal>> {
        // The price in force just before `from` and every change from then on (a
        // change in the very second of `from` cannot be ordered against it: both
        // count).
        let rows: Vec<(String, i64)> = self
            .0
            .prepare_cached(
                "SELECT amount, from_at FROM product_prices \
                 WHERE product_id = ?1 AND currency = ?2 AND from_at <= ?3 ORDER BY from_at",
            )?
            .query_map(params![product.to_string(), currency, to], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_>>()?;
        let start = rows.iter().rposition(|(_, at)| *at < from).unwrap_or(0);
        rows.get(start..)
            .unwrap_or_default()
            .iter()
            .map(|(a, _)| decimal(a))
            .collect()
    }

    fn record_prices(&self, product: &Product, at: Timestamp) -> Result<()> {
        for p in &product.prices {
            let last: Option<String> = self
                .0
                .prepare_cached(
                    "SELECT amount FROM product_prices WHERE product_id = ?1 AND currency = ?2 \
                     ORDER BY from_at DESC LIMIT 1",
                )?
                .query_row(params![product.id.to_string(), p.currency], |r| r.get(0))
                .optional()?;
            if last.map(|l| decimal(&l)).transpose()? == Some(p.amount) {
                continue;
            }
            self.0
                .prepare_cached(
                    "INSERT INTO product_prices (product_id, currency, amount, from_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    product.id.to_string(),
                    p.currency,
                    p.amount.to_string(),
                    at
                ])?;
        }
        Ok(())
    }

    fn device_ranges(&self, device: Uuid, product: Uuid) -> Result<Vec<ItemRange>> {
        self.0
            .prepare_cached(
                "SELECT first_item_id, units, granted_at FROM allotments \
                 WHERE device_id = ?1 AND product_id = ?2 ORDER BY first_item_id",
            )?
            .query_map(params![device.to_string(), product.to_string()], |r| {
                let first = opt_u64(r.get(0)?).unwrap_or(0);
                let units = opt_u64(r.get(1)?).unwrap_or(0);
                Ok(ItemRange {
                    first,
                    last: (first + units).saturating_sub(1),
                    granted_at: r.get(2)?,
                })
            })?
            .collect()
    }

    fn retire_ho_key(&self, key_id: &str, public_key: &str, retired_at: Timestamp) -> Result<()> {
        self.0.execute(
            "INSERT INTO ho_keys (key_id, public_key, created_at, retired_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (key_id) DO UPDATE SET retired_at = excluded.retired_at",
            params![key_id, public_key, now().0, retired_at],
        )?;
        Ok(())
    }

    fn retired_ho_keys(&self) -> Result<Vec<(String, String, Timestamp)>> {
        self.0
            .prepare_cached(
                "SELECT key_id, public_key, retired_at FROM ho_keys ORDER BY created_at",
            )?
            .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    }

    fn insert_audit(&self, e: &AuditEntry) -> Result<()> {
        self.0.execute(
            "INSERT INTO audit_log (id, device_id, staff_id, action, subject, detail, at, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
            params![
                e.id.to_string(),
                e.device_id.map(|d| d.to_string()),
                e.staff_id.map(|s| s.to_string()),
                e.action,
                e.subject,
                e.detail,
                e.at,
                e.received_at
            ],
        )?;
        Ok(())
    }

    fn audit_entries(&self, since: Timestamp, limit: u32) -> Result<Vec<AuditEntry>> {
        self.0
            .prepare_cached(
                "SELECT id, device_id, staff_id, action, subject, detail, at, received_at \
                 FROM audit_log WHERE at >= ?1 ORDER BY at, id LIMIT ?2",
            )?
            .query_map(params![since, i64::from(limit)], |r| {
                Ok(AuditEntry {
                    id: uuid_at(r, 0)?,
                    device_id: opt_uuid_at(r, 1)?,
                    staff_id: opt_uuid_at(r, 2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    detail: r.get(5)?,
                    at: r.get(6)?,
                    received_at: r.get(7)?,
                })
            })?
            .collect()
    }
}
