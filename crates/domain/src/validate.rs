//! Validation of what comes in: product and event fields, prices, emails, batches.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::model::*;

/// Recipients per issue request, `users` and `emails` counted together.
pub const MAX_RECIPIENTS: usize = 550;
/// Users per create-users request (MUFI `POST /v1/users/create`).
pub const MAX_USERS_PER_BATCH: usize = 1500;
/// Units per sale line at the box office.
pub const MAX_SALE_QUANTITY: u32 = 100;

/// Parse a decimal price string: digits, an optional point and at most 8 decimals.
/// Rejects signs, exponents, separators and empty strings, so "1e3" or "-1" never
/// become money.
pub fn parse_price(s: &str) -> Result<Decimal> {
    let bad = || DomainError::InvalidPrice(s.to_string());
    let t = s.trim();
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if int.is_empty() || int.len() > 15 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if let Some(f) = frac
        && (f.is_empty() || f.len() > 8 || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Decimal::from_str(t).map_err(|_| bad())
}

/// A currency code: three ASCII upper-case letters.
pub fn validate_currency(code: &str) -> Result<String> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_string())
    } else {
        Err(DomainError::field(
            "currency",
            format!("{code:?} is not a 3-letter upper-case currency code"),
        ))
    }
}

/// ISO 4217 currencies whose minor unit is not the cent (every other code has two
/// decimals). The list is short and fixed by the standard, so it lives here rather
/// than behind a crate that carries every currency's name.
const MINOR_UNITS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// Decimals a currency's amounts may carry (ISO 4217 minor unit; 2 unless listed).
pub fn minor_units(currency: &str) -> u32 {
    MINOR_UNITS
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, n)| *n)
        .unwrap_or(2)
}

/// An amount of `currency` must not be finer than its minor unit: `0.001` EUR is
/// not money anyone can pay. Trailing zeros (`5.000`) are fine.
pub fn check_amount(currency: &str, amount: Decimal) -> Result<()> {
    let dp = minor_units(currency);
    if amount.normalize().scale() > dp {
        return Err(DomainError::InvalidPrice(format!(
            "{amount} has more than {dp} decimals, the minor unit of {currency}"
        )));
    }
    Ok(())
}

/// Minimal email syntax check: one `@`, something before it, a dot after it, no
/// spaces, at most 254 characters. Returns the lower-cased address.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim();
    let bad = || DomainError::field("email", format!("{e:?} is not an email address"));
    if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(e.to_lowercase())
}

fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String> {
    refuse_control(field, value, false)?;
    let n = value.trim().chars().count();
    if n < min || n > max {
        return Err(DomainError::field(
            field,
            format!("length must be {min}..={max} characters, got {n}"),
        ));
    }
    Ok(value.trim().to_string())
}

fn opt_text(field: &'static str, value: Option<String>, max: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => text(field, &v, 1, max).map(Some),
    }
}

/// Free text that may run over several lines (a description): line breaks and
/// tabs are kept, every other control character is refused.
fn opt_paragraphs(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => {
            refuse_control(field, &v, true)?;
            let n = v.trim().chars().count();
            if n > max {
                return Err(DomainError::field(
                    field,
                    format!("length must be 1..={max} characters, got {n}"),
                ));
            }
            Ok(Some(v.trim().to_string()))
        }
    }
}

/// Names and labels are shown on screens, receipts and printed tickets: a NUL, an
/// escape sequence or a bell in one is an attack on whatever displays it.
pub fn refuse_control(field: &'static str, value: &str, multiline: bool) -> Result<()> {
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    match value.chars().find(|c| c.is_control() && !allowed(*c)) {
        Some(c) => Err(DomainError::field(
            field,
            format!("control character U+{:04X} is not allowed", c as u32),
        )),
        None => Ok(()),
    }
}

