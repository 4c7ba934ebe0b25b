//! Transferring an item between customers: the API route and a device's pushed
//! transfer both come here.

use uuid::Uuid;
use wicket_domain::{self as domain, Customer, DomainError, Item, Product, Timestamp};

use crate::error::{Error, Result};
use crate::storage::{Tx, UserKey};
use crate::usecase::{customer, issue};

/// A transfer as asked for.
#[derive(Debug, Clone)]
pub struct TransferInput {
    /// The transfer's id (a device's op id, or a fresh one).
    pub id: Uuid,
    /// The product the caller says the item belongs to (the API names it).
    pub product: Option<Uuid>,
    pub item: Uuid,
    pub from: UserKey,
    pub to: UserKey,
    pub at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Transferred {
    pub item: Item,
    pub product: Product,
    pub from: Customer,
    pub to: Customer,
}

pub fn transfer(tx: &dyn Tx, t: &TransferInput) -> Result<Transferred> {
    let item = tx
        .item(t.item)?
        .ok_or_else(|| Error::not_found(format!("item {}", t.item)))?;
    let (product, _) = issue::product(tx, t.product.unwrap_or(item.product_id))?;
    let from_key = match &t.from {
        UserKey::Id(id) => UserKey::Id(customer::resolve(tx, *id)?),
        other => other.clone(),
    };
    // An unknown sender cannot own the item.
    let from = tx
        .customer(&from_key)?
        .ok_or(Error::Domain(DomainError::NotOwner))?;
    let to = customer::recipient(tx, &t.to)?;
    let holds = tx.holding(product.id, to.id)?;
    domain::check_transfer(&product, &item, from.id, &to, holds)?;
    let moved = domain::transfer(&item, to.id);
    tx.set_owner(moved.id, to.id)?;
    tx.insert_transfer(t.id, moved.id, from.id, to.id, t.at)?;
    Ok(Transferred {
        item: moved,
        product,
        from,
        to,
    })
}
