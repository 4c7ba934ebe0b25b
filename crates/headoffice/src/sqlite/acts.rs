//! The API's acts over SQLite: issue, transfer, sale, reward redemption, claim.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;
use wicket_domain::{
    self as domain, BalanceKind, ClaimCode, Customer, CustomerInput, DomainError, ItemOrigin,
    PaymentMethod, RecipientRef, StatusTier,
};

use super::items::*;
use super::products::*;
use super::rewards::*;
use super::rows::*;
use super::users::*;
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::SaleRequest;

pub(crate) fn op_issue(
    tx: &Transaction<'_>,
    product: Uuid,
    users: Vec<Uuid>,
    emails: Vec<String>,
) -> Result<Vec<ItemOut>> {
    let refs = domain::recipient_batch(&users, &emails)?;
    let row = require_product(tx, product)?;
    let mut known: HashMap<RecipientRef, Customer> = HashMap::new();
    for r in &refs {
        if known.contains_key(r) {
            continue;
        }
        let key = match r {
            RecipientRef::User(u) => UserKey::Id(*u),
            RecipientRef::Email(e) => UserKey::Email(e.clone()),
        };
        if let Some(u) = find_user(tx, &key)? {
            known.insert(r.clone(), u.c);
        }
    }
    let recipients = domain::resolve_recipients(&refs, |r| known.get(r).cloned())?;
    let mut holdings = HashMap::new();
    let mut owners = HashMap::new();
    for c in &recipients {
        if let std::collections::hash_map::Entry::Vacant(e) = holdings.entry(c.id) {
            e.insert(holding(tx, product, c.id)?);
            owners.insert(c.id, c.clone());
        }
    }
    let (at, iso) = now();
    let plan = domain::plan_issue(&row.p, &row.counters, &recipients, &holdings, at)?;
    store_items(tx, &row, &plan, &owners, ItemOrigin::Issue, None, at, &iso)
}

pub(crate) fn op_transfer(
    tx: &Transaction<'_>,
    product: Uuid,
    item: Uuid,
    sender: UserKey,
    recipient_key: UserKey,
) -> Result<TransferOut> {
    let row = require_product(tx, product)?;
    let it = require_item(tx, item)?;
    // An unknown sender cannot own the item.
    let sender = find_user(tx, &sender)?.ok_or(Error::Domain(DomainError::NotOwner))?;
    let rcpt = recipient(tx, &recipient_key)?;
    let holds = holding(tx, product, rcpt.c.id)?;
    domain::check_transfer(&row.p, &it.item, sender.c.id, &rcpt.c, holds)?;
    let moved = domain::transfer(&it.item, rcpt.c.id);
    let (at, iso) = now();
    tx.execute(
        "UPDATE items SET owner_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![moved.id.to_string(), moved.owner_id.to_string(), iso],
    )?;
    tx.execute(
        "INSERT INTO transfers (id, item_id, from_user_id, to_user_id, transferred_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            Uuid::now_v7().to_string(),
            moved.id.to_string(),
            sender.c.id.to_string(),
            rcpt.c.id.to_string(),
            at
        ],
    )?;
    Ok(TransferOut {
        product_item: TransferItemOut {
            id: moved.id,
            item_id: moved.item_id,
            product_id: moved.product_id,
            product_name: row.p.name.clone(),
            product_type: row.p.product_type.as_str().to_string(),
            redemption_count: moved.redemption_count,
            redemption_quantity: moved.redemption_quantity,
            is_fully_redeemed: moved.is_fully_redeemed(),
            redeemed_at: moved.redeemed_at,
        },
        previous_owner: item_user(&sender.c),
        new_owner: item_user(&rcpt.c),
        transferred_at: at,
    })
}

