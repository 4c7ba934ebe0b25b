//! Zones: set up at head office, pulled by every door; a gate in a zone admits only
//! that zone's products (`wrong_zone` otherwise).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::extract::*;
use crate::error::{ErrorBody, Result};
use crate::model::*;

#[utoipa::path(post, path = "/v1/zones", tag = "zones", request_body = ZoneBody,
    responses((status = 201, body = ZoneOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_zone(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<ZoneBody>,
) -> Result<(StatusCode, Json<ZoneOut>)> {
    Ok((StatusCode::CREATED, Json(st.store.create_zone(b).await?)))
}

#[utoipa::path(get, path = "/v1/zones", tag = "zones",
    responses((status = 200, body = Vec<ZoneOut>)), security(("bearer" = [])))]
pub async fn list_zones(State(st): State<AppState>) -> Result<Json<Vec<ZoneOut>>> {
    Ok(Json(st.store.list_zones().await?))
}

#[utoipa::path(delete, path = "/v1/zones/{id}", tag = "zones", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_zone(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    st.store.delete_zone(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
