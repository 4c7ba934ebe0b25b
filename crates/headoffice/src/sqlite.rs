//! The embedded SQLite store: one file, zero setup. One connection behind a mutex is
//! the single writer; every call runs on the blocking pool so the async runtime never
//! waits on disk. Each write is one IMMEDIATE transaction (taking the write lock up
//! front), so counters such as `next_item_id` cannot race.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use include_dir::{Dir, include_dir};
use rusqlite::types::{Type, Value};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;
use wicket_domain::{
    self as domain, BalanceKind, ClaimCode, Customer, CustomerInput, Decimal, DomainError, Event,
    EventInput, Item, ItemOrigin, OrderRule, PaymentMethod, Product, ProductCounters, ProductInput,
    ProductStatus, ProductType, RecipientRef, RewardGrant, RewardOffer, StatusTier,
};

use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{DemoSummary, EventKey, RewardFilter, SaleRequest, Store, StoreFuture};

static MIGRATIONS_DIR: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/../../migrations/headoffice");

/// The numbered SQL files of `migrations/headoffice`, in file-name order.
fn migrations() -> Migrations<'static> {
    let mut files: Vec<_> = MIGRATIONS_DIR
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort_by_key(|f| f.path());
    Migrations::new(
        files
            .into_iter()
            .filter_map(|f| f.contents_utf8())
            .map(M::up)
            .collect(),
    )
}

/// SQLite behind the [`Store`] trait.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Open (creating if missing) the database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        // WAL lets readers proceed during writes; FULL makes a commit durable on
        // power loss, which is the point of a box office ledger.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(crate) fn run<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                // A poisoned lock only means another call panicked; its transaction was
                // rolled back on drop, so the connection is still consistent.
                let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut guard)
            })
            .await
            .map_err(|e| Error::Storage(format!("blocking task failed: {e}")))?
        })
    }

    /// Run `f` in one IMMEDIATE transaction, committing only if it succeeds.
    pub(crate) fn write<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

// ------------------------------------------------------------------ helpers

pub(crate) fn now() -> (i64, String) {
    let t = time::OffsetDateTime::now_utc();
    let iso = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string());
    (t.unix_timestamp(), iso)
}

fn conv_err(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

pub(crate) fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| conv_err(idx, e)))
        .transpose()
}

pub(crate) fn json_at<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn decimal_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Decimal> {
    let s: String = row.get(idx)?;
    Decimal::from_str(&s).map_err(|e| conv_err(idx, e))
}

pub(crate) fn opt_u64(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn bad_stored(what: &str) -> rusqlite::Error {
    conv_err(
        0,
        std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
    )
}

fn count(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<u64> {
    let n: i64 = conn.query_row(sql, p, |r| r.get(0))?;
    Ok(opt_u64(Some(n)).unwrap_or(0))
}

// ------------------------------------------------------------------ events

pub(crate) const EVENT_COLS: &str = "id, name, start_date, end_date, location, address, description, reference_id, created_at, updated_at";

pub(crate) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<EventOut> {
    Ok(EventOut {
        id: uuid_at(r, 0)?,
        name: r.get(1)?,
        start_date: r.get(2)?,
        end_date: r.get(3)?,
        location: r.get(4)?,
        address: r.get(5)?,
        description: r.get(6)?,
        reference_id: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn find_event(conn: &Connection, key: &EventKey) -> Result<Option<EventOut>> {
    let by_id = |id: Uuid| -> Result<Option<EventOut>> {
        Ok(conn
            .query_row(
                &format!("SELECT {EVENT_COLS} FROM events WHERE id = ?1"),
                [id.to_string()],
                event_from_row,
            )
            .optional()?)
    };
    let by_ref = |r: &str| -> Result<Option<EventOut>> {
        Ok(conn
            .query_row(
                &format!("SELECT {EVENT_COLS} FROM events WHERE reference_id = ?1"),
                [r],
                event_from_row,
            )
            .optional()?)
    };
    match key {
        EventKey::Id(id) => by_id(*id),
        EventKey::Reference(r) => by_ref(r),
        EventKey::Either(s) => match Uuid::parse_str(s) {
            Ok(id) => match by_id(id)? {
                Some(e) => Ok(Some(e)),
                None => by_ref(s),
            },
            Err(_) => by_ref(s),
        },
    }
}

fn domain_event(e: &EventOut) -> Event {
    Event {
        id: e.id,
        name: e.name.clone(),
        start_date: e.start_date,
        end_date: e.end_date,
        location: e.location.clone(),
        address: e.address.clone(),
        description: e.description.clone(),
        reference_id: e.reference_id.clone(),
    }
}

fn insert_event(tx: &Connection, e: &Event, iso: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO events (id, name, start_date, end_date, location, address, description, reference_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            e.id.to_string(),
            e.name,
            e.start_date,
            e.end_date,
            e.location,
            e.address,
            e.description,
            e.reference_id,
            iso
        ],
    )?;
    Ok(())
}

// ------------------------------------------------------------------ users

pub(crate) const USER_COLS: &str = "id, email, first_name, last_name, reference_id, country, reputation, credits, status_balance, created_at, updated_at";

pub(crate) struct UserRow {
    pub(crate) c: Customer,
    reference_id: Option<String>,
    created_at: String,
    updated_at: String,
}

impl UserRow {
    fn out(&self) -> UserOut {
        UserOut {
            id: self.c.id,
            email: self.c.email.clone(),
            first_name: self.c.first_name.clone(),
            last_name: self.c.last_name.clone(),
            reference_id: self.reference_id.clone(),
            country: self.c.country.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

pub(crate) fn user_from_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        c: Customer {
            id: uuid_at(r, 0)?,
            email: r.get(1)?,
            first_name: r.get(2)?,
            last_name: r.get(3)?,
            country: r.get(5)?,
            reputation: r.get(6)?,
            credits: r.get(7)?,
            status_balance: r.get(8)?,
        },
        reference_id: r.get(4)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

pub(crate) fn find_user(conn: &Connection, key: &UserKey) -> Result<Option<UserRow>> {
    let (col, val) = match key {
        UserKey::Id(id) => ("id", id.to_string()),
        UserKey::Email(e) => ("email", domain::normalize_email(e)?),
        UserKey::Reference(r) => ("reference_id", r.clone()),
    };
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE {col} = ?1"))?
        .query_row([val], user_from_row)
        .optional()?)
}

fn require_user(conn: &Connection, id: Uuid) -> Result<UserRow> {
    find_user(conn, &UserKey::Id(id))?.ok_or_else(|| Error::not_found(format!("user {id}")))
}

/// Resolve a user a request names as a recipient: unknown is a business refusal.
fn recipient(conn: &Connection, key: &UserKey) -> Result<UserRow> {
    find_user(conn, key)?
        .ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![key.to_string()])))
}

fn item_user(c: &Customer) -> ItemUser {
    ItemUser {
        id: c.id,
        email: c.email.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
    }
}

pub(crate) fn insert_user(
    tx: &Connection,
    c: &Customer,
    reference_id: Option<&str>,
    iso: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO users (id, email, first_name, last_name, reference_id, country, reputation, credits, status_balance, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        c.id.to_string(),
        c.email,
        c.first_name,
        c.last_name,
        reference_id,
        c.country,
        c.reputation,
        c.credits,
        c.status_balance,
        iso
    ])?;
    Ok(())
}

/// Append a ledger entry and store the new balance in the user row, together.
#[allow(clippy::too_many_arguments)]
pub(crate) fn post_ledger(
    tx: &Connection,
    before: &Customer,
    after: &Customer,
    kind: BalanceKind,
    reason: &str,
    ref_id: Option<&str>,
    at: i64,
    iso: &str,
) -> Result<()> {
    let (old, new) = match kind {
        BalanceKind::Reputation => (before.reputation, after.reputation),
        BalanceKind::Credits => (before.credits, after.credits),
        BalanceKind::Status => (before.status_balance, after.status_balance),
    };
    tx.prepare_cached(
        "INSERT INTO ledger (id, user_id, kind, delta, balance_after, reason, ref_id, at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        Uuid::now_v7().to_string(),
        after.id.to_string(),
        kind.as_str(),
        new - old,
        new,
        reason.trim(),
        ref_id,
        at,
        iso
    ])?;
    tx.prepare_cached(
        "UPDATE users SET reputation = ?2, credits = ?3, status_balance = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![
        after.id.to_string(),
        after.reputation,
        after.credits,
        after.status_balance,
        iso
    ])?;
    Ok(())
}

