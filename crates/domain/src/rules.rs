//! The business decisions: issue, sell, redeem, transfer, claim and reward redemption.
//! Each is a pure function from the current state to a plan or a refusal; callers
//! (device replica, head office) persist the plan in one transaction.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::model::*;
use crate::validate::{MAX_RECIPIENTS, MAX_SALE_QUANTITY, check_amount, normalize_email};

// ---------------------------------------------------------------- recipients

/// One recipient as a request names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecipientRef {
    User(Uuid),
    /// Lower-cased email.
    Email(String),
}

impl std::fmt::Display for RecipientRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecipientRef::User(u) => write!(f, "{u}"),
            RecipientRef::Email(e) => f.write_str(e),
        }
    }
}

/// Check an issue request's recipient list: 1 to 550 recipients, `users` and
/// `emails` counted together (one request issues at most 550 items), emails valid.
pub fn recipient_batch(users: &[Uuid], emails: &[String]) -> Result<Vec<RecipientRef>> {
    let n = users.len() + emails.len();
    if n == 0 {
        return Err(DomainError::EmptyBatch);
    }
    if n > MAX_RECIPIENTS {
        return Err(DomainError::BatchTooLarge(n));
    }
    let mut out: Vec<RecipientRef> = users.iter().copied().map(RecipientRef::User).collect();
    for e in emails {
        out.push(RecipientRef::Email(normalize_email(e)?));
    }
    Ok(out)
}

/// Resolve every reference with `lookup`; if any is unknown, refuse the whole batch
/// naming every unknown one (so the operator can fix the list in one go).
pub fn resolve_recipients<F>(refs: &[RecipientRef], mut lookup: F) -> Result<Vec<Customer>>
where
    F: FnMut(&RecipientRef) -> Option<Customer>,
{
    let mut found = Vec::with_capacity(refs.len());
    let mut missing = Vec::new();
    for r in refs {
        match lookup(r) {
            Some(c) => found.push(c),
            None => missing.push(r.to_string()),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(DomainError::UnknownRecipient(missing))
    }
}

// ---------------------------------------------------------------- issue

/// What the store knows about a product's items so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProductCounters {
    /// Items issued and not refunded (counts against stock and max_items).
    pub issued: u64,
    /// The item_id the next issued item gets (item_ids start at 1).
    pub next_item_id: u64,
}

impl ProductCounters {
    pub fn new() -> Self {
        ProductCounters {
            issued: 0,
            next_item_id: 1,
        }
    }

    /// Refunded items no longer count against stock (their numbers stay used).
    pub fn returned(self, items: u64) -> Self {
        ProductCounters {
            issued: self.issued.saturating_sub(items),
            ..self
        }
    }
}

/// One item an issue will create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedItem {
    pub owner_id: Uuid,
    pub item_id: u64,
}

/// A product can hand out items now: active, published and inside its sale window
/// (`start_sale_at` inclusive, `end_sale_at` exclusive).
pub fn check_available(product: &Product, now: Timestamp) -> Result<()> {
    if !product.active {
        return Err(DomainError::Inactive);
    }
    if product.status != ProductStatus::Published {
        return Err(DomainError::NotPublished);
    }
    if product.start_sale_at.is_some_and(|s| now < s)
        || product.end_sale_at.is_some_and(|e| now >= e)
    {
        return Err(DomainError::NotOnSale);
    }
    Ok(())
}

/// Plan the issue of one item per entry of `recipients` (a customer listed twice gets
/// two items). All or nothing: either every item fits every rule, or nothing is
/// issued and the first broken rule is returned. `holdings` gives how many items of
/// this product each customer holds now.
pub fn plan_issue(
    product: &Product,
    counters: &ProductCounters,
    recipients: &[Customer],
    holdings: &HashMap<Uuid, u64>,
    now: Timestamp,
) -> Result<Vec<PlannedItem>> {
    if recipients.is_empty() {
        return Err(DomainError::EmptyBatch);
    }
    check_available(product, now)?;
    let n = recipients.len() as u64;
    if let Some(stock) = product.stock {
        let available = stock.saturating_sub(counters.issued);
        if n > available {
            return Err(DomainError::StockExhausted {
                available,
                requested: n,
            });
        }
    }
    if let Some(max) = product.max_items
        && counters.issued + n > max
    {
        return Err(DomainError::MaxItemsReached { max });
    }
    let mut added: HashMap<Uuid, u64> = HashMap::new();
    for c in recipients {
        if c.reputation < product.min_rep_balance {
            return Err(DomainError::RepTooLow {
                user: c.email.clone(),
                balance: c.reputation,
                required: product.min_rep_balance,
            });
        }
        let a = added.entry(c.id).or_insert(0);
        *a += 1;
        if let Some(max) = product.max_per_account {
            let would_hold = holdings.get(&c.id).copied().unwrap_or(0) + *a;
            if would_hold > max {
                return Err(DomainError::MaxPerAccount {
                    user: c.email.clone(),
                    would_hold,
                    max,
                });
            }
        }
    }
    Ok(recipients
        .iter()
        .enumerate()
        .map(|(i, c)| PlannedItem {
            owner_id: c.id,
            item_id: counters.next_item_id + i as u64,
        })
        .collect())
}

