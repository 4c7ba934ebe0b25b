//! The PERS redemption API (seed 003) on head office's reward offers: `/redemptions`
//! with PERS's field names. An `x-project-key` reads the active catalog; a Bearer
//! key administers it. Every route calls the same store use cases as `/v1/rewards`.

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, AppState, invalid};
use super::nest::{NestError, QueryPairs, nullable};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::RewardFilter;

// ------------------------------------------------------------------ auth

/// Bearer (admin) or `x-project-key` (public); the scope travels to the handler.
pub async fn pers_auth(
    State(st): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response> {
    let scope = pers_scope(&st, req.headers()).await?;
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    match scope {
        // A public project key is no admin credential at all: writes need Bearer.
        Scope::Project if writes => return Err(Error::Unauthorized),
        Scope::Write => {}
        _ if writes => return Err(Error::Forbidden),
        _ => {}
    }
    req.extensions_mut().insert(scope);
    Ok(next.run(req).await)
}

async fn pers_scope(st: &AppState, h: &HeaderMap) -> Result<Scope> {
    let bearer = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("Bearer ").map(str::trim))
        .filter(|k| !k.is_empty());
    if let Some(k) = bearer {
        return crate::keys::scope_of(st.store.as_ref(), k)
            .await?
            .ok_or(Error::Unauthorized);
    }
    let project = h
        .get("x-project-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(Error::Unauthorized)?;
    // Any valid key presented as a project key gets the public view only.
    crate::keys::scope_of(st.store.as_ref(), project)
        .await?
        .map(|_| Scope::Project)
        .ok_or(Error::Unauthorized)
}

// ------------------------------------------------------------------ shapes

/// PERS `TokenDTO`, for a Wicket product (the token a redemption hands out).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersToken {
    /// The product id.
    pub id: String,
    pub name: String,
    pub symbol: Option<String>,
    pub contract_address: Option<String>,
    pub chain_id: Option<u64>,
    /// ERC721: each item is one numbered token.
    #[serde(rename = "type")]
    pub token_type: String,
    pub is_active: bool,
    pub is_gallery: bool,
    #[schema(value_type = Option<Vec<Object>>)]
    pub metadata: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub abi: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub abi_url: Option<serde_json::Value>,
}

/// PERS `TokenUnitDTO`: `amount` items of a product per redeem.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersTokenUnit {
    pub id: String,
    pub token: PersToken,
    pub token_metadata_incremental_id: Option<u64>,
    pub amount: u32,
    pub max_amount: Option<u32>,
}

/// PERS user status type (a Wicket status tier).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersStatusType {
    pub id: u32,
    pub name: String,
    pub min_token_balance: i64,
    /// A number, e.g. 12.5.
    #[schema(value_type = f64)]
    pub discount_percentage: serde_json::Number,
    pub eligible_token_addresses: Vec<String>,
}

/// PERS `RedemptionDTO`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersRedemption {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub is_active: bool,
    pub credit_token_amount: i64,
    /// Redemption types are not kept: always null.
    #[serde(rename = "type")]
    #[schema(value_type = Option<Object>)]
    pub redemption_type: Option<serde_json::Value>,
    pub token_units: Vec<PersTokenUnit>,
    pub order: i32,
    pub supply: SupplyOut,
    /// Redeems allowed per user; null = unlimited.
    pub max_per_user: Option<u64>,
    pub min_user_status_type: Option<PersStatusType>,
    pub country_code_restrictions: Vec<String>,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A token unit as a body (`POST /redemptions/{id}/tokens`, or `tokenUnits` on create).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersTokenUnitBody {
    /// The product id whose items a redeem issues.
    pub token_id: Uuid,
    #[serde(default)]
    pub token_entity_id: Option<String>,
    #[serde(default)]
    pub token_metadata_incremental_id: Option<u64>,
    /// Items per redeem (1..=100).
    pub amount: u32,
    #[serde(default)]
    pub max_amount: Option<u32>,
}

/// Create or partially update a redemption (PERS field names). On update an absent
/// field keeps its value and `null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersRedemptionBody {
    #[schema(value_type = Option<f64>)]
    pub credit_token_amount: Option<serde_json::Number>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
    /// Only null: redemption types are not kept.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub redemption_type_id: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub min_user_status_type_id: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>)]
    pub max_total_supply: Option<Option<u64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub order: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>)]
    pub max_per_user: Option<Option<u64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub country_code_restrictions: Option<Option<Vec<String>>>,
    /// Wicket extension: what a redeem issues (at most one unit).
    pub token_units: Option<Vec<PersTokenUnitBody>>,
    pub tags: Option<Vec<String>>,
    pub is_active: Option<bool>,
}

