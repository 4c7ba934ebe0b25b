//! The JSON shapes head office speaks: responses (MUFI snake_case, users camelCase
//! like MUFI's wallet endpoints) and request bodies. Money is always a decimal
//! string; business times are Unix seconds; `created_at`/`updated_at` are ISO-8601.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Unix seconds.
pub type Timestamp = i64;

// ------------------------------------------------------------------ pagination

/// Pagination metadata, snake_case like the rest of MUFI's `/v1` (the W3Block
/// routes answer the camelCase form of the same fields).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PageMeta {
    pub item_count: u64,
    pub total_items: u64,
    pub items_per_page: u64,
    pub total_pages: u64,
    pub current_page: u64,
}

/// A page of results: `{items, meta}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub meta: PageMeta,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, page: &PageReq) -> Self {
        let per = u64::from(page.limit);
        Page {
            meta: PageMeta {
                item_count: items.len() as u64,
                total_items: total,
                items_per_page: per,
                total_pages: total.div_ceil(per.max(1)),
                current_page: u64::from(page.page),
            },
            items,
        }
    }
}

/// A validated page request (1-indexed page, limit 1..=100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub page: u32,
    pub limit: u32,
}

impl PageReq {
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.limit)
    }
}

// ------------------------------------------------------------------ events

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub id: Uuid,
    /// MUFI's project: this head office's default company.
    pub project_id: Uuid,
    pub name: String,
    pub start_date: Timestamp,
    pub end_date: Timestamp,
    pub location: String,
    pub address: String,
    pub description: Option<String>,
    pub reference_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/events/create` (domain `EventInput`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventCreateBody {
    pub name: String,
    pub start_date: Timestamp,
    pub end_date: Timestamp,
    pub location: String,
    pub address: String,
    pub description: Option<String>,
    pub reference_id: Option<String>,
}

/// `PUT /v1/events/update`: `id` or `reference_id` names the event (with `id`, a
/// `reference_id` is a new value); other fields present replace the event's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventUpdateBody {
    pub id: Option<Uuid>,
    pub reference_id: Option<String>,
    pub name: Option<String>,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub location: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
}

// ------------------------------------------------------------------ users

/// A project user (camelCase like MUFI's wallet endpoints).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub reference_id: Option<String>,
    pub country: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One entry of `POST /v1/users/create`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserBody {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub reference_id: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsersCreated {
    pub message: String,
    pub users: Vec<UserOut>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchUsersBody {
    /// 1..=1000 (default 10).
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    #[schema(minimum = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsersPage {
    pub users: Vec<UserOut>,
    pub total: u64,
}

/// Names one user; priority email > referenceId > id (MUFI).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRequestBody {
    pub id: Option<Uuid>,
    pub email: Option<String>,
    pub reference_id: Option<String>,
}

/// How a request names a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserKey {
    Id(Uuid),
    Email(String),
    Reference(String),
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserKey::Id(u) => write!(f, "{u}"),
            UserKey::Email(e) | UserKey::Reference(e) => f.write_str(e),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TierOut {
    pub id: u32,
    pub name: String,
    pub min_token_balance: i64,
    /// Decimal string, e.g. "12.5".
    pub discount_percentage: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBody {
    pub name: String,
    pub min_token_balance: i64,
    /// Decimal string 0..=100.
    pub discount_percentage: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalancesOut {
    pub user_id: Uuid,
    pub reputation: i64,
    pub credits: i64,
    pub status_balance: i64,
    pub tier: Option<TierOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBody {
    /// `reputation`, `credits` or `status`.
    pub kind: String,
    pub delta: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntryOut {
    pub id: Uuid,
    pub kind: String,
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub ref_id: Option<String>,
    pub at: Timestamp,
    pub created_at: String,
}

// ------------------------------------------------------------------ products

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PriceOut {
    pub currency: String,
    /// Decimal string.
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderRuleOut {
    pub id: Uuid,
    pub product_id: Uuid,
    pub start_at: Option<Timestamp>,
    pub end_at: Option<Timestamp>,
    pub purchase_limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRuleBody {
    pub start_at: Option<Timestamp>,
    pub end_at: Option<Timestamp>,
    pub purchase_limit: Option<u32>,
}

/// A product with every seed-000 field, the seed-002 commerce fields and counters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductOut {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub product_type: String,
    /// The first price's amount (decimal string), as MUFI's single `price`.
    pub price: Option<String>,
    pub currency: Option<String>,
    pub prices: Vec<PriceOut>,
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
    pub chain: Option<String>,
    pub status: String,
    pub slug: Option<String>,
    pub tags: Vec<String>,
    pub start_sale_at: Option<Timestamp>,
    pub end_sale_at: Option<Timestamp>,
    pub order_rules: Vec<OrderRuleOut>,
    /// A ticket that went out may come back in (gates track it in and out).
    pub allow_reentry: bool,
    /// Items issued so far (all origins).
    pub issued: u64,
    /// The product's event, embedded (MUFI `ProductResponse.event`).
    pub event: Option<EventOut>,
    pub created_at: String,
    pub updated_at: String,
    /// The W3Block view's company and back-office details (not MUFI fields).
    #[serde(skip)]
    #[schema(ignore)]
    pub company_id: Uuid,
    #[serde(skip)]
    #[schema(ignore)]
    pub details: wicket_domain::ProductDetails,
}

/// Schema of a product update body (the domain `ProductInput`): every field optional.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductInputDoc {
    #[serde(rename = "type")]
    pub product_type: Option<String>,
    pub name: Option<String>,
    #[serde(flatten)]
    pub fields: ProductFieldsDoc,
}

/// Schema of a product create body: `type` and `name` required.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductCreateDoc {
    /// admission | presale | perks
    #[serde(rename = "type")]
    pub product_type: String,
    pub name: String,
    #[serde(flatten)]
    pub fields: ProductFieldsDoc,
}

/// The optional fields of a product body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductFieldsDoc {
    pub event_id: Option<Uuid>,
    pub description: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub prices: Option<Vec<PriceOut>>,
    pub stock: Option<i64>,
    pub max_per_account: Option<i64>,
    pub redemption_quantity: Option<i64>,
    pub is_transferable: Option<bool>,
    pub is_claimable: Option<bool>,
    /// Re-entry after an exit (default false).
    pub allow_reentry: Option<bool>,
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
}

/// Product list filters.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// Only this company's products (the MUFI list: the default company).
    pub company: Option<Uuid>,
    pub search: Option<String>,
    pub sort: ProductSort,
    pub descending: bool,
    pub tags: Vec<String>,
    /// Any of these statuses (empty: every status).
    pub statuses: Vec<String>,
    /// Sort by price sorts by the amount in this currency (default: the first price).
    pub price_currency: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductSort {
    #[default]
    CreatedAt,
    UpdatedAt,
    Name,
    Price,
    StartSaleAt,
    EndSaleAt,
    Status,
    /// W3Block's sort weight.
    Relevance,
}

// ------------------------------------------------------------------ items

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemUser {
    pub id: Uuid,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemProduct {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub product_type: String,
    pub redemption_quantity: u32,
}

/// MUFI ProductItem.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemOut {
    pub id: Uuid,
    pub product_id: Uuid,
    pub item_id: u64,
    pub redemption_count: u32,
    pub redemption_quantity: u32,
    pub is_fully_redeemed: bool,
    pub redeemed_at: Option<Timestamp>,
    /// sale | issue | claim | reward
    pub origin: String,
    pub revoked: bool,
    /// The owner's id (MUFI's legacy item field; `user.id` too).
    pub user_id: Uuid,
    pub user: ItemUser,
    pub product: ItemProduct,
    pub created_at: String,
    pub updated_at: String,
    /// NFT state: none | pending | minted (with tx hash) | failed (with reason).
    #[serde(default = "crate::mint_store::NftOut::none")]
    pub nft: crate::mint_store::NftOut,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemsOut {
    pub items: Vec<ItemOut>,
}

/// An item's signed ticket: what its QR carries, and the QR itself.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketOut {
    /// `WK1...` token signed by head office (base32, ~218 characters).
    pub token: String,
    /// SVG document of the QR code.
    pub svg: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    pub product_id: Option<Uuid>,
    pub users: Option<Vec<Uuid>>,
    pub emails: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    pub product_item_id: Uuid,
}

/// The legacy MUFI redeem (`POST /v1/products/items/redeem`): the product in the
/// body, or found from the item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegacyRedeemBody {
    #[serde(default)]
    pub product_id: Option<Uuid>,
    pub product_item_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    pub product_item_id: Uuid,
    pub sender_email: Option<String>,
    pub sender_user_id: Option<Uuid>,
    pub recipient_email: Option<String>,
    pub recipient_user_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferItemOut {
    pub id: Uuid,
    pub item_id: u64,
    pub product_id: Uuid,
    pub product_name: String,
    pub product_type: String,
    pub redemption_count: u32,
    pub redemption_quantity: u32,
    pub is_fully_redeemed: bool,
    pub redeemed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferOut {
    pub product_item: TransferItemOut,
    pub previous_owner: ItemUser,
    pub new_owner: ItemUser,
    pub transferred_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimCodesBody {
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimCodeOut {
    pub code: Uuid,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimCodesOut {
    pub product_id: Uuid,
    pub codes: Vec<ClaimCodeOut>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    pub code: Option<String>,
    pub url: Option<String>,
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
}

// ------------------------------------------------------------------ sales

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleBody {
    pub product_id: Uuid,
    pub quantity: u32,
    pub buyer_email: Option<String>,
    pub buyer_user_id: Option<Uuid>,
    pub buyer_first_name: Option<String>,
    pub buyer_last_name: Option<String>,
    pub currency: Option<String>,
    /// cash | card
    pub payment_method: String,
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SaleOut {
    pub id: Uuid,
    pub order_number: String,
    pub product_id: Uuid,
    pub quantity: u32,
    pub currency: String,
    pub unit_price: String,
    pub subtotal: String,
    pub discount_percentage: String,
    pub discount: String,
    pub total: String,
    pub payment_method: String,
    pub buyer: ItemUser,
    pub device_id: Option<Uuid>,
    pub sold_at: Timestamp,
    pub created_at: String,
    /// The items the sale issued (present on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemOut>>,
    /// A split payment's parts, `[{method, amount}]` (cash, then card).
    #[schema(value_type = Vec<Object>)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<wicket_domain::Payment>,
    /// Money given back by refunds so far ("0" when none).
    #[serde(default = "zero")]
    pub refunded: String,
    /// The items refunds took back.
    #[serde(default)]
    pub refunded_item_ids: Vec<Uuid>,
}

fn zero() -> String {
    "0".into()
}

// ------------------------------------------------------------------ rewards

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantBody {
    pub product_id: Uuid,
    pub quantity: u32,
}

/// Create or replace a reward offer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardBody {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub credit_cost: i64,
    /// What a redeem issues; an offer without a grant cannot be redeemed yet.
    #[serde(default)]
    pub grants: Option<GrantBody>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub supply_total: Option<u64>,
    #[serde(default)]
    pub max_per_user: Option<u64>,
    #[serde(default)]
    pub min_tier_id: Option<u32>,
    #[serde(default)]
    pub country_restrictions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub order: i32,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `POST /v1/zones`: an area whose gates admit only these products.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneBody {
    pub name: String,
    /// Gate names, as doors report them (case does not matter).
    pub gates: Vec<String>,
    pub product_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ZoneOut {
    pub id: Uuid,
    pub name: String,
    pub gates: Vec<String>,
    pub product_ids: Vec<Uuid>,
    pub created_at: String,
}

/// A partial update of a reward offer (PERS `PUT /redemptions/{id}`): `None`
/// keeps a field, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct RewardPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub credit_cost: Option<i64>,
    pub grants: Option<Option<GrantBody>>,
    pub supply_total: Option<Option<u64>>,
    pub max_per_user: Option<Option<u64>>,
    pub min_tier_id: Option<Option<u32>>,
    pub country_restrictions: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub order: Option<i32>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct SupplyOut {
    /// null = unlimited
    pub available: Option<u64>,
    /// null = unlimited
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RewardOut {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub credit_cost: i64,
    pub grants: Option<GrantBody>,
    pub image_url: Option<String>,
    pub supply: SupplyOut,
    pub redeemed_count: u64,
    pub max_per_user: Option<u64>,
    pub min_tier_id: Option<u32>,
    pub country_restrictions: Vec<String>,
    pub tags: Vec<String>,
    pub order: i32,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardRedeemBody {
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2; overrides the user's stored country for this redeem.
    pub country: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RedeemOut {
    pub id: Uuid,
    pub reward_id: Uuid,
    pub user_id: Uuid,
    pub country: Option<String>,
    pub credits_spent: i64,
    pub redeemed_at: Timestamp,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemOut>>,
    /// The user's credit balance after the redeem (present on redeem).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits_balance: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionOut {
    pub name: String,
    pub version: String,
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    /// PERS's public `x-project-key`: reads the active reward catalog, nothing else.
    Project,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Project => "project",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "project" => Some(Scope::Project),
            _ => None,
        }
    }
}
