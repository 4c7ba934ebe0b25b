//! Live door numbers from this replica: every door's redemptions and passages this
//! device holds (its own, and the others' once pulled). The queries are this side's;
//! the numbers are assembled by the domain, as at head office.

use rusqlite::{Connection, params};
use uuid::Uuid;
use wicket_domain::{DoorCounts, DoorStats, QUARTER_HOUR, Timestamp};

use crate::error::Result;
use crate::replica::Replica;

fn pairs(c: &Connection, sql: &str, since: Timestamp) -> Result<Vec<(String, u64)>> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map([since], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    Ok(rows
        .map(|x| x.map(|(g, n)| (g, n.max(0) as u64)))
        .collect::<rusqlite::Result<_>>()?)
}

/// (product, name, count) rows; `since` binds `?1` when the query has one.
fn products(
    c: &Connection,
    sql: &str,
    since: Option<Timestamp>,
) -> Result<Vec<(Uuid, String, u64)>> {
    let mut st = c.prepare_cached(sql)?;
    let args: Vec<i64> = since.into_iter().collect();
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
        Ok((
            r.get::<_, Uuid>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    Ok(rows
        .map(|x| x.map(|(id, name, n)| (id, name, n.max(0) as u64)))
        .collect::<rusqlite::Result<_>>()?)
}

impl Replica {
    /// Admitted, re-entries, exits and inside now, by gate, zone, product and
    /// quarter hour, for scans at or after `since`.
    pub fn door_stats(&self, since: Timestamp) -> Result<DoorStats> {
        let c = &self.conn;
        let reentries: i64 = c.query_row(
            "SELECT COUNT(*) FROM passages p WHERE p.direction = 'in' AND p.at >= ?1 AND EXISTS \
             (SELECT 1 FROM passages o WHERE o.item = p.item AND o.direction = 'out' \
             AND (o.at < p.at OR (o.at = p.at AND o.id < p.id)))",
            [since],
            |r| r.get(0),
        )?;
        let mut quarter_hours = Vec::new();
        {
            let mut st = c.prepare_cached(
                "SELECT (redeemed_at / ?2) * ?2, COUNT(*) FROM redemptions WHERE redeemed_at >= ?1 GROUP BY 1 ORDER BY 1",
            )?;
            for row in st.query_map(params![since, QUARTER_HOUR], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })? {
                let (start, n) = row?;
                quarter_hours.push((start, n.max(0) as u64));
            }
        }
        let counts = DoorCounts {
            admitted_by_gate: pairs(
                c,
                "SELECT COALESCE(gate, ''), COUNT(*) FROM redemptions WHERE redeemed_at >= ?1 GROUP BY 1",
                since,
            )?,
            exits_by_gate: pairs(
                c,
                "SELECT COALESCE(gate, ''), COUNT(*) FROM passages WHERE direction = 'out' AND at >= ?1 GROUP BY 1",
                since,
            )?,
            reentries: reentries.max(0) as u64,
            admitted_by_product: products(
                c,
                "SELECT i.product_id, p.name, COUNT(*) FROM redemptions r JOIN items i ON i.id = r.item \
                 JOIN products p ON p.id = i.product_id WHERE r.redeemed_at >= ?1 GROUP BY 1, 2",
                Some(since),
            )?,
            // Inside now is not limited by `since`: who went in yesterday is still in.
            inside_by_product: products(
                c,
                "SELECT i.product_id, pr.name, COUNT(*) FROM passages p JOIN items i ON i.id = p.item \
                 JOIN products pr ON pr.id = i.product_id \
                 WHERE p.direction = 'in' AND NOT EXISTS (SELECT 1 FROM passages q \
                 WHERE q.item = p.item AND (q.at > p.at OR (q.at = p.at AND q.id > p.id))) GROUP BY 1, 2",
                None,
            )?,
            quarter_hours,
            refused_by_gate: pairs(
                c,
                "SELECT COALESCE(gate, ''), COUNT(*) FROM refusals WHERE at >= ?1 GROUP BY 1",
                since,
            )?,
            refused_by_code: pairs(
                c,
                "SELECT code, COUNT(*) FROM refusals WHERE at >= ?1 GROUP BY 1",
                since,
            )?,
            refused_by_product: products(
                c,
                "SELECT r.product_id, p.name, COUNT(*) FROM refusals r JOIN products p ON p.id = r.product_id \
                 WHERE r.at >= ?1 GROUP BY 1, 2",
                Some(since),
            )?,
        };
        Ok(DoorStats::assemble(since, counts, &self.zones()?))
    }
}

/// Keep a refused scan (this door's, or another's from the pull) once.
pub(crate) fn store_refusal(
    c: &Connection,
    r: &wicket_protocol::RefusalOp,
    device: Uuid,
) -> Result<()> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO refusals (id, code, item, product_id, gate, at, device_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        r.id,
        r.code,
        r.item,
        r.product_id,
        r.gate,
        r.at,
        device
    ])?;
    Ok(())
}
