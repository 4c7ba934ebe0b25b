//! Events, users (with balances and ledger) and status tiers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;
use wicket_domain::EventInput;

use super::extract::*;
use crate::error::{ErrorBody, Result};
use crate::model::*;
use crate::store::EventKey;

// --- events

#[utoipa::path(post, path = "/v1/events/create", tag = "events", request_body = EventCreateBody,
    responses((status = 201, body = EventOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_event(
    State(st): State<AppState>,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<(StatusCode, Json<EventOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(st.store.create_event(input).await?),
    ))
}

#[utoipa::path(put, path = "/v1/events/update", tag = "events", request_body = EventUpdateBody,
    responses((status = 201, body = EventOut, description = "Created. (MUFI answers an update with 201)"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_event(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<EventUpdateBody>,
) -> Result<(StatusCode, Json<EventOut>)> {
    // With an id, reference_id is a new value; without one, it names the event.
    let (key, new_ref) = match (b.id, b.reference_id) {
        (Some(id), r) => (EventKey::Id(id), r),
        (None, Some(r)) => (EventKey::Reference(r), None),
        (None, None) => return Err(invalid("id", "id or reference_id is required")),
    };
    let input = EventInput {
        name: b.name,
        start_date: b.start_date,
        end_date: b.end_date,
        location: b.location,
        address: b.address,
        description: b.description,
        reference_id: new_ref,
    };
    Ok((
        StatusCode::CREATED,
        Json(st.store.update_event(key, input).await?),
    ))
}

#[utoipa::path(get, path = "/v1/events", tag = "events", params(PageQuery),
    responses((status = 200, body = Page<EventOut>)), security(("bearer" = [])))]
pub async fn list_events(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<EventOut>>> {
    Ok(Json(
        st.store.list_events(page_req(q.page, q.limit)?).await?,
    ))
}

#[utoipa::path(get, path = "/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "event id or reference_id")),
    responses((status = 200, body = EventOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_event(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EventOut>> {
    Ok(Json(st.store.get_event(EventKey::Either(id)).await?))
}

#[utoipa::path(delete, path = "/v1/events/{id}", tag = "events", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_event(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    st.store.delete_event(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- users

#[utoipa::path(post, path = "/v1/users/create", tag = "users", request_body = Vec<NewUserBody>,
    responses((status = 201, body = UsersCreated), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_users(
    State(st): State<AppState>,
    ApiJson(users): ApiJson<Vec<NewUserBody>>,
) -> Result<(StatusCode, Json<UsersCreated>)> {
    let users = st.store.create_users(users).await?;
    Ok((
        StatusCode::CREATED,
        Json(UsersCreated {
            message: format!("{} users created", users.len()),
            users,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/users/fetch", tag = "users", request_body = FetchUsersBody,
    responses((status = 200, body = UsersPage)), security(("bearer" = [])))]
pub async fn fetch_users(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<FetchUsersBody>,
) -> Result<Json<UsersPage>> {
    let limit = b.limit.unwrap_or(10);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit", "must be 1..=1000"));
    }
    let offset = b.offset.unwrap_or(0);
    if offset < 0 {
        return Err(invalid("offset", "must be >= 0"));
    }
    Ok(Json(
        st.store.fetch_users(limit as u32, offset as u64).await?,
    ))
}

#[utoipa::path(post, path = "/v1/users/profile", tag = "users", request_body = UserRequestBody,
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn user_profile(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<UserRequestBody>,
) -> Result<Json<UserOut>> {
    let key = match (b.email, b.reference_id, b.id) {
        (Some(e), _, _) => UserKey::Email(wicket_domain::normalize_email(&e)?),
        (None, Some(r), _) => UserKey::Reference(r),
        (None, None, Some(id)) => UserKey::Id(id),
        _ => return Err(invalid("id", "one of email, referenceId or id is required")),
    };
    Ok(Json(st.store.get_user(key).await?))
}

#[utoipa::path(get, path = "/v1/users/{id}/balances", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = BalancesOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_balances(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<BalancesOut>> {
    Ok(Json(st.store.balances(id).await?))
}

#[utoipa::path(post, path = "/v1/users/{id}/balances/adjust", tag = "users", params(("id" = Uuid, Path)),
    request_body = AdjustBody,
    responses((status = 200, body = BalancesOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn adjust_balance(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<AdjustBody>,
) -> Result<Json<BalancesOut>> {
    Ok(Json(st.store.adjust_balance(id, b).await?))
}

#[utoipa::path(get, path = "/v1/users/{id}/ledger", tag = "users", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<LedgerEntryOut>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_ledger(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<LedgerEntryOut>>> {
    Ok(Json(st.store.ledger(id, page_req(q.page, q.limit)?).await?))
}

#[utoipa::path(get, path = "/v1/users/{id}/items", tag = "items", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<ItemOut>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn user_items(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<ItemOut>>> {
    Ok(Json(
        st.store.user_items(id, page_req(q.page, q.limit)?).await?,
    ))
}

#[utoipa::path(post, path = "/v1/status-tiers", tag = "users", request_body = TierBody,
    responses((status = 201, body = TierOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_tier(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<TierBody>,
) -> Result<(StatusCode, Json<TierOut>)> {
    Ok((StatusCode::CREATED, Json(st.store.create_tier(b).await?)))
}

#[utoipa::path(get, path = "/v1/status-tiers", tag = "users",
    responses((status = 200, body = Vec<TierOut>)), security(("bearer" = [])))]
pub async fn list_tiers(State(st): State<AppState>) -> Result<Json<Vec<TierOut>>> {
    Ok(Json(st.store.list_tiers().await?))
}
