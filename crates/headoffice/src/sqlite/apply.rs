//! Applying one typed pushed operation at head office, inside the push transaction's
//! savepoint: the same rules an API request of that act meets (via `wicket_domain`),
//! and facts (redemptions) that count whatever order devices sync in.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use wicket_domain::{
    self as domain, Allotment, BalanceKind, ClaimCode, Customer, Decimal, DomainError, ItemOrigin,
    StatusTier, Timestamp,
};
use wicket_protocol::{
    ClaimOp, CustomerOp, IssueOp, Op, RedeemOp, RevokeOp, RewardRedeemOp, SaleOp, TransferOp,
};

use super::items::{find_item, holding};
use super::products::{require_product, save_counters};
use super::rewards::require_reward;
use super::rows::{now, opt_u64, opt_uuid_at, to_i64, touch, uuid_at};
use super::users::{find_user, insert_user, load_tiers, post_ledger};
use crate::error::{Error, Result};
use crate::model::UserKey;

/// What became of an op that head office could judge.
pub(crate) enum Outcome {
    Applied,
    /// A fact kept for review (it happened but broke a rule).
    Conflict {
        code: String,
        message: String,
    },
}

/// Who pushed an op and when.
pub(crate) struct OpContext {
    pub device: Uuid,
    pub op_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub device_time: Timestamp,
}

/// The staff member an op names must exist, be active, and hold a role that may do
/// the act (`Role::may`), as an API request from them would have to.
pub(crate) fn authorize(tx: &Connection, staff: Option<Uuid>, op: &Op) -> Result<()> {
    // An op without a staff member is the device's own act (a scripted stand-alone
    // device); one that names a staff member is held to that member's role.
    let Some(staff) = staff else {
        return Ok(());
    };
    let row: Option<(String, bool)> = tx
        .prepare_cached("SELECT role, active FROM staff WHERE id = ?1")?
        .query_row([staff.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row.and_then(|(role, active)| Some((domain::Role::parse(&role)?, active))) {
        Some((role, true)) => Ok(role.require(op.action())?),
        Some((_, false)) => Err(DomainError::Forbidden {
            role: "deactivated",
            action: op.action().as_str(),
        }
        .into()),
        None => Err(DomainError::Forbidden {
            role: "unknown",
            action: op.action().as_str(),
        }
        .into()),
    }
}

/// Apply one decoded op.
pub(crate) fn apply_op(tx: &Connection, cx: &OpContext, op: &Op) -> Result<Outcome> {
    let (_, iso) = now();
    let at = cx.device_time;
    match op {
        Op::Redeem(p) => apply_redeem(tx, cx, p),
        Op::Issue(IssueOp { product_id, items }) => {
            let items = items
                .iter()
                .map(|i| {
                    i.owner_id
                        .map(|o| (i.id, i.item_id, o))
                        .ok_or_else(|| Error::InvalidRequest("issue item without owner".into()))
                })
                .collect::<Result<Vec<_>>>()?;
            apply_items(
                tx,
                cx.device,
                *product_id,
                &items,
                ItemOrigin::Issue,
                None,
                at,
                &iso,
            )?;
            Ok(Outcome::Applied)
        }
        Op::Customer(CustomerOp { customer }) => {
            create_customer(tx, customer, &iso)?;
            Ok(Outcome::Applied)
        }
        Op::Sale(p) => apply_sale(tx, cx, p, &iso),
        Op::Transfer(p) => apply_transfer(tx, cx, p, &iso),
        Op::Revoke(RevokeOp { item, reason }) => {
            if find_item(tx, *item)?.is_none() {
                return Err(Error::not_found(format!("item {item}")));
            }
            tx.execute(
                "INSERT OR REPLACE INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3)",
                params![item.to_string(), at, reason],
            )?;
            tx.execute(
                "UPDATE items SET revoked = 1, updated_at = ?2 WHERE id = ?1",
                params![item.to_string(), iso],
            )?;
            Ok(Outcome::Applied)
        }
        Op::Claim(p) => apply_claim(tx, cx, p, &iso),
        Op::RewardRedeem(p) => apply_reward(tx, cx, p, &iso),
    }
}

/// A customer a device created (a walk-up buyer). Idempotent; when head office
/// already knows the email under another id, the device's id becomes an alias.
pub(crate) fn create_customer(tx: &Connection, c: &Customer, iso: &str) -> Result<()> {
    if find_user(tx, &UserKey::Id(c.id))?.is_some() {
        return Ok(());
    }
    let email = domain::normalize_email(&c.email)?;
    match find_user(tx, &UserKey::Email(email.clone()))? {
        Some(known) => {
            tx.execute(
                "INSERT OR IGNORE INTO customer_aliases (alias_id, customer_id) VALUES (?1, ?2)",
                params![c.id.to_string(), known.c.id.to_string()],
            )?;
            touch(tx, "customer", &c.id.to_string())?;
            touch(tx, "customer", &known.c.id.to_string())?;
        }
        None => {
            let c = Customer {
                email,
                // Balances are head office's to keep: a device cannot mint reputation.
                reputation: 0,
                credits: 0,
                status_balance: 0,
                ..c.clone()
            };
            insert_user(tx, &c, None, iso)?;
        }
    }
    Ok(())
}

fn apply_sale(tx: &Connection, cx: &OpContext, p: &SaleOp, iso: &str) -> Result<Outcome> {
    if let Some(c) = &p.new_customer {
        create_customer(tx, c, iso)?;
    }
    let s = &p.sale;
    if s.quantity as usize != p.items.len() {
        return Err(Error::InvalidRequest(format!(
            "sale of {} with {} items",
            s.quantity,
            p.items.len()
        )));
    }
    let buyer = resolve_customer(tx, s.buyer_id)?;
    let items: Vec<_> = p.items.iter().map(|i| (i.id, i.item_id, buyer)).collect();
    apply_items(
        tx,
        cx.device,
        s.product_id,
        &items,
        ItemOrigin::Sale,
        Some(&s.id.to_string()),
        cx.device_time,
        iso,
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
        cx.device.to_string(),
        s.created_at,
        iso
    ])?;
    Ok(Outcome::Applied)
}

fn apply_transfer(tx: &Connection, cx: &OpContext, p: &TransferOp, iso: &str) -> Result<Outcome> {
    let from = resolve_customer(tx, p.from)?;
    let to_id = resolve_customer(tx, p.to)?;
    let it = find_item(tx, p.item)?.ok_or_else(|| Error::not_found(format!("item {}", p.item)))?;
    let product = require_product(tx, it.item.product_id)?;
    let to = find_user(tx, &UserKey::Id(to_id))?
        .ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![to_id.to_string()])))?;
    let holds = holding(tx, product.p.id, to.c.id)?;
    domain::check_transfer(&product.p, &it.item, from, &to.c, holds)?;
    tx.execute(
        "UPDATE items SET owner_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![p.item.to_string(), to_id.to_string(), iso],
    )?;
    tx.execute(
        "INSERT INTO transfers (id, item_id, from_user_id, to_user_id, transferred_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            cx.op_id.to_string(),
            p.item.to_string(),
            from.to_string(),
            to_id.to_string(),
            p.transferred_at.unwrap_or(cx.device_time)
        ],
    )?;
    Ok(Outcome::Applied)
}