/// A slug: lower-case letters, digits and dashes, 1–100.
pub fn validate_slug(s: &str) -> Result<String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(DomainError::field(
            "slug",
            format!("{s:?} must be 1-100 of a-z, 0-9 and inner dashes"),
        ))
    }
}

/// Turn a name into a slug candidate ("VIP Pass 2026" -> "vip-pass-2026").
/// A gate's name as a door reports it: 1 to 64 characters, no control characters.
pub fn validate_gate(gate: &str) -> Result<String> {
    text("gate", gate, 1, 64)
}

pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let t = out.trim_end_matches('-');
    if t.is_empty() {
        "product".to_string()
    } else {
        t.chars().take(100).collect()
    }
}

/// A price as it arrives in a request: both MUFI's `price` (+ `currency`) and seed
/// 002's `prices` are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceInput {
    pub currency: String,
    pub amount: String,
}

/// A product as a create request carries it: optional fields, no defaults applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    #[serde(rename = "type")]
    pub product_type: Option<String>,
    pub name: Option<String>,
    pub event_id: Option<Uuid>,
    pub description: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub prices: Option<Vec<PriceInput>>,
    pub stock: Option<i64>,
    pub max_per_account: Option<i64>,
    pub redemption_quantity: Option<i64>,
    pub is_transferable: Option<bool>,
    pub is_claimable: Option<bool>,
    pub min_rep_balance: Option<i64>,
    pub max_items: Option<i64>,
    pub active: Option<bool>,
    pub mint_nft: Option<bool>,
    pub metadata_uri: Option<String>,
    pub chain: Option<String>,
    pub status: Option<String>,
    pub slug: Option<String>,
    pub tags: Option<Vec<String>>,
    pub start_sale_at: Option<Timestamp>,
    pub end_sale_at: Option<Timestamp>,
    pub order_rules: Option<Vec<OrderRule>>,
    /// Re-entry after an exit (default false).
    pub allow_reentry: Option<bool>,
    /// An update clears the sale start / end (W3Block's `null`); MUFI bodies cannot
    /// set these.
    #[serde(skip)]
    pub clear_start_sale_at: bool,
    #[serde(skip)]
    pub clear_end_sale_at: bool,
}

/// The currency a bare MUFI `price` is in when no `currency` is given.
pub const DEFAULT_CURRENCY: &str = "EUR";

fn opt_count(field: &'static str, v: Option<i64>, min: i64) -> Result<Option<u64>> {
    match v {
        None => Ok(None),
        Some(n) if n < min => Err(DomainError::field(field, format!("must be >= {min}"))),
        Some(n) => Ok(Some(n as u64)),
    }
}

