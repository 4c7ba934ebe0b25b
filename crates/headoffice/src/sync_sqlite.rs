//! The SQLite side of device sync: enrollment, staff, exactly-once application of
//! pushed operations (each in a savepoint of one batch transaction, its op id kept
//! for good in `sync_ops`), the change sequence that pull pages through (kept by
//! triggers, see `migrations/headoffice/0002_sync.sql`), and stock allotments.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wicket_domain::{
    self as domain, Allotment, BalanceKind, ClaimCode, Customer, Decimal, DomainError, Event,
    ItemOrigin, Sale, StatusTier,
};

use crate::error::{Error, Result};
use crate::mint_store::nft_from_row;
use crate::model::UserKey;
use crate::sqlite::{
    EVENT_COLS, REWARD_COLS, event_from_row, find_item, find_product_where, find_user, holding,
    insert_user, load_tiers, now, opt_u64, opt_uuid_at, post_ledger, require_product,
    require_reward, reward_from_row, save_counters, to_i64, uuid_at,
};
use crate::sync::{Change, OpResult, PullOut, PushOp, StaffOut};

// ------------------------------------------------------------------ enrollment

pub(crate) fn create_enrollment_code(
    tx: &Connection,
    code_hash: &str,
    expires_at: i64,
) -> Result<()> {
    let (at, _) = now();
    tx.execute(
        "INSERT INTO enrollment_codes (code_hash, expires_at, created_at) VALUES (?1, ?2, ?3)",
        params![code_hash, expires_at, at],
    )?;
    Ok(())
}

