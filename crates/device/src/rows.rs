//! Row I/O shared by the replica's services: reading rows into domain types and the
//! writes every act makes (items, customers, redemptions). A leaf module: it
//! imports no other part of the replica but the outbox and allotments.

use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;
use wicket_domain::{self as domain, *};
use wicket_protocol::{NewItem, Op, RedeemOp};

use crate::error::{DeviceError, Result};
use crate::outbox;

pub(crate) const ITEM_COLS: &str = "id, product_id, item_id, owner_id, redemption_count, \
     redemption_quantity, redeemed_at, origin, revoked, created_at";

pub(crate) fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let origin: String = r.get(7)?;
    Ok(Item {
        id: r.get(0)?,
        product_id: r.get(1)?,
        item_id: r.get::<_, i64>(2)? as u64,
        owner_id: r.get(3)?,
        redemption_count: r.get(4)?,
        redemption_quantity: r.get(5)?,
        redeemed_at: r.get(6)?,
        // An unknown origin string can only come from a newer schema; show it as issue.
        origin: ItemOrigin::parse(&origin).unwrap_or(ItemOrigin::Issue),
        revoked: r.get(8)?,
        created_at: r.get(9)?,
    })
}

pub(crate) const CUSTOMER_COLS: &str =
    "id, email, first_name, last_name, reputation, credits, status_balance, country";

pub(crate) fn customer_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(0)?,
        email: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        reputation: r.get(4)?,
        credits: r.get(5)?,
        status_balance: r.get(6)?,
        country: r.get(7)?,
    })
}

/// A split payment's parts as stored: JSON, or NULL when paid one way.
pub(crate) fn json_parts(parts: &[wicket_domain::Payment]) -> Result<Option<String>> {
    if parts.is_empty() {
        Ok(None)
    } else {
        Ok(Some(serde_json::to_string(parts)?))
    }
}

/// Stored parts back (none when NULL).
pub(crate) fn parts(s: Option<&str>) -> Result<Vec<wicket_domain::Payment>> {
    Ok(match s {
        None => Vec::new(),
        Some(s) => serde_json::from_str(s)?,
    })
}

pub(crate) fn decimal(s: &str) -> Result<Decimal> {
    Decimal::from_str(s).map_err(|e| DeviceError::Corrupt(format!("decimal {s:?}: {e}")))
}

/// Redeem `item` inside `tx`: the domain decides, then the item row, the
/// redemption record and the outbox operation are written.
pub(crate) fn redeem_in_tx(
    tx: &Transaction<'_>,
    item: &Item,
    gate: Option<&str>,
    now: Timestamp,
    device_id: Uuid,
    staff_id: Option<Uuid>,
) -> Result<Item> {
    let redeemed = domain::redeem(item, now)?;
    tx.prepare_cached("UPDATE items SET redemption_count = ?2, redeemed_at = ?3 WHERE id = ?1")?
        .execute(params![redeemed.id, redeemed.redemption_count, now])?;
    let rid = record_redemption(tx, item.id, gate, now, device_id, staff_id)?;
    let op = Op::Redeem(RedeemOp {
        item: item.id,
        product_id: Some(item.product_id),
        item_id: None,
        redeemed_at: Some(now),
        gate: gate.map(str::to_string),
        redemption_id: Some(rid),
        not_in_replica: false,
    });
    outbox::append(tx, device_id, staff_id, &op, now)?;
    Ok(redeemed)
}

pub(crate) fn record_redemption(
    tx: &Transaction<'_>,
    item: Uuid,
    gate: Option<&str>,
    now: Timestamp,
    device_id: Uuid,
    staff_id: Option<Uuid>,
) -> Result<Uuid> {
    let rid = Uuid::now_v7();
    tx.prepare_cached(
        "INSERT INTO redemptions (id, item, redeemed_at, device_id, staff_id, gate) VALUES (?1,?2,?3,?4,?5,?6)",
    )?
    .execute(params![rid, item, now, device_id, staff_id, gate])?;
    Ok(rid)
}

pub(crate) fn new_items(items: &[Item]) -> Vec<NewItem> {
    items
        .iter()
        .map(|i| NewItem {
            id: i.id,
            item_id: i.item_id,
            owner_id: None,
        })
        .collect()
}

/// The product as an issue from this replica sees it (see `allotment`).
pub(crate) fn product_for_issue(
    conn: &Connection,
    id: Uuid,
    now: Timestamp,
) -> Result<(Product, ProductCounters)> {
    let (p, c) = load_product(conn, id)?;
    crate::allotment::product_for_issue(conn, p, c, now)
}

