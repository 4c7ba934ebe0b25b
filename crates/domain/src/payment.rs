//! How an order is paid: one method, or split between cash and card; the change
//! due on cash; and which way a refund of a split order goes back.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Result};
use crate::model::{PaymentMethod, Sale};
use crate::refund::Refund;
use crate::validate::check_amount;

/// One part of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub method: PaymentMethod,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

impl Sale {
    /// The parts this order was paid with (one part unless split).
    pub fn paid_by(&self) -> Vec<Payment> {
        parts_of(self.payment_method, &self.payments, self.total)
    }
}

impl Refund {
    /// The parts this refund went back by (one part unless its order was split).
    pub fn paid_by(&self) -> Vec<Payment> {
        parts_of(self.payment_method, &self.payments, self.amount)
    }
}

/// The parts of `amount` paid by `method`, or split as `parts` when there are any.
pub fn parts_of(method: PaymentMethod, parts: &[Payment], amount: Decimal) -> Vec<Payment> {
    if parts.is_empty() {
        vec![Payment { method, amount }]
    } else {
        parts.to_vec()
    }
}

/// How an order of `total` is paid: by `method` alone, or, with `cash_part`, that
/// much cash and the rest by card. Returns the sale's `payment_method` (card for a
/// split order: what is left after the cash) and its parts (empty unless split).
pub fn plan_payment(
    total: Decimal,
    currency: &str,
    method: PaymentMethod,
    cash_part: Option<Decimal>,
) -> Result<(PaymentMethod, Vec<Payment>)> {
    let Some(cash) = cash_part else {
        return Ok((method, Vec::new()));
    };
    check_amount(currency, cash)?;
    if cash <= Decimal::ZERO || cash >= total {
        return Err(DomainError::field(
            "cash_amount",
            format!("a split payment's cash part is more than 0 and less than the total {total}"),
        ));
    }
    Ok((
        PaymentMethod::Card,
        vec![
            Payment {
                method: PaymentMethod::Cash,
                amount: cash,
            },
            Payment {
                method: PaymentMethod::Card,
                amount: total - cash,
            },
        ],
    ))
}

/// A sale's parts add up: none, or one cash and one card part, each more than 0,
/// summing to the total, with the card part as the sale's method.
pub fn check_payments(s: &Sale) -> Result<()> {
    if s.payments.is_empty() {
        return Ok(());
    }
    let bad = |why: &str| Err(DomainError::field("payments", why.to_string()));
    if s.payments.len() != 2
        || s.payments[0].method != PaymentMethod::Cash
        || s.payments[1].method != PaymentMethod::Card
        || s.payment_method != PaymentMethod::Card
    {
        return bad("a split payment is one cash part then one card part");
    }
    for p in &s.payments {
        check_amount(&s.currency, p.amount)?;
        if p.amount <= Decimal::ZERO {
            return bad("each part is more than 0");
        }
    }
    if s.payments.iter().map(|p| p.amount).sum::<Decimal>() != s.total {
        return bad("the parts do not add up to the total");
    }
    Ok(())
}

/// The cash among `parts` (what goes into or out of the drawer).
pub fn cash_in(parts: &[Payment]) -> Decimal {
    parts
        .iter()
        .filter(|p| p.method == PaymentMethod::Cash)
        .map(|p| p.amount)
        .sum()
}

/// Change for the cash `tendered` (if any was given) against the cash `due`:
/// refused when short, or when nothing of the order is paid in cash.
pub fn change_due(due: Decimal, tendered: Option<Decimal>) -> Result<Option<Decimal>> {
    let Some(tendered) = tendered else {
        return Ok(None);
    };
    if due.is_zero() {
        return Err(DomainError::field(
            "tendered",
            "nothing of this order is paid in cash",
        ));
    }
    if tendered < due {
        return Err(DomainError::field(
            "tendered",
            format!("{tendered} given is less than the {due} cash due"),
        ));
    }
    Ok(Some(tendered - due))
}

