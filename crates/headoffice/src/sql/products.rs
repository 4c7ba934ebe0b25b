//! Products: rows, order rules, counters, the list query.

use crate::db::Value;
use crate::db::{Connection, Dialect, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::{
    self as domain, OrderRule, Product, ProductCounters, ProductStatus, ProductType,
};

use super::rows::*;
use crate::error::{Error, Result};
use crate::model::*;

pub(crate) const PRODUCT_COLS: &str = "id, event_id, name, description, type, prices, stock, max_per_account, redemption_quantity, is_transferable, is_claimable, min_rep_balance, max_items, active, mint_nft, metadata_uri, chain, status, slug, tags, start_sale_at, end_sale_at, issued, next_item_id, created_at, updated_at, allow_reentry";

pub(crate) struct ProductRow {
    pub(crate) p: Product,
    pub(crate) counters: ProductCounters,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

pub(crate) fn product_from_row(r: &Row) -> Result<ProductRow> {
    let ty: String = r.get(4)?;
    let chain: Option<String> = r.get(16)?;
    let status: String = r.get(17)?;
    let p = Product {
        id: uuid_at(r, 0)?,
        event_id: opt_uuid_at(r, 1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        product_type: ProductType::parse(&ty).ok_or_else(|| bad_stored("product type"))?,
        prices: json_at(r, 5)?,
        stock: opt_u64(r.get(6)?),
        max_per_account: opt_u64(r.get(7)?),
        redemption_quantity: r.get(8)?,
        is_transferable: r.get(9)?,
        is_claimable: r.get(10)?,
        min_rep_balance: r.get(11)?,
        max_items: opt_u64(r.get(12)?),
        active: r.get(13)?,
        mint_nft: r.get(14)?,
        metadata_uri: r.get(15)?,
        chain: match chain {
            None => None,
            Some(c) => Some(domain::Chain::parse(&c).ok_or_else(|| bad_stored("chain"))?),
        },
        status: ProductStatus::parse(&status).ok_or_else(|| bad_stored("product status"))?,
        slug: r.get(18)?,
        tags: json_at(r, 19)?,
        start_sale_at: r.get(20)?,
        end_sale_at: r.get(21)?,
        order_rules: Vec::new(),
        allow_reentry: r.get(26)?,
    };
    Ok(ProductRow {
        p,
        counters: ProductCounters {
            issued: opt_u64(r.get(22)?).unwrap_or(0),
            next_item_id: opt_u64(r.get(23)?).unwrap_or(1),
        },
        created_at: r.get(24)?,
        updated_at: r.get(25)?,
    })
}

pub(crate) fn load_rules(conn: &Connection, product: Uuid) -> Result<Vec<OrderRule>> {
    let mut st = conn.prepare_cached(
        "SELECT id, start_at, end_at, purchase_limit FROM order_rules WHERE product_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = st.query_map([product.to_string()], |r| {
        Ok(OrderRule {
            id: uuid_at(r, 0)?,
            start_at: r.get(1)?,
            end_at: r.get(2)?,
            purchase_limit: r.get(3)?,
        })
    })?;
    rows.collect::<Result<_>>()
}

pub(crate) fn find_product_where(
    conn: &Connection,
    col: &str,
    val: &str,
) -> Result<Option<ProductRow>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE {col} = ?1{}",
            // In a PostgreSQL write: hold the row (stock, item numbers) until commit.
            conn.for_update()
        ))?
        .query_row([val], product_from_row)
        .optional()?;
    match row {
        None => Ok(None),
        Some(mut row) => {
            row.p.order_rules = load_rules(conn, row.p.id)?;
            Ok(Some(row))
        }
    }
}

/// Whether a product exists (no lock).
pub(crate) fn product_exists(conn: &Connection, id: Uuid) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM products WHERE id = ?1")?
        .exists([id.to_string()])
}

/// A product by slug within one company's catalog (no lock).
pub(crate) fn find_product_by_slug(
    conn: &Connection,
    company: Uuid,
    slug: &str,
) -> Result<Option<ProductRow>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE company_id = ?1 AND slug = ?2"
        ))?
        .query_row(params![company.to_string(), slug], product_from_row)
        .optional()?;
    match row {
        None => Ok(None),
        Some(mut row) => {
            row.p.order_rules = load_rules(conn, row.p.id)?;
            Ok(Some(row))
        }
    }
}

pub(crate) fn require_product(conn: &Connection, id: Uuid) -> Result<ProductRow> {
    find_product_where(conn, "id", &id.to_string())?
        .ok_or_else(|| Error::not_found(format!("product {id}")))
}

pub(crate) fn rule_out(product: Uuid, r: &OrderRule) -> OrderRuleOut {
    OrderRuleOut {
        id: r.id,
        product_id: product,
        start_at: r.start_at,
        end_at: r.end_at,
        purchase_limit: r.purchase_limit,
    }
}