/// Head office's ticket-signing key, created on first use; returns the public key hex.
fn headoffice_key(tx: &Connection) -> Result<String> {
    if let Some(pk) = tx
        .query_row(
            "SELECT value FROM ho_meta WHERE key = 'public_key'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        return Ok(pk);
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = hex::encode(key.verifying_key().to_bytes());
    tx.execute(
        "INSERT INTO ho_meta (key, value) VALUES ('public_key', ?1)",
        [&public],
    )?;
    tx.execute(
        "INSERT INTO ho_meta (key, value) VALUES ('signing_key', ?1)",
        [hex::encode(seed)],
    )?;
    Ok(public)
}

/// Head office's ticket-signing key, created on first use.
fn headoffice_signing_key(tx: &Connection) -> Result<wicket_ticket::SigningKey> {
    headoffice_key(tx)?;
    let seed: String = tx.query_row(
        "SELECT value FROM ho_meta WHERE key = 'signing_key'",
        [],
        |r| r.get(0),
    )?;
    let seed: [u8; 32] = hex::decode(seed.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Storage("stored signing key is not 32 hex bytes".into()))?;
    Ok(wicket_ticket::SigningKey::from_bytes(&seed))
}

/// The token of one of `product`'s items, signed by head office with the same
/// validity window a device would give it (`wicket_domain::ticket_validity`).
pub(crate) fn item_ticket(tx: &Connection, product: Uuid, item: Uuid) -> Result<String> {
    let row = find_item(tx, item)?
        .filter(|r| r.item.product_id == product)
        .ok_or_else(|| Error::not_found(format!("item {item} of product {product}")))?;
    let p = require_product(tx, product)?;
    let event = match p.p.event_id {
        Some(e) => tx
            .query_row(
                "SELECT start_date, end_date FROM events WHERE id = ?1",
                [e.to_string()],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()?,
        None => None,
    };
    let (valid_from, valid_until) = domain::ticket_validity(event, row.item.created_at);
    let claims = wicket_ticket::TicketClaims {
        product_id: product,
        item_uuid: row.item.id,
        item_id: row.item.item_id,
        event_id: p.p.event_id,
        valid_from,
        valid_until,
    };
    let key = headoffice_signing_key(tx)?;
    wicket_ticket::sign(&claims, &key).map_err(|e| Error::Storage(format!("signing: {e}")))
}

pub(crate) fn enroll_device(
    tx: &Connection,
    code_hash: &str,
    device_id: Uuid,
    name: &str,
    public_key: &str,
    credential_hash: &str,
) -> Result<String> {
    let (at, _) = now();
    let used = tx.execute(
        "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 \
         WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![code_hash, at, device_id.to_string()],
    )?;
    if used == 0 {
        tracing::warn!("enrollment with an unknown, used or expired code");
        return Err(Error::Unauthorized);
    }
    tx.execute(
        "INSERT INTO devices (id, name, public_key, credential_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key, \
         credential_hash = excluded.credential_hash, revoked_at = NULL",
        params![device_id.to_string(), name, public_key, credential_hash, at],
    )?;
    headoffice_key(tx)
}

pub(crate) fn device_by_credential(c: &Connection, credential_hash: &str) -> Result<Option<Uuid>> {
    Ok(c.prepare_cached(
        "SELECT id FROM devices WHERE credential_hash = ?1 AND revoked_at IS NULL",
    )?
    .query_row([credential_hash], |r| uuid_at(r, 0))
    .optional()?)
}

pub(crate) fn create_staff(
    tx: &Connection,
    name: &str,
    role: &str,
    pin_hash: &str,
) -> Result<StaffOut> {
    let (at, _) = now();
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO staff (id, name, role, pin_hash, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        params![id.to_string(), name, role, pin_hash, at],
    )?;
    Ok(StaffOut {
        id,
        name: name.to_string(),
        role: role.to_string(),
    })
}

// ------------------------------------------------------------------ changes

/// Give an entity a fresh change seq so devices pull its current state again.
fn touch(tx: &Connection, entity: &str, key: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM changes WHERE entity = ?1 AND key = ?2")?
        .execute(params![entity, key])?;
    tx.prepare_cached("INSERT INTO changes (entity, key) VALUES (?1, ?2)")?
        .execute(params![entity, key])?;
    Ok(())
}

/// The entities an operation names, so a rejected or repeated op makes devices
/// re-pull the truth about them (undoing whatever the device did locally).
fn op_refs(payload: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let s = |v: &Value| v.as_str().map(str::to_string);
    let mut items = |v: &Value| {
        if let Some(a) = v.as_array() {
            for i in a {
                if let Some(id) = i.get("id").and_then(s) {
                    out.push(("item", id));
                }
            }
        }
    };
    if let Some(v) = payload.get("items") {
        items(v);
    }
    if let Some(v) = payload.get("item").and_then(s) {
        out.push(("item", v));
    }
    for k in ["customer", "from", "to"] {
        if let Some(v) = payload.get(k).and_then(s) {
            out.push(("customer", v));
        }
    }
    if let Some(v) = payload.get("product_id").and_then(s) {
        out.push(("product", v));
    }
    if let Some(sale) = payload.get("sale") {
        if let Some(v) = sale.get("buyer_id").and_then(s) {
            out.push(("customer", v));
        }
        if let Some(v) = sale.get("product_id").and_then(s) {
            out.push(("product", v));
        }
        if let Some(v) = sale.get("id").and_then(s) {
            out.push(("sale", v));
        }
    }
    if let Some(v) = payload
        .get("new_customer")
        .and_then(|c| c.get("id"))
        .and_then(s)
    {
        out.push(("customer", v));
    }
    if let Some(v) = payload.get("code").and_then(s) {
        out.push(("claim_code", v));
    }
    if let Some(v) = payload.get("offer_id").and_then(s) {
        out.push(("reward_offer", v));
    }
    out
}

fn touch_refs(tx: &Connection, op: &PushOp) -> Result<()> {
    for (e, k) in op_refs(&op.payload) {
        touch(tx, e, &k)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ push

enum Outcome {
    Applied,
    Conflict { code: String, message: String },
}

fn parse<T: serde::de::DeserializeOwned>(op: &PushOp) -> Result<T> {
    serde_json::from_value(op.payload.clone())
        .map_err(|e| Error::InvalidRequest(format!("{} payload: {e}", op.kind)))
}

pub(crate) fn push_ops(
    conn: &mut Connection,
    device: Uuid,
    ops: Vec<PushOp>,
) -> Result<Vec<OpResult>> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (at, _) = now();
    sweep_expired(&tx, at)?;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let op_key = op.op_id.to_string();
        let earlier: Option<(String, Option<String>)> = tx
            .prepare_cached("SELECT status, code FROM sync_ops WHERE op_id = ?1")?
            .query_row([&op_key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((status, code)) = earlier {
            touch_refs(&tx, &op)?;
            out.push(OpResult {
                op_id: op.op_id,
                status: "duplicate".into(),
                code,
                message: Some(format!("already received ({status})")),
            });
            continue;
        }
        if op.device_id != device {
            out.push(OpResult {
                op_id: op.op_id,
                status: "rejected".into(),
                code: Some("wrong_device".into()),
                message: Some("operation belongs to another device".into()),
            });
            continue;
        }
        let sp = tx.savepoint()?;
        let applied = apply_op(&sp, device, &op);
        let (status, code, message) = match applied {
            Ok(Outcome::Applied) => {
                sp.commit()?;
                ("applied", None, None)
            }
            Ok(Outcome::Conflict { code, message }) => {
                sp.commit()?;
                ("conflict", Some(code), Some(message))
            }
            // A storage failure is not the op's fault: fail the batch, the device retries.
            Err(Error::Storage(e)) => return Err(Error::Storage(e)),
            Err(e) => {
                drop(sp);
                touch_refs(&tx, &op)?;
                tracing::warn!(op = %op.op_id, kind = %op.kind, code = e.code(), "pushed op rejected");
                ("rejected", Some(e.code().to_string()), Some(e.to_string()))
            }
        };
        tx.prepare_cached(
            "INSERT INTO sync_ops (op_id, device_id, device_seq, staff_id, device_time, kind, status, code, message, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            op_key,
            device.to_string(),
            op.seq,
            op.staff_id.map(|s| s.to_string()),
            op.device_time,
            op.kind,
            status,
            code,
            message,
            at
        ])?;
        out.push(OpResult {
            op_id: op.op_id,
            status: status.into(),
            code,
            message,
        });
    }
    tx.commit()?;
    Ok(out)
}

#[derive(Deserialize)]
struct NewItem {
    id: Uuid,
    item_id: u64,
    #[serde(default)]
    owner_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct RedeemP {
    item: Uuid,
    #[serde(default)]
    product_id: Option<Uuid>,
    #[serde(default)]
    redeemed_at: Option<i64>,
    #[serde(default)]
    gate: Option<String>,
    #[serde(default)]
    redemption_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct IssueP {
    product_id: Uuid,
    items: Vec<NewItem>,
}

#[derive(Deserialize)]
struct SaleP {
    sale: Sale,
    #[serde(default)]
    new_customer: Option<Customer>,
    items: Vec<NewItem>,
}

#[derive(Deserialize)]
struct TransferP {
    item: Uuid,
    from: Uuid,
    to: Uuid,
    #[serde(default)]
    transferred_at: Option<i64>,
}

#[derive(Deserialize)]
struct RevokeP {
    item: Uuid,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct ClaimP {
    code: Uuid,
    customer: Uuid,
    item: Uuid,
    item_id: u64,
}

#[derive(Deserialize)]
struct RewardP {
    redeem_id: Uuid,
    offer_id: Uuid,
    customer: Uuid,
    items: Vec<NewItem>,
}

fn apply_op(tx: &Connection, device: Uuid, op: &PushOp) -> Result<Outcome> {
    let (_, iso) = now();
    let at = op.device_time;
    match op.kind.as_str() {
        "redeem" => apply_redeem(tx, device, op, parse(op)?),
        "issue" => {
            let p: IssueP = parse(op)?;
            let items = p
                .items
                .iter()
                .map(|i| {
                    i.owner_id
                        .map(|o| (i.id, i.item_id, o))
                        .ok_or_else(|| Error::InvalidRequest("issue item without owner".into()))
                })
                .collect::<Result<Vec<_>>>()?;
            apply_items(
                tx,
                device,
                p.product_id,
                &items,
                ItemOrigin::Issue,
                None,
                at,
                &iso,
            )?;
            Ok(Outcome::Applied)
        }
        "sale" => {
            let p: SaleP = parse(op)?;
            let s = &p.sale;
            if let Some(c) = &p.new_customer
                && find_user(tx, &UserKey::Id(c.id))?.is_none()
            {
                match find_user(tx, &UserKey::Email(c.email.clone()))? {
                    // Another device (or head office) created this buyer first: the
                    // device's id becomes an alias, and devices re-pull both.
                    Some(known) => {
                        tx.execute(
                            "INSERT OR IGNORE INTO customer_aliases (alias_id, customer_id) VALUES (?1, ?2)",
                            params![c.id.to_string(), known.c.id.to_string()],
                        )?;
                        touch(tx, "customer", &c.id.to_string())?;
                        touch(tx, "customer", &known.c.id.to_string())?;
                    }
                    None => insert_user(tx, c, None, &iso)?,
                }
            }
            let buyer = resolve_customer(tx, s.buyer_id)?;
            let items: Vec<_> = p.items.iter().map(|i| (i.id, i.item_id, buyer)).collect();
            apply_items(
                tx,
                device,
                s.product_id,
                &items,
                ItemOrigin::Sale,
                Some(&s.id.to_string()),
                at,
                &iso,
            )?;
            let subtotal = s.unit_price * Decimal::from(s.quantity);
            let pct = if subtotal.is_zero() {
                Decimal::ZERO
            } else {
                (s.discount * Decimal::from(100) / subtotal).round_dp(4)
            };
            tx.prepare_cached(
                "INSERT INTO sales (id, order_number, product_id, quantity, currency, unit_price, subtotal, discount_percentage, \
                 discount, total, payment_method, buyer_id, device_id, sold_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                s.id.to_string(),
                s.order_number,
                s.product_id.to_string(),
                s.quantity,
                s.currency,
                s.unit_price.to_string(),
                subtotal.to_string(),
                pct.to_string(),
                s.discount.to_string(),
                s.total.to_string(),
                s.payment_method.as_str(),
                buyer.to_string(),
                device.to_string(),
                s.created_at,
                iso
            ])?;
            Ok(Outcome::Applied)
        }
        "transfer" => {
            let mut p: TransferP = parse(op)?;
            p.from = resolve_customer(tx, p.from)?;
            p.to = resolve_customer(tx, p.to)?;
            let it = find_item(tx, p.item)?
                .ok_or_else(|| Error::not_found(format!("item {}", p.item)))?;
            let product = require_product(tx, it.item.product_id)?;
            let to = find_user(tx, &UserKey::Id(p.to))?.ok_or_else(|| {
                Error::Domain(DomainError::UnknownRecipient(vec![p.to.to_string()]))
            })?;
            let holds = holding(tx, product.p.id, to.c.id)?;
            domain::check_transfer(&product.p, &it.item, p.from, &to.c, holds)?;
            tx.execute(
                "UPDATE items SET owner_id = ?2, updated_at = ?3 WHERE id = ?1",
                params![p.item.to_string(), p.to.to_string(), iso],
            )?;
            tx.execute(
                "INSERT INTO transfers (id, item_id, from_user_id, to_user_id, transferred_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    op.op_id.to_string(),
                    p.item.to_string(),
                    p.from.to_string(),
                    p.to.to_string(),
                    p.transferred_at.unwrap_or(at)
                ],
            )?;
            Ok(Outcome::Applied)
        }
        "revoke" => {
            let p: RevokeP = parse(op)?;
            tx.execute(
                "INSERT OR REPLACE INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3)",
                params![p.item.to_string(), at, p.reason],
            )?;
            tx.execute(
                "UPDATE items SET revoked = 1, updated_at = ?2 WHERE id = ?1",
                params![p.item.to_string(), iso],
            )?;
            Ok(Outcome::Applied)
        }
        "claim" => {
            let mut p: ClaimP = parse(op)?;
            p.customer = resolve_customer(tx, p.customer)?;
            let cc = tx
                .query_row(
                    "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1",
                    [p.code.to_string()],
                    |r| {
                        Ok(ClaimCode {
                            code: uuid_at(r, 0)?,
                            product_id: uuid_at(r, 1)?,
                            claimed_by: opt_uuid_at(r, 2)?,
                            claimed_at: r.get(3)?,
                        })
                    },
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("claim code {}", p.code)))?;
            let row = require_product(tx, cc.product_id)?;
            domain::check_claim(&row.p, &cc)?;
            apply_items(
                tx,
                device,
                cc.product_id,
                &[(p.item, p.item_id, p.customer)],
                ItemOrigin::Claim,
                Some(&p.code.to_string()),
                at,
                &iso,
            )?;
            tx.execute(
                "UPDATE claim_codes SET claimed_by = ?2, claimed_at = ?3, item = ?4 WHERE code = ?1",
                params![
                    p.code.to_string(),
                    p.customer.to_string(),
                    at,
                    p.item.to_string()
                ],
            )?;
            Ok(Outcome::Applied)
        }
        "reward_redeem" => {
            let mut p: RewardP = parse(op)?;
            p.customer = resolve_customer(tx, p.customer)?;
            let reward = require_reward(tx, p.offer_id)?;
            let before = find_user(tx, &UserKey::Id(p.customer))?
                .ok_or_else(|| {
                    Error::Domain(DomainError::UnknownRecipient(vec![p.customer.to_string()]))
                })?
                .c;
            let already: i64 = tx.query_row(
                "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1 AND user_id = ?2",
                params![p.offer_id.to_string(), p.customer.to_string()],
                |r| r.get(0),
            )?;
            let tiers: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
            domain::check_reward(
                &reward.o,
                &before,
                opt_u64(Some(already)).unwrap_or(0),
                &tiers,
            )?;
            let items: Vec<_> = p
                .items
                .iter()
                .map(|i| (i.id, i.item_id, p.customer))
                .collect();
            let rid = p.redeem_id.to_string();
            apply_items(
                tx,
                device,
                reward.o.grants.product_id,
                &items,
                ItemOrigin::Reward,
                Some(&rid),
                at,
                &iso,
            )?;
            let mut after = before.clone();
            after.credits -= reward.o.credit_cost;
            if reward.o.credit_cost != 0 {
                post_ledger(
                    tx,
                    &before,
                    &after,
                    BalanceKind::Credits,
                    &format!("reward redeem: {}", reward.o.name),
                    Some(&rid),
                    at,
                    &iso,
                )?;
            }
            tx.execute(
                "UPDATE rewards SET redeemed_count = redeemed_count + 1, updated_at = ?2 WHERE id = ?1",
                params![p.offer_id.to_string(), iso],
            )?;
            tx.execute(
                "INSERT INTO reward_redeems (id, reward_id, user_id, country, credits_spent, redeemed_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    rid,
                    p.offer_id.to_string(),
                    p.customer.to_string(),
                    before.country,
                    reward.o.credit_cost,
                    at,
                    iso
                ],
            )?;
            Ok(Outcome::Applied)
        }
        other => Err(Error::InvalidRequest(format!("unknown op kind {other:?}"))),
    }
}

/// A scan is a fact: it is always recorded. Beyond what the rules allow (already
/// fully redeemed, revoked, unknown item) it is recorded as a conflict for review.
fn apply_redeem(tx: &Connection, device: Uuid, op: &PushOp, p: RedeemP) -> Result<Outcome> {
    let (_, iso) = now();
    let at = p.redeemed_at.unwrap_or(op.device_time);
    let rid = p.redemption_id.unwrap_or(op.op_id).to_string();
    let item = find_item(tx, p.item)?;
    let verdict = match &item {
        None => Err(Error::not_found(format!("item {}", p.item))),
        Some(row) => match p.product_id {
            Some(pid) => domain::redeem_in_product(pid, &row.item, at).map_err(Error::from),
            None => domain::redeem(&row.item, at).map_err(Error::from),
        },
    };
    let (conflict, outcome) = match verdict {
        Ok(done) => {
            tx.prepare_cached(
                "UPDATE items SET redemption_count = ?2, redeemed_at = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![p.item.to_string(), done.redemption_count, at, iso])?;
            (false, Outcome::Applied)
        }
        Err(e) => {
            let code = match &e {
                Error::NotFound(_) => "unknown_item".to_string(),
                other => other.code().to_string(),
            };
            let message = format!(
                "scan at {} beyond the rules: {e}",
                p.gate.as_deref().unwrap_or("door")
            );
            tx.prepare_cached(
                "INSERT INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at) VALUES (?1, ?2, ?3, 'redeem', ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                Uuid::now_v7().to_string(),
                op.op_id.to_string(),
                device.to_string(),
                p.item.to_string(),
                code,
                message,
                at
            ])?;
            tracing::warn!(item = %p.item, %device, %code, "redemption conflict recorded");
            (true, Outcome::Conflict { code, message })
        }
    };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO redemptions (id, item, product_id, device_id, staff_id, gate, redeemed_at, op_id, conflict) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        rid,
        p.item.to_string(),
        p.product_id.map(|x| x.to_string()),
        device.to_string(),
        op.staff_id.map(|x| x.to_string()),
        p.gate,
        at,
        op.op_id.to_string(),
        conflict
    ])?;
    if conflict && item.is_some() {
        touch(tx, "item", &p.item.to_string())?;
    }
    Ok(outcome)
}

