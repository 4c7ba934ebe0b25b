//! Stock allotments (DESIGN.md §4): while online, a device reserves stock units and a
//! contiguous range of `item_id`s of one product; offline it issues and sells only
//! from that reservation, so nothing is oversold and item ids never collide. Pure
//! decisions here; head office and the device persist them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::model::{Product, Timestamp};
use crate::rules::{ProductCounters, check_available};

/// Largest reservation one request may make.
pub const MAX_ALLOTMENT_UNITS: u64 = 100_000;

/// A reservation of `units` stock units and item ids `first_item_id ..
/// first_item_id + units` of one product for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allotment {
    pub id: Uuid,
    pub product_id: Uuid,
    pub device_id: Uuid,
    pub units: u64,
    /// Units already issued from it.
    pub used: u64,
    pub first_item_id: u64,
    pub expires_at: Timestamp,
}

impl Allotment {
    /// Units still available to issue from this allotment.
    pub fn units_left(&self) -> u64 {
        self.units.saturating_sub(self.used)
    }

    /// One past the last item id of the range.
    pub fn end_item_id(&self) -> u64 {
        self.first_item_id.saturating_add(self.units)
    }

    pub fn contains_item_id(&self, item_id: u64) -> bool {
        (self.first_item_id..self.end_item_id()).contains(&item_id)
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }

    /// The product and counters an issue from this allotment is planned against: the
    /// allotment is the whole stock (so `plan_issue` refuses beyond it) and item ids
    /// continue inside its range.
    pub fn issue_view(&self, product: &Product) -> (Product, ProductCounters) {
        let mut p = product.clone();
        p.stock = Some(self.units);
        p.max_items = None;
        (
            p,
            ProductCounters {
                issued: self.used,
                next_item_id: self.first_item_id.saturating_add(self.used),
            },
        )
    }

    /// Take `n` units (an issue of `n` items); refused beyond what is left or after
    /// expiry.
    pub fn take(&self, n: u64, now: Timestamp) -> Result<Allotment> {
        if self.is_expired(now) || n > self.units_left() {
            return Err(DomainError::StockExhausted {
                available: if self.is_expired(now) {
                    0
                } else {
                    self.units_left()
                },
                requested: n,
            });
        }
        Ok(Allotment {
            used: self.used + n,
            ..*self
        })
    }
}

/// Grant a reservation of `units` from a product at head office: the product must be
/// available, and the units must fit in what is left of its issue cap. Returns the
/// allotment and the product counters with the reservation counted as taken (so
/// online sales see reserved stock as gone and item ids skip the range).
pub fn grant_allotment(
    product: &Product,
    counters: &ProductCounters,
    device_id: Uuid,
    units: u64,
    now: Timestamp,
    ttl_secs: i64,
    id: Uuid,
) -> Result<(Allotment, ProductCounters)> {
    if units == 0 || units > MAX_ALLOTMENT_UNITS {
        return Err(DomainError::InvalidField {
            field: "units",
            reason: format!("must be between 1 and {MAX_ALLOTMENT_UNITS}"),
        });
    }
    check_available(product, now)?;
    if let Some(cap) = product.issue_cap() {
        let available = cap.saturating_sub(counters.issued);
        if units > available {
            return Err(DomainError::StockExhausted {
                available,
                requested: units,
            });
        }
    }
    let a = Allotment {
        id,
        product_id: product.id,
        device_id,
        units,
        used: 0,
        first_item_id: counters.next_item_id,
        expires_at: now.saturating_add(ttl_secs.max(1)),
    };
    Ok((
        a,
        ProductCounters {
            issued: counters.issued + units,
            next_item_id: counters.next_item_id + units,
        },
    ))
}

/// Counters after an allotment is released: its unused units go back to stock. The
/// unused item ids are not reused (ids stay unique; numbering may have gaps).
pub fn release_allotment(counters: &ProductCounters, a: &Allotment) -> ProductCounters {
    ProductCounters {
        issued: counters.issued.saturating_sub(a.units_left()),
        next_item_id: counters.next_item_id,
    }
}

