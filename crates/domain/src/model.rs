//! The domain's plain data: events, products, items, customers, sales, rewards.
//! Field names follow the MUFI Products API (snake_case); timestamps are Unix seconds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Unix seconds.
pub type Timestamp = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    pub name: String,
    pub start_date: Timestamp,
    pub end_date: Timestamp,
    pub location: String,
    pub address: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reference_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    Admission,
    Presale,
    Perks,
}

impl ProductType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductType::Admission => "admission",
            ProductType::Presale => "presale",
            ProductType::Perks => "perks",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admission" => Some(ProductType::Admission),
            "presale" => Some(ProductType::Presale),
            "perks" => Some(ProductType::Perks),
            _ => None,
        }
    }
}

/// The chain an NFT-backed product mints on (seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Chain {
    AssetHub,
    WestendAssetHub,
}

impl Chain {
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::AssetHub => "AssetHub",
            Chain::WestendAssetHub => "WestendAssetHub",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "AssetHub" => Some(Chain::AssetHub),
            "WestendAssetHub" => Some(Chain::WestendAssetHub),
            _ => None,
        }
    }
}

/// Seed 002: only published products are issued or sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    #[default]
    Published,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ProductStatus::Draft),
            "published" => Some(ProductStatus::Published),
            _ => None,
        }
    }
}

/// One price in one currency (seed 002 keeps one price per currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// ISO 4217 code, upper case (e.g. "EUR").
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// Seed 002 order rule: at most `purchase_limit` units per customer while the rule's
/// window (`start_at`..`end_at`, either open) contains the purchase time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRule {
    pub id: Uuid,
    #[serde(default)]
    pub start_at: Option<Timestamp>,
    #[serde(default)]
    pub end_at: Option<Timestamp>,
    #[serde(default)]
    pub purchase_limit: Option<u32>,
}

impl OrderRule {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start_at.is_none_or(|s| t >= s) && self.end_at.is_none_or(|e| t < e)
    }
}

/// A product after validation, with every default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub product_type: ProductType,
    /// Prices; the first one is the product's primary price (MUFI `price`).
    pub prices: Vec<Price>,
    pub stock: Option<u64>,
    pub max_per_account: Option<u64>,
    pub redemption_quantity: u32,
    pub is_transferable: bool,
    pub is_claimable: bool,
    pub min_rep_balance: i64,
    pub max_items: Option<u64>,
    pub active: bool,
    pub mint_nft: bool,
    pub metadata_uri: Option<String>,
    pub chain: Option<Chain>,
    pub status: ProductStatus,
    pub slug: Option<String>,
    pub tags: Vec<String>,
    pub start_sale_at: Option<Timestamp>,
    pub end_sale_at: Option<Timestamp>,
    pub order_rules: Vec<OrderRule>,
    /// A ticket that has gone out may come back in without using another entry
    /// (a festival wristband); gates then track it in and out (anti-passback).
    #[serde(default)]
    pub allow_reentry: bool,
}

impl Product {
    /// The MUFI single `price`: the first price's amount.
    pub fn primary_price(&self) -> Option<&Price> {
        self.prices.first()
    }

    /// The cap on how many items may ever exist: the smaller of stock and max_items.
    pub fn issue_cap(&self) -> Option<u64> {
        match (self.stock, self.max_items) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// How an item came to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOrigin {
    Sale,
    Issue,
    Claim,
    Reward,
}

impl ItemOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOrigin::Sale => "sale",
            ItemOrigin::Issue => "issue",
            ItemOrigin::Claim => "claim",
            ItemOrigin::Reward => "reward",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sale" => Some(ItemOrigin::Sale),
            "issue" => Some(ItemOrigin::Issue),
            "claim" => Some(ItemOrigin::Claim),
            "reward" => Some(ItemOrigin::Reward),
            _ => None,
        }
    }
}

/// A product item: one ticket, voucher or perk held by one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: Uuid,
    pub product_id: Uuid,
    /// Sequential per product, from 1; also the NFT id.
    pub item_id: u64,
    pub owner_id: Uuid,
    pub redemption_count: u32,
    pub redemption_quantity: u32,
    pub redeemed_at: Option<Timestamp>,
    pub origin: ItemOrigin,
    pub revoked: bool,
    pub created_at: Timestamp,
}

impl Item {
    pub fn is_fully_redeemed(&self) -> bool {
        self.redemption_count >= self.redemption_quantity
    }
}

/// A customer (a project user) with the balances the rules look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Uuid,
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// Reputation, compared with a product's `min_rep_balance`.
    #[serde(default)]
    pub reputation: i64,
    /// Credit tokens spent on reward offers (seed 003).
    #[serde(default)]
    pub credits: i64,
    /// Status-token balance; the status tier follows from it (seed 003 minTokenBalance).
    #[serde(default)]
    pub status_balance: i64,
    /// ISO 3166-1 alpha-2 country, upper case, if known.
    #[serde(default)]
    pub country: Option<String>,
}

impl Customer {
    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(f), None) => f.clone(),
            (None, Some(l)) => l.clone(),
            (None, None) => self.email.clone(),
        }
    }
}

/// A status tier (seed 003 user status type). A customer is in the highest tier whose
/// `min_token_balance` their status balance reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusTier {
    pub id: u32,
    pub name: String,
    pub min_token_balance: i64,
    /// Percentage off box-office prices, e.g. `10` or `12.5`.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_percentage: Decimal,
}

/// What a reward offer grants when redeemed: `quantity` items of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardGrant {
    pub product_id: Uuid,
    pub quantity: u32,
}

/// A reward offer (seed 003 redemption).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardOffer {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub credit_cost: i64,
    /// `None` until a token unit is added (a PERS redemption is created without
    /// one); such an offer cannot be redeemed.
    #[serde(default)]
    pub grants: Option<RewardGrant>,
    /// PERS `imageUrl`.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Total supply; `None` = unlimited.
    #[serde(default)]
    pub supply_total: Option<u64>,
    /// How many times it has been redeemed (all customers).
    #[serde(default)]
    pub redeemed_count: u64,
    #[serde(default)]
    pub max_per_user: Option<u64>,
    /// Minimum status tier id; `None` = anyone.
    #[serde(default)]
    pub min_tier_id: Option<u32>,
    /// `FR` allows, `NOT_ES` denies (seed 003 countryCodeRestrictions).
    #[serde(default)]
    pub country_restrictions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub order: i32,
    pub active: bool,
}

impl RewardOffer {
    /// Units left; `None` = unlimited.
    pub fn available(&self) -> Option<u64> {
        self.supply_total
            .map(|t| t.saturating_sub(self.redeemed_count))
    }
}

/// Payment method at the box office. A complimentary ticket is an issue, not a sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cash" => Some(PaymentMethod::Cash),
            "card" => Some(PaymentMethod::Card),
            _ => None,
        }
    }
}

/// Staff roles; each role can do what the roles before it can, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Door,
    BoxOffice,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Door => "door",
            Role::BoxOffice => "box_office",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "door" => Some(Role::Door),
            "box_office" => Some(Role::BoxOffice),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A box-office sale (an order): one product line, the items it issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    pub id: Uuid,
    /// Human-readable, unique per issuer (e.g. `D3F2-000042` on a device).
    pub order_number: String,
    pub product_id: Uuid,
    pub quantity: u32,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// The method of the whole order, or of its card part when split.
    pub payment_method: PaymentMethod,
    /// A split payment's parts (cash, then card); empty when paid one way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<crate::payment::Payment>,
    pub buyer_id: Uuid,
    pub device_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub item_ids: Vec<Uuid>,
}
