//! Staff at head office: signing in from an enrolled device for management (PIN
//! failures lock out as on a device, by `wicket_domain::pin_lockout_secs`), and
//! changing a member (a new PIN, role or deactivation ends their sign-ins).

use uuid::Uuid;
use wicket_domain::{Role, Timestamp};
use wicket_protocol::{StaffListing, StaffToken};

use crate::error::{Error, Result};
use crate::storage::{StaffLogin, Tx};

/// How long a head office sign-in lasts.
pub const STAFF_TOKEN_TTL_SECS: i64 = 30 * 60;

/// Before the PIN is checked (the check is slow and runs outside any transaction):
/// the member exists, is active and is not locked out at `at`.
pub fn check_sign_in(login: Option<StaffLogin>, at: Timestamp) -> Result<StaffLogin> {
    // An unknown member and a wrong PIN answer alike: no one learns who exists.
    let login = login.ok_or(Error::BadPin)?;
    if !login.active {
        return Err(Error::BadPin);
    }
    if login.locked_until > at {
        return Err(Error::PinLocked(login.locked_until - at));
    }
    Ok(login)
}

/// What a finished sign-in came to.
#[derive(Debug)]
pub enum SignIn {
    Token(StaffToken),
    /// Wrong PIN (counted); a lockout of `locked_for` seconds when that is > 0.
    Refused {
        locked_for: i64,
    },
}

/// Record the PIN check of `login` at `device`: a match makes a token (the caller
/// keeps the plain text, head office its hash), a miss counts towards a lockout.
/// `checked_hash` is the PIN hash the check ran against: had the PIN changed since,
/// the old one does not sign in.
#[allow(clippy::too_many_arguments)]
pub fn finish_sign_in(
    tx: &dyn Tx,
    device: Uuid,
    staff: Uuid,
    checked_hash: &str,
    pin_matched: bool,
    token: &str,
    token_hash: &str,
    at: Timestamp,
) -> Result<SignIn> {
    let Some(login) = tx.staff_login(staff)? else {
        return Ok(SignIn::Refused { locked_for: 0 });
    };
    if pin_matched && login.active && login.pin_hash == checked_hash {
        tx.clear_pin_failures(staff)?;
        let expires_at = at + STAFF_TOKEN_TTL_SECS;
        tx.insert_staff_token(token_hash, staff, device, expires_at, at)?;
        return Ok(SignIn::Token(StaffToken {
            token: token.to_string(),
            staff_id: staff,
            name: login.name,
            role: login.role,
            expires_at,
        }));
    }
    let failures = tx.add_pin_failure(staff)?;
    let wait = wicket_domain::pin_lockout_secs(failures);
    if wait > 0 {
        tx.set_pin_lockout(staff, at + wait)?;
    }
    Ok(SignIn::Refused { locked_for: wait })
}

/// A change to a member, validated; a new PIN comes as its hash.
#[derive(Debug, Default, Clone)]
pub struct StaffChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub pin_hash: Option<String>,
    pub active: Option<bool>,
}

/// Apply `change` to member `id`; ends their sign-ins when it touches the PIN, the
/// role or the active flag. `by`: who asks (an admin may not deactivate or demote
/// themself, which could leave a venue with no admin).
pub fn update_staff(
    tx: &dyn Tx,
    id: Uuid,
    change: &StaffChange,
    by: Option<Uuid>,
) -> Result<StaffListing> {
    if by == Some(id)
        && (change.active == Some(false) || change.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(Error::NotAllowed(
            "an admin may not deactivate or demote themself".into(),
        ));
    }
    let found = tx.update_staff(
        id,
        change.name.as_deref(),
        change.role,
        change.pin_hash.as_deref(),
        change.active,
    )?;
    if !found {
        return Err(Error::not_found(format!("staff member {id}")));
    }
    if change.pin_hash.is_some() || change.role.is_some() || change.active.is_some() {
        tx.drop_staff_tokens(id)?;
        if change.pin_hash.is_some() {
            tx.clear_pin_failures(id)?;
        }
    }
    tx.list_staff()?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::not_found(format!("staff member {id}")))
}
