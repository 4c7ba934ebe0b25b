//! The HTTP surface: routing and API-key auth; the handlers, one file per area,
//! translate paths, queries and bodies into [`crate::store::Store`] calls and hold
//! no business rules.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, Router};

use crate::error::{Error, ErrorBody, Result};
use crate::model::*;

pub(crate) mod extract;
pub mod items;
pub mod nest;
pub mod params;
pub mod people;
pub mod pers;
pub mod products;
pub mod refunds;
pub mod sales;
pub mod w3block;
pub mod zones;

pub use extract::{ApiJson, ApiPath, ApiQuery, AppState, PageQuery};
use items::*;
use people::*;
use products::*;
use sales::*;

// ------------------------------------------------------------------ auth

/// POST endpoints that only read (MUFI queries users through POST).
pub(crate) const READ_ONLY_POSTS: &[&str] = &["/v1/users/fetch", "/v1/users/profile"];

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
        .or_else(|| headers.get("x-w3block-api-key"))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Reads whose answer is a credential (a signed ticket admits at the door): a read
/// key may not fetch them.
const WRITE_SCOPE_READS: &[&str] = &["/v1/products/{id}/items/{item_id}/ticket"];

async fn auth(State(st): State<AppState>, mut req: Request, next: Next) -> Result<Response> {
    // A manager or admin signed in at an enrolled device acts as a write key would.
    if let Some(caller) = crate::staff_api::staff_caller(&st, req.headers()).await? {
        crate::staff_api::require(&caller, wicket_domain::Action::Manage)?;
        req.extensions_mut().insert(Scope::Write);
        req.extensions_mut().insert(caller);
        return Ok(next.run(req).await);
    }
    let key = presented_key(req.headers())
        .filter(|k| !k.is_empty())
        .ok_or(Error::Unauthorized)?;
    let scope = crate::keys::scope_of(st.store.as_ref(), key)
        .await?
        .ok_or(Error::Unauthorized)?;
    // A project key is public (it ships in apps): the PERS reward catalog only.
    if scope == Scope::Project {
        return Err(Error::Forbidden);
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !READ_ONLY_POSTS.contains(&req.uri().path());
    if (writes || WRITE_SCOPE_READS.contains(&route.as_str())) && scope != Scope::Write {
        return Err(Error::Forbidden);
    }
    req.extensions_mut().insert(scope);
    let resp = next.run(req).await;
    if scope == Scope::Write {
        return Ok(resp);
    }
    redact_emails(resp).await
}

/// Largest answer the read-key redaction rewrites (a page of 1,000 users is ~300 KB).
const REDACT_LIMIT: usize = 16 * 1024 * 1024;

/// A read key (reporting, a dashboard) sees who bought, not how to reach them: every
/// email in the answer is masked to its first letter and domain.
async fn redact_emails(resp: Response) -> Result<Response> {
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Ok(resp);
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, REDACT_LIMIT)
        .await
        .map_err(|e| Error::Storage(format!("reading an answer to redact: {e}")))?;
    let mut v: serde_json::Value = serde_json::from_slice(&bytes)?;
    mask_emails(&mut v, false);
    let out = serde_json::to_vec(&v)?;
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, axum::body::Body::from(out)))
}

fn mask_emails(v: &mut serde_json::Value, under_email_key: bool) {
    use serde_json::Value;
    match v {
        Value::String(s) if under_email_key => *s = mask_email(s),
        Value::Array(a) => a.iter_mut().for_each(|x| mask_emails(x, under_email_key)),
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                let k = k.to_ascii_lowercase();
                mask_emails(x, k.ends_with("email") || k.ends_with("emails"));
            }
        }
        _ => {}
    }
}

/// `dana@example.com` -> `d***@example.com` (still an address in form).
pub fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('x');
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
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
        post "/v1/products/create" => legacy_create_product,
        post "/v1/products/items/create" => legacy_issue_items,
        post "/v1/products/items/redeem" => legacy_redeem_item,
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
        post "/v1/sales/{order_number}/refund" => refunds::refund_sale,
        get "/v1/cash-sessions" => refunds::list_sessions,
        post "/v1/zones" => zones::create_zone,
        get "/v1/zones" => zones::list_zones,
        delete "/v1/zones/{id}" => zones::delete_zone,
        get "/v1/door/stats" => zones::door_stats,
    }
}

/// W3Block's commerce products admin (seed 002), behind the same API-key auth.
fn w3block_routes() -> Routes {
    use w3block::*;
    routes! {
        post "/admin/companies/{companyId}/products" => create,
        get "/admin/companies/{companyId}/products" => list,
        get "/admin/companies/{companyId}/products/get-by-slug/{slug}" => by_slug,
        get "/admin/companies/{companyId}/products/{productId}" => get,
        patch "/admin/companies/{companyId}/products/{productId}" => update,
        patch "/admin/companies/{companyId}/products/{productId}/publish" => publish,
    }
}

/// PERS redemptions (seed 003): `x-project-key` public reads, Bearer admin.
fn pers_routes() -> Routes {
    use pers::*;
    routes! {
        get "/redemptions" => list_redemptions,
        post "/redemptions" => create_redemption,
        get "/redemptions/{id}" => get_redemption,
        put "/redemptions/{id}" => update_redemption,
        delete "/redemptions/{id}" => delete_redemption,
        get "/redemptions/{id}/supply" => redemption_supply,
        put "/redemptions/{id}/status" => toggle_redemption,
        post "/redemptions/{id}/tokens" => add_token_unit,
    }
}

/// Every (method, path) the server answers, `/openapi.json` included.
pub fn served_routes() -> Vec<(&'static str, &'static str)> {
    let mut v = v1_routes().served;
    v.extend(w3block_routes().served);
    v.extend(pers_routes().served);
    v.push(("get", "/openapi.json"));
    v.extend_from_slice(crate::sync::SYNC_ROUTES);
    v
}

/// The whole application: `/v1` behind API-key auth; `/openapi.json` and the claim
/// page public.
pub fn router(state: AppState) -> Router {
    let v1 = v1_routes()
        .router
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    // W3Block and PERS clients read NestJS error bodies.
    let w3block = w3block_routes()
        .router
        .route_layer(middleware::from_fn_with_state(state.clone(), auth))
        .layer(middleware::map_response(nest::nest_errors));
    let pers = pers_routes()
        .router
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            pers::pers_auth,
        ))
        .layer(middleware::map_response(nest::nest_errors));
    v1.merge(w3block)
        .merge(pers)
        .route("/openapi.json", axum::routing::get(openapi_json))
        // The public claim page (HTML): no key, the code in its URL is the capability.
        .merge(crate::claim_page::routes())
        .fallback(fallback)
        .with_state(state)
}

async fn fallback() -> Error {
    Error::NotFound("no such route".into())
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
