//! Wicket's sync wire format, shared by the device and head office: enrollment, push
//! of typed operations with per-op answers, pull of typed entity changes, stock
//! allotments and the error body. No I/O. Golden fixtures under `tests/` pin it.
#![forbid(unsafe_code)]

pub mod entity;
pub mod manage;
pub mod op;
pub mod peer;

pub use entity::*;
pub use manage::*;
pub use op::*;
pub use peer::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_domain::Role;

/// Version of this wire format. Both sides send it; a receiver accepts any version
/// up to its own and answers with its own, so an older peer can tell it is behind.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest push batch (the same limit the domain enforces).
pub const MAX_PUSH_OPS: usize = wicket_domain::MAX_PUSH_OPS;
/// Largest pull page.
pub const MAX_PULL_LIMIT: u32 = 20_000;
/// Default allotment lifetime: 12 hours.
pub const DEFAULT_ALLOTMENT_TTL: i64 = 12 * 3600;

/// A wire-format failure: an op or a change this side cannot read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("unknown operation kind {0:?}")]
    UnknownOp(String),
    #[error("{kind} payload: {reason}")]
    BadPayload { kind: String, reason: String },
    #[error("{entity} {key}: {reason}")]
    BadEntity {
        entity: String,
        key: String,
        reason: String,
    },
}

impl ProtocolError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::UnknownOp(_) => "unknown_op",
            ProtocolError::BadPayload { .. } => "invalid_payload",
            ProtocolError::BadEntity { .. } => "invalid_entity",
        }
    }
}

/// The error body of every head office route: `{"errors": ["<code>: <message>"]}`,
/// as the MUFI Products API answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub errors: Vec<String>,
}

impl ErrorBody {
    /// The code of the first error (the part before `:`), if any.
    pub fn code(&self) -> Option<&str> {
        self.errors
            .first()
            .map(|e| e.split(':').next().unwrap_or(e).trim())
    }
}

// ---------------------------------------------------------------- enrollment

/// `POST /v1/devices/enrollment-codes` (write key).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentCodeRequest {
    /// Lifetime of the code; default one hour.
    #[serde(default)]
    pub ttl_secs: Option<i64>,
    /// Re-enroll this (enrolled) device with the code: a reinstalled laptop. Without
    /// it, a code enrolls only a device id head office has not seen.
    #[serde(default)]
    pub device_id: Option<Uuid>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollmentCode {
    pub code: String,
    pub expires_at: i64,
}

/// `POST /v1/devices/enroll`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub name: String,
    /// Hex Ed25519 public key of the device's ticket-signing key.
    pub public_key: String,
    /// The device's own id (kept as its op device id); head office picks one if absent.
    #[serde(default)]
    pub device_id: Option<Uuid>,
    #[serde(default)]
    pub protocol_version: Option<u32>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: Uuid,
    pub credential: String,
    /// Hex Ed25519 public key head office signs tickets with.
    pub headoffice_key: String,
    #[serde(default)]
    pub protocol_version: u32,
}

/// `POST /v1/staff` (write key).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffRequest {
    pub name: String,
    pub role: String,
    pub pin: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffResponse {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

// Credentials (codes, bearer tokens, PINs) never reach a log: `Debug` shows the
// rest and `<redacted>` in their place.
impl std::fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentCode")
            .field("code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl std::fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("code", &"<redacted>")
            .field("name", &self.name)
            .field("public_key", &self.public_key)
            .field("device_id", &self.device_id)
            .finish()
    }
}

impl std::fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("device_id", &self.device_id)
            .field("credential", &"<redacted>")
            .field("headoffice_key", &self.headoffice_key)
            .finish()
    }
}

impl std::fmt::Debug for StaffRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRequest")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("pin", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod redaction {
    #[test]
    fn credentials_do_not_print() {
        let r = super::EnrollResponse {
            device_id: uuid::Uuid::nil(),
            credential: "wd_secret".into(),
            headoffice_key: "ab".into(),
            protocol_version: 1,
        };
        let s = super::StaffRequest {
            name: "Mo".into(),
            role: "manager".into(),
            pin: "246810".into(),
        };
        let text = format!("{r:?} {s:?}");
        assert!(
            !text.contains("wd_secret") && !text.contains("246810"),
            "{text}"
        );
        assert!(text.contains("<redacted>"));
    }
}