/// Which way `amount` of a split order goes back: to the card first (up to what the
/// card paid and earlier refunds did not give back), the rest in cash. Empty for
/// an order paid one way (the refund goes back by that method).
pub fn refund_parts(sale: &Sale, prior: &[Refund], amount: Decimal) -> Vec<Payment> {
    if sale.payments.is_empty() {
        return Vec::new();
    }
    let given = |m: PaymentMethod| -> Decimal {
        prior
            .iter()
            .flat_map(|r| r.paid_by())
            .filter(|p| p.method == m)
            .map(|p| p.amount)
            .sum()
    };
    let paid = |m: PaymentMethod| -> Decimal {
        sale.payments
            .iter()
            .filter(|p| p.method == m)
            .map(|p| p.amount)
            .sum()
    };
    let card_left = (paid(PaymentMethod::Card) - given(PaymentMethod::Card)).max(Decimal::ZERO);
    let card = amount.min(card_left);
    let cash = amount - card;
    [(PaymentMethod::Card, card), (PaymentMethod::Cash, cash)]
        .into_iter()
        .filter(|(_, a)| *a > Decimal::ZERO)
        .map(|(method, amount)| Payment { method, amount })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn split_sale() -> Sale {
        let (method, payments) =
            plan_payment(d("60.00"), "EUR", PaymentMethod::Cash, Some(d("20.00"))).unwrap();
        Sale {
            id: Uuid::from_u128(1),
            order_number: "A-1".into(),
            product_id: Uuid::from_u128(2),
            quantity: 3,
            currency: "EUR".into(),
            unit_price: d("20.00"),
            discount: Decimal::ZERO,
            total: d("60.00"),
            payment_method: method,
            payments,
            buyer_id: Uuid::from_u128(3),
            device_id: None,
            staff_id: None,
            created_at: 0,
            item_ids: (0..3).map(|i| Uuid::from_u128(10 + i)).collect(),
        }
    }

    #[test]
    fn a_split_payment_adds_up() {
        let s = split_sale();
        assert!(check_payments(&s).is_ok());
        assert_eq!(cash_in(&s.paid_by()), d("20.00"));
        assert_eq!(s.paid_by()[1].amount, d("40.00"));
        let mut wrong = s.clone();
        wrong.payments[1].amount = d("39.00");
        assert_eq!(check_payments(&wrong).unwrap_err().code(), "invalid_field");
        for cash in ["0", "60.00", "70", "0.001"] {
            assert!(
                plan_payment(d("60.00"), "EUR", PaymentMethod::Cash, Some(d(cash))).is_err(),
                "{cash}"
            );
        }
    }

    #[test]
    fn change_is_tendered_less_due() {
        assert_eq!(
            change_due(d("20.00"), Some(d("50.00"))).unwrap(),
            Some(d("30.00"))
        );
        assert_eq!(change_due(d("20.00"), None).unwrap(), None);
        assert_eq!(
            change_due(Decimal::ZERO, Some(d("5"))).unwrap_err().code(),
            "invalid_field"
        );
        assert_eq!(
            change_due(d("20.00"), Some(d("19.99"))).unwrap_err().code(),
            "invalid_field"
        );
    }

    #[test]
    fn a_split_order_refunds_to_card_first() {
        let s = split_sale();
        let first = refund_parts(&s, &[], d("30.00"));
        assert_eq!(
            first,
            vec![Payment {
                method: PaymentMethod::Card,
                amount: d("30.00")
            }]
        );
        let prior = Refund {
            id: Uuid::from_u128(7),
            sale_id: s.id,
            order_number: s.order_number.clone(),
            product_id: s.product_id,
            item_ids: vec![],
            amount: d("30.00"),
            currency: "EUR".into(),
            payment_method: PaymentMethod::Card,
            payments: first,
            reason: "x".into(),
            device_id: None,
            staff_id: None,
            created_at: 0,
        };
        let rest = refund_parts(&s, &[prior], d("30.00"));
        assert_eq!(
            rest,
            vec![
                Payment {
                    method: PaymentMethod::Card,
                    amount: d("10.00")
                },
                Payment {
                    method: PaymentMethod::Cash,
                    amount: d("20.00")
                },
            ]
        );
    }
}