/// The API record of a product: its event embedded, its company and details.
pub(crate) fn product_out(conn: &Connection, row: &ProductRow) -> Result<ProductOut> {
    let p = &row.p;
    let event = match p.event_id {
        Some(e) => super::events::find_event(conn, &crate::store::EventKey::Id(e))?,
        None => None,
    };
    let (company_id, details) = super::companies::read_details(conn, p.id)?
        .unwrap_or((super::companies::DEFAULT_COMPANY, Default::default()));
    Ok(ProductOut {
        id: p.id,
        event_id: p.event_id,
        name: p.name.clone(),
        description: p.description.clone(),
        product_type: p.product_type.as_str().to_string(),
        price: p.primary_price().map(|x| x.amount.to_string()),
        currency: p.primary_price().map(|x| x.currency.clone()),
        prices: p
            .prices
            .iter()
            .map(|x| PriceOut {
                currency: x.currency.clone(),
                amount: x.amount.to_string(),
            })
            .collect(),
        stock: p.stock,
        max_per_account: p.max_per_account,
        redemption_quantity: p.redemption_quantity,
        is_transferable: p.is_transferable,
        is_claimable: p.is_claimable,
        min_rep_balance: p.min_rep_balance,
        max_items: p.max_items,
        active: p.active,
        mint_nft: p.mint_nft,
        metadata_uri: p.metadata_uri.clone(),
        chain: p.chain.map(|c| c.as_str().to_string()),
        status: p.status.as_str().to_string(),
        slug: p.slug.clone(),
        tags: p.tags.clone(),
        start_sale_at: p.start_sale_at,
        end_sale_at: p.end_sale_at,
        order_rules: p.order_rules.iter().map(|r| rule_out(p.id, r)).collect(),
        allow_reentry: p.allow_reentry,
        issued: row.counters.issued,
        event,
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        company_id,
        details,
    })
}

pub(crate) fn insert_product(tx: &Connection, p: &Product, company: Uuid, iso: &str) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO products ({PRODUCT_COLS}, company_id) VALUES
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, 0, 1, ?23, ?23, ?25, ?24)"
        ),
        params![
            p.id.to_string(),
            p.event_id.map(|e| e.to_string()),
            p.name,
            p.description,
            p.product_type.as_str(),
            serde_json::to_string(&p.prices)?,
            p.stock.map(to_i64),
            p.max_per_account.map(to_i64),
            p.redemption_quantity,
            p.is_transferable,
            p.is_claimable,
            p.min_rep_balance,
            p.max_items.map(to_i64),
            p.active,
            p.mint_nft,
            p.metadata_uri,
            p.chain.map(|c| c.as_str()),
            p.status.as_str(),
            p.slug,
            serde_json::to_string(&p.tags)?,
            p.start_sale_at,
            p.end_sale_at,
            iso,
            company.to_string(),
            p.allow_reentry
        ],
    )?;
    for r in &p.order_rules {
        insert_rule(tx, p.id, r, iso)?;
    }
    record_prices(tx, p)
}

/// Every write of a product's prices goes into its price history (the catalog a
/// device's offline sale is held to), in the same transaction.
fn record_prices(tx: &Connection, p: &Product) -> Result<()> {
    use crate::storage::Trust;
    super::tx::SqlTx(tx).record_prices(p, super::rows::now().0)
}

pub(crate) fn update_product_row(tx: &Connection, p: &Product, iso: &str) -> Result<()> {
    tx.execute(
        "UPDATE products SET event_id = ?2, name = ?3, description = ?4, type = ?5, prices = ?6, stock = ?7,
           max_per_account = ?8, redemption_quantity = ?9, is_transferable = ?10, is_claimable = ?11,
           min_rep_balance = ?12, max_items = ?13, active = ?14, mint_nft = ?15, metadata_uri = ?16,
           chain = ?17, status = ?18, slug = ?19, tags = ?20, start_sale_at = ?21, end_sale_at = ?22,
           updated_at = ?23, allow_reentry = ?24
         WHERE id = ?1",
        params![
            p.id.to_string(),
            p.event_id.map(|e| e.to_string()),
            p.name,
            p.description,
            p.product_type.as_str(),
            serde_json::to_string(&p.prices)?,
            p.stock.map(to_i64),
            p.max_per_account.map(to_i64),
            p.redemption_quantity,
            p.is_transferable,
            p.is_claimable,
            p.min_rep_balance,
            p.max_items.map(to_i64),
            p.active,
            p.mint_nft,
            p.metadata_uri,
            p.chain.map(|c| c.as_str()),
            p.status.as_str(),
            p.slug,
            serde_json::to_string(&p.tags)?,
            p.start_sale_at,
            p.end_sale_at,
            iso,
            p.allow_reentry
        ],
    )?;
    record_prices(tx, p)
}

