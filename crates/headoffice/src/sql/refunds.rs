//! Sales by id or order number, refunds and cash drawer sessions: rows, the pulled
//! `sale` and `refund` entities, and the session list with its reports.

use std::collections::HashMap;

use uuid::Uuid;
use wicket_domain::{self as domain, CashSession, PaymentMethod, Refund, Sale, SessionReport};

use super::rows::{decimal_at, json_at, json_parts, now, opt_uuid_at, parts_at, uuid_at};
use super::tx::SqlTx;
use crate::db::{Connection, OptionalExtension, Row};
use crate::error::{Error, Result};
use crate::params;
use crate::storage::Refunds;

const SALE_COLS: &str = "id, order_number, product_id, quantity, currency, unit_price, discount, total, \
     payment_method, buyer_id, device_id, sold_at, payments";

fn method_at(r: &Row, idx: usize) -> Result<PaymentMethod> {
    let pm: String = r.get(idx)?;
    PaymentMethod::parse(&pm).ok_or_else(|| super::rows::conv_err(idx, pm))
}

fn sale_from_row(r: &Row) -> Result<Sale> {
    Ok(Sale {
        id: uuid_at(r, 0)?,
        order_number: r.get(1)?,
        product_id: uuid_at(r, 2)?,
        quantity: r.get(3)?,
        currency: r.get(4)?,
        unit_price: decimal_at(r, 5)?,
        discount: decimal_at(r, 6)?,
        total: decimal_at(r, 7)?,
        payment_method: method_at(r, 8)?,
        payments: parts_at(r, 12)?,
        buyer_id: uuid_at(r, 9)?,
        device_id: opt_uuid_at(r, 10)?,
        staff_id: None,
        created_at: r.get(11)?,
        item_ids: Vec::new(),
    })
}

/// A sale with its items, by id or by order number; `lock` takes its row for the
/// rest of the transaction (two refunds of one order wait for each other).
pub(crate) fn sale(c: &Connection, key: &str, lock: bool) -> Result<Option<Sale>> {
    let lock = if lock { c.for_update() } else { "" };
    let row = c
        .prepare_cached(&format!(
            "SELECT {SALE_COLS} FROM sales WHERE id = ?1 OR order_number = ?1{lock}"
        ))?
        .query_row([key], sale_from_row)
        .optional()?;
    let Some(mut sale) = row else {
        return Ok(None);
    };
    sale.item_ids = c
        .prepare_cached("SELECT id FROM items WHERE origin_ref = ?1 ORDER BY item_id")?
        .query_map([sale.id.to_string()], |r| uuid_at(r, 0))?
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(sale))
}

const REFUND_COLS: &str = "id, sale_id, order_number, product_id, item_ids, amount, currency, \
     payment_method, reason, device_id, staff_id, refunded_at, payments";

fn refund_from_row(r: &Row) -> Result<Refund> {
    Ok(Refund {
        id: uuid_at(r, 0)?,
        sale_id: uuid_at(r, 1)?,
        order_number: r.get(2)?,
        product_id: uuid_at(r, 3)?,
        item_ids: json_at(r, 4)?,
        amount: decimal_at(r, 5)?,
        currency: r.get(6)?,
        payment_method: method_at(r, 7)?,
        payments: parts_at(r, 12)?,
        reason: r.get(8)?,
        device_id: opt_uuid_at(r, 9)?,
        staff_id: opt_uuid_at(r, 10)?,
        created_at: r.get(11)?,
    })
}

pub(crate) fn refunds_of_sale(c: &Connection, sale: Uuid) -> Result<Vec<Refund>> {
    c.prepare_cached(&format!(
        "SELECT {REFUND_COLS} FROM refunds WHERE sale_id = ?1 ORDER BY refunded_at, id"
    ))?
    .query_map([sale.to_string()], refund_from_row)?
    .collect()
}

/// The pulled form of a refund.
pub(crate) fn refund_entity(c: &Connection, key: &str) -> Result<Option<Refund>> {
    c.prepare_cached(&format!("SELECT {REFUND_COLS} FROM refunds WHERE id = ?1"))?
        .query_row([key], refund_from_row)
        .optional()
}

/// What was given back per sale, for the sales list.
pub(crate) fn refunded_by_sale(c: &Connection, sales: &[Uuid]) -> Result<HashMap<Uuid, Refund>> {
    let mut out: HashMap<Uuid, Refund> = HashMap::new();
    let mut st = c.prepare_cached(&format!(
        "SELECT {REFUND_COLS} FROM refunds WHERE sale_id = ?1"
    ))?;
    for s in sales {
        for r in st.query_map([s.to_string()], refund_from_row)? {
            let r = r?;
            match out.get_mut(s) {
                Some(sum) => {
                    sum.amount += r.amount;
                    sum.item_ids.extend(r.item_ids);
                }
                None => {
                    out.insert(*s, r);
                }
            }
        }
    }
    Ok(out)
}

const SESSION_COLS: &str =
    "id, device_id, staff_id, currency, float, opened_at, closed_at, counted, closed_by";