pub(crate) fn load_tiers(conn: &Connection) -> Result<Vec<(StatusTier, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, name, min_token_balance, discount_percentage, created_at FROM status_tiers ORDER BY min_token_balance",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            StatusTier {
                id: r.get(0)?,
                name: r.get(1)?,
                min_token_balance: r.get(2)?,
                discount_percentage: decimal_at(r, 3)?,
            },
            r.get::<_, String>(4)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn tier_out(t: &StatusTier, created_at: &str) -> TierOut {
    TierOut {
        id: t.id,
        name: t.name.clone(),
        min_token_balance: t.min_token_balance,
        discount_percentage: t.discount_percentage.to_string(),
        created_at: created_at.to_string(),
    }
}

fn balances_of(conn: &Connection, c: &Customer) -> Result<BalancesOut> {
    let tiers = load_tiers(conn)?;
    let plain: Vec<StatusTier> = tiers.iter().map(|(t, _)| t.clone()).collect();
    let tier = domain::tier_for(c.status_balance, &plain).and_then(|t| {
        tiers
            .iter()
            .find(|(x, _)| x.id == t.id)
            .map(|(x, at)| tier_out(x, at))
    });
    Ok(BalancesOut {
        user_id: c.id,
        reputation: c.reputation,
        credits: c.credits,
        status_balance: c.status_balance,
        tier,
    })
}

// ------------------------------------------------------------------ products

pub(crate) const PRODUCT_COLS: &str = "id, event_id, name, description, type, prices, stock, max_per_account, redemption_quantity, is_transferable, is_claimable, min_rep_balance, max_items, active, mint_nft, metadata_uri, chain, status, slug, tags, start_sale_at, end_sale_at, issued, next_item_id, created_at, updated_at";

pub(crate) struct ProductRow {
    pub(crate) p: Product,
    pub(crate) counters: ProductCounters,
    created_at: String,
    updated_at: String,
}

pub(crate) fn product_from_row(r: &Row<'_>) -> rusqlite::Result<ProductRow> {
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
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn find_product_where(
    conn: &Connection,
    col: &str,
    val: &str,
) -> Result<Option<ProductRow>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE {col} = ?1"
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

pub(crate) fn require_product(conn: &Connection, id: Uuid) -> Result<ProductRow> {
    find_product_where(conn, "id", &id.to_string())?
        .ok_or_else(|| Error::not_found(format!("product {id}")))
}

fn rule_out(product: Uuid, r: &OrderRule) -> OrderRuleOut {
    OrderRuleOut {
        id: r.id,
        product_id: product,
        start_at: r.start_at,
        end_at: r.end_at,
        purchase_limit: r.purchase_limit,
    }
}

fn product_out(row: &ProductRow) -> ProductOut {
    let p = &row.p;
    ProductOut {
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
        issued: row.counters.issued,
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    }
}

/// A free slug from `base` (`base`, `base-2`, `base-3`, ...).
fn unique_slug(conn: &Connection, base: &str) -> Result<String> {
    let mut st = conn.prepare_cached("SELECT 1 FROM products WHERE slug = ?1")?;
    for n in 1u32.. {
        let cand = if n == 1 {
            base.to_string()
        } else {
            let suffix = format!("-{n}");
            let keep: String = base.chars().take(100 - suffix.len()).collect();
            format!("{}{suffix}", keep.trim_end_matches('-'))
        };
        if !st.exists([&cand])? {
            return Ok(cand);
        }
    }
    Err(Error::Conflict("no free slug".into()))
}

fn check_event_exists(conn: &Connection, event: Option<Uuid>) -> Result<()> {
    if let Some(e) = event
        && find_event(conn, &EventKey::Id(e))?.is_none()
    {
        return Err(DomainError::InvalidField {
            field: "event_id",
            reason: format!("no event {e}"),
        }
        .into());
    }
    Ok(())
}

fn insert_product(tx: &Connection, p: &Product, iso: &str) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO products ({PRODUCT_COLS}) VALUES
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, 0, 1, ?23, ?23)"
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
            iso
        ],
    )?;
    for r in &p.order_rules {
        insert_rule(tx, p.id, r, iso)?;
    }
    Ok(())
}

fn update_product_row(tx: &Connection, p: &Product, iso: &str) -> Result<()> {
    tx.execute(
        "UPDATE products SET event_id = ?2, name = ?3, description = ?4, type = ?5, prices = ?6, stock = ?7,
           max_per_account = ?8, redemption_quantity = ?9, is_transferable = ?10, is_claimable = ?11,
           min_rep_balance = ?12, max_items = ?13, active = ?14, mint_nft = ?15, metadata_uri = ?16,
           chain = ?17, status = ?18, slug = ?19, tags = ?20, start_sale_at = ?21, end_sale_at = ?22,
           updated_at = ?23
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
            iso
        ],
    )?;
    Ok(())
}

fn insert_rule(tx: &Connection, product: Uuid, r: &OrderRule, iso: &str) -> Result<()> {
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

// ------------------------------------------------------------------ items

pub(crate) const ITEM_SELECT: &str =
    "SELECT i.id, i.product_id, i.item_id, i.owner_id, i.redemption_count, i.redemption_quantity,
       i.redeemed_at, i.origin, i.revoked, i.issued_at, i.created_at, i.updated_at,
       u.email, u.first_name, u.last_name, p.name, p.type, p.redemption_quantity,
       n.state, n.chain, n.collection_id, n.owner_address, n.extrinsic_hash, n.block_hash,
       n.metadata_extrinsic_hash, n.attempts, n.last_error_code, n.last_error
  FROM items i JOIN users u ON u.id = i.owner_id JOIN products p ON p.id = i.product_id
  LEFT JOIN nft_mints n ON n.item_uuid = i.id";

pub(crate) struct ItemRow {
    pub(crate) item: Item,
    created_at: String,
    updated_at: String,
    user: ItemUser,
    product: ItemProduct,
    nft: crate::mint_store::NftOut,
}

pub(crate) fn item_from_row(r: &Row<'_>) -> rusqlite::Result<ItemRow> {
    let origin: String = r.get(7)?;
    let item = Item {
        id: uuid_at(r, 0)?,
        product_id: uuid_at(r, 1)?,
        item_id: opt_u64(r.get(2)?).unwrap_or(0),
        owner_id: uuid_at(r, 3)?,
        redemption_count: r.get(4)?,
        redemption_quantity: r.get(5)?,
        redeemed_at: r.get(6)?,
        origin: ItemOrigin::parse(&origin).ok_or_else(|| bad_stored("item origin"))?,
        revoked: r.get(8)?,
        created_at: r.get(9)?,
    };
    Ok(ItemRow {
        user: ItemUser {
            id: item.owner_id,
            email: r.get(12)?,
            first_name: r.get(13)?,
            last_name: r.get(14)?,
        },
        product: ItemProduct {
            id: item.product_id,
            name: r.get(15)?,
            product_type: r.get(16)?,
            redemption_quantity: r.get(17)?,
        },
        item,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        nft: crate::mint_store::nft_from_row(r, 18)?,
    })
}

fn item_out(row: &ItemRow) -> ItemOut {
    let i = &row.item;
    ItemOut {
        id: i.id,
        product_id: i.product_id,
        item_id: i.item_id,
        redemption_count: i.redemption_count,
        redemption_quantity: i.redemption_quantity,
        is_fully_redeemed: i.is_fully_redeemed(),
        redeemed_at: i.redeemed_at,
        origin: i.origin.as_str().to_string(),
        revoked: i.revoked,
        user: row.user.clone(),
        product: row.product.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        nft: row.nft.clone(),
    }
}

pub(crate) fn find_item(conn: &Connection, id: Uuid) -> Result<Option<ItemRow>> {
    Ok(conn
        .prepare_cached(&format!("{ITEM_SELECT} WHERE i.id = ?1"))?
        .query_row([id.to_string()], item_from_row)
        .optional()?)
}

fn require_item(conn: &Connection, id: Uuid) -> Result<ItemRow> {
    find_item(conn, id)?.ok_or_else(|| Error::not_found(format!("item {id}")))
}

/// How many live items of `product` `owner` holds now.
pub(crate) fn holding(conn: &Connection, product: Uuid, owner: Uuid) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM items WHERE product_id = ?1 AND owner_id = ?2 AND revoked = 0",
        )?
        .query_row(params![product.to_string(), owner.to_string()], |r| {
            r.get(0)
        })?;
    Ok(opt_u64(Some(n)).unwrap_or(0))
}

