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

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Count scans at or after this unix time (default: all).
    pub since: Option<i64>,
}

#[utoipa::path(get, path = "/v1/door/stats", tag = "zones", params(StatsQuery),
    responses((status = 200, description = "Live door numbers: admitted, reentries, exits, inside_now, by_gate, by_zone, by_product, quarter_hours", body = Object)),
    security(("bearer" = [])))]
/// Live door numbers from every device's pushed scans and passages.
pub async fn door_stats(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<serde_json::Value>> {
    let stats = st.store.door_stats(q.since.unwrap_or(0)).await?;
    Ok(Json(serde_json::to_value(stats)?))
}