pub(crate) fn insert_rule(tx: &Connection, product: Uuid, r: &OrderRule, iso: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO order_rules (id, product_id, start_at, end_at, purchase_limit, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        r.id.to_string(),
        product.to_string(),
        r.start_at,
        r.end_at,
        r.purchase_limit,
        iso
    ])?;
    Ok(())
}

pub(crate) fn save_counters(
    tx: &Connection,
    product: Uuid,
    c: &ProductCounters,
    iso: &str,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE products SET issued = ?2, next_item_id = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![
        product.to_string(),
        to_i64(c.issued),
        to_i64(c.next_item_id),
        iso
    ])?;
    Ok(())
}

pub(crate) fn list_products_sql(
    conn: &Connection,
    q: ProductQuery,
    page: PageReq,
) -> Result<Page<ProductOut>> {
    let mut wh = vec!["1 = 1".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if let Some(s) = q.search.filter(|s| !s.trim().is_empty()) {
        args.push(Value::Text(s.trim().to_lowercase()));
        let pos = match conn.dialect() {
            Dialect::Sqlite => "instr",
            Dialect::Postgres => "strpos",
        };
        wh.push(format!(
            "({pos}(lower(name), ?{n}) > 0 OR {pos}(lower(COALESCE(description, '')), ?{n}) > 0 OR {pos}(slug, ?{n}) > 0)",
            n = args.len()
        ));
    }
    if let Some(c) = q.company {
        args.push(Value::Text(c.to_string()));
        wh.push(format!("company_id = ?{}", args.len()));
    }
    if !q.statuses.is_empty() {
        let mut marks = Vec::new();
        for st in q.statuses {
            args.push(Value::Text(st));
            marks.push(format!("?{}", args.len()));
        }
        wh.push(format!("status IN ({})", marks.join(", ")));
    }
    if !q.tags.is_empty() {
        let mut marks = Vec::new();
        for t in q.tags {
            args.push(Value::Text(t));
            marks.push(format!("?{}", args.len()));
        }
        let each = match conn.dialect() {
            Dialect::Sqlite => "SELECT value FROM json_each(products.tags)",
            Dialect::Postgres => "SELECT json_array_elements_text(products.tags::json) AS value",
        };
        wh.push(format!(
            "EXISTS (SELECT 1 FROM ({each}) t WHERE t.value IN ({}))",
            marks.join(", ")
        ));
    }
    let col = match q.sort {
        ProductSort::CreatedAt => "created_at".to_string(),
        ProductSort::UpdatedAt => "updated_at".to_string(),
        ProductSort::Name => "lower(name)".to_string(),
        // Ordering only; amounts are never read back from this REAL.
        ProductSort::Price => match (&q.price_currency, conn.dialect()) {
            (None, Dialect::Sqlite) => {
                "CAST(json_extract(prices, '$[0].amount') AS REAL)".to_string()
            }
            (None, Dialect::Postgres) => {
                "CAST(prices::json -> 0 ->> 'amount' AS NUMERIC)".to_string()
            }
            (Some(cur), d) => {
                // Inlined, not bound: the count query shares the bound arguments.
                // A currency code is three upper-case letters, checked here again.
                let cur = wicket_domain::validate_currency(cur)?;
                match d {
                    Dialect::Sqlite => format!(
                        "(SELECT CAST(json_extract(j.value, '$.amount') AS REAL) FROM json_each(products.prices) j WHERE json_extract(j.value, '$.currency') = '{cur}')"
                    ),
                    Dialect::Postgres => format!(
                        "(SELECT CAST(j ->> 'amount' AS NUMERIC) FROM json_array_elements(products.prices::json) j WHERE j ->> 'currency' = '{cur}')"
                    ),
                }
            }
        },
        ProductSort::Relevance => {
            "COALESCE((SELECT d.relevance FROM product_details d WHERE d.product_id = products.id), 0)"
                .to_string()
        }
        ProductSort::StartSaleAt => "start_sale_at".to_string(),
        ProductSort::EndSaleAt => "end_sale_at".to_string(),
        ProductSort::Status => "status".to_string(),
    };
    let dir = if q.descending { "DESC" } else { "ASC" };
    let where_sql = wh.join(" AND ");
    let n = args.len();
    let mut out = page_of(
        conn,
        &format!("SELECT COUNT(*) FROM products WHERE {where_sql}"),
        &format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE {where_sql} ORDER BY {col} {dir}, id LIMIT ?{} OFFSET ?{}",
            n + 1,
            n + 2
        ),
        args,
        &page,
        product_from_row,
    )?;
    let mut items = Vec::with_capacity(out.items.len());
    for mut row in std::mem::take(&mut out.items) {
        row.p.order_rules = load_rules(conn, row.p.id)?;
        items.push(product_out(conn, &row)?);
    }
    Ok(Page {
        items,
        meta: out.meta,
    })
}
