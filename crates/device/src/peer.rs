//! The replica's side of door-to-door sharing: this door's own redemptions,
//! passages and refunds as signed messages, and a peer's message checked (an enrolled, not
//! revoked device's key must have signed exactly these bytes) and applied as facts
//! heard — through the pull's own code, so the same redemption coming back from
//! head office later is the same row, counted once, and never pushed from here.

use std::collections::HashSet;

use ed25519_dalek::{Signature, Signer, Verifier};
use rusqlite::{OptionalExtension, params};

use uuid::Uuid;
use wicket_domain::{Direction, Timestamp};
use wicket_protocol::{
    Entity, PassageRecord, PeerAsk, PeerFacts, RedemptionRecord, SignedPeerMessage,
};

use crate::error::{DeviceError, Result};
use crate::replica::Replica;

/// The most facts one message carries (a door sends the rest in the next one).
pub const MAX_FACTS: usize = 2_000;

/// Why a peer's message was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerRefusal {
    #[error("the message is not a readable peer message: {0}")]
    Malformed(String),
    #[error("device {0} is not enrolled with this venue's head office")]
    UnknownDevice(Uuid),
    #[error("device {0} has been revoked")]
    Revoked(Uuid),
    #[error("the signature does not match the message")]
    BadSignature,
    #[error("a fact in the message was not made by its sender")]
    NotTheSenders,
    #[error("this device's own message came back")]
    Own,
    #[error("the request is too old or from the future (clocks more than 5 minutes apart?)")]
    Stale,
}

impl PeerRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            PeerRefusal::Malformed(_) => "peer_malformed",
            PeerRefusal::UnknownDevice(_) => "peer_unknown",
            PeerRefusal::Revoked(_) => "peer_revoked",
            PeerRefusal::BadSignature => "peer_bad_signature",
            PeerRefusal::NotTheSenders => "peer_not_senders",
            PeerRefusal::Own => "peer_own",
            PeerRefusal::Stale => "peer_stale",
        }
    }
}

/// What a peer's accepted message added here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Heard {
    pub from: Uuid,
    pub redemptions: u64,
    pub passages: u64,
    pub refunds: u64,
    /// The latest fact time in the message (the sender's clock).
    pub latest: Option<Timestamp>,
}

/// A peer address as `http://HOST:PORT` (a trailing slash dropped), or why not.
pub fn peer_url(s: &str) -> std::result::Result<String, String> {
    let t = s.trim().trim_end_matches('/');
    let bad = || format!("{s:?}: a peer is http://HOST:PORT");
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"))
        .ok_or_else(bad)?;
    let ok = !rest.is_empty()
        && rest.len() <= 253
        && rest.contains(':')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok { Ok(t.to_string()) } else { Err(bad()) }
}

