//! What happened, for support and checks (read key): an item's redemption history,
//! the sync conflicts and rejected ops, and per-device sync state.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_protocol::{DeviceSyncState, RedemptionHistoryEntry};

use crate::api::extract::{ApiPath, ApiQuery, AppState};
use crate::error::Result;

/// A conflict (a fact kept for review) or a rejected op (refused, nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncIssue {
    pub id: Uuid,
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub kind: String,
    pub item: Option<Uuid>,
    pub code: String,
    pub detail: String,
    pub at: i64,
    /// `conflict` or `rejected`.
    pub source: String,
}

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
