//! Applying pulled changes to the replica: each change decoded as the typed record
//! its entity names, a page in one transaction with the cursor. Facts merge: a
//! pulled redemption count never hides a redemption this replica knows of.

use std::collections::HashSet;

use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;
use wicket_protocol::{Change, ChangeBody, Entity, PullResponse};

use crate::error::{DeviceError, Result};
use crate::{meta, outbox};

fn corrupt(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Corrupt(e.to_string())
}

/// Apply one pulled page and advance the cursor, in one transaction. Items and
/// customers that pending local operations touch keep their local state until head
/// office has those operations (it then sends them again). Returns the changes
/// skipped because this version cannot read them.
pub(crate) fn apply_page(conn: &mut Connection, page: &PullResponse) -> Result<u64> {
    let protected = outbox::pending_touches(conn)?;
    // Pages arrive in change order, not dependency order (an item may come before
    // its owner's latest change), so foreign keys are checked by head office.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let r = apply_page_tx(conn, page, &protected);
    let on = conn.pragma_update(None, "foreign_keys", "ON");
    let skipped = r?;
    on?;
    Ok(skipped)
}

fn apply_page_tx(
    conn: &mut Connection,
    page: &PullResponse,
    protected: &HashSet<Uuid>,
) -> Result<u64> {
    let tx = conn.transaction()?;
    let mut skipped = 0;
    for ch in &page.changes {
        match ch.decode() {
            Ok(ChangeBody::Unknown) => {
                tracing::debug!(entity = %ch.entity, "ignoring change of an unknown entity");
            }
            Ok(ChangeBody::Gone) => gone(&tx, ch, protected)?,
            Ok(ChangeBody::Upsert(e)) => upsert(&tx, e, protected)?,
            // One record this version cannot read must not stop every later change
            // from arriving: it is logged and skipped.
            Err(e) => {
                skipped += 1;
                tracing::warn!(code = e.code(), error = %e, "skipping a change this device cannot read");
            }
        }
    }
    meta::set(&tx, "pull_cursor", &page.next.to_string())?;
    tx.commit()?;
    Ok(skipped)
}

fn key(ch: &Change) -> Result<Uuid> {
    ch.uuid_key().map_err(corrupt)
}