impl ProductInput {
    /// Validate a create request and apply seed-000 defaults: stock, max_per_account
    /// and max_items unlimited, redemption_quantity 1, not transferable or claimable,
    /// min_rep_balance 0, active. Without a `status` the product is published (MUFI
    /// has no drafts); `status: "draft"` must be published before issue or sale.
    pub fn into_product(self, id: Uuid) -> Result<Product> {
        let product_type = match self.product_type.as_deref() {
            None => return Err(DomainError::field("type", "required")),
            Some(t) => ProductType::parse(t).ok_or_else(|| {
                DomainError::field("type", format!("{t:?} is not admission, presale or perks"))
            })?,
        };
        let name = text(
            "name",
            self.name
                .as_deref()
                .ok_or_else(|| DomainError::field("name", "required"))?,
            1,
            255,
        )?;
        let description = opt_paragraphs("description", self.description, 255)?;
        let mut prices = Vec::new();
        if let Some(p) = &self.price {
            let currency = validate_currency(self.currency.as_deref().unwrap_or(DEFAULT_CURRENCY))?;
            let amount = parse_price(p)?;
            check_amount(&currency, amount)?;
            prices.push(Price { currency, amount });
        }
        for p in self.prices.unwrap_or_default() {
            let currency = validate_currency(&p.currency)?;
            let amount = parse_price(&p.amount)?;
            check_amount(&currency, amount)?;
            if let Some(existing) = prices.iter().find(|x| x.currency == currency) {
                if existing.amount != amount {
                    return Err(DomainError::field(
                        "prices",
                        format!("two different prices for {currency}"),
                    ));
                }
                continue;
            }
            prices.push(Price { currency, amount });
        }
        let redemption_quantity = match self.redemption_quantity {
            None => 1,
            Some(n) if (1..=10_000).contains(&n) => n as u32,
            Some(_) => {
                return Err(DomainError::field(
                    "redemption_quantity",
                    "must be 1..=10000",
                ));
            }
        };
        let min_rep_balance = self.min_rep_balance.unwrap_or(0);
        if min_rep_balance < 0 {
            return Err(DomainError::field("min_rep_balance", "must be >= 0"));
        }
        let chain = match self.chain.as_deref() {
            None => None,
            Some(c) => Some(Chain::parse(c).ok_or_else(|| {
                DomainError::field("chain", format!("{c:?} is not AssetHub or WestendAssetHub"))
            })?),
        };
        let metadata_uri = match self.metadata_uri {
            None => None,
            Some(u) => Some(validate_uri(&u)?),
        };
        let mint_nft = self.mint_nft.unwrap_or(false);
        if mint_nft && (metadata_uri.is_none() || chain.is_none()) {
            return Err(DomainError::MintNftIncomplete);
        }
        let status = match self.status.as_deref() {
            None => ProductStatus::Published,
            Some(s) => ProductStatus::parse(s).ok_or_else(|| {
                DomainError::field("status", format!("{s:?} is not draft or published"))
            })?,
        };
        let slug = match self.slug {
            Some(s) => Some(validate_slug(&s)?),
            None => None,
        };
        let tags = self.tags.unwrap_or_default();
        for t in &tags {
            text("tags", t, 1, 64)?;
        }
        if let (Some(s), Some(e)) = (self.start_sale_at, self.end_sale_at)
            && e <= s
        {
            return Err(DomainError::field(
                "end_sale_at",
                "must be after start_sale_at",
            ));
        }
        let order_rules = self.order_rules.unwrap_or_default();
        for r in &order_rules {
            validate_order_rule(r)?;
        }
        Ok(Product {
            id,
            event_id: self.event_id,
            name,
            description,
            product_type,
            prices,
            stock: opt_count("stock", self.stock, 0)?,
            max_per_account: opt_count("max_per_account", self.max_per_account, 1)?,
            redemption_quantity,
            is_transferable: self.is_transferable.unwrap_or(false),
            is_claimable: self.is_claimable.unwrap_or(false),
            min_rep_balance,
            max_items: opt_count("max_items", self.max_items, 1)?,
            active: self.active.unwrap_or(true),
            mint_nft,
            metadata_uri,
            chain,
            status,
            slug,
            tags,
            start_sale_at: self.start_sale_at,
            end_sale_at: self.end_sale_at,
            order_rules,
            allow_reentry: self.allow_reentry.unwrap_or(false),
        })
    }

