//! Head office storage as a few narrow transactional traits: row I/O over domain
//! types, nothing else (no rules, no HTTP or JSON shaping). The use cases in
//! [`crate::usecase`] run against one [`Tx`] (one database transaction); a backend
//! implements these traits and passes the contract suite (`tests/contract.rs`).

use std::collections::HashMap;

use uuid::Uuid;
use wicket_domain::{
    Allotment, BalanceKind, ClaimCode, Customer, Event, Item, OrderRule, Product, ProductCounters,
    ProductDetails, RewardOffer, Role, Sale, StatusTier, Timestamp,
};

use crate::error::Result;

/// A customer key: by id or by (normalized) email.
pub use crate::model::UserKey;

/// One scan of an item as stored: a redemption fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub id: Uuid,
    pub op_id: Uuid,
    pub item: Uuid,
    pub product_id: Option<Uuid>,
    /// The device that scanned; nil for head office's own (API) scans.
    pub device: Uuid,
    pub staff_id: Option<Uuid>,
    pub gate: Option<String>,
    pub at: Timestamp,
}

/// A new item row: its identity, number, owner and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItemRow {
    pub item: Item,
    /// The sale, claim code or reward redemption that issued it.
    pub origin_ref: Option<String>,
}

/// A sale row: the order plus the figures head office keeps beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRow {
    pub sale: Sale,
    pub subtotal: wicket_domain::Decimal,
    pub discount_percentage: wicket_domain::Decimal,
    /// Head office's own order sequence (its `HO-000001` numbers); none for devices'.
    pub seq: Option<i64>,
}

/// A change to a customer's balance, with the ledger line that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPost<'a> {
    pub before: &'a Customer,
    pub after: &'a Customer,
    pub kind: BalanceKind,
    pub reason: &'a str,
    pub ref_id: Option<&'a str>,
    pub at: Timestamp,
}

/// A reward redemption row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardRedeemRow {
    pub id: Uuid,
    pub offer_id: Uuid,
    pub customer: Uuid,
    pub country: Option<String>,
    pub credits_spent: i64,
    pub at: Timestamp,
}

/// A fact kept for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub op_id: Uuid,
    pub device: Uuid,
    pub kind: String,
    pub item: Option<Uuid>,
    pub code: String,
    pub detail: String,
    pub at: Timestamp,
}

pub trait Products {
    fn product(&self, id: Uuid) -> Result<Option<(Product, ProductCounters)>>;
    fn save_counters(&self, id: Uuid, counters: &ProductCounters) -> Result<()>;
}

pub trait Customers {
    fn customer(&self, key: &UserKey) -> Result<Option<Customer>>;
    fn insert_customer(&self, c: &Customer) -> Result<()>;
    /// The customer a device's id stands for, when it is an alias.
    fn alias_of(&self, id: Uuid) -> Result<Option<Uuid>>;
    fn add_alias(&self, alias: Uuid, customer: Uuid) -> Result<()>;
    /// Store the new balances and the ledger line, together.
    fn post_ledger(&self, post: &LedgerPost<'_>) -> Result<()>;
    fn tiers(&self) -> Result<Vec<StatusTier>>;
    /// Several customers at once, in `keys` order (a backend may read them in one
    /// query; an issue names up to 550).
    fn customers(&self, keys: &[UserKey]) -> Result<Vec<Option<Customer>>> {
        keys.iter().map(|k| self.customer(k)).collect()
    }
    /// The customers several device ids alias, for those that are aliases.
    fn aliases_of(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Uuid>> {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(c) = self.alias_of(*id)? {
                out.insert(*id, c);
            }
        }
        Ok(out)
    }
}

pub trait Items {
    fn item(&self, id: Uuid) -> Result<Option<Item>>;
    /// Live (not revoked) items of `product` that `owner` holds.
    fn holding(&self, product: Uuid, owner: Uuid) -> Result<u64>;
    /// `holding` of several owners at once (every owner is in the answer).
    fn holdings(&self, product: Uuid, owners: &[Uuid]) -> Result<HashMap<Uuid, u64>> {
        owners
            .iter()
            .map(|o| Ok((*o, self.holding(product, *o)?)))
            .collect()
    }
    /// Insert items (and queue the mints of a `mint_nft` product).
    fn insert_items(&self, product: &Product, items: &[NewItemRow]) -> Result<()>;
    fn set_redemption(&self, item: Uuid, count: u32, at: Timestamp) -> Result<()>;
    fn set_owner(&self, item: Uuid, owner: Uuid) -> Result<()>;
    fn insert_transfer(
        &self,
        id: Uuid,
        item: Uuid,
        from: Uuid,
        to: Uuid,
        at: Timestamp,
    ) -> Result<()>;
    fn revoke(&self, item: Uuid, at: Timestamp, reason: Option<&str>) -> Result<()>;
}

pub trait Redemptions {
    fn insert_redemption(&self, s: &Scan, conflict: bool, pending: bool) -> Result<()>;
    /// Scans kept pending for `item`, oldest first.
    fn pending_scans(&self, item: Uuid) -> Result<Vec<Scan>>;
    fn delete_redemption(&self, id: Uuid) -> Result<()>;
    fn insert_conflict(&self, c: &ConflictRow) -> Result<()>;
    /// A door's exit or re-entry; a second copy (same id) is ignored.
    fn insert_passage(&self, p: &PassageRow) -> Result<()>;
    /// A refused scan a door reported (kept once per id).
    fn insert_refusal(&self, r: &RefusalRow) -> Result<()>;
}

/// A scan a door refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRow {
    pub id: Uuid,
    pub code: String,
    pub item: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub gate: Option<String>,
    pub at: Timestamp,
    pub device: Uuid,
    pub staff: Option<Uuid>,
}

