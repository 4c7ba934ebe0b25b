//! Customers that acts name: aliases a device's ids resolve through, and walk-up
//! buyers created on a device.

use uuid::Uuid;
use wicket_domain::{self as domain, Customer, DomainError};

use crate::error::{Error, Result};
use crate::storage::{Tx, UserKey};

/// Head office's id for a customer id a device used (itself, or what it aliases).
pub fn resolve(tx: &dyn Tx, id: Uuid) -> Result<Uuid> {
    Ok(tx.alias_of(id)?.unwrap_or(id))
}

/// The customer a key names, aliases followed; unknown is a business refusal.
pub fn recipient(tx: &dyn Tx, key: &UserKey) -> Result<Customer> {
    let key = match key {
        UserKey::Id(id) => UserKey::Id(resolve(tx, *id)?),
        other => other.clone(),
    };
    tx.customer(&key)?
        .ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![key.to_string()])))
}

/// A customer a device created (a walk-up buyer). Idempotent; when head office
/// already knows the email under another id, the device's id becomes an alias.
pub fn create_walk_up(tx: &dyn Tx, c: &Customer) -> Result<()> {
    if tx.customer(&UserKey::Id(c.id))?.is_some() || tx.alias_of(c.id)?.is_some() {
        return Ok(());
    }
    let email = domain::normalize_email(&c.email)?;
    match tx.customer(&UserKey::Email(email.clone()))? {
        Some(known) => {
            tx.add_alias(c.id, known.id)?;
            tx.touch("customer", &c.id.to_string())?;
            tx.touch("customer", &known.id.to_string())?;
        }
        None => {
            let c = Customer {
                email,
                // Balances are head office's to keep: a device cannot mint reputation.
                reputation: 0,
                credits: 0,
                status_balance: 0,
                ..c.clone()
            };
            tx.insert_customer(&c)?;
        }
    }
    Ok(())
}
