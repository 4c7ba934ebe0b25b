//! Live door numbers from this replica: every door's redemptions and passages this
//! device holds (its own, and the others' once pulled).

use std::collections::HashMap;

use rusqlite::params;
use uuid::Uuid;
use wicket_domain::{
    DoorStats, GateCount, ProductCount, QUARTER_HOUR, QuarterCount, Timestamp, zone_counts,
};

use crate::error::Result;
use crate::replica::Replica;

impl Replica {
    /// Admitted, re-entries, exits and inside now, by gate, zone, product and
    /// quarter hour, for scans at or after `since`.
    pub fn door_stats(&self, since: Timestamp) -> Result<DoorStats> {
        let c = &self.conn;
        let mut gates: HashMap<String, GateCount> = HashMap::new();
        for (sql, exits) in [
            (
                "SELECT COALESCE(gate, ''), COUNT(*) FROM redemptions WHERE redeemed_at >= ?1 GROUP BY 1",
                false,
            ),
            (
                "SELECT COALESCE(gate, ''), COUNT(*) FROM passages WHERE direction = 'out' AND at >= ?1 GROUP BY 1",
                true,
            ),
        ] {
            let mut st = c.prepare_cached(sql)?;
            let rows = st.query_map([since], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
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
                 AND (q.at > p.at OR (q.at = p.at AND q.id > p.id))) GROUP BY 1",
            )?;
            for row in st.query_map([], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, i64>(1)?)))? {
                let (p, n) = row?;
                inside.insert(p, n as u64);
            }
        }
        let mut by_product = Vec::new();
        {
            let mut st = c.prepare_cached(
                "SELECT p.id, p.name, (SELECT COUNT(*) FROM redemptions r JOIN items i ON i.id = r.item \
                 WHERE i.product_id = p.id AND r.redeemed_at >= ?1) FROM products p ORDER BY p.name",
            )?;
            for row in st.query_map(params![since], |r| {
                Ok((
                    r.get::<_, Uuid>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })? {
                let (id, name, n) = row?;
                let inside_now = inside.get(&id).copied().unwrap_or(0);
                if n > 0 || inside_now > 0 {
                    by_product.push(ProductCount {
                        product_id: id,
                        name,
                        admitted: n as u64,
                        inside_now,
                    });
                }
            }
        }
        let mut quarter_hours = Vec::new();
        {
            let mut st = c.prepare_cached(
                "SELECT (redeemed_at / ?2) * ?2, COUNT(*) FROM redemptions WHERE redeemed_at >= ?1 GROUP BY 1 ORDER BY 1",
            )?;
            for row in st.query_map(params![since, QUARTER_HOUR], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })? {
                let (start, n) = row?;
                quarter_hours.push(QuarterCount {
                    start,
                    admitted: n as u64,
                });
            }
        }
        let zones = self.zones()?;
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
}
