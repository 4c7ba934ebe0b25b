//! Refunds and cash drawer sessions. Head office's own refund
//! (`POST /v1/sales/{order_number}/refund`) and a device's pushed refund both end in
//! `apply_refund`: the refund row, its items revoked, their stock back.

use uuid::Uuid;
use wicket_domain::{self as domain, CashSession, DomainError, Refund, Sale, Timestamp};

use crate::error::{Error, Result};
use crate::storage::Tx;

/// A refund head office makes: which order, which items (none: all that are left).
#[derive(Debug, Clone)]
pub struct RefundInput {
    /// Order number or sale id.
    pub order: String,
    /// Items by uuid.
    pub item_ids: Vec<Uuid>,
    /// Items by the number printed on the ticket (the product's item number).
    pub item_numbers: Vec<u64>,
    pub reason: String,
    pub staff_id: Option<Uuid>,
    /// The device that gives the money back (a refund asked for online by a
    /// device); none for head office's own.
    pub device_id: Option<Uuid>,
}

fn load_sale(tx: &dyn Tx, key: &str) -> Result<Sale> {
    tx.sale(key)?
        .ok_or_else(|| Error::not_found(format!("sale {key}")))
}

/// Head office's refund: plans it through the rulebook and applies it.
pub fn refund(tx: &dyn Tx, req: &RefundInput, at: Timestamp) -> Result<Refund> {
    let sale = load_sale(tx, req.order.trim())?;
    let mut wanted = req.item_ids.clone();
    for n in &req.item_numbers {
        let found = sale
            .item_ids
            .iter()
            .copied()
            .find(|id| matches!(tx.item(*id), Ok(Some(i)) if i.item_id == *n));
        match found {
            Some(id) => wanted.push(id),
            None => {
                return Err(DomainError::NotInOrder {
                    item: format!("number {n}"),
                    order: sale.order_number.clone(),
                }
                .into());
            }
        }
    }
    let prior = tx.refunds_of_sale(sale.id)?;
    let refund = domain::plan_refund(&sale, &prior, &wanted, &req.reason)?.into_refund(
        &sale,
        &req.reason,
        Uuid::now_v7(),
        req.device_id,
        req.staff_id,
        at,
    )?;
    apply_refund(tx, &refund)?;
    Ok(refund)
}

/// A refund a device asks head office for online (an order another device sold):
/// its staff member is held to their role as in a push, then it is head office's
/// own refund, given back at that device.
pub fn device_online_refund(
    tx: &dyn Tx,
    device: Uuid,
    req: &wicket_protocol::RefundRequest,
    at: Timestamp,
) -> Result<Refund> {
    if let Some(staff) = req.staff_id {
        match tx.staff_role(staff)? {
            Some((role, true)) => role.require(domain::Action::Refund)?,
            _ => {
                return Err(DomainError::Forbidden {
                    role: "unknown",
                    action: domain::Action::Refund.as_str(),
                }
                .into());
            }
        }
    }
    refund(
        tx,
        &RefundInput {
            order: req.order.clone(),
            item_ids: Vec::new(),
            item_numbers: req.items.clone(),
            reason: req.reason.clone(),
            staff_id: req.staff_id,
            device_id: Some(device),
        },
        at,
    )
}

/// A device's refund of its own sale, held to the same rules: the order is the
/// device's, the items and money are what the rulebook gives.
pub fn device_refund(tx: &dyn Tx, device: Uuid, staff: Option<Uuid>, r: &Refund) -> Result<()> {
    let sale = load_sale(tx, &r.sale_id.to_string())?;
    domain::check_offline_refund(&sale, device)?;
    let prior = tx.refunds_of_sale(sale.id)?;
    domain::check_refund(r, &sale, &prior)?;
    apply_refund(
        tx,
        &Refund {
            device_id: Some(device),
            staff_id: staff,
            reason: domain::validate_refund_reason(&r.reason)?,
            ..r.clone()
        },
    )
}

/// Record a planned refund: the row, its items revoked, their stock returned.
fn apply_refund(tx: &dyn Tx, r: &Refund) -> Result<()> {
    tx.insert_refund(r)?;
    let reason = format!("refunded: {}", r.reason);
    for item in &r.item_ids {
        tx.revoke(*item, r.created_at, Some(&reason))?;
    }
    if let Some((_, counters)) = tx.product(r.product_id)? {
        tx.save_counters(r.product_id, &counters.returned(r.item_ids.len() as u64))?;
    }
    Ok(())
}

/// A device's drawer session as it reports it: opened, then closed. The device's
/// own; the opening figures never change; a closed session stays closed.
pub fn device_session(tx: &dyn Tx, device: Uuid, s: &CashSession) -> Result<()> {
    if s.device_id != device {
        return Err(DomainError::field("session", "belongs to another device").into());
    }
    domain::validate_cash("float", &domain::validate_currency(&s.currency)?, s.float)?;
    if let Some(c) = s.counted {
        domain::validate_cash("counted", &s.currency, c)?;
    }
    if s.closed_at.is_some() != s.counted.is_some() {
        return Err(DomainError::field("session", "a closed session has its counted cash").into());
    }
    match tx.cash_session(s.id)? {
        None => tx.save_cash_session(s),
        Some(old) => {
            if old.device_id != device
                || old.float != s.float
                || old.currency != s.currency
                || old.opened_at != s.opened_at
            {
                return Err(DomainError::field("session", "its opening cannot change").into());
            }
            if !old.is_open() {
                // Closed already (a repeat of the close, or an open sent late).
                return Ok(());
            }
            tx.save_cash_session(s)
        }
    }
}
