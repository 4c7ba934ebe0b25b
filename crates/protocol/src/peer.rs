//! Door-to-door messages on the venue network (no head office needed): each
//! device's own redemptions, passages and refunds, as the same records the pull carries,
//! signed by the sending device's enrolled key.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_domain::Timestamp;

use crate::entity::{PassageRecord, RedemptionRecord};

/// The path prefix of the peer service.
pub const PEER_PREFIX: &str = "/peer/v1";

/// The mDNS/DNS-SD service type doors announce themselves under.
pub const PEER_SERVICE: &str = "_wicket-door._tcp.local.";

/// Facts one door made itself (never ones it heard), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerFacts {
    /// The device that made them and signs the message.
    pub from: Uuid,
    pub sent_at: Timestamp,
    #[serde(default)]
    pub redemptions: Vec<RedemptionRecord>,
    #[serde(default)]
    pub passages: Vec<PassageRecord>,
    /// Refunds made here: their tickets are refused at every door at once.
    #[serde(default)]
    pub refunds: Vec<wicket_domain::Refund>,
}

/// A [`PeerFacts`] as JSON text (`body`) and the hex Ed25519 signature of that
/// text's bytes by `from`'s device key. Signing the exact bytes sent needs no
/// canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPeerMessage {
    pub body: String,
    pub signature: String,
}

/// What a door answers to a message it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerAck {
    /// Facts new to it (the rest it had already heard or made).
    pub new: u64,
    /// The answering door.
    pub device_id: Uuid,
}

/// `POST /peer/v1/ask` (signed like facts): a door asks another for the other's
/// own facts since `since`. Signed, so only this venue's doors can read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerAsk {
    pub from: Uuid,
    pub since: Timestamp,
    pub sent_at: Timestamp,
}