fn whole(n: &serde_json::Number) -> Result<i64> {
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| invalid("creditTokenAmount", "must be a whole number of credits"))
}

fn grant_of(units: Vec<PersTokenUnitBody>) -> Result<Option<GrantBody>> {
    match units.as_slice() {
        [] => Ok(None),
        [u] => Ok(Some(GrantBody {
            product_id: u.token_id,
            quantity: u.amount,
        })),
        _ => Err(invalid("tokenUnits", "a redemption holds one token unit")),
    }
}

impl PersRedemptionBody {
    fn patch(self) -> Result<RewardPatch> {
        if let Some(Some(t)) = self.redemption_type_id {
            return Err(invalid(
                "redemptionTypeId",
                format!("no redemption type {t} (types are not kept; send null)"),
            ));
        }
        Ok(RewardPatch {
            name: self.name,
            description: self.description,
            image_url: self.image_url,
            credit_cost: self.credit_token_amount.as_ref().map(whole).transpose()?,
            grants: self.token_units.map(grant_of).transpose()?,
            supply_total: self.max_total_supply,
            max_per_user: self.max_per_user,
            min_tier_id: self.min_user_status_type_id,
            country_restrictions: self
                .country_code_restrictions
                .map(Option::unwrap_or_default),
            tags: self.tags,
            order: self.order.map(|o| o.unwrap_or(0)),
            active: self.is_active,
        })
    }
}

async fn to_pers(st: &AppState, r: RewardOut) -> Result<PersRedemption> {
    let token_units = match &r.grants {
        None => Vec::new(),
        Some(g) => {
            let p = st.store.get_product(g.product_id).await?;
            vec![PersTokenUnit {
                id: format!("{}:{}", r.id, p.id),
                token: PersToken {
                    id: p.id.to_string(),
                    name: p.name,
                    symbol: None,
                    contract_address: None,
                    chain_id: None,
                    token_type: "ERC721".into(),
                    is_active: p.active,
                    is_gallery: false,
                    metadata: p
                        .metadata_uri
                        .map(|u| serde_json::json!([{ "externalUrl": u }])),
                    abi: None,
                    abi_url: None,
                },
                token_metadata_incremental_id: None,
                amount: g.quantity,
                max_amount: None,
            }]
        }
    };
    let min_user_status_type = match r.min_tier_id {
        None => None,
        Some(t) => st
            .store
            .list_tiers()
            .await?
            .into_iter()
            .find(|x| x.id == t)
            .map(|x| PersStatusType {
                id: x.id,
                name: x.name,
                min_token_balance: x.min_token_balance,
                discount_percentage: x
                    .discount_percentage
                    .parse::<serde_json::Number>()
                    .unwrap_or_else(|_| serde_json::Number::from(0)),
                eligible_token_addresses: Vec::new(),
            }),
    };
    Ok(PersRedemption {
        id: r.id.to_string(),
        name: Some(r.name),
        description: r.description,
        image_url: r.image_url,
        is_active: r.active,
        credit_token_amount: r.credit_cost,
        redemption_type: None,
        token_units,
        order: r.order,
        supply: r.supply,
        max_per_user: r.max_per_user,
        min_user_status_type,
        country_code_restrictions: r.country_restrictions,
        tags: r.tags,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// The offer, as the caller may see it: the public never sees an inactive one.
async fn visible(st: &AppState, scope: Scope, id: Uuid) -> Result<RewardOut> {
    let r = st.store.get_reward(id).await?;
    if scope == Scope::Project && !r.active {
        return Err(Error::not_found(format!("redemption {id}")));
    }
    Ok(r)
}

// ------------------------------------------------------------------ handlers

#[utoipa::path(get, path = "/redemptions", tag = "pers",
    params(("active" = Option<bool>, Query, description = "Admin only: true = active, false = inactive, omit = all. Ignored for public access.")),
    responses((status = 200, body = Vec<PersRedemption>), (status = 400, body = NestError), (status = 401, body = NestError)),
    security(("projectKey" = []), ("bearer" = [])))]
pub async fn list_redemptions(
    State(st): State<AppState>,
    Extension(scope): Extension<Scope>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<PersRedemption>>> {
    let q = QueryPairs::parse(raw.as_deref());
    q.only(&["active"])?;
    let active = match scope {
        Scope::Project => Some(true),
        _ => q.bool("active")?,
    };
    let mut out = Vec::new();
    for r in st.store.list_rewards(RewardFilter { active }).await? {
        out.push(to_pers(&st, r).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/redemptions", tag = "pers", request_body = PersRedemptionBody,
    responses((status = 201, body = PersRedemption), (status = 400, body = NestError), (status = 403, body = NestError)),
    security(("bearer" = [])))]
pub async fn create_redemption(
    State(st): State<AppState>,
    ApiJson(b): ApiJson<PersRedemptionBody>,
) -> Result<(StatusCode, Json<PersRedemption>)> {
    let p = b.patch()?;
    let body = RewardBody {
        name: p.name.ok_or_else(|| invalid("name", "required"))?,
        description: p.description.flatten(),
        credit_cost: p.credit_cost.unwrap_or(0),
        grants: p.grants.flatten(),
        image_url: p.image_url.flatten(),
        supply_total: p.supply_total.flatten(),
        max_per_user: p.max_per_user.flatten(),
        min_tier_id: p.min_tier_id.flatten(),
        country_restrictions: p.country_restrictions.unwrap_or_default(),
        tags: p.tags.unwrap_or_default(),
        order: p.order.unwrap_or(0),
        active: p.active,
    };
    let r = st.store.create_reward(body).await?;
    Ok((StatusCode::CREATED, Json(to_pers(&st, r).await?)))
}

#[utoipa::path(get, path = "/redemptions/{id}", tag = "pers", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersRedemption), (status = 404, body = NestError)),
    security(("projectKey" = []), ("bearer" = [])))]
pub async fn get_redemption(
    State(st): State<AppState>,
    Extension(scope): Extension<Scope>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PersRedemption>> {
    let r = visible(&st, scope, id).await?;
    Ok(Json(to_pers(&st, r).await?))
}

#[utoipa::path(put, path = "/redemptions/{id}", tag = "pers", params(("id" = Uuid, Path)),
    request_body = PersRedemptionBody,
    responses((status = 200, body = PersRedemption), (status = 400, body = NestError), (status = 404, body = NestError)),
    security(("bearer" = [])))]
