//! Stock allotments for offline sales (DESIGN.md §4): granting, releasing, and
//! giving back the units of expired ones.

use uuid::Uuid;
use wicket_domain::{self as domain, Allotment, Timestamp};

use crate::error::{Error, Result};
use crate::storage::Tx;
use crate::usecase::issue;

fn release_one(tx: &dyn Tx, a: &Allotment, at: Timestamp) -> Result<u64> {
    let (_, counters) = issue::product(tx, a.product_id)?;
    tx.save_counters(a.product_id, &domain::release_allotment(&counters, a))?;
    tx.mark_released(a.id, at)?;
    Ok(a.units_left())
}

/// Expired allotments give their unused units back.
pub fn sweep_expired(tx: &dyn Tx, at: Timestamp) -> Result<()> {
    for a in tx.expired_allotments(at)? {
        let back = release_one(tx, &a, at)?;
        tracing::info!(allotment = %a.id, back, "expired allotment released");
    }
    Ok(())
}

/// Reserve `units` of a product (and a range of item numbers) for a device.
pub fn grant(
    tx: &dyn Tx,
    device: Uuid,
    product: Uuid,
    units: u64,
    ttl_secs: i64,
    at: Timestamp,
) -> Result<Allotment> {
    sweep_expired(tx, at)?;
    let (p, counters) = issue::product(tx, product)?;
    let (a, counters) =
        domain::grant_allotment(&p, &counters, device, units, at, ttl_secs, Uuid::now_v7())?;
    tx.save_counters(product, &counters)?;
    tx.insert_allotment(&a)?;
    Ok(a)
}

/// Give a device's allotment back; answers the units that went back to stock (0 when
/// it was released already).
pub fn release(tx: &dyn Tx, device: Uuid, id: Uuid, at: Timestamp) -> Result<u64> {
    match tx.allotment(id, device)? {
        None => Err(Error::not_found(format!("allotment {id}"))),
        Some((_, true)) => Ok(0),
        Some((a, false)) => release_one(tx, &a, at),
    }
}
