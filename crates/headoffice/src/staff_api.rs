//! Staff at head office over HTTP: signing in from an enrolled device
//! (`POST /v1/sync/staff-token`), the staff caller that management requests name
//! with the device credential plus [`STAFF_TOKEN_HEADER`], and staff upkeep
//! (`GET /v1/staff`, `PATCH /v1/staff/{id}`). Head office, not the app, decides:
//! every request through a token is held to the member's current role.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use uuid::Uuid;
use wicket_domain::{Action, DomainError, Role};
use wicket_protocol::{
    STAFF_TOKEN_HEADER, StaffListing, StaffPatch, StaffToken, StaffTokenRequest,
};

use crate::api::extract::{ApiJson, ApiPath, AppState};
use crate::error::{Error, ErrorBody, Result};
use crate::keys::hash_key;
use crate::sync::DeviceId;
use crate::usecase::staff::{SignIn, StaffChange, check_sign_in};

/// A signed-in staff member at an enrolled device, as a request's caller.
#[derive(Debug, Clone, Copy)]
pub struct StaffCaller {
    pub device: Uuid,
    pub staff: Uuid,
    pub role: Role,
}

/// The staff caller of a request that carries a staff token; `None` without one.
/// With one, the bearer must be the device credential it was issued to.
pub async fn staff_caller(st: &AppState, headers: &HeaderMap) -> Result<Option<StaffCaller>> {
    let Some(token) = headers.get(STAFF_TOKEN_HEADER) else {
        return Ok(None);
    };
    let token = token.to_str().map_err(|_| Error::Unauthorized)?.trim();
    let device = crate::sync::require_device(st, headers).await?;
    let (staff, role) = st
        .store
        .staff_for_token(device, hash_key(token))
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok(Some(StaffCaller {
        device,
        staff,
        role,
    }))
}

/// Hold a staff caller to `action`: 403 naming the role when it falls short.
pub fn require(caller: &StaffCaller, action: Action) -> Result<()> {
    caller
        .role
        .require(action)
        .map_err(|e| Error::NotAllowed(e.to_string()))
}

fn pin_matches(pin: &str, phc: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::password_hash::PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}

#[utoipa::path(post, path = "/v1/sync/staff-token", tag = "sync",
    request_body = StaffTokenRequest,
    responses((status = 200, description = "signed in at head office until expires_at", body = StaffToken),
        (status = 401, description = "bad_pin (also for an unknown or inactive member)", body = ErrorBody),
        (status = 429, description = "pin_locked: too many wrong PINs", body = ErrorBody)),
    security(("bearer" = [])))]
/// A staff member at this device signs in at head office with their PIN, for the
/// management screens.
pub async fn staff_token(
    State(st): State<AppState>,
    Extension(DeviceId(device)): Extension<DeviceId>,
    ApiJson(req): ApiJson<StaffTokenRequest>,
) -> Result<Json<StaffToken>> {
    wicket_domain::validate_pin(&req.pin).map_err(|_| Error::BadPin)?;
    let login = check_sign_in(
        st.store.staff_login(req.staff_id).await?,
        crate::sync::unix_now(),
    )?;
    let (pin, hash) = (req.pin.clone(), login.pin_hash.clone());
    let matched = tokio::task::spawn_blocking(move || pin_matches(&pin, &hash))
        .await
        .map_err(|e| Error::Storage(e.to_string()))?;
    match st
        .store
        .finish_staff_sign_in(device, login.id, login.pin_hash, matched)
        .await?
    {
        SignIn::Token(t) => {
            tracing::info!(%device, staff = %t.staff_id, role = t.role.as_str(), "staff signed in at head office");
            Ok(Json(t))
        }
        SignIn::Refused { locked_for } if locked_for > 0 => {
            tracing::warn!(%device, staff = %req.staff_id, locked_for, "wrong PINs: head office sign-in locked");
            Err(Error::PinLocked(locked_for))
        }
        SignIn::Refused { .. } => Err(Error::BadPin),
    }
}

#[utoipa::path(get, path = "/v1/staff", tag = "sync",
    responses((status = 200, body = Vec<StaffListing>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_staff(State(st): State<AppState>) -> Result<Json<Vec<StaffListing>>> {
    Ok(Json(st.store.list_staff().await?))
}

#[utoipa::path(patch, path = "/v1/staff/{id}", tag = "sync", params(("id" = Uuid, Path)),
    request_body = StaffPatch,
    responses((status = 200, body = StaffListing), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
/// Rename, change the role of, reset the PIN of, or (de)activate a staff member.
pub async fn update_staff(
    State(st): State<AppState>,
    caller: Option<Extension<StaffCaller>>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(p): ApiJson<StaffPatch>,
) -> Result<Json<StaffListing>> {
    let name = p
        .name
        .as_deref()
        .map(|n| wicket_domain::validate_name("name", n))
        .transpose()?;
    let role = p
        .role
        .as_deref()
        .map(|r| {
            Role::parse(r).ok_or_else(|| DomainError::InvalidField {
                field: "role",
                reason: "door, box_office, manager or admin".into(),
            })
        })
        .transpose()?;
    if role.is_some() || p.pin.is_some() {
        let login = st
            .store
            .staff_login(id)
            .await?
            .ok_or_else(|| Error::not_found(format!("staff member {id}")))?;
        wicket_domain::check_staff_change(login.role, role, p.pin.as_deref())?;
    }
    let pin_hash = match p.pin.clone() {
        Some(pin) => Some(
            tokio::task::spawn_blocking(move || crate::sync::hash_pin(&pin))
                .await
                .map_err(|e| Error::Storage(e.to_string()))??,
        ),
        None => None,
    };
    let change = StaffChange {
        name,
        role,
        pin_hash,
        active: p.active,
    };
    let by = caller.map(|Extension(c)| c.staff);
    Ok(Json(st.store.update_staff(id, change, by).await?))
}