pub(crate) fn load_product(conn: &Connection, id: Uuid) -> Result<(Product, ProductCounters)> {
    let (body, issued, next) = conn
        .prepare_cached("SELECT body, issued, next_item_id FROM products WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .optional()?
        .ok_or_else(|| DeviceError::not_found("product", id))?;
    Ok((
        serde_json::from_str(&body)?,
        ProductCounters {
            issued: issued as u64,
            next_item_id: next as u64,
        },
    ))
}

pub(crate) fn load_item(conn: &Connection, id: Uuid) -> Result<Item> {
    conn.prepare_cached(&format!("SELECT {ITEM_COLS} FROM items WHERE id = ?1"))?
        .query_row([id], item_from_row)
        .optional()?
        .ok_or_else(|| DeviceError::not_found("item", id))
}

pub(crate) fn load_tiers(conn: &Connection) -> Result<Vec<StatusTier>> {
    let mut st = conn.prepare_cached("SELECT body FROM status_tiers ORDER BY id")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for b in rows {
        out.push(serde_json::from_str(&b?)?);
    }
    Ok(out)
}

pub(crate) fn find_customer(conn: &Connection, r: &RecipientRef) -> Result<Option<Customer>> {
    let (sql, c) = match r {
        RecipientRef::User(id) => (
            format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = ?1"),
            rusqlite::types::Value::Blob(id.as_bytes().to_vec()),
        ),
        RecipientRef::Email(e) => (
            format!("SELECT {CUSTOMER_COLS} FROM customers WHERE email = ?1"),
            rusqlite::types::Value::Text(e.to_lowercase()),
        ),
    };
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([c], customer_from_row)
        .optional()?)
}

pub(crate) fn insert_customer(conn: &Connection, c: &Customer) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO customers ({CUSTOMER_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
    ))?
    .execute(params![
        c.id,
        c.email,
        c.first_name,
        c.last_name,
        c.reputation,
        c.credits,
        c.status_balance,
        c.country
    ])?;
    Ok(())
}

pub(crate) fn holds(conn: &Connection, owner: Uuid, product: Uuid) -> Result<u64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM items WHERE owner_id = ?1 AND product_id = ?2 AND revoked = 0",
        )?
        .query_row(params![owner, product], |r| r.get::<_, i64>(0))? as u64)
}

pub(crate) fn insert_item(st: &mut rusqlite::Statement<'_>, i: &Item) -> Result<()> {
    st.execute(params![
        i.id,
        i.product_id,
        i.item_id as i64,
        i.owner_id,
        i.redemption_count,
        i.redemption_quantity,
        i.redeemed_at,
        i.origin.as_str(),
        i.revoked,
        i.created_at
    ])?;
    Ok(())
}

pub(crate) fn write_items(
    tx: &Transaction<'_>,
    product: &Product,
    counters: &ProductCounters,
    plan: &[PlannedItem],
    items: &[Item],
    allotted: bool,
) -> Result<()> {
    let mut st = tx.prepare_cached(&format!(
        "INSERT INTO items ({ITEM_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
    ))?;
    for i in items {
        insert_item(&mut st, i)?;
    }
    if allotted {
        return Ok(());
    }
    save_counters(tx, product.id, &advance(counters, plan))
}

pub(crate) fn save_counters(conn: &Connection, product: Uuid, c: &ProductCounters) -> Result<()> {
    conn.prepare_cached("UPDATE products SET issued = ?2, next_item_id = ?3 WHERE id = ?1")?
        .execute(params![product, c.issued as i64, c.next_item_id as i64])?;
    Ok(())
}

/// The role of an active staff member, if there is one with this id.
pub(crate) fn staff_role(conn: &Connection, id: Uuid) -> Result<Option<Role>> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM staff WHERE id = ?1 AND active = 1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    role.map(|r| Role::parse(&r).ok_or_else(|| DeviceError::Corrupt(format!("role {r:?}"))))
        .transpose()
}

/// Sales of the replica: `SELECT ... FROM sales WHERE {rest}` (`rest` may end in
/// an ORDER BY). The one reader of the `sales` table.
pub(crate) fn read_sales(
    c: &Connection,
    rest: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<wicket_domain::Sale>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT id, order_number, product_id, quantity, currency, unit_price, discount, total, \
         payment_method, buyer_id, device_id, staff_id, created_at, item_ids, payments FROM sales WHERE {rest}"
    ))?;
    let rows = st.query_map(p, |r| {
        Ok((
            (
                r.get::<_, Uuid>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Uuid>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
            ),
            (
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ),
            (
                r.get::<_, Uuid>(9)?,
                r.get::<_, Option<Uuid>>(10)?,
                r.get::<_, Option<Uuid>>(11)?,
                r.get::<_, i64>(12)?,
                r.get::<_, String>(13)?,
                r.get::<_, Option<String>>(14)?,
            ),
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            (id, order_number, product_id, quantity, currency),
            (unit, disc, total, pm),
            (buyer_id, device_id, staff_id, created_at, ids, paid),
        ) = row?;
        out.push(wicket_domain::Sale {
            id,
            order_number,
            product_id,
            quantity,
            currency,
            unit_price: decimal(&unit)?,
            discount: decimal(&disc)?,
            total: decimal(&total)?,
            payment_method: wicket_domain::PaymentMethod::parse(&pm)
                .ok_or_else(|| DeviceError::Corrupt(format!("payment method {pm:?}")))?,
            payments: parts(paid.as_deref())?,
            buyer_id,
            device_id,
            staff_id,
            created_at,
            item_ids: serde_json::from_str(&ids)?,
        });
    }
    Ok(out)
}
