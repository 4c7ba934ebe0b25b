//! Box-office sales: head office's own (priced here) and a device's offline sale
//! (priced on the device, held here to the same order rules and to sane figures).
//! Both keep the sale time as the time order-rule windows count.

use std::collections::HashMap;

use uuid::Uuid;
use wicket_domain::{
    self as domain, Customer, CustomerInput, Decimal, DomainError, Item, ItemOrigin, OrderRule,
    PaymentMethod, Product, Sale, SaleParties, SaleQuote, Timestamp,
};
use wicket_protocol::SaleOp;

use crate::error::Result;
use crate::storage::{SaleRow, Tx, UserKey};
use crate::usecase::{customer, issue};

/// A sale head office makes (`POST /v1/sales`).
pub use crate::store::SaleRequest as SaleInput;

/// A sale as stored, with its items and buyer.
#[derive(Debug, Clone)]
pub struct Sold {
    pub row: SaleRow,
    pub quote: SaleQuote,
    pub buyer: Customer,
    pub product: Product,
    pub items: Vec<Item>,
}

/// How many units `buyer` bought inside each order rule's window.
fn bought_in(tx: &dyn Tx, buyer: Uuid, product: &Product) -> Result<HashMap<Uuid, u64>> {
    let mut bought = HashMap::new();
    for rule in &product.order_rules {
        let n = tx.bought_between(
            buyer,
            product.id,
            rule.start_at.unwrap_or(i64::MIN),
            rule.end_at.unwrap_or(i64::MAX),
        )?;
        bought.insert(rule.id, n);
    }
    Ok(bought)
}

/// Head office's sale: price with the buyer's tier, order rules, issue rules.
pub fn sell(tx: &dyn Tx, req: &SaleInput, at: Timestamp) -> Result<Sold> {
    let method =
        PaymentMethod::parse(&req.payment_method).ok_or_else(|| DomainError::InvalidField {
            field: "payment_method",
            reason: format!("{:?} is not cash or card", req.payment_method),
        })?;
    let currency = req
        .currency
        .as_deref()
        .map(domain::validate_currency)
        .transpose()?;
    let (product, counters) = issue::product(tx, req.product_id)?;
    let buyer = match &req.buyer {
        UserKey::Email(e) => match tx.customer(&req.buyer)? {
            Some(c) => c,
            None => {
                // A walk-up buyer becomes a customer as part of the same sale.
                let c = CustomerInput::walk_up(
                    e,
                    req.buyer_first_name.clone(),
                    req.buyer_last_name.clone(),
                    Uuid::new_v4(),
                )?;
                tx.insert_customer(&c)?;
                c
            }
        },
        other => customer::recipient(tx, other)?,
    };
    let tiers = tx.tiers()?;
    let holds = tx.holding(product.id, buyer.id)?;
    let bought = bought_in(tx, buyer.id, &product)?;
    let (quote, plan) = domain::plan_sale(
        &product,
        &counters,
        &buyer,
        holds,
        req.quantity,
        currency.as_deref(),
        &tiers,
        at,
        |r: &OrderRule| bought.get(&r.id).copied().unwrap_or(0),
    )?;
    let seq = tx.next_sale_seq()?;
    let id = Uuid::now_v7();
    let items = issue::store_planned(
        tx,
        &product,
        &counters,
        &plan,
        ItemOrigin::Sale,
        Some(&id.to_string()),
        at,
    )?;
    let row = SaleRow {
        sale: quote.into_sale(SaleParties {
            id,
            order_number: format!("HO-{seq:06}"),
            product_id: product.id,
            payment_method: method,
            payments: Vec::new(),
            buyer_id: buyer.id,
            device_id: req.device_id,
            staff_id: None,
            at,
            item_ids: items.iter().map(|i| i.id).collect(),
        }),
        subtotal: quote.subtotal,
        discount_percentage: quote.discount_percentage,
        seq: Some(seq),
    };
    tx.insert_sale(&row)?;
    Ok(Sold {
        row,
        quote,
        buyer,
        product,
        items,
    })
}

/// A device's offline sale: its items from its allotments under the issue rules, the
/// order rules counted at the sale's own time, and figures that add up.
pub fn device_sale(tx: &dyn Tx, device: Uuid, p: &SaleOp) -> Result<()> {
    if let Some(c) = &p.new_customer {
        customer::create_walk_up(tx, c)?;
    }
    let s = &p.sale;
    domain::check_sale_figures(s, p.items.len())?;
    let (product, _) = issue::product(tx, s.product_id)?;
    if !product.prices.iter().any(|pr| pr.currency == s.currency) {
        return Err(DomainError::NoPrice(s.currency.clone()).into());
    }
    let buyer = customer::resolve(tx, s.buyer_id)?;
    let bought = bought_in(tx, buyer, &product)?;
    domain::check_order_rules(&product, s.quantity, s.created_at, |r: &OrderRule| {
        bought.get(&r.id).copied().unwrap_or(0)
    })?;
    let items: Vec<_> = p.items.iter().map(|i| (i.id, i.item_id, buyer)).collect();
    let granted = issue::device_items(
        tx,
        device,
        s.product_id,
        &items,
        ItemOrigin::Sale,
        Some(&s.id.to_string()),
        s.created_at,
    )?;
    // The price is the catalog's, not the device's word: one the product asked in
    // this currency since the allotment the items came from was granted (the
    // device may not have pulled a change yet), or asks now.
    let from = granted.unwrap_or(s.created_at);
    let mut asked = tx.prices_between(product.id, &s.currency, from, s.created_at.max(from))?;
    asked.extend(
        product
            .prices
            .iter()
            .filter(|pr| pr.currency == s.currency)
            .map(|pr| pr.amount),
    );
    domain::check_device_price(s, &asked, &tx.tiers()?)?;
    let subtotal = s
        .unit_price
        .checked_mul(Decimal::from(s.quantity))
        .ok_or_else(|| DomainError::field("sale", "amount out of range"))?;
    let pct = match s.discount.checked_mul(Decimal::ONE_HUNDRED) {
        _ if subtotal.is_zero() => Decimal::ZERO,
        Some(d) => d.checked_div(subtotal).unwrap_or(Decimal::ZERO).round_dp(4),
        None => return Err(DomainError::field("discount", "amount out of range").into()),
    };
    tx.insert_sale(&SaleRow {
        sale: Sale {
            buyer_id: buyer,
            device_id: Some(device),
            ..s.clone()
        },
        subtotal,
        discount_percentage: pct,
        seq: None,
    })
}
