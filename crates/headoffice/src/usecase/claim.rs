//! Claiming an item with a claim code: head office numbers it (API), or a device
//! numbered it offline from its allotment (pushed claim). One rule check for both.

use uuid::Uuid;
use wicket_domain::{self as domain, Item, ItemOrigin, Timestamp};

use crate::error::{Error, Result};
use crate::storage::{Tx, UserKey};
use crate::usecase::{customer, issue};

/// Who numbered the claimed item.
#[derive(Debug, Clone, Copy)]
pub enum Numbering {
    HeadOffice,
    /// A device's item id and number, from that device's allotment.
    Device {
        device: Uuid,
        item: Uuid,
        number: u64,
    },
}

pub fn claim(
    tx: &dyn Tx,
    code: Uuid,
    claimant: &UserKey,
    numbering: Numbering,
    at: Timestamp,
) -> Result<Item> {
    let cc = tx
        .claim_code(code)?
        .ok_or_else(|| Error::not_found(format!("claim code {code}")))?;
    let (product, counters) = issue::product(tx, cc.product_id)?;
    domain::check_claim(&product, &cc)?;
    let who = customer::recipient(tx, claimant)?;
    let code_s = code.to_string();
    let item = match numbering {
        Numbering::HeadOffice => {
            let (holdings, _) = issue::holdings_of(tx, product.id, std::slice::from_ref(&who))?;
            let plan = domain::plan_issue(
                &product,
                &counters,
                std::slice::from_ref(&who),
                &holdings,
                at,
            )?;
            issue::store_planned(
                tx,
                &product,
                &counters,
                &plan,
                ItemOrigin::Claim,
                Some(&code_s),
                at,
            )?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Storage("claim planned no item".into()))?
        }
        Numbering::Device {
            device,
            item,
            number,
        } => {
            issue::device_items(
                tx,
                device,
                product.id,
                &[(item, number, who.id)],
                ItemOrigin::Claim,
                Some(&code_s),
                at,
            )?;
            tx.item(item)?
                .ok_or_else(|| Error::Storage("claimed item not stored".into()))?
        }
    };
    tx.mark_claimed(code, who.id, at, item.id)?;
    Ok(item)
}
