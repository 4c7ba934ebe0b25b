//! The box office: issue, sell, transfer, claim and reward redemption, plus the
//! door's redeem by uuid or number. Each act asks the signed-in staff member's role
//! (`Replica::authorize`), decides through `wicket_domain`, and writes its rows and
//! one typed outbox op in a single transaction.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use wicket_domain::{self as domain, *};
use wicket_protocol::{
    ClaimOp, CustomerOp, IssueOp, NewItem, Op, RewardRedeemOp, SaleOp, TransferOp,
};

use crate::error::{DeviceError, Result};
use crate::outbox;
use crate::replica::{Replica, SaleReceipt, SellRequest};
use crate::rows::*;

impl Replica {
    // ------------------------------------------------------------ writes

    /// Issue one item of `product_id` to each recipient (1–550, users and emails
    /// together). All or nothing.
    pub fn issue(
        &mut self,
        product_id: Uuid,
        users: &[Uuid],
        emails: &[String],
    ) -> Result<Vec<Item>> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Issue)?;
        let refs = recipient_batch(users, emails)?;
        let tx = self.conn.transaction()?;
        let (product, counters) = product_for_issue(&tx, product_id, now)?;
        let mut lookup_err = None;
        let recipients = resolve_recipients(&refs, |r| match find_customer(&tx, r) {
            Ok(c) => c,
            Err(e) => {
                lookup_err.get_or_insert(e);
                None
            }
        });
        if let Some(e) = lookup_err {
            return Err(e);
        }
        let recipients = recipients?;
        let mut holdings = HashMap::new();
        for c in &recipients {
            if let std::collections::hash_map::Entry::Vacant(v) = holdings.entry(c.id) {
                v.insert(holds(&tx, c.id, product_id)?);
            }
        }
        let mut plan = plan_issue(&product, &counters, &recipients, &holdings, now)?;
        let allotted = crate::allotment::take(&tx, product.id, &mut plan, now)?;
        let items = materialize(&product, &plan, ItemOrigin::Issue, now, Uuid::now_v7);
        write_items(&tx, &product, &counters, &plan, &items, allotted)?;
        let op = Op::Issue(IssueOp {
            product_id,
            items: items
                .iter()
                .map(|i| NewItem {
                    id: i.id,
                    item_id: i.item_id,
                    owner_id: Some(i.owner_id),
                })
                .collect(),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(items)
    }

    /// Redeem an item by its uuid at `gate`. On success the redemption is durable
    /// (committed with `synchronous=FULL`) before this returns.
    pub fn redeem(&mut self, item_id: Uuid, gate: Option<&str>) -> Result<Item> {
        // Checked in by hand, not by a scanned signature: audited.
        self.manual_redeem(item_id, gate, None)
    }

    /// Redeem by product and sequential item number (what is printed on a ticket).
    pub fn redeem_by_number(
        &mut self,
        product_id: Uuid,
        item_id: u64,
        gate: Option<&str>,
    ) -> Result<Item> {
        let item = self.item_by_number(product_id, item_id)?;
        self.redeem(item.id, gate)
    }

    /// Transfer an item from `sender` to `recipient` under the seed-000 rules.
    pub fn transfer(
        &mut self,
        item_id: Uuid,
        sender: &RecipientRef,
        recipient: &RecipientRef,
    ) -> Result<Item> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Transfer)?;
        let tx = self.conn.transaction()?;
        let item = load_item(&tx, item_id)?;
        let (product, _) = load_product(&tx, item.product_id)?;
        let sender_c =
            find_customer(&tx, sender)?.ok_or_else(|| DeviceError::Rule(DomainError::NotOwner))?;
        let recips = resolve_recipients(std::slice::from_ref(recipient), |r| {
            find_customer(&tx, r).ok().flatten()
        })?;
        let to = &recips[0];
        let to_holds = holds(&tx, to.id, product.id)?;
        check_transfer(&product, &item, sender_c.id, to, to_holds)?;
        let moved = domain::transfer(&item, to.id);
        tx.execute(
            "UPDATE items SET owner_id = ?2 WHERE id = ?1",
            params![item_id, to.id],
        )?;
        let op = Op::Transfer(TransferOp {
            item: item_id,
            from: sender_c.id,
            to: to.id,
            transferred_at: Some(now),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(moved)
    }

    /// Sell at the box office: price with the buyer's tier discount, check order
    /// rules and issue rules, record the sale and its items. A buyer email the
    /// replica does not know becomes a new customer (UUIDv7) in the same transaction,
    /// recorded as an op of her own before the sale's (a refused sale cannot lose her).
    pub fn sell(&mut self, req: &SellRequest) -> Result<SaleReceipt> {
        self.sell_in(req, true)
    }

    /// What `sell` would give now (price, discount, total, change), with nothing
    /// kept: the same code path in a transaction that is rolled back.
    pub fn quote(&mut self, req: &SellRequest) -> Result<SaleReceipt> {
        self.sell_in(req, false)
    }

    fn sell_in(&mut self, req: &SellRequest, keep: bool) -> Result<SaleReceipt> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        let email = normalize_email(&req.buyer_email)?;
        let payment = match req.payment_method.as_deref() {
            None => PaymentMethod::Cash,
            Some(p) => PaymentMethod::parse(p).ok_or_else(|| {
                DeviceError::Invalid(format!("payment method {p:?} is not cash or card"))
            })?,
        };
        self.authorize(Action::Sell)?;
        let tx = self.conn.transaction()?;
        let (product, counters) = product_for_issue(&tx, req.product_id, now)?;
        let tiers = load_tiers(&tx)?;
        let buyer = match find_customer(&tx, &RecipientRef::Email(email.clone()))? {
            Some(c) => c,
            None => {
                let c = CustomerInput::walk_up(
                    &email,
                    req.buyer_first_name.clone(),
                    req.buyer_last_name.clone(),
                    Uuid::now_v7(),
                )?;
                insert_customer(&tx, &c)?;
                let op = Op::Customer(CustomerOp {
                    customer: c.clone(),
                });
                outbox::append(&tx, device_id, staff_id, &op, now)?;
                c
            }
        };
        let buyer_holds = holds(&tx, buyer.id, product.id)?;
        let (quote, mut plan) = {
            let mut st = tx.prepare_cached(
                "SELECT COALESCE(SUM(quantity), 0) FROM sales WHERE buyer_id = ?1 AND product_id = ?2 \
                 AND created_at >= ?3 AND created_at < ?4",
            )?;
            let mut err = None;
            let r = plan_sale(
                &product,
                &counters,
                &buyer,
                buyer_holds,
                req.quantity,
                req.currency.as_deref(),
                &tiers,
                now,
                |rule| {
                    let from = rule.start_at.unwrap_or(i64::MIN);
                    let to = rule.end_at.unwrap_or(i64::MAX);
                    match st.query_row(params![buyer.id, product.id, from, to], |r| {
                        r.get::<_, i64>(0)
                    }) {
                        Ok(n) => n as u64,
                        Err(e) => {
                            err.get_or_insert(e);
                            0
                        }
                    }
                },
            );
            if let Some(e) = err {
                return Err(e.into());
            }
            r?
        };
        let money = |field: &'static str, v: &Option<String>| -> Result<Option<Decimal>> {
            v.as_deref()
                .map(|t| {
                    parse_price(t).map_err(|_| {
                        DeviceError::Rule(DomainError::field(
                            field,
                            format!("{t:?} is not an amount"),
                        ))
                    })
                })
                .transpose()
        };
        let (payment, payments) = plan_payment(
            quote.total,
            &quote.currency,
            payment,
            money("cash_amount", &req.cash_amount)?,
        )?;
        let parts = parts_of(payment, &payments, quote.total);
        // Cash goes into an open drawer: no session, no cash sale.
        domain::check_drawer(
            crate::till::open_session_of(&tx, device_id)?.as_ref(),
            &parts,
            &quote.currency,
        )?;
        let change = change_due(cash_in(&parts), money("tendered", &req.tendered)?)?;
        let allotted = crate::allotment::take(&tx, product.id, &mut plan, now)?;
        let items = materialize(&product, &plan, ItemOrigin::Sale, now, Uuid::now_v7);
        write_items(&tx, &product, &counters, &plan, &items, allotted)?;
        let seq: i64 = tx.query_row(
            "INSERT INTO meta (key, value) VALUES ('order_seq', '1') \
             ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)",
            [],
            |r| r.get(0),
        )?;
        // The tail of the device id is its random part (a v7 id starts with the time).
        let prefix: String = device_id.simple().to_string()[24..].to_uppercase();
        let sale = quote.into_sale(SaleParties {
            id: Uuid::now_v7(),
            order_number: format!("{prefix}-{seq:06}"),
            product_id: product.id,
            payment_method: payment,
            payments,
            buyer_id: buyer.id,
            device_id: Some(device_id),
            staff_id,
            at: now,
            item_ids: items.iter().map(|i| i.id).collect(),
        });
        tx.execute(
            "INSERT INTO sales (id, order_number, product_id, quantity, currency, unit_price, discount, total, \
             payment_method, buyer_id, device_id, staff_id, created_at, item_ids, payments) \
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
            params![
                sale.id,
                sale.order_number,
                sale.product_id,
                sale.quantity,
                sale.currency,
                sale.unit_price.to_string(),
                sale.discount.to_string(),
                sale.total.to_string(),
                sale.payment_method.as_str(),
                sale.buyer_id,
                sale.device_id,
                sale.staff_id,
                sale.created_at,
                serde_json::to_string(&sale.item_ids)?,
                crate::rows::json_parts(&sale.payments)?
            ],
        )?;
        let op = Op::Sale(SaleOp {
            sale: sale.clone(),
            new_customer: None,
            items: new_items(&items),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        if keep {
            tx.commit()?;
        }
        Ok(SaleReceipt {
            sale,
            quote,
            items,
            change,
        })
    }

    /// Claim one item of a claimable product with a claim code or URL, once.
    pub fn claim(&mut self, code_or_url: &str, claimant: &RecipientRef) -> Result<Item> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Claim)?;
        let code = parse_claim_code(code_or_url)?;
        let tx = self.conn.transaction()?;
        let claim = tx
            .query_row(
                "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1",
                [code],
                |r| {
                    Ok(ClaimCode {
                        code: r.get(0)?,
                        product_id: r.get(1)?,
                        claimed_by: r.get(2)?,
                        claimed_at: r.get(3)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| DeviceError::not_found("claim code", code))?;
        let (product, counters) = product_for_issue(&tx, claim.product_id, now)?;
        check_claim(&product, &claim)?;
        let who = resolve_recipients(std::slice::from_ref(claimant), |r| {
            find_customer(&tx, r).ok().flatten()
        })?;
        let holdings = HashMap::from([(who[0].id, holds(&tx, who[0].id, product.id)?)]);
        let mut plan = plan_issue(&product, &counters, &who, &holdings, now)?;
        let allotted = crate::allotment::take(&tx, product.id, &mut plan, now)?;
        let items = materialize(&product, &plan, ItemOrigin::Claim, now, Uuid::now_v7);
        write_items(&tx, &product, &counters, &plan, &items, allotted)?;
        tx.execute(
            "UPDATE claim_codes SET claimed_by = ?2, claimed_at = ?3 WHERE code = ?1",
            params![code, who[0].id, now],
        )?;
        let first = items
            .first()
            .ok_or_else(|| DeviceError::Corrupt("claim issued nothing".into()))?;
        let op = Op::Claim(ClaimOp {
            code,
            customer: who[0].id,
            item: first.id,
            item_id: first.item_id,
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        items
            .into_iter()
            .next()
            .ok_or_else(|| DeviceError::Corrupt("claim issued nothing".into()))
    }

    /// Redeem a reward offer for a customer: debits credits, takes supply, issues
    /// the granted items.
    pub fn redeem_reward(
        &mut self,
        offer_id: Uuid,
        who: &RecipientRef,
    ) -> Result<(Customer, Vec<Item>)> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::RewardRedeem)?;
        let tx = self.conn.transaction()?;
        let body: String = tx
            .query_row(
                "SELECT body FROM reward_offers WHERE id = ?1",
                [offer_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| DeviceError::not_found("reward offer", offer_id))?;
        let offer: RewardOffer = serde_json::from_str(&body)?;
        let customer =
            find_customer(&tx, who)?.ok_or_else(|| DeviceError::not_found("customer", who))?;
        let already: i64 = tx.query_row(
            "SELECT COUNT(*) FROM reward_redeems WHERE offer_id = ?1 AND customer_id = ?2",
            params![offer_id, customer.id],
            |r| r.get(0),
        )?;
        let tiers = load_tiers(&tx)?;
        let grant = offer
            .grants
            .as_ref()
            .ok_or(wicket_domain::DomainError::RewardGrantsNothing)?;
        let (granted, counters) = product_for_issue(&tx, grant.product_id, now)?;
        let holds_now = holds(&tx, customer.id, granted.id)?;
        let mut plan = plan_reward(
            &offer,
            &customer,
            already as u64,
            &tiers,
            &granted,
            &counters,
            holds_now,
            now,
        )?;
        let allotted = crate::allotment::take(&tx, granted.id, &mut plan.items, now)?;
        let items = materialize(&granted, &plan.items, ItemOrigin::Reward, now, Uuid::now_v7);
        write_items(&tx, &granted, &counters, &plan.items, &items, allotted)?;
        tx.execute(
            "UPDATE customers SET credits = ?2 WHERE id = ?1",
            params![customer.id, plan.customer.credits],
        )?;
        tx.execute(
            "UPDATE reward_offers SET body = ?2 WHERE id = ?1",
            params![offer_id, serde_json::to_string(&plan.offer)?],
        )?;
        let rid = Uuid::now_v7();
        tx.execute(
            "INSERT INTO reward_redeems (id, offer_id, customer_id, created_at) VALUES (?1,?2,?3,?4)",
            params![rid, offer_id, customer.id, now],
        )?;
        let op = Op::RewardRedeem(RewardRedeemOp {
            redeem_id: rid,
            offer_id,
            customer: customer.id,
            items: new_items(&items),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok((plan.customer, items))
    }
}