/// Build the items a plan creates; `ids` supplies one fresh uuid per item.
pub fn materialize(
    product: &Product,
    plan: &[PlannedItem],
    origin: ItemOrigin,
    now: Timestamp,
    mut ids: impl FnMut() -> Uuid,
) -> Vec<Item> {
    plan.iter()
        .map(|p| Item {
            id: ids(),
            product_id: product.id,
            item_id: p.item_id,
            owner_id: p.owner_id,
            redemption_count: 0,
            redemption_quantity: product.redemption_quantity,
            redeemed_at: None,
            origin,
            revoked: false,
            created_at: now,
        })
        .collect()
}

/// Counters after a plan has been applied.
pub fn advance(counters: &ProductCounters, plan: &[PlannedItem]) -> ProductCounters {
    ProductCounters {
        issued: counters.issued + plan.len() as u64,
        next_item_id: counters.next_item_id + plan.len() as u64,
    }
}

// ---------------------------------------------------------------- redeem

/// Redeem an item once: the count goes up by one, the item is fully redeemed when
/// the count reaches its redemption_quantity, and refused after that.
pub fn redeem(item: &Item, now: Timestamp) -> Result<Item> {
    if item.revoked {
        return Err(DomainError::Revoked);
    }
    if item.is_fully_redeemed() {
        return Err(DomainError::AlreadyRedeemed);
    }
    let mut out = item.clone();
    out.redemption_count += 1;
    out.redeemed_at = Some(now);
    Ok(out)
}

/// Redeem, making sure the item is one of `product_id`'s (MUFI redeems under a
/// product path).
pub fn redeem_in_product(product_id: Uuid, item: &Item, now: Timestamp) -> Result<Item> {
    if item.product_id != product_id {
        return Err(DomainError::WrongProduct);
    }
    redeem(item, now)
}

/// The window in which a ticket's token admits: from 12 hours before its event
/// starts (or when the item was issued, if earlier) to 6 hours after the event ends;
/// without an event, from 5 minutes before issue for a year. Head office and every
/// device sign with this window, so a ticket reads the same wherever it was printed.
pub fn ticket_validity(
    event: Option<(Timestamp, Timestamp)>,
    issued_at: Timestamp,
) -> Result<(Timestamp, Timestamp)> {
    let bad = || DomainError::TicketWindow {
        max: TICKET_TIME_MAX,
    };
    // The opening saturates at the epoch (an event dated in 1970 still gets
    // tickets); a closing past what a token can say is refused, never wrapped.
    let (from, until) = match event {
        Some((start, end)) => (
            start.saturating_sub(12 * 3600).min(issued_at),
            end.checked_add(6 * 3600).ok_or_else(bad)?,
        ),
        None => (
            issued_at.saturating_sub(300),
            issued_at.saturating_add(365 * 86_400).min(TICKET_TIME_MAX),
        ),
    };
    let from = from.max(0);
    if until > TICKET_TIME_MAX || until < from {
        return Err(bad());
    }
    Ok((from, until))
}

/// The last second a ticket token can express (u32 unix seconds, early 2106).
pub const TICKET_TIME_MAX: Timestamp = u32::MAX as Timestamp;

// ---------------------------------------------------------------- transfer

