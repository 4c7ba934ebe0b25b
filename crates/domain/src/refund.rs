//! Refunds: which items of an order a refund takes back, how much money goes back,
//! and who may do it offline. A refund goes back by the sale's own payment method.

use std::collections::HashSet;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::model::{PaymentMethod, Sale, Timestamp};
use crate::validate::{minor_units, refuse_control};

/// Money given back for some items of one order (a fact, like a sale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: Uuid,
    pub sale_id: Uuid,
    pub order_number: String,
    pub product_id: Uuid,
    pub item_ids: Vec<Uuid>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    /// The method the money went back by (the first part's, when split).
    pub payment_method: PaymentMethod,
    /// A split order's refund parts (card first, then cash); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<crate::payment::Payment>,
    pub reason: String,
    #[serde(default)]
    pub device_id: Option<Uuid>,
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    pub created_at: Timestamp,
}

/// What a refund would take back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPlan {
    pub item_ids: Vec<Uuid>,
    pub amount: Decimal,
    /// The method it goes back by, and a split order's parts.
    pub payment_method: PaymentMethod,
    pub payments: Vec<crate::payment::Payment>,
}

impl RefundPlan {
    /// The refund this plan gives back for `sale`, made by `device`/`staff` at `at`.
    pub fn into_refund(
        self,
        sale: &Sale,
        reason: &str,
        id: Uuid,
        device_id: Option<Uuid>,
        staff_id: Option<Uuid>,
        at: Timestamp,
    ) -> Result<Refund> {
        Ok(Refund {
            id,
            sale_id: sale.id,
            order_number: sale.order_number.clone(),
            product_id: sale.product_id,
            item_ids: self.item_ids,
            amount: self.amount,
            currency: sale.currency.clone(),
            payment_method: self.payment_method,
            payments: self.payments,
            reason: validate_refund_reason(reason)?,
            device_id,
            staff_id,
            created_at: at,
        })
    }
}

/// A refund's reason: what a manager writes down, one line, 1–500 characters.
pub fn validate_refund_reason(reason: &str) -> Result<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(DomainError::field("reason", "a refund needs a reason"));
    }
    if r.chars().count() > 500 {
        return Err(DomainError::field("reason", "at most 500 characters"));
    }
    refuse_control("reason", r, false)?;
    Ok(r.to_string())
}

/// Plan a refund of `requested` items of `sale` (none named: every item not yet
/// refunded), given the refunds already made. Each item is refunded once; the
/// money is the items' share of what was paid, and the last refund of an order
/// gives back exactly what is left, so an order's refunds add up to its total.
pub fn plan_refund(
    sale: &Sale,
    prior: &[Refund],
    requested: &[Uuid],
    reason: &str,
) -> Result<RefundPlan> {
    validate_refund_reason(reason)?;
    let done: HashSet<Uuid> = prior
        .iter()
        .flat_map(|r| r.item_ids.iter().copied())
        .collect();
    let items: Vec<Uuid> = if requested.is_empty() {
        let left: Vec<Uuid> = sale
            .item_ids
            .iter()
            .copied()
            .filter(|i| !done.contains(i))
            .collect();
        if left.is_empty() {
            return Err(DomainError::AlreadyRefunded(sale.order_number.clone()));
        }
        left
    } else {
        let mut seen = HashSet::new();
        for i in requested {
            if !seen.insert(*i) {
                return Err(DomainError::field("items", format!("item {i} named twice")));
            }
            if !sale.item_ids.contains(i) {
                return Err(DomainError::NotInOrder {
                    item: i.to_string(),
                    order: sale.order_number.clone(),
                });
            }
            if done.contains(i) {
                return Err(DomainError::AlreadyRefunded(i.to_string()));
            }
        }
        requested.to_vec()
    };
    let count = sale.item_ids.len().max(1);
    let amount = if done.len() + items.len() >= count {
        let given: Decimal = prior.iter().map(|r| r.amount).sum();
        (sale.total - given).max(Decimal::ZERO)
    } else {
        (sale.total * Decimal::from(items.len()) / Decimal::from(count))
            .round_dp_with_strategy(minor_units(&sale.currency), RoundingStrategy::ToZero)
    };
    let payments = crate::payment::refund_parts(sale, prior, amount);
    Ok(RefundPlan {
        item_ids: items,
        amount,
        payment_method: payments.first().map_or(sale.payment_method, |p| p.method),
        payments,
    })
}

