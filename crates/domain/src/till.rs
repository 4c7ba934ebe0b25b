//! Cash drawer sessions: open with a float, every cash movement tied to the
//! session, and the X/Z report (sales and refunds by payment method, tickets by
//! product, expected against counted cash).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::model::{PaymentMethod, Sale, Timestamp};
use crate::refund::Refund;
use crate::validate::{check_amount, validate_currency};

/// One drawer's session on one device, from opening to closing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSession {
    pub id: Uuid,
    pub device_id: Uuid,
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub float: Decimal,
    pub opened_at: Timestamp,
    #[serde(default)]
    pub closed_at: Option<Timestamp>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub counted: Option<Decimal>,
    #[serde(default)]
    pub closed_by: Option<Uuid>,
}

impl CashSession {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// An amount of money the drawer holds: not negative, not finer than the currency.
pub fn validate_cash(field: &'static str, currency: &str, amount: Decimal) -> Result<Decimal> {
    if amount.is_sign_negative() {
        return Err(DomainError::field(field, "must not be negative"));
    }
    if amount > Decimal::from(1_000_000_000u64) {
        return Err(DomainError::field(field, "is not a drawer's amount"));
    }
    check_amount(currency, amount)?;
    Ok(amount)
}

/// Open a session: none may be open on this device already.
pub fn open_session(
    open_now: Option<&CashSession>,
    id: Uuid,
    device: Uuid,
    staff: Option<Uuid>,
    currency: &str,
    float: Decimal,
    at: Timestamp,
) -> Result<CashSession> {
    if open_now.is_some_and(CashSession::is_open) {
        return Err(DomainError::SessionAlreadyOpen);
    }
    let currency = validate_currency(currency)?;
    let float = validate_cash("float", &currency, float)?;
    Ok(CashSession {
        id,
        device_id: device,
        staff_id: staff,
        currency,
        float,
        opened_at: at,
        closed_at: None,
        counted: None,
        closed_by: None,
    })
}

/// Close an open session with the cash counted in the drawer.
pub fn close_session(
    s: &CashSession,
    counted: Decimal,
    by: Option<Uuid>,
    at: Timestamp,
) -> Result<CashSession> {
    if !s.is_open() {
        return Err(DomainError::NoOpenSession);
    }
    let counted = validate_cash("counted", &s.currency, counted)?;
    Ok(CashSession {
        closed_at: Some(at.max(s.opened_at)),
        counted: Some(counted),
        closed_by: by,
        ..s.clone()
    })
}

/// Cash taken or given back (any cash among `parts`) needs an open session whose
/// drawer holds its currency.
pub fn check_drawer(
    open: Option<&CashSession>,
    parts: &[crate::payment::Payment],
    currency: &str,
) -> Result<()> {
    if crate::payment::cash_in(parts).is_zero() {
        return Ok(());
    }
    match open {
        Some(s) if s.is_open() && s.currency == currency => Ok(()),
        Some(s) if s.is_open() => Err(DomainError::field(
            "currency",
            format!("the open drawer holds {}, not {currency}", s.currency),
        )),
        _ => Err(DomainError::NoOpenSession),
    }
}

/// Money by payment method and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodLine {
    pub method: PaymentMethod,
    pub currency: String,
    pub count: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// Tickets of one product sold and refunded in the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLine {
    pub product_id: Uuid,
    pub name: String,
    pub sold: u64,
    pub refunded: u64,
}

/// The X report (session open) or Z report (closed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReport {
    pub session: CashSession,
    /// `x` while open, `z` once closed.
    pub kind: String,
    pub sales: Vec<MethodLine>,
    pub refunds: Vec<MethodLine>,
    pub products: Vec<ProductLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub expected_cash: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub counted: Option<Decimal>,
    /// Counted minus expected: positive is over, negative short.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub over_short: Option<Decimal>,
}

fn by_method<'a>(rows: impl Iterator<Item = (PaymentMethod, &'a str, Decimal)>) -> Vec<MethodLine> {
    let mut m: BTreeMap<(&str, &str), MethodLine> = BTreeMap::new();
    for (method, currency, amount) in rows {
        let line = m.entry((method.as_str(), currency)).or_insert(MethodLine {
            method,
            currency: currency.to_string(),
            count: 0,
            amount: Decimal::ZERO,
        });
        line.count += 1;
        line.amount += amount;
    }
    m.into_values().collect()
}