/// Head office's id for a customer id a device used (itself, or what it aliases).
fn resolve_customer(tx: &Connection, id: Uuid) -> Result<Uuid> {
    let alias: Option<String> = tx
        .prepare_cached("SELECT customer_id FROM customer_aliases WHERE alias_id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    match alias {
        Some(a) => Uuid::parse_str(&a).map_err(|e| Error::Storage(format!("alias: {e}"))),
        None => Ok(id),
    }
}

const ALLOT_COLS: &str = "id, product_id, device_id, units, used, first_item_id, expires_at";

fn allot_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Allotment> {
    Ok(Allotment {
        id: uuid_at(r, 0)?,
        product_id: uuid_at(r, 1)?,
        device_id: uuid_at(r, 2)?,
        units: opt_u64(r.get(3)?).unwrap_or(0),
        used: opt_u64(r.get(4)?).unwrap_or(0),
        first_item_id: opt_u64(r.get(5)?).unwrap_or(0),
        expires_at: r.get(6)?,
    })
}

/// Insert items a device created with its own ids and item numbers, under the same
/// issue rules: from the device's allotment when one covers them, else against the
/// product's remaining stock.
#[allow(clippy::too_many_arguments)]
fn apply_items(
    tx: &Connection,
    device: Uuid,
    product: Uuid,
    items: &[(Uuid, u64, Uuid)],
    origin: ItemOrigin,
    origin_ref: Option<&str>,
    at: i64,
    iso: &str,
) -> Result<()> {
    let row = require_product(tx, product)?;
    let mut owners = Vec::with_capacity(items.len());
    let mut holdings = HashMap::new();
    let items: Vec<(Uuid, u64, Uuid)> = items
        .iter()
        .map(|(i, n, o)| Ok((*i, *n, resolve_customer(tx, *o)?)))
        .collect::<Result<_>>()?;
    for (_, _, o) in &items {
        let c = find_user(tx, &UserKey::Id(*o))?
            .ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![o.to_string()])))?
            .c;
        if let std::collections::hash_map::Entry::Vacant(v) = holdings.entry(c.id) {
            v.insert(holding(tx, product, c.id)?);
        }
        owners.push(c);
    }
    let n = items.len() as u64;
    let first = items.iter().map(|i| i.1).min().unwrap_or(0);
    let allot = tx
        .prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE device_id = ?1 AND product_id = ?2 \
             AND released_at IS NULL AND first_item_id <= ?3 AND first_item_id + units > ?3"
        ))?
        .query_row(
            params![device.to_string(), product.to_string(), to_i64(first)],
            allot_from_row,
        )
        .optional()?
        .filter(|a| items.iter().all(|i| a.contains_item_id(i.1)));
    match allot {
        Some(a) => {
            let (p, counters) = a.issue_view(&row.p);
            domain::plan_issue(&p, &counters, &owners, &holdings, at)?;
            let taken = a.take(n, at)?;
            tx.prepare_cached("UPDATE allotments SET used = ?2 WHERE id = ?1")?
                .execute(params![a.id.to_string(), to_i64(taken.used)])?;
        }
        None => {
            domain::plan_issue(&row.p, &row.counters, &owners, &holdings, at)?;
            let max_id = items.iter().map(|i| i.1).max().unwrap_or(0);
            let counters = domain::ProductCounters {
                issued: row.counters.issued + n,
                next_item_id: row.counters.next_item_id.max(max_id + 1),
            };
            save_counters(tx, product, &counters, iso)?;
        }
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO items (id, product_id, item_id, owner_id, redemption_count, redemption_quantity, redeemed_at, origin, origin_ref, revoked, issued_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5, NULL, ?6, ?7, 0, ?8, ?9, ?9)",
    )?;
    for (id, item_id, owner) in &items {
        st.execute(params![
            id.to_string(),
            product.to_string(),
            to_i64(*item_id),
            owner.to_string(),
            row.p.redemption_quantity,
            origin.as_str(),
            origin_ref,
            at,
            iso
        ])?;
    }
    Ok(())
}

