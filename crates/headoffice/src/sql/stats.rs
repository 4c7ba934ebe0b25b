//! Live door numbers at head office: every device's scans and passages, as pushed.

use std::collections::HashMap;

use uuid::Uuid;
use wicket_domain::{
    DoorStats, GateCount, ProductCount, QUARTER_HOUR, QuarterCount, Timestamp, Zone, zone_counts,
};

use super::rows::uuid_at;
use crate::db::Connection;
use crate::error::Result;
use crate::params;

pub(crate) fn door_stats(c: &Connection, since: Timestamp) -> Result<DoorStats> {
    let mut gates: HashMap<String, GateCount> = HashMap::new();
    for (sql, exits) in [
        (
            "SELECT COALESCE(gate, ''), COUNT(*) FROM redemptions WHERE pending = 0 AND redeemed_at >= ?1 GROUP BY COALESCE(gate, '')",
            false,
        ),
        (
            "SELECT COALESCE(gate, ''), COUNT(*) FROM passages WHERE direction = 'out' AND at >= ?1 GROUP BY COALESCE(gate, '')",
            true,
        ),
    ] {
        let mut st = c.prepare_cached(sql)?;
        for row in st.query_map([since], |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?)))? {
            let (gate, n) = row?;
            let g = gates.entry(gate.clone()).or_insert_with(|| GateCount {
                gate,
                ..Default::default()
            });
            if exits {
                g.exits = n as u64;
            } else {
                g.admitted = n as u64;
            }
        }
    }
    let mut by_gate: Vec<GateCount> = gates.into_values().collect();
    by_gate.sort_by(|a, b| a.gate.cmp(&b.gate));
    let reentries: i64 = c.query_row(
        "SELECT COUNT(*) FROM passages p WHERE p.direction = 'in' AND p.at >= ?1 AND EXISTS \
         (SELECT 1 FROM passages o WHERE o.item = p.item AND o.direction = 'out' \
             AND (o.at < p.at OR (o.at = p.at AND o.id < p.id)))",
        [since],
        |r| r.get(0),
    )?;
    let mut inside: HashMap<Uuid, u64> = HashMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT i.product_id, COUNT(*) FROM passages p JOIN items i ON i.id = p.item \
             WHERE p.direction = 'in' AND NOT EXISTS (SELECT 1 FROM passages q WHERE q.item = p.item \
             AND (q.at > p.at OR (q.at = p.at AND q.id > p.id))) GROUP BY i.product_id",
        )?;
        for row in st.query_map((), |r| Ok((uuid_at(r, 0)?, r.get::<i64>(1)?)))? {
            let (p, n) = row?;
            inside.insert(p, n as u64);
        }
    }
    let mut by_product = Vec::new();
    {
        let mut st = c.prepare_cached(
            "SELECT i.product_id, p.name, COUNT(*) FROM redemptions r JOIN items i ON i.id = r.item \
             JOIN products p ON p.id = i.product_id WHERE r.pending = 0 AND r.redeemed_at >= ?1 \
             GROUP BY i.product_id, p.name ORDER BY p.name",
        )?;
        let mut seen = Vec::new();
        for row in st.query_map([since], |r| {
            Ok((uuid_at(r, 0)?, r.get::<String>(1)?, r.get::<i64>(2)?))
        })? {
            let (id, name, n) = row?;
            seen.push(id);
            by_product.push(ProductCount {
                product_id: id,
                name,
                admitted: n as u64,
                inside_now: inside.get(&id).copied().unwrap_or(0),
            });
        }
        for (id, n) in &inside {
            if !seen.contains(id) {
                let name: String = c.query_row(
                    "SELECT name FROM products WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )?;
                by_product.push(ProductCount {
                    product_id: *id,
                    name,
                    admitted: 0,
                    inside_now: *n,
                });
            }
        }
    }
    let mut quarter_hours = Vec::new();
    {
        let mut st = c.prepare_cached(
            "SELECT (redeemed_at / ?2) * ?2, COUNT(*) FROM redemptions WHERE pending = 0 AND redeemed_at >= ?1 \
             GROUP BY (redeemed_at / ?2) * ?2 ORDER BY 1",
        )?;
        for row in st.query_map(params![since, QUARTER_HOUR], |r| {
            Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))
        })? {
            let (start, n) = row?;
            quarter_hours.push(QuarterCount {
                start,
                admitted: n as u64,
            });
        }
    }
    let zones: Vec<Zone> = super::zones::list(c)?
        .into_iter()
        .map(|z| Zone {
            id: z.id,
            name: z.name,
            gates: z.gates,
            product_ids: z.product_ids,
        })
        .collect();
    Ok(DoorStats {
        since,
        admitted: by_gate.iter().map(|g| g.admitted).sum(),
        reentries: reentries as u64,
        exits: by_gate.iter().map(|g| g.exits).sum(),
        inside_now: inside.values().sum(),
        by_zone: zone_counts(&zones, &by_gate),
        by_gate,
        by_product,
        quarter_hours,
    })
}
