//! Operations: one variant per act a device records offline, each with a typed
//! payload. On the wire an op is an envelope (`WireOp`) whose `kind` names the
//! variant and whose `payload` stays unparsed until the receiver decodes it, so one
//! op a receiver cannot read is refused alone instead of failing its whole batch.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;
use wicket_domain::{Action, CashSession, Customer, Direction, Refund, Sale, Timestamp};

use crate::ProtocolError;

/// An item a device created, with its own id and item number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewItem {
    pub id: Uuid,
    pub item_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
}

/// A scan at the door that redeemed an item (a fact: it happened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemOp {
    pub item: Uuid,
    #[serde(default)]
    pub product_id: Option<Uuid>,
    /// The ticket's item number, when the door judged it on its signature alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<u64>,
    #[serde(default)]
    pub redeemed_at: Option<Timestamp>,
    #[serde(default)]
    pub gate: Option<String>,
    #[serde(default)]
    pub redemption_id: Option<Uuid>,
    /// The item was not in the door's replica (admitted on its signature).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_in_replica: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueOp {
    pub product_id: Uuid,
    pub items: Vec<NewItem>,
}

/// A customer created on the device (a walk-up buyer). Travels on its own, before
/// the sale that needs it, so a rejected sale cannot lose her.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOp {
    pub customer: Customer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleOp {
    pub sale: Sale,
    /// Older devices sent the walk-up buyer inside her first sale; still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_customer: Option<Customer>,
    pub items: Vec<NewItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOp {
    pub item: Uuid,
    pub from: Uuid,
    pub to: Uuid,
    #[serde(default)]
    pub transferred_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeOp {
    pub item: Uuid,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimOp {
    pub code: Uuid,
    pub customer: Uuid,
    pub item: Uuid,
    pub item_id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardRedeemOp {
    pub redeem_id: Uuid,
    pub offer_id: Uuid,
    pub customer: Uuid,
    pub items: Vec<NewItem>,
}

/// A manager's or admin's act (or a door act done by hand) for head office's audit
/// log: `action` is one of `wicket_domain::AUDIT_ACTIONS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditOp {
    pub action: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

/// A ticket going through a gate that did not use an entry: an exit, or a
/// re-entry after one (a fact, merged by time with every door's others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageOp {
    pub id: Uuid,
    pub item: Uuid,
    pub direction: Direction,
    #[serde(default)]
    pub gate: Option<String>,
    pub at: Timestamp,
}

/// A scan the door refused, for every door's live numbers (a fact; changes no
/// ticket). `code` is the verdict code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalOp {
    pub id: Uuid,
    pub code: String,
    #[serde(default)]
    pub item: Option<Uuid>,
    #[serde(default)]
    pub product_id: Option<Uuid>,
    #[serde(default)]
    pub gate: Option<String>,
    pub at: Timestamp,
}

/// Money given back for items of an order; the items are revoked with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundOp {
    pub refund: Refund,
}

/// A cash drawer session as it stands: sent when it opens and again when it closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSessionOp {
    pub session: CashSession,
}

/// Every act a device records offline. Adding an act is adding a variant: the
/// compiler then lists every place that must handle it.
// Built and applied one at a time: boxing the sale would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Redeem(RedeemOp),
    Issue(IssueOp),
    Customer(CustomerOp),
    Sale(SaleOp),
    Transfer(TransferOp),
    Revoke(RevokeOp),
    Claim(ClaimOp),
    RewardRedeem(RewardRedeemOp),
    Audit(AuditOp),
    Passage(PassageOp),
    Refund(RefundOp),
    CashSession(CashSessionOp),
    Refusal(RefusalOp),
}

/// An entity an operation names. When head office refuses or repeats an op, devices
/// re-pull these (undoing what the device did locally); while an op waits in the
/// outbox, the device keeps its local state of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Touch {
    Item(Uuid),
    Customer(Uuid),
    Product(Uuid),
    Sale(Uuid),
    ClaimCode(Uuid),
    RewardOffer(Uuid),
    Refund(Uuid),
}

