//! Device sync over HTTP (DESIGN.md §4): enrollment, staff, push of outbox
//! operations (exactly once, per-op answers), pull of the change sequence in pages,
//! and stock allotments. Device routes authenticate with the bearer credential handed
//! out at enrollment; admin routes with a write API key. Bodies are gzip-compressed
//! both ways when the client asks.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router};
use rand::RngCore;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use uuid::Uuid;
use wicket_domain::{Allotment, DomainError, Role};

use crate::api::extract::{ApiJson, ApiPath, ApiQuery, AppState};
use crate::error::{Error, ErrorBody, Result};
use crate::keys::hash_key;
use crate::model::Scope;
use crate::store::Store;

pub use wicket_protocol::{
    AllotRequest, Change, DEFAULT_ALLOTMENT_TTL, EnrollRequest, EnrollResponse, EnrollmentCode,
    EnrollmentCodeRequest, MAX_PULL_LIMIT, MAX_PUSH_OPS, OpResult, OpStatus, PROTOCOL_VERSION,
    PullQuery, PullResponse, PushRequest, PushResponse, ReleaseResponse, StaffRequest,
    StaffResponse, WireOp,
};

/// Largest request body on sync routes (after decompression).
pub const SYNC_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub(crate) fn random_token(prefix: &str) -> String {
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
    match crate::keys::scope_of(st.store.as_ref(), key).await? {
        Some(Scope::Write) => Ok(()),
        Some(_) => Err(Error::Forbidden),
        None => Err(Error::Unauthorized),
    }
}

pub(crate) async fn require_device(st: &AppState, headers: &HeaderMap) -> Result<Uuid> {
    let cred = bearer(headers).ok_or(Error::Unauthorized)?;
    st.store
        .device_by_credential(hash_key(cred))
        .await?
        .ok_or(Error::Unauthorized)
}

/// The enrolled (and not revoked) device a request came from.
#[derive(Debug, Clone, Copy)]
pub struct DeviceId(pub Uuid);

/// Device routes: the credential is checked before any body is read, so a stranger
/// learns nothing from parser errors and costs no parsing.
async fn device_auth(State(st): State<AppState>, mut req: Request, next: Next) -> Result<Response> {
    let device = require_device(&st, req.headers()).await?;
    req.extensions_mut().insert(DeviceId(device));
    Ok(next.run(req).await)
}

/// Admin routes: a write API key, or an admin signed in at an enrolled device
/// (device credential + staff token), checked before any body is read.
async fn admin_auth(State(st): State<AppState>, mut req: Request, next: Next) -> Result<Response> {
    if let Some(caller) = crate::staff_api::staff_caller(&st, req.headers()).await? {
        crate::staff_api::require(&caller, wicket_domain::Action::Administer)?;
        req.extensions_mut().insert(caller);
    } else {
        require_write_key(&st, req.headers()).await?;
    }
    Ok(next.run(req).await)
}

pub(crate) fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[utoipa::path(post, path = "/v1/devices/enrollment-codes", tag = "sync",
    request_body = EnrollmentCodeRequest,
    responses((status = 200, description = "a one-time enrollment code (wicket_protocol::EnrollmentCode)"), (status = 403, description = "read-only key"),
        (status = 404, description = "`device_id` names no enrolled device", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_enrollment_code(
    State(st): State<AppState>,
    ApiJson(body): ApiJson<EnrollmentCodeRequest>,
) -> Result<Json<EnrollmentCode>> {
    let out = new_enrollment_code(
        st.store.as_ref(),
        body.ttl_secs.unwrap_or(3600),
        body.device_id,
    )
    .await?;
    Ok(Json(out))
}

#[utoipa::path(post, path = "/v1/devices/enroll", tag = "sync",
    request_body = EnrollRequest,
    responses((status = 200, description = "device id, credential and head office key (wicket_protocol::EnrollResponse)"),
        (status = 401, description = "unknown, used or expired code", body = ErrorBody),
        (status = 409, description = "this device id is enrolled already and the code was not made for it", body = ErrorBody)))]
pub async fn enroll(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>> {
    let name = wicket_domain::validate_name("name", &req.name)?;
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
    Ok(Json(EnrollResponse {
        device_id,
        credential,
        headoffice_key: ho_key,
        protocol_version: PROTOCOL_VERSION,
    }))
}

/// Staff that `wicket-headoffice demo` creates (the device demo's too); devices
/// receive them through sync. Never use them for real.
pub use wicket_domain::DEMO_STAFF;

/// Argon2id hash of a staff PIN in PHC form, as devices verify it at sign-in, at
/// the cost the domain sets (`PIN_HASH_*`, the same on devices). CPU-heavy: async
/// callers run it on the blocking pool.
pub fn hash_pin(pin: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Storage(e.to_string()))?;
    let params = argon2::Params::new(
        wicket_domain::PIN_HASH_MEMORY_KIB,
        wicket_domain::PIN_HASH_PASSES,
        1,
        None,
    )
    .map_err(|e| Error::Storage(e.to_string()))?;
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Storage(e.to_string()))
}

/// Make a one-time enrollment code valid for `ttl_secs` (clamped to 1 minute ..
/// 7 days); only its hash is stored. `for_device`: the code re-enrolls that enrolled
/// device (and only it). Used by the HTTP route and the CLI.
pub async fn new_enrollment_code(
    store: &dyn Store,
    ttl_secs: i64,
    for_device: Option<Uuid>,
) -> Result<EnrollmentCode> {
    let ttl = ttl_secs.clamp(60, 7 * 86_400);
    let code = random_token("en_");
    let expires_at = unix_now() + ttl;
    store
        .create_enrollment_code(hash_key(&code), expires_at, for_device)
        .await?;
    tracing::info!(expires_at, "enrollment code created");
    Ok(EnrollmentCode { code, expires_at })
}

#[utoipa::path(post, path = "/v1/staff", tag = "sync",
    request_body = StaffRequest,
    responses((status = 200, description = "the staff member (wicket_protocol::StaffResponse)"), (status = 400, description = "invalid name, role or PIN")),
    security(("bearer" = [])))]
