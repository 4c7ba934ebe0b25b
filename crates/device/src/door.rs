//! The door: from scanned text to a committed redemption and a verdict, in the order
//! of DESIGN.md §3 (parse, signature and known issuer, revoked, event, validity
//! window, item state, redeem and commit). Also the device's signing key, trusted
//! issuer keys, revocations and staff sign-in.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_domain::{
    Action, Direction, Item, PassageKind, Role, Signature, TicketFacts, Timestamp, VerdictCode,
    Zone, judge_passage, judge_ticket, judge_unreplicated, judge_zone,
};
use wicket_protocol::{AuditOp, Op, RedeemOp, RevokeOp};
use wicket_ticket::{KeyId, TicketClaims, VerifyingKey, key_id};

use crate::error::{DeviceError, Result};
use crate::outbox;
use crate::passage;
use crate::replica::Replica;
use crate::rows::{load_item, load_product, record_redemption, redeem_in_tx};

/// The door's answer to one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `ok`, `already_redeemed`, `forged`, `unknown_issuer`, `revoked`, `wrong_event`,
    /// `not_yet_valid`, `expired`, `unknown_ticket` or `malformed`.
    pub code: VerdictCode,
    pub admitted: bool,
    pub message: String,
    pub holder_name: Option<String>,
    pub product_name: Option<String>,
    pub item: Option<Uuid>,
    pub item_id: Option<u64>,
    pub redemption_count: Option<u32>,
    pub redemption_quantity: Option<u32>,
    /// For a repeat: when, where and on which device the first redemption happened.
    pub first_redeemed_at: Option<Timestamp>,
    pub first_gate: Option<String>,
    pub first_device: Option<Uuid>,
    /// False when the item was admitted on its signature alone (not yet replicated).
    pub in_replica: bool,
    /// Which way the gate scanned: an admitted `out` is an exit.
    #[serde(default)]
    pub direction: Direction,
    /// Back in after an exit, without using an entry (re-entry products).
    #[serde(default)]
    pub reentry: bool,
}

impl Verdict {
    fn refuse(code: VerdictCode, message: impl Into<String>) -> Self {
        Verdict {
            code,
            admitted: false,
            message: message.into(),
            holder_name: None,
            product_name: None,
            item: None,
            item_id: None,
            redemption_count: None,
            redemption_quantity: None,
            first_redeemed_at: None,
            first_gate: None,
            first_device: None,
            in_replica: false,
            direction: Direction::In,
            reentry: false,
        }
    }
}

/// A staff member signed in on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

impl Replica {
    /// This device's public ticket key.
    pub fn public_key(&self) -> VerifyingKey {
        self.signing_key.verifying_key()
    }

    /// Trust tickets signed by `key` (head office's or another device's).
    pub fn trust_key(&mut self, key: &VerifyingKey, owner: &str) -> Result<KeyId> {
        let id = key_id(key);
        self.conn.execute(
            "INSERT INTO trusted_keys (key_id, public_key, owner) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key, owner = excluded.owner, \
             revoked_at = NULL, trusted_until = NULL",
            params![id.0.to_vec(), key.to_bytes().to_vec(), owner],
        )?;
        Ok(id)
    }

    /// Stop trusting a key: its tickets get `unknown_issuer` from now on.
    pub fn distrust_key(&mut self, id: KeyId) -> Result<()> {
        let now = self.now();
        self.conn.execute(
            "UPDATE trusted_keys SET trusted_until = ?2 WHERE key_id = ?1",
            params![id.0.to_vec(), now],
        )?;
        Ok(())
    }