/// The report of a session over the sales and refunds tied to it; `name` gives a
/// product's name. Expected cash is the float plus cash taken less cash given back
/// in the drawer's currency.
pub fn session_report(
    s: &CashSession,
    sales: &[Sale],
    refunds: &[Refund],
    name: impl Fn(Uuid) -> String,
) -> SessionReport {
    // A split order counts once under each method it was paid with.
    let sale_lines = by_method(sales.iter().flat_map(|x| {
        x.paid_by()
            .into_iter()
            .map(move |p| (p.method, x.currency.as_str(), p.amount))
    }));
    let refund_lines = by_method(refunds.iter().flat_map(|r| {
        r.paid_by()
            .into_iter()
            .map(move |p| (p.method, r.currency.as_str(), p.amount))
    }));
    let cash = |lines: &[MethodLine]| -> Decimal {
        lines
            .iter()
            .filter(|l| l.method == PaymentMethod::Cash && l.currency == s.currency)
            .map(|l| l.amount)
            .sum()
    };
    let expected_cash = s.float + cash(&sale_lines) - cash(&refund_lines);
    let mut products: BTreeMap<Uuid, ProductLine> = BTreeMap::new();
    for x in sales {
        let line = products.entry(x.product_id).or_insert_with(|| ProductLine {
            product_id: x.product_id,
            name: name(x.product_id),
            sold: 0,
            refunded: 0,
        });
        line.sold += u64::from(x.quantity);
    }
    for r in refunds {
        // A refund in this session of a sale from another session counts here.
        let line = products.entry(r.product_id).or_insert_with(|| ProductLine {
            product_id: r.product_id,
            name: name(r.product_id),
            sold: 0,
            refunded: 0,
        });
        line.refunded += r.item_ids.len() as u64;
    }
    SessionReport {
        session: s.clone(),
        kind: if s.is_open() { "x" } else { "z" }.into(),
        sales: sale_lines,
        refunds: refund_lines,
        products: products.into_values().collect(),
        expected_cash,
        counted: s.counted,
        over_short: s.counted.map(|c| c - expected_cash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn sale(n: u128, method: PaymentMethod, total: &str, qty: u32) -> Sale {
        Sale {
            id: Uuid::from_u128(n),
            order_number: format!("A-{n:06}"),
            product_id: Uuid::from_u128(if n.is_multiple_of(2) { 50 } else { 51 }),
            quantity: qty,
            currency: "EUR".into(),
            unit_price: Decimal::ZERO,
            discount: Decimal::ZERO,
            total: d(total),
            payment_method: method,
            payments: Vec::new(),
            buyer_id: Uuid::from_u128(7),
            device_id: Some(Uuid::from_u128(9)),
            staff_id: None,
            created_at: 1_700_000_000,
            item_ids: (0..qty)
                .map(|i| Uuid::from_u128(n * 100 + i as u128))
                .collect(),
        }
    }

    #[test]
    fn z_report_adds_up_by_method_and_counts_over_short() {
        let dev = Uuid::from_u128(9);
        let s = open_session(None, Uuid::from_u128(1), dev, None, "EUR", d("100.00"), 10).unwrap();
        let sales = vec![
            sale(2, PaymentMethod::Cash, "50.00", 2),
            sale(3, PaymentMethod::Card, "30.00", 1),
            sale(4, PaymentMethod::Cash, "25.50", 1),
        ];
        let refund = Refund {
            id: Uuid::from_u128(60),
            sale_id: sales[0].id,
            order_number: sales[0].order_number.clone(),
            product_id: sales[0].product_id,
            item_ids: vec![sales[0].item_ids[0]],
            amount: d("25.00"),
            currency: "EUR".into(),
            payment_method: PaymentMethod::Cash,
            payments: Vec::new(),
            reason: "x".into(),
            device_id: Some(dev),
            staff_id: None,
            created_at: 20,
        };
        let x = session_report(&s, &sales, std::slice::from_ref(&refund), |_| "T".into());
        assert_eq!(x.kind, "x");
        let cash = x
            .sales
            .iter()
            .find(|l| l.method == PaymentMethod::Cash)
            .unwrap();
        assert_eq!((cash.count, cash.amount), (2, d("75.50")));
        let card = x
            .sales
            .iter()
            .find(|l| l.method == PaymentMethod::Card)
            .unwrap();
        assert_eq!((card.count, card.amount), (1, d("30.00")));
        assert_eq!(x.refunds[0].amount, d("25.00"));
        // 100 float + 75.50 cash sales - 25 cash refund
        assert_eq!(x.expected_cash, d("150.50"));
        assert_eq!(x.over_short, None);
        let even = x
            .products
            .iter()
            .find(|p| p.product_id == Uuid::from_u128(50))
            .unwrap();
        assert_eq!((even.sold, even.refunded), (3, 1));

        let closed = close_session(&s, d("148.00"), None, 30).unwrap();
        let z = session_report(&closed, &sales, &[refund], |_| "T".into());
        assert_eq!(z.kind, "z");
        assert_eq!(z.over_short, Some(d("-2.50")));
        assert_eq!(
            close_session(&closed, d("1"), None, 40).unwrap_err().code(),
            "no_open_session"
        );
    }

    #[test]
    fn a_cash_sale_needs_an_open_drawer() {
        let dev = Uuid::from_u128(9);
        let cash = |a: &str| {
            vec![crate::payment::Payment {
                method: PaymentMethod::Cash,
                amount: d(a),
            }]
        };
        let card = vec![crate::payment::Payment {
            method: PaymentMethod::Card,
            amount: d("10"),
        }];
        assert_eq!(
            check_drawer(None, &cash("10"), "EUR").unwrap_err().code(),
            "no_open_session"
        );
        assert!(check_drawer(None, &card, "EUR").is_ok());
        let s = open_session(None, Uuid::from_u128(1), dev, None, "EUR", d("0"), 10).unwrap();
        assert!(check_drawer(Some(&s), &cash("10"), "EUR").is_ok());
        assert!(check_drawer(Some(&s), &cash("10"), "USD").is_err());
        assert_eq!(
            open_session(Some(&s), Uuid::from_u128(2), dev, None, "EUR", d("0"), 11)
                .unwrap_err()
                .code(),
            "session_already_open"
        );
        assert!(open_session(None, Uuid::from_u128(2), dev, None, "EUR", d("-1"), 11).is_err());
        assert!(open_session(None, Uuid::from_u128(2), dev, None, "EUR", d("0.001"), 11).is_err());
    }
}