/// A refund a device made on its own: it must be one the rules give (same items,
/// same money, the sale's currency and payment method), so a device cannot pay out
/// more than the order's share.
pub fn check_refund(refund: &Refund, sale: &Sale, prior: &[Refund]) -> Result<()> {
    if refund.sale_id != sale.id || refund.product_id != sale.product_id {
        return Err(DomainError::field("refund", "names another sale"));
    }
    if refund.item_ids.is_empty() {
        return Err(DomainError::field("items", "a refund names its items"));
    }
    let plan = plan_refund(sale, prior, &refund.item_ids, &refund.reason)?;
    if plan.amount != refund.amount
        || refund.currency != sale.currency
        || refund.payment_method != plan.payment_method
        || refund.payments != plan.payments
    {
        return Err(DomainError::field(
            "refund",
            format!(
                "amount {} {} by {} is not the order's share ({} {} by {})",
                refund.amount,
                refund.currency,
                refund.payment_method.as_str(),
                plan.amount,
                sale.currency,
                plan.payment_method.as_str()
            ),
        ));
    }
    Ok(())
}

/// Offline, a device refunds only what it sold itself; other orders need head
/// office, which sees every refund of them.
pub fn check_offline_refund(sale: &Sale, device: Uuid) -> Result<()> {
    if sale.device_id == Some(device) {
        Ok(())
    } else {
        Err(DomainError::RefundNeedsHeadOffice(
            sale.order_number.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale(total: &str, n: usize) -> Sale {
        Sale {
            id: Uuid::from_u128(1),
            order_number: "A-000001".into(),
            product_id: Uuid::from_u128(2),
            quantity: n as u32,
            currency: "EUR".into(),
            unit_price: Decimal::ZERO,
            discount: Decimal::ZERO,
            total: total.parse().unwrap(),
            payment_method: PaymentMethod::Cash,
            payments: Vec::new(),
            buyer_id: Uuid::from_u128(3),
            device_id: Some(Uuid::from_u128(9)),
            staff_id: None,
            created_at: 1_700_000_000,
            item_ids: (0..n).map(|i| Uuid::from_u128(100 + i as u128)).collect(),
        }
    }

    fn made(s: &Sale, plan: &RefundPlan) -> Refund {
        Refund {
            id: Uuid::now_v7(),
            sale_id: s.id,
            order_number: s.order_number.clone(),
            product_id: s.product_id,
            item_ids: plan.item_ids.clone(),
            amount: plan.amount,
            currency: s.currency.clone(),
            payment_method: plan.payment_method,
            payments: plan.payments.clone(),
            reason: "changed plans".into(),
            device_id: s.device_id,
            staff_id: None,
            created_at: s.created_at + 60,
        }
    }

    #[test]
    fn partial_refunds_add_up_to_the_total() {
        let s = sale("100.00", 3);
        let one = plan_refund(&s, &[], &[s.item_ids[0]], "changed plans").unwrap();
        assert_eq!(one.amount, "33.33".parse::<Decimal>().unwrap());
        let r1 = made(&s, &one);
        let rest = plan_refund(&s, std::slice::from_ref(&r1), &[], "changed plans").unwrap();
        assert_eq!(rest.item_ids, s.item_ids[1..].to_vec());
        assert_eq!(rest.amount, "66.67".parse::<Decimal>().unwrap());
        let r2 = made(&s, &rest);
        assert_eq!(r1.amount + r2.amount, s.total);
    }

    #[test]
    fn an_item_is_refunded_once() {
        let s = sale("40.00", 2);
        let r = made(&s, &plan_refund(&s, &[], &[], "cancelled").unwrap());
        let again = plan_refund(&s, std::slice::from_ref(&r), &[], "cancelled").unwrap_err();
        assert_eq!(again.code(), "already_refunded");
        let item = plan_refund(&s, &[r], &[s.item_ids[1]], "cancelled").unwrap_err();
        assert_eq!(item.code(), "already_refunded");
    }

    #[test]
    fn refusals_name_their_cause() {
        let s = sale("40.00", 2);
        let e = plan_refund(&s, &[], &[Uuid::from_u128(5)], "x").unwrap_err();
        assert_eq!(e.code(), "not_in_order");
        let e = plan_refund(&s, &[], &[], "   ").unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        let e = plan_refund(&s, &[], &[s.item_ids[0], s.item_ids[0]], "x").unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        assert!(check_offline_refund(&s, Uuid::from_u128(9)).is_ok());
        let e = check_offline_refund(&s, Uuid::from_u128(8)).unwrap_err();
        assert_eq!(e.code(), "refund_needs_head_office");
    }

    #[test]
    fn a_device_cannot_pay_out_more_than_the_share() {
        let s = sale("40.00", 2);
        let mut r = made(&s, &plan_refund(&s, &[], &[s.item_ids[0]], "x").unwrap());
        assert!(check_refund(&r, &s, &[]).is_ok());
        r.amount = "40.00".parse().unwrap();
        assert_eq!(
            check_refund(&r, &s, &[]).unwrap_err().code(),
            "invalid_field"
        );
        r.amount = "20.00".parse().unwrap();
        r.payment_method = PaymentMethod::Card;
        assert_eq!(
            check_refund(&r, &s, &[]).unwrap_err().code(),
            "invalid_field"
        );
    }
}