/// Seed-000 transfer rules: transferable product, the sender owns the item, the
/// item is not fully redeemed (nor revoked), no self-transfer, and the recipient
/// stays within max_per_account. The recipient exists because the caller resolved
/// it with [`resolve_recipients`].
pub fn check_transfer(
    product: &Product,
    item: &Item,
    sender_id: Uuid,
    recipient: &Customer,
    recipient_holds: u64,
) -> Result<()> {
    if item.product_id != product.id {
        return Err(DomainError::WrongProduct);
    }
    if !product.is_transferable {
        return Err(DomainError::NotTransferable);
    }
    if item.owner_id != sender_id {
        return Err(DomainError::NotOwner);
    }
    if item.revoked {
        return Err(DomainError::Revoked);
    }
    if item.is_fully_redeemed() {
        return Err(DomainError::AlreadyRedeemed);
    }
    if recipient.id == sender_id {
        return Err(DomainError::SelfTransfer);
    }
    if let Some(max) = product.max_per_account
        && recipient_holds + 1 > max
    {
        return Err(DomainError::MaxPerAccount {
            user: recipient.email.clone(),
            would_hold: recipient_holds + 1,
            max,
        });
    }
    Ok(())
}

/// The item after a transfer: same identity, new owner.
pub fn transfer(item: &Item, recipient_id: Uuid) -> Item {
    let mut out = item.clone();
    out.owner_id = recipient_id;
    out
}

// ---------------------------------------------------------------- sell

/// The tier a status balance puts a customer in: the one with the highest
/// `min_token_balance` not above the balance.
pub fn tier_for(balance: i64, tiers: &[StatusTier]) -> Option<&StatusTier> {
    tiers
        .iter()
        .filter(|t| t.min_token_balance <= balance)
        .max_by_key(|t| t.min_token_balance)
}

/// A priced sale line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleQuote {
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    pub quantity: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub subtotal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_percentage: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
}

/// A recorded sale (one a device sends) must add up: as many items as units, and
/// total = unit price × quantity − discount, with 0 ≤ discount ≤ subtotal.
pub fn check_sale_figures(s: &Sale, items: usize) -> Result<()> {
    if s.quantity == 0 || s.quantity as usize != items {
        return Err(DomainError::field(
            "sale",
            "quantity does not match its items",
        ));
    }
    check_amount(&s.currency, s.unit_price)?;
    check_amount(&s.currency, s.discount)?;
    check_amount(&s.currency, s.total)?;
    let subtotal = s
        .unit_price
        .checked_mul(Decimal::from(s.quantity))
        .ok_or_else(|| DomainError::field("sale", "amount out of range"))?;
    if s.unit_price.is_sign_negative()
        || s.discount.is_sign_negative()
        || s.discount > subtotal
        || subtotal.checked_sub(s.discount) != Some(s.total)
    {
        return Err(DomainError::field(
            "sale",
            "price, discount and total do not add up",
        ));
    }
    crate::payment::check_payments(s)?;
    if s.order_number.trim().is_empty() || s.order_number.len() > 64 {
        return Err(DomainError::field(
            "order_number",
            "must be 1-64 characters",
        ));
    }
    Ok(())
}

/// A device's sale line held to the catalog: its unit price must be one the product
/// asked in that currency (`asked`: the prices in force between the device's
/// allotment and the sale), and its discount the one a status tier gives (or none),
/// rounded exactly as [`quote_sale`] rounds. No tolerance: a device prices with the
/// same function.
pub fn check_device_price(s: &Sale, asked: &[Decimal], tiers: &[StatusTier]) -> Result<()> {
    if !asked.contains(&s.unit_price) {
        return Err(DomainError::field(
            "unit_price",
            format!(
                "{} {} is not a price this product had",
                s.unit_price, s.currency
            ),
        ));
    }
    let subtotal = s
        .unit_price
        .checked_mul(Decimal::from(s.quantity))
        .ok_or_else(|| DomainError::field("sale", "amount out of range"))?;
    let dp = s.unit_price.scale().max(2);
    let tiered = std::iter::once(Decimal::ZERO)
        .chain(tiers.iter().map(|t| t.discount_percentage))
        .any(|pct| {
            let pct = pct.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
            subtotal.checked_mul(pct).map(|d| {
                (d / Decimal::ONE_HUNDRED)
                    .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
            }) == Some(s.discount)
        });
    if !tiered {
        return Err(DomainError::field(
            "discount",
            format!("{} is not the discount of any status tier", s.discount),
        ));
    }
    Ok(())
}

/// Who, what and when of a sale, beside its priced line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleParties {
    pub id: Uuid,
    pub order_number: String,
    pub product_id: Uuid,
    pub payment_method: PaymentMethod,
    pub payments: Vec<crate::payment::Payment>,
    pub buyer_id: Uuid,
    pub device_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub at: Timestamp,
    pub item_ids: Vec<Uuid>,
}

