//! Products and their order rules (MUFI products with W3Block admin features).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wicket_domain::ProductInput;

use super::extract::*;
use crate::error::{ErrorBody, Result};
use crate::model::*;
use crate::sql::companies::DEFAULT_COMPANY;

// --- products

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    pub page: Option<i64>,
    pub limit: Option<i64>,
    /// Case-insensitive text in name, description or slug.
    pub search: Option<String>,
    /// createdAt | updatedAt | name | price | startSaleAt | endSaleAt | status; a
    /// leading `-` sorts descending.
    pub sort: Option<String>,
    /// ASC | DESC
    #[serde(rename = "orderBy")]
    pub order_by: Option<String>,
    /// Comma-separated; a product matches if it has any of them.
    pub tags: Option<String>,
    /// draft | published
    pub status: Option<String>,
}

#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = ProductCreateDoc,
    responses((status = 201, body = ProductOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_product(
    State(st): State<AppState>,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<(StatusCode, Json<ProductOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.store
                .create_product(DEFAULT_COMPANY, input, Default::default())
                .await?,
        ),
    ))
}

#[utoipa::path(post, path = "/v1/products/create", tag = "products", request_body = ProductCreateDoc,
    responses((status = 201, body = ProductOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
/// The legacy MUFI path of `POST /v1/products`.
pub async fn legacy_create_product(
    st: State<AppState>,
    ApiJson(mut input): ApiJson<ProductInput>,
) -> Result<(StatusCode, Json<ProductOut>)> {
    // The legacy docs had one product type, a redeemable item: a perk today.
    if input.product_type.as_deref() == Some("redeemable_item") {
        input.product_type = Some("perks".into());
    }
    create_product(st, ApiJson(input)).await
}

#[utoipa::path(get, path = "/v1/products", tag = "products", params(ProductListQuery),
    responses((status = 200, body = Page<ProductOut>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_products(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ProductListQuery>,
) -> Result<Json<Page<ProductOut>>> {
    let page = page_req(q.page, q.limit)?;
    let (sort, mut descending) = match q.sort.as_deref().map(str::trim) {
        None | Some("") => (ProductSort::CreatedAt, false),
        Some(s) => {
            let (desc, name) = match s.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, s),
            };
            let sort = match name {
                "createdAt" | "created_at" => ProductSort::CreatedAt,
                "updatedAt" | "updated_at" => ProductSort::UpdatedAt,
                "name" => ProductSort::Name,
                "price" => ProductSort::Price,
                "startSaleAt" | "start_sale_at" => ProductSort::StartSaleAt,
                "endSaleAt" | "end_sale_at" => ProductSort::EndSaleAt,
                "status" => ProductSort::Status,
                other => return Err(invalid("sort", format!("unknown sort key {other:?}"))),
            };
            (sort, desc)
        }
    };
    match q
        .order_by
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => {}
        Some("ASC") => descending = false,
        Some("DESC") => descending = true,
        Some(_) => return Err(invalid("orderBy", "must be ASC or DESC")),
    }
    if let Some(s) = &q.status
        && wicket_domain::ProductStatus::parse(s).is_none()
    {
        return Err(invalid("status", "must be draft or published"));
    }
    let tags = q
        .tags
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let query = ProductQuery {
        company: Some(DEFAULT_COMPANY),
        search: q.search,
        sort,
        descending,
        tags,
        statuses: q.status.into_iter().collect(),
        price_currency: None,
    };
    Ok(Json(st.store.list_products(query, page).await?))
}

#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProductOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_product(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ProductOut>> {
    Ok(Json(st.store.get_product(id).await?))
}

#[utoipa::path(get, path = "/v1/products/slug/{slug}", tag = "products", params(("slug" = String, Path)),
    responses((status = 200, body = ProductOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn product_by_slug(
    State(st): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<ProductOut>> {
    Ok(Json(st.store.product_by_slug(DEFAULT_COMPANY, slug).await?))
}

#[utoipa::path(patch, path = "/v1/products/{id}", tag = "products", params(("id" = Uuid, Path)),
    request_body = ProductInputDoc,
    responses((status = 200, body = ProductOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_product(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<Json<ProductOut>> {
    Ok(Json(
        st.store
            .update_product(id, input, Default::default())
            .await?,
    ))
}

#[utoipa::path(patch, path = "/v1/products/{id}/publish", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProductOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn publish_product(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ProductOut>> {
    Ok(Json(st.store.publish_product(id).await?))
}

#[utoipa::path(get, path = "/v1/products/{id}/order-rules", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<OrderRuleOut>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_order_rules(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<OrderRuleOut>>> {
    Ok(Json(st.store.list_order_rules(id).await?))
}

#[utoipa::path(post, path = "/v1/products/{id}/order-rules", tag = "products", params(("id" = Uuid, Path)),
    request_body = OrderRuleBody,
    responses((status = 201, body = OrderRuleOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_order_rule(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<OrderRuleBody>,
) -> Result<(StatusCode, Json<OrderRuleOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(st.store.add_order_rule(id, b).await?),
    ))
}

#[utoipa::path(delete, path = "/v1/products/{id}/order-rules/{rule_id}", tag = "products",
    params(("id" = Uuid, Path), ("rule_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_order_rule(
    State(st): State<AppState>,
    ApiPath((id, rule)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode> {
    st.store.delete_order_rule(id, rule).await?;
    Ok(StatusCode::NO_CONTENT)
}
