//! Who may do what: staff roles against acts, and the staff-name and PIN rules. The
//! desktop shell, the `wicket` CLI, the device replica and head office (when it
//! applies a pushed operation) all ask these functions, so a role means the same
//! thing everywhere.

use crate::error::{DomainError, Result};
use crate::model::Role;

/// Largest push batch head office accepts in one request.
pub const MAX_PUSH_OPS: usize = 5_000;

/// An act a staff member asks for. Each has one least role that may do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Scan or redeem a ticket at the door; see events and sync state.
    Redeem,
    /// Issue items to customers.
    Issue,
    /// Sell at the box office.
    Sell,
    /// Create a customer (a walk-up buyer).
    CreateCustomer,
    /// Transfer an item between customers.
    Transfer,
    /// Claim an item with a claim code for a customer.
    Claim,
    /// Redeem a reward offer for a customer.
    RewardRedeem,
    /// Revoke an item.
    Revoke,
    /// Look items and customers up at the box office.
    SearchItems,
    /// Read sales and totals, export.
    ViewSales,
}

impl Action {
    /// The least role that may do this act (roles are ordered door < box_office <
    /// manager < admin; each may do what the ones before it may).
    pub fn least_role(self) -> Role {
        match self {
            Action::Redeem => Role::Door,
            Action::Issue
            | Action::Sell
            | Action::CreateCustomer
            | Action::Transfer
            | Action::Claim
            | Action::SearchItems => Role::BoxOffice,
            Action::RewardRedeem | Action::Revoke | Action::ViewSales => Role::Manager,
        }
    }

    /// Words for error messages: "door staff may not <sell>".
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Redeem => "redeem tickets",
            Action::Issue => "issue items",
            Action::Sell => "sell",
            Action::CreateCustomer => "create customers",
            Action::Transfer => "transfer items",
            Action::Claim => "claim items",
            Action::RewardRedeem => "redeem rewards",
            Action::Revoke => "revoke items",
            Action::SearchItems => "search items",
            Action::ViewSales => "see sales",
        }
    }
}

impl Role {
    /// Whether a staff member in this role may do `action`.
    pub fn may(self, action: Action) -> bool {
        self >= action.least_role()
    }

    /// `Ok` when this role may do `action`, else [`DomainError::Forbidden`].
    pub fn require(self, action: Action) -> Result<()> {
        if self.may(action) {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                role: self.as_str(),
                action: action.as_str(),
            })
        }
    }
}

/// A staff PIN is 4 to 12 ASCII digits.
pub fn validate_pin(pin: &str) -> Result<()> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DomainError::field("pin", "a PIN is 4 to 12 digits"))
    }
}

/// A staff or device name: trimmed, 1 to 100 characters. Returns the trimmed name.
pub fn validate_name(field: &'static str, name: &str) -> Result<String> {
    crate::validate::refuse_control(field, name, false)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::field(field, "must be 1-100 characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_in_order() {
        assert!(Role::Door.may(Action::Redeem));
        assert!(!Role::Door.may(Action::Sell));
        assert!(Role::BoxOffice.may(Action::Sell));
        assert!(!Role::BoxOffice.may(Action::Revoke));
        assert!(Role::Manager.may(Action::Revoke));
        assert!(Role::Admin.may(Action::RewardRedeem));
        let e = Role::Door.require(Action::Sell).unwrap_err();
        assert_eq!(e.code(), "forbidden");
        assert_eq!(e.to_string(), "door staff may not sell");
    }

    #[test]
    fn pins_and_names() {
        assert!(validate_pin("1234").is_ok());
        assert!(validate_pin("123").is_err());
        assert!(validate_pin("12a4").is_err());
        assert!(validate_pin("1234567890123").is_err());
        assert_eq!(validate_name("name", "  Dana ").unwrap(), "Dana");
        assert_eq!(
            validate_name("name", "  ").unwrap_err().code(),
            "invalid_field"
        );
    }
}
