//! Applying a device's pushed batch: exactly once per op id, in order, each op all or
//! nothing. The staff member an op names is held to their role, then the op goes to
//! the same use case as the API route of that act.

use uuid::Uuid;
use wicket_domain::{DomainError, ItemOrigin, Timestamp};
use wicket_protocol::{
    AuditOp, ClaimOp, CustomerOp, IssueOp, Op, OpResult, OpStatus, RedeemOp, RevokeOp,
    RewardRedeemOp, TransferOp, WireOp,
};

use crate::error::{Error, Result};
use crate::storage::{AuditEntry, OpRecord, Scan, Tx, UserKey};
use crate::usecase::claim::{Numbering, claim};
use crate::usecase::reward::{RewardNumbering, redeem_reward};
use crate::usecase::scan::{Outcome, record_scan};
use crate::usecase::transfer::{TransferInput, transfer};
use crate::usecase::{customer, issue, refund, sale};

/// Who pushed an op and when.
#[derive(Debug, Clone, Copy)]
pub struct OpContext {
    pub device: Uuid,
    pub op_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub device_time: Timestamp,
    /// When head office received the batch.
    pub received_at: Timestamp,
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
            audit(tx, cx, "revoke", Some(item.to_string()), reason.clone())?;
            Ok(Outcome::Applied)
        }
        Op::Audit(AuditOp {
            action,
            subject,
            detail,
        }) => {
            wicket_domain::validate_audit(action, subject.as_deref(), detail.as_deref())?;
            audit(tx, cx, action, subject.clone(), detail.clone())?;
            Ok(Outcome::Applied)
        }
        Op::Passage(p) => {
            crate::usecase::scan::record_passage(tx, cx.device, cx.staff_id, p)?;
            Ok(Outcome::Applied)
        }
        Op::Refund(p) => {
            refund::device_refund(tx, cx.device, cx.staff_id, &p.refund)?;
            Ok(Outcome::Applied)
        }
        Op::Refusal(r) => {
            crate::usecase::scan::record_refusal(tx, cx.device, cx.staff_id, r)?;
            Ok(Outcome::Applied)
        }
        Op::CashSession(p) => {
            refund::device_session(tx, cx.device, &p.session)?;
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

/// Keep a device's act in the audit log, under the op's id (a repeat is one entry).
fn audit(
    tx: &dyn Tx,
    cx: &OpContext,
    action: &str,
    subject: Option<String>,
    detail: Option<String>,
) -> Result<()> {
    tx.insert_audit(&AuditEntry {
        id: cx.op_id,
        device_id: Some(cx.device),
        staff_id: cx.staff_id,
        action: action.to_string(),
        subject,
        detail,
        at: cx.device_time,
        received_at: cx.received_at,
    })
}

/// Make devices re-pull the truth about everything `op` names (undoing whatever a
/// device did locally when head office refused or repeated it).
fn touch_refs(tx: &dyn Tx, op: &Op) -> Result<()> {
    for t in op.touches() {
        let (e, k) = t.entity();
        tx.touch(e, &k.to_string())?;
    }
    Ok(())
}

fn answer(
    op_id: Uuid,
    status: OpStatus,
    code: Option<String>,
    message: Option<String>,
) -> OpResult {
    OpResult {
        op_id,
        status,
        code,
        message,
    }
}

/// The time an op states for its act, when it states one apart from device time.
fn op_time(op: &Op) -> Option<Timestamp> {
    match op {
        Op::Redeem(r) => r.redeemed_at,
        Op::Transfer(t) => t.transferred_at,
        Op::Sale(s) => Some(s.sale.created_at),
        Op::Passage(p) => Some(p.at),
        _ => None,
    }
}

/// Apply a device's batch. A refused op is answered `rejected` with its code and
/// changes nothing; only a storage failure fails the batch (the device retries it).
pub fn push_batch(
    tx: &dyn Tx,
    device: Uuid,
    ops: &[WireOp],
    at: Timestamp,
) -> Result<Vec<OpResult>> {
    crate::usecase::allotment::sweep_expired(tx, at)?;
    let mut out = Vec::with_capacity(ops.len());
    let ids: Vec<Uuid> = ops.iter().map(|w| w.op_id).collect();
    // Answers to ops received before (the same op twice in one batch is caught
    // by adding each answer here as it is made).
    let mut known = tx.op_statuses(&ids)?;
    let mut counts: std::collections::BTreeMap<&'static str, u64> = Default::default();
    let mut recorded: Vec<(&WireOp, usize)> = Vec::new();
    for w in ops {
        let decoded = w.decode();
        if let Some((status, code)) = known.get(&w.op_id).cloned() {
            if let Ok(op) = &decoded {
                touch_refs(tx, op)?;
            }
            *counts.entry(OpStatus::Duplicate.as_str()).or_default() += 1;
            out.push(answer(
                w.op_id,
                OpStatus::Duplicate,
                code,
                Some(format!("already received ({status})")),
            ));
            continue;
        }
        if w.device_id != device {
            out.push(answer(
                w.op_id,
                OpStatus::Rejected,
                Some("wrong_device".into()),
                Some("operation belongs to another device".into()),
            ));
            continue;
        }
        let applied = match &decoded {
            Err(e) => Err(Error::InvalidRequest(format!("{}: {e}", e.code()))),
            Ok(op) => std::iter::once(w.device_time)
                .chain(op_time(op))
                .try_for_each(|t| wicket_domain::check_device_time(t, at))
                .map_err(Error::from)
                .and_then(|()| {
                    let cx = OpContext {
                        device,
                        op_id: w.op_id,
                        staff_id: w.staff_id,
                        device_time: w.device_time,
                        received_at: at,
                    };
                    let mut outcome = None;
                    tx.atomically(&mut |t| {
                        authorize(t, w.staff_id, op)?;
                        outcome = Some(apply_op(t, &cx, op)?);
                        Ok(())
                    })
                    .map(|()| outcome.unwrap_or(Outcome::Applied))
                }),
        };
        let (status, code, message) = match applied {
            Ok(Outcome::Applied) => (OpStatus::Applied, None, None),
            Ok(Outcome::Conflict { code, message }) => {
                (OpStatus::Conflict, Some(code), Some(message))
            }
            // A storage failure is not the op's fault: fail the batch, the device retries.
            Err(Error::Storage(e)) => return Err(Error::Storage(e)),
            // The database lost a race (another head office process): the whole
            // batch is tried again, so nothing is recorded for this op now.
            Err(Error::Busy(e)) => return Err(Error::Busy(e)),
            Err(e) => {
                if let Ok(op) = &decoded {
                    touch_refs(tx, op)?;
                }
                tracing::warn!(op = %w.op_id, kind = %w.kind, code = e.code(), "pushed op rejected");
                (
                    OpStatus::Rejected,
                    Some(e.code().to_string()),
                    Some(e.to_string()),
                )
            }
        };
        *counts.entry(status.as_str()).or_default() += 1;
        known.insert(w.op_id, (status.as_str().to_string(), code.clone()));
        recorded.push((w, out.len()));
        out.push(answer(w.op_id, status, code, message));
    }
    // The op log is written once for the batch, in the same transaction.
    let records: Vec<OpRecord<'_>> = recorded
        .iter()
        .filter_map(|(w, i)| {
            let a = out.get(*i)?;
            Some(OpRecord {
                op_id: w.op_id,
                device,
                seq: w.seq,
                staff_id: w.staff_id,
                device_time: w.device_time,
                kind: &w.kind,
                status: a.status.as_str(),
                code: a.code.as_deref(),
                message: a.message.as_deref(),
                received_at: at,
            })
        })
        .collect();
    tx.record_ops(&records)?;
    for (status, n) in counts {
        tx.count_op(device, status, n, at)?;
    }
    Ok(out)
}
