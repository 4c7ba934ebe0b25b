//! Door search: find a guest's tickets from a few typed characters (a name, an
//! email, an order number or an item number) on a replica of a million items, and
//! check one in by hand with a reason.

use rusqlite::params;
use uuid::Uuid;
use wicket_domain::{Action, Item};
use wicket_protocol::{AuditOp, Op};

use crate::error::{DeviceError, Result};
use crate::outbox;
use crate::replica::{ItemView, Replica};
use crate::rows::{item_from_row, load_item, redeem_in_tx};

/// Items with their product and holder, the columns `item_from_row` reads first.
const BASE: &str = "SELECT i.id, i.product_id, i.item_id, i.owner_id, i.redemption_count, \
     i.redemption_quantity, i.redeemed_at, i.origin, i.revoked, i.created_at, \
     p.name, c.email, c.first_name, c.last_name \
     FROM items i JOIN products p ON p.id = i.product_id JOIN customers c ON c.id = i.owner_id";

/// Customers whose first name, last name or email starts with the typed text: each
/// a range scan of an index (migration 0008), each stopped at the result limit, so
/// three letters shared by a hundred thousand guests cost no more than a rare name.
const NAME_MATCH: &str = "SELECT id FROM (SELECT id FROM customers \
     WHERE lower(first_name) >= ?1 AND lower(first_name) < ?2 LIMIT ?3) \
     UNION SELECT id FROM (SELECT id FROM customers \
     WHERE lower(last_name) >= ?1 AND lower(last_name) < ?2 LIMIT ?3) \
     UNION SELECT id FROM (SELECT id FROM customers WHERE email >= ?1 AND email < ?2 LIMIT ?3)";

/// The smallest text greater than every text that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn view(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemView> {
    let item = item_from_row(r)?;
    let first: Option<String> = r.get(12)?;
    let last: Option<String> = r.get(13)?;
    let email: String = r.get(11)?;
    let owner_name = match (first, last) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(f), None) => f,
        (None, Some(l)) => l,
        (None, None) => email.clone(),
    };
    Ok(ItemView {
        item,
        product_name: r.get(10)?,
        owner_email: email,
        owner_name,
    })
}

/// Longest search text taken (a full name or an email fits).
const MAX_QUERY: usize = 200;

impl Replica {
    /// Search items by item number (`#42` or `42`), item uuid, order number (or its
    /// start), email (or its start), or the start of the holder's first name, last
    /// name, both (`ana sil`) or email, case-insensitive. At most `limit` results,
    /// by holder name then item number.
    pub fn find_items(&self, query: &str, limit: usize) -> Result<Vec<ItemView>> {
        let q = query.trim();
        if q.is_empty() {
            return Err(DeviceError::Invalid("empty search".into()));
        }
        if q.chars().count() > MAX_QUERY || q.chars().any(char::is_control) {
            return Err(DeviceError::Invalid(format!(
                "a search is 1 to {MAX_QUERY} printable characters"
            )));
        }
        let lim = limit.clamp(1, 1000) as i64;
        let order = "ORDER BY lower(c.last_name), lower(c.first_name), p.name, i.item_id";
        let num = q.strip_prefix('#').unwrap_or(q);
        if let Ok(n) = num.parse::<u64>() {
            return self.query(
                &format!("{BASE} WHERE i.item_id = ?1 {order} LIMIT ?2"),
                params![i64::try_from(n).unwrap_or(i64::MAX), lim],
            );
        }
        if let Ok(id) = Uuid::parse_str(q) {
            return self.query(
                &format!("{BASE} WHERE i.id = ?1 LIMIT ?2"),
                params![id, lim],
            );
        }
        // An order number (`BO1-000042`, or its start): the sale's items.
        let upper = q.to_uppercase();
        if q.contains('-') {
            let hits = self.order_items(&upper, lim)?;
            if !hits.is_empty() {
                return Ok(hits);
            }
        }
        let lower = q.to_lowercase();
        // "ana sil": first name starting "ana" and last name starting "sil".
        if let Some((first, last)) = lower.split_once(char::is_whitespace) {
            let last = last.trim();
            return self.query(
                &format!(
                    "{BASE} WHERE i.owner_id IN (SELECT id FROM customers \
                     WHERE lower(first_name) >= ?1 AND lower(first_name) < ?2 \
                     AND lower(last_name) >= ?3 AND lower(last_name) < ?4 LIMIT ?5) {order} LIMIT ?5"
                ),
                params![first, prefix_end(first), last, prefix_end(last), lim],
            );
        }
        self.query(
            &format!("{BASE} WHERE i.owner_id IN ({NAME_MATCH}) {order} LIMIT ?3"),
            params![lower, prefix_end(&lower), lim],
        )
    }

    /// The items of the sales whose order number starts with `prefix`.
    fn order_items(&self, prefix: &str, lim: i64) -> Result<Vec<ItemView>> {
        let lists: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT item_ids FROM sales WHERE order_number >= ?1 AND order_number < ?2 \
                 ORDER BY order_number LIMIT ?3",
            )?
            .query_map(params![prefix, prefix_end(prefix), lim], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for list in lists {
            // Written by this replica or pulled from head office: a damaged list is
            // skipped rather than failing the door's search.
            let ids: Vec<Uuid> = serde_json::from_str(&list).unwrap_or_default();
            for id in ids {
                if out.len() as i64 >= lim {
                    return Ok(out);
                }
                out.extend(self.query(&format!("{BASE} WHERE i.id = ?1"), params![id])?);
            }
        }
        Ok(out)
    }

    fn query(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<ItemView>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let rows = st.query_map(p, view)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Check an item in by hand at `gate` (the guest has no readable ticket): the
    /// same redemption as a scan, under the same rules, recorded as manual with the
    /// staff member and the reason for head office's audit log.
    pub fn check_in(&mut self, item: Uuid, gate: Option<&str>, reason: &str) -> Result<Item> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DeviceError::Invalid(
                "a manual check-in needs a reason".into(),
            ));
        }
        self.manual_redeem(item, gate, Some(reason))
    }

    /// The redemption of a manual check-in, with its audit record, in one
    /// transaction.
    pub(crate) fn manual_redeem(
        &mut self,
        item: Uuid,
        gate: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Item> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Redeem)?;
        let tx = self.conn.transaction()?;
        let found = load_item(&tx, item)?;
        let redeemed = redeem_in_tx(&tx, &found, gate, now, device_id, staff_id)?;
        let detail = match (reason, gate) {
            (Some(r), Some(g)) => Some(format!("{r} (gate {g})")),
            (Some(r), None) => Some(r.to_string()),
            (None, g) => g.map(str::to_string),
        };
        // Head office's rule for an audit record, checked before anything is written.
        let subject = found.id.to_string();
        wicket_domain::validate_audit("manual_check_in", Some(&subject), detail.as_deref())?;
        let op = Op::Audit(AuditOp {
            action: "manual_check_in".into(),
            subject: Some(subject),
            detail,
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(redeemed)
    }
}