// ------------------------------------------------------------------ allotments

fn release_one(tx: &Connection, a: &Allotment, at: i64) -> Result<u64> {
    let row = require_product(tx, a.product_id)?;
    let (_, iso) = now();
    save_counters(
        tx,
        a.product_id,
        &domain::release_allotment(&row.counters, a),
        &iso,
    )?;
    tx.prepare_cached("UPDATE allotments SET released_at = ?2 WHERE id = ?1")?
        .execute(params![a.id.to_string(), at])?;
    Ok(a.units_left())
}

/// Expired allotments give their unused units back.
fn sweep_expired(tx: &Connection, at: i64) -> Result<()> {
    let expired: Vec<Allotment> = tx
        .prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE released_at IS NULL AND expires_at <= ?1"
        ))?
        .query_map([at], allot_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    for a in &expired {
        let back = release_one(tx, a, at)?;
        tracing::info!(allotment = %a.id, back, "expired allotment released");
    }
    Ok(())
}

pub(crate) fn create_allotment(
    tx: &Connection,
    device: Uuid,
    product: Uuid,
    units: u64,
    ttl_secs: i64,
) -> Result<Allotment> {
    let (at, iso) = now();
    sweep_expired(tx, at)?;
    let row = require_product(tx, product)?;
    let (a, counters) = domain::grant_allotment(
        &row.p,
        &row.counters,
        device,
        units,
        at,
        ttl_secs,
        Uuid::now_v7(),
    )?;
    save_counters(tx, product, &counters, &iso)?;
    tx.execute(
        "INSERT INTO allotments (id, product_id, device_id, units, used, first_item_id, expires_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
        params![
            a.id.to_string(),
            product.to_string(),
            device.to_string(),
            to_i64(a.units),
            to_i64(a.first_item_id),
            a.expires_at
        ],
    )?;
    Ok(a)
}

