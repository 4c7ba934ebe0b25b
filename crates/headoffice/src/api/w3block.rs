//! W3Block's commerce "Products (Admin)" API (seed 002) on head office's catalog:
//! `/admin/companies/{companyId}/products` with camelCase bodies, ISO 8601 times,
//! prices by `currencyId`, and companies as tenants. Every route calls the same
//! store use cases as MUFI's `/v1/products`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;
use wicket_domain::{DetailsInput, PriceInput, ProductInput, ProductStatus};

use super::extract::{ApiJson, ApiPath, AppState, invalid, page_req};
use super::nest::{NestError, QueryPairs, nullable};
use crate::error::{Error, Result};
use crate::model::*;

// ------------------------------------------------------------------ currencies

/// W3Block names currencies by id. USD keeps the id of W3Block's own example;
/// every other ISO 4217 code gets a fixed id that spells it in its last bytes.
const USD_ID: Uuid = Uuid::from_u128(0x8c43ece8_99b0_4877_aed3_2170d2deb4bf);
const CODE_ID_BASE: u128 = 0xc0de0000_0000_4000_8000_000000000000;

pub fn currency_id(code: &str) -> Uuid {
    if code == "USD" {
        return USD_ID;
    }
    let b = code.as_bytes();
    let n = b
        .iter()
        .take(3)
        .fold(0u128, |acc, x| (acc << 8) | u128::from(*x));
    Uuid::from_u128(CODE_ID_BASE | n)
}

