//! Users (project customers): rows, balances and the ledger, status tiers.

use crate::db::{Connection, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::{self as domain, BalanceKind, Customer, StatusTier};

use super::rows::*;
use crate::error::{Error, Result};
use crate::model::*;

pub(crate) const USER_COLS: &str = "id, email, first_name, last_name, reference_id, country, reputation, credits, status_balance, created_at, updated_at";

pub(crate) struct UserRow {
    pub(crate) c: Customer,
    pub(crate) reference_id: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

impl UserRow {
    pub(crate) fn out(&self) -> UserOut {
        UserOut {
            id: self.c.id,
            email: self.c.email.clone(),
            first_name: self.c.first_name.clone(),
            last_name: self.c.last_name.clone(),
            reference_id: self.reference_id.clone(),
            country: self.c.country.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

pub(crate) fn user_from_row(r: &Row) -> Result<UserRow> {
    Ok(UserRow {
        c: Customer {
            id: uuid_at(r, 0)?,
            email: r.get(1)?,
            first_name: r.get(2)?,
            last_name: r.get(3)?,
            country: r.get(5)?,
            reputation: r.get(6)?,
            credits: r.get(7)?,
            status_balance: r.get(8)?,
        },
        reference_id: r.get(4)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

pub(crate) fn find_user(conn: &Connection, key: &UserKey) -> Result<Option<UserRow>> {
    let (col, val) = match key {
        UserKey::Id(id) => ("id", id.to_string()),
        UserKey::Email(e) => ("email", domain::normalize_email(e)?),
        UserKey::Reference(r) => ("reference_id", r.clone()),
    };
    conn.prepare_cached(&format!(
        "SELECT {USER_COLS} FROM users WHERE {col} = ?1{}",
        // In a PostgreSQL write: hold the customer (balances) until commit.
        conn.for_update()
    ))?
    .query_row([val], user_from_row)
    .optional()
}

pub(crate) fn require_user(conn: &Connection, id: Uuid) -> Result<UserRow> {
    find_user(conn, &UserKey::Id(id))?.ok_or_else(|| Error::not_found(format!("user {id}")))
}

pub(crate) fn item_user(c: &Customer) -> ItemUser {
    ItemUser {
        id: c.id,
        email: c.email.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
    }
}

pub(crate) fn insert_user(
    tx: &Connection,
    c: &Customer,
    reference_id: Option<&str>,
    iso: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO users (id, email, first_name, last_name, reference_id, country, reputation, credits, status_balance, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        c.id.to_string(),
        c.email,
        c.first_name,
        c.last_name,
        reference_id,
        c.country,
        c.reputation,
        c.credits,
        c.status_balance,
        iso
    ])?;
    Ok(())
}

/// Append a ledger entry and store the new balance in the user row, together.
#[allow(clippy::too_many_arguments)]
pub(crate) fn post_ledger(
    tx: &Connection,
    before: &Customer,
    after: &Customer,
    kind: BalanceKind,
    reason: &str,
    ref_id: Option<&str>,
    at: i64,
    iso: &str,
) -> Result<()> {
    let (old, new) = match kind {
        BalanceKind::Reputation => (before.reputation, after.reputation),
        BalanceKind::Credits => (before.credits, after.credits),
        BalanceKind::Status => (before.status_balance, after.status_balance),
    };
    tx.prepare_cached(
        "INSERT INTO ledger (id, user_id, kind, delta, balance_after, reason, ref_id, at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        Uuid::now_v7().to_string(),
        after.id.to_string(),
        kind.as_str(),
        new - old,
        new,
        reason.trim(),
        ref_id,
        at,
        iso
    ])?;
    tx.prepare_cached(
        "UPDATE users SET reputation = ?2, credits = ?3, status_balance = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![
        after.id.to_string(),
        after.reputation,
        after.credits,
        after.status_balance,
        iso
    ])?;
    Ok(())
}

pub(crate) fn load_tiers(conn: &Connection) -> Result<Vec<(StatusTier, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, name, min_token_balance, discount_percentage, created_at FROM status_tiers ORDER BY min_token_balance",
    )?;
    let rows = st.query_map((), |r| {
        Ok((
            StatusTier {
                id: r.get(0)?,
                name: r.get(1)?,
                min_token_balance: r.get(2)?,
                discount_percentage: decimal_at(r, 3)?,
            },
            r.get::<String>(4)?,
        ))
    })?;
    rows.collect::<Result<_>>()
}

pub(crate) fn tier_out(t: &StatusTier, created_at: &str) -> TierOut {
    TierOut {
        id: t.id,
        name: t.name.clone(),
        min_token_balance: t.min_token_balance,
        discount_percentage: t.discount_percentage.to_string(),
        created_at: created_at.to_string(),
    }
}

pub(crate) fn balances_of(conn: &Connection, c: &Customer) -> Result<BalancesOut> {
    let tiers = load_tiers(conn)?;
    let plain: Vec<StatusTier> = tiers.iter().map(|(t, _)| t.clone()).collect();
    let tier = domain::tier_for(c.status_balance, &plain).and_then(|t| {
        tiers
            .iter()
            .find(|(x, _)| x.id == t.id)
            .map(|(x, at)| tier_out(x, at))
    });
    Ok(BalancesOut {
        user_id: c.id,
        reputation: c.reputation,
        credits: c.credits,
        status_balance: c.status_balance,
        tier,
    })
}