/// An exit or re-entry at a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassageRow {
    pub id: Uuid,
    pub item: Uuid,
    pub direction: wicket_domain::Direction,
    pub gate: Option<String>,
    pub at: Timestamp,
    pub device: Uuid,
    pub staff: Option<Uuid>,
}

pub trait Sales {
    fn insert_sale(&self, s: &SaleRow) -> Result<()>;
    /// Units `buyer` bought of `product` with a sale time in `[from, to)`.
    fn bought_between(&self, buyer: Uuid, product: Uuid, from: i64, to: i64) -> Result<u64>;
    fn next_sale_seq(&self) -> Result<i64>;
}

pub trait Claims {
    fn claim_code(&self, code: Uuid) -> Result<Option<ClaimCode>>;
    fn mark_claimed(&self, code: Uuid, by: Uuid, at: Timestamp, item: Uuid) -> Result<()>;
}

pub trait Rewards {
    fn reward(&self, id: Uuid) -> Result<Option<RewardOffer>>;
    fn redeems_by(&self, offer: Uuid, customer: Uuid) -> Result<u64>;
    /// Store the offer's new state (its redeemed count).
    fn save_reward(&self, offer: &RewardOffer) -> Result<()>;
    fn insert_reward_redeem(&self, r: &RewardRedeemRow) -> Result<()>;
}

pub trait Allotments {
    /// A device's live (not released) allotments of a product, by first item number.
    fn device_allotments(&self, device: Uuid, product: Uuid) -> Result<Vec<Allotment>>;
    fn set_allotment_used(&self, id: Uuid, used: u64) -> Result<()>;
    fn insert_allotment(&self, a: &Allotment) -> Result<()>;
    /// One of a device's allotments, and whether it is released already.
    fn allotment(&self, id: Uuid, device: Uuid) -> Result<Option<(Allotment, bool)>>;
    fn mark_released(&self, id: Uuid, at: Timestamp) -> Result<()>;
    /// Live allotments whose time is up at `at`.
    fn expired_allotments(&self, at: Timestamp) -> Result<Vec<Allotment>>;
}

/// A pushed op as head office keeps it for good (the op id is the idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord<'a> {
    pub op_id: Uuid,
    pub device: Uuid,
    pub seq: i64,
    pub staff_id: Option<Uuid>,
    pub device_time: Timestamp,
    pub kind: &'a str,
    /// `applied | conflict | rejected`.
    pub status: &'a str,
    pub code: Option<&'a str>,
    pub message: Option<&'a str>,
    pub received_at: Timestamp,
}