/// Insert planned items and advance the product's counters; returns them as JSON.
#[allow(clippy::too_many_arguments)]
fn store_items(
    tx: &Connection,
    row: &ProductRow,
    plan: &[domain::PlannedItem],
    owners: &HashMap<Uuid, Customer>,
    origin: ItemOrigin,
    origin_ref: Option<&str>,
    at: i64,
    iso: &str,
) -> Result<Vec<ItemOut>> {
    let items = domain::materialize(&row.p, plan, origin, at, Uuid::new_v4);
    let mut st = tx.prepare_cached(
        "INSERT INTO items (id, product_id, item_id, owner_id, redemption_count, redemption_quantity, redeemed_at, origin, origin_ref, revoked, issued_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, NULL, ?6, ?7, 0, ?8, ?9, ?9)",
    )?;
    let product = ItemProduct {
        id: row.p.id,
        name: row.p.name.clone(),
        product_type: row.p.product_type.as_str().to_string(),
        redemption_quantity: row.p.redemption_quantity,
    };
    let mut out = Vec::with_capacity(items.len());
    for i in &items {
        st.execute(params![
            i.id.to_string(),
            i.product_id.to_string(),
            to_i64(i.item_id),
            i.owner_id.to_string(),
            i.redemption_quantity,
            i.origin.as_str(),
            origin_ref,
            at,
            iso
        ])?;
        let owner = owners
            .get(&i.owner_id)
            .ok_or_else(|| Error::Storage("planned item for an unresolved owner".into()))?;
        out.push(ItemOut {
            id: i.id,
            product_id: i.product_id,
            item_id: i.item_id,
            redemption_count: 0,
            redemption_quantity: i.redemption_quantity,
            is_fully_redeemed: i.is_fully_redeemed(),
            redeemed_at: None,
            origin: i.origin.as_str().to_string(),
            revoked: false,
            user: item_user(owner),
            product: product.clone(),
            created_at: iso.to_string(),
            updated_at: iso.to_string(),
            nft: crate::mint_store::initial_nft(&row.p),
        });
    }
    crate::mint_store::enqueue(tx, &row.p, &items, at, iso)?;
    save_counters(tx, row.p.id, &domain::advance(&row.counters, plan), iso)?;
    Ok(out)
}

