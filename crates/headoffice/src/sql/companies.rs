//! Companies (W3Block tenants) and the back-office details kept beside products.

use uuid::Uuid;
use wicket_domain::{DistributionType, PricingType, ProductDetails};

use super::rows::{bad_stored, now, uuid_at};
use super::tx::SqlTx;
use crate::db::{Connection, OptionalExtension, Row};
use crate::error::Result;
use crate::params;
use crate::storage::Tenancy;

/// The company the MUFI `/v1` API works on (migration 0009 creates it).
pub const DEFAULT_COMPANY: Uuid = Uuid::from_u128(0x00000000_0000_4000_8000_000000000001);

const DETAIL_COLS: &str = "distribution_type, pricing_type, draft_data, html_content, terms, relevance, on_demand_mint, images";

/// Column 0 the product's company, then [`DETAIL_COLS`] (all NULL when the product
/// has no details row: the defaults).
fn details_from_row(r: &Row) -> Result<(Uuid, ProductDetails)> {
    let company = uuid_at(r, 0)?;
    let Some(dist) = r.get::<Option<String>>(1)? else {
        return Ok((company, ProductDetails::default()));
    };
    let pricing: String = r.get(2)?;
    let json = |i: usize| -> Result<Option<serde_json::Value>> {
        let s: Option<String> = r.get(i)?;
        s.map(|s| serde_json::from_str(&s).map_err(|_| bad_stored("product details JSON")))
            .transpose()
    };
    let terms = match json(5)? {
        None => None,
        Some(serde_json::Value::Array(a)) => Some(a),
        Some(_) => return Err(bad_stored("product terms")),
    };
    let images = match json(8)? {
        Some(serde_json::Value::Array(a)) => a,
        _ => return Err(bad_stored("product images")),
    };
    Ok((
        company,
        ProductDetails {
            distribution_type: DistributionType::parse(&dist)
                .ok_or_else(|| bad_stored("distribution type"))?,
            pricing_type: PricingType::parse(&pricing).ok_or_else(|| bad_stored("pricing type"))?,
            draft_data: json(3)?,
            html_content: r.get(4)?,
            terms,
            relevance: r.get(6)?,
            on_demand_mint: r.get(7)?,
            images,
        },
    ))
}

pub(crate) fn read_details(
    conn: &Connection,
    product: Uuid,
) -> Result<Option<(Uuid, ProductDetails)>> {
    conn.prepare_cached(
        "SELECT p.company_id, d.distribution_type, d.pricing_type, d.draft_data, d.html_content, \
         d.terms, d.relevance, d.on_demand_mint, d.images \
         FROM products p LEFT JOIN product_details d ON d.product_id = p.id WHERE p.id = ?1",
    )?
    .query_row([product.to_string()], details_from_row)
    .optional()
}

pub(crate) fn company_name(conn: &Connection, id: Uuid) -> Result<Option<String>> {
    conn.prepare_cached("SELECT name FROM companies WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()
}

impl Tenancy for SqlTx<'_> {
    fn company_exists(&self, id: Uuid) -> Result<bool> {
        Ok(company_name(self.0, id)?.is_some())
    }

    fn insert_company(&self, id: Uuid, name: &str) -> Result<()> {
        self.0.execute(
            "INSERT INTO companies (id, name, created_at) VALUES (?1, ?2, ?3)",
            params![id.to_string(), name, now().1],
        )?;
        Ok(())
    }

    fn product_details(&self, product: Uuid) -> Result<Option<(Uuid, ProductDetails)>> {
        read_details(self.0, product)
    }

    fn save_product_details(&self, product: Uuid, d: &ProductDetails) -> Result<()> {
        let opt_json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        self.0.execute(
            &format!(
                "INSERT INTO product_details (product_id, {DETAIL_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (product_id) DO UPDATE SET
                   distribution_type = excluded.distribution_type, pricing_type = excluded.pricing_type,
                   draft_data = excluded.draft_data, html_content = excluded.html_content,
                   terms = excluded.terms, relevance = excluded.relevance,
                   on_demand_mint = excluded.on_demand_mint, images = excluded.images"
            ),
            params![
                product.to_string(),
                d.distribution_type.as_str(),
                d.pricing_type.as_str(),
                opt_json(&d.draft_data),
                d.html_content,
                d.terms.as_ref().map(|t| serde_json::Value::Array(t.clone()).to_string()),
                d.relevance,
                d.on_demand_mint,
                serde_json::Value::Array(d.images.clone()).to_string()
            ],
        )?;
        Ok(())
    }
}
