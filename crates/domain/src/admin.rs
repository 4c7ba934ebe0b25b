//! Head office administration rules: balance adjustments on the ledger, status tier
//! definitions, user batches and claim-code batches. Pure, like the rest of the
//! rulebook, so any store (SQLite now, PostgreSQL later) gets the same answers.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Result};
use crate::model::{Customer, Product, StatusTier};
use crate::validate::MAX_USERS_PER_BATCH;

/// Claim codes one request may create.
pub const MAX_CLAIM_CODES: u32 = 1000;

/// Which balance a ledger entry moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceKind {
    Reputation,
    Credits,
    Status,
}

impl BalanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BalanceKind::Reputation => "reputation",
            BalanceKind::Credits => "credits",
            BalanceKind::Status => "status",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reputation" => Some(BalanceKind::Reputation),
            "credits" => Some(BalanceKind::Credits),
            "status" => Some(BalanceKind::Status),
            _ => None,
        }
    }
}

/// The customer after a manual ledger entry of `delta` on `kind`. The delta must be
/// non-zero and carry a reason (the ledger is an audit trail). Credits and status
/// balances never go below zero: credits are spent, not borrowed. Reputation may go
/// negative, since penalties are what it is for.
pub fn adjust_balance(
    customer: &Customer,
    kind: BalanceKind,
    delta: i64,
    reason: &str,
) -> Result<Customer> {
    if delta == 0 {
        return Err(DomainError::field("delta", "must not be 0"));
    }
    let n = reason.trim().chars().count();
    if n == 0 || n > 255 {
        return Err(DomainError::field(
            "reason",
            "length must be 1..=255 characters",
        ));
    }
    let current = match kind {
        BalanceKind::Reputation => customer.reputation,
        BalanceKind::Credits => customer.credits,
        BalanceKind::Status => customer.status_balance,
    };
    let next = current
        .checked_add(delta)
        .ok_or_else(|| DomainError::field("delta", "balance would overflow"))?;
    if next < 0 {
        match kind {
            BalanceKind::Credits => {
                return Err(DomainError::InsufficientCredits {
                    balance: current,
                    cost: delta.saturating_neg(),
                });
            }
            BalanceKind::Status => {
                return Err(DomainError::field(
                    "delta",
                    format!("status balance {current} cannot go below 0"),
                ));
            }
            BalanceKind::Reputation => {}
        }
    }
    let mut out = customer.clone();
    match kind {
        BalanceKind::Reputation => out.reputation = next,
        BalanceKind::Credits => out.credits = next,
        BalanceKind::Status => out.status_balance = next,
    }
    Ok(out)
}

/// A status tier definition: name 1–64 characters, a non-negative threshold and a
/// discount of 0–100 percent. Names and thresholds must be distinct from `existing`
/// tiers, or [`tier_for`](crate::tier_for) could not rank them.
pub fn validate_status_tier(tier: &StatusTier, existing: &[StatusTier]) -> Result<()> {
    let n = tier.name.trim().chars().count();
    if n == 0 || n > 64 {
        return Err(DomainError::field(
            "name",
            "length must be 1..=64 characters",
        ));
    }
    if tier.min_token_balance < 0 {
        return Err(DomainError::field("min_token_balance", "must be >= 0"));
    }
    if tier.discount_percentage < Decimal::ZERO || tier.discount_percentage > Decimal::ONE_HUNDRED {
        return Err(DomainError::field(
            "discount_percentage",
            "must be between 0 and 100",
        ));
    }
    for t in existing.iter().filter(|t| t.id != tier.id) {
        if t.name.eq_ignore_ascii_case(tier.name.trim()) {
            return Err(DomainError::field("name", "another tier has this name"));
        }
        if t.min_token_balance == tier.min_token_balance {
            return Err(DomainError::field(
                "min_token_balance",
                "another tier has this threshold",
            ));
        }
    }
    Ok(())
}

/// A create-users request names 1 to 1500 users.
pub fn check_user_batch(n: usize) -> Result<()> {
    if n == 0 || n > MAX_USERS_PER_BATCH {
        return Err(DomainError::field(
            "users",
            format!("a request creates 1..={MAX_USERS_PER_BATCH} users, got {n}"),
        ));
    }
    Ok(())
}

/// A caller's own identifier for a user or event: 1–255 characters, trimmed.
pub fn validate_reference_id(s: &str) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > 255 {
        return Err(DomainError::field(
            "reference_id",
            "length must be 1..=255 characters",
        ));
    }
    Ok(t.to_string())
}

/// Claim codes are only made for claimable products, 1 to [`MAX_CLAIM_CODES`] at a
/// time. Stock is checked when a code is claimed, not when it is made, so codes can
/// be handed out generously.
pub fn check_claim_codes(product: &Product, count: u32) -> Result<()> {
    if !product.is_claimable {
        return Err(DomainError::NotClaimable);
    }
    if count == 0 || count > MAX_CLAIM_CODES {
        return Err(DomainError::field(
            "count",
            format!("must be 1..={MAX_CLAIM_CODES}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn customer() -> Customer {
        Customer {
            id: Uuid::nil(),
            email: "a@b.co".into(),
            first_name: None,
            last_name: None,
            reputation: 0,
            credits: 10,
            status_balance: 0,
            country: None,
        }
    }

    #[test]
    fn credits_never_go_negative() {
        let c = customer();
        let e = adjust_balance(&c, BalanceKind::Credits, -11, "spend").unwrap_err();
        assert_eq!(e.code(), "insufficient_credits");
        let ok = adjust_balance(&c, BalanceKind::Credits, -10, "spend").unwrap();
        assert_eq!(ok.credits, 0);
        let rep = adjust_balance(&c, BalanceKind::Reputation, -5, "penalty").unwrap();
        assert_eq!(rep.reputation, -5);
    }

    #[test]
    fn zero_delta_and_empty_reason_refused() {
        let c = customer();
        assert!(adjust_balance(&c, BalanceKind::Status, 0, "x").is_err());
        assert!(adjust_balance(&c, BalanceKind::Status, 1, "  ").is_err());
    }

    #[test]
    fn tier_bounds() {
        let t = StatusTier {
            id: 1,
            name: "Gold".into(),
            min_token_balance: 100,
            discount_percentage: Decimal::new(1001, 1),
        };
        assert!(validate_status_tier(&t, &[]).is_err());
        let ok = StatusTier {
            discount_percentage: Decimal::new(125, 1),
            ..t.clone()
        };
        assert!(validate_status_tier(&ok, &[]).is_ok());
        let dup = StatusTier {
            id: 2,
            ..ok.clone()
        };
        assert!(validate_status_tier(&dup, &[ok]).is_err());
    }
}