fn apply_claim(tx: &Connection, cx: &OpContext, p: &ClaimOp, iso: &str) -> Result<Outcome> {
    let customer = resolve_customer(tx, p.customer)?;
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
        cx.device,
        cc.product_id,
        &[(p.item, p.item_id, customer)],
        ItemOrigin::Claim,
        Some(&p.code.to_string()),
        cx.device_time,
        iso,
    )?;
    tx.execute(
        "UPDATE claim_codes SET claimed_by = ?2, claimed_at = ?3, item = ?4 WHERE code = ?1",
        params![
            p.code.to_string(),
            customer.to_string(),
            cx.device_time,
            p.item.to_string()
        ],
    )?;
    Ok(Outcome::Applied)
}

fn apply_reward(tx: &Connection, cx: &OpContext, p: &RewardRedeemOp, iso: &str) -> Result<Outcome> {
    let customer = resolve_customer(tx, p.customer)?;
    let at = cx.device_time;
    let reward = require_reward(tx, p.offer_id)?;
    let before = find_user(tx, &UserKey::Id(customer))?
        .ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![customer.to_string()])))?
        .c;
    let already: i64 = tx.query_row(
        "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1 AND user_id = ?2",
        params![p.offer_id.to_string(), customer.to_string()],
        |r| r.get(0),
    )?;
    let tiers: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
    domain::check_reward(
        &reward.o,
        &before,
        opt_u64(Some(already)).unwrap_or(0),
        &tiers,
    )?;
    if p.items.len() as u64 != u64::from(reward.o.grants.quantity) {
        return Err(Error::InvalidRequest(format!(
            "reward grants {} items, op carries {}",
            reward.o.grants.quantity,
            p.items.len()
        )));
    }
    let items: Vec<_> = p
        .items
        .iter()
        .map(|i| (i.id, i.item_id, customer))
        .collect();
    let rid = p.redeem_id.to_string();
    apply_items(
        tx,
        cx.device,
        reward.o.grants.product_id,
        &items,
        ItemOrigin::Reward,
        Some(&rid),
        at,
        iso,
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
            iso,
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
            customer.to_string(),
            before.country,
            reward.o.credit_cost,
            at,
            iso
        ],
    )?;
    Ok(Outcome::Applied)
}

