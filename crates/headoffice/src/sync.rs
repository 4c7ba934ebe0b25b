//! Device sync over HTTP (DESIGN.md §4): enrollment, staff, push of outbox
//! operations (exactly once, per-op answers), pull of the change sequence in pages,
//! and stock allotments. Device routes authenticate with the bearer credential handed
//! out at enrollment; admin routes with a write API key. Bodies are gzip-compressed
//! both ways when the client asks.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use uuid::Uuid;
use wicket_domain::{Allotment, DomainError, Role};

use crate::api::{ApiJson, ApiPath, ApiQuery, AppState};
use crate::error::{Error, Result};
use crate::keys::hash_key;
use crate::model::Scope;
use crate::store::Store;

/// Largest push batch.
pub const MAX_PUSH_OPS: usize = 5_000;
/// Largest pull page.
pub const MAX_PULL_LIMIT: u32 = 20_000;
/// Largest request body on sync routes (after decompression).
pub const SYNC_BODY_LIMIT: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnrollmentCodeReq {
    /// Lifetime of the code; default one hour.
    #[serde(default)]
    pub ttl_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollmentCodeOut {
    pub code: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollReq {
    pub code: String,
    pub name: String,
    /// Hex Ed25519 public key of the device's ticket-signing key.
    pub public_key: String,
    /// The device's own id (kept as its op device id); head office picks one if absent.
    #[serde(default)]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollOut {
    pub device_id: Uuid,
    pub credential: String,
    /// Hex Ed25519 public key head office signs tickets with.
    pub headoffice_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffReq {
    pub name: String,
    pub role: String,
    pub pin: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffOut {
    pub id: Uuid,
    pub name: String,
    pub role: String,
}

/// One outbox operation as the device sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushOp {
    pub seq: i64,
    pub op_id: Uuid,
    pub device_id: Uuid,
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    pub device_time: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushReq {
    pub ops: Vec<PushOp>,
}

/// `applied | duplicate | conflict | rejected`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpResult {
    pub op_id: Uuid,
    pub status: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushOut {
    pub results: Vec<OpResult>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullQuery {
    pub since: Option<i64>,
    pub limit: Option<u32>,
    /// Also count every change after `since` (for progress on the first page).
    pub count: Option<bool>,
}

/// One change: the current state of an entity, or `data: null` when it is gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub key: String,
    pub data: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullOut {
    pub changes: Vec<Change>,
    /// The cursor to ask from next.
    pub next: i64,
    pub more: bool,
    /// Changes after `since` when `count` was asked for.
    pub remaining: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AllotReq {
    pub product_id: Uuid,
    pub units: u64,
    #[serde(default)]
    pub ttl_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseOut {
    pub allotment_id: Uuid,
    pub returned_units: u64,
}

/// Default allotment lifetime: 12 hours.
pub const DEFAULT_ALLOTMENT_TTL: i64 = 12 * 3600;

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

async fn require_write_key(st: &AppState, headers: &HeaderMap) -> Result<()> {
    let key = bearer(headers)
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .ok_or(Error::Unauthorized)?;
    match st.store.key_scope(hash_key(key)).await? {
        Some(Scope::Write) => Ok(()),
        Some(_) => Err(Error::Forbidden),
        None => Err(Error::Unauthorized),
    }
}

async fn require_device(st: &AppState, headers: &HeaderMap) -> Result<Uuid> {
    let cred = bearer(headers).ok_or(Error::Unauthorized)?;
    st.store
        .device_by_credential(hash_key(cred))
        .await?
        .ok_or(Error::Unauthorized)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn create_enrollment_code(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EnrollmentCodeReq>,
) -> Result<Json<EnrollmentCodeOut>> {
    require_write_key(&st, &headers).await?;
    let out = new_enrollment_code(st.store.as_ref(), body.ttl_secs.unwrap_or(3600)).await?;
    Ok(Json(out))
}

async fn enroll(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<EnrollReq>,
) -> Result<Json<EnrollOut>> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::InvalidField {
            field: "name",
            reason: "must be 1-100 characters".into(),
        }
        .into());
    }
    let pk = hex::decode(req.public_key.trim())
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| DomainError::InvalidField {
            field: "public_key",
            reason: "must be 32 bytes of hex (Ed25519)".into(),
        })?;
    let device_id = req.device_id.unwrap_or_else(Uuid::now_v7);
    let credential = random_token("wd_");
    let ho_key = st
        .store
        .enroll_device(
            hash_key(req.code.trim()),
            device_id,
            name,
            hex::encode(pk),
            hash_key(&credential),
        )
        .await?;
    tracing::info!(%device_id, "device enrolled");
    Ok(Json(EnrollOut {
        device_id,
        credential,
        headoffice_key: ho_key,
    }))
}

/// Staff that `wicket-headoffice demo` creates; devices receive them through sync.
/// The same names and PINs as the device demo. Never use them for real.
pub const DEMO_STAFF: &[(&str, Role, &str)] = &[
    ("Dana Door", Role::Door, "1111"),
    ("Bo Box-Office", Role::BoxOffice, "2222"),
    ("Mina Manager", Role::Manager, "3333"),
    ("Ari Admin", Role::Admin, "4444"),
];

/// Whether `pin` is a valid staff PIN: 4 to 12 digits.
pub fn valid_pin(pin: &str) -> bool {
    (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// Argon2id hash of a staff PIN in PHC form, as devices verify it at sign-in.
/// CPU-heavy: async callers run it on the blocking pool.
pub fn hash_pin(pin: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Storage(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Storage(e.to_string()))
}

/// Make a one-time enrollment code valid for `ttl_secs` (clamped to 1 minute ..
/// 7 days); only its hash is stored. Used by the HTTP route and the CLI.
pub async fn new_enrollment_code(store: &dyn Store, ttl_secs: i64) -> Result<EnrollmentCodeOut> {
    let ttl = ttl_secs.clamp(60, 7 * 86_400);
    let code = random_token("en_");
    let expires_at = unix_now() + ttl;
    store
        .create_enrollment_code(hash_key(&code), expires_at)
        .await?;
    tracing::info!(expires_at, "enrollment code created");
    Ok(EnrollmentCodeOut { code, expires_at })
}

async fn create_staff(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StaffReq>,
) -> Result<Json<StaffOut>> {
    require_write_key(&st, &headers).await?;
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::InvalidField {
            field: "name",
            reason: "must be 1-100 characters".into(),
        }
        .into());
    }
    let role = Role::parse(&req.role).ok_or_else(|| DomainError::InvalidField {
        field: "role",
        reason: "door, box_office, manager or admin".into(),
    })?;
    if !valid_pin(&req.pin) {
        return Err(DomainError::InvalidField {
            field: "pin",
            reason: "a PIN is 4 to 12 digits".into(),
        }
        .into());
    }
    let pin = req.pin.clone();
    let hash = tokio::task::spawn_blocking(move || hash_pin(&pin))
        .await
        .map_err(|e| Error::Storage(e.to_string()))??;
    let out = st
        .store
        .create_staff(name, role.as_str().to_string(), hash)
        .await?;
    Ok(Json(out))
}

async fn push(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PushReq>,
) -> Result<Json<PushOut>> {
    let device = require_device(&st, &headers).await?;
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(DomainError::BatchTooLarge(req.ops.len()).into());
    }
    let n = req.ops.len();
    let results = st.store.push_ops(device, req.ops).await?;
    tracing::info!(%device, ops = n, "push applied");
    Ok(Json(PushOut { results }))
}

async fn pull(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullOut>> {
    require_device(&st, &headers).await?;
    let since = q.since.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_PULL_LIMIT);
    let out = st
        .store
        .pull_changes(since, limit, q.count.unwrap_or(false))
        .await?;
    Ok(Json(out))
}

async fn allot(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<AllotReq>,
) -> Result<Json<Allotment>> {
    let device = require_device(&st, &headers).await?;
    let ttl = req
        .ttl_secs
        .unwrap_or(DEFAULT_ALLOTMENT_TTL)
        .clamp(1, 7 * 86_400);
    let a = st
        .store
        .create_allotment(device, req.product_id, req.units, ttl)
        .await?;
    tracing::info!(%device, product = %a.product_id, units = a.units, "allotment granted");
    Ok(Json(a))
}

async fn release(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ReleaseOut>> {
    let device = require_device(&st, &headers).await?;
    let returned_units = st.store.release_allotment(device, id).await?;
    Ok(Json(ReleaseOut {
        allotment_id: id,
        returned_units,
    }))
}

/// The sync and enrollment routes, with gzip both ways.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/devices/enrollment-codes", post(create_enrollment_code))
        .route("/v1/devices/enroll", post(enroll))
        .route("/v1/staff", post(create_staff))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/allotments", post(allot))
        .route("/v1/sync/allotments/{id}/release", post(release))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            SYNC_BODY_LIMIT,
        ))
        .layer(RequestDecompressionLayer::new())
        // Fastest: a pull page is large and repetitive; speed matters more than ratio.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .with_state(state)
}
