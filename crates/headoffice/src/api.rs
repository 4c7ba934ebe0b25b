//! The HTTP surface: routing, API-key auth, parsing of paths/queries/bodies into store
//! calls. Handlers hold no business rules; they translate HTTP to [`Store`] calls.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wicket_domain::{DomainError, EventInput, ProductInput};

use crate::error::{Error, ErrorBody, Result};
use crate::keys::hash_key;
use crate::model::*;
use crate::store::{EventKey, RewardFilter, SaleRequest, Store};

/// Shared state of every handler: the store, behind the trait.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

// ------------------------------------------------------------------ extractors

/// JSON body whose rejections become `400 {"errors": [...]}` instead of plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct ApiJson<T>(pub T);

/// Query string with the same error envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

/// Path parameters with the same error envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

// ------------------------------------------------------------------ auth

/// POST endpoints that only read (MUFI queries users through POST).
const READ_ONLY_POSTS: &[&str] = &["/v1/users/fetch", "/v1/users/profile"];

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if let Some(k) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
        {
            return Some(k.trim());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

async fn auth(State(st): State<AppState>, mut req: Request, next: Next) -> Result<Response> {
    let key = presented_key(req.headers())
        .filter(|k| !k.is_empty())
        .ok_or(Error::Unauthorized)?;
    let scope = st
        .store
        .key_scope(hash_key(key))
        .await?
        .ok_or(Error::Unauthorized)?;
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !READ_ONLY_POSTS.contains(&req.uri().path());
    if writes && scope != Scope::Write {
        return Err(Error::Forbidden);
    }
    req.extensions_mut().insert(scope);
    Ok(next.run(req).await)
}

// ------------------------------------------------------------------ routing

/// The router plus the list of (method, path) it serves, so a test can hold the
/// OpenAPI document to every route.
pub struct Routes {
    router: Router<AppState>,
    served: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn add(mut self, method: &'static str, path: &'static str, h: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, h);
        self.served.push((method, path));
        self
    }
}

macro_rules! routes {
    ($($m:ident $p:literal => $h:path),* $(,)?) => {{
        let r = Routes { router: Router::new(), served: Vec::new() };
        $( let r = r.add(stringify!($m), $p, axum::routing::$m($h)); )*
        r
    }};
}

fn v1_routes() -> Routes {
    routes! {
        get "/v1/version" => version,
        post "/v1/events/create" => create_event,
        put "/v1/events/update" => update_event,
        get "/v1/events" => list_events,
        get "/v1/events/{id}" => get_event,
        delete "/v1/events/{id}" => delete_event,
        post "/v1/users/create" => create_users,
        post "/v1/users/fetch" => fetch_users,
        post "/v1/users/profile" => user_profile,
        get "/v1/users/{id}/balances" => get_balances,
        post "/v1/users/{id}/balances/adjust" => adjust_balance,
        get "/v1/users/{id}/ledger" => get_ledger,
        get "/v1/users/{id}/items" => user_items,
        post "/v1/status-tiers" => create_tier,
        get "/v1/status-tiers" => list_tiers,
        post "/v1/products" => create_product,
        get "/v1/products" => list_products,
        get "/v1/products/slug/{slug}" => product_by_slug,
        get "/v1/products/{id}" => get_product,
        patch "/v1/products/{id}" => update_product,
        patch "/v1/products/{id}/publish" => publish_product,
        get "/v1/products/{id}/order-rules" => list_order_rules,
        post "/v1/products/{id}/order-rules" => add_order_rule,
        delete "/v1/products/{id}/order-rules/{rule_id}" => delete_order_rule,
        post "/v1/products/{id}/items" => issue_items,
        get "/v1/products/{id}/items" => product_items,
        post "/v1/products/{id}/items/redeem" => redeem_item,
        post "/v1/products/{id}/transfer" => transfer_item,
        post "/v1/products/{id}/claim-codes" => create_claim_codes,
        post "/v1/claim" => claim,
        get "/v1/products/{id}/items/{item_id}/ticket" => item_ticket,
        get "/v1/items/{id}" => get_item,
        get "/v1/items/{id}/redemptions" => crate::review::item_redemptions,
        get "/v1/sync/conflicts" => crate::review::sync_conflicts,
        get "/v1/sync/devices" => crate::review::device_states,
        post "/v1/sales" => create_sale,
        get "/v1/sales" => list_sales,
        post "/v1/rewards" => create_reward,
        get "/v1/rewards" => list_rewards,
        get "/v1/rewards/redeems" => list_reward_redeems,
        get "/v1/rewards/{id}" => get_reward,
        put "/v1/rewards/{id}" => replace_reward,
        delete "/v1/rewards/{id}" => delete_reward,
        get "/v1/rewards/{id}/supply" => reward_supply,
        put "/v1/rewards/{id}/status" => toggle_reward,
        post "/v1/rewards/{id}/redeem" => redeem_reward,
    }
}