fn session_from_row(r: &Row) -> Result<CashSession> {
    let counted: Option<String> = r.get(7)?;
    Ok(CashSession {
        id: uuid_at(r, 0)?,
        device_id: uuid_at(r, 1)?,
        staff_id: opt_uuid_at(r, 2)?,
        currency: r.get(3)?,
        float: decimal_at(r, 4)?,
        opened_at: r.get(5)?,
        closed_at: r.get(6)?,
        counted: counted
            .map(|s| s.parse().map_err(|e| super::rows::conv_err(7, e)))
            .transpose()?,
        closed_by: opt_uuid_at(r, 8)?,
    })
}

/// Every session with its report (the X report while open), newest first.
pub(crate) fn session_reports(
    c: &Connection,
    device: Option<Uuid>,
    limit: u32,
) -> Result<Vec<SessionReport>> {
    let sessions: Vec<CashSession> = match device {
        Some(d) => c
            .prepare_cached(&format!(
                "SELECT {SESSION_COLS} FROM cash_sessions WHERE device_id = ?1 \
                 ORDER BY opened_at DESC, id LIMIT ?2"
            ))?
            .query_map(params![d.to_string(), limit], session_from_row)?
            .collect::<Result<_>>()?,
        None => c
            .prepare_cached(&format!(
                "SELECT {SESSION_COLS} FROM cash_sessions ORDER BY opened_at DESC, id LIMIT ?1"
            ))?
            .query_map(params![limit], session_from_row)?
            .collect::<Result<_>>()?,
    };
    let mut names: HashMap<Uuid, String> = HashMap::new();
    let mut out = Vec::with_capacity(sessions.len());
    for s in sessions {
        let (from, to) = (s.opened_at, s.closed_at.unwrap_or(i64::MAX));
        let dev = s.device_id.to_string();
        let sales: Vec<Sale> = c
            .prepare_cached(&format!(
                "SELECT {SALE_COLS} FROM sales WHERE device_id = ?1 AND sold_at >= ?2 AND sold_at <= ?3"
            ))?
            .query_map(params![dev, from, to], sale_from_row)?
            .collect::<Result<_>>()?;
        let refunds: Vec<Refund> = c
            .prepare_cached(&format!(
                "SELECT {REFUND_COLS} FROM refunds WHERE device_id = ?1 AND refunded_at >= ?2 AND refunded_at <= ?3"
            ))?
            .query_map(params![dev, from, to], refund_from_row)?
            .collect::<Result<_>>()?;
        for pid in sales
            .iter()
            .map(|x| x.product_id)
            .chain(refunds.iter().map(|r| r.product_id))
        {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(pid) {
                let n: Option<String> = c
                    .prepare_cached("SELECT name FROM products WHERE id = ?1")?
                    .query_row([pid.to_string()], |r| r.get(0))
                    .optional()?;
                v.insert(n.unwrap_or_default());
            }
        }
        out.push(domain::session_report(&s, &sales, &refunds, |p| {
            names.get(&p).cloned().unwrap_or_default()
        }));
    }
    Ok(out)
}

impl Refunds for SqlTx<'_> {
    fn sale(&self, key: &str) -> Result<Option<Sale>> {
        sale(self.0, key, true)
    }

    fn refunds_of_sale(&self, sale: Uuid) -> Result<Vec<Refund>> {
        refunds_of_sale(self.0, sale)
    }

    fn insert_refund(&self, r: &Refund) -> Result<()> {
        let n = self.0.execute(
            "INSERT INTO refunds (id, sale_id, order_number, product_id, item_ids, amount, currency, \
             payment_method, reason, device_id, staff_id, refunded_at, created_at, payments) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT DO NOTHING",
            params![
                r.id.to_string(),
                r.sale_id.to_string(),
                r.order_number,
                r.product_id.to_string(),
                serde_json::to_string(&r.item_ids).map_err(|e| Error::Storage(e.to_string()))?,
                r.amount.to_string(),
                r.currency,
                r.payment_method.as_str(),
                r.reason,
                r.device_id.map(|d| d.to_string()),
                r.staff_id.map(|d| d.to_string()),
                r.created_at,
                now().1,
                json_parts(&r.payments)?
            ],
        )?;
        if n == 0 {
            return Err(Error::Conflict(format!("refund {} exists", r.id)));
        }
        for item in &r.item_ids {
            self.0.execute(
                "INSERT INTO refunded_items (item, refund_id) VALUES (?1, ?2)",
                params![item.to_string(), r.id.to_string()],
            )?;
        }
        Ok(())
    }

    fn cash_session(&self, id: Uuid) -> Result<Option<CashSession>> {
        self.0
            .prepare_cached(&format!(
                "SELECT {SESSION_COLS} FROM cash_sessions WHERE id = ?1{}",
                self.0.for_update()
            ))?
            .query_row([id.to_string()], session_from_row)
            .optional()
    }

    fn save_cash_session(&self, s: &CashSession) -> Result<()> {
        self.0.execute(
            "INSERT INTO cash_sessions (id, device_id, staff_id, currency, float, opened_at, closed_at, \
             counted, closed_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (id) DO UPDATE SET closed_at = excluded.closed_at, counted = excluded.counted, \
             closed_by = excluded.closed_by, updated_at = excluded.updated_at",
            params![
                s.id.to_string(),
                s.device_id.to_string(),
                s.staff_id.map(|d| d.to_string()),
                s.currency,
                s.float.to_string(),
                s.opened_at,
                s.closed_at,
                s.counted.map(|d| d.to_string()),
                s.closed_by.map(|d| d.to_string()),
                now().1
            ],
        )?;
        Ok(())
    }
}
