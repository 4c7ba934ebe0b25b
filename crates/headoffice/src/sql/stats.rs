//! Live door numbers at head office: every device's scans and passages, as pushed.
//! The queries are this side's; the numbers are assembled by the domain, as on a
//! door's replica.

use uuid::Uuid;
use wicket_domain::{DoorCounts, DoorStats, QUARTER_HOUR, Timestamp, Zone};

use super::rows::{opt_uuid_at, uuid_at};
use crate::db::{Connection, OptionalExtension};
use crate::error::Result;
use crate::params;

fn pairs(c: &Connection, sql: &str, since: Timestamp) -> Result<Vec<(String, u64)>> {
    let mut st = c.prepare_cached(sql)?;
    st.query_map([since], |r| {
        Ok((r.get::<String>(0)?, r.get::<i64>(1)?.max(0) as u64))
    })?
    .collect()
}

/// (product, name, count) rows; `since` binds `?1` when the query has one.
fn products(
    c: &Connection,
    sql: &str,
    since: Option<Timestamp>,
) -> Result<Vec<(Uuid, String, u64)>> {
    let mut st = c.prepare_cached(sql)?;
    let args: Vec<crate::db::Value> = since.map(crate::db::Value::Int).into_iter().collect();
    st.query_map(args, |r| {
        Ok((
            uuid_at(r, 0)?,
            r.get::<String>(1)?,
            r.get::<i64>(2)?.max(0) as u64,
        ))
    })?
    .collect()
}

pub(crate) fn door_stats(c: &Connection, since: Timestamp) -> Result<DoorStats> {
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
            "SELECT (redeemed_at / ?2) * ?2, COUNT(*) FROM redemptions WHERE pending = 0 AND redeemed_at >= ?1 \
             GROUP BY (redeemed_at / ?2) * ?2 ORDER BY 1",
        )?;
        for row in st.query_map(params![since, QUARTER_HOUR], |r| {
            Ok((r.get::<i64>(0)?, r.get::<i64>(1)?.max(0) as u64))
        })? {
            quarter_hours.push(row?);
        }
    }
    let counts = DoorCounts {
        admitted_by_gate: pairs(
            c,
            "SELECT COALESCE(gate, ''), COUNT(*) FROM redemptions WHERE pending = 0 AND redeemed_at >= ?1 \
             GROUP BY COALESCE(gate, '')",
            since,
        )?,
        exits_by_gate: pairs(
            c,
            "SELECT COALESCE(gate, ''), COUNT(*) FROM passages WHERE direction = 'out' AND at >= ?1 \
             GROUP BY COALESCE(gate, '')",
            since,
        )?,
        reentries: reentries.max(0) as u64,
        admitted_by_product: products(
            c,
            "SELECT i.product_id, p.name, COUNT(*) FROM redemptions r JOIN items i ON i.id = r.item \
             JOIN products p ON p.id = i.product_id WHERE r.pending = 0 AND r.redeemed_at >= ?1 \
             GROUP BY i.product_id, p.name",
            Some(since),
        )?,
        // Inside now is not limited by `since`: who went in yesterday is still in.
        inside_by_product: products(
            c,
            "SELECT i.product_id, pr.name, COUNT(*) FROM passages p JOIN items i ON i.id = p.item \
             JOIN products pr ON pr.id = i.product_id \
             WHERE p.direction = 'in' AND NOT EXISTS (SELECT 1 FROM passages q \
             WHERE q.item = p.item AND (q.at > p.at OR (q.at = p.at AND q.id > p.id))) \
             GROUP BY i.product_id, pr.name",
            None,
        )?,
        quarter_hours,
        refused_by_gate: pairs(
            c,
            "SELECT COALESCE(gate, ''), COUNT(*) FROM refusals WHERE at >= ?1 GROUP BY COALESCE(gate, '')",
            since,
        )?,
        refused_by_code: pairs(
            c,
            "SELECT code, COUNT(*) FROM refusals WHERE at >= ?1 GROUP BY code",
            since,
        )?,
        refused_by_product: products(
            c,
            "SELECT r.product_id, p.name, COUNT(*) FROM refusals r JOIN products p ON p.id = r.product_id \
             WHERE r.at >= ?1 GROUP BY r.product_id, p.name",
            Some(since),
        )?,
    };
    let zones: Vec<Zone> = super::zones::list(c)?
        .into_iter()
        .map(|z| Zone {
            id: z.id,
            name: z.name,
            gates: z.gates,
            product_ids: z.product_ids,
        })
        .collect();
    Ok(DoorStats::assemble(since, counts, &zones))
}

/// The pulled form of a refused scan.
pub(crate) fn refusal_entity(
    c: &Connection,
    key: &str,
) -> Result<Option<wicket_protocol::RefusalRecord>> {
    c.prepare_cached(
        "SELECT id, code, item, product_id, gate, at, device_id FROM refusals WHERE id = ?1",
    )?
    .query_row([key], |r| {
        Ok(wicket_protocol::RefusalRecord {
            id: uuid_at(r, 0)?,
            code: r.get(1)?,
            item: opt_uuid_at(r, 2)?,
            product_id: opt_uuid_at(r, 3)?,
            gate: r.get(4)?,
            at: r.get(5)?,
            device_id: uuid_at(r, 6)?,
        })
    })
    .optional()
}