/// One unit drawn for an offline issue: the allotment it comes from and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    pub allotment_id: Uuid,
    pub item_id: u64,
    /// A number given back earlier (its item was refused by head office), used again.
    pub reused: bool,
}

/// Draw `n` units from a device's live allotments of one product: numbers given back
/// first (`returned`: allotment id and item number), then each allotment's unused
/// range, in the order given. A sale may span several allotments. Refused
/// (`stock_exhausted`) when they hold fewer than `n` units together.
pub fn draw_units(
    allotments: &[Allotment],
    returned: &[(Uuid, u64)],
    n: u64,
    now: Timestamp,
) -> Result<Vec<Draw>> {
    let live: Vec<&Allotment> = allotments.iter().filter(|a| !a.is_expired(now)).collect();
    let mut out = Vec::new();
    for (aid, item_id) in returned {
        if out.len() as u64 == n {
            break;
        }
        if live
            .iter()
            .any(|a| a.id == *aid && a.contains_item_id(*item_id))
        {
            out.push(Draw {
                allotment_id: *aid,
                item_id: *item_id,
                reused: true,
            });
        }
    }
    for a in &live {
        let mut next = a.first_item_id.saturating_add(a.used);
        while (out.len() as u64) < n && next < a.end_item_id() {
            out.push(Draw {
                allotment_id: a.id,
                item_id: next,
                reused: false,
            });
            next += 1;
        }
    }
    if (out.len() as u64) < n {
        return Err(DomainError::StockExhausted {
            available: out.len() as u64,
            requested: n,
        });
    }
    Ok(out)
}

/// Units a device can still sell from its live allotments (numbers given back
/// included).
pub fn units_available(allotments: &[Allotment], returned: &[(Uuid, u64)], now: Timestamp) -> u64 {
    let live: Vec<&Allotment> = allotments.iter().filter(|a| !a.is_expired(now)).collect();
    let back = returned
        .iter()
        .filter(|(aid, n)| live.iter().any(|a| a.id == *aid && a.contains_item_id(*n)))
        .count() as u64;
    live.iter().map(|a| a.units_left()).sum::<u64>() + back
}

#[cfg(test)]
mod draw_tests {
    use super::*;

    fn allot(id: u128, first: u64, units: u64, used: u64) -> Allotment {
        Allotment {
            id: Uuid::from_u128(id),
            product_id: Uuid::nil(),
            device_id: Uuid::nil(),
            units,
            used,
            first_item_id: first,
            expires_at: 1_000,
        }
    }

    #[test]
    fn a_sale_spans_two_allotments() {
        let a = [allot(1, 10, 5, 4), allot(2, 20, 4, 0)];
        let d = draw_units(&a, &[], 2, 0).unwrap();
        assert_eq!(
            d.iter().map(|d| d.item_id).collect::<Vec<_>>(),
            vec![14, 20]
        );
        assert_eq!(units_available(&a, &[], 0), 5);
        let e = draw_units(&a, &[], 6, 0).unwrap_err();
        assert_eq!(
            e,
            DomainError::StockExhausted {
                available: 5,
                requested: 6
            }
        );
    }

    #[test]
    fn returned_numbers_come_first_and_expired_allotments_give_nothing() {
        let a = [allot(1, 10, 5, 5), allot(2, 20, 4, 0)];
        let back = [(Uuid::from_u128(1), 12)];
        let d = draw_units(&a, &back, 2, 0).unwrap();
        assert_eq!((d[0].item_id, d[0].reused), (12, true));
        assert_eq!((d[1].item_id, d[1].reused), (20, false));
        assert_eq!(units_available(&a, &back, 2_000), 0);
        assert!(draw_units(&a, &back, 1, 2_000).is_err());
    }
}
