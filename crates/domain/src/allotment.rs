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
