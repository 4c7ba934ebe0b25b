//! Box-office sales and the PERS-style reward catalog.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::extract::*;
use crate::error::{Error, ErrorBody, Result};
use crate::model::*;
use crate::store::{RewardFilter, SaleRequest};

// --- sales

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    pub page: Option<i64>,
    pub limit: Option<i64>,
    pub product_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/v1/sales", tag = "sales", request_body = SaleBody,
    responses((status = 201, body = SaleOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_sale(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<SaleBody>,
) -> Result<(StatusCode, Json<SaleOut>)> {
    let buyer = user_key(b.buyer_email, b.buyer_user_id, "buyer_email")?;
    let req = SaleRequest {
        product_id: b.product_id,
        quantity: b.quantity,
        buyer,
        buyer_first_name: b.buyer_first_name,
        buyer_last_name: b.buyer_last_name,
        currency: b.currency,
        payment_method: b.payment_method,
        device_id: b.device_id,
    };
    Ok((StatusCode::CREATED, Json(st.store.create_sale(req).await?)))
}

#[utoipa::path(get, path = "/v1/sales", tag = "sales", params(SalesQuery),
    responses((status = 200, body = Page<SaleOut>)), security(("bearer" = [])))]
pub async fn list_sales(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> Result<Json<Page<SaleOut>>> {
    Ok(Json(
        st.store
            .list_sales(q.product_id, page_req(q.page, q.limit)?)
            .await?,
    ))
}

// --- rewards

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RewardListQuery {
    /// Write keys only; read keys always see active offers only.
    pub active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedeemListQuery {
    pub user_id: Option<Uuid>,
    pub reward_id: Option<Uuid>,
    pub page: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(post, path = "/v1/rewards", tag = "rewards", request_body = RewardBody,
    responses((status = 201, body = RewardOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_reward(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<RewardBody>,
) -> Result<(StatusCode, Json<RewardOut>)> {
    Ok((StatusCode::CREATED, Json(st.store.create_reward(b).await?)))
}

#[utoipa::path(put, path = "/v1/rewards/{id}", tag = "rewards", params(("id" = Uuid, Path)), request_body = RewardBody,
    responses((status = 200, body = RewardOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn replace_reward(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RewardBody>,
) -> Result<Json<RewardOut>> {
    Ok(Json(st.store.replace_reward(id, b).await?))
}

#[utoipa::path(delete, path = "/v1/rewards/{id}", tag = "rewards", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_reward(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    st.store.delete_reward(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/rewards", tag = "rewards", params(RewardListQuery),
    responses((status = 200, body = Vec<RewardOut>)), security(("bearer" = [])))]
pub async fn list_rewards(
    State(st): State<AppState>,
    Extension(scope): Extension<Scope>,
    ApiQuery(q): ApiQuery<RewardListQuery>,
) -> Result<Json<Vec<RewardOut>>> {
    let active = match scope {
        Scope::Read | Scope::Project => Some(true),
        Scope::Write => q.active,
    };
    Ok(Json(st.store.list_rewards(RewardFilter { active }).await?))
}

#[utoipa::path(get, path = "/v1/rewards/redeems", tag = "rewards", params(RedeemListQuery),
    responses((status = 200, body = Page<RedeemOut>)), security(("bearer" = [])))]
pub async fn list_reward_redeems(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<RedeemListQuery>,
) -> Result<Json<Page<RedeemOut>>> {
    Ok(Json(
        st.store
            .list_reward_redeems(q.user_id, q.reward_id, page_req(q.page, q.limit)?)
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/rewards/{id}", tag = "rewards", params(("id" = Uuid, Path)),
    responses((status = 200, body = RewardOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_reward(
    State(st): State<AppState>,
    Extension(scope): Extension<Scope>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RewardOut>> {
    let r = st.store.get_reward(id).await?;
    // Read keys see the public catalog only.
    if scope != Scope::Write && !r.active {
        return Err(Error::not_found(format!("reward {id}")));
    }
    Ok(Json(r))
}

#[utoipa::path(get, path = "/v1/rewards/{id}/supply", tag = "rewards", params(("id" = Uuid, Path)),
    responses((status = 200, body = SupplyOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reward_supply(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SupplyOut>> {
    Ok(Json(st.store.get_reward(id).await?.supply))
}

#[utoipa::path(put, path = "/v1/rewards/{id}/status", tag = "rewards", params(("id" = Uuid, Path)),
    responses((status = 200, body = RewardOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn toggle_reward(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RewardOut>> {
    Ok(Json(st.store.toggle_reward(id).await?))
}

#[utoipa::path(post, path = "/v1/rewards/{id}/redeem", tag = "rewards", params(("id" = Uuid, Path)),
    request_body = RewardRedeemBody,
    responses((status = 201, body = RedeemOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn redeem_reward(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RewardRedeemBody>,
) -> Result<(StatusCode, Json<RedeemOut>)> {
    let user = user_key(b.email, b.user_id, "email")?;
    Ok((
        StatusCode::CREATED,
        Json(st.store.redeem_reward(id, user, b.country).await?),
    ))
}