impl SaleQuote {
    /// The order this quote becomes once its items are issued.
    pub fn into_sale(&self, p: SaleParties) -> Sale {
        Sale {
            id: p.id,
            order_number: p.order_number,
            product_id: p.product_id,
            quantity: self.quantity,
            currency: self.currency.clone(),
            unit_price: self.unit_price,
            discount: self.discount,
            total: self.total,
            payment_method: p.payment_method,
            payments: p.payments,
            buyer_id: p.buyer_id,
            device_id: p.device_id,
            staff_id: p.staff_id,
            created_at: p.at,
            item_ids: p.item_ids,
        }
    }
}

/// Price `quantity` units in `currency` (the product's primary currency when
/// `None`). A tier discount is `subtotal × pct / 100`, rounded half away from zero to
/// the price's decimal places (at least 2, i.e. cents), so the customer is never
/// charged a fraction of a cent and the rule gives the same total on every device.
pub fn quote_sale(
    product: &Product,
    currency: Option<&str>,
    quantity: u32,
    tier: Option<&StatusTier>,
) -> Result<SaleQuote> {
    if quantity == 0 || quantity > MAX_SALE_QUANTITY {
        return Err(DomainError::InvalidQuantity {
            max: MAX_SALE_QUANTITY,
        });
    }
    let price = match currency {
        None => product.primary_price(),
        Some(c) => product.prices.iter().find(|p| p.currency == c),
    }
    .ok_or_else(|| {
        DomainError::NoPrice(
            currency
                .map(str::to_string)
                .unwrap_or_else(|| "any currency".into()),
        )
    })?;
    let subtotal = price.amount * Decimal::from(quantity);
    let pct = tier.map(|t| t.discount_percentage).unwrap_or(Decimal::ZERO);
    let pct = pct.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    let dp = price.amount.scale().max(2);
    let discount = (subtotal * pct / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    Ok(SaleQuote {
        currency: price.currency.clone(),
        unit_price: price.amount,
        quantity,
        subtotal,
        discount_percentage: pct,
        discount,
        total: subtotal - discount,
    })
}

/// Seed-002 order rules: for every rule whose window contains `now` and that has a
/// purchase limit, what the buyer already bought inside that window plus `quantity`
/// must stay within the limit. `bought_in` answers how many units the buyer bought
/// of this product within a rule's window.
pub fn check_order_rules(
    product: &Product,
    quantity: u32,
    now: Timestamp,
    mut bought_in: impl FnMut(&OrderRule) -> u64,
) -> Result<()> {
    for rule in &product.order_rules {
        let Some(limit) = rule.purchase_limit else {
            continue;
        };
        if !rule.contains(now) {
            continue;
        }
        let already = bought_in(rule);
        if already + u64::from(quantity) > u64::from(limit) {
            return Err(DomainError::PurchaseLimit { limit, already });
        }
    }
    Ok(())
}

/// Everything a box-office sale decides: the price and the items it issues to the
/// buyer. All rules of issue apply too (stock, max_per_account, ...).
#[allow(clippy::too_many_arguments)]
pub fn plan_sale(
    product: &Product,
    counters: &ProductCounters,
    buyer: &Customer,
    buyer_holds: u64,
    quantity: u32,
    currency: Option<&str>,
    tiers: &[StatusTier],
    now: Timestamp,
    bought_in: impl FnMut(&OrderRule) -> u64,
) -> Result<(SaleQuote, Vec<PlannedItem>)> {
    check_available(product, now)?;
    let quote = quote_sale(
        product,
        currency,
        quantity,
        tier_for(buyer.status_balance, tiers),
    )?;
    check_order_rules(product, quantity, now, bought_in)?;
    let recipients = vec![buyer.clone(); quantity as usize];
    let holdings = HashMap::from([(buyer.id, buyer_holds)]);
    let plan = plan_issue(product, counters, &recipients, &holdings, now)?;
    Ok((quote, plan))
}

// ---------------------------------------------------------------- claim

/// A claim code: one item of a claimable product for whoever claims it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimCode {
    pub code: Uuid,
    pub product_id: Uuid,
    pub claimed_by: Option<Uuid>,
    pub claimed_at: Option<Timestamp>,
}

/// Accept a claim code as a bare uuid or as a claim URL ending in `/claim/<uuid>`.
pub fn parse_claim_code(text: &str) -> Result<Uuid> {
    let t = text.trim().trim_end_matches('/');
    let last = t.rsplit('/').next().unwrap_or(t);
    let last = last.split(['?', '#']).next().unwrap_or(last);
    Uuid::parse_str(last).map_err(|_| DomainError::InvalidClaimCode)
}