// ------------------------------------------------------------------ redemptions

/// One scan, from a device (a fact) or from the API (a request).
pub(crate) struct Scan {
    pub id: Uuid,
    pub op_id: Uuid,
    pub item: Uuid,
    pub product_id: Option<Uuid>,
    pub device: Uuid,
    pub staff_id: Option<Uuid>,
    pub gate: Option<String>,
    pub at: Timestamp,
}

/// Judge a scan against the item's current state and record it. The API route and
/// a pushed redeem both come here. `strict` (the API): a refusal is an error and
/// nothing is written. Otherwise (a device's scan, which happened): a refusal is
/// kept as a conflict, and a scan of an item head office does not know yet is kept
/// pending and counted when the item arrives (see [`settle_pending`]).
pub(crate) fn record_scan(tx: &Connection, s: &Scan, strict: bool) -> Result<Outcome> {
    let (_, iso) = now();
    let Some(row) = find_item(tx, s.item)? else {
        if strict {
            return Err(Error::not_found(format!("item {}", s.item)));
        }
        insert_redemption(tx, s, false, true)?;
        tracing::info!(item = %s.item, device = %s.device, "redemption of an item not yet known kept pending");
        return Ok(Outcome::Applied);
    };
    let verdict = match s.product_id {
        Some(pid) => domain::redeem_in_product(pid, &row.item, s.at),
        None => domain::redeem(&row.item, s.at),
    };
    match verdict {
        Ok(done) => {
            tx.prepare_cached(
                "UPDATE items SET redemption_count = ?2, redeemed_at = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![s.item.to_string(), done.redemption_count, s.at, iso])?;
            insert_redemption(tx, s, false, false)?;
            Ok(Outcome::Applied)
        }
        Err(e) if strict => Err(e.into()),
        Err(e) => {
            insert_redemption(tx, s, true, false)?;
            let (code, message) = conflict(tx, s, &e)?;
            touch(tx, "item", &s.item.to_string())?;
            Ok(Outcome::Conflict { code, message })
        }
    }
}

fn insert_redemption(tx: &Connection, s: &Scan, conflict: bool, pending: bool) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO redemptions (id, item, product_id, device_id, staff_id, gate, redeemed_at, op_id, conflict, pending) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        s.id.to_string(),
        s.item.to_string(),
        s.product_id.map(|x| x.to_string()),
        s.device.to_string(),
        s.staff_id.map(|x| x.to_string()),
        s.gate,
        s.at,
        s.op_id.to_string(),
        conflict,
        pending
    ])?;
    Ok(())
}

/// Keep a scan beyond the rules for review.
fn conflict(tx: &Connection, s: &Scan, e: &DomainError) -> Result<(String, String)> {
    let code = e.code().to_string();
    let message = format!(
        "scan at {} beyond the rules: {e}",
        s.gate.as_deref().unwrap_or("door")
    );
    tx.prepare_cached(
        "INSERT INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at) VALUES (?1, ?2, ?3, 'redeem', ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        Uuid::now_v7().to_string(),
        s.op_id.to_string(),
        s.device.to_string(),
        s.item.to_string(),
        code,
        message,
        s.at
    ])?;
    tracing::warn!(item = %s.item, device = %s.device, %code, "redemption conflict recorded");
    Ok((code, message))
}

fn apply_redeem(tx: &Connection, cx: &OpContext, p: &RedeemOp) -> Result<Outcome> {
    let scan = Scan {
        id: p.redemption_id.unwrap_or(cx.op_id),
        op_id: cx.op_id,
        item: p.item,
        product_id: p.product_id,
        device: cx.device,
        staff_id: cx.staff_id,
        gate: p.gate.clone(),
        at: p.redeemed_at.unwrap_or(cx.device_time),
    };
    record_scan(tx, &scan, false)
}

