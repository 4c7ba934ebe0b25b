//! Pulled changes: the current state of one entity (or its removal) at a position of
//! head office's change sequence. The body stays unparsed (`RawValue`) until
//! [`Change::decode`] reads it as the typed record its `entity` names.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;
use wicket_domain::{
    ClaimCode, Customer, Event, Item, ItemOrigin, Product, Refund, RewardOffer, Role, Sale,
    StatusTier, Timestamp,
};

use crate::ProtocolError;

/// NFT state of an item as head office knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NftRecord {
    /// none | pending | minted | failed
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_tx_hash: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An item as pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: Uuid,
    pub product_id: Uuid,
    pub item_id: u64,
    pub owner_id: Uuid,
    pub redemption_count: u32,
    pub redemption_quantity: u32,
    pub redeemed_at: Option<Timestamp>,
    pub origin: ItemOrigin,
    pub revoked: bool,
    pub created_at: Timestamp,
    /// Left out for items that never mint (most of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nft: Option<NftRecord>,
}

impl ItemRecord {
    pub fn item(&self) -> Item {
        Item {
            id: self.id,
            product_id: self.product_id,
            item_id: self.item_id,
            owner_id: self.owner_id,
            redemption_count: self.redemption_count,
            redemption_quantity: self.redemption_quantity,
            redeemed_at: self.redeemed_at,
            origin: self.origin,
            revoked: self.revoked,
            created_at: self.created_at,
        }
    }
}

/// A product with its head office counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRecord {
    pub product: Product,
    pub issued: u64,
    pub next_item_id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRecord {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// Argon2id PHC string; devices verify PINs offline.
    pub pin_hash: String,
    pub active: bool,
}

/// A public key whose tickets doors accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKeyRecord {
    /// Hex Ed25519 public key.
    pub public_key: String,
    /// `headoffice` or `device:<uuid>`.
    pub owner: String,
    /// A revoked device key: tickets of items head office knows stay valid, the
    /// rest are refused (`revoked_issuer`).
    pub revoked_at: Option<Timestamp>,
    /// A retired head office key (a rotation's overlap): trusted until then only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_until: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationRecord {
    pub item: Uuid,
    pub revoked_at: Timestamp,
    pub reason: Option<String>,
}

/// A fact that broke a rule when it reached head office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRecord {
    pub id: Uuid,
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub kind: String,
    pub item: Option<Uuid>,
    pub code: String,
    pub detail: String,
    pub at: Timestamp,
}

/// A scan any device made, as head office recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionRecord {
    pub id: Uuid,
    pub item: Uuid,
    pub device_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub gate: Option<String>,
    pub redeemed_at: Timestamp,
    pub conflict: bool,
}

/// A ticket's exit or re-entry at some door, as head office recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageRecord {
    pub id: Uuid,
    pub item: Uuid,
    pub direction: wicket_domain::Direction,
    pub gate: Option<String>,
    pub at: Timestamp,
    pub device_id: Uuid,
}

/// A scan some door refused, as head office recorded it (for live numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalRecord {
    pub id: Uuid,
    pub code: String,
    pub item: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub gate: Option<String>,
    pub at: Timestamp,
    pub device_id: Uuid,
}

/// The typed body of a change.
#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    Item(ItemRecord),
    Customer(Customer),
    Product(Box<ProductRecord>),
    Event(Event),
    Tier(StatusTier),
    RewardOffer(RewardOffer),
    ClaimCode(ClaimCode),
    Staff(StaffRecord),
    TrustedKey(TrustedKeyRecord),
    Revocation(RevocationRecord),
    Conflict(ConflictRecord),
    Redemption(RedemptionRecord),
    Passage(PassageRecord),
    Zone(wicket_domain::Zone),
    Sale(Sale),
    Refund(Refund),
    Refusal(RefusalRecord),
}