fn page_of<T>(
    conn: &Connection,
    count_sql: &str,
    list_sql: &str,
    args: Vec<Value>,
    page: &PageReq,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Page<T>> {
    let total = count(conn, count_sql, rusqlite::params_from_iter(args.iter()))?;
    let mut all = args;
    all.push(Value::Integer(i64::from(page.limit)));
    all.push(Value::Integer(to_i64(page.offset())));
    let mut st = conn.prepare(list_sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(all.iter()), f)?;
    let items = rows.collect::<rusqlite::Result<Vec<T>>>()?;
    Ok(Page::new(items, total, page))
}

// ------------------------------------------------------------------ sales

const SALE_SELECT: &str = "SELECT s.id, s.order_number, s.product_id, s.quantity, s.currency, s.unit_price, s.subtotal,
       s.discount_percentage, s.discount, s.total, s.payment_method, s.buyer_id, u.email, u.first_name, u.last_name,
       s.device_id, s.sold_at, s.created_at
  FROM sales s JOIN users u ON u.id = s.buyer_id";

fn sale_from_row(r: &Row<'_>) -> rusqlite::Result<SaleOut> {
    Ok(SaleOut {
        id: uuid_at(r, 0)?,
        order_number: r.get(1)?,
        product_id: uuid_at(r, 2)?,
        quantity: r.get(3)?,
        currency: r.get(4)?,
        unit_price: r.get(5)?,
        subtotal: r.get(6)?,
        discount_percentage: r.get(7)?,
        discount: r.get(8)?,
        total: r.get(9)?,
        payment_method: r.get(10)?,
        buyer: ItemUser {
            id: uuid_at(r, 11)?,
            email: r.get(12)?,
            first_name: r.get(13)?,
            last_name: r.get(14)?,
        },
        device_id: opt_uuid_at(r, 15)?,
        sold_at: r.get(16)?,
        created_at: r.get(17)?,
        items: None,
    })
}

// ------------------------------------------------------------------ rewards

pub(crate) const REWARD_COLS: &str = "id, name, description, credit_cost, grant_product_id, grant_quantity, supply_total, redeemed_count, max_per_user, min_tier_id, country_restrictions, tags, ord, active, created_at, updated_at";

pub(crate) struct RewardRow {
    pub(crate) o: RewardOffer,
    created_at: String,
    updated_at: String,
}

pub(crate) fn reward_from_row(r: &Row<'_>) -> rusqlite::Result<RewardRow> {
    Ok(RewardRow {
        o: RewardOffer {
            id: uuid_at(r, 0)?,
            name: r.get(1)?,
            description: r.get(2)?,
            credit_cost: r.get(3)?,
            grants: RewardGrant {
                product_id: uuid_at(r, 4)?,
                quantity: r.get(5)?,
            },
            supply_total: opt_u64(r.get(6)?),
            redeemed_count: opt_u64(r.get(7)?).unwrap_or(0),
            max_per_user: opt_u64(r.get(8)?),
            min_tier_id: r.get(9)?,
            country_restrictions: json_at(r, 10)?,
            tags: json_at(r, 11)?,
            order: r.get(12)?,
            active: r.get(13)?,
        },
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

fn reward_out(row: &RewardRow) -> RewardOut {
    let o = &row.o;
    RewardOut {
        id: o.id,
        name: o.name.clone(),
        description: o.description.clone(),
        credit_cost: o.credit_cost,
        grants: GrantBody {
            product_id: o.grants.product_id,
            quantity: o.grants.quantity,
        },
        supply: SupplyOut {
            available: o.available(),
            total: o.supply_total,
        },
        redeemed_count: o.redeemed_count,
        max_per_user: o.max_per_user,
        min_tier_id: o.min_tier_id,
        country_restrictions: o.country_restrictions.clone(),
        tags: o.tags.clone(),
        order: o.order,
        active: o.active,
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    }
}

pub(crate) fn require_reward(conn: &Connection, id: Uuid) -> Result<RewardRow> {
    conn.prepare_cached(&format!("SELECT {REWARD_COLS} FROM rewards WHERE id = ?1"))?
        .query_row([id.to_string()], reward_from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("reward {id}")))
}

/// Build and validate an offer from a request body; the granted product and the
/// minimum tier must exist.
fn offer_from_body(
    conn: &Connection,
    id: Uuid,
    b: RewardBody,
    redeemed_count: u64,
    active_default: bool,
) -> Result<RewardOffer> {
    let o = RewardOffer {
        id,
        name: b.name.trim().to_string(),
        description: b.description,
        credit_cost: b.credit_cost,
        grants: RewardGrant {
            product_id: b.grants.product_id,
            quantity: b.grants.quantity,
        },
        supply_total: b.supply_total,
        redeemed_count,
        max_per_user: b.max_per_user,
        min_tier_id: b.min_tier_id,
        country_restrictions: b
            .country_restrictions
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect(),
        tags: b.tags,
        order: b.order,
        active: b.active.unwrap_or(active_default),
    };
    domain::validate_reward_offer(&o)?;
    if find_product_where(conn, "id", &o.grants.product_id.to_string())?.is_none() {
        return Err(DomainError::InvalidField {
            field: "grants.product_id",
            reason: format!("no product {}", o.grants.product_id),
        }
        .into());
    }
    if let Some(t) = o.min_tier_id
        && !load_tiers(conn)?.iter().any(|(x, _)| x.id == t)
    {
        return Err(DomainError::InvalidField {
            field: "min_tier_id",
            reason: format!("no status tier {t}"),
        }
        .into());
    }
    Ok(o)
}

fn write_reward(tx: &Connection, o: &RewardOffer, iso: &str, insert: bool) -> Result<()> {
    let sql = if insert {
        "INSERT INTO rewards (id, name, description, credit_cost, grant_product_id, grant_quantity, supply_total, redeemed_count,
            max_per_user, min_tier_id, country_restrictions, tags, ord, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)"
    } else {
        "UPDATE rewards SET name = ?2, description = ?3, credit_cost = ?4, grant_product_id = ?5, grant_quantity = ?6,
            supply_total = ?7, redeemed_count = ?8, max_per_user = ?9, min_tier_id = ?10, country_restrictions = ?11,
            tags = ?12, ord = ?13, active = ?14, updated_at = ?15
         WHERE id = ?1"
    };
    tx.prepare_cached(sql)?.execute(params![
        o.id.to_string(),
        o.name,
        o.description,
        o.credit_cost,
        o.grants.product_id.to_string(),
        o.grants.quantity,
        o.supply_total.map(to_i64),
        to_i64(o.redeemed_count),
        o.max_per_user.map(to_i64),
        o.min_tier_id,
        serde_json::to_string(&o.country_restrictions)?,
        serde_json::to_string(&o.tags)?,
        o.order,
        o.active,
        iso
    ])?;
    Ok(())
}

const REDEEM_SELECT: &str = "SELECT id, reward_id, user_id, country, credits_spent, redeemed_at, created_at FROM reward_redeems";

fn redeem_from_row(r: &Row<'_>) -> rusqlite::Result<RedeemOut> {
    Ok(RedeemOut {
        id: uuid_at(r, 0)?,
        reward_id: uuid_at(r, 1)?,
        user_id: uuid_at(r, 2)?,
        country: r.get(3)?,
        credits_spent: r.get(4)?,
        redeemed_at: r.get(5)?,
        created_at: r.get(6)?,
        items: None,
        credits_balance: None,
    })
}

// ------------------------------------------------------------------ operations

fn op_issue(
    tx: &Transaction<'_>,
    product: Uuid,
    users: Vec<Uuid>,
    emails: Vec<String>,
) -> Result<Vec<ItemOut>> {
    let refs = domain::recipient_batch(&users, &emails)?;
    let row = require_product(tx, product)?;
    let mut known: HashMap<RecipientRef, Customer> = HashMap::new();
    for r in &refs {
        if known.contains_key(r) {
            continue;
        }
        let key = match r {
            RecipientRef::User(u) => UserKey::Id(*u),
            RecipientRef::Email(e) => UserKey::Email(e.clone()),
        };
        if let Some(u) = find_user(tx, &key)? {
            known.insert(r.clone(), u.c);
        }
    }
    let recipients = domain::resolve_recipients(&refs, |r| known.get(r).cloned())?;
    let mut holdings = HashMap::new();
    let mut owners = HashMap::new();
    for c in &recipients {
        if let std::collections::hash_map::Entry::Vacant(e) = holdings.entry(c.id) {
            e.insert(holding(tx, product, c.id)?);
            owners.insert(c.id, c.clone());
        }
    }
    let (at, iso) = now();
    let plan = domain::plan_issue(&row.p, &row.counters, &recipients, &holdings, at)?;
    store_items(tx, &row, &plan, &owners, ItemOrigin::Issue, None, at, &iso)
}

fn op_transfer(
    tx: &Transaction<'_>,
    product: Uuid,
    item: Uuid,
    sender: UserKey,
    recipient_key: UserKey,
) -> Result<TransferOut> {
    let row = require_product(tx, product)?;
    let it = require_item(tx, item)?;
    // An unknown sender cannot own the item.
    let sender = find_user(tx, &sender)?.ok_or(Error::Domain(DomainError::NotOwner))?;
    let rcpt = recipient(tx, &recipient_key)?;
    let holds = holding(tx, product, rcpt.c.id)?;
    domain::check_transfer(&row.p, &it.item, sender.c.id, &rcpt.c, holds)?;
    let moved = domain::transfer(&it.item, rcpt.c.id);
    let (at, iso) = now();
    tx.execute(
        "UPDATE items SET owner_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![moved.id.to_string(), moved.owner_id.to_string(), iso],
    )?;
    tx.execute(
        "INSERT INTO transfers (id, item_id, from_user_id, to_user_id, transferred_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            Uuid::now_v7().to_string(),
            moved.id.to_string(),
            sender.c.id.to_string(),
            rcpt.c.id.to_string(),
            at
        ],
    )?;
    Ok(TransferOut {
        product_item: TransferItemOut {
            id: moved.id,
            item_id: moved.item_id,
            product_id: moved.product_id,
            product_name: row.p.name.clone(),
            product_type: row.p.product_type.as_str().to_string(),
            redemption_count: moved.redemption_count,
            redemption_quantity: moved.redemption_quantity,
            is_fully_redeemed: moved.is_fully_redeemed(),
            redeemed_at: moved.redeemed_at,
        },
        previous_owner: item_user(&sender.c),
        new_owner: item_user(&rcpt.c),
        transferred_at: at,
    })
}

fn op_sale(tx: &Transaction<'_>, req: SaleRequest) -> Result<SaleOut> {
    let method =
        PaymentMethod::parse(&req.payment_method).ok_or_else(|| DomainError::InvalidField {
            field: "payment_method",
            reason: format!("{:?} is not cash or card", req.payment_method),
        })?;
    let currency = req
        .currency
        .as_deref()
        .map(domain::validate_currency)
        .transpose()?;
    let row = require_product(tx, req.product_id)?;
    let (at, iso) = now();
    let buyer = match &req.buyer {
        UserKey::Email(e) => match find_user(tx, &req.buyer)? {
            Some(u) => u.c,
            None => {
                // A walk-up buyer becomes a customer as part of the same sale.
                let c = CustomerInput {
                    email: e.clone(),
                    first_name: req.buyer_first_name.clone(),
                    last_name: req.buyer_last_name.clone(),
                    country: None,
                }
                .into_customer(Uuid::new_v4())?;
                insert_user(tx, &c, None, &iso)?;
                c
            }
        },
        other => recipient(tx, other)?.c,
    };
    let tiers: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
    let holds = holding(tx, row.p.id, buyer.id)?;
    let mut bought: HashMap<Uuid, u64> = HashMap::new();
    for rule in &row.p.order_rules {
        let n = count(
            tx,
            "SELECT COALESCE(SUM(quantity), 0) FROM sales
              WHERE buyer_id = ?1 AND product_id = ?2 AND sold_at >= ?3 AND sold_at < ?4",
            params![
                buyer.id.to_string(),
                row.p.id.to_string(),
                rule.start_at.unwrap_or(i64::MIN),
                rule.end_at.unwrap_or(i64::MAX)
            ],
        )?;
        bought.insert(rule.id, n);
    }
    let (quote, plan) = domain::plan_sale(
        &row.p,
        &row.counters,
        &buyer,
        holds,
        req.quantity,
        currency.as_deref(),
        &tiers,
        at,
        |r| bought.get(&r.id).copied().unwrap_or(0),
    )?;
    let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM sales", [], |r| {
        r.get(0)
    })?;
    let id = Uuid::now_v7();
    let order_number = format!("HO-{seq:06}");
    tx.execute(
        "INSERT INTO sales (seq, id, order_number, product_id, quantity, currency, unit_price, subtotal, discount_percentage,
            discount, total, payment_method, buyer_id, device_id, sold_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            seq,
            id.to_string(),
            order_number,
            row.p.id.to_string(),
            quote.quantity,
            quote.currency,
            quote.unit_price.to_string(),
            quote.subtotal.to_string(),
            quote.discount_percentage.to_string(),
            quote.discount.to_string(),
            quote.total.to_string(),
            method.as_str(),
            buyer.id.to_string(),
            req.device_id.map(|d| d.to_string()),
            at,
            iso
        ],
    )?;
    let owners = HashMap::from([(buyer.id, buyer.clone())]);
    let items = store_items(
        tx,
        &row,
        &plan,
        &owners,
        ItemOrigin::Sale,
        Some(&id.to_string()),
        at,
        &iso,
    )?;
    Ok(SaleOut {
        id,
        order_number,
        product_id: row.p.id,
        quantity: quote.quantity,
        currency: quote.currency,
        unit_price: quote.unit_price.to_string(),
        subtotal: quote.subtotal.to_string(),
        discount_percentage: quote.discount_percentage.to_string(),
        discount: quote.discount.to_string(),
        total: quote.total.to_string(),
        payment_method: method.as_str().to_string(),
        buyer: item_user(&buyer),
        device_id: req.device_id,
        sold_at: at,
        created_at: iso,
        items: Some(items),
    })
}