/// The ISO code a `currencyId` names; a plain code (`"EUR"`) is accepted too.
pub fn currency_code(id: &str) -> Result<String> {
    let id = id.trim();
    if let Ok(code) = wicket_domain::validate_currency(id) {
        return Ok(code);
    }
    let bad = || invalid("currencyId", format!("{id:?} is not a known currency id"));
    let u = Uuid::parse_str(id).map_err(|_| bad())?;
    if u == USD_ID {
        return Ok("USD".into());
    }
    let n = u.as_u128();
    if n & !0xff_ffff != CODE_ID_BASE {
        return Err(bad());
    }
    let code: String = [(n >> 16) as u8, (n >> 8) as u8, n as u8]
        .iter()
        .map(|b| char::from(*b))
        .collect();
    wicket_domain::validate_currency(&code).map_err(|_| bad())
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct W3Currency {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub symbol: String,
    pub crypto: bool,
}

fn currency(code: &str) -> W3Currency {
    // W3Block's example names a currency by its code (`"name": "USD"`).
    let symbol = match code {
        "EUR" => "€",
        "USD" => "US$",
        "GBP" => "£",
        "BRL" => "R$",
        "JPY" => "¥",
        other => other,
    };
    W3Currency {
        id: currency_id(code),
        name: code.into(),
        code: code.into(),
        symbol: symbol.into(),
        crypto: false,
    }
}

// ------------------------------------------------------------------ shapes

fn iso(t: i64) -> Result<String> {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .ok_or_else(|| Error::Storage(format!("time {t} out of range")))
}

fn unix(field: &'static str, s: &str) -> Result<i64> {
    OffsetDateTime::parse(s.trim(), &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| invalid(field, format!("{s:?} is not an ISO 8601 date-time")))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct W3PriceBody {
    /// A currency id (see a product's `prices[].currency.id`) or an ISO 4217 code.
    pub currency_id: String,
    /// Decimal string, e.g. "12.50".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct W3Price {
    pub amount: String,
    pub currency_id: Uuid,
    pub currency: W3Currency,
}

/// W3Block `CreateProductDto` / `UpdateProductDto` (every field optional on
/// update: absent fields keep their value). `type`, `eventId` and `stock` are
/// Wicket's (MUFI) fields, optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct W3ProductBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub images: Option<Vec<serde_json::Value>>,
    pub prices: Option<Vec<W3PriceBody>>,
    /// random | fixed | sequential
    pub distribution_type: Option<String>,
    /// product | token
    pub pricing_type: Option<String>,
    /// ISO 8601 date-time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub start_sale_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub end_sale_at: Option<Option<String>>,
    /// `{keyCollectionId, range, quantity}`
    #[schema(value_type = Option<Object>)]
    pub draft_data: Option<serde_json::Value>,
    pub slug: Option<String>,
    pub html_content: Option<String>,
    pub on_demand_mint_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub terms: Option<Option<Vec<serde_json::Value>>>,
    pub relevance: Option<f64>,
    /// admission | presale | perks (default admission)
    #[serde(rename = "type")]
    pub product_type: Option<String>,
    pub event_id: Option<Uuid>,
    /// Total inventory; null = unlimited.
    pub stock: Option<i64>,
}

impl W3ProductBody {
    fn split(self, create: bool) -> Result<(ProductInput, DetailsInput)> {
        let sale = |field: &'static str, v: Option<Option<String>>| -> Result<Option<i64>> {
            match v {
                None | Some(None) => Ok(None),
                Some(Some(s)) => unix(field, &s).map(Some),
            }
        };
        let prices = self
            .prices
            .map(|ps| {
                ps.into_iter()
                    .map(|p| {
                        Ok(PriceInput {
                            currency: currency_code(&p.currency_id)?,
                            amount: p.amount,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?;
        if create && self.name.is_none() {
            return Err(invalid("name", "required"));
        }
        if create && self.description.is_none() {
            return Err(invalid("description", "required"));
        }
        let clear_start_sale_at = matches!(self.start_sale_at, Some(None));
        let clear_end_sale_at = matches!(self.end_sale_at, Some(None));
        let input = ProductInput {
            product_type: self
                .product_type
                .or_else(|| create.then(|| "admission".to_string())),
            name: self.name,
            event_id: self.event_id,
            description: self.description,
            prices,
            stock: self.stock,
            status: create.then(|| ProductStatus::Draft.as_str().to_string()),
            slug: self.slug,
            tags: self.tags,
            start_sale_at: sale("startSaleAt", self.start_sale_at)?,
            end_sale_at: sale("endSaleAt", self.end_sale_at)?,
            clear_start_sale_at,
            clear_end_sale_at,
            ..Default::default()
        };
        let details = DetailsInput {
            distribution_type: self.distribution_type,
            pricing_type: self.pricing_type,
            draft_data: self.draft_data,
            html_content: self.html_content,
            terms: self.terms.map(Option::unwrap_or_default),
            relevance: self.relevance,
            on_demand_mint: self.on_demand_mint_enabled,
            images: self.images,
        };
        if create && (details.distribution_type.is_none() || details.pricing_type.is_none()) {
            let field = if details.distribution_type.is_none() {
                "distributionType"
            } else {
                "pricingType"
            };
            return Err(invalid(field, "required"));
        }
        Ok((input, details))
    }
}

/// W3Block `ProductEntity`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct W3Product {
    pub id: Uuid,
    pub created_at: String,
    pub updated_at: String,
    pub company_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub slug: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub images: Vec<serde_json::Value>,
    pub prices: Vec<W3Price>,
    pub distribution_type: String,
    pub pricing_type: String,
    pub contract_address: Option<String>,
    pub chain_id: Option<u64>,
    pub start_sale_at: Option<String>,
    pub end_sale_at: Option<String>,
    /// draft | published
    pub status: String,
    #[schema(value_type = Option<Object>)]
    pub draft_data: Option<serde_json::Value>,
    pub tags: Vec<String>,
    /// Items left to sell; null = unlimited.
    pub stock_amount: Option<u64>,
    /// Items issued so far.
    pub tokens_amount: u64,
    pub html_content: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub terms: Option<Vec<serde_json::Value>>,
    pub relevance: f64,
    pub on_demand_mint_enabled: bool,
    /// admission | presale | perks
    #[serde(rename = "type")]
    pub product_type: String,
    pub event_id: Option<Uuid>,
    /// With `includeMetadata=true`: the NFT metadata URI, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

fn to_w3(p: ProductOut, include_metadata: bool) -> Result<W3Product> {
    let d = p.details;
    Ok(W3Product {
        id: p.id,
        created_at: p.created_at,
        updated_at: p.updated_at,
        company_id: p.company_id,
        name: p.name,
        description: p.description,
        slug: p.slug,
        images: d.images,
        prices: p
            .prices
            .into_iter()
            .map(|x| W3Price {
                amount: x.amount,
                currency_id: currency_id(&x.currency),
                currency: currency(&x.currency),
            })
            .collect(),
        distribution_type: d.distribution_type.as_str().into(),
        pricing_type: d.pricing_type.as_str().into(),
        contract_address: None,
        chain_id: None,
        start_sale_at: p.start_sale_at.map(iso).transpose()?,
        end_sale_at: p.end_sale_at.map(iso).transpose()?,
        status: p.status,
        draft_data: d.draft_data,
        tags: p.tags,
        stock_amount: p.stock.map(|s| s.saturating_sub(p.issued)),
        tokens_amount: p.issued,
        html_content: d.html_content,
        terms: d.terms,
        relevance: d.relevance,
        on_demand_mint_enabled: d.on_demand_mint,
        product_type: p.product_type,
        event_id: p.event_id,
        metadata: include_metadata.then(|| match p.metadata_uri {
            Some(u) => serde_json::json!({ "uri": u }),
            None => serde_json::Value::Null,
        }),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct W3Links {
    pub first: String,
    /// Empty on the first page.
    pub prev: String,
    /// The same as `prev` (the name nestjs-typeorm-paginate uses).
    pub previous: String,
    pub next: String,
    pub last: String,
}

/// W3Block `PaginationMetaDto`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct W3PageMeta {
    pub item_count: u64,
    pub total_items: u64,
    pub items_per_page: u64,
    pub total_pages: u64,
    pub current_page: u64,
}

/// `{items, meta, links}`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct W3ProductPage {
    pub items: Vec<W3Product>,
    pub meta: W3PageMeta,
    pub links: W3Links,
}

// ------------------------------------------------------------------ handlers

async fn company(st: &AppState, id: Uuid) -> Result<()> {
    if st.store.company_exists(id).await? {
        Ok(())
    } else {
        Err(Error::not_found(format!("company {id}")))
    }
}

/// The product, if it is this company's (another company's is "not found").
async fn owned(st: &AppState, company_id: Uuid, product: Uuid) -> Result<ProductOut> {
    company(st, company_id).await?;
    let p = st.store.get_product(product).await?;
    if p.company_id != company_id {
        return Err(Error::not_found(format!("product {product}")));
    }
    Ok(p)
}

#[utoipa::path(post, path = "/admin/companies/{companyId}/products", tag = "w3block",
    params(("companyId" = Uuid, Path)), request_body = W3ProductBody,
    responses((status = 201, body = W3Product), (status = 400, body = NestError), (status = 404, body = NestError), (status = 409, body = NestError)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    ApiPath(company_id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<W3ProductBody>,
) -> Result<(StatusCode, Json<W3Product>)> {
    company(&st, company_id).await?;
    let (input, details) = b.split(true)?;
    let p = st.store.create_product(company_id, input, details).await?;
    Ok((StatusCode::CREATED, Json(to_w3(p, false)?)))
}

const LIST_PARAMS: &[&str] = &[
    "page",
    "limit",
    "search",
    "sortBy",
    "orderBy",
    "status",
    "tagIds",
    "sortByPriceCurrencyId",
    "includeMetadata",
];

#[utoipa::path(get, path = "/admin/companies/{companyId}/products", tag = "w3block",
    params(("companyId" = Uuid, Path),
        ("page" = Option<i64>, Query, description = "1-indexed (default 1)"),
        ("limit" = Option<i64>, Query, description = "1..=100 (default 10)"),
        ("search" = Option<String>, Query, description = "Text in name, description or slug"),
        ("sortBy" = Option<String>, Query, description = "createdAt | updatedAt | startSaleAt | endSaleAt | status | contractAddress | name | relevance | price"),
        ("orderBy" = Option<String>, Query, description = "ASC | DESC"),
        ("status" = Option<Vec<String>>, Query, description = "draft | publishing | updating | published | cancelled | sold (repeatable)"),
        ("tagIds" = Option<Vec<Uuid>>, Query, description = "Products with any of these tags (repeatable)"),
        ("sortByPriceCurrencyId" = Option<String>, Query, description = "sortBy=price sorts by the price in this currency"),
        ("includeMetadata" = Option<bool>, Query, description = "Add each product's NFT metadata")),
    responses((status = 200, body = W3ProductPage), (status = 400, body = NestError), (status = 404, body = NestError)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiPath(company_id): ApiPath<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Json<W3ProductPage>> {
    let q = QueryPairs::parse(raw.as_deref());
    q.only(LIST_PARAMS)?;
    let page = page_req(q.int("page")?, q.int("limit")?)?;
    let sort = match q.one("sortBy").map(str::trim) {
        None | Some("") | Some("createdAt") | Some("contractAddress") => ProductSort::CreatedAt,
        Some("updatedAt") => ProductSort::UpdatedAt,
        Some("startSaleAt") => ProductSort::StartSaleAt,
        Some("endSaleAt") => ProductSort::EndSaleAt,
        Some("status") => ProductSort::Status,
        Some("name") => ProductSort::Name,
        Some("relevance") => ProductSort::Relevance,
        Some("price") => ProductSort::Price,
        Some(other) => return Err(invalid("sortBy", format!("unknown sort key {other:?}"))),
    };
    let descending = match q.one("orderBy").map(str::to_ascii_uppercase).as_deref() {
        None | Some("") | Some("ASC") => false,
        Some("DESC") => true,
        Some(_) => return Err(invalid("orderBy", "must be ASC or DESC")),
    };
    let mut statuses = Vec::new();
    for s in q.all("status") {
        match s.as_str() {
            "draft" | "published" | "publishing" | "updating" | "cancelled" | "sold" => {
                statuses.push(s)
            }
            other => return Err(invalid("status", format!("unknown status {other:?}"))),
        }
    }
    let tags = q.all("tagIds");
    if let Some(t) = tags.iter().find(|t| Uuid::parse_str(t).is_err()) {
        return Err(invalid("tagIds", format!("{t:?} is not a UUID")));
    }
    let price_currency = q
        .one("sortByPriceCurrencyId")
        .map(currency_code)
        .transpose()?;
    let include_metadata = q.bool("includeMetadata")?.unwrap_or(false);
    company(&st, company_id).await?;
    let query = ProductQuery {
        company: Some(company_id),
        search: q.one("search").map(String::from),
        sort,
        descending,
        tags,
        statuses,
        price_currency,
    };
    let out = st.store.list_products(query, page).await?;
    let base = format!("/admin/companies/{company_id}/products");
    let link = |n: u64| format!("{base}?page={n}&limit={}", page.limit);
    let last = out.meta.total_pages.max(1);
    let cur = out.meta.current_page;
    let links = W3Links {
        first: link(1),
        prev: if cur > 1 {
            link(cur - 1)
        } else {
            String::new()
        },
        previous: if cur > 1 {
            link(cur - 1)
        } else {
            String::new()
        },
        next: if cur < last {
            link(cur + 1)
        } else {
            String::new()
        },
        last: link(last),
    };
    let items = out
        .items
        .into_iter()
        .map(|p| to_w3(p, include_metadata))
        .collect::<Result<_>>()?;
    let m = out.meta;
    Ok(Json(W3ProductPage {
        items,
        meta: W3PageMeta {
            item_count: m.item_count,
            total_items: m.total_items,
            items_per_page: m.items_per_page,
            total_pages: m.total_pages,
            current_page: m.current_page,
        },
        links,
    }))
}

#[utoipa::path(get, path = "/admin/companies/{companyId}/products/get-by-slug/{slug}", tag = "w3block",
    params(("companyId" = Uuid, Path), ("slug" = String, Path)),
    responses((status = 200, body = W3Product), (status = 404, body = NestError)),
    security(("bearer" = [])))]
pub async fn by_slug(
    State(st): State<AppState>,
    ApiPath((company_id, slug)): ApiPath<(Uuid, String)>,
) -> Result<Json<W3Product>> {
    company(&st, company_id).await?;
    let p = st.store.product_by_slug(company_id, slug).await?;
    Ok(Json(to_w3(p, false)?))
}

#[utoipa::path(get, path = "/admin/companies/{companyId}/products/{productId}", tag = "w3block",
    params(("companyId" = Uuid, Path), ("productId" = Uuid, Path)),
    responses((status = 200, body = W3Product), (status = 404, body = NestError)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    ApiPath((company_id, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<W3Product>> {
    Ok(Json(to_w3(owned(&st, company_id, id).await?, false)?))
}

#[utoipa::path(patch, path = "/admin/companies/{companyId}/products/{productId}", tag = "w3block",
    params(("companyId" = Uuid, Path), ("productId" = Uuid, Path)), request_body = W3ProductBody,
    responses((status = 200, body = W3Product), (status = 400, body = NestError), (status = 404, body = NestError), (status = 409, body = NestError)),
    security(("bearer" = [])))]
pub async fn update(
    State(st): State<AppState>,
    ApiPath((company_id, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<W3ProductBody>,
) -> Result<Json<W3Product>> {
    owned(&st, company_id, id).await?;
    let (input, details) = b.split(false)?;
    let p = st.store.update_product(id, input, details).await?;
    Ok(Json(to_w3(p, false)?))
}

#[utoipa::path(patch, path = "/admin/companies/{companyId}/products/{productId}/publish", tag = "w3block",
    params(("companyId" = Uuid, Path), ("productId" = Uuid, Path)),
    responses((status = 200, body = W3Product), (status = 404, body = NestError)),
    security(("bearer" = [])))]
pub async fn publish(
    State(st): State<AppState>,
    ApiPath((company_id, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<W3Product>> {
    owned(&st, company_id, id).await?;
    Ok(Json(to_w3(st.store.publish_product(id).await?, false)?))
}