impl Entity {
    /// The wire name of this entity kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Entity::Item(_) => "item",
            Entity::Customer(_) => "customer",
            Entity::Product(_) => "product",
            Entity::Event(_) => "event",
            Entity::Tier(_) => "tier",
            Entity::RewardOffer(_) => "reward_offer",
            Entity::ClaimCode(_) => "claim_code",
            Entity::Staff(_) => "staff",
            Entity::TrustedKey(_) => "trusted_key",
            Entity::Revocation(_) => "revocation",
            Entity::Conflict(_) => "conflict",
            Entity::Redemption(_) => "redemption",
            Entity::Passage(_) => "passage",
            Entity::Zone(_) => "zone",
            Entity::Sale(_) => "sale",
            Entity::Refund(_) => "refund",
            Entity::Refusal(_) => "refusal",
        }
    }

    fn to_raw(&self) -> serde_json::Result<Box<RawValue>> {
        use serde_json::value::to_raw_value as raw;
        match self {
            Entity::Item(v) => raw(v),
            Entity::Customer(v) => raw(v),
            Entity::Product(v) => raw(v),
            Entity::Event(v) => raw(v),
            Entity::Tier(v) => raw(v),
            Entity::RewardOffer(v) => raw(v),
            Entity::ClaimCode(v) => raw(v),
            Entity::Staff(v) => raw(v),
            Entity::TrustedKey(v) => raw(v),
            Entity::Revocation(v) => raw(v),
            Entity::Conflict(v) => raw(v),
            Entity::Redemption(v) => raw(v),
            Entity::Passage(v) => raw(v),
            Entity::Zone(v) => raw(v),
            Entity::Sale(v) => raw(v),
            Entity::Refund(v) => raw(v),
            Entity::Refusal(v) => raw(v),
        }
    }
}

/// One change on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub key: String,
    /// The entity's current state; `null` when it is gone.
    pub data: Option<Box<RawValue>>,
}

/// What a change says, once decoded.
// Decoded one at a time and consumed at once: boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeBody {
    /// The entity's current state.
    Upsert(Entity),
    /// The entity named by `entity`/`key` is gone.
    Gone,
    /// An entity kind this side does not know (from a newer head office): skipped.
    Unknown,
}

/// Entity kinds this version knows.
pub const ENTITY_KINDS: &[&str] = &[
    "item",
    "customer",
    "product",
    "event",
    "tier",
    "reward_offer",
    "claim_code",
    "staff",
    "trusted_key",
    "revocation",
    "conflict",
    "redemption",
    "passage",
    "zone",
    "sale",
    "refund",
    "refusal",
];

impl Change {
    /// A change carrying `entity`'s current state.
    pub fn upsert(seq: i64, key: String, entity: &Entity) -> Result<Change, ProtocolError> {
        let data = entity.to_raw().map_err(|e| ProtocolError::BadEntity {
            entity: entity.kind().to_string(),
            key: key.clone(),
            reason: e.to_string(),
        })?;
        Ok(Change {
            seq,
            entity: entity.kind().to_string(),
            key,
            data: Some(data),
        })
    }

    /// A change saying the entity is gone.
    pub fn gone(seq: i64, entity: &str, key: String) -> Change {
        Change {
            seq,
            entity: entity.to_string(),
            key,
            data: None,
        }
    }

    /// The key as a uuid (every kind but `tier` and the head office trusted key).
    pub fn uuid_key(&self) -> Result<Uuid, ProtocolError> {
        Uuid::parse_str(&self.key).map_err(|e| self.bad(e))
    }

    fn bad(&self, e: impl std::fmt::Display) -> ProtocolError {
        ProtocolError::BadEntity {
            entity: self.entity.clone(),
            key: self.key.clone(),
            reason: e.to_string(),
        }
    }

    /// Read the body as the record its kind names.
    pub fn decode(&self) -> Result<ChangeBody, ProtocolError> {
        if !ENTITY_KINDS.contains(&self.entity.as_str()) {
            return Ok(ChangeBody::Unknown);
        }
        let Some(raw) = &self.data else {
            return Ok(ChangeBody::Gone);
        };
        let s = raw.get();
        fn rd<T: serde::de::DeserializeOwned>(c: &Change, s: &str) -> Result<T, ProtocolError> {
            serde_json::from_str(s).map_err(|e| c.bad(e))
        }
        let e = match self.entity.as_str() {
            "item" => Entity::Item(rd(self, s)?),
            "customer" => Entity::Customer(rd(self, s)?),
            "product" => Entity::Product(Box::new(rd(self, s)?)),
            "event" => Entity::Event(rd(self, s)?),
            "tier" => Entity::Tier(rd(self, s)?),
            "reward_offer" => Entity::RewardOffer(rd(self, s)?),
            "claim_code" => Entity::ClaimCode(rd(self, s)?),
            "staff" => Entity::Staff(rd(self, s)?),
            "trusted_key" => Entity::TrustedKey(rd(self, s)?),
            "revocation" => Entity::Revocation(rd(self, s)?),
            "conflict" => Entity::Conflict(rd(self, s)?),
            "redemption" => Entity::Redemption(rd(self, s)?),
            "passage" => Entity::Passage(rd(self, s)?),
            "zone" => Entity::Zone(rd(self, s)?),
            "sale" => Entity::Sale(rd(self, s)?),
            "refund" => Entity::Refund(rd(self, s)?),
            "refusal" => Entity::Refusal(rd(self, s)?),
            _ => return Ok(ChangeBody::Unknown),
        };
        Ok(ChangeBody::Upsert(e))
    }
}