/// Every (method, path) the server answers, `/openapi.json` included.
pub fn served_routes() -> Vec<(&'static str, &'static str)> {
    let mut v = v1_routes().served;
    v.push(("get", "/openapi.json"));
    v
}

/// The whole application: `/v1` behind API-key auth, `/openapi.json` public.
pub fn router(state: AppState) -> Router {
    let v1 = v1_routes()
        .router
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    v1.route("/openapi.json", axum::routing::get(openapi_json))
        .fallback(fallback)
        .with_state(state)
}

async fn fallback() -> Error {
    Error::NotFound("no such route".into())
}

// ------------------------------------------------------------------ parsing helpers

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-indexed page (default 1).
    pub page: Option<i64>,
    /// Page size 1..=100 (default 10).
    pub limit: Option<i64>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Domain(DomainError::InvalidField {
        field,
        reason: reason.into(),
    })
}

fn page_req(page: Option<i64>, limit: Option<i64>) -> Result<PageReq> {
    let page = page.unwrap_or(1);
    let limit = limit.unwrap_or(10);
    if !(1..=1_000_000).contains(&page) {
        return Err(invalid("page", "must be >= 1"));
    }
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "must be 1..=100"));
    }
    Ok(PageReq {
        page: page as u32,
        limit: limit as u32,
    })
}

/// Email wins over id when both are given (MUFI's priority).
fn user_key(email: Option<String>, id: Option<Uuid>, field: &'static str) -> Result<UserKey> {
    match (email, id) {
        (Some(e), _) => Ok(UserKey::Email(wicket_domain::normalize_email(&e)?)),
        (None, Some(id)) => Ok(UserKey::Id(id)),
        (None, None) => Err(invalid(field, "an email or a user id is required")),
    }
}

// ------------------------------------------------------------------ handlers

#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "This OpenAPI 3.1 document")))]
pub async fn openapi_json() -> Response {
    Json(crate::openapi::document()).into_response()
}

#[utoipa::path(get, path = "/v1/version", tag = "meta",
    responses((status = 200, body = VersionOut), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn version() -> Json<VersionOut> {
    Json(VersionOut {
        name: "wicket-headoffice".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

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
    responses((status = 200, body = EventOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_event(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<EventUpdateBody>,
) -> Result<Json<EventOut>> {
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
    Ok(Json(st.store.update_event(key, input).await?))
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

// --- products

#[derive(Debug, Default, Deserialize, IntoParams)]
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

#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = ProductInputDoc,
    responses((status = 201, body = ProductOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_product(
    State(st): State<AppState>,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<(StatusCode, Json<ProductOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(st.store.create_product(input).await?),
    ))
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
        search: q.search,
        sort,
        descending,
        tags,
        status: q.status,
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
    Ok(Json(st.store.product_by_slug(slug).await?))
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
    Ok(Json(st.store.update_product(id, input).await?))
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
    let token = st.store.item_ticket(id, item_id).await?;
    let svg = wicket_ticket::render_svg(&token)
        .map_err(|e| Error::Storage(format!("rendering the QR: {e}")))?;
    Ok(Json(TicketOut { token, svg }))
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
    headers: HeaderMap,
    ApiJson(b): ApiJson<ClaimCodesBody>,
) -> Result<(StatusCode, Json<ClaimCodesOut>)> {
    let codes = st.store.create_claim_codes(id, b.count).await?;
    // Links point at this server as the client reached it.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let codes = codes
        .into_iter()
        .map(|code| ClaimCodeOut {
            code,
            url: format!("http://{host}/claim/{code}"),
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
        Scope::Read => Some(true),
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
    if scope == Scope::Read && !r.active {
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
