//! The catalog as head office's admin routes edit it: events, products and their
//! order rules, status tiers, reward offers, claim codes, and project users. Every
//! rule is `wicket_domain`'s; this module loads, asks and stores.

use uuid::Uuid;
use wicket_domain::{
    self as domain, BalanceKind, Customer, CustomerInput, DetailsInput, DomainError, Event,
    EventInput, OrderRule, Product, ProductDetails, ProductInput, ProductStatus, RewardGrant,
    RewardOffer, StatusTier,
};

use crate::error::{Error, Result};
use crate::model::{GrantBody, NewUserBody, RewardBody, RewardPatch, TierBody};
use crate::storage::{LedgerPost, Tx, UserKey};
use crate::store::EventKey;
use crate::usecase::issue;

// ------------------------------------------------------------------ events

pub fn create_event(tx: &dyn Tx, input: EventInput) -> Result<Event> {
    let e = input.into_event(Uuid::new_v4())?;
    tx.insert_event(&e)?;
    Ok(e)
}

pub fn update_event(tx: &dyn Tx, key: &EventKey, input: EventInput) -> Result<Event> {
    let old = tx.event(key)?.ok_or_else(|| Error::not_found("event"))?;
    let e = input.apply_to(&old)?;
    tx.update_event(&e)?;
    Ok(e)
}

pub fn delete_event(tx: &dyn Tx, id: Uuid) -> Result<()> {
    tx.event(&EventKey::Id(id))?
        .ok_or_else(|| Error::not_found(format!("event {id}")))?;
    let n = tx.products_of_event(id)?;
    if n > 0 {
        // Products carry issued tickets; never delete those implicitly.
        return Err(Error::Conflict(format!(
            "event has {n} product(s); move or remove them first"
        )));
    }
    tx.delete_event(id)
}

// ------------------------------------------------------------------ products

fn check_event_exists(tx: &dyn Tx, event: Option<Uuid>) -> Result<()> {
    if let Some(e) = event
        && tx.event(&EventKey::Id(e))?.is_none()
    {
        return Err(DomainError::InvalidField {
            field: "event_id",
            reason: format!("no event {e}"),
        }
        .into());
    }
    Ok(())
}

/// A free slug from `base` (`base`, `base-2`, `base-3`, ...).
pub fn unique_slug(tx: &dyn Tx, company: Uuid, base: &str) -> Result<String> {
    for n in 1u32..10_000 {
        let cand = if n == 1 {
            base.to_string()
        } else {
            let suffix = format!("-{n}");
            let keep: String = base.chars().take(100 - suffix.len()).collect();
            format!("{}{suffix}", keep.trim_end_matches('-'))
        };
        if !tx.slug_taken(company, &cand)? {
            return Ok(cand);
        }
    }
    Err(Error::Conflict("no free slug".into()))
}

/// Create a product in a company's catalog (the MUFI API: the default company),
/// with its back-office details (W3Block's; defaults for MUFI).
pub fn create_product(
    tx: &dyn Tx,
    company: Uuid,
    input: ProductInput,
    details: DetailsInput,
) -> Result<Product> {
    if !tx.company_exists(company)? {
        return Err(Error::not_found(format!("company {company}")));
    }
    let mut p = input.into_product(Uuid::new_v4())?;
    let d = details.apply_to(&ProductDetails::default())?;
    check_event_exists(tx, p.event_id)?;
    if p.slug.is_none() {
        p.slug = Some(unique_slug(tx, company, &domain::slugify(&p.name))?);
    }
    tx.insert_product(&p, company)?;
    tx.save_product_details(p.id, &d)?;
    Ok(p)
}

/// A partial update: only the fields given change (both the catalog fields and
/// the back-office details).
pub fn update_product(
    tx: &dyn Tx,
    id: Uuid,
    input: ProductInput,
    details: DetailsInput,
) -> Result<Product> {
    let (old, _) = issue::product(tx, id)?;
    let rules = input.order_rules.is_some();
    let p = input.apply_to(&old)?;
    check_event_exists(tx, p.event_id)?;
    if details != DetailsInput::default() {
        let old_d = tx.product_details(id)?.map(|(_, d)| d).unwrap_or_default();
        tx.save_product_details(id, &details.apply_to(&old_d)?)?;
    }
    tx.update_product(&p, rules)?;
    Ok(p)
}

/// A zone: its gates admit only its products (every door pulls it).
pub fn create_zone(tx: &dyn Tx, b: crate::model::ZoneBody) -> Result<domain::Zone> {
    let z = domain::Zone {
        id: Uuid::new_v4(),
        name: b.name.trim().to_string(),
        gates: b.gates.iter().map(|g| g.trim().to_string()).collect(),
        product_ids: b.product_ids,
    };
    domain::validate_zone(&z)?;
    for p in &z.product_ids {
        if tx.product(*p)?.is_none() {
            return Err(DomainError::InvalidField {
                field: "product_ids",
                reason: format!("no product {p}"),
            }
            .into());
        }
    }
    tx.insert_zone(&z)?;
    Ok(z)
}