pub trait SyncLog {
    /// The role and active flag of a staff member.
    fn staff_role(&self, id: Uuid) -> Result<Option<(Role, bool)>>;
    /// Give an entity a fresh change seq so devices pull it again.
    fn touch(&self, entity: &str, key: &str) -> Result<()>;
    /// The status and code an op id was answered with, if it was received before.
    fn op_status(&self, op_id: Uuid) -> Result<Option<(String, Option<String>)>>;
    /// `op_status` of a whole batch at once: the ids received before, with their
    /// answers (a backend may read them, and claim the new ones, in one query).
    fn op_statuses(&self, ops: &[Uuid]) -> Result<HashMap<Uuid, (String, Option<String>)>> {
        let mut out = HashMap::new();
        for id in ops {
            if let Some(s) = self.op_status(*id)? {
                out.insert(*id, s);
            }
        }
        Ok(out)
    }
    fn record_op(&self, r: &OpRecord<'_>) -> Result<()>;
    /// Several `record_op`s (a backend may write them in one statement).
    fn record_ops(&self, rs: &[OpRecord<'_>]) -> Result<()> {
        rs.iter().try_for_each(|r| self.record_op(r))
    }
    /// Count `n` answers of one kind (`applied`, `duplicate`, `conflict`,
    /// `rejected`) for a device.
    fn count_op(&self, device: Uuid, status: &str, n: u64, at: Timestamp) -> Result<()>;
    /// Run `f` all or nothing inside this transaction (a savepoint): on error every
    /// write `f` made is undone and the transaction goes on.
    fn atomically(&self, f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()>;
}

/// The venue's catalog as head office's admin routes edit it.
pub trait Catalog {
    /// An event by id or reference id.
    fn event(&self, key: &crate::store::EventKey) -> Result<Option<Event>>;
    fn insert_event(&self, e: &Event) -> Result<()>;
    fn update_event(&self, e: &Event) -> Result<()>;
    fn delete_event(&self, id: Uuid) -> Result<()>;
    fn products_of_event(&self, event: Uuid) -> Result<u64>;
    /// A new product in `company`'s catalog.
    fn insert_product(&self, p: &Product, company: Uuid) -> Result<()>;
    /// Store a product's fields; its order rules too when `rules` is set.
    fn update_product(&self, p: &Product, rules: bool) -> Result<()>;
    /// Whether `company` already has a product with this slug.
    fn slug_taken(&self, company: Uuid, slug: &str) -> Result<bool>;
    fn insert_rule(&self, product: Uuid, r: &OrderRule) -> Result<()>;
    /// Whether a rule of that product was there to delete.
    fn delete_rule(&self, product: Uuid, rule: Uuid) -> Result<bool>;
    fn insert_tier(&self, t: &StatusTier) -> Result<()>;
    fn insert_reward(&self, o: &RewardOffer) -> Result<()>;
    fn reward_redeem_count(&self, offer: Uuid) -> Result<u64>;
    fn delete_reward(&self, offer: Uuid) -> Result<()>;
    fn insert_claim_codes(&self, product: Uuid, codes: &[Uuid]) -> Result<()>;
    fn insert_zone(&self, z: &wicket_domain::Zone) -> Result<()>;
    /// Whether there was such a zone to delete.
    fn delete_zone(&self, id: Uuid) -> Result<bool>;
    fn insert_customer_with_reference(&self, c: &Customer, reference: Option<&str>) -> Result<()>;
}

/// Enrolled devices, enrollment codes, staff and head office's own settings.
pub trait Devices {
    /// A one-time code; `for_device` when an admin allows re-enrolling that device.
    fn insert_enrollment_code(
        &self,
        code_hash: &str,
        expires_at: Timestamp,
        for_device: Option<Uuid>,
    ) -> Result<()>;
    /// Mark a code used by `device`: `None` when it is unknown, used or expired at
    /// `at`, else the device an admin made it for (if any).
    fn use_enrollment_code(
        &self,
        code_hash: &str,
        device: Uuid,
        at: Timestamp,
    ) -> Result<Option<Option<Uuid>>>;
    /// Whether a device with this id was ever enrolled.
    fn device_exists(&self, id: Uuid) -> Result<bool>;
    /// Revoke a device's credential and ticket key; false when there is no such
    /// device. Revoking twice keeps the first time.
    fn revoke_device(&self, id: Uuid, at: Timestamp) -> Result<bool>;
    /// Rename a device; false when there is no such device.
    fn rename_device(&self, id: Uuid, name: &str) -> Result<bool>;
    /// Keep what a device reported with its pull (pending uploads, app version).
    fn record_device_report(
        &self,
        id: Uuid,
        pending: Option<u64>,
        app_version: Option<&str>,
    ) -> Result<()>;
    /// Enroll (or re-enroll) a device with its key and credential hash.
    fn upsert_device(
        &self,
        id: Uuid,
        name: &str,
        public_key: &str,
        credential_hash: &str,
        at: Timestamp,
    ) -> Result<()>;
    fn device_by_credential(&self, credential_hash: &str) -> Result<Option<Uuid>>;
    fn insert_staff(
        &self,
        id: Uuid,
        name: &str,
        role: Role,
        pin_hash: &str,
        at: Timestamp,
    ) -> Result<()>;
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn set_setting(&self, key: &str, value: &str) -> Result<()>;
}

/// What head office keeps to distrust devices and account for people: the price
/// history, the item ranges devices were allotted, retired ticket keys, the audit log.
pub trait Trust {
    /// The amounts a product asked in `currency` at any moment of `from..=to`.
    fn prices_between(
        &self,
        product: Uuid,
        currency: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<rust_decimal::Decimal>>;
    /// Record the product's prices as asked from `at` (only those that changed).
    fn record_prices(&self, product: &Product, at: Timestamp) -> Result<()>;
    /// Every item-number range ever allotted to a device for a product, released
    /// ones too: (first, last, granted at).
    fn device_ranges(&self, device: Uuid, product: Uuid) -> Result<Vec<ItemRange>>;
    /// Keep a retired head office ticket key, trusted until `retired_at`.
    fn retire_ho_key(&self, key_id: &str, public_key: &str, retired_at: Timestamp) -> Result<()>;
    /// Retired head office keys: (key id, public key, retired at).
    fn retired_ho_keys(&self) -> Result<Vec<(String, String, Timestamp)>>;
    fn insert_audit(&self, e: &AuditEntry) -> Result<()>;
    /// Audit entries at or after `since`, oldest first, at most `limit`.
    fn audit_entries(&self, since: Timestamp, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// An item-number range a device was allotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRange {
    pub first: u64,
    pub last: u64,
    pub granted_at: Option<Timestamp>,
}

/// One manager or admin act, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub device_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    /// `revoke`, `refund`, `manual_check_in`, `settings`, `device_revoke`, ...
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub at: Timestamp,
    pub received_at: Timestamp,
}

/// Companies (W3Block tenants) and the back-office details of their products.
pub trait Tenancy {
    fn company_exists(&self, id: Uuid) -> Result<bool>;
    fn insert_company(&self, id: Uuid, name: &str) -> Result<()>;
    /// A product's company and details (`None` for an unknown product).
    fn product_details(&self, product: Uuid) -> Result<Option<(Uuid, ProductDetails)>>;
    fn save_product_details(&self, product: Uuid, d: &ProductDetails) -> Result<()>;
}

/// Refunds of sales and devices' cash drawer sessions.
pub trait Refunds {
    /// A sale with its items, by id or order number (locked for the transaction).
    fn sale(&self, key: &str) -> Result<Option<Sale>>;
    fn refunds_of_sale(&self, sale: Uuid) -> Result<Vec<wicket_domain::Refund>>;
    /// A refund and its items; an item refunded before is a conflict.
    fn insert_refund(&self, r: &wicket_domain::Refund) -> Result<()>;
    fn cash_session(&self, id: Uuid) -> Result<Option<wicket_domain::CashSession>>;
    /// Insert, or record its closing (the opening fields never change).
    fn save_cash_session(&self, s: &wicket_domain::CashSession) -> Result<()>;
}

/// A staff member as head office's sign-in sees them.
#[derive(Debug, Clone)]
pub struct StaffLogin {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub pin_hash: String,
    pub active: bool,
    /// PIN failures in a row, and the end of the lockout they earned (Unix s).
    pub failures: u32,
    pub locked_until: Timestamp,
}

/// Staff sign-in at head office (management tokens) and staff upkeep.
pub trait StaffAccess {
    fn staff_login(&self, id: Uuid) -> Result<Option<StaffLogin>>;
    /// Count one more PIN failure; returns the count.
    fn add_pin_failure(&self, id: Uuid) -> Result<u32>;
    fn set_pin_lockout(&self, id: Uuid, locked_until: Timestamp) -> Result<()>;
    fn clear_pin_failures(&self, id: Uuid) -> Result<()>;
    fn insert_staff_token(
        &self,
        token_hash: &str,
        staff: Uuid,
        device: Uuid,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<()>;
    /// The active staff member (and their current role) a token stands for, when it
    /// was issued to `device` and is live at `at`.
    fn staff_for_token(
        &self,
        token_hash: &str,
        device: Uuid,
        at: Timestamp,
    ) -> Result<Option<(Uuid, Role)>>;
    /// End every head office sign-in of a staff member.
    fn drop_staff_tokens(&self, staff: Uuid) -> Result<()>;
    /// Change what is given; false when there is no such member.
    fn update_staff(
        &self,
        id: Uuid,
        name: Option<&str>,
        role: Option<Role>,
        pin_hash: Option<&str>,
        active: Option<bool>,
    ) -> Result<bool>;
    fn list_staff(&self) -> Result<Vec<wicket_protocol::StaffListing>>;
}

/// One transaction of a backend: every narrow trait at once.
pub trait Tx:
    Products
    + Customers
    + Items
    + Redemptions
    + Sales
    + Claims
    + Rewards
    + Allotments
    + SyncLog
    + Catalog
    + Devices
    + Trust
    + Tenancy
    + Refunds
    + StaffAccess
{
}

impl<T> Tx for T where
    T: Products
        + Customers
        + Items
        + Redemptions
        + Sales
        + Claims
        + Rewards
        + Allotments
        + SyncLog
        + Catalog
        + Devices
        + Trust
        + Tenancy
        + Refunds
        + StaffAccess
{
}