/// Scans heard of before their item reached head office count now, in the order
/// they happened; those beyond `redemption_quantity` become conflicts.
fn settle_pending(tx: &Connection, items: &[Uuid]) -> Result<()> {
    for item in items {
        let pending: Vec<Scan> = tx
            .prepare_cached(
                "SELECT id, op_id, product_id, device_id, staff_id, gate, redeemed_at FROM redemptions \
                 WHERE item = ?1 AND pending = 1 ORDER BY redeemed_at, id",
            )?
            .query_map([item.to_string()], |r| {
                Ok(Scan {
                    id: uuid_at(r, 0)?,
                    op_id: uuid_at(r, 1)?,
                    item: *item,
                    product_id: opt_uuid_at(r, 2)?,
                    device: uuid_at(r, 3)?,
                    staff_id: opt_uuid_at(r, 4)?,
                    gate: r.get(5)?,
                    at: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        for s in &pending {
            tx.prepare_cached("DELETE FROM redemptions WHERE id = ?1")?
                .execute([s.id.to_string()])?;
            record_scan(tx, s, false)?;
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ items

/// Head office's id for a customer id a device used (itself, or what it aliases).
pub(crate) fn resolve_customer(tx: &Connection, id: Uuid) -> Result<Uuid> {
    let alias: Option<String> = tx
        .prepare_cached("SELECT customer_id FROM customer_aliases WHERE alias_id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    match alias {
        Some(a) => Uuid::parse_str(&a).map_err(|e| Error::Storage(format!("alias: {e}"))),
        None => Ok(id),
    }
}

pub(crate) const ALLOT_COLS: &str =
    "id, product_id, device_id, units, used, first_item_id, expires_at";

pub(crate) fn allot_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Allotment> {
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

/// An item a device created: its id, its number and its owner.
type DeviceItem = (Uuid, u64, Uuid);

/// Insert items a device created with its own ids and item numbers, under the same
/// issue rules: each from the device's allotment that covers its number (a sale may
/// draw on several), the rest against the product's remaining stock. Scans of these
/// items that arrived before them are then counted.
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
    let items: Vec<(Uuid, u64, Uuid)> = items
        .iter()
        .map(|(i, n, o)| Ok((*i, *n, resolve_customer(tx, *o)?)))
        .collect::<Result<_>>()?;
    let mut owners = HashMap::new();
    let mut holdings = HashMap::new();
    for (_, _, o) in &items {
        if owners.contains_key(o) {
            continue;
        }
        let c = find_user(tx, &UserKey::Id(*o))?
            .ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![o.to_string()])))?
            .c;
        holdings.insert(c.id, holding(tx, product, c.id)?);
        owners.insert(c.id, c);
    }
    let allotments: Vec<Allotment> = tx
        .prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE device_id = ?1 AND product_id = ?2 \
             AND released_at IS NULL ORDER BY first_item_id"
        ))?
        .query_map(
            params![device.to_string(), product.to_string()],
            allot_from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    // Group the items by the allotment whose range holds their number.
    let mut groups: Vec<(Option<Allotment>, Vec<&DeviceItem>)> = Vec::new();
    for it in &items {
        let a = allotments
            .iter()
            .find(|a| a.contains_item_id(it.1))
            .copied();
        match groups
            .iter_mut()
            .find(|(g, _)| g.map(|x| x.id) == a.map(|x| x.id))
        {
            Some((_, v)) => v.push(it),
            None => groups.push((a, vec![it])),
        }
    }
    let mut counters = row.counters;
    for (a, group) in &groups {
        let recipients: Vec<Customer> = group
            .iter()
            .map(|(_, _, o)| owners.get(o).cloned())
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Storage("item owner not loaded".into()))?;
        let n = group.len() as u64;
        match a {
            Some(a) => {
                let (p, c) = a.issue_view(&row.p);
                domain::plan_issue(&p, &c, &recipients, &holdings, at)?;
                let taken = a.take(n, at)?;
                tx.prepare_cached("UPDATE allotments SET used = ?2 WHERE id = ?1")?
                    .execute(params![a.id.to_string(), to_i64(taken.used)])?;
            }
            None => {
                domain::plan_issue(&row.p, &counters, &recipients, &holdings, at)?;
                let max_id = group.iter().map(|i| i.1).max().unwrap_or(0);
                counters = domain::ProductCounters {
                    issued: counters.issued + n,
                    next_item_id: counters.next_item_id.max(max_id + 1),
                };
            }
        }
        // Later groups see what this one handed out (max_per_account spans them).
        for c in &recipients {
            *holdings.entry(c.id).or_insert(0) += 1;
        }
    }
    if counters != row.counters {
        save_counters(tx, product, &counters, iso)?;
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
    let ids: Vec<Uuid> = items.iter().map(|i| i.0).collect();
    settle_pending(tx, &ids)?;
    Ok(())
}