    /// Apply an update: fields present in `self` replace the product's, then the
    /// whole product is validated again as if created.
    pub fn apply_to(self, p: &Product) -> Result<Product> {
        let merged = ProductInput {
            product_type: Some(
                self.product_type
                    .unwrap_or_else(|| p.product_type.as_str().into()),
            ),
            name: Some(self.name.unwrap_or_else(|| p.name.clone())),
            event_id: self.event_id.or(p.event_id),
            description: self.description.or_else(|| p.description.clone()),
            price: None,
            currency: None,
            prices: Some(match (self.price, self.prices) {
                (None, None) => p
                    .prices
                    .iter()
                    .map(|x| PriceInput {
                        currency: x.currency.clone(),
                        amount: x.amount.to_string(),
                    })
                    .collect(),
                (price, prices) => {
                    let mut v = Vec::new();
                    if let Some(a) = price {
                        v.push(PriceInput {
                            currency: self
                                .currency
                                .unwrap_or_else(|| DEFAULT_CURRENCY.to_string()),
                            amount: a,
                        });
                    }
                    v.extend(prices.unwrap_or_default());
                    v
                }
            }),
            stock: self.stock.or(p.stock.map(|v| v as i64)),
            max_per_account: self.max_per_account.or(p.max_per_account.map(|v| v as i64)),
            redemption_quantity: Some(
                self.redemption_quantity
                    .unwrap_or(p.redemption_quantity as i64),
            ),
            is_transferable: Some(self.is_transferable.unwrap_or(p.is_transferable)),
            is_claimable: Some(self.is_claimable.unwrap_or(p.is_claimable)),
            min_rep_balance: Some(self.min_rep_balance.unwrap_or(p.min_rep_balance)),
            max_items: self.max_items.or(p.max_items.map(|v| v as i64)),
            active: Some(self.active.unwrap_or(p.active)),
            mint_nft: Some(self.mint_nft.unwrap_or(p.mint_nft)),
            metadata_uri: self.metadata_uri.or_else(|| p.metadata_uri.clone()),
            chain: self
                .chain
                .or_else(|| p.chain.map(|c| c.as_str().to_string())),
            status: Some(self.status.unwrap_or_else(|| p.status.as_str().to_string())),
            slug: self.slug.or_else(|| p.slug.clone()),
            tags: Some(self.tags.unwrap_or_else(|| p.tags.clone())),
            start_sale_at: self
                .start_sale_at
                .or(p.start_sale_at.filter(|_| !self.clear_start_sale_at)),
            end_sale_at: self
                .end_sale_at
                .or(p.end_sale_at.filter(|_| !self.clear_end_sale_at)),
            order_rules: Some(self.order_rules.unwrap_or_else(|| p.order_rules.clone())),
            allow_reentry: Some(self.allow_reentry.unwrap_or(p.allow_reentry)),
            clear_start_sale_at: false,
            clear_end_sale_at: false,
        };
        merged.into_product(p.id)
    }
}

/// An order rule must limit something and its window must not be empty.
pub fn validate_order_rule(r: &OrderRule) -> Result<()> {
    if let (Some(s), Some(e)) = (r.start_at, r.end_at)
        && e <= s
    {
        return Err(DomainError::field(
            "order_rules",
            "end_at must be after start_at",
        ));
    }
    if r.purchase_limit == Some(0) {
        return Err(DomainError::field(
            "order_rules",
            "purchase_limit must be >= 1",
        ));
    }
    Ok(())
}

/// `http(s)://` or `ipfs://` URIs up to 2048 characters.
pub fn validate_uri(u: &str) -> Result<String> {
    let u = u.trim();
    let ok = u.len() <= 2048
        && ["https://", "http://", "ipfs://"]
            .iter()
            .any(|p| u.starts_with(p) && u.len() > p.len())
        && !u.chars().any(char::is_whitespace);
    if ok {
        Ok(u.to_string())
    } else {
        Err(DomainError::field(
            "metadata_uri",
            format!("{u:?} is not an http(s):// or ipfs:// URI"),
        ))
    }
}

/// An event as a create request carries it (MUFI `POST /v1/events/create`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub name: Option<String>,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub location: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub reference_id: Option<String>,
}