fn op_redeem_reward(
    tx: &Transaction<'_>,
    id: Uuid,
    user: UserKey,
    country: Option<String>,
) -> Result<RedeemOut> {
    let reward = require_reward(tx, id)?;
    let mut customer = recipient(tx, &user)?.c;
    let before = customer.clone();
    if let Some(c) = country {
        customer.country = Some(domain::validate_country(&c)?);
    }
    let already = count(
        tx,
        "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1 AND user_id = ?2",
        params![id.to_string(), customer.id.to_string()],
    )?;
    let tiers: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
    let granted = require_product(tx, reward.o.grants.product_id)?;
    let holds = holding(tx, granted.p.id, customer.id)?;
    let (at, iso) = now();
    let plan = domain::plan_reward(
        &reward.o,
        &customer,
        already,
        &tiers,
        &granted.p,
        &granted.counters,
        holds,
        at,
    )?;
    let redeem_id = Uuid::now_v7();
    let rid = redeem_id.to_string();
    if reward.o.credit_cost != 0 {
        let mut after = before.clone();
        after.credits = plan.customer.credits;
        post_ledger(
            tx,
            &before,
            &after,
            BalanceKind::Credits,
            &format!("reward redeem: {}", reward.o.name),
            Some(&rid),
            at,
            &iso,
        )?;
    }
    write_reward(tx, &plan.offer, &iso, false)?;
    tx.execute(
        "INSERT INTO reward_redeems (id, reward_id, user_id, country, credits_spent, redeemed_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            rid,
            id.to_string(),
            customer.id.to_string(),
            customer.country,
            reward.o.credit_cost,
            at,
            iso
        ],
    )?;
    let owners = HashMap::from([(customer.id, customer.clone())]);
    let items = store_items(
        tx,
        &granted,
        &plan.items,
        &owners,
        ItemOrigin::Reward,
        Some(&rid),
        at,
        &iso,
    )?;
    Ok(RedeemOut {
        id: redeem_id,
        reward_id: id,
        user_id: customer.id,
        country: customer.country,
        credits_spent: reward.o.credit_cost,
        redeemed_at: at,
        created_at: iso,
        items: Some(items),
        credits_balance: Some(plan.customer.credits),
    })
}

