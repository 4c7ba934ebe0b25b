//! The storage boundary. Handlers see only [`Store`]; each method is one business
//! operation that an implementation runs in one transaction, asking `wicket_domain`
//! for every decision. [`crate::sql::SqlStore`] implements it on SQLite or
//! PostgreSQL.

use std::future::Future;
use std::pin::Pin;

use uuid::Uuid;
use wicket_domain::{EventInput, ProductInput};

use crate::error::Result;
use crate::model::*;

/// A boxed future so the trait stays object-safe (`Arc<dyn Store>`).
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// Names an event: its id or the caller's reference id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKey {
    Id(Uuid),
    Reference(String),
    /// From a path segment: an id if it parses as one, else a reference id.
    Either(String),
}

/// A sale request after parsing.
#[derive(Debug, Clone)]
pub struct SaleRequest {
    pub product_id: Uuid,
    pub quantity: u32,
    pub buyer: UserKey,
    pub buyer_first_name: Option<String>,
    pub buyer_last_name: Option<String>,
    pub currency: Option<String>,
    pub payment_method: String,
    pub device_id: Option<Uuid>,
}

/// Filters of `GET /v1/rewards`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RewardFilter {
    pub active: Option<bool>,
}

pub trait Store: Send + Sync + 'static {
    // --- keys
    /// The scope of the key whose SHA-256 hex digest is `key_hash`.
    fn key_scope(&self, key_hash: String) -> StoreFuture<Option<Scope>>;
    fn insert_key(&self, key_hash: String, scope: Scope) -> StoreFuture<Uuid>;

    // --- events
    fn create_event(&self, input: EventInput) -> StoreFuture<EventOut>;
    fn update_event(&self, key: EventKey, input: EventInput) -> StoreFuture<EventOut>;
    fn get_event(&self, key: EventKey) -> StoreFuture<EventOut>;
    fn list_events(&self, page: PageReq) -> StoreFuture<Page<EventOut>>;
    fn delete_event(&self, id: Uuid) -> StoreFuture<()>;

    // --- users and balances
    fn create_users(&self, users: Vec<NewUserBody>) -> StoreFuture<Vec<UserOut>>;
    fn fetch_users(&self, limit: u32, offset: u64) -> StoreFuture<UsersPage>;
    fn get_user(&self, key: UserKey) -> StoreFuture<UserOut>;
    fn balances(&self, user: Uuid) -> StoreFuture<BalancesOut>;
    fn adjust_balance(&self, user: Uuid, body: AdjustBody) -> StoreFuture<BalancesOut>;
    fn ledger(&self, user: Uuid, page: PageReq) -> StoreFuture<Page<LedgerEntryOut>>;
    fn create_tier(&self, body: TierBody) -> StoreFuture<TierOut>;
    fn list_tiers(&self) -> StoreFuture<Vec<TierOut>>;

    // --- products
    /// Create a product in `company` (MUFI: the default company).
    fn create_product(
        &self,
        company: Uuid,
        input: ProductInput,
        details: wicket_domain::DetailsInput,
    ) -> StoreFuture<ProductOut>;
    fn get_product(&self, id: Uuid) -> StoreFuture<ProductOut>;
    /// A product by its slug in `company`'s catalog (MUFI: the default company).
    fn product_by_slug(&self, company: Uuid, slug: String) -> StoreFuture<ProductOut>;
    fn list_products(&self, q: ProductQuery, page: PageReq) -> StoreFuture<Page<ProductOut>>;
    /// A partial update: only the given fields change.
    fn update_product(
        &self,
        id: Uuid,
        input: ProductInput,
        details: wicket_domain::DetailsInput,
    ) -> StoreFuture<ProductOut>;
    fn create_zone(&self, body: ZoneBody) -> StoreFuture<ZoneOut>;
    /// Live door numbers since `since` (every device's pushed scans and passages).
    fn door_stats(&self, since: Timestamp) -> StoreFuture<wicket_domain::DoorStats>;
    fn list_zones(&self) -> StoreFuture<Vec<ZoneOut>>;
    fn delete_zone(&self, id: Uuid) -> StoreFuture<()>;
    /// A new company (W3Block tenant); its id.
    fn create_company(&self, name: String) -> StoreFuture<Uuid>;
    /// Whether a company exists.
    fn company_exists(&self, id: Uuid) -> StoreFuture<bool>;
    fn publish_product(&self, id: Uuid) -> StoreFuture<ProductOut>;
    fn list_order_rules(&self, product: Uuid) -> StoreFuture<Vec<OrderRuleOut>>;
    fn add_order_rule(&self, product: Uuid, rule: OrderRuleBody) -> StoreFuture<OrderRuleOut>;
    fn delete_order_rule(&self, product: Uuid, rule: Uuid) -> StoreFuture<()>;

    // --- items
    fn issue_items(
        &self,
        product: Uuid,
        users: Vec<Uuid>,
        emails: Vec<String>,
    ) -> StoreFuture<Vec<ItemOut>>;
    fn product_items(&self, product: Uuid, page: PageReq) -> StoreFuture<Page<ItemOut>>;
    fn user_items(&self, user: Uuid, page: PageReq) -> StoreFuture<Page<ItemOut>>;
    fn get_item(&self, id: Uuid) -> StoreFuture<ItemOut>;
    fn redeem_item(&self, product: Uuid, item: Uuid) -> StoreFuture<ItemOut>;
    fn transfer_item(
        &self,
        product: Uuid,
        item: Uuid,
        sender: UserKey,
        recipient: UserKey,
    ) -> StoreFuture<TransferOut>;
    /// Make `count` claim codes; returns the codes (URLs are the caller's job).
    fn create_claim_codes(&self, product: Uuid, count: u32) -> StoreFuture<Vec<Uuid>>;
    fn claim(&self, code: Uuid, user: UserKey) -> StoreFuture<ItemOut>;
    /// Claim for a person named by email, made a customer (as `/v1/users/create`
    /// would) in the same transaction when unknown: a refused claim leaves no one
    /// behind. A known customer is left as they are.
    fn claim_as(&self, code: Uuid, who: NewUserBody) -> StoreFuture<ItemOut>;
    /// A claim code as stored (its product, whether it is used), or `None`: what
    /// the public claim page shows before anyone claims.
    fn claim_code(&self, code: Uuid) -> StoreFuture<Option<wicket_domain::ClaimCode>>;
    /// The signed ticket token of `item` (one of `product`'s), signed with head
    /// office's own key, which every enrolled device trusts.
    fn item_ticket(&self, product: Uuid, item: Uuid) -> StoreFuture<String>;

    // --- sales
    fn create_sale(&self, req: SaleRequest) -> StoreFuture<SaleOut>;
    fn list_sales(&self, product: Option<Uuid>, page: PageReq) -> StoreFuture<Page<SaleOut>>;
    fn refund_sale(
        &self,
        req: crate::usecase::refund::RefundInput,
    ) -> StoreFuture<wicket_domain::Refund>;
    fn device_refund(
        &self,
        device: Uuid,
        req: wicket_protocol::RefundRequest,
    ) -> StoreFuture<wicket_domain::Refund>;
    fn cash_sessions(
        &self,
        device: Option<Uuid>,
        limit: u32,
    ) -> StoreFuture<Vec<wicket_domain::SessionReport>>;

    // --- rewards
    fn create_reward(&self, body: RewardBody) -> StoreFuture<RewardOut>;
    fn replace_reward(&self, id: Uuid, body: RewardBody) -> StoreFuture<RewardOut>;
    /// A partial update (PERS): only the given fields change.
    fn patch_reward(&self, id: Uuid, patch: RewardPatch) -> StoreFuture<RewardOut>;
    fn delete_reward(&self, id: Uuid) -> StoreFuture<()>;
    fn list_rewards(&self, filter: RewardFilter) -> StoreFuture<Vec<RewardOut>>;
    fn get_reward(&self, id: Uuid) -> StoreFuture<RewardOut>;
    fn toggle_reward(&self, id: Uuid) -> StoreFuture<RewardOut>;
    fn redeem_reward(
        &self,
        id: Uuid,
        user: UserKey,
        country: Option<String>,
    ) -> StoreFuture<RedeemOut>;
    fn list_reward_redeems(
        &self,
        user: Option<Uuid>,
        reward: Option<Uuid>,
        page: PageReq,
    ) -> StoreFuture<Page<RedeemOut>>;

    // --- device sync (see `crate::sync`)
    /// A one-time enrollment code; `for_device` lets it re-enroll that device.
    fn create_enrollment_code(
        &self,
        code_hash: String,
        expires_at: i64,
        for_device: Option<Uuid>,
    ) -> StoreFuture<()>;
    /// Revoke a device (`by`: the staff member, when known); see `usecase::devices`.
    fn revoke_device(&self, device: Uuid, by: Option<Uuid>) -> StoreFuture<()>;
    fn rename_device(&self, device: Uuid, name: String, by: Option<Uuid>) -> StoreFuture<()>;
    /// What a device reported with its pull: uploads waiting, app version.
    fn device_report(
        &self,
        device: Uuid,
        pending: Option<u64>,
        app_version: Option<String>,
    ) -> StoreFuture<()>;
    /// Rotate head office's ticket key, trusting the old one for `overlap_secs`.
    fn rotate_ticket_key(&self, overlap_secs: i64)
    -> StoreFuture<crate::usecase::devices::Rotated>;
    /// The audit log from `since`, oldest first.
    fn audit_log(&self, since: i64, limit: u32) -> StoreFuture<Vec<crate::storage::AuditEntry>>;
    /// Use a code once and enroll the device; returns head office's public key (hex).
    fn enroll_device(
        &self,
        code_hash: String,
        device_id: Uuid,
        name: String,
        public_key: String,
        credential_hash: String,
    ) -> StoreFuture<String>;
    fn device_by_credential(&self, credential_hash: String) -> StoreFuture<Option<Uuid>>;
    fn create_staff(
        &self,
        name: String,
        role: wicket_domain::Role,
        pin_hash: String,
    ) -> StoreFuture<wicket_protocol::StaffResponse>;
    /// A staff member as sign-in sees them (see `usecase::staff`).
    fn staff_login(&self, id: Uuid) -> StoreFuture<Option<crate::storage::StaffLogin>>;
    /// Record a PIN check made at `device`; a token when it matched.
    fn finish_staff_sign_in(
        &self,
        device: Uuid,
        staff: Uuid,
        checked_hash: String,
        pin_matched: bool,
    ) -> StoreFuture<crate::usecase::staff::SignIn>;
    /// The staff member and current role a token stands for at `device`.
    fn staff_for_token(
        &self,
        device: Uuid,
        token_hash: String,
    ) -> StoreFuture<Option<(Uuid, wicket_domain::Role)>>;
    fn list_staff(&self) -> StoreFuture<Vec<wicket_protocol::StaffListing>>;
    fn update_staff(
        &self,
        id: Uuid,
        change: crate::usecase::staff::StaffChange,
        by: Option<Uuid>,
    ) -> StoreFuture<wicket_protocol::StaffListing>;
    /// Apply a batch of a device's operations exactly once, in order.
    fn push_ops(
        &self,
        device: Uuid,
        ops: Vec<wicket_protocol::WireOp>,
    ) -> StoreFuture<Vec<wicket_protocol::OpResult>>;
    /// A page of changes after `since`; notes the device's pull for support.
    fn pull_changes(
        &self,
        device: Uuid,
        since: i64,
        limit: u32,
        count: bool,
    ) -> StoreFuture<wicket_protocol::PullResponse>;
    fn create_allotment(
        &self,
        device: Uuid,
        product: Uuid,
        units: u64,
        ttl_secs: i64,
    ) -> StoreFuture<wicket_domain::Allotment>;
    /// Release an allotment; returns the units that went back to stock.
    fn release_allotment(&self, device: Uuid, id: Uuid) -> StoreFuture<u64>;

    // --- review (read key): what happened, for support and tests
    /// Every scan of an item, oldest first (conflicts and pending ones included).
    fn item_redemptions(
        &self,
        item: Uuid,
    ) -> StoreFuture<Vec<wicket_protocol::RedemptionHistoryEntry>>;
    /// Sync conflicts and rejected ops, newest first.
    fn sync_conflicts(&self, limit: u32) -> StoreFuture<Vec<crate::review::SyncIssue>>;
    /// Per-device sync state.
    fn device_states(&self) -> StoreFuture<Vec<wicket_protocol::DeviceSyncState>>;

    // --- operations
    /// The database answers and its schema is this build's (for `/readyz`).
    fn ready(&self) -> StoreFuture<()>;
    /// Figures for `/metrics`: pool use and the mint queue.
    fn stats(&self) -> StoreFuture<StoreStats>;

    // --- demo
    /// Seed a demo project in one transaction; returns counts for the log.
    fn seed_demo(&self, users: u32) -> StoreFuture<DemoSummary>;
}

/// What `/metrics` reports of the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub pool_open: u32,
    pub pool_idle: u32,
    pub mints_pending: u64,
    pub mints_minted: u64,
    pub mints_failed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub users: u32,
    pub staff: u32,
    pub products: u32,
    pub items: u32,
    pub rewards: u32,
}