    /// Revoke an item (manager): its ticket is refused at every door that has
    /// synced the revocation. Recorded in the outbox.
    pub fn revoke_item(&mut self, item: Uuid, reason: &str) -> Result<()> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(DeviceError::Invalid(
                "a revocation needs a reason (1 to 500 characters)".into(),
            ));
        }
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::Revoke)?;
        let tx = self.conn.transaction()?;
        // An unknown item is refused before anything is written (no orphan outbox op).
        if tx.execute("UPDATE items SET revoked = 1 WHERE id = ?1", [item])? == 0 {
            return Err(DeviceError::not_found("item", item));
        }
        tx.execute(
            "INSERT OR REPLACE INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3)",
            params![item, now, reason],
        )?;
        let op = Op::Revoke(RevokeOp {
            item,
            reason: Some(reason.to_string()),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Admit validly signed tickets whose item is not in the replica yet (default
    /// on: a ticket sold a minute ago at head office must not be turned away).
    /// A manager's setting: recorded for head office's audit log.
    pub fn set_admit_unknown(&mut self, admit: bool) -> Result<()> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        self.authorize(Action::ChangeSettings)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('admit_unknown', ?1)",
            [if admit { "1" } else { "0" }],
        )?;
        let op = Op::Audit(AuditOp {
            action: "settings".into(),
            subject: Some("admit_unknown".into()),
            detail: Some(if admit { "on" } else { "off" }.into()),
        });
        outbox::append(&tx, device_id, staff_id, &op, now)?;
        tx.commit()?;
        Ok(())
    }

    /// The zones this door has pulled from head office.
    pub fn zones(&self) -> Result<Vec<Zone>> {
        zones(&self.conn)
    }

    pub fn admit_unknown(&self) -> Result<bool> {
        admit_unknown(&self.conn)
    }

    /// The signed token for an item's QR, signed with this device's key. Valid from
    /// 12 h before its event starts (or from issue) until 6 h after the event ends
    /// (or a year after issue for products without an event).
    pub fn ticket_token(&self, item: Uuid) -> Result<String> {
        let it = load_item(&self.conn, item)?;
        let (product, _) = load_product(&self.conn, it.product_id)?;
        let event = match product.event_id {
            Some(e) => self
                .conn
                .query_row(
                    "SELECT start_date, end_date FROM events WHERE id = ?1",
                    [e],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
                .optional()?,
            None => None,
        };
        let (valid_from, valid_until) = wicket_domain::ticket_validity(event, it.created_at)?;
        let claims = TicketClaims {
            product_id: it.product_id,
            item_uuid: it.id,
            item_id: it.item_id,
            event_id: product.event_id,
            valid_from,
            valid_until,
        };
        wicket_ticket::sign(&claims, &self.signing_key)
            .map_err(|e| DeviceError::Invalid(e.to_string()))
    }

    /// Judge scanned text at an entry `gate` for `event` (None: any event) and, when
    /// it admits, commit the redemption durably before returning. Door outcomes are
    /// `Ok(Verdict)`; `Err` is only a storage failure.
    pub fn scan(&mut self, text: &str, gate: Option<&str>, event: Option<Uuid>) -> Result<Verdict> {
        self.scan_at(text, gate, event, Direction::In)
    }

    /// [`Replica::scan`] at a gate scanning `direction`: an exit never uses an
    /// entry; a re-entry product's ticket that went out comes back in for free, and
    /// one that is inside is refused (`already_inside`, with when and where it
    /// entered), whichever door saw it.
    pub fn scan_at(
        &mut self,
        text: &str,
        gate: Option<&str>,
        event: Option<Uuid>,
        direction: Direction,
    ) -> Result<Verdict> {
        self.authorize(Action::Redeem)?;
        let v = self.judge_scan(text, gate, event, direction)?;
        if !v.admitted && v.code != VerdictCode::Ok {
            // Every door's live numbers count refusals from all doors: kept here
            // and pushed as a fact (it changes no ticket).
            self.record_refusal(&v, gate)?;
        }
        Ok(v)
    }

    fn record_refusal(&mut self, v: &Verdict, gate: Option<&str>) -> Result<()> {
        let now = self.now();
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        // A gate name the rules would refuse is left out rather than losing the count.
        let gate = gate.and_then(|g| wicket_domain::validate_gate(g).ok());
        let tx = self.conn.transaction()?;
        let product: Option<Uuid> = match v.item {
            Some(i) => tx
                .prepare_cached("SELECT product_id FROM items WHERE id = ?1")?
                .query_row([i], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let op = wicket_protocol::RefusalOp {
            id: Uuid::now_v7(),
            code: v.code.as_str().to_string(),
            item: v.item,
            product_id: product,
            gate,
            at: now,
        };
        crate::stats::store_refusal(&tx, &op, device_id)?;
        outbox::append(&tx, device_id, staff_id, &Op::Refusal(op), now)?;
        tx.commit()?;
        Ok(())
    }

    fn judge_scan(
        &mut self,
        text: &str,
        gate: Option<&str>,
        event: Option<Uuid>,
        direction: Direction,
    ) -> Result<Verdict> {
        let now = self.now();
        // 1. parse
        let ticket = match wicket_ticket::parse(text) {
            Ok(t) => t,
            Err(e) => {
                return Ok(Verdict::refuse(
                    VerdictCode::Malformed,
                    format!("not a Wicket ticket ({})", e.code()),
                ));
            }
        };
        // 2. signature, by a key this device knows and still trusts
        let key: Option<(Vec<u8>, Option<i64>, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT public_key, revoked_at, trusted_until FROM trusted_keys WHERE key_id = ?1",
            )?
            .query_row([ticket.key_id().0.to_vec()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (signature, claims) = match key {
            None => (Signature::UnknownKey, None),
            Some((_, _, Some(until))) if now >= until => (Signature::KeyRetired, None),
            Some((public, key_revoked, _)) => {
                let public = public
                    .try_into()
                    .ok()
                    .and_then(|b: [u8; 32]| VerifyingKey::from_bytes(&b).ok())
                    .ok_or_else(|| {
                        DeviceError::Corrupt("trusted key is not an Ed25519 key".into())
                    })?;
                match ticket.verify(&public) {
                    Err(_) => (Signature::Forged, None),
                    Ok(c) if key_revoked.is_some() => (Signature::KeyRevoked, Some(c.clone())),
                    Ok(c) => (Signature::Valid, Some(c.clone())),
                }
            }
        };
        // 3. revoked (only worth a look once the signature holds)
        let revoked: Option<String> = match &claims {
            Some(c) => self
                .conn
                .prepare_cached("SELECT COALESCE(reason, '') FROM revocations WHERE item = ?1")?
                .query_row([c.item_uuid], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let refunded = match &claims {
            Some(c) if revoked.is_some() => crate::till::is_refunded(&self.conn, c.item_uuid)?,
            _ => false,
        };
        // 4. event and gate, 5. validity window: the domain decides.
        let facts = TicketFacts {
            signature,
            revoked: revoked.is_some(),
            refunded,
            gate_event: event,
            ticket_event: claims.as_ref().and_then(|c| c.event_id),
            valid_from: claims.as_ref().map_or(0, |c| c.valid_from),
            valid_until: claims.as_ref().map_or(0, |c| c.valid_until),
            now,
        };
        let claims = match (judge_ticket(&facts), claims) {
            (Ok(()), Some(c)) => c,
            (Err(VerdictCode::Revoked), Some(c)) => {
                let reason = revoked.unwrap_or_default();
                let mut v = Verdict::refuse(
                    VerdictCode::Revoked,
                    format!("ticket revoked {reason}").trim().to_string(),
                );
                v.item = Some(c.item_uuid);
                v.item_id = Some(c.item_id);
                return Ok(v);
            }
            (Err(VerdictCode::Refunded), Some(c)) => {
                let mut v = Verdict::refuse(VerdictCode::Refunded, VerdictCode::Refunded.message());
                v.item = Some(c.item_uuid);
                v.item_id = Some(c.item_id);
                return Ok(v);
            }
            (Err(code), _) => return Ok(Verdict::refuse(code, code.message())),
            // No claims means the signature did not hold, which judge_ticket refuses.
            (Ok(()), None) => {
                return Ok(Verdict::refuse(
                    VerdictCode::Forged,
                    VerdictCode::Forged.message(),
                ));
            }
        };
        // The gate's zone must admit the product (nothing is redeemed otherwise).
        if let Err(code) = judge_zone(&zones(&self.conn)?, gate, claims.product_id, direction) {
            let mut v = Verdict::refuse(code, code.message());
            v.item = Some(claims.item_uuid);
            v.item_id = Some(claims.item_id);
            v.product_name = self
                .conn
                .prepare_cached("SELECT name FROM products WHERE id = ?1")?
                .query_row([claims.product_id], |r| r.get(0))
                .optional()?;
            return Ok(v);
        }
        // 6. item state, 7. redeem and commit
        let (device_id, staff_id) = (self.device_id, self.staff_id);
        let tx = self.conn.transaction()?;
        let item = match load_item(&tx, claims.item_uuid) {
            Ok(i) => Some(i),
            Err(DeviceError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        // Only the name on the hot path; the full product only when it is needed.
        let product_name: Option<String> = tx
            .prepare_cached("SELECT name FROM products WHERE id = ?1")?
            .query_row([claims.product_id], |r| r.get(0))
            .optional()?;
        let verdict = match item {
            Some(item)
                if item.product_id != claims.product_id || item.item_id != claims.item_id =>
            {
                Verdict::refuse(
                    VerdictCode::UnknownTicket,
                    "ticket does not match the item it names",
                )
            }
            Some(item) => {
                let holder = holder_name(&tx, &item)?;
                let reentry = passage::allows_reentry(&tx, item.product_id)?;
                let last = if reentry || direction == Direction::Out {
                    passage::last_passage(&tx, item.id)?
                } else {
                    None
                };
                let kind = judge_passage(
                    direction,
                    reentry,
                    last.as_ref().map(|l| l.direction),
                    item.redemption_count > 0,
                );
                let record =
                    |d: Direction| passage::record(&tx, item.id, d, gate, now, device_id, staff_id);
                match kind {
                    Err(code) => {
                        let mut v = verdict_for(&item, holder, product_name, None, true);
                        v.code = code;
                        v.admitted = false;
                        v.message = code.message().to_string();
                        // When and where it went in.
                        if let Some(l) = last {
                            v.first_redeemed_at = Some(l.at);
                            v.first_gate = l.gate;
                            v.first_device = Some(l.device);
                        }
                        v
                    }
                    Ok(PassageKind::Exit) => {
                        record(Direction::Out)?;
                        let mut v = verdict_for(&item, holder, product_name, None, true);
                        v.message = "exit recorded".into();
                        v.direction = Direction::Out;
                        v
                    }
                    Ok(PassageKind::ReEntry) => {
                        record(Direction::In)?;
                        let mut v = verdict_for(&item, holder, product_name, None, true);
                        v.message = "back in (re-entry: no entry used)".into();
                        v.reentry = true;
                        v
                    }
                    Ok(PassageKind::Entry) => {
                        match redeem_in_tx(&tx, &item, gate, now, device_id, staff_id) {
                            Ok(done) => {
                                if reentry {
                                    record(Direction::In)?;
                                }
                                verdict_for(&done, holder, product_name, None, true)
                            }
                            Err(DeviceError::Rule(e)) => {
                                let first = first_redemption(&tx, item.id)?;
                                let mut v = verdict_for(&item, holder, product_name, first, true);
                                v.code = VerdictCode::from(&e);
                                v.admitted = false;
                                v.message = e.to_string();
                                v
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            // An exit of a ticket this door does not hold yet: still a fact.
            None if direction == Direction::Out => {
                passage::record(
                    &tx,
                    claims.item_uuid,
                    Direction::Out,
                    gate,
                    now,
                    device_id,
                    staff_id,
                )?;
                let mut v = Verdict::refuse(VerdictCode::Ok, "exit recorded");
                v.admitted = true;
                v.item = Some(claims.item_uuid);
                v.item_id = Some(claims.item_id);
                v.product_name = product_name;
                v.direction = Direction::Out;
                v
            }
            None => {
                // Validly signed but not replicated yet: admitted on the signature by
                // policy, once per redemption_quantity, and recorded for head office.
                let quantity = match load_product(&tx, claims.product_id) {
                    Ok((p, _)) => p.redemption_quantity,
                    Err(DeviceError::NotFound { .. }) => 1,
                    Err(e) => return Err(e),
                };
                let used: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM redemptions WHERE item = ?1")?
                    .query_row([claims.item_uuid], |r| r.get(0))?;
                let used = used.max(0) as u64;
                match judge_unreplicated(admit_unknown(&tx)?, signature, used, quantity) {
                    Err(VerdictCode::UnknownTicket) => Verdict::refuse(
                        VerdictCode::UnknownTicket,
                        VerdictCode::UnknownTicket.message(),
                    ),
                    Err(code) => {
                        let mut v = Verdict::refuse(code, code.message());
                        v.item = Some(claims.item_uuid);
                        v.item_id = Some(claims.item_id);
                        v.product_name = product_name;
                        v.redemption_quantity = Some(quantity);
                        v.redemption_count = Some(used as u32);
                        if let Some(f) = first_redemption(&tx, claims.item_uuid)? {
                            v.first_redeemed_at = Some(f.0);
                            v.first_device = Some(f.1);
                            v.first_gate = f.2;
                        }
                        v
                    }
                    Ok(()) => {
                        let rid = record_redemption(
                            &tx,
                            claims.item_uuid,
                            gate,
                            now,
                            device_id,
                            staff_id,
                        )?;
                        let op = Op::Redeem(RedeemOp {
                            item: claims.item_uuid,
                            product_id: Some(claims.product_id),
                            item_id: Some(claims.item_id),
                            redeemed_at: Some(now),
                            gate: gate.map(str::to_string),
                            redemption_id: Some(rid),
                            not_in_replica: true,
                        });
                        outbox::append(&tx, device_id, staff_id, &op, now)?;
                        let mut v = Verdict::refuse(
                            VerdictCode::Ok,
                            "admitted on signature (not yet in replica)",
                        );
                        v.admitted = true;
                        v.item = Some(claims.item_uuid);
                        v.item_id = Some(claims.item_id);
                        v.product_name = product_name;
                        v.redemption_quantity = Some(quantity);
                        v.redemption_count = Some(used as u32 + 1);
                        v
                    }
                }
            }
        };
        tx.commit()?;
        Ok(verdict)
    }
}

/// The zones head office set up (usually none: then every gate admits everything).
fn zones(conn: &Connection) -> Result<Vec<Zone>> {
    let mut st = conn.prepare_cached("SELECT body FROM zones")?;
    let bodies = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(DeviceError::from))
        .collect()
}

fn admit_unknown(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'admit_unknown'")?
        .query_row([], |r| r.get::<_, String>(0))
        .optional()?
        .is_none_or(|v| v == "1"))
}

fn first_redemption(
    conn: &Connection,
    item: Uuid,
) -> Result<Option<(Timestamp, Uuid, Option<String>)>> {
    Ok(conn
        .prepare_cached(
            "SELECT redeemed_at, device_id, gate FROM redemptions WHERE item = ?1 ORDER BY redeemed_at, id LIMIT 1",
        )?
        .query_row([item], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

fn holder_name(conn: &Connection, item: &Item) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(NULLIF(TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), ''), email) \
             FROM customers WHERE id = ?1",
        )?
        .query_row([item.owner_id], |r| r.get(0))
        .optional()?)
}

fn verdict_for(
    item: &Item,
    holder: Option<String>,
    product: Option<String>,
    first: Option<(Timestamp, Uuid, Option<String>)>,
    in_replica: bool,
) -> Verdict {
    let (at, dev, gate) = match first {
        Some((a, d, g)) => (Some(a), Some(d), g),
        None => (None, None, None),
    };
    Verdict {
        code: VerdictCode::Ok,
        admitted: true,
        message: format!(
            "admitted ({}/{})",
            item.redemption_count, item.redemption_quantity
        ),
        holder_name: holder,
        product_name: product,
        item: Some(item.id),
        item_id: Some(item.item_id),
        redemption_count: Some(item.redemption_count),
        redemption_quantity: Some(item.redemption_quantity),
        first_redeemed_at: at,
        first_gate: gate,
        first_device: dev,
        in_replica,
        direction: Direction::In,
        reentry: false,
    }
}
