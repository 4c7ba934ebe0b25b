//! Who may do what: staff roles against acts, and the staff-name and PIN rules. The
//! desktop shell, the `wicket` CLI, the device replica and head office (when it
//! applies a pushed operation) all ask these functions, so a role means the same
//! thing everywhere.

use crate::error::{DomainError, Result};
use crate::model::{Role, Timestamp};

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
    /// Refund an order or some of its items.
    Refund,
    /// Look items and customers up at the box office.
    SearchItems,
    /// Read sales and totals, export.
    ViewSales,
    /// Change a device's settings (e.g. admitting tickets not yet replicated).
    ChangeSettings,
    /// Set the venue up at head office: events, products, rewards, claim codes.
    Manage,
    /// Run the venue's people and machines at head office: staff and devices.
    Administer,
}

/// The acts the audit log keeps (manager and admin acts, and door acts done by hand).
pub const AUDIT_ACTIONS: &[&str] = &[
    "revoke",
    "refund",
    "manual_check_in",
    "settings",
    "device_revoke",
];

/// An audit entry a device sends: a known act, short single-line texts.
pub fn validate_audit(action: &str, subject: Option<&str>, detail: Option<&str>) -> Result<()> {
    if !AUDIT_ACTIONS.contains(&action) {
        return Err(DomainError::field(
            "action",
            format!("{action:?} is not an audited act"),
        ));
    }
    for (field, v) in [("subject", subject), ("detail", detail)] {
        if let Some(v) = v {
            crate::validate::refuse_control(field, v, false)?;
            if v.chars().count() > 500 {
                return Err(DomainError::field(field, "at most 500 characters"));
            }
        }
    }
    Ok(())
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
            Action::RewardRedeem
            | Action::Revoke
            | Action::Refund
            | Action::ViewSales
            | Action::ChangeSettings
            | Action::Manage => Role::Manager,
            Action::Administer => Role::Admin,
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
            Action::Refund => "refund orders",
            Action::SearchItems => "search items",
            Action::ViewSales => "see sales",
            Action::ChangeSettings => "change settings",
            Action::Manage => "set up events, products and rewards",
            Action::Administer => "manage staff and devices",
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

/// Digits a role's PIN needs at least: managers and admins can revoke, refund and
/// change settings, so theirs must resist guessing longer.
pub fn min_pin_digits(role: Role) -> usize {
    match role {
        Role::Manager | Role::Admin => 6,
        Role::Door | Role::BoxOffice => 4,
    }
}

/// A new PIN for a staff member of `role`.
pub fn validate_pin_for(role: Role, pin: &str) -> Result<()> {
    validate_pin(pin)?;
    let min = min_pin_digits(role);
    if pin.len() < min {
        return Err(DomainError::field(
            "pin",
            format!("a {} PIN has at least {min} digits", role.as_str()),
        ));
    }
    Ok(())
}

/// A change to a staff member in role `current`: a new PIN must suit the role they
/// will have, and a promotion to manager or admin needs a new PIN (theirs was only
/// long enough for a door or box office role).
pub fn check_staff_change(current: Role, role: Option<Role>, pin: Option<&str>) -> Result<()> {
    let will_be = role.unwrap_or(current);
    match pin {
        Some(pin) => validate_pin_for(will_be, pin),
        None if will_be >= Role::Manager && current < Role::Manager => Err(DomainError::field(
            "pin",
            format!(
                "a promotion to {} needs a new PIN of at least {} digits",
                will_be.as_str(),
                min_pin_digits(will_be)
            ),
        )),
        None => Ok(()),
    }
}

/// Argon2id memory (KiB) and passes for staff PIN hashes, on head office and every
/// device alike: one hash takes about a third of a second on a 2-core venue laptop,
/// so trying every 6-digit PIN against one stolen hash takes days (README,
/// "Security"; `cargo bench -p wicket-device --bench pin`). Verification reads the
/// cost from each stored hash.
pub const PIN_HASH_MEMORY_KIB: u32 = 128 * 1024;
pub const PIN_HASH_PASSES: u32 = 6;

/// A demo staff member: name, role, PIN and that PIN's Argon2id hash (128 MiB, 5
/// passes), computed once: the PINs are public, and hashing them at every demo
/// install would cost seconds. Never use them for real.
pub type DemoStaff = (&'static str, Role, &'static str, &'static str);

/// The demo staff of head office's and the device's demo alike.
pub const DEMO_STAFF: &[DemoStaff] = &[
    (
        "Dana Door",
        Role::Door,
        "1111",
        "$argon2id$v=19$m=131072,t=5,p=1$cRnjK5hFtwWRnggw6VCrjg$LGq7tTGZDusTm0RXYLGW1J+BobZpEqFLqUxJMHWgq4g",
    ),
    (
        "Bo Box-Office",
        Role::BoxOffice,
        "2222",
        "$argon2id$v=19$m=131072,t=5,p=1$70ndoRtZhL5lSfghghFZMQ$v9mzGGI4wC37s74ppIPrxTAzYQpq6OCsH2D8D6FCSFY",
    ),
    (
        "Mina Manager",
        Role::Manager,
        "333333",
        "$argon2id$v=19$m=131072,t=5,p=1$Z1T2jl4iLSrc21dsxiUiBA$5dRdmtpMGCOu0lElPRrPxhMeFUGqfPocKMTXJK4jQpc",
    ),
    (
        "Ari Admin",
        Role::Admin,
        "444444",
        "$argon2id$v=19$m=131072,t=5,p=1$cYcEb4T+7f41yZOdH40DmA$x430Zk7bnRr2eB2Ipp1rbc3DqkTi5lKq/2kfw3KuQbc",
    ),
];

/// Unix time of 2000-01-01: no Wicket device ever ran before it.
pub const EARLIEST_DEVICE_TIME: Timestamp = 946_684_800;
/// How far ahead of head office a device clock may run.
pub const MAX_CLOCK_LEAD: Timestamp = 7 * 86_400;

/// A time a device states (its op's time, a scan's, a sale's) must be one a real, if
/// skewed, clock could have shown: items, sales and ticket windows are dated by it.
pub fn check_device_time(t: Timestamp, now: Timestamp) -> Result<()> {
    if t < EARLIEST_DEVICE_TIME || t > now.saturating_add(MAX_CLOCK_LEAD) {
        return Err(DomainError::ImplausibleTime(t));
    }
    Ok(())
}

/// Wrong PINs in a row a device allows before it makes sign-in wait.
pub const PIN_FREE_TRIES: u32 = 5;

/// Seconds sign-in waits after `failures` wrong PINs in a row: none for the first
/// few, then 30 s doubling with each further miss, at most an hour.
pub fn pin_lockout_secs(failures: u32) -> i64 {
    if failures < PIN_FREE_TRIES {
        return 0;
    }
    let doublings = (failures - PIN_FREE_TRIES).min(7);
    (30_i64 << doublings).min(3600)
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
    fn manager_pins_are_longer_and_misses_lock_out_growing() {
        assert!(validate_pin_for(Role::Door, "1234").is_ok());
        assert!(validate_pin_for(Role::Manager, "1234").is_err());
        assert!(validate_pin_for(Role::Admin, "12345").is_err());
        assert!(validate_pin_for(Role::Admin, "123456").is_ok());
        assert!(check_staff_change(Role::Door, Some(Role::Manager), None).is_err());
        assert!(check_staff_change(Role::Door, Some(Role::Manager), Some("1234")).is_err());
        assert!(check_staff_change(Role::Door, Some(Role::Manager), Some("123456")).is_ok());
        assert!(check_staff_change(Role::Manager, Some(Role::Admin), None).is_ok());
        assert!(check_staff_change(Role::Admin, Some(Role::Door), None).is_ok());
        assert!(check_staff_change(Role::Manager, None, Some("1234")).is_err());
        assert_eq!(pin_lockout_secs(4), 0);
        assert_eq!(pin_lockout_secs(5), 30);
        assert_eq!(pin_lockout_secs(6), 60);
        assert_eq!(pin_lockout_secs(8), 240);
        assert_eq!(pin_lockout_secs(40), 3600);
    }

    #[test]
    fn device_times_must_be_plausible() {
        let now = 1_800_000_000;
        assert!(check_device_time(now, now).is_ok());
        assert!(check_device_time(now + MAX_CLOCK_LEAD, now).is_ok());
        assert!(check_device_time(now + MAX_CLOCK_LEAD + 1, now).is_err());
        assert!(check_device_time(EARLIEST_DEVICE_TIME - 1, now).is_err());
        assert!(check_device_time(i64::MAX, i64::MAX).is_ok());
        assert_eq!(
            check_device_time(0, now).unwrap_err().code(),
            "implausible_device_time"
        );
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