/// A claim yields one item, once, of a claimable product; the issue rules still
/// apply to the claimant (call [`plan_issue`] with them).
pub fn check_claim(product: &Product, claim: &ClaimCode) -> Result<()> {
    if claim.product_id != product.id {
        return Err(DomainError::WrongProduct);
    }
    if !product.is_claimable {
        return Err(DomainError::NotClaimable);
    }
    if claim.claimed_by.is_some() {
        return Err(DomainError::ClaimUsed);
    }
    Ok(())
}

// ---------------------------------------------------------------- rewards

/// Seed-003 country restrictions: entries like `FR` form an allow list, entries like
/// `NOT_ES` a deny list. A denied country is refused; when an allow list exists the
/// country must be on it. An unknown country passes a pure deny list but not an allow
/// list.
pub fn country_allowed(restrictions: &[String], country: Option<&str>) -> bool {
    let mut allow = Vec::new();
    let mut deny = Vec::new();
    for r in restrictions {
        let r = r.trim().to_ascii_uppercase();
        match r.strip_prefix("NOT_") {
            Some(c) => deny.push(c.to_string()),
            None => allow.push(r),
        }
    }
    match country.map(str::to_ascii_uppercase) {
        Some(c) => !deny.contains(&c) && (allow.is_empty() || allow.contains(&c)),
        None => allow.is_empty(),
    }
}

/// Check that `customer` may redeem `offer` now. `already` is how many times this
/// customer redeemed it before; `tiers` resolves the offer's minimum tier.
pub fn check_reward(
    offer: &RewardOffer,
    customer: &Customer,
    already: u64,
    tiers: &[StatusTier],
) -> Result<()> {
    if !offer.active {
        return Err(DomainError::RewardInactive);
    }
    if offer.grants.is_none() {
        return Err(DomainError::RewardGrantsNothing);
    }
    if offer.available() == Some(0) {
        return Err(DomainError::SupplyExhausted);
    }
    if let Some(max) = offer.max_per_user
        && already >= max
    {
        return Err(DomainError::MaxPerUser { already, max });
    }
    if let Some(min_id) = offer.min_tier_id {
        // An unknown tier id can never be reached: refuse rather than let anyone in.
        let (name, needed) = tiers
            .iter()
            .find(|t| t.id == min_id)
            .map(|t| (t.name.clone(), t.min_token_balance))
            .unwrap_or_else(|| (format!("tier {min_id}"), i64::MAX));
        if customer.status_balance < needed {
            return Err(DomainError::TierTooLow { required: name });
        }
    }
    if !country_allowed(&offer.country_restrictions, customer.country.as_deref()) {
        return Err(DomainError::CountryRestricted(
            customer.country.clone().unwrap_or_else(|| "unknown".into()),
        ));
    }
    if customer.credits < offer.credit_cost {
        return Err(DomainError::InsufficientCredits {
            balance: customer.credits,
            cost: offer.credit_cost,
        });
    }
    Ok(())
}

/// The outcome of a reward redemption: the debited customer, the offer with its
/// supply taken, and the items granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardPlan {
    pub customer: Customer,
    pub offer: RewardOffer,
    pub items: Vec<PlannedItem>,
}

/// Redeem a reward offer: every check of [`check_reward`], then the issue rules for
/// the granted product; debits credits and takes one unit of supply.
#[allow(clippy::too_many_arguments)]
pub fn plan_reward(
    offer: &RewardOffer,
    customer: &Customer,
    already: u64,
    tiers: &[StatusTier],
    granted: &Product,
    counters: &ProductCounters,
    customer_holds: u64,
    now: Timestamp,
) -> Result<RewardPlan> {
    check_reward(offer, customer, already, tiers)?;
    let grants = offer
        .grants
        .as_ref()
        .ok_or(DomainError::RewardGrantsNothing)?;
    if granted.id != grants.product_id {
        return Err(DomainError::WrongProduct);
    }
    let recipients = vec![customer.clone(); grants.quantity.max(1) as usize];
    let holdings = HashMap::from([(customer.id, customer_holds)]);
    let items = plan_issue(granted, counters, &recipients, &holdings, now)?;
    let mut c = customer.clone();
    c.credits -= offer.credit_cost;
    let mut o = offer.clone();
    o.redeemed_count += 1;
    Ok(RewardPlan {
        customer: c,
        offer: o,
        items,
    })
}