pub(crate) fn op_sale(tx: &Transaction<'_>, req: SaleRequest) -> Result<SaleOut> {
    let method =
        PaymentMethod::parse(&req.payment_method).ok_or_else(|| DomainError::InvalidField {
            field: "payment_method",
            reason: format!("{:?} is not cash or card", req.payment_method),
        })?;
    let currency = req
        .currency
        .as_deref()
        .map(domain::validate_currency)
        .transpose()?;
    let row = require_product(tx, req.product_id)?;
    let (at, iso) = now();
    let buyer = match &req.buyer {
        UserKey::Email(e) => match find_user(tx, &req.buyer)? {
            Some(u) => u.c,
            None => {
                // A walk-up buyer becomes a customer as part of the same sale.
                let c = CustomerInput {
                    email: e.clone(),
                    first_name: req.buyer_first_name.clone(),
                    last_name: req.buyer_last_name.clone(),
                    country: None,
                }
                .into_customer(Uuid::new_v4())?;
                insert_user(tx, &c, None, &iso)?;
                c
            }
        },
        other => recipient(tx, other)?.c,
    };
    let tiers: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
    let holds = holding(tx, row.p.id, buyer.id)?;
    let mut bought: HashMap<Uuid, u64> = HashMap::new();
    for rule in &row.p.order_rules {
        let n = count(
            tx,
            "SELECT COALESCE(SUM(quantity), 0) FROM sales
              WHERE buyer_id = ?1 AND product_id = ?2 AND sold_at >= ?3 AND sold_at < ?4",
            params![
                buyer.id.to_string(),
                row.p.id.to_string(),
                rule.start_at.unwrap_or(i64::MIN),
                rule.end_at.unwrap_or(i64::MAX)
            ],
        )?;
        bought.insert(rule.id, n);
    }
    let (quote, plan) = domain::plan_sale(
        &row.p,
        &row.counters,
        &buyer,
        holds,
        req.quantity,
        currency.as_deref(),
        &tiers,
        at,
        |r| bought.get(&r.id).copied().unwrap_or(0),
    )?;
    let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM sales", [], |r| {
        r.get(0)
    })?;
    let id = Uuid::now_v7();
    let order_number = format!("HO-{seq:06}");
    tx.execute(
        "INSERT INTO sales (seq, id, order_number, product_id, quantity, currency, unit_price, subtotal, discount_percentage,
            discount, total, payment_method, buyer_id, device_id, sold_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            seq,
            id.to_string(),
            order_number,
            row.p.id.to_string(),
            quote.quantity,
            quote.currency,
            quote.unit_price.to_string(),
            quote.subtotal.to_string(),
            quote.discount_percentage.to_string(),
            quote.discount.to_string(),
            quote.total.to_string(),
            method.as_str(),
            buyer.id.to_string(),
            req.device_id.map(|d| d.to_string()),
            at,
            iso
        ],
    )?;
    let owners = HashMap::from([(buyer.id, buyer.clone())]);
    let items = store_items(
        tx,
        &row,
        &plan,
        &owners,
        ItemOrigin::Sale,
        Some(&id.to_string()),
        at,
        &iso,
    )?;
    Ok(SaleOut {
        id,
        order_number,
        product_id: row.p.id,
        quantity: quote.quantity,
        currency: quote.currency,
        unit_price: quote.unit_price.to_string(),
        subtotal: quote.subtotal.to_string(),
        discount_percentage: quote.discount_percentage.to_string(),
        discount: quote.discount.to_string(),
        total: quote.total.to_string(),
        payment_method: method.as_str().to_string(),
        buyer: item_user(&buyer),
        device_id: req.device_id,
        sold_at: at,
        created_at: iso,
        items: Some(items),
    })
}

pub(crate) fn op_redeem_reward(
    tx: &Transaction<'_>,
    id: Uuid,
    user: UserKey,
    country: Option<String>,
) -> Result<RedeemOut> {
    let reward = require_reward(tx, id)?;
    let mut customer = recipient(tx, &user)?.c;
    let before = customer.clone();
    if let Some(c) = country {
        customer.country = Some(domain::validate_country(&c)?);
    }
    let already = count(
        tx,
        "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1 AND user_id = ?2",
        params![id.to_string(), customer.id.to_string()],
    )?;
    let tiers: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
    let granted = require_product(tx, reward.o.grants.product_id)?;
    let holds = holding(tx, granted.p.id, customer.id)?;
    let (at, iso) = now();
    let plan = domain::plan_reward(
        &reward.o,
        &customer,
        already,
        &tiers,
        &granted.p,
        &granted.counters,
        holds,
        at,
    )?;
    let redeem_id = Uuid::now_v7();
    let rid = redeem_id.to_string();
    if reward.o.credit_cost != 0 {
        let mut after = before.clone();
        after.credits = plan.customer.credits;
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
    write_reward(tx, &plan.offer, &iso, false)?;
    tx.execute(
        "INSERT INTO reward_redeems (id, reward_id, user_id, country, credits_spent, redeemed_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            rid,
            id.to_string(),
            customer.id.to_string(),
            customer.country,
            reward.o.credit_cost,
            at,
            iso
        ],
    )?;
    let owners = HashMap::from([(customer.id, customer.clone())]);
    let items = store_items(
        tx,
        &granted,
        &plan.items,
        &owners,
        ItemOrigin::Reward,
        Some(&rid),
        at,
        &iso,
    )?;
    Ok(RedeemOut {
        id: redeem_id,
        reward_id: id,
        user_id: customer.id,
        country: customer.country,
        credits_spent: reward.o.credit_cost,
        redeemed_at: at,
        created_at: iso,
        items: Some(items),
        credits_balance: Some(plan.customer.credits),
    })
}

pub(crate) fn op_claim(tx: &Transaction<'_>, code: Uuid, user: UserKey) -> Result<ItemOut> {
    let cc = tx
        .query_row(
            "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1",
            [code.to_string()],
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
        .ok_or_else(|| Error::not_found(format!("claim code {code}")))?;
    let row = require_product(tx, cc.product_id)?;
    domain::check_claim(&row.p, &cc)?;
    let c = recipient(tx, &user)?.c;
    let holdings = HashMap::from([(c.id, holding(tx, row.p.id, c.id)?)]);
    let (at, iso) = now();
    let plan = domain::plan_issue(
        &row.p,
        &row.counters,
        std::slice::from_ref(&c),
        &holdings,
        at,
    )?;
    let owners = HashMap::from([(c.id, c.clone())]);
    let code_s = code.to_string();
    let items = store_items(
        tx,
        &row,
        &plan,
        &owners,
        ItemOrigin::Claim,
        Some(&code_s),
        at,
        &iso,
    )?;
    let item = items
        .into_iter()
        .next()
        .ok_or_else(|| Error::Storage("claim planned no item".into()))?;
    tx.execute(
        "UPDATE claim_codes SET claimed_by = ?2, claimed_at = ?3, item = ?4 WHERE code = ?1",
        params![code_s, c.id.to_string(), at, item.id.to_string()],
    )?;
    Ok(item)
}
