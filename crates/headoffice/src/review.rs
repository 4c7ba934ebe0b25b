//! What happened, for support and checks (read key): an item's redemption history,
//! the sync conflicts and rejected ops, and per-device sync state.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use uuid::Uuid;
use wicket_protocol::{DeviceSyncState, RedemptionHistoryEntry};

use crate::api::extract::{ApiPath, ApiQuery, AppState};
use crate::error::Result;

/// A conflict or a rejected op, as the protocol defines it.
pub use wicket_protocol::SyncIssue;

#[derive(Debug, Deserialize)]
pub struct LimitQuery {
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/items/{id}/redemptions", tag = "review", params(("id" = Uuid, Path)),
    responses((status = 200, description = "every scan of the item, oldest first: when, gate, device, staff, conflict and pending flags")),
    security(("bearer" = [])))]
pub async fn item_redemptions(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<RedemptionHistoryEntry>>> {
    Ok(Json(st.store.item_redemptions(id).await?))
}

#[utoipa::path(get, path = "/v1/sync/conflicts", tag = "review",
    params(("limit" = Option<u32>, Query, description = "at most this many, newest first (default 500)")),
    responses((status = 200, description = "sync conflicts and rejected ops with their codes")),
    security(("bearer" = [])))]
pub async fn sync_conflicts(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> Result<Json<Vec<SyncIssue>>> {
    let limit = q.limit.unwrap_or(500).clamp(1, 10_000);
    Ok(Json(st.store.sync_conflicts(limit).await?))
}

#[utoipa::path(get, path = "/v1/sync/devices", tag = "review",
    responses((status = 200, description = "per device: last push, last pull and cursor, ops applied / duplicate / conflict / rejected")),
    security(("bearer" = [])))]
pub async fn device_states(State(st): State<AppState>) -> Result<Json<Vec<DeviceSyncState>>> {
    Ok(Json(st.store.device_states().await?))
}