pub async fn create_staff(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<StaffRequest>,
) -> Result<Json<StaffResponse>> {
    let name = wicket_domain::validate_name("name", &req.name)?;
    let role = Role::parse(&req.role).ok_or_else(|| DomainError::InvalidField {
        field: "role",
        reason: "door, box_office, manager or admin".into(),
    })?;
    wicket_domain::validate_pin_for(role, &req.pin)?;
    let pin = req.pin.clone();
    let hash = tokio::task::spawn_blocking(move || hash_pin(&pin))
        .await
        .map_err(|e| Error::Storage(e.to_string()))??;
    let out = st.store.create_staff(name, role, hash).await?;
    Ok(Json(out))
}

#[utoipa::path(post, path = "/v1/sync/push", tag = "sync",
    request_body = PushRequest,
    responses((status = 200, description = "one answer per op: applied, duplicate, conflict or rejected (wicket_protocol::PushResponse)"), (status = 400, description = "batch_too_large or unreadable body")),
    security(("bearer" = [])))]
pub async fn push(
    State(st): State<AppState>,
    Extension(DeviceId(device)): Extension<DeviceId>,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>> {
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(DomainError::PushTooLarge(req.ops.len()).into());
    }
    let n = req.ops.len();
    let results = st.store.push_ops(device, req.ops).await?;
    for r in &results {
        crate::metrics::sync_op(r.status.as_str());
    }
    tracing::info!(%device, ops = n, "push applied");
    Ok(Json(PushResponse {
        protocol_version: PROTOCOL_VERSION,
        results,
    }))
}

#[utoipa::path(get, path = "/v1/sync/pull", tag = "sync",
    params(("since" = Option<i64>, Query), ("limit" = Option<u32>, Query, minimum = 1, maximum = 20000), ("count" = Option<bool>, Query),
        ("pending" = Option<u64>, Query, description = "the device's uploads still waiting (shown to admins)"),
        ("app" = Option<String>, Query, description = "the device's app version, 1 to 32 of [A-Za-z0-9.+-]")),
    responses((status = 200, description = "a page of typed changes (wicket_protocol::PullResponse)")),
    security(("bearer" = [])))]
