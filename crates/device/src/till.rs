//! The box office's money after the sale: refunds of this device's own orders
//! (others need head office) and the cash drawer session with its X/Z report.
//! Each act decides through `wicket_domain` and writes its rows and one outbox op
//! in a single transaction.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use wicket_domain::{self as domain, *};
use wicket_protocol::{CashSessionOp, Op, RefundOp};

use crate::error::{DeviceError, Result};
use crate::outbox;
use crate::replica::Replica;
use crate::rows::{decimal, read_sales};

fn method(s: &str) -> Result<PaymentMethod> {
    PaymentMethod::parse(s).ok_or_else(|| DeviceError::Corrupt(format!("payment method {s:?}")))
}

/// A sale of the replica by order number (or sale id).
pub(crate) fn find_sale(c: &Connection, order: &str) -> Result<Option<Sale>> {
    let by_id = Uuid::parse_str(order.trim()).ok();
    Ok(read_sales(
        c,
        "order_number = ?1 OR id = ?2",
        params![order.trim(), by_id],
    )?
    .into_iter()
    .next())
}

fn sales_between(c: &Connection, device: Uuid, from: i64, to: i64) -> Result<Vec<Sale>> {
    read_sales(
        c,
        "device_id = ?1 AND created_at >= ?2 AND created_at <= ?3 ORDER BY created_at",
        params![device, from, to],
    )
}

const REFUND_COLS: &str = "id, sale_id, order_number, product_id, item_ids, amount, currency, \
     payment_method, reason, device_id, staff_id, created_at, payments";

