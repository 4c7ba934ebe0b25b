//! Refunds of box-office orders and the devices' cash drawer sessions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use wicket_domain::Refund;

use super::extract::*;
use crate::error::{ErrorBody, Result};
use crate::usecase::refund::RefundInput;

/// `POST /v1/sales/{order_number}/refund`: name no items to refund all that are left.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Why (kept with the refund, 1-500 characters).
    pub reason: String,
    /// Items by the number printed on the ticket.
    #[serde(default)]
    pub items: Vec<u64>,
    /// Items by uuid.
    #[serde(default)]
    pub item_ids: Vec<Uuid>,
}

/// A refund: money back by the order's payment method, its items revoked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundOut {
    pub id: Uuid,
    pub sale_id: Uuid,
    pub order_number: String,
    pub product_id: Uuid,
    pub item_ids: Vec<Uuid>,
    pub amount: String,
    pub currency: String,
    pub payment_method: String,
    /// A split order's refund parts: `[{method, amount}]` (card first).
    #[schema(value_type = Vec<Object>)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<wicket_domain::Payment>,
    pub reason: String,
    pub device_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub refunded_at: i64,
}

impl From<Refund> for RefundOut {
    fn from(r: Refund) -> Self {
        RefundOut {
            id: r.id,
            sale_id: r.sale_id,
            order_number: r.order_number,
            product_id: r.product_id,
            item_ids: r.item_ids,
            amount: r.amount.to_string(),
            currency: r.currency,
            payment_method: r.payment_method.as_str().to_string(),
            payments: r.payments,
            reason: r.reason,
            device_id: r.device_id,
            staff_id: r.staff_id,
            refunded_at: r.created_at,
        }
    }
}

#[utoipa::path(post, path = "/v1/sales/{order_number}/refund", tag = "sales",
    params(("order_number" = String, Path, description = "Order number or sale id")),
    request_body = RefundBody,
    responses((status = 201, body = RefundOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
/// Refund a whole order, or some of its items, back to its payment method.
pub async fn refund_sale(
    State(st): State<AppState>,
    ApiPath(order): ApiPath<String>,
    ApiJson(b): ApiJson<RefundBody>,
) -> Result<(StatusCode, Json<RefundOut>)> {
    let req = RefundInput {
        order,
        item_ids: b.item_ids,
        item_numbers: b.items,
        reason: b.reason,
        staff_id: None,
        device_id: None,
    };
    Ok((
        StatusCode::CREATED,
        Json(st.store.refund_sale(req).await?.into()),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    /// Only this device's sessions.
    pub device_id: Option<Uuid>,
    /// At most this many, newest first (default 50, at most 500).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/cash-sessions", tag = "sales", params(SessionsQuery),
    responses((status = 200, description = "`{items}`: cash drawer sessions, newest first, each with its X (open) or Z (closed) report: sales and refunds by payment method, tickets by product, expected_cash, counted, over_short", body = Object)),
    security(("bearer" = [])))]
/// Every device's cash drawer sessions with their reports.
pub async fn list_sessions(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<SessionsQuery>,
) -> Result<Json<serde_json::Value>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let list = st.store.cash_sessions(q.device_id, limit).await?;
    Ok(Json(serde_json::json!({ "items": list })))
}