// ---------------------------------------------------------------- push

/// `POST /v1/sync/push` (device credential).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    #[serde(default)]
    pub protocol_version: Option<u32>,
    pub ops: Vec<WireOp>,
}

/// What head office did with one pushed op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpStatus {
    /// Applied now.
    Applied,
    /// Received before (the op id is the idempotency key); nothing changed.
    Duplicate,
    /// A fact kept for review: it happened but broke a rule (e.g. a second scan).
    Conflict,
    /// Refused; nothing changed. `code` says why.
    Rejected,
    /// A status from a newer head office; the device keeps the op and retries.
    #[serde(other)]
    Unknown,
}

impl OpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::Applied => "applied",
            OpStatus::Duplicate => "duplicate",
            OpStatus::Conflict => "conflict",
            OpStatus::Rejected => "rejected",
            OpStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: Uuid,
    pub status: OpStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    #[serde(default)]
    pub protocol_version: u32,
    pub results: Vec<OpResult>,
}

// ---------------------------------------------------------------- pull

/// `GET /v1/sync/pull?since=&limit=&count=` (device credential).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PullQuery {
    pub since: Option<i64>,
    pub limit: Option<u32>,
    /// Also count every change after `since` (for progress on the first page).
    pub count: Option<bool>,
    /// The device's operations waiting to upload (shown to admins).
    #[serde(default)]
    pub pending: Option<u64>,
    /// The device's app version (shown to admins).
    #[serde(default)]
    pub app: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    #[serde(default)]
    pub protocol_version: u32,
    pub changes: Vec<Change>,
    /// The cursor to ask from next.
    pub next: i64,
    pub more: bool,
    /// Changes after `since` when `count` was asked for.
    #[serde(default)]
    pub remaining: Option<u64>,
}

// ---------------------------------------------------------------- allotments

/// `POST /v1/sync/allotments` (device credential).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AllotRequest {
    pub product_id: Uuid,
    pub units: u64,
    #[serde(default)]
    pub ttl_secs: Option<i64>,
}

/// `POST /v1/sync/refunds` (device credential): a refund done through head office
/// at this device, online (an order another device sold). The staff member is held
/// to their role as in a push; the money leaves this device's drawer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundRequest {
    /// Order number or sale id.
    pub order: String,
    /// Item numbers (none: all that are left).
    #[serde(default)]
    pub items: Vec<u64>,
    pub reason: String,
    #[serde(default)]
    pub staff_id: Option<Uuid>,
}

/// `POST /v1/sync/allotments/{id}/release`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseResponse {
    pub allotment_id: Uuid,
    pub returned_units: u64,
}

// ---------------------------------------------------------------- review

/// One scan of an item as head office recorded it (`GET /v1/items/{id}/redemptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionHistoryEntry {
    pub id: Uuid,
    pub op_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub gate: Option<String>,
    pub redeemed_at: i64,
    /// Beyond what the rules allow (kept as a fact, flagged for review).
    pub conflict: bool,
    /// Heard of before the item reached head office; counted once it arrived.
    pub pending: bool,
}

/// A conflict (a fact kept for review) or a rejected op (refused, nothing changed),
/// as head office lists them (`GET /v1/sync/conflicts`) and devices keep them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncIssue {
    pub id: Uuid,
    pub op_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub kind: String,
    pub item: Option<Uuid>,
    pub code: String,
    pub detail: String,
    pub at: i64,
    /// `conflict` or `rejected`.
    pub source: String,
}

/// Per-device sync state (`GET /v1/sync/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSyncState {
    pub device_id: Uuid,
    pub name: String,
    pub revoked: bool,
    pub last_push_at: Option<i64>,
    pub last_pull_at: Option<i64>,
    pub last_pull_cursor: Option<i64>,
    pub applied: u64,
    pub duplicate: u64,
    pub conflict: u64,
    pub rejected: u64,
    /// Operations waiting to upload, as the device said with its last pull.
    #[serde(default)]
    pub pending_ops: Option<u64>,
    /// The app version the device last pulled with.
    #[serde(default)]
    pub app_version: Option<String>,
}