pub(crate) fn release_allotment(tx: &Connection, device: Uuid, id: Uuid) -> Result<u64> {
    let (at, _) = now();
    let found: Option<(Allotment, Option<i64>)> = tx
        .query_row(
            &format!(
                "SELECT {ALLOT_COLS}, released_at FROM allotments WHERE id = ?1 AND device_id = ?2"
            ),
            params![id.to_string(), device.to_string()],
            |r| Ok((allot_from_row(r)?, r.get(7)?)),
        )
        .optional()?;
    match found {
        None => Err(Error::not_found(format!("allotment {id}"))),
        Some((_, Some(_))) => Ok(0),
        Some((a, None)) => release_one(tx, &a, at),
    }
}

// ------------------------------------------------------------------ pull

pub(crate) fn pull_changes(
    conn: &mut Connection,
    since: i64,
    limit: u32,
    count: bool,
) -> Result<PullOut> {
    // One read transaction: the page is a consistent snapshot.
    let tx = conn.transaction()?;
    let remaining = if count {
        let n: i64 = tx.query_row(
            "SELECT COUNT(*) FROM changes WHERE seq > ?1",
            [since],
            |r| r.get(0),
        )?;
        opt_u64(Some(n))
    } else {
        None
    };
    let mut changes = Vec::new();
    {
        let mut st = tx.prepare_cached(
            "SELECT c.seq, c.entity, c.key, i.product_id, i.item_id, i.owner_id, i.redemption_count, \
             i.redemption_quantity, i.redeemed_at, i.origin, i.revoked, i.issued_at, i.id IS NOT NULL, \
             n.state, n.chain, n.collection_id, n.owner_address, n.extrinsic_hash, n.block_hash, \
             n.metadata_extrinsic_hash, n.attempts, n.last_error_code, n.last_error \
             FROM changes c LEFT JOIN items i ON c.entity = 'item' AND i.id = c.key \
             LEFT JOIN nft_mints n ON c.entity = 'item' AND n.item_uuid = c.key \
             WHERE c.seq > ?1 ORDER BY c.seq LIMIT ?2",
        )?;
        let mut rows = st.query(params![since, limit])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let entity: String = r.get(1)?;
            let key: String = r.get(2)?;
            let data = if entity == "item" {
                if r.get::<_, bool>(12)? {
                    let nft = nft_from_row(r, 13)?;
                    let mut v = json!({
                        "id": key,
                        "product_id": r.get::<_, String>(3)?,
                        "item_id": r.get::<_, i64>(4)?,
                        "owner_id": r.get::<_, String>(5)?,
                        "redemption_count": r.get::<_, i64>(6)?,
                        "redemption_quantity": r.get::<_, i64>(7)?,
                        "redeemed_at": r.get::<_, Option<i64>>(8)?,
                        "origin": r.get::<_, String>(9)?,
                        "revoked": r.get::<_, bool>(10)?,
                        "created_at": r.get::<_, i64>(11)?,
                    });
                    // Most items never mint: leave `nft` out rather than send "none" a million times.
                    if nft.state != "none" {
                        v["nft"] = serde_json::to_value(nft)?;
                    }
                    Some(v)
                } else {
                    None
                }
            } else {
                entity_data(&tx, &entity, &key)?
            };
            changes.push(Change {
                seq,
                entity,
                key,
                data,
            });
        }
    }
    let next = changes.last().map_or(since, |c| c.seq);
    let more = changes.len() as u64 == u64::from(limit);
    Ok(PullOut {
        changes,
        next,
        more,
        remaining,
    })
}