impl Touch {
    /// The pulled entity kind and key of this reference.
    pub fn entity(self) -> (&'static str, Uuid) {
        match self {
            Touch::Item(u) => ("item", u),
            Touch::Customer(u) => ("customer", u),
            Touch::Product(u) => ("product", u),
            Touch::Sale(u) => ("sale", u),
            Touch::ClaimCode(u) => ("claim_code", u),
            Touch::RewardOffer(u) => ("reward_offer", u),
            Touch::Refund(u) => ("refund", u),
        }
    }
}

fn decode_as<T: serde::de::DeserializeOwned>(
    kind: &str,
    payload: &str,
) -> Result<T, ProtocolError> {
    serde_json::from_str(payload).map_err(|e| ProtocolError::BadPayload {
        kind: kind.to_string(),
        reason: e.to_string(),
    })
}

fn encode<T: Serialize>(v: &T) -> String {
    // Serializing these plain structs cannot fail (string keys, no maps of
    // non-string keys); an empty object is a safe fallback that decodes as an error.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_string())
}

impl Op {
    /// The wire name of this act.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Redeem(_) => "redeem",
            Op::Issue(_) => "issue",
            Op::Customer(_) => "customer",
            Op::Sale(_) => "sale",
            Op::Transfer(_) => "transfer",
            Op::Revoke(_) => "revoke",
            Op::Claim(_) => "claim",
            Op::RewardRedeem(_) => "reward_redeem",
            Op::Audit(_) => "audit",
            Op::Passage(_) => "passage",
            Op::Refund(_) => "refund",
            Op::CashSession(_) => "cash_session",
            Op::Refusal(_) => "refusal",
        }
    }

    /// What the staff member who recorded it must be allowed to do.
    pub fn action(&self) -> Action {
        match self {
            Op::Redeem(_) => Action::Redeem,
            Op::Issue(_) => Action::Issue,
            Op::Customer(_) => Action::CreateCustomer,
            Op::Sale(_) => Action::Sell,
            Op::Transfer(_) => Action::Transfer,
            Op::Revoke(_) => Action::Revoke,
            Op::Claim(_) => Action::Claim,
            Op::RewardRedeem(_) => Action::RewardRedeem,
            // Recording what one did is open to every role; what may be recorded
            // is checked by `wicket_domain::validate_audit`.
            Op::Audit(_) => Action::Redeem,
            Op::Passage(_) => Action::Redeem,
            Op::Refund(_) => Action::Refund,
            Op::CashSession(_) => Action::Sell,
            Op::Refusal(_) => Action::Redeem,
        }
    }

    /// The payload as JSON text (what the outbox stores and the wire carries).
    pub fn payload_json(&self) -> String {
        match self {
            Op::Redeem(p) => encode(p),
            Op::Issue(p) => encode(p),
            Op::Customer(p) => encode(p),
            Op::Sale(p) => encode(p),
            Op::Transfer(p) => encode(p),
            Op::Revoke(p) => encode(p),
            Op::Claim(p) => encode(p),
            Op::RewardRedeem(p) => encode(p),
            Op::Audit(p) => encode(p),
            Op::Passage(p) => encode(p),
            Op::Refund(p) => encode(p),
            Op::CashSession(p) => encode(p),
            Op::Refusal(p) => encode(p),
        }
    }

    /// Read an op from its kind and payload text.
    pub fn decode(kind: &str, payload: &str) -> Result<Op, ProtocolError> {
        Ok(match kind {
            "redeem" => Op::Redeem(decode_as(kind, payload)?),
            "issue" => Op::Issue(decode_as(kind, payload)?),
            "customer" => Op::Customer(decode_as(kind, payload)?),
            "sale" => Op::Sale(decode_as(kind, payload)?),
            "transfer" => Op::Transfer(decode_as(kind, payload)?),
            "revoke" => Op::Revoke(decode_as(kind, payload)?),
            "claim" => Op::Claim(decode_as(kind, payload)?),
            "reward_redeem" => Op::RewardRedeem(decode_as(kind, payload)?),
            "audit" => Op::Audit(decode_as(kind, payload)?),
            "passage" => Op::Passage(decode_as(kind, payload)?),
            "refund" => Op::Refund(decode_as(kind, payload)?),
            "cash_session" => Op::CashSession(decode_as(kind, payload)?),
            "refusal" => Op::Refusal(decode_as(kind, payload)?),
            other => return Err(ProtocolError::UnknownOp(other.to_string())),
        })
    }

    /// Every entity this op names.
    pub fn touches(&self) -> Vec<Touch> {
        let items = |v: &[NewItem]| v.iter().map(|i| Touch::Item(i.id)).collect::<Vec<_>>();
        match self {
            Op::Redeem(p) => {
                let mut t = vec![Touch::Item(p.item)];
                t.extend(p.product_id.map(Touch::Product));
                t
            }
            Op::Issue(p) => {
                let mut t = items(&p.items);
                t.push(Touch::Product(p.product_id));
                t.extend(
                    p.items
                        .iter()
                        .filter_map(|i| i.owner_id.map(Touch::Customer)),
                );
                t
            }
            Op::Customer(p) => vec![Touch::Customer(p.customer.id)],
            Op::Sale(p) => {
                let mut t = items(&p.items);
                t.push(Touch::Product(p.sale.product_id));
                t.push(Touch::Customer(p.sale.buyer_id));
                t.push(Touch::Sale(p.sale.id));
                t.extend(p.new_customer.as_ref().map(|c| Touch::Customer(c.id)));
                t
            }
            Op::Transfer(p) => vec![
                Touch::Item(p.item),
                Touch::Customer(p.from),
                Touch::Customer(p.to),
            ],
            Op::Revoke(p) => vec![Touch::Item(p.item)],
            Op::Claim(p) => vec![
                Touch::Item(p.item),
                Touch::Customer(p.customer),
                Touch::ClaimCode(p.code),
            ],
            Op::RewardRedeem(p) => {
                let mut t = items(&p.items);
                t.push(Touch::Customer(p.customer));
                t.push(Touch::RewardOffer(p.offer_id));
                t
            }
            Op::Refund(p) => {
                let mut t: Vec<Touch> = p.refund.item_ids.iter().map(|i| Touch::Item(*i)).collect();
                t.push(Touch::Product(p.refund.product_id));
                t.push(Touch::Sale(p.refund.sale_id));
                t.push(Touch::Refund(p.refund.id));
                t
            }
            Op::Audit(_) | Op::Passage(_) | Op::CashSession(_) | Op::Refusal(_) => Vec::new(),
        }
    }
}

