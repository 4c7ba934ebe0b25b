//! The device's stock allotments (DESIGN.md §4): what it may sell offline. An issue
//! draws its units from every live allotment of the product (numbers given back
//! first), through `wicket_domain::draw_units`; a unit whose op head office refused
//! comes back here.

use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;
use wicket_domain::{self as domain, Allotment, PlannedItem, Product, ProductCounters, Timestamp};

use crate::error::Result;
use crate::meta;

const COLS: &str = "id, product_id, units, used, first_item_id, expires_at";

fn from_row(device: Uuid) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<Allotment> {
    move |r| {
        Ok(Allotment {
            id: r.get(0)?,
            product_id: r.get(1)?,
            device_id: device,
            units: r.get::<_, i64>(2)? as u64,
            used: r.get::<_, i64>(3)? as u64,
            first_item_id: r.get::<_, i64>(4)? as u64,
            expires_at: r.get(5)?,
        })
    }
}

/// This device's allotments that are not released, in item-number order.
pub(crate) fn list(c: &Connection, device: Uuid) -> Result<Vec<Allotment>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM allotments WHERE released = 0 ORDER BY first_item_id"
    ))?;
    let rows = st.query_map([], from_row(device))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn of_product(c: &Connection, product: Uuid) -> Result<Vec<Allotment>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM allotments WHERE product_id = ?1 AND released = 0 ORDER BY first_item_id"
    ))?;
    let rows = st.query_map([product], from_row(Uuid::nil()))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn returned(c: &Connection, product: Uuid) -> Result<Vec<(Uuid, u64)>> {
    let mut st = c.prepare_cached(
        "SELECT r.allotment_id, r.item_id FROM allotment_returns r JOIN allotments a ON a.id = r.allotment_id \
         WHERE a.product_id = ?1 AND a.released = 0 ORDER BY r.item_id",
    )?;
    let rows = st.query_map([product], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The product and counters an issue or sale is planned against. An enrolled device
/// sells only from its live allotments, all of them together (none: nothing to
/// sell); a stand-alone replica uses the product's own counters.
pub(crate) fn product_for_issue(
    c: &Connection,
    product: Product,
    counters: ProductCounters,
    now: Timestamp,
) -> Result<(Product, ProductCounters)> {
    if !meta::is_enrolled(c)? {
        return Ok((product, counters));
    }
    let available =
        domain::units_available(&of_product(c, product.id)?, &returned(c, product.id)?, now);
    let mut view = product;
    view.stock = Some(available);
    view.max_items = None;
    Ok((
        view,
        ProductCounters {
            issued: 0,
            next_item_id: counters.next_item_id,
        },
    ))
}

/// Give the planned items their numbers from the allotments and count them there.
/// Returns false when no allotment is involved (a stand-alone replica: the caller
/// advances the product counters instead).
pub(crate) fn take(
    tx: &Transaction<'_>,
    product: Uuid,
    plan: &mut [PlannedItem],
    now: Timestamp,
) -> Result<bool> {
    if plan.is_empty() || !meta::is_enrolled(tx)? {
        return Ok(false);
    }
    let draws = domain::draw_units(
        &of_product(tx, product)?,
        &returned(tx, product)?,
        plan.len() as u64,
        now,
    )?;
    for (p, d) in plan.iter_mut().zip(&draws) {
        p.item_id = d.item_id;
        if d.reused {
            tx.prepare_cached(
                "DELETE FROM allotment_returns WHERE allotment_id = ?1 AND item_id = ?2",
            )?
            .execute(params![d.allotment_id, d.item_id as i64])?;
        } else {
            tx.prepare_cached("UPDATE allotments SET used = used + 1 WHERE id = ?1")?
                .execute([d.allotment_id])?;
        }
    }
    Ok(true)
}

/// Head office refused the op that used `item_id` of `product`: its number goes back
/// to the allotment it came from, to be used again.
pub(crate) fn give_back(tx: &Transaction<'_>, product: Uuid, item_id: u64) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO allotment_returns (allotment_id, item_id) \
             SELECT id, ?2 FROM allotments WHERE product_id = ?1 AND released = 0 \
             AND first_item_id <= ?2 AND first_item_id + used > ?2",
        )?
        .execute(params![product, item_id as i64])?;
    Ok(n > 0)
}

/// Keep an allotment head office granted.
pub(crate) fn store(c: &Connection, a: &Allotment) -> Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO allotments (id, product_id, units, used, first_item_id, expires_at, released) \
         VALUES (?1, ?2, ?3, 0, ?4, ?5, 0)",
        params![a.id, a.product_id, a.units as i64, a.first_item_id as i64, a.expires_at],
    )?;
    Ok(())
}

/// Stop selling from an allotment (release asked for).
pub(crate) fn mark_released(c: &Connection, id: Uuid) -> Result<()> {
    c.execute("UPDATE allotments SET released = 1 WHERE id = ?1", [id])?;
    Ok(())
}

/// Units left to sell per live allotment (numbers given back included), for the
/// top-up decision.
pub(crate) fn units_left(c: &Connection, product: Uuid, now: Timestamp) -> Result<u64> {
    Ok(domain::units_available(
        &of_product(c, product)?,
        &returned(c, product)?,
        now,
    ))
}
