//! Live door numbers: what every door admitted, let out and holds inside, by gate,
//! zone, product and quarter hour. Each side (a door's replica, head office) counts
//! its own rows; these types and the zone roll-up are shared so both answer alike.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::door::Zone;
use crate::model::Timestamp;

/// Length of one bar of the entries chart.
pub const QUARTER_HOUR: i64 = 15 * 60;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCount {
    /// The gate's name (empty when the scan named none).
    pub gate: String,
    pub admitted: u64,
    pub exits: u64,
    /// Scans this gate refused (any reason).
    #[serde(default)]
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCount {
    pub product_id: Uuid,
    pub name: String,
    pub admitted: u64,
    /// Refused scans of this product's tickets (those that named a known item).
    #[serde(default)]
    pub refused: u64,
    /// Tickets of re-entry products whose latest passage is in.
    pub inside_now: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneCount {
    pub zone_id: Uuid,
    pub name: String,
    /// Entries through the zone's gates.
    pub admitted: u64,
    /// Scans the zone's gates refused.
    #[serde(default)]
    pub refused: u64,
}

/// Refused scans with one refusal code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCount {
    pub code: String,
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarterCount {
    /// Unix seconds at the start of the quarter hour.
    pub start: Timestamp,
    pub admitted: u64,
}

/// The door's numbers since a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorStats {
    pub since: Timestamp,
    /// Entries that used a ticket's entry (redemptions).
    pub admitted: u64,
    /// Scans refused at any door (every door's, through sync).
    #[serde(default)]
    pub refused: u64,
    #[serde(default)]
    pub refused_by_code: Vec<CodeCount>,
    /// Back in after an exit (re-entry products), using nothing.
    pub reentries: u64,
    pub exits: u64,
    pub inside_now: u64,
    pub by_gate: Vec<GateCount>,
    pub by_zone: Vec<ZoneCount>,
    pub by_product: Vec<ProductCount>,
    pub quarter_hours: Vec<QuarterCount>,
}

/// Roll the gate counts up into zones (a zone counts the entries through its gates,
/// matched without regard to case).
pub fn zone_counts(zones: &[Zone], by_gate: &[GateCount]) -> Vec<ZoneCount> {
    zones
        .iter()
        .map(|z| {
            let gates = || {
                by_gate.iter().filter(|g| {
                    z.gates
                        .iter()
                        .any(|zg| zg.trim().eq_ignore_ascii_case(&g.gate))
                })
            };
            ZoneCount {
                zone_id: z.id,
                name: z.name.clone(),
                admitted: gates().map(|g| g.admitted).sum(),
                refused: gates().map(|g| g.refused).sum(),
            }
        })
        .collect()
}

/// What each side counts with its own queries; [`DoorStats::assemble`] turns it into
/// the numbers both answer.
#[derive(Debug, Clone, Default)]
pub struct DoorCounts {
    /// (gate, entries) and (gate, exits); an empty gate is a scan that named none.
    pub admitted_by_gate: Vec<(String, u64)>,
    pub exits_by_gate: Vec<(String, u64)>,
    pub reentries: u64,
    /// (product, name, entries).
    pub admitted_by_product: Vec<(Uuid, String, u64)>,
    /// (product, name, tickets inside now).
    pub inside_by_product: Vec<(Uuid, String, u64)>,
    /// (quarter hour start, entries), oldest first.
    pub quarter_hours: Vec<(Timestamp, u64)>,
    /// (gate, refused scans), (code, refused scans), (product, name, refused scans).
    pub refused_by_gate: Vec<(String, u64)>,
    pub refused_by_code: Vec<(String, u64)>,
    pub refused_by_product: Vec<(Uuid, String, u64)>,
}

impl DoorStats {
    pub fn assemble(since: Timestamp, c: DoorCounts, zones: &[Zone]) -> DoorStats {
        let mut by_gate: Vec<GateCount> = Vec::new();
        for (rows, kind) in [
            (&c.admitted_by_gate, 0),
            (&c.exits_by_gate, 1),
            (&c.refused_by_gate, 2),
        ] {
            for (gate, n) in rows {
                let i = match by_gate.iter().position(|g| &g.gate == gate) {
                    Some(i) => i,
                    None => {
                        by_gate.push(GateCount {
                            gate: gate.clone(),
                            ..Default::default()
                        });
                        by_gate.len() - 1
                    }
                };
                match kind {
                    0 => by_gate[i].admitted += n,
                    1 => by_gate[i].exits += n,
                    _ => by_gate[i].refused += n,
                }
            }
        }
        by_gate.sort_by(|a, b| a.gate.cmp(&b.gate));
        let mut by_product: Vec<ProductCount> = c
            .admitted_by_product
            .iter()
            .map(|(id, name, n)| ProductCount {
                product_id: *id,
                name: name.clone(),
                admitted: *n,
                refused: 0,
                inside_now: 0,
            })
            .collect();
        for (id, name, n) in &c.inside_by_product {
            match by_product.iter_mut().find(|p| p.product_id == *id) {
                Some(p) => p.inside_now = *n,
                None => by_product.push(ProductCount {
                    product_id: *id,
                    name: name.clone(),
                    admitted: 0,
                    refused: 0,
                    inside_now: *n,
                }),
            }
        }
        for (id, name, n) in &c.refused_by_product {
            match by_product.iter_mut().find(|p| p.product_id == *id) {
                Some(p) => p.refused = *n,
                None => by_product.push(ProductCount {
                    product_id: *id,
                    name: name.clone(),
                    admitted: 0,
                    refused: *n,
                    inside_now: 0,
                }),
            }
        }
        by_product.sort_by(|a, b| a.name.cmp(&b.name).then(a.product_id.cmp(&b.product_id)));
        DoorStats {
            since,
            admitted: by_gate.iter().map(|g| g.admitted).sum(),
            refused: by_gate.iter().map(|g| g.refused).sum(),
            refused_by_code: {
                let mut v: Vec<CodeCount> = c
                    .refused_by_code
                    .iter()
                    .map(|(code, n)| CodeCount {
                        code: code.clone(),
                        refused: *n,
                    })
                    .collect();
                v.sort_by(|a, b| b.refused.cmp(&a.refused).then(a.code.cmp(&b.code)));
                v
            },
            reentries: c.reentries,
            exits: by_gate.iter().map(|g| g.exits).sum(),
            inside_now: c.inside_by_product.iter().map(|(_, _, n)| n).sum(),
            by_zone: zone_counts(zones, &by_gate),
            by_gate,
            by_product,
            quarter_hours: c
                .quarter_hours
                .iter()
                .map(|(start, n)| QuarterCount {
                    start: *start,
                    admitted: *n,
                })
                .collect(),
        }
    }
}

/// The start of the quarter hour `at` falls in.
pub fn quarter_of(at: Timestamp) -> Timestamp {
    at.div_euclid(QUARTER_HOUR) * QUARTER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_sum_their_gates_and_quarters_floor() {
        let gates = vec![
            GateCount {
                gate: "VIP door".into(),
                admitted: 3,
                exits: 1,
                refused: 2,
            },
            GateCount {
                gate: "Main".into(),
                admitted: 10,
                exits: 0,
                refused: 7,
            },
            GateCount {
                gate: "vip side".into(),
                admitted: 2,
                exits: 0,
                refused: 1,
            },
        ];
        let z = Zone {
            id: Uuid::from_u128(1),
            name: "VIP".into(),
            gates: vec!["VIP Door".into(), "VIP side".into()],
            product_ids: vec![],
        };
        let zc = zone_counts(&[z], &gates);
        assert_eq!((zc[0].admitted, zc[0].refused), (5, 3));
        assert_eq!(quarter_of(1_800_000_899), 1_800_000_000);
        assert_eq!(quarter_of(1_800_000_900), 1_800_000_900);
        assert_eq!(quarter_of(-1), -900);
    }
}