pub fn delete_zone(tx: &dyn Tx, id: Uuid) -> Result<()> {
    if tx.delete_zone(id)? {
        Ok(())
    } else {
        Err(Error::not_found(format!("zone {id}")))
    }
}

/// A new company (W3Block tenant).
pub fn create_company(tx: &dyn Tx, name: &str) -> Result<Uuid> {
    let name = domain::validate_name("name", name)?;
    let id = Uuid::new_v4();
    tx.insert_company(id, &name)?;
    Ok(id)
}

pub fn publish_product(tx: &dyn Tx, id: Uuid) -> Result<Product> {
    let (old, _) = issue::product(tx, id)?;
    let p = ProductInput {
        status: Some(ProductStatus::Published.as_str().into()),
        ..Default::default()
    }
    .apply_to(&old)?;
    tx.update_product(&p, false)?;
    Ok(p)
}

pub fn add_order_rule(
    tx: &dyn Tx,
    product: Uuid,
    start_at: Option<i64>,
    end_at: Option<i64>,
    purchase_limit: Option<u32>,
) -> Result<OrderRule> {
    issue::product(tx, product)?;
    let r = OrderRule {
        id: Uuid::new_v4(),
        start_at,
        end_at,
        purchase_limit,
    };
    domain::validate_order_rule(&r)?;
    tx.insert_rule(product, &r)?;
    Ok(r)
}

pub fn delete_order_rule(tx: &dyn Tx, product: Uuid, rule: Uuid) -> Result<()> {
    if !tx.delete_rule(product, rule)? {
        return Err(Error::not_found(format!("order rule {rule}")));
    }
    Ok(())
}

// ------------------------------------------------------------------ tiers

pub fn create_tier(tx: &dyn Tx, body: &TierBody) -> Result<StatusTier> {
    let pct =
        domain::parse_price(&body.discount_percentage).map_err(|_| DomainError::InvalidField {
            field: "discount_percentage",
            reason: format!("{:?} is not a decimal", body.discount_percentage),
        })?;
    let existing = tx.tiers()?;
    let id = existing.iter().map(|t| t.id).max().unwrap_or(0) + 1;
    let t = StatusTier {
        id,
        name: body.name.trim().to_string(),
        min_token_balance: body.min_token_balance,
        discount_percentage: pct,
    };
    domain::validate_status_tier(&t, &existing)?;
    tx.insert_tier(&t)?;
    Ok(t)
}

// ------------------------------------------------------------------ rewards

fn offer_from_body(
    tx: &dyn Tx,
    id: Uuid,
    b: RewardBody,
    redeemed_count: u64,
    active_default: bool,
) -> Result<RewardOffer> {
    let o = RewardOffer {
        id,
        name: b.name.trim().to_string(),
        description: b.description,
        credit_cost: b.credit_cost,
        grants: b.grants.map(|g| RewardGrant {
            product_id: g.product_id,
            quantity: g.quantity,
        }),
        image_url: b.image_url,
        supply_total: b.supply_total,
        redeemed_count,
        max_per_user: b.max_per_user,
        min_tier_id: b.min_tier_id,
        country_restrictions: b
            .country_restrictions
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect(),
        tags: b.tags,
        order: b.order,
        active: b.active.unwrap_or(active_default),
    };
    domain::validate_reward_offer(&o)?;
    if let Some(g) = &o.grants
        && tx.product(g.product_id)?.is_none()
    {
        return Err(DomainError::InvalidField {
            field: "grants.product_id",
            reason: format!("no product {}", g.product_id),
        }
        .into());
    }
    if let Some(t) = o.min_tier_id
        && !tx.tiers()?.iter().any(|x| x.id == t)
    {
        return Err(DomainError::InvalidField {
            field: "min_tier_id",
            reason: format!("no status tier {t}"),
        }
        .into());
    }
    Ok(o)
}

fn reward(tx: &dyn Tx, id: Uuid) -> Result<RewardOffer> {
    tx.reward(id)?
        .ok_or_else(|| Error::not_found(format!("reward {id}")))
}

pub fn create_reward(tx: &dyn Tx, body: RewardBody) -> Result<RewardOffer> {
    let o = offer_from_body(tx, Uuid::new_v4(), body, 0, true)?;
    tx.insert_reward(&o)?;
    Ok(o)
}

pub fn replace_reward(tx: &dyn Tx, id: Uuid, body: RewardBody) -> Result<RewardOffer> {
    let old = reward(tx, id)?;
    let o = offer_from_body(tx, id, body, old.redeemed_count, old.active)?;
    tx.save_reward(&o)?;
    Ok(o)
}

