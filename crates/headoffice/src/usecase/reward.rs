//! Redeeming a reward offer (PERS) for a customer: credits debited, supply taken,
//! the granted items issued. The API route and a device's pushed redemption share
//! the checks and the bookkeeping; only who numbers the items differs.

use uuid::Uuid;
use wicket_domain::{
    self as domain, BalanceKind, Customer, Item, ItemOrigin, RewardOffer, Timestamp,
};
use wicket_protocol::NewItem;

use crate::error::{Error, Result};
use crate::storage::{LedgerPost, RewardRedeemRow, Tx, UserKey};
use crate::usecase::{customer, issue};

/// Who numbers the granted items.
#[derive(Debug, Clone)]
pub enum RewardNumbering {
    HeadOffice,
    /// A device's redemption id and items, numbered from its allotment.
    Device {
        device: Uuid,
        redeem_id: Uuid,
        items: Vec<NewItem>,
    },
}

#[derive(Debug, Clone)]
pub struct RewardRedeemed {
    pub row: RewardRedeemRow,
    pub offer: RewardOffer,
    pub customer: Customer,
    pub items: Vec<Item>,
}

pub fn redeem_reward(
    tx: &dyn Tx,
    offer_id: Uuid,
    who: &UserKey,
    country: Option<&str>,
    numbering: RewardNumbering,
    at: Timestamp,
) -> Result<RewardRedeemed> {
    let offer = tx
        .reward(offer_id)?
        .ok_or_else(|| Error::not_found(format!("reward {offer_id}")))?;
    let before = customer::recipient(tx, who)?;
    let mut c = before.clone();
    if let Some(cc) = country {
        c.country = Some(domain::validate_country(cc)?);
    }
    let already = tx.redeems_by(offer_id, c.id)?;
    let tiers = tx.tiers()?;
    let grants = offer
        .grants
        .clone()
        .ok_or(domain::DomainError::RewardGrantsNothing)?;
    let (redeem_id, items, after, offer_after) = match numbering {
        RewardNumbering::HeadOffice => {
            let (product, counters) = issue::product(tx, grants.product_id)?;
            let holds = tx.holding(product.id, c.id)?;
            let plan =
                domain::plan_reward(&offer, &c, already, &tiers, &product, &counters, holds, at)?;
            let rid = Uuid::now_v7();
            let items = issue::store_planned(
                tx,
                &product,
                &counters,
                &plan.items,
                ItemOrigin::Reward,
                Some(&rid.to_string()),
                at,
            )?;
            (rid, items, plan.customer, plan.offer)
        }
        RewardNumbering::Device {
            device,
            redeem_id,
            items,
        } => {
            domain::check_reward(&offer, &c, already, &tiers)?;
            if items.len() as u64 != u64::from(grants.quantity.max(1)) {
                return Err(Error::InvalidRequest(format!(
                    "reward grants {} items, the op carries {}",
                    grants.quantity,
                    items.len()
                )));
            }
            let numbered: Vec<_> = items.iter().map(|i| (i.id, i.item_id, c.id)).collect();
            issue::device_items(
                tx,
                device,
                grants.product_id,
                &numbered,
                ItemOrigin::Reward,
                Some(&redeem_id.to_string()),
                at,
            )?;
            let mut stored = Vec::new();
            for i in &items {
                stored.extend(tx.item(i.id)?);
            }
            let mut after = c.clone();
            after.credits -= offer.credit_cost;
            let mut o = offer.clone();
            o.redeemed_count += 1;
            (redeem_id, stored, after, o)
        }
    };
    if offer.credit_cost != 0 {
        tx.post_ledger(&LedgerPost {
            before: &before,
            after: &after,
            kind: BalanceKind::Credits,
            reason: &format!("reward redeem: {}", offer.name),
            ref_id: Some(&redeem_id.to_string()),
            at,
        })?;
    }
    tx.save_reward(&offer_after)?;
    let row = RewardRedeemRow {
        id: redeem_id,
        offer_id,
        customer: c.id,
        country: c.country.clone(),
        credits_spent: offer.credit_cost,
        at,
    };
    tx.insert_reward_redeem(&row)?;
    Ok(RewardRedeemed {
        row,
        offer: offer_after,
        customer: after,
        items,
    })
}