impl EventInput {
    /// Validate: name 3–255, location 1–128, address 1–255, dates > 0 and end not
    /// before start.
    pub fn into_event(self, id: Uuid) -> Result<Event> {
        let req =
            |f: &'static str, v: Option<String>| v.ok_or_else(|| DomainError::field(f, "required"));
        let name = text("name", &req("name", self.name)?, 3, 255)?;
        let location = text("location", &req("location", self.location)?, 1, 128)?;
        let address = text("address", &req("address", self.address)?, 1, 255)?;
        let start_date = self
            .start_date
            .ok_or_else(|| DomainError::field("start_date", "required"))?;
        let end_date = self
            .end_date
            .ok_or_else(|| DomainError::field("end_date", "required"))?;
        if start_date <= 0 || end_date <= 0 {
            return Err(DomainError::field("start_date", "dates must be > 0"));
        }
        if end_date < start_date {
            return Err(DomainError::field(
                "end_date",
                "must not be before start_date",
            ));
        }
        // Its tickets' validity window must be computable and fit a ticket, or every
        // ticket of the event would fail later, at the door or at download.
        crate::rules::ticket_validity(Some((start_date, end_date)), start_date)?;
        Ok(Event {
            id,
            name,
            start_date,
            end_date,
            location,
            address,
            description: opt_paragraphs("description", self.description, 2000)?,
            reference_id: opt_text("reference_id", self.reference_id, 255)?,
        })
    }

    /// Fields present replace the event's; the result is validated again.
    pub fn apply_to(self, e: &Event) -> Result<Event> {
        EventInput {
            name: Some(self.name.unwrap_or_else(|| e.name.clone())),
            start_date: Some(self.start_date.unwrap_or(e.start_date)),
            end_date: Some(self.end_date.unwrap_or(e.end_date)),
            location: Some(self.location.unwrap_or_else(|| e.location.clone())),
            address: Some(self.address.unwrap_or_else(|| e.address.clone())),
            description: self.description.or_else(|| e.description.clone()),
            reference_id: self.reference_id.or_else(|| e.reference_id.clone()),
        }
        .into_event(e.id)
    }
}

/// A new customer as `POST /v1/users/create` carries one (camelCase, like MUFI).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInput {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

impl CustomerInput {
    /// A buyer the box office meets for the first time: email and names only.
    pub fn walk_up(
        email: &str,
        first_name: Option<String>,
        last_name: Option<String>,
        id: Uuid,
    ) -> Result<Customer> {
        CustomerInput {
            email: email.to_string(),
            first_name,
            last_name,
            country: None,
        }
        .into_customer(id)
    }

    pub fn into_customer(self, id: Uuid) -> Result<Customer> {
        let country = match self.country {
            None => None,
            Some(c) => Some(validate_country(&c)?),
        };
        Ok(Customer {
            id,
            email: normalize_email(&self.email)?,
            first_name: opt_text("firstName", self.first_name, 255)?,
            last_name: opt_text("lastName", self.last_name, 255)?,
            reputation: 0,
            credits: 0,
            status_balance: 0,
            country,
        })
    }
}

/// ISO 3166-1 alpha-2, upper-cased.
pub fn validate_country(c: &str) -> Result<String> {
    let u = c.trim().to_ascii_uppercase();
    if u.len() == 2 && u.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(u)
    } else {
        Err(DomainError::field(
            "country",
            format!("{c:?} is not a 2-letter country code"),
        ))
    }
}

/// A reward offer must have a name, a non-negative cost, a grant of 1–100 units,
/// sane supply/limits and well-formed country restrictions.
pub fn validate_reward_offer(o: &RewardOffer) -> Result<()> {
    text("name", &o.name, 1, 255)?;
    if o.credit_cost < 0 {
        return Err(DomainError::field("credit_cost", "must be >= 0"));
    }
    if let Some(g) = &o.grants
        && (g.quantity == 0 || g.quantity > 100)
    {
        return Err(DomainError::field("grants.quantity", "must be 1..=100"));
    }
    if let Some(u) = &o.image_url {
        text("image_url", u, 1, 2048)?;
    }
    if o.max_per_user == Some(0) {
        return Err(DomainError::field("max_per_user", "must be >= 1 or null"));
    }
    for r in &o.country_restrictions {
        let c = r.trim().to_ascii_uppercase();
        validate_country(c.strip_prefix("NOT_").unwrap_or(&c)).map_err(|_| {
            DomainError::field("country_restrictions", format!("{r:?} is not CC or NOT_CC"))
        })?;
    }
    Ok(())
}