fn op_claim(tx: &Transaction<'_>, code: Uuid, user: UserKey) -> Result<ItemOut> {
    let cc = tx
        .query_row(
            "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1",
            [code.to_string()],
            |r| {
                Ok(ClaimCode {
                    code: uuid_at(r, 0)?,
                    product_id: uuid_at(r, 1)?,
                    claimed_by: opt_uuid_at(r, 2)?,
                    claimed_at: r.get(3)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| Error::not_found(format!("claim code {code}")))?;
    let row = require_product(tx, cc.product_id)?;
    domain::check_claim(&row.p, &cc)?;
    let c = recipient(tx, &user)?.c;
    let holdings = HashMap::from([(c.id, holding(tx, row.p.id, c.id)?)]);
    let (at, iso) = now();
    let plan = domain::plan_issue(
        &row.p,
        &row.counters,
        std::slice::from_ref(&c),
        &holdings,
        at,
    )?;
    let owners = HashMap::from([(c.id, c.clone())]);
    let code_s = code.to_string();
    let items = store_items(
        tx,
        &row,
        &plan,
        &owners,
        ItemOrigin::Claim,
        Some(&code_s),
        at,
        &iso,
    )?;
    let item = items
        .into_iter()
        .next()
        .ok_or_else(|| Error::Storage("claim planned no item".into()))?;
    tx.execute(
        "UPDATE claim_codes SET claimed_by = ?2, claimed_at = ?3, item = ?4 WHERE code = ?1",
        params![code_s, c.id.to_string(), at, item.id.to_string()],
    )?;
    Ok(item)
}

fn op_demo(tx: &Transaction<'_>, n_users: u32) -> Result<DemoSummary> {
    if tx
        .prepare("SELECT 1 FROM users WHERE email = ?1")?
        .exists(["demo-00001@example.com"])?
    {
        return Err(Error::Conflict("demo data is already present".into()));
    }
    let (at, iso) = now();
    let event = EventInput {
        name: Some("Wicket Demo Night".into()),
        start_date: Some(at + 7 * 86_400),
        end_date: Some(at + 7 * 86_400 + 6 * 3600),
        location: Some("Main Hall".into()),
        address: Some("1 Demo Street, Lisbon".into()),
        description: Some("Seeded by wicket-headoffice demo".into()),
        reference_id: None,
    }
    .into_event(Uuid::new_v4())?;
    insert_event(tx, &event, &iso)?;

    if load_tiers(tx)?.is_empty() {
        for (id, name, min, pct) in [
            (1u32, "Bronze", 0i64, Decimal::ZERO),
            (2, "Silver", 100, Decimal::new(5, 0)),
            (3, "Gold", 500, Decimal::new(10, 0)),
        ] {
            let t = StatusTier {
                id,
                name: name.into(),
                min_token_balance: min,
                discount_percentage: pct,
            };
            domain::validate_status_tier(&t, &[])?;
            tx.execute(
                "INSERT INTO status_tiers (id, name, min_token_balance, discount_percentage, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t.id, t.name, t.min_token_balance, t.discount_percentage.to_string(), iso],
            )?;
        }
    }

    let mk = |ty: &str, name: &str, price: &str, f: &dyn Fn(&mut ProductInput)| {
        let mut p = ProductInput {
            product_type: Some(ty.into()),
            name: Some(name.into()),
            event_id: Some(event.id),
            price: Some(price.into()),
            currency: Some("EUR".into()),
            ..Default::default()
        };
        f(&mut p);
        p.into_product(Uuid::new_v4())
    };
    let mut products = vec![
        mk("admission", "General Admission", "49.99", &|p| {
            p.stock = Some(5000);
            p.max_per_account = Some(4);
            p.is_transferable = Some(true);
            p.tags = Some(vec!["ticket".into()]);
        })?,
        mk("presale", "Early Bird", "29.50", &|p| {
            p.stock = Some(1000);
            p.max_per_account = Some(2);
            p.tags = Some(vec!["ticket".into(), "presale".into()]);
        })?,
        mk("perks", "Drink Voucher", "5.00", &|p| {
            p.redemption_quantity = Some(3);
            p.is_transferable = Some(true);
            p.is_claimable = Some(true);
            p.tags = Some(vec!["bar".into()]);
        })?,
    ];
    for p in &mut products {
        p.slug = Some(unique_slug(tx, &domain::slugify(&p.name))?);
        insert_product(tx, p, &iso)?;
    }

    let mut customers = Vec::with_capacity(n_users as usize);
    for i in 1..=n_users {
        let mut c = CustomerInput {
            email: format!("demo-{i:05}@example.com"),
            first_name: Some(format!("Demo{i}")),
            last_name: Some("Guest".into()),
            country: Some(["PT", "ES", "FR", "DE"][(i % 4) as usize].into()),
        }
        .into_customer(Uuid::new_v4())?;
        insert_user(tx, &c, None, &iso)?;
        // Balances come from ledger entries, as in production.
        let credits = i64::from(i % 5) * 50;
        let status = i64::from((i * 37) % 800);
        for (kind, delta) in [
            (BalanceKind::Credits, credits),
            (BalanceKind::Status, status),
        ] {
            if delta != 0 {
                let after = domain::adjust_balance(&c, kind, delta, "demo grant")?;
                post_ledger(tx, &c, &after, kind, "demo grant", None, at, &iso)?;
                c = after;
            }
        }
        customers.push(c);
    }

    let mut issued = 0u32;
    for (p, n) in [(&products[0], 500usize), (&products[2], 200)] {
        let row = require_product(tx, p.id)?;
        let recipients = &customers[..n.min(customers.len())];
        let plan = domain::plan_issue(&row.p, &row.counters, recipients, &HashMap::new(), at)?;
        let owners: HashMap<Uuid, Customer> =
            recipients.iter().map(|c| (c.id, c.clone())).collect();
        issued +=
            store_items(tx, &row, &plan, &owners, ItemOrigin::Issue, None, at, &iso)?.len() as u32;
    }

    let rewards = [
        RewardBody {
            name: "Free drink".into(),
            description: Some("One drink voucher".into()),
            credit_cost: 50,
            grants: GrantBody {
                product_id: products[2].id,
                quantity: 1,
            },
            supply_total: Some(1000),
            max_per_user: Some(2),
            min_tier_id: None,
            country_restrictions: vec![],
            tags: vec!["bar".into()],
            order: 1,
            active: Some(true),
        },
        RewardBody {
            name: "Early bird upgrade".into(),
            description: Some("Gold members only, not in Spain".into()),
            credit_cost: 150,
            grants: GrantBody {
                product_id: products[1].id,
                quantity: 1,
            },
            supply_total: Some(50),
            max_per_user: Some(1),
            min_tier_id: Some(3),
            country_restrictions: vec!["NOT_ES".into()],
            tags: vec!["ticket".into()],
            order: 2,
            active: Some(true),
        },
    ];
    let n_rewards = rewards.len() as u32;
    for b in rewards {
        let o = offer_from_body(tx, Uuid::new_v4(), b, 0, true)?;
        write_reward(tx, &o, &iso, true)?;
    }
    // Staff reach devices through sync (the `staff` change feed), PINs hashed
    // exactly as `POST /v1/staff` hashes them.
    for (name, role, pin) in crate::sync::DEMO_STAFF {
        crate::sync_sqlite::create_staff(tx, name, *role, &crate::sync::hash_pin(pin)?)?;
    }
    Ok(DemoSummary {
        staff: crate::sync::DEMO_STAFF.len() as u32,
        users: n_users,
        products: products.len() as u32,
        items: issued,
        rewards: n_rewards,
    })
}

fn list_products_sql(
    conn: &Connection,
    q: ProductQuery,
    page: PageReq,
) -> Result<Page<ProductOut>> {
    let mut wh = vec!["1 = 1".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if let Some(s) = q.search.filter(|s| !s.trim().is_empty()) {
        args.push(Value::Text(s.trim().to_lowercase()));
        wh.push(format!(
            "(instr(lower(name), ?{n}) > 0 OR instr(lower(COALESCE(description, '')), ?{n}) > 0 OR instr(slug, ?{n}) > 0)",
            n = args.len()
        ));
    }
    if let Some(s) = q.status {
        args.push(Value::Text(s));
        wh.push(format!("status = ?{}", args.len()));
    }
    if !q.tags.is_empty() {
        let mut marks = Vec::new();
        for t in q.tags {
            args.push(Value::Text(t));
            marks.push(format!("?{}", args.len()));
        }
        wh.push(format!(
            "EXISTS (SELECT 1 FROM json_each(products.tags) WHERE json_each.value IN ({}))",
            marks.join(", ")
        ));
    }
    let col = match q.sort {
        ProductSort::CreatedAt => "created_at",
        ProductSort::UpdatedAt => "updated_at",
        ProductSort::Name => "lower(name)",
        // Ordering only; amounts are never read back from this REAL.
        ProductSort::Price => "CAST(json_extract(prices, '$[0].amount') AS REAL)",
        ProductSort::StartSaleAt => "start_sale_at",
        ProductSort::EndSaleAt => "end_sale_at",
        ProductSort::Status => "status",
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
        items.push(product_out(&row));
    }
    Ok(Page {
        items,
        meta: out.meta,
    })
}

// ------------------------------------------------------------------ the trait

impl Store for SqliteStore {
    fn key_scope(&self, key_hash: String) -> StoreFuture<Option<Scope>> {
        self.run(move |c| {
            let s: Option<String> = c
                .prepare_cached("SELECT scope FROM api_keys WHERE key_hash = ?1")?
                .query_row([key_hash], |r| r.get(0))
                .optional()?;
            Ok(s.as_deref().and_then(Scope::parse))
        })
    }

    fn insert_key(&self, key_hash: String, scope: Scope) -> StoreFuture<Uuid> {
        self.write(move |tx| {
            let id = Uuid::new_v4();
            tx.execute(
                "INSERT INTO api_keys (id, key_hash, scope, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id.to_string(), key_hash, scope.as_str(), now().1],
            )?;
            Ok(id)
        })
    }

    fn create_event(&self, input: EventInput) -> StoreFuture<EventOut> {
        self.write(move |tx| {
            let e = input.into_event(Uuid::new_v4())?;
            let (_, iso) = now();
            insert_event(tx, &e, &iso)?;
            find_event(tx, &EventKey::Id(e.id))?
                .ok_or_else(|| Error::Storage("event vanished".into()))
        })
    }

    fn update_event(&self, key: EventKey, input: EventInput) -> StoreFuture<EventOut> {
        self.write(move |tx| {
            let old = find_event(tx, &key)?.ok_or_else(|| Error::not_found("event"))?;
            let e = input.apply_to(&domain_event(&old))?;
            let (_, iso) = now();
            tx.execute(
                "UPDATE events SET name = ?2, start_date = ?3, end_date = ?4, location = ?5, address = ?6,
                   description = ?7, reference_id = ?8, updated_at = ?9 WHERE id = ?1",
                params![
                    e.id.to_string(),
                    e.name,
                    e.start_date,
                    e.end_date,
                    e.location,
                    e.address,
                    e.description,
                    e.reference_id,
                    iso
                ],
            )?;
            find_event(tx, &EventKey::Id(e.id))?
                .ok_or_else(|| Error::Storage("event vanished".into()))
        })
    }

    fn get_event(&self, key: EventKey) -> StoreFuture<EventOut> {
        self.run(move |c| find_event(c, &key)?.ok_or_else(|| Error::not_found("event")))
    }

    fn list_events(&self, page: PageReq) -> StoreFuture<Page<EventOut>> {
        self.run(move |c| {
            page_of(
                c,
                "SELECT COUNT(*) FROM events",
                &format!(
                    "SELECT {EVENT_COLS} FROM events ORDER BY start_date, id LIMIT ?1 OFFSET ?2"
                ),
                vec![],
                &page,
                event_from_row,
            )
        })
    }

    fn delete_event(&self, id: Uuid) -> StoreFuture<()> {
        self.write(move |tx| {
            find_event(tx, &EventKey::Id(id))?
                .ok_or_else(|| Error::not_found(format!("event {id}")))?;
            let n = count(
                tx,
                "SELECT COUNT(*) FROM products WHERE event_id = ?1",
                [id.to_string()],
            )?;
            if n > 0 {
                // Products carry issued tickets; never delete those implicitly.
                return Err(Error::Conflict(format!(
                    "event has {n} product(s); move or remove them first"
                )));
            }
            tx.execute("DELETE FROM events WHERE id = ?1", [id.to_string()])?;
            Ok(())
        })
    }

    fn create_users(&self, users: Vec<NewUserBody>) -> StoreFuture<Vec<UserOut>> {
        self.write(move |tx| {
            domain::check_user_batch(users.len())?;
            let mut errors = Vec::new();
            let mut ok = Vec::with_capacity(users.len());
            let mut seen = std::collections::HashSet::new();
            for u in users {
                let reference = match u.reference_id.as_deref().map(domain::validate_reference_id) {
                    Some(Err(e)) => {
                        errors.push(e);
                        continue;
                    }
                    Some(Ok(r)) => Some(r),
                    None => None,
                };
                match (CustomerInput {
                    email: u.email,
                    first_name: u.first_name,
                    last_name: u.last_name,
                    country: u.country,
                })
                .into_customer(Uuid::new_v4())
                {
                    Ok(c) => {
                        if !seen.insert(c.email.clone()) {
                            return Err(Error::Conflict(format!(
                                "email {} appears twice in the request",
                                c.email
                            )));
                        }
                        ok.push((c, reference));
                    }
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                return Err(Error::DomainMany(errors));
            }
            let (_, iso) = now();
            let mut out = Vec::with_capacity(ok.len());
            for (c, r) in ok {
                insert_user(tx, &c, r.as_deref(), &iso)?;
                out.push(UserOut {
                    id: c.id,
                    email: c.email,
                    first_name: c.first_name,
                    last_name: c.last_name,
                    reference_id: r,
                    country: c.country,
                    created_at: iso.clone(),
                    updated_at: iso.clone(),
                });
            }
            Ok(out)
        })
    }

    fn fetch_users(&self, limit: u32, offset: u64) -> StoreFuture<UsersPage> {
        self.run(move |c| {
            let total = count(c, "SELECT COUNT(*) FROM users", [])?;
            let mut st = c.prepare(&format!(
                "SELECT {USER_COLS} FROM users ORDER BY rowid LIMIT ?1 OFFSET ?2"
            ))?;
            let users = st
                .query_map(params![limit, to_i64(offset)], |r| {
                    user_from_row(r).map(|u| u.out())
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(UsersPage { users, total })
        })
    }

    fn get_user(&self, key: UserKey) -> StoreFuture<UserOut> {
        self.run(move |c| {
            find_user(c, &key)?
                .map(|u| u.out())
                .ok_or_else(|| Error::not_found(format!("user {key}")))
        })
    }

    fn balances(&self, user: Uuid) -> StoreFuture<BalancesOut> {
        self.run(move |c| balances_of(c, &require_user(c, user)?.c))
    }

    fn adjust_balance(&self, user: Uuid, body: AdjustBody) -> StoreFuture<BalancesOut> {
        self.write(move |tx| {
            let kind = BalanceKind::parse(&body.kind).ok_or_else(|| DomainError::InvalidField {
                field: "kind",
                reason: format!("{:?} is not reputation, credits or status", body.kind),
            })?;
            let before = require_user(tx, user)?.c;
            let after = domain::adjust_balance(&before, kind, body.delta, &body.reason)?;
            let (at, iso) = now();
            post_ledger(tx, &before, &after, kind, &body.reason, None, at, &iso)?;
            balances_of(tx, &after)
        })
    }

    fn ledger(&self, user: Uuid, page: PageReq) -> StoreFuture<Page<LedgerEntryOut>> {
        self.run(move |c| {
            require_user(c, user)?;
            page_of(
                c,
                "SELECT COUNT(*) FROM ledger WHERE user_id = ?1",
                "SELECT id, kind, delta, balance_after, reason, ref_id, at, created_at FROM ledger
                  WHERE user_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
                vec![Value::Text(user.to_string())],
                &page,
                |r| {
                    Ok(LedgerEntryOut {
                        id: uuid_at(r, 0)?,
                        kind: r.get(1)?,
                        delta: r.get(2)?,
                        balance_after: r.get(3)?,
                        reason: r.get(4)?,
                        ref_id: r.get(5)?,
                        at: r.get(6)?,
                        created_at: r.get(7)?,
                    })
                },
            )
        })
    }

    fn create_tier(&self, body: TierBody) -> StoreFuture<TierOut> {
        self.write(move |tx| {
            let pct = domain::parse_price(&body.discount_percentage).map_err(|_| {
                DomainError::InvalidField {
                    field: "discount_percentage",
                    reason: format!("{:?} is not a decimal", body.discount_percentage),
                }
            })?;
            let existing: Vec<StatusTier> = load_tiers(tx)?.into_iter().map(|(t, _)| t).collect();
            let id = existing.iter().map(|t| t.id).max().unwrap_or(0) + 1;
            let t = StatusTier {
                id,
                name: body.name.trim().to_string(),
                min_token_balance: body.min_token_balance,
                discount_percentage: pct,
            };
            domain::validate_status_tier(&t, &existing)?;
            let (_, iso) = now();
            tx.execute(
                "INSERT INTO status_tiers (id, name, min_token_balance, discount_percentage, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t.id, t.name, t.min_token_balance, t.discount_percentage.to_string(), iso],
            )?;
            Ok(tier_out(&t, &iso))
        })
    }

    fn list_tiers(&self) -> StoreFuture<Vec<TierOut>> {
        self.run(|c| {
            Ok(load_tiers(c)?
                .iter()
                .map(|(t, at)| tier_out(t, at))
                .collect())
        })
    }

    fn create_product(&self, input: ProductInput) -> StoreFuture<ProductOut> {
        self.write(move |tx| {
            let mut p = input.into_product(Uuid::new_v4())?;
            check_event_exists(tx, p.event_id)?;
            if p.slug.is_none() {
                p.slug = Some(unique_slug(tx, &domain::slugify(&p.name))?);
            }
            let (_, iso) = now();
            insert_product(tx, &p, &iso)?;
            Ok(product_out(&require_product(tx, p.id)?))
        })
    }

    fn get_product(&self, id: Uuid) -> StoreFuture<ProductOut> {
        self.run(move |c| Ok(product_out(&require_product(c, id)?)))
    }

    fn product_by_slug(&self, slug: String) -> StoreFuture<ProductOut> {
        self.run(move |c| {
            find_product_where(c, "slug", &slug)?
                .map(|r| product_out(&r))
                .ok_or_else(|| Error::not_found(format!("product with slug {slug:?}")))
        })
    }

    fn list_products(&self, q: ProductQuery, page: PageReq) -> StoreFuture<Page<ProductOut>> {
        self.run(move |c| list_products_sql(c, q, page))
    }

    fn update_product(&self, id: Uuid, input: ProductInput) -> StoreFuture<ProductOut> {
        self.write(move |tx| {
            let row = require_product(tx, id)?;
            let replace_rules = input.order_rules.is_some();
            let p = input.apply_to(&row.p)?;
            check_event_exists(tx, p.event_id)?;
            let (_, iso) = now();
            update_product_row(tx, &p, &iso)?;
            if replace_rules {
                tx.execute(
                    "DELETE FROM order_rules WHERE product_id = ?1",
                    [id.to_string()],
                )?;
                for r in &p.order_rules {
                    insert_rule(tx, id, r, &iso)?;
                }
            }
            Ok(product_out(&require_product(tx, id)?))
        })
    }

    fn publish_product(&self, id: Uuid) -> StoreFuture<ProductOut> {
        self.write(move |tx| {
            let row = require_product(tx, id)?;
            let p = ProductInput {
                status: Some(ProductStatus::Published.as_str().into()),
                ..Default::default()
            }
            .apply_to(&row.p)?;
            update_product_row(tx, &p, &now().1)?;
            Ok(product_out(&require_product(tx, id)?))
        })
    }

    fn list_order_rules(&self, product: Uuid) -> StoreFuture<Vec<OrderRuleOut>> {
        self.run(move |c| {
            let row = require_product(c, product)?;
            Ok(row
                .p
                .order_rules
                .iter()
                .map(|r| rule_out(product, r))
                .collect())
        })
    }

    fn add_order_rule(&self, product: Uuid, rule: OrderRuleBody) -> StoreFuture<OrderRuleOut> {
        self.write(move |tx| {
            require_product(tx, product)?;
            let r = OrderRule {
                id: Uuid::new_v4(),
                start_at: rule.start_at,
                end_at: rule.end_at,
                purchase_limit: rule.purchase_limit,
            };
            domain::validate_order_rule(&r)?;
            insert_rule(tx, product, &r, &now().1)?;
            Ok(rule_out(product, &r))
        })
    }

    fn delete_order_rule(&self, product: Uuid, rule: Uuid) -> StoreFuture<()> {
        self.write(move |tx| {
            let n = tx.execute(
                "DELETE FROM order_rules WHERE id = ?1 AND product_id = ?2",
                params![rule.to_string(), product.to_string()],
            )?;
            if n == 0 {
                return Err(Error::not_found(format!("order rule {rule}")));
            }
            Ok(())
        })
    }

    fn issue_items(
        &self,
        product: Uuid,
        users: Vec<Uuid>,
        emails: Vec<String>,
    ) -> StoreFuture<Vec<ItemOut>> {
        self.write(move |tx| op_issue(tx, product, users, emails))
    }

    fn product_items(&self, product: Uuid, page: PageReq) -> StoreFuture<Page<ItemOut>> {
        self.run(move |c| {
            require_product(c, product)?;
            let p = page_of(
                c,
                "SELECT COUNT(*) FROM items WHERE product_id = ?1",
                &format!(
                    "{ITEM_SELECT} WHERE i.product_id = ?1 ORDER BY i.item_id LIMIT ?2 OFFSET ?3"
                ),
                vec![Value::Text(product.to_string())],
                &page,
                item_from_row,
            )?;
            Ok(Page {
                items: p.items.iter().map(item_out).collect(),
                meta: p.meta,
            })
        })
    }

    fn user_items(&self, user: Uuid, page: PageReq) -> StoreFuture<Page<ItemOut>> {
        self.run(move |c| {
            require_user(c, user)?;
            let p = page_of(
                c,
                "SELECT COUNT(*) FROM items WHERE owner_id = ?1",
                &format!(
                    "{ITEM_SELECT} WHERE i.owner_id = ?1 ORDER BY i.issued_at, i.product_id, i.item_id LIMIT ?2 OFFSET ?3"
                ),
                vec![Value::Text(user.to_string())],
                &page,
                item_from_row,
            )?;
            Ok(Page {
                items: p.items.iter().map(item_out).collect(),
                meta: p.meta,
            })
        })
    }

    fn get_item(&self, id: Uuid) -> StoreFuture<ItemOut> {
        self.run(move |c| Ok(item_out(&require_item(c, id)?)))
    }

    fn redeem_item(&self, product: Uuid, item: Uuid) -> StoreFuture<ItemOut> {
        self.write(move |tx| {
            require_product(tx, product)?;
            require_item(tx, item)?;
            let (at, _) = now();
            let id = Uuid::now_v7();
            // The same use case as a door's pushed scan, strict: a refusal is an
            // error and writes nothing. Head office's own scans carry the nil device.
            crate::sync_apply::record_scan(
                tx,
                &crate::sync_apply::Scan {
                    id,
                    op_id: id,
                    item,
                    product_id: Some(product),
                    device: Uuid::nil(),
                    staff_id: None,
                    gate: Some("api".into()),
                    at,
                },
                true,
            )?;
            Ok(item_out(&require_item(tx, item)?))
        })
    }

    fn transfer_item(
        &self,
        product: Uuid,
        item: Uuid,
        sender: UserKey,
        recipient: UserKey,
    ) -> StoreFuture<TransferOut> {
        self.write(move |tx| op_transfer(tx, product, item, sender, recipient))
    }

    fn create_claim_codes(&self, product: Uuid, n: u32) -> StoreFuture<Vec<Uuid>> {
        self.write(move |tx| {
            let row = require_product(tx, product)?;
            domain::check_claim_codes(&row.p, n)?;
            let iso = now().1;
            let mut st = tx.prepare_cached(
                "INSERT INTO claim_codes (code, product_id, created_at) VALUES (?1, ?2, ?3)",
            )?;
            let mut codes = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let code = Uuid::new_v4();
                st.execute(params![code.to_string(), product.to_string(), iso])?;
                codes.push(code);
            }
            Ok(codes)
        })
    }

    fn claim(&self, code: Uuid, user: UserKey) -> StoreFuture<ItemOut> {
        self.write(move |tx| op_claim(tx, code, user))
    }

    fn create_sale(&self, req: SaleRequest) -> StoreFuture<SaleOut> {
        self.write(move |tx| op_sale(tx, req))
    }

    fn list_sales(&self, product: Option<Uuid>, page: PageReq) -> StoreFuture<Page<SaleOut>> {
        self.run(move |c| match product {
            Some(p) => page_of(
                c,
                "SELECT COUNT(*) FROM sales WHERE product_id = ?1",
                &format!(
                    "{SALE_SELECT} WHERE s.product_id = ?1 ORDER BY s.seq DESC LIMIT ?2 OFFSET ?3"
                ),
                vec![Value::Text(p.to_string())],
                &page,
                sale_from_row,
            ),
            None => page_of(
                c,
                "SELECT COUNT(*) FROM sales",
                &format!("{SALE_SELECT} ORDER BY s.seq DESC LIMIT ?1 OFFSET ?2"),
                vec![],
                &page,
                sale_from_row,
            ),
        })
    }

    fn create_reward(&self, body: RewardBody) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            let o = offer_from_body(tx, Uuid::new_v4(), body, 0, true)?;
            write_reward(tx, &o, &now().1, true)?;
            Ok(reward_out(&require_reward(tx, o.id)?))
        })
    }

    fn replace_reward(&self, id: Uuid, body: RewardBody) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            let old = require_reward(tx, id)?;
            let o = offer_from_body(tx, id, body, old.o.redeemed_count, old.o.active)?;
            write_reward(tx, &o, &now().1, false)?;
            Ok(reward_out(&require_reward(tx, id)?))
        })
    }

    fn delete_reward(&self, id: Uuid) -> StoreFuture<()> {
        self.write(move |tx| {
            require_reward(tx, id)?;
            let n = count(
                tx,
                "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1",
                [id.to_string()],
            )?;
            if n > 0 {
                // Redeems are history; deactivate the offer instead.
                return Err(Error::Conflict(format!(
                    "reward has {n} redeem(s); deactivate it instead"
                )));
            }
            tx.execute("DELETE FROM rewards WHERE id = ?1", [id.to_string()])?;
            Ok(())
        })
    }

    fn list_rewards(&self, filter: RewardFilter) -> StoreFuture<Vec<RewardOut>> {
        self.run(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {REWARD_COLS} FROM rewards WHERE (?1 IS NULL OR active = ?1) ORDER BY ord, created_at, id"
            ))?;
            let rows = st
                .query_map([filter.active], reward_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.iter().map(reward_out).collect())
        })
    }

    fn get_reward(&self, id: Uuid) -> StoreFuture<RewardOut> {
        self.run(move |c| Ok(reward_out(&require_reward(c, id)?)))
    }

    fn toggle_reward(&self, id: Uuid) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            let mut row = require_reward(tx, id)?;
            row.o.active = !row.o.active;
            write_reward(tx, &row.o, &now().1, false)?;
            Ok(reward_out(&require_reward(tx, id)?))
        })
    }

    fn redeem_reward(
        &self,
        id: Uuid,
        user: UserKey,
        country: Option<String>,
    ) -> StoreFuture<RedeemOut> {
        self.write(move |tx| op_redeem_reward(tx, id, user, country))
    }

    fn list_reward_redeems(
        &self,
        user: Option<Uuid>,
        reward: Option<Uuid>,
        page: PageReq,
    ) -> StoreFuture<Page<RedeemOut>> {
        self.run(move |c| {
            let args = vec![
                user.map_or(Value::Null, |u| Value::Text(u.to_string())),
                reward.map_or(Value::Null, |r| Value::Text(r.to_string())),
            ];
            let wh = "(?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR reward_id = ?2)";
            page_of(
                c,
                &format!("SELECT COUNT(*) FROM reward_redeems WHERE {wh}"),
                &format!("{REDEEM_SELECT} WHERE {wh} ORDER BY seq DESC LIMIT ?3 OFFSET ?4"),
                args,
                &page,
                redeem_from_row,
            )
        })
    }

    fn item_ticket(&self, product: Uuid, item: Uuid) -> StoreFuture<String> {
        // A write: the first ticket may create head office's signing key.
        self.write(move |tx| crate::sync_sqlite::item_ticket(tx, product, item))
    }

    fn seed_demo(&self, users: u32) -> StoreFuture<DemoSummary> {
        self.write(move |tx| op_demo(tx, users))
    }

    fn create_enrollment_code(&self, code_hash: String, expires_at: i64) -> StoreFuture<()> {
        self.write(move |tx| crate::sync_sqlite::create_enrollment_code(tx, &code_hash, expires_at))
    }

    fn enroll_device(
        &self,
        code_hash: String,
        device_id: Uuid,
        name: String,
        public_key: String,
        credential_hash: String,
    ) -> StoreFuture<String> {
        self.write(move |tx| {
            crate::sync_sqlite::enroll_device(
                tx,
                &code_hash,
                device_id,
                &name,
                &public_key,
                &credential_hash,
            )
        })
    }

    fn device_by_credential(&self, credential_hash: String) -> StoreFuture<Option<Uuid>> {
        self.run(move |c| crate::sync_sqlite::device_by_credential(c, &credential_hash))
    }

    fn create_staff(
        &self,
        name: String,
        role: domain::Role,
        pin_hash: String,
    ) -> StoreFuture<wicket_protocol::StaffResponse> {
        self.write(move |tx| crate::sync_sqlite::create_staff(tx, &name, role, &pin_hash))
    }

    fn push_ops(
        &self,
        device: Uuid,
        ops: Vec<wicket_protocol::WireOp>,
    ) -> StoreFuture<Vec<wicket_protocol::OpResult>> {
        self.run(move |c| crate::sync_sqlite::push_ops(c, device, ops))
    }

    fn pull_changes(
        &self,
        device: Uuid,
        since: i64,
        limit: u32,
        count: bool,
    ) -> StoreFuture<wicket_protocol::PullResponse> {
        self.run(move |c| crate::sync_pull::pull_changes(c, device, since, limit, count))
    }

    fn create_allotment(
        &self,
        device: Uuid,
        product: Uuid,
        units: u64,
        ttl_secs: i64,
    ) -> StoreFuture<wicket_domain::Allotment> {
        self.write(move |tx| {
            crate::sync_sqlite::create_allotment(tx, device, product, units, ttl_secs)
        })
    }

    fn release_allotment(&self, device: Uuid, id: Uuid) -> StoreFuture<u64> {
        self.write(move |tx| crate::sync_sqlite::release_allotment(tx, device, id))
    }

    fn item_redemptions(
        &self,
        item: Uuid,
    ) -> StoreFuture<Vec<wicket_protocol::RedemptionHistoryEntry>> {
        self.run(move |c| crate::sync_sqlite::item_redemptions(c, item))
    }

    fn sync_conflicts(&self, limit: u32) -> StoreFuture<Vec<crate::review::SyncIssue>> {
        self.run(move |c| crate::sync_sqlite::sync_issues(c, limit))
    }

    fn device_states(&self) -> StoreFuture<Vec<wicket_protocol::DeviceSyncState>> {
        self.run(|c| crate::sync_sqlite::device_states(c))
    }
}