fn gone(tx: &Transaction<'_>, ch: &Change, protected: &HashSet<Uuid>) -> Result<()> {
    let sql = match ch.entity.as_str() {
        "item" => "DELETE FROM items WHERE id = ?1",
        "customer" => "DELETE FROM customers WHERE id = ?1",
        "product" => "DELETE FROM products WHERE id = ?1",
        "event" => "DELETE FROM events WHERE id = ?1",
        "reward_offer" => "DELETE FROM reward_offers WHERE id = ?1",
        "claim_code" => "DELETE FROM claim_codes WHERE code = ?1",
        "staff" => "UPDATE staff SET active = 0 WHERE id = ?1",
        "revocation" => "DELETE FROM revocations WHERE item = ?1",
        "sale" => "DELETE FROM sales WHERE id = ?1",
        "zone" => "DELETE FROM zones WHERE id = ?1",
        "refund" => {
            let id = key(ch)?;
            if !protected.contains(&id) {
                crate::till::drop_refund(tx, id)?;
            }
            return Ok(());
        }
        "tier" => {
            let id: i64 = ch.key.parse().map_err(corrupt)?;
            tx.execute("DELETE FROM status_tiers WHERE id = ?1", [id])?;
            return Ok(());
        }
        // Keys, conflicts and redemptions are never removed from a replica.
        _ => return Ok(()),
    };
    let id = key(ch)?;
    if matches!(ch.entity.as_str(), "item" | "customer") && protected.contains(&id) {
        return Ok(());
    }
    tx.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

pub(crate) fn upsert(tx: &Transaction<'_>, e: Entity, protected: &HashSet<Uuid>) -> Result<()> {
    match e {
        Entity::Item(i) => {
            if protected.contains(&i.id) {
                return Ok(());
            }
            // The count is head office's, but never below the redemptions this
            // replica holds for the item (capped at its quantity): a scan head office
            // has not counted yet stays counted at this door.
            tx.prepare_cached(
                "INSERT OR REPLACE INTO items (id, product_id, item_id, owner_id, redemption_count, \
                 redemption_quantity, redeemed_at, origin, revoked, created_at, nft) \
                 VALUES (?1,?2,?3,?4, \
                 MAX(?5, MIN(?6, (SELECT COUNT(*) FROM redemptions WHERE item = ?1))), ?6, \
                 COALESCE(?7, (SELECT MIN(redeemed_at) FROM redemptions WHERE item = ?1)), ?8,?9,?10,?11)",
            )?
            .execute(params![
                i.id,
                i.product_id,
                i.item_id as i64,
                i.owner_id,
                i.redemption_count,
                i.redemption_quantity,
                i.redeemed_at,
                i.origin.as_str(),
                i.revoked,
                i.created_at,
                i.nft.as_ref().map(serde_json::to_string).transpose()?
            ])?;
        }
        Entity::Customer(c) => {
            if protected.contains(&c.id) {
                return Ok(());
            }
            tx.prepare_cached(
                "INSERT OR REPLACE INTO customers (id, email, first_name, last_name, reputation, credits, \
                 status_balance, country) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            )?
            .execute(params![
                c.id,
                c.email,
                c.first_name,
                c.last_name,
                c.reputation,
                c.credits,
                c.status_balance,
                c.country
            ])?;
        }
        Entity::Product(r) => {
            let p = &r.product;
            tx.prepare_cached(
                "INSERT INTO products (id, event_id, name, body, issued, next_item_id) VALUES (?1,?2,?3,?4,?5,?6) \
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, name = excluded.name, \
                 body = excluded.body, issued = excluded.issued, next_item_id = excluded.next_item_id",
            )?
            .execute(params![
                p.id,
                p.event_id,
                p.name,
                serde_json::to_string(p)?,
                r.issued as i64,
                r.next_item_id as i64
            ])?;
        }
        Entity::Event(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO events (id, name, start_date, end_date, location, address, description, \
                 reference_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                params![
                    e.id,
                    e.name,
                    e.start_date,
                    e.end_date,
                    e.location,
                    e.address,
                    e.description,
                    e.reference_id
                ],
            )?;
        }
        Entity::Tier(t) => {
            tx.execute(
                "INSERT OR REPLACE INTO status_tiers (id, body) VALUES (?1, ?2)",
                params![t.id, serde_json::to_string(&t)?],
            )?;
        }
        Entity::RewardOffer(o) => {
            tx.execute(
                "INSERT OR REPLACE INTO reward_offers (id, body) VALUES (?1, ?2)",
                params![o.id, serde_json::to_string(&o)?],
            )?;
        }
        Entity::ClaimCode(c) => {
            tx.execute(
                "INSERT OR REPLACE INTO claim_codes (code, product_id, claimed_by, claimed_at) VALUES (?1,?2,?3,?4)",
                params![c.code, c.product_id, c.claimed_by, c.claimed_at],
            )?;
        }
        Entity::Staff(s) => {
            tx.execute(
                "INSERT OR REPLACE INTO staff (id, name, role, pin_hash, active) VALUES (?1,?2,?3,?4,?5)",
                params![s.id, s.name, s.role.as_str(), s.pin_hash, s.active],
            )?;
        }
        Entity::TrustedKey(k) => {
            let bytes: [u8; 32] = hex::decode(&k.public_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| corrupt("trusted key is not 32 hex bytes"))?;
            let key = wicket_ticket::VerifyingKey::from_bytes(&bytes).map_err(corrupt)?;
            let kid = wicket_ticket::key_id(&key);
            tx.execute(
                "INSERT INTO trusted_keys (key_id, public_key, owner, revoked_at, trusted_until) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key, owner = excluded.owner, \
                 revoked_at = excluded.revoked_at, trusted_until = excluded.trusted_until",
                params![kid.0.to_vec(), bytes.to_vec(), k.owner, k.revoked_at, k.trusted_until],
            )?;
        }
        Entity::Revocation(r) => {
            tx.execute(
                "INSERT OR REPLACE INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3)",
                params![r.item, r.revoked_at, r.reason],
            )?;
            tx.execute("UPDATE items SET revoked = 1 WHERE id = ?1", [r.item])?;
        }
        Entity::Conflict(c) => {
            tx.execute(
                "INSERT OR REPLACE INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at, source) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,'conflict')",
                params![c.id, c.op_id, c.device_id, c.kind, c.item, c.code, c.detail, c.at],
            )?;
        }
        Entity::Zone(z) => {
            tx.prepare_cached("INSERT OR REPLACE INTO zones (id, body) VALUES (?1, ?2)")?
                .execute(params![z.id, serde_json::to_string(&z)?])?;
        }
        Entity::Passage(p) => {
            // A fact from some door (this one's own come back too): kept once.
            tx.prepare_cached(
                "INSERT OR IGNORE INTO passages (id, item, direction, gate, at, device_id) VALUES (?1,?2,?3,?4,?5,?6)",
            )?
            .execute(params![p.id, p.item, p.direction.as_str(), p.gate, p.at, p.device_id])?;
        }
        Entity::Redemption(r) => {
            let added = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO redemptions (id, item, redeemed_at, device_id, staff_id, gate) VALUES (?1,?2,?3,?4,?5,?6)",
                )?
                .execute(params![r.id, r.item, r.redeemed_at, r.device_id, r.staff_id, r.gate])?;
            // A scan another door made counts here at once, whether or not the
            // item's own change has arrived yet (never above its quantity).
            if added > 0 && !r.conflict {
                tx.prepare_cached(
                    "UPDATE items SET redemption_count = MIN(redemption_quantity, \
                     MAX(redemption_count, (SELECT COUNT(*) FROM redemptions WHERE item = ?1))), \
                     redeemed_at = COALESCE(redeemed_at, ?2) WHERE id = ?1",
                )?
                .execute(params![r.item, r.redeemed_at])?;
            }
        }
        Entity::Sale(s) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO sales (id, order_number, product_id, quantity, currency, unit_price, discount, \
                 total, payment_method, buyer_id, device_id, staff_id, created_at, item_ids, payments) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
            )?
            .execute(params![
                s.id,
                s.order_number,
                s.product_id,
                s.quantity,
                s.currency,
                s.unit_price.to_string(),
                s.discount.to_string(),
                s.total.to_string(),
                s.payment_method.as_str(),
                s.buyer_id,
                s.device_id,
                s.staff_id,
                s.created_at,
                serde_json::to_string(&s.item_ids)?,
                crate::rows::json_parts(&s.payments)?
            ])?;
        }
        Entity::Refund(r) => {
            crate::till::store_refund(tx, &r)?;
        }
        Entity::Refusal(r) => {
            let op = wicket_protocol::RefusalOp {
                id: r.id,
                code: r.code,
                item: r.item,
                product_id: r.product_id,
                gate: r.gate,
                at: r.at,
            };
            crate::stats::store_refusal(tx, &op, r.device_id)?;
        }
    }
    Ok(())
}