fn entity_data(c: &Connection, entity: &str, key: &str) -> Result<Option<Value>> {
    let id = || Uuid::parse_str(key).map_err(|e| Error::Storage(format!("change key {key}: {e}")));
    Ok(match entity {
        "event" => c
            .prepare_cached(&format!("SELECT {EVENT_COLS} FROM events WHERE id = ?1"))?
            .query_row([key], event_from_row)
            .optional()?
            .map(|e| {
                serde_json::to_value(Event {
                    id: e.id,
                    name: e.name,
                    start_date: e.start_date,
                    end_date: e.end_date,
                    location: e.location,
                    address: e.address,
                    description: e.description,
                    reference_id: e.reference_id,
                })
            })
            .transpose()?,
        "product" => find_product_where(c, "id", key)?.map(|row| {
            json!({"product": row.p, "issued": row.counters.issued, "next_item_id": row.counters.next_item_id})
        }),
        "customer" => find_user(c, &UserKey::Id(id()?))?
            .map(|u| serde_json::to_value(u.c))
            .transpose()?,
        "tier" => c
            .prepare_cached(
                "SELECT id, name, min_token_balance, discount_percentage FROM status_tiers WHERE CAST(id AS TEXT) = ?1",
            )?
            .query_row([key], |r| {
                Ok(StatusTier {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    min_token_balance: r.get(2)?,
                    discount_percentage: crate::sqlite::decimal_at(r, 3)?,
                })
            })
            .optional()?
            .map(serde_json::to_value)
            .transpose()?,
        "reward_offer" => c
            .prepare_cached(&format!("SELECT {REWARD_COLS} FROM rewards WHERE id = ?1"))?
            .query_row([key], reward_from_row)
            .optional()?
            .map(|r| serde_json::to_value(r.o))
            .transpose()?,
        "claim_code" => c
            .prepare_cached(
                "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1",
            )?
            .query_row([key], |r| {
                Ok(ClaimCode {
                    code: uuid_at(r, 0)?,
                    product_id: uuid_at(r, 1)?,
                    claimed_by: opt_uuid_at(r, 2)?,
                    claimed_at: r.get(3)?,
                })
            })
            .optional()?
            .map(serde_json::to_value)
            .transpose()?,
        "staff" => c
            .prepare_cached("SELECT id, name, role, pin_hash, active FROM staff WHERE id = ?1")?
            .query_row([key], |r| {
                Ok(json!({"id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)?,
                    "role": r.get::<_, String>(2)?, "pin_hash": r.get::<_, String>(3)?,
                    "active": r.get::<_, bool>(4)?}))
            })
            .optional()?,
        "trusted_key" if key == "headoffice" => c
            .query_row(
                "SELECT value FROM ho_meta WHERE key = 'public_key'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|pk| json!({"public_key": pk, "owner": "headoffice", "revoked_at": null})),
        "trusted_key" => c
            .prepare_cached("SELECT public_key, revoked_at FROM devices WHERE id = ?1")?
            .query_row([key], |r| {
                Ok(json!({"public_key": r.get::<_, String>(0)?, "owner": format!("device:{key}"),
                    "revoked_at": r.get::<_, Option<i64>>(1)?}))
            })
            .optional()?,
        "revocation" => c
            .prepare_cached("SELECT revoked_at, reason FROM revocations WHERE item = ?1")?
            .query_row([key], |r| {
                Ok(json!({"item": key, "revoked_at": r.get::<_, i64>(0)?, "reason": r.get::<_, Option<String>>(1)?}))
            })
            .optional()?,
        "conflict" => c
            .prepare_cached(
                "SELECT op_id, device_id, kind, item, code, detail, at FROM sync_conflicts WHERE id = ?1",
            )?
            .query_row([key], |r| {
                Ok(json!({"id": key, "op_id": r.get::<_, String>(0)?, "device_id": r.get::<_, String>(1)?,
                    "kind": r.get::<_, String>(2)?, "item": r.get::<_, Option<String>>(3)?,
                    "code": r.get::<_, String>(4)?, "detail": r.get::<_, String>(5)?, "at": r.get::<_, i64>(6)?}))
            })
            .optional()?,
        "redemption" => c
            .prepare_cached(
                "SELECT item, device_id, staff_id, gate, redeemed_at, conflict FROM redemptions WHERE id = ?1",
            )?
            .query_row([key], |r| {
                Ok(json!({"id": key, "item": r.get::<_, String>(0)?, "device_id": r.get::<_, String>(1)?,
                    "staff_id": r.get::<_, Option<String>>(2)?, "gate": r.get::<_, Option<String>>(3)?,
                    "redeemed_at": r.get::<_, i64>(4)?, "conflict": r.get::<_, bool>(5)?}))
            })
            .optional()?,
        "sale" => sale_data(c, key)?,
        _ => None,
    })
}

fn sale_data(c: &Connection, key: &str) -> Result<Option<Value>> {
    let row = c
        .prepare_cached(
            "SELECT id, order_number, product_id, quantity, currency, unit_price, discount, total, \
             payment_method, buyer_id, device_id, sold_at FROM sales WHERE id = ?1",
        )?
        .query_row([key], |r| {
            let pm: String = r.get(8)?;
            Ok(Sale {
                id: uuid_at(r, 0)?,
                order_number: r.get(1)?,
                product_id: uuid_at(r, 2)?,
                quantity: r.get(3)?,
                currency: r.get(4)?,
                unit_price: crate::sqlite::decimal_at(r, 5)?,
                discount: crate::sqlite::decimal_at(r, 6)?,
                total: crate::sqlite::decimal_at(r, 7)?,
                payment_method: domain::PaymentMethod::parse(&pm)
                    .unwrap_or(domain::PaymentMethod::Cash),
                buyer_id: uuid_at(r, 9)?,
                device_id: opt_uuid_at(r, 10)?,
                staff_id: None,
                created_at: r.get(11)?,
                item_ids: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut sale) = row else {
        return Ok(None);
    };
    let ids = c
        .prepare_cached("SELECT id FROM items WHERE origin_ref = ?1 ORDER BY item_id")?
        .query_map([key], |r| uuid_at(r, 0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    sale.item_ids = ids;
    Ok(Some(serde_json::to_value(sale)?))
}