pub async fn pull(
    State(st): State<AppState>,
    Extension(DeviceId(device)): Extension<DeviceId>,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>> {
    let since = q.since.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_PULL_LIMIT);
    let out = st
        .store
        .pull_changes(device, since, limit, q.count.unwrap_or(false))
        .await?;
    if q.pending.is_some() || q.app.is_some() {
        // After the pull, whose row it updates; a bad report fails only itself.
        if let Err(e) = st.store.device_report(device, q.pending, q.app).await {
            tracing::warn!(%device, error = %e, "device report not kept");
        }
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/v1/sync/allotments", tag = "sync",
    request_body = AllotRequest,
    responses((status = 200, description = "the stock allotment granted to this device"), (status = 400, description = "stock_exhausted and other rule refusals"),
        (status = 404, description = "no such product", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn allot(
    State(st): State<AppState>,
    Extension(DeviceId(device)): Extension<DeviceId>,
    ApiJson(req): ApiJson<AllotRequest>,
) -> Result<Json<Allotment>> {
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

#[utoipa::path(post, path = "/v1/sync/refunds", tag = "sync",
    request_body = wicket_protocol::RefundRequest,
    responses((status = 201, description = "the refund (wicket_domain::Refund), given back at this device"),
        (status = 400, description = "already_refunded, not_in_order and other rule refusals", body = ErrorBody),
        (status = 404, description = "no such order", body = ErrorBody)),
    security(("bearer" = [])))]
/// A refund of an order another device sold, asked for online at this device.
pub async fn refund(
    State(st): State<AppState>,
    Extension(DeviceId(device)): Extension<DeviceId>,
    ApiJson(req): ApiJson<wicket_protocol::RefundRequest>,
) -> Result<(axum::http::StatusCode, Json<wicket_domain::Refund>)> {
    let r = st.store.device_refund(device, req).await?;
    tracing::info!(%device, order = %r.order_number, amount = %r.amount, "online refund");
    Ok((axum::http::StatusCode::CREATED, Json(r)))
}

#[utoipa::path(post, path = "/v1/sync/allotments/{id}/release", tag = "sync", params(("id" = Uuid, Path)),
    responses((status = 200, description = "units returned to stock (wicket_protocol::ReleaseResponse)")),
    security(("bearer" = [])))]
pub async fn release(
    State(st): State<AppState>,
    Extension(DeviceId(device)): Extension<DeviceId>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ReleaseResponse>> {
    let returned_units = st.store.release_allotment(device, id).await?;
    Ok(Json(ReleaseResponse {
        allotment_id: id,
        returned_units,
    }))
}

/// `PATCH /v1/devices/{id}`: a new name for the device.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePatch {
    pub name: String,
}

#[utoipa::path(patch, path = "/v1/devices/{id}", tag = "sync", params(("id" = Uuid, Path)),
    request_body = DevicePatch,
    responses((status = 204, description = "renamed"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rename_device(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<DevicePatch>,
) -> Result<axum::http::StatusCode> {
    st.store.rename_device(id, req.name, None).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/devices/{id}/revoke", tag = "sync", params(("id" = Uuid, Path)),    responses((status = 204, description = "revoked: its credential fails at once, other devices distrust its key on their next pull"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_device(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<axum::http::StatusCode> {
    st.store.revoke_device(id, None).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `GET /v1/audit?since=&limit=`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Unix seconds; entries at or after it (default: all).
    pub since: Option<i64>,
    /// 1..=1000 (default 100).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/audit", tag = "sync", params(AuditQuery),
    responses((status = 200, body = Vec<crate::storage::AuditEntry>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit_log(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<crate::storage::AuditEntry>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(crate::api::extract::invalid("limit", "must be 1..=1000"));
    }
    Ok(Json(st.store.audit_log(q.since.unwrap_or(0), limit).await?))
}

/// The (method, path) of every route below, for the OpenAPI check.
pub const SYNC_ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/devices/enrollment-codes"),
    ("post", "/v1/devices/enroll"),
    ("post", "/v1/devices/{id}/revoke"),
    ("patch", "/v1/devices/{id}"),
    ("post", "/v1/staff"),
    ("get", "/v1/staff"),
    ("patch", "/v1/staff/{id}"),
    ("get", "/v1/audit"),
    ("post", "/v1/sync/push"),
    ("get", "/v1/sync/pull"),
    ("post", "/v1/sync/allotments"),
    ("post", "/v1/sync/allotments/{id}/release"),
    ("post", "/v1/sync/refunds"),
    ("post", "/v1/sync/staff-token"),
];

/// The sync and enrollment routes, with gzip both ways. Each group checks its
/// credential in a route layer, before extractors read the body.
pub fn routes(state: AppState) -> Router {
    let device = Router::new()
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/allotments", post(allot))
        .route("/v1/sync/allotments/{id}/release", post(release))
        .route("/v1/sync/refunds", post(refund))
        .route("/v1/sync/staff-token", post(crate::staff_api::staff_token))
        .route_layer(middleware::from_fn_with_state(state.clone(), device_auth));
    let admin = Router::new()
        .route("/v1/devices/enrollment-codes", post(create_enrollment_code))
        .route("/v1/devices/{id}/revoke", post(revoke_device))
        .route("/v1/devices/{id}", patch(rename_device))
        .route(
            "/v1/staff",
            post(create_staff).get(crate::staff_api::list_staff),
        )
        .route("/v1/staff/{id}", patch(crate::staff_api::update_staff))
        .route("/v1/audit", get(audit_log))
        .route_layer(middleware::from_fn_with_state(state.clone(), admin_auth));
    Router::new()
        .route("/v1/devices/enroll", post(enroll))
        .merge(device)
        .merge(admin)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            SYNC_BODY_LIMIT,
        ))
        .layer(RequestDecompressionLayer::new())
        // Fastest: a pull page is large and repetitive; speed matters more than ratio.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .with_state(state)
}