/// A partial update: the stored offer with the given fields changed, checked as a
/// whole like a create.
pub fn patch_reward(tx: &dyn Tx, id: Uuid, p: RewardPatch) -> Result<RewardOffer> {
    let old = reward(tx, id)?;
    let keep = |v: Option<Option<u64>>, cur: Option<u64>| v.unwrap_or(cur);
    let body = RewardBody {
        name: p.name.unwrap_or_else(|| old.name.clone()),
        description: p.description.unwrap_or_else(|| old.description.clone()),
        credit_cost: p.credit_cost.unwrap_or(old.credit_cost),
        grants: p.grants.unwrap_or_else(|| {
            old.grants.as_ref().map(|g| GrantBody {
                product_id: g.product_id,
                quantity: g.quantity,
            })
        }),
        image_url: p.image_url.unwrap_or_else(|| old.image_url.clone()),
        supply_total: keep(p.supply_total, old.supply_total),
        max_per_user: keep(p.max_per_user, old.max_per_user),
        min_tier_id: p.min_tier_id.unwrap_or(old.min_tier_id),
        country_restrictions: p
            .country_restrictions
            .unwrap_or_else(|| old.country_restrictions.clone()),
        tags: p.tags.unwrap_or_else(|| old.tags.clone()),
        order: p.order.unwrap_or(old.order),
        active: Some(p.active.unwrap_or(old.active)),
    };
    let o = offer_from_body(tx, id, body, old.redeemed_count, old.active)?;
    tx.save_reward(&o)?;
    Ok(o)
}

pub fn delete_reward(tx: &dyn Tx, id: Uuid) -> Result<()> {
    reward(tx, id)?;
    let n = tx.reward_redeem_count(id)?;
    if n > 0 {
        // Redeems are history; deactivate the offer instead.
        return Err(Error::Conflict(format!(
            "reward has {n} redeem(s); deactivate it instead"
        )));
    }
    tx.delete_reward(id)
}

pub fn toggle_reward(tx: &dyn Tx, id: Uuid) -> Result<RewardOffer> {
    let mut o = reward(tx, id)?;
    o.active = !o.active;
    tx.save_reward(&o)?;
    Ok(o)
}

// ------------------------------------------------------------------ claim codes

pub fn create_claim_codes(tx: &dyn Tx, product: Uuid, n: u32) -> Result<Vec<Uuid>> {
    let (p, _) = issue::product(tx, product)?;
    domain::check_claim_codes(&p, n)?;
    let codes: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    tx.insert_claim_codes(product, &codes)?;
    Ok(codes)
}

// ------------------------------------------------------------------ users

/// `POST /v1/users/create`: all or nothing; every invalid entry is named at once.
pub fn create_users(
    tx: &dyn Tx,
    users: Vec<NewUserBody>,
) -> Result<Vec<(Customer, Option<String>)>> {
    domain::check_user_batch(users.len())?;
    let mut errors = Vec::new();
    let mut ok = Vec::with_capacity(users.len());
    let mut seen = std::collections::HashSet::new();
    for u in users {
        let reference = match u.reference_id.as_deref().map(domain::validate_reference_id) {
            Some(Err(e)) => {
                errors.push(e);
                continue;
            }
            Some(Ok(r)) => Some(r),
            None => None,
        };
        match (CustomerInput {
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            country: u.country,
        })
        .into_customer(Uuid::new_v4())
        {
            Ok(c) => {
                if !seen.insert(c.email.clone()) {
                    return Err(Error::Conflict(format!(
                        "email {} appears twice in the request",
                        c.email
                    )));
                }
                ok.push((c, reference));
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::DomainMany(errors));
    }
    for (c, r) in &ok {
        tx.insert_customer_with_reference(c, r.as_deref())?;
    }
    Ok(ok)
}

/// Adjust one of a user's balances, with its ledger line.
pub fn adjust_balance(
    tx: &dyn Tx,
    user: Uuid,
    kind: &str,
    delta: i64,
    reason: &str,
    at: i64,
) -> Result<Customer> {
    let kind = BalanceKind::parse(kind).ok_or_else(|| DomainError::InvalidField {
        field: "kind",
        reason: format!("{kind:?} is not reputation, credits or status"),
    })?;
    let before = tx
        .customer(&UserKey::Id(user))?
        .ok_or_else(|| Error::not_found(format!("user {user}")))?;
    let after = domain::adjust_balance(&before, kind, delta, reason)?;
    tx.post_ledger(&LedgerPost {
        before: &before,
        after: &after,
        kind,
        reason,
        ref_id: None,
        at,
    })?;
    Ok(after)
}
