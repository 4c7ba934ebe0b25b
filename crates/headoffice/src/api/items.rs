//! Items: issue, list, read, redeem, transfer, claim codes and claims, tickets.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::extract::*;
use crate::error::{Error, ErrorBody, Result};
use crate::model::*;

// --- items

#[utoipa::path(post, path = "/v1/products/{id}/items", tag = "items", params(("id" = Uuid, Path)),
    request_body = IssueBody,
    responses((status = 201, body = ItemsOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn issue_items(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<IssueBody>,
) -> Result<(StatusCode, Json<ItemsOut>)> {
    if b.product_id.is_some_and(|p| p != id) {
        return Err(invalid(
            "product_id",
            "does not match the product in the path",
        ));
    }
    let items = st
        .store
        .issue_items(
            id,
            b.users.unwrap_or_default(),
            b.emails.unwrap_or_default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ItemsOut { items })))
}

#[utoipa::path(get, path = "/v1/products/{id}/items", tag = "items", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<ItemOut>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn product_items(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<ItemOut>>> {
    Ok(Json(
        st.store
            .product_items(id, page_req(q.page, q.limit)?)
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/products/{id}/items/{item_id}/ticket", tag = "items",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path, description = "The item's uuid")),
    responses((status = 200, body = TicketOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
/// The item's ticket: a token signed by head office's key (which every enrolled
/// device trusts), and its QR code as SVG.
pub async fn item_ticket(
    State(st): State<AppState>,
    ApiPath((id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<TicketOut>> {
    Ok(Json(ticket_of(&st, id, item_id).await?))
}

/// An item's signed token and its QR: the one path the API and the public claim
/// page (`crate::claim_page`) both take, so both show the same ticket.
pub(crate) async fn ticket_of(st: &AppState, product: Uuid, item: Uuid) -> Result<TicketOut> {
    let token = st.store.item_ticket(product, item).await?;
    let svg = wicket_ticket::render_svg(&token)
        .map_err(|e| Error::Storage(format!("rendering the QR: {e}")))?;
    Ok(TicketOut { token, svg })
}

#[utoipa::path(get, path = "/v1/items/{id}", tag = "items", params(("id" = Uuid, Path)),
    responses((status = 200, body = ItemOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_item(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ItemOut>> {
    Ok(Json(st.store.get_item(id).await?))
}

#[utoipa::path(post, path = "/v1/products/{id}/items/redeem", tag = "items", params(("id" = Uuid, Path)),
    request_body = RedeemBody,
    responses((status = 200, body = ItemOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn redeem_item(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RedeemBody>,
) -> Result<Json<ItemOut>> {
    Ok(Json(st.store.redeem_item(id, b.product_item_id).await?))
}

#[utoipa::path(post, path = "/v1/products/{id}/transfer", tag = "items", params(("id" = Uuid, Path)),
    request_body = TransferBody,
    responses((status = 200, body = TransferOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn transfer_item(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<TransferBody>,
) -> Result<Json<TransferOut>> {
    let sender = user_key(b.sender_email, b.sender_user_id, "sender_email")?;
    let recipient = user_key(b.recipient_email, b.recipient_user_id, "recipient_email")?;
    Ok(Json(
        st.store
            .transfer_item(id, b.product_item_id, sender, recipient)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/products/{id}/claim-codes", tag = "items", params(("id" = Uuid, Path)),
    request_body = ClaimCodesBody,
    responses((status = 201, body = ClaimCodesOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_claim_codes(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ClaimCodesBody>,
) -> Result<(StatusCode, Json<ClaimCodesOut>)> {
    let codes = st.store.create_claim_codes(id, b.count).await?;
    let base = st.public_url.trim_end_matches('/');
    let codes = codes
        .into_iter()
        .map(|code| ClaimCodeOut {
            code,
            url: format!("{base}/claim/{code}"),
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(ClaimCodesOut {
            product_id: id,
            codes,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/claim", tag = "items", request_body = ClaimBody,
    responses((status = 201, body = ItemOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn claim(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<ClaimBody>,
) -> Result<(StatusCode, Json<ItemOut>)> {
    let text = b
        .code
        .or(b.url)
        .ok_or_else(|| invalid("code", "code or url is required"))?;
    let code = wicket_domain::parse_claim_code(&text)?;
    let user = user_key(b.email, b.user_id, "email")?;
    Ok((StatusCode::CREATED, Json(st.store.claim(code, user).await?)))
}

// --- legacy MUFI paths: the same handlers under the public docs' older routes

#[utoipa::path(post, path = "/v1/products/items/create", tag = "items", request_body = IssueBody,
    responses((status = 201, body = ItemsOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn legacy_issue_items(
    st: State<AppState>,
    ApiJson(b): ApiJson<IssueBody>,
) -> Result<(StatusCode, Json<ItemsOut>)> {
    let product = b
        .product_id
        .ok_or_else(|| invalid("product_id", "is required"))?;
    issue_items(st, ApiPath(product), ApiJson(b)).await
}

#[utoipa::path(post, path = "/v1/products/items/redeem", tag = "items", request_body = LegacyRedeemBody,
    responses((status = 200, body = ItemOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn legacy_redeem_item(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<LegacyRedeemBody>,
) -> Result<Json<ItemOut>> {
    let product = match b.product_id {
        Some(p) => p,
        None => st.store.get_item(b.product_item_id).await?.product_id,
    };
    Ok(Json(
        st.store.redeem_item(product, b.product_item_id).await?,
    ))
}