pub(crate) fn read_refunds(
    c: &Connection,
    where_sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<Refund>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {REFUND_COLS} FROM refunds WHERE {where_sql} ORDER BY created_at, id"
    ))?;
    let rows = st.query_map(p, |r| {
        Ok((
            r.get::<_, Uuid>(0)?,
            r.get::<_, Uuid>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Uuid>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, Option<Uuid>>(9)?,
            r.get::<_, Option<Uuid>>(10)?,
            r.get::<_, i64>(11)?,
            r.get::<_, Option<String>>(12)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (
            id,
            sale_id,
            order_number,
            product_id,
            items,
            amount,
            currency,
            pm,
            reason,
            dev,
            staff,
            at,
            paid,
        ) = r?;
        out.push(Refund {
            id,
            sale_id,
            order_number,
            product_id,
            item_ids: serde_json::from_str(&items)?,
            amount: decimal(&amount)?,
            currency,
            payment_method: method(&pm)?,
            payments: crate::rows::parts(paid.as_deref())?,
            reason,
            device_id: dev,
            staff_id: staff,
            created_at: at,
        });
    }
    Ok(out)
}

/// Store a refund (this device's or a pulled one): the row, its items marked
/// refunded and revoked. A refund already here is left as it is.
pub(crate) fn store_refund(c: &Connection, r: &Refund) -> Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT OR IGNORE INTO refunds (id, sale_id, order_number, product_id, item_ids, amount, currency, \
             payment_method, reason, device_id, staff_id, created_at, payments) \
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
        )?
        .execute(params![
            r.id,
            r.sale_id,
            r.order_number,
            r.product_id,
            serde_json::to_string(&r.item_ids)?,
            r.amount.to_string(),
            r.currency,
            r.payment_method.as_str(),
            r.reason,
            r.device_id,
            r.staff_id,
            r.created_at,
            crate::rows::json_parts(&r.payments)?
        ])?;
    let reason = format!("refunded: {}", r.reason);
    for item in &r.item_ids {
        c.prepare_cached("INSERT OR IGNORE INTO refunded_items (item, refund_id) VALUES (?1, ?2)")?
            .execute(params![item, r.id])?;
        c.prepare_cached(
            "INSERT OR REPLACE INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![item, r.created_at, reason])?;
        c.prepare_cached("UPDATE items SET revoked = 1 WHERE id = ?1")?
            .execute([item])?;
    }
    Ok(n > 0)
}

/// Undo a refund head office refused or no longer has: its rows go, and its
/// items' revocations with them (the items' own re-pull sets their state).
pub(crate) fn drop_refund(c: &Connection, id: Uuid) -> Result<()> {
    let items: Option<String> = c
        .prepare_cached("SELECT item_ids FROM refunds WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(items) = items else { return Ok(()) };
    let items: Vec<Uuid> = serde_json::from_str(&items)?;
    for item in items {
        c.prepare_cached("DELETE FROM refunded_items WHERE item = ?1 AND refund_id = ?2")?
            .execute(params![item, id])?;
        c.prepare_cached("DELETE FROM revocations WHERE item = ?1 AND reason LIKE 'refunded: %'")?
            .execute([item])?;
        c.prepare_cached("UPDATE items SET revoked = 0 WHERE id = ?1")?
            .execute([item])?;
    }
    c.prepare_cached("DELETE FROM refunds WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Whether the item was refunded (the door answers `refunded`).
pub(crate) fn is_refunded(c: &Connection, item: Uuid) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM refunded_items WHERE item = ?1")?
            .query_row([item], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

const SESSION_COLS: &str =
    "id, device_id, staff_id, currency, float, opened_at, closed_at, counted, closed_by";

fn read_session(
    c: &Connection,
    where_sql: &str,
    p: impl rusqlite::Params,
) -> Result<Option<CashSession>> {
    let row = c
        .prepare_cached(&format!(
            "SELECT {SESSION_COLS} FROM cash_sessions WHERE {where_sql} ORDER BY opened_at DESC LIMIT 1"
        ))?
        .query_row(p, |r| {
            Ok((
                r.get::<_, Uuid>(0)?,
                r.get::<_, Uuid>(1)?,
                r.get::<_, Option<Uuid>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<Uuid>>(8)?,
            ))
        })
        .optional()?;
    let Some((id, device_id, staff_id, currency, float, opened_at, closed_at, counted, closed_by)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(CashSession {
        id,
        device_id,
        staff_id,
        currency,
        float: decimal(&float)?,
        opened_at,
        closed_at,
        counted: counted.as_deref().map(decimal).transpose()?,
        closed_by,
    }))
}

/// The session open on this device now, if any.
pub(crate) fn open_session_of(c: &Connection, device: Uuid) -> Result<Option<CashSession>> {
    read_session(c, "device_id = ?1 AND closed_at IS NULL", [device])
}

fn save_session(c: &Connection, s: &CashSession) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO cash_sessions (id, device_id, staff_id, currency, float, opened_at, closed_at, counted, closed_by) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT (id) DO UPDATE SET closed_at = excluded.closed_at, \
         counted = excluded.counted, closed_by = excluded.closed_by",
    )?
    .execute(params![
        s.id,
        s.device_id,
        s.staff_id,
        s.currency,
        s.float.to_string(),
        s.opened_at,
        s.closed_at,
        s.counted.map(|d| d.to_string()),
        s.closed_by
    ])?;
    Ok(())
}

impl Replica {
    /// Refund an order of this device, all of it or the items numbered `numbers`
    /// (the numbers printed on the tickets), back to its payment method. A cash
    /// refund leaves the open drawer. Offline a device refunds only its own sales.
    pub fn refund(&mut self, order: &str, numbers: &[u64], reason: &str) -> Result<Refund> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Refund)?;
        let tx = self.conn.transaction()?;
        let sale = find_sale(&tx, order)?.ok_or_else(|| DeviceError::not_found("order", order))?;
        domain::check_offline_refund(&sale, device_id)?;
        let mut wanted = Vec::with_capacity(numbers.len());
        for n in numbers {
            let id: Option<Uuid> = tx
                .prepare_cached("SELECT id FROM items WHERE product_id = ?1 AND item_id = ?2")?
                .query_row(params![sale.product_id, *n as i64], |r| r.get(0))
                .optional()?;
            match id.filter(|i| sale.item_ids.contains(i)) {
                Some(i) => wanted.push(i),
                None => {
                    return Err(DomainError::NotInOrder {
                        item: format!("number {n}"),
                        order: sale.order_number.clone(),
                    }
                    .into());
                }
            }
        }
        let prior = read_refunds(&tx, "sale_id = ?1", [sale.id])?;
        let refund = domain::plan_refund(&sale, &prior, &wanted, reason)?.into_refund(
            &sale,
            reason,
            Uuid::now_v7(),
            Some(device_id),
            staff_id,
            now,
        )?;
        // Cash given back leaves the open drawer.
        domain::check_drawer(
            open_session_of(&tx, device_id)?.as_ref(),
            &refund.paid_by(),
            &sale.currency,
        )?;
        store_refund(&tx, &refund)?;
        let (_, counters) = crate::rows::load_product(&tx, refund.product_id)?;
        crate::rows::save_counters(
            &tx,
            refund.product_id,
            &counters.returned(refund.item_ids.len() as u64),
        )?;
        let op = Op::Refund(RefundOp {
            refund: refund.clone(),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(refund)
    }

    /// Before asking head office for a refund of another device's order: the
    /// signed-in member may refund, and cash given back here needs the open drawer.
    /// Answers the staff member to name.
    pub fn check_online_refund(&self, order: &str) -> Result<Option<Uuid>> {
        self.authorize(Action::Refund)?;
        if let Some(sale) = find_sale(&self.conn, order)? {
            domain::check_drawer(
                open_session_of(&self.conn, self.device_id)?.as_ref(),
                &sale.paid_by(),
                &sale.currency,
            )?;
        }
        Ok(self.staff_id)
    }

    /// Keep a refund head office made (for this device, online) before the pull
    /// brings it.
    pub fn keep_refund(&mut self, r: &Refund) -> Result<()> {
        let tx = self.conn.transaction()?;
        store_refund(&tx, r)?;
        tx.commit()?;
        Ok(())
    }

    /// Every refund this replica knows (its own and pulled), oldest first.
    pub fn refunds(&self) -> Result<Vec<Refund>> {
        read_refunds(&self.conn, "1 = 1", [])
    }

    /// Open the cash drawer with `float` in `currency`.
    pub fn open_session(&mut self, float: Decimal, currency: &str) -> Result<CashSession> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Sell)?;
        let tx = self.conn.transaction()?;
        let open = open_session_of(&tx, device_id)?;
        let s = domain::open_session(
            open.as_ref(),
            Uuid::now_v7(),
            device_id,
            staff_id,
            currency,
            float,
            now,
        )?;
        save_session(&tx, &s)?;
        let op = Op::CashSession(CashSessionOp { session: s.clone() });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(s)
    }

    /// Close the open drawer with the cash counted; returns the Z report.
    pub fn close_session(&mut self, counted: Decimal) -> Result<SessionReport> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Sell)?;
        let tx = self.conn.transaction()?;
        let open = open_session_of(&tx, device_id)?.ok_or(DomainError::NoOpenSession)?;
        let closed = domain::close_session(&open, counted, staff_id, now)?;
        save_session(&tx, &closed)?;
        let op = Op::CashSession(CashSessionOp {
            session: closed.clone(),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        let report = report_of(&tx, &closed)?;
        tx.commit()?;
        Ok(report)
    }

    /// The X report of the open session, or the Z report of the last closed one.
    pub fn session_report(&self) -> Result<SessionReport> {
        self.authorize(Action::Sell)?;
        let s = read_session(&self.conn, "device_id = ?1", [self.device_id])?
            .ok_or(DomainError::NoOpenSession)?;
        report_of(&self.conn, &s)
    }

    /// The drawer open on this device now, if any.
    pub fn open_session_now(&self) -> Result<Option<CashSession>> {
        open_session_of(&self.conn, self.device_id)
    }
}

fn report_of(c: &Connection, s: &CashSession) -> Result<SessionReport> {
    let to = s.closed_at.unwrap_or(i64::MAX);
    let sales = sales_between(c, s.device_id, s.opened_at, to)?;
    let refunds = read_refunds(
        c,
        "device_id = ?1 AND created_at >= ?2 AND created_at <= ?3",
        params![s.device_id, s.opened_at, to],
    )?;
    let mut names = std::collections::HashMap::new();
    for p in sales
        .iter()
        .map(|x| x.product_id)
        .chain(refunds.iter().map(|r| r.product_id))
    {
        if let std::collections::hash_map::Entry::Vacant(v) = names.entry(p) {
            let body: Option<String> = c
                .prepare_cached("SELECT body FROM products WHERE id = ?1")?
                .query_row([p], |r| r.get(0))
                .optional()?;
            let name = body
                .and_then(|b| serde_json::from_str::<Product>(&b).ok())
                .map(|p| p.name)
                .unwrap_or_default();
            v.insert(name);
        }
    }
    Ok(domain::session_report(s, &sales, &refunds, |p| {
        names.get(&p).cloned().unwrap_or_default()
    }))
}
