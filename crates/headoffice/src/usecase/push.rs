//! Applying one pushed device operation: the staff member it names is held to their
//! role, then the op goes to the same use case as the API route of that act.

use uuid::Uuid;
use wicket_domain::{DomainError, ItemOrigin, Timestamp};
use wicket_protocol::{
    ClaimOp, CustomerOp, IssueOp, Op, RedeemOp, RevokeOp, RewardRedeemOp, TransferOp,
};

use crate::error::{Error, Result};
use crate::storage::{Scan, Tx, UserKey};
use crate::usecase::claim::{Numbering, claim};
use crate::usecase::reward::{RewardNumbering, redeem_reward};
use crate::usecase::scan::{Outcome, record_scan};
use crate::usecase::transfer::{TransferInput, transfer};
use crate::usecase::{customer, issue, sale};

/// Who pushed an op and when.
#[derive(Debug, Clone, Copy)]
pub struct OpContext {
    pub device: Uuid,
    pub op_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub device_time: Timestamp,
}

/// The staff member an op names must exist, be active, and hold a role that may do
/// the act (`Role::may`), as an API request from them would have to.
pub fn authorize(tx: &dyn Tx, staff: Option<Uuid>, op: &Op) -> Result<()> {
    // An op without a staff member is the device's own act (a scripted stand-alone
    // device); one that names a staff member is held to that member's role.
    let Some(staff) = staff else {
        return Ok(());
    };
    let action = op.action();
    match tx.staff_role(staff)? {
        Some((role, true)) => Ok(role.require(action)?),
        Some((_, false)) => Err(DomainError::Forbidden {
            role: "deactivated",
            action: action.as_str(),
        }
        .into()),
        None => Err(DomainError::Forbidden {
            role: "unknown",
            action: action.as_str(),
        }
        .into()),
    }
}

/// Apply one decoded op.
pub fn apply_op(tx: &dyn Tx, cx: &OpContext, op: &Op) -> Result<Outcome> {
    let at = cx.device_time;
    match op {
        Op::Redeem(RedeemOp {
            item,
            product_id,
            redeemed_at,
            gate,
            redemption_id,
            ..
        }) => record_scan(
            tx,
            &Scan {
                id: redemption_id.unwrap_or(cx.op_id),
                op_id: cx.op_id,
                item: *item,
                product_id: *product_id,
                device: cx.device,
                staff_id: cx.staff_id,
                gate: gate.clone(),
                at: redeemed_at.unwrap_or(at),
            },
            false,
        ),
        Op::Issue(IssueOp { product_id, items }) => {
            let items = items
                .iter()
                .map(|i| {
                    i.owner_id
                        .map(|o| (i.id, i.item_id, o))
                        .ok_or_else(|| Error::InvalidRequest("issue item without owner".into()))
                })
                .collect::<Result<Vec<_>>>()?;
            issue::device_items(
                tx,
                cx.device,
                *product_id,
                &items,
                ItemOrigin::Issue,
                None,
                at,
            )?;
            Ok(Outcome::Applied)
        }
        Op::Customer(CustomerOp { customer: c }) => {
            customer::create_walk_up(tx, c)?;
            Ok(Outcome::Applied)
        }
        Op::Sale(p) => {
            sale::device_sale(tx, cx.device, p)?;
            Ok(Outcome::Applied)
        }
        Op::Transfer(TransferOp {
            item,
            from,
            to,
            transferred_at,
        }) => {
            transfer(
                tx,
                &TransferInput {
                    id: cx.op_id,
                    product: None,
                    item: *item,
                    from: UserKey::Id(*from),
                    to: UserKey::Id(*to),
                    at: transferred_at.unwrap_or(at),
                },
            )?;
            Ok(Outcome::Applied)
        }
        Op::Revoke(RevokeOp { item, reason }) => {
            if tx.item(*item)?.is_none() {
                return Err(Error::not_found(format!("item {item}")));
            }
            tx.revoke(*item, at, reason.as_deref())?;
            Ok(Outcome::Applied)
        }
        Op::Claim(ClaimOp {
            code,
            customer: who,
            item,
            item_id,
        }) => {
            claim(
                tx,
                *code,
                &UserKey::Id(*who),
                Numbering::Device {
                    device: cx.device,
                    item: *item,
                    number: *item_id,
                },
                at,
            )?;
            Ok(Outcome::Applied)
        }
        Op::RewardRedeem(RewardRedeemOp {
            redeem_id,
            offer_id,
            customer: who,
            items,
        }) => {
            redeem_reward(
                tx,
                *offer_id,
                &UserKey::Id(*who),
                None,
                RewardNumbering::Device {
                    device: cx.device,
                    redeem_id: *redeem_id,
                    items: items.clone(),
                },
                at,
            )?;
            Ok(Outcome::Applied)
        }
    }
}