/// One outbox operation on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireOp {
    /// The device's outbox sequence (ops of one device apply in this order).
    pub seq: i64,
    pub op_id: Uuid,
    pub device_id: Uuid,
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    pub device_time: Timestamp,
    pub kind: String,
    /// The act's own fields (see `Op`), kept as the device sent them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: Box<RawValue>,
}

impl WireOp {
    /// An envelope for `op`.
    pub fn new(
        seq: i64,
        op_id: Uuid,
        device_id: Uuid,
        staff_id: Option<Uuid>,
        device_time: Timestamp,
        op: &Op,
    ) -> Result<WireOp, ProtocolError> {
        Self::from_parts(
            seq,
            op_id,
            device_id,
            staff_id,
            device_time,
            op.kind(),
            op.payload_json(),
        )
    }

    /// An envelope from a stored kind and payload text (the outbox row).
    pub fn from_parts(
        seq: i64,
        op_id: Uuid,
        device_id: Uuid,
        staff_id: Option<Uuid>,
        device_time: Timestamp,
        kind: &str,
        payload: String,
    ) -> Result<WireOp, ProtocolError> {
        let payload = RawValue::from_string(payload).map_err(|e| ProtocolError::BadPayload {
            kind: kind.to_string(),
            reason: e.to_string(),
        })?;
        Ok(WireOp {
            seq,
            op_id,
            device_id,
            staff_id,
            device_time,
            kind: kind.to_string(),
            payload,
        })
    }

    /// The typed op this envelope carries.
    pub fn decode(&self) -> Result<Op, ProtocolError> {
        Op::decode(&self.kind, self.payload.get())
    }
}