impl Replica {
    /// The doors this device always tries (for networks that block mDNS).
    pub fn lan_peers(&self) -> Result<Vec<String>> {
        Ok(crate::meta::get(&self.conn, "lan_peers")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// Set the doors this device always tries (a manager's setting, audited).
    pub fn set_lan_peers(&mut self, peers: &[String]) -> Result<Vec<String>> {
        self.authorize(wicket_domain::Action::ChangeSettings)?;
        let mut clean = Vec::new();
        for p in peers.iter().filter(|p| !p.trim().is_empty()) {
            let u = peer_url(p).map_err(DeviceError::Invalid)?;
            if !clean.contains(&u) {
                clean.push(u);
            }
        }
        if clean.len() > 32 {
            return Err(DeviceError::Invalid("at most 32 peers".into()));
        }
        let (now, device, staff) = (self.now(), self.device_id, self.staff_id);
        let tx = self.conn.transaction()?;
        crate::meta::set(&tx, "lan_peers", &serde_json::to_string(&clean)?)?;
        let op = wicket_protocol::Op::Audit(wicket_protocol::AuditOp {
            action: "settings".into(),
            subject: Some("lan_peers".into()),
            detail: Some(clean.join(" ")),
        });
        crate::outbox::append(&tx, device, staff, &op, now)?;
        tx.commit()?;
        Ok(clean)
    }

    /// Head office's current key id (hex), which names this venue to other doors;
    /// none before enrollment.
    pub fn headoffice_key_id(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT lower(hex(key_id)) FROM trusted_keys WHERE owner = 'headoffice' \
                 AND revoked_at IS NULL ORDER BY trusted_until IS NOT NULL, key_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// This door's own facts at or after `since` (unix s), oldest first, at most
    /// [`MAX_FACTS`].
    pub fn own_facts_since(&self, since: Timestamp) -> Result<PeerFacts> {
        let me = self.device_id;
        let mut st = self.conn.prepare_cached(
            "SELECT id, item, staff_id, gate, redeemed_at FROM redemptions \
             WHERE device_id = ?1 AND redeemed_at >= ?2 ORDER BY redeemed_at, id LIMIT ?3",
        )?;
        let redemptions = st
            .query_map(params![me, since, MAX_FACTS as i64], |r| {
                Ok(RedemptionRecord {
                    id: r.get(0)?,
                    item: r.get(1)?,
                    device_id: me,
                    staff_id: r.get(2)?,
                    gate: r.get(3)?,
                    redeemed_at: r.get(4)?,
                    conflict: false,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = self.conn.prepare_cached(
            "SELECT id, item, direction, gate, at FROM passages \
             WHERE device_id = ?1 AND at >= ?2 ORDER BY at, id LIMIT ?3",
        )?;
        let passages = st
            .query_map(params![me, since, MAX_FACTS as i64], |r| {
                let d: String = r.get(2)?;
                Ok(PassageRecord {
                    id: r.get(0)?,
                    item: r.get(1)?,
                    direction: Direction::parse(&d).unwrap_or(Direction::Out),
                    gate: r.get(3)?,
                    at: r.get(4)?,
                    device_id: me,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let refunds = crate::till::read_refunds(
            &self.conn,
            "device_id = ?1 AND created_at >= ?2",
            params![me, since],
        )?;
        Ok(PeerFacts {
            from: me,
            sent_at: self.now(),
            redemptions,
            passages,
            refunds,
        })
    }

    /// The items `device` has redeemed, as far as this door knows (its own scans,
    /// or heard from that door, or pulled).
    pub fn items_redeemed_by(&self, device: Uuid) -> Result<Vec<Uuid>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT item FROM redemptions WHERE device_id = ?1")?;
        let rows = st.query_map([device], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sign `facts` with this device's enrolled key.
    pub fn sign_peer(&self, facts: &PeerFacts) -> Result<SignedPeerMessage> {
        let body = serde_json::to_string(facts)?;
        let sig = self.signing_key.sign(body.as_bytes());
        Ok(SignedPeerMessage {
            body,
            signature: hex::encode(sig.to_bytes()),
        })
    }

    /// Sign a request for a peer's own facts since `since`.
    pub fn sign_ask(&self, since: Timestamp) -> Result<SignedPeerMessage> {
        let ask = PeerAsk {
            from: self.device_id,
            since,
            sent_at: self.now(),
        };
        let body = serde_json::to_string(&ask)?;
        let sig = self.signing_key.sign(body.as_bytes());
        Ok(SignedPeerMessage {
            body,
            signature: hex::encode(sig.to_bytes()),
        })
    }

    /// Check a peer's request: signed by an enrolled, not revoked door, recent.
    pub fn check_ask(
        &self,
        msg: &SignedPeerMessage,
    ) -> Result<std::result::Result<PeerAsk, PeerRefusal>> {
        let ask: PeerAsk = match serde_json::from_str(&msg.body) {
            Ok(a) => a,
            Err(e) => return Ok(Err(PeerRefusal::Malformed(e.to_string()))),
        };
        if ask.from == self.device_id {
            return Ok(Err(PeerRefusal::Own));
        }
        if let Err(r) = self.check_signature(ask.from, msg)? {
            return Ok(Err(r));
        }
        if (self.now() - ask.sent_at).abs() > 300 {
            return Ok(Err(PeerRefusal::Stale));
        }
        Ok(Ok(ask))
    }

    /// Check a peer's message and apply its facts in one transaction; a refused
    /// message changes nothing.
    pub fn hear(
        &mut self,
        msg: &SignedPeerMessage,
    ) -> Result<std::result::Result<Heard, PeerRefusal>> {
        let facts: PeerFacts = match serde_json::from_str(&msg.body) {
            Ok(f) => f,
            Err(e) => return Ok(Err(PeerRefusal::Malformed(e.to_string()))),
        };
        if facts.from == self.device_id {
            return Ok(Err(PeerRefusal::Own));
        }
        if let Err(refused) = self.check_signature(facts.from, msg)? {
            return Ok(Err(refused));
        }
        let from = facts.from;
        let theirs = facts
            .redemptions
            .iter()
            .all(|r| r.device_id == from && !r.conflict)
            && facts.passages.iter().all(|p| p.device_id == from);
        if !theirs || facts.redemptions.len() + facts.passages.len() > MAX_FACTS * 2 {
            return Ok(Err(PeerRefusal::NotTheSenders));
        }
        let latest = facts
            .redemptions
            .iter()
            .map(|r| r.redeemed_at)
            .chain(facts.passages.iter().map(|p| p.at))
            .chain(facts.refunds.iter().map(|r| r.created_at))
            .max();
        // New facts are those whose id this replica does not hold yet (indexed
        // lookups, not a count of whole tables on every message).
        let has = |tx: &rusqlite::Transaction<'_>, sql: &str, id: Uuid| -> Result<bool> {
            Ok(tx.prepare_cached(sql)?.exists([id])?)
        };
        let tx = self.conn.transaction()?;
        let none = HashSet::new();
        let mut heard = Heard {
            from,
            latest,
            ..Heard::default()
        };
        for r in facts.redemptions {
            let known = tx
                .prepare_cached("SELECT 1 FROM redemptions WHERE item = ?1 AND id = ?2")?
                .exists(params![r.item, r.id])?;
            heard.redemptions += u64::from(!known);
            crate::pull::upsert(&tx, Entity::Redemption(r), &none)?;
        }
        for p in facts.passages {
            heard.passages += u64::from(!has(&tx, "SELECT 1 FROM passages WHERE id = ?1", p.id)?);
            crate::pull::upsert(&tx, Entity::Passage(p), &none)?;
        }
        for r in facts.refunds {
            heard.refunds += u64::from(!has(&tx, "SELECT 1 FROM refunds WHERE id = ?1", r.id)?);
            crate::pull::upsert(&tx, Entity::Refund(r), &none)?;
        }
        tx.commit()?;
        Ok(Ok(heard))
    }

    /// The sender's enrolled key (as head office handed it down) signed the body.
    fn check_signature(
        &self,
        from: Uuid,
        msg: &SignedPeerMessage,
    ) -> Result<std::result::Result<(), PeerRefusal>> {
        let key: Option<(Vec<u8>, Option<Timestamp>)> = self
            .conn
            .query_row(
                "SELECT public_key, revoked_at FROM trusted_keys WHERE owner = ?1 \
                 ORDER BY revoked_at IS NULL DESC LIMIT 1",
                [format!("device:{from}")],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((public, revoked)) = key else {
            return Ok(Err(PeerRefusal::UnknownDevice(from)));
        };
        if revoked.is_some() {
            return Ok(Err(PeerRefusal::Revoked(from)));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| DeviceError::Corrupt("trusted key is not 32 bytes".into()))?;
        let Ok(key) = wicket_ticket::VerifyingKey::from_bytes(&public) else {
            return Ok(Err(PeerRefusal::UnknownDevice(from)));
        };
        let sig = hex::decode(msg.signature.trim())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b));
        match sig {
            Some(sig) if key.verify(msg.body.as_bytes(), &sig).is_ok() => Ok(Ok(())),
            _ => Ok(Err(PeerRefusal::BadSignature)),
        }
    }
}