pub async fn update_redemption(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<PersRedemptionBody>,
) -> Result<Json<PersRedemption>> {
    let r = st.store.patch_reward(id, b.patch()?).await?;
    Ok(Json(to_pers(&st, r).await?))
}

#[utoipa::path(delete, path = "/redemptions/{id}", tag = "pers", params(("id" = Uuid, Path)),
    responses((status = 200, body = bool, description = "`true`"), (status = 404, body = NestError), (status = 409, body = NestError)),
    security(("bearer" = [])))]
pub async fn delete_redemption(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<bool>> {
    st.store.delete_reward(id).await?;
    Ok(Json(true))
}

#[utoipa::path(get, path = "/redemptions/{id}/supply", tag = "pers", params(("id" = Uuid, Path)),
    responses((status = 200, body = SupplyOut), (status = 404, body = NestError)),
    security(("projectKey" = []), ("bearer" = [])))]
pub async fn redemption_supply(
    State(st): State<AppState>,
    Extension(scope): Extension<Scope>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SupplyOut>> {
    Ok(Json(visible(&st, scope, id).await?.supply))
}

#[utoipa::path(put, path = "/redemptions/{id}/status", tag = "pers", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersRedemption), (status = 404, body = NestError)),
    security(("bearer" = [])))]
pub async fn toggle_redemption(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PersRedemption>> {
    let r = st.store.toggle_reward(id).await?;
    Ok(Json(to_pers(&st, r).await?))
}

#[utoipa::path(post, path = "/redemptions/{id}/tokens", tag = "pers", params(("id" = Uuid, Path)),
    request_body = PersTokenUnitBody,
    responses((status = 201, body = PersRedemption), (status = 400, body = NestError), (status = 404, body = NestError), (status = 409, body = NestError)),
    security(("bearer" = [])))]
pub async fn add_token_unit(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(u): ApiJson<PersTokenUnitBody>,
) -> Result<(StatusCode, Json<PersRedemption>)> {
    let cur = st.store.get_reward(id).await?;
    if let Some(g) = &cur.grants
        && g.product_id != u.token_id
    {
        return Err(Error::Conflict(format!(
            "redemption {id} already hands out product {}; a redemption holds one token unit",
            g.product_id
        )));
    }
    let patch = RewardPatch {
        grants: Some(grant_of(vec![u])?),
        ..Default::default()
    };
    let r = st.store.patch_reward(id, patch).await?;
    Ok((StatusCode::CREATED, Json(to_pers(&st, r).await?)))
}
