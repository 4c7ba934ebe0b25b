//! Every refusal the rulebook can give, each with a stable snake_case code.

use thiserror::Error;

/// A business rule refused the request. `code()` is stable: the UI, the CLI and the
/// head office API all show it, and clients may match on it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    // --- validation of input fields
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("price {0:?} is not a non-negative decimal with at most 8 decimal places")]
    InvalidPrice(String),
    #[error("mint_nft requires metadata_uri and chain")]
    MintNftIncomplete,
    #[error("a request names {0} recipients; the limit is 550")]
    BatchTooLarge(usize),
    #[error("a request must name at least one recipient")]
    EmptyBatch,
    #[error("unknown recipient(s): {}", .0.join(", "))]
    UnknownRecipient(Vec<String>),
    #[error("quantity must be between 1 and {max}")]
    InvalidQuantity { max: u32 },

    // --- product state
    #[error("product is not active")]
    Inactive,
    #[error("product is a draft; publish it first")]
    NotPublished,
    #[error("product is not on sale at this time")]
    NotOnSale,
    #[error("stock exhausted: {available} left, {requested} requested")]
    StockExhausted { available: u64, requested: u64 },
    #[error("collection full: max_items {max} reached")]
    MaxItemsReached { max: u64 },
    #[error("recipient {user} would hold {would_hold} items; max_per_account is {max}")]
    MaxPerAccount {
        user: String,
        would_hold: u64,
        max: u64,
    },
    #[error("recipient {user} has reputation {balance}; {required} required")]
    RepTooLow {
        user: String,
        balance: i64,
        required: i64,
    },

    // --- items
    #[error("item is fully redeemed")]
    AlreadyRedeemed,
    #[error("item has been revoked")]
    Revoked,
    #[error("product items are not transferable")]
    NotTransferable,
    #[error("sender is not the owner of the item")]
    NotOwner,
    #[error("sender and recipient are the same user")]
    SelfTransfer,
    #[error("item does not belong to this product")]
    WrongProduct,

    // --- sales
    #[error("product has no price in {0}")]
    NoPrice(String),
    /// A device numbered an item outside every range head office allotted it.
    #[error("item number {0} is not in a range allotted to this device")]
    NotAllotted(u64),
    /// An op's device time no real clock could have shown.
    #[error("device time {0} is not plausible (before 2000 or more than a week ahead)")]
    ImplausibleTime(i64),
    /// Event dates whose tickets' validity window cannot be expressed.
    #[error(
        "the ticket validity window of these dates ends after {max}, the last second a ticket can carry (an event must end before 2106)"
    )]
    TicketWindow { max: i64 },
    #[error(
        "purchase limit reached: {limit} per customer in this window, {already} already bought"
    )]
    PurchaseLimit { limit: u32, already: u64 },

    // --- refunds
    #[error("{0} has already been refunded")]
    AlreadyRefunded(String),
    #[error("item {item} is not part of order {order}")]
    NotInOrder { item: String, order: String },
    #[error("order {0} was sold by another device: refund it through head office")]
    RefundNeedsHeadOffice(String),
    #[error("a cash sale needs an open cash drawer session")]
    NoOpenSession,
    #[error("a cash drawer session is already open on this device")]
    SessionAlreadyOpen,

    // --- claims
    #[error("product is not claimable")]
    NotClaimable,
    #[error("claim code has already been used")]
    ClaimUsed,
    #[error("claim code is malformed")]
    InvalidClaimCode,

    // --- rewards
    #[error("reward offer is not active")]
    RewardInactive,
    #[error("reward offer grants nothing yet (add a token unit)")]
    RewardGrantsNothing,
    #[error("balance {balance} credits; offer costs {cost}")]
    InsufficientCredits { balance: i64, cost: i64 },
    #[error("reward supply exhausted")]
    SupplyExhausted,
    #[error("customer already redeemed this offer {already} times (max {max})")]
    MaxPerUser { already: u64, max: u64 },
    #[error("customer's status tier is below the offer's minimum ({required})")]
    TierTooLow { required: String },
    #[error("offer is not available in country {0}")]
    CountryRestricted(String),

    // --- policy
    #[error("{role} staff may not {action}")]
    Forbidden {
        role: &'static str,
        action: &'static str,
    },
    #[error("a push carries {0} operations; the limit is {max}", max = crate::policy::MAX_PUSH_OPS)]
    PushTooLarge(usize),
}

impl DomainError {
    /// The stable machine-readable code of this refusal.
    pub fn code(&self) -> &'static str {
        use DomainError::*;
        match self {
            InvalidField { .. } => "invalid_field",
            InvalidPrice(_) => "invalid_price",
            MintNftIncomplete => "mint_nft_incomplete",
            BatchTooLarge(_) => "batch_too_large",
            EmptyBatch => "empty_batch",
            UnknownRecipient(_) => "unknown_recipient",
            InvalidQuantity { .. } => "invalid_quantity",
            Inactive => "inactive",
            NotPublished => "not_published",
            NotOnSale => "not_on_sale",
            StockExhausted { .. } => "stock_exhausted",
            MaxItemsReached { .. } => "max_items_reached",
            MaxPerAccount { .. } => "max_per_account",
            RepTooLow { .. } => "rep_too_low",
            AlreadyRedeemed => "already_redeemed",
            Revoked => "revoked",
            NotTransferable => "not_transferable",
            NotOwner => "not_owner",
            SelfTransfer => "self_transfer",
            WrongProduct => "wrong_product",
            NoPrice(_) => "no_price",
            TicketWindow { .. } => "invalid_ticket_window",
            NotAllotted(_) => "item_id_not_allotted",
            ImplausibleTime(_) => "implausible_device_time",
            PurchaseLimit { .. } => "purchase_limit",
            AlreadyRefunded(_) => "already_refunded",
            NotInOrder { .. } => "not_in_order",
            RefundNeedsHeadOffice(_) => "refund_needs_head_office",
            NoOpenSession => "no_open_session",
            SessionAlreadyOpen => "session_already_open",
            NotClaimable => "not_claimable",
            ClaimUsed => "claim_used",
            InvalidClaimCode => "invalid_claim_code",
            RewardInactive => "reward_inactive",
            RewardGrantsNothing => "reward_grants_nothing",
            InsufficientCredits { .. } => "insufficient_credits",
            SupplyExhausted => "supply_exhausted",
            MaxPerUser { .. } => "max_per_user",
            TierTooLow { .. } => "tier_too_low",
            CountryRestricted(_) => "country_restricted",
            Forbidden { .. } => "forbidden",
            PushTooLarge(_) => "batch_too_large",
        }
    }

    /// `"<code>: <human message>"`, the form the MUFI-style `errors` array carries.
    pub fn to_api_string(&self) -> String {
        format!("{}: {}", self.code(), self)
    }

    pub fn field(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
