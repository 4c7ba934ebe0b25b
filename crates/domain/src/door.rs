//! The door's rules as pure functions (DESIGN.md §3): every answer is a
//! [`VerdictCode`]; the device looks the facts up, these functions decide, in the
//! order parse → signature → known issuer → revoked → event → validity window →
//! item state.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainError;
use crate::model::Timestamp;

/// Every answer a door gives to a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictCode {
    Ok,
    AlreadyRedeemed,
    /// Anti-passback: the ticket is inside and has not gone out.
    AlreadyInside,
    /// The gate's zone does not admit the ticket's product (a VIP gate, a GA ticket).
    WrongZone,
    Forged,
    UnknownIssuer,
    RevokedIssuer,
    Revoked,
    /// The ticket's order was refunded (the item is revoked because of it).
    Refunded,
    WrongEvent,
    NotYetValid,
    Expired,
    UnknownTicket,
    Malformed,
}

impl VerdictCode {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictCode::Ok => "ok",
            VerdictCode::AlreadyRedeemed => "already_redeemed",
            VerdictCode::AlreadyInside => "already_inside",
            VerdictCode::WrongZone => "wrong_zone",
            VerdictCode::Forged => "forged",
            VerdictCode::UnknownIssuer => "unknown_issuer",
            VerdictCode::RevokedIssuer => "revoked_issuer",
            VerdictCode::Revoked => "revoked",
            VerdictCode::Refunded => "refunded",
            VerdictCode::WrongEvent => "wrong_event",
            VerdictCode::NotYetValid => "not_yet_valid",
            VerdictCode::Expired => "expired",
            VerdictCode::UnknownTicket => "unknown_ticket",
            VerdictCode::Malformed => "malformed",
        }
    }

    /// Every code, for reading one back from the wire.
    pub const ALL: [VerdictCode; 14] = [
        VerdictCode::Ok,
        VerdictCode::AlreadyRedeemed,
        VerdictCode::AlreadyInside,
        VerdictCode::WrongZone,
        VerdictCode::Forged,
        VerdictCode::UnknownIssuer,
        VerdictCode::RevokedIssuer,
        VerdictCode::Revoked,
        VerdictCode::Refunded,
        VerdictCode::WrongEvent,
        VerdictCode::NotYetValid,
        VerdictCode::Expired,
        VerdictCode::UnknownTicket,
        VerdictCode::Malformed,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A refused scan a door reports for the live numbers: a known refusal code
    /// (not `ok`) and a sane gate name.
    pub fn check_refusal(code: &str, gate: Option<&str>) -> crate::Result<VerdictCode> {
        let c = Self::parse(code)
            .filter(|c| *c != VerdictCode::Ok)
            .ok_or_else(|| {
                crate::DomainError::field("code", format!("{code:?} is not a refusal code"))
            })?;
        if let Some(g) = gate {
            crate::validate::validate_gate(g)?;
        }
        Ok(c)
    }

    /// What a door shows for this code.
    pub fn message(self) -> &'static str {
        match self {
            VerdictCode::Ok => "admitted",
            VerdictCode::AlreadyRedeemed => "item is fully redeemed",
            VerdictCode::AlreadyInside => {
                "ticket is already inside: it must go out before it comes in again"
            }
            VerdictCode::WrongZone => "ticket is not for this zone",
            VerdictCode::Forged => "signature does not match: ticket altered or forged",
            VerdictCode::UnknownIssuer => {
                "signed by a key this door does not know or no longer trusts"
            }
            VerdictCode::RevokedIssuer => {
                "signed by a revoked device and not confirmed by head office"
            }
            VerdictCode::Revoked => "ticket revoked",
            VerdictCode::Refunded => "ticket refunded: not valid for entry",
            VerdictCode::WrongEvent => "ticket is for another event",
            VerdictCode::NotYetValid => "ticket is not valid yet",
            VerdictCode::Expired => "ticket has expired",
            VerdictCode::UnknownTicket => "ticket is not in this door's replica",
            VerdictCode::Malformed => "not a Wicket ticket",
        }
    }
}

impl std::fmt::Display for VerdictCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compare with a wire code (`code == "already_redeemed"`).
impl PartialEq<&str> for VerdictCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&DomainError> for VerdictCode {
    /// A redemption refusal as the door shows it.
    fn from(e: &DomainError) -> Self {
        match e {
            DomainError::AlreadyRedeemed => VerdictCode::AlreadyRedeemed,
            DomainError::Revoked => VerdictCode::Revoked,
            _ => VerdictCode::UnknownTicket,
        }
    }
}

/// Which way a gate scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    In,
    Out,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// What a valid ticket's scan does at a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassageKind {
    /// Uses an entry (the redemption rules decide whether one is left).
    Entry,
    /// Back in after going out, on a re-entry product: uses nothing.
    ReEntry,
    /// Going out: never uses anything.
    Exit,
}

/// Entry and exit (anti-passback). `last` is the ticket's latest known passage (by
/// time, from every door this one has heard of), `used` whether it has entered
/// before. Only re-entry products are tracked in and out: a single-entry ticket is
/// refused a second entry by its redemption count, as before.
pub fn judge_passage(
    direction: Direction,
    allow_reentry: bool,
    last: Option<Direction>,
    used: bool,
) -> Result<PassageKind, VerdictCode> {
    match (direction, allow_reentry, last) {
        (Direction::Out, _, _) => Ok(PassageKind::Exit),
        (Direction::In, true, Some(Direction::In)) => Err(VerdictCode::AlreadyInside),
        (Direction::In, true, Some(Direction::Out)) if used => Ok(PassageKind::ReEntry),
        (Direction::In, _, _) => Ok(PassageKind::Entry),
    }
}

/// An area of the venue: its gates admit only its products (set up at head office,
/// pulled by every door).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: Uuid,
    pub name: String,
    /// Gate names (matched without regard to case).
    pub gates: Vec<String>,
    pub product_ids: Vec<Uuid>,
}

/// A zone must be named and have at least one gate and one product; gate names are
/// what doors report.
pub fn validate_zone(z: &Zone) -> Result<(), DomainError> {
    crate::policy::validate_name("name", &z.name)?;
    if z.gates.is_empty() || z.gates.len() > 50 {
        return Err(DomainError::field("gates", "1 to 50 gates"));
    }
    for g in &z.gates {
        crate::validate::validate_gate(g)?;
    }
    if z.product_ids.is_empty() || z.product_ids.len() > 500 {
        return Err(DomainError::field("product_ids", "1 to 500 products"));
    }
    Ok(())
}

/// Entering at `gate`: the zone that gate belongs to must admit the product. A gate
/// in no zone admits every product; exits are never refused by zone.
pub fn judge_zone(
    zones: &[Zone],
    gate: Option<&str>,
    product: Uuid,
    direction: Direction,
) -> Result<(), VerdictCode> {
    let (Some(gate), Direction::In) = (gate, direction) else {
        return Ok(());
    };
    let gate = gate.trim();
    let mut of_gate = zones
        .iter()
        .filter(|z| z.gates.iter().any(|g| g.trim().eq_ignore_ascii_case(gate)))
        .peekable();
    if of_gate.peek().is_none() {
        return Ok(());
    }
    // A gate shared by two zones admits what either admits.
    if of_gate.any(|z| z.product_ids.contains(&product)) {
        Ok(())
    } else {
        Err(VerdictCode::WrongZone)
    }
}

/// How the ticket's signature checked out against the door's trusted keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    Valid,
    /// Signed by a key the door knows, but the bytes do not match.
    Forged,
    /// No trusted key has this key id.
    UnknownKey,
    /// Valid, but by a device key head office revoked: only tickets of items head
    /// office confirmed (replicated here) still admit.
    KeyRevoked,
    /// A retired head office key past its rotation's overlap: no longer trusted.
    KeyRetired,
}

/// What the door knows of a parsed ticket before it looks at the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts {
    pub signature: Signature,
    pub revoked: bool,
    /// Revoked because its order was refunded.
    pub refunded: bool,
    /// The event this gate admits (`None`: any).
    pub gate_event: Option<Uuid>,
    pub ticket_event: Option<Uuid>,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub now: Timestamp,
}

/// Judge a ticket up to (not including) its item's state.
pub fn judge_ticket(f: &TicketFacts) -> Result<(), VerdictCode> {
    match f.signature {
        // A revoked device's ticket goes on to the item check (judge_unreplicated).
        Signature::Valid | Signature::KeyRevoked => {}
        Signature::Forged => return Err(VerdictCode::Forged),
        Signature::UnknownKey | Signature::KeyRetired => return Err(VerdictCode::UnknownIssuer),
    }
    if f.refunded {
        return Err(VerdictCode::Refunded);
    }
    if f.revoked {
        return Err(VerdictCode::Revoked);
    }
    if let (Some(want), Some(got)) = (f.gate_event, f.ticket_event)
        && want != got
    {
        return Err(VerdictCode::WrongEvent);
    }
    if f.now < f.valid_from {
        return Err(VerdictCode::NotYetValid);
    }
    if f.now >= f.valid_until {
        return Err(VerdictCode::Expired);
    }
    Ok(())
}

/// A validly signed ticket whose item the door does not hold yet: admitted by policy,
/// once per `quantity` scans this door knows of, unless its signer is a revoked
/// device (a stolen laptop could sign any number of such tickets).
pub fn judge_unreplicated(
    admit_unknown: bool,
    signature: Signature,
    known_scans: u64,
    quantity: u32,
) -> Result<(), VerdictCode> {
    if signature == Signature::KeyRevoked {
        return Err(VerdictCode::RevokedIssuer);
    }
    if !admit_unknown {
        return Err(VerdictCode::UnknownTicket);
    }
    if known_scans >= u64::from(quantity) {
        return Err(VerdictCode::AlreadyRedeemed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TicketFacts {
        TicketFacts {
            signature: Signature::Valid,
            revoked: false,
            refunded: false,
            gate_event: None,
            ticket_event: None,
            valid_from: 10,
            valid_until: 20,
            now: 15,
        }
    }

    #[test]
    fn checks_run_in_the_design_order() {
        assert_eq!(judge_ticket(&facts()), Ok(()));
        let forged_and_revoked = TicketFacts {
            signature: Signature::Forged,
            revoked: true,
            ..facts()
        };
        assert_eq!(judge_ticket(&forged_and_revoked), Err(VerdictCode::Forged));
        let key = TicketFacts {
            signature: Signature::KeyRevoked,
            ..facts()
        };
        assert_eq!(judge_ticket(&key), Ok(()));
        let retired = TicketFacts {
            signature: Signature::KeyRetired,
            ..facts()
        };
        assert_eq!(judge_ticket(&retired), Err(VerdictCode::UnknownIssuer));
        let revoked_late = TicketFacts {
            revoked: true,
            now: 30,
            ..facts()
        };
        assert_eq!(judge_ticket(&revoked_late), Err(VerdictCode::Revoked));
        let refunded = TicketFacts {
            revoked: true,
            refunded: true,
            ..facts()
        };
        assert_eq!(judge_ticket(&refunded), Err(VerdictCode::Refunded));
        for c in VerdictCode::ALL {
            assert_eq!(VerdictCode::parse(c.as_str()), Some(c));
        }
        assert!(VerdictCode::check_refusal("ok", None).is_err());
        assert!(VerdictCode::check_refusal("nonsense", None).is_err());
        assert!(VerdictCode::check_refusal("forged", Some("North")).is_ok());
        assert!(VerdictCode::check_refusal("forged", Some("a\nb")).is_err());
        let other = TicketFacts {
            gate_event: Some(Uuid::from_u128(1)),
            ticket_event: Some(Uuid::from_u128(2)),
            ..facts()
        };
        assert_eq!(judge_ticket(&other), Err(VerdictCode::WrongEvent));
        assert_eq!(
            judge_ticket(&TicketFacts { now: 9, ..facts() }),
            Err(VerdictCode::NotYetValid)
        );
        assert_eq!(
            judge_ticket(&TicketFacts { now: 20, ..facts() }),
            Err(VerdictCode::Expired)
        );
    }

    #[test]
    fn zones_admit_their_products_at_their_gates() {
        let (vip, ga) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let zones = vec![Zone {
            id: Uuid::from_u128(9),
            name: "VIP".into(),
            gates: vec!["VIP door".into()],
            product_ids: vec![vip],
        }];
        let d = Direction::In;
        assert_eq!(judge_zone(&zones, Some("vip DOOR"), vip, d), Ok(()));
        assert_eq!(
            judge_zone(&zones, Some("VIP door"), ga, d),
            Err(VerdictCode::WrongZone)
        );
        // Gates in no zone, no gate, and exits admit anything.
        assert_eq!(judge_zone(&zones, Some("Main"), ga, d), Ok(()));
        assert_eq!(judge_zone(&zones, None, ga, d), Ok(()));
        assert_eq!(
            judge_zone(&zones, Some("VIP door"), ga, Direction::Out),
            Ok(())
        );
        assert!(validate_zone(&zones[0]).is_ok());
        let empty = Zone {
            gates: vec![],
            ..zones[0].clone()
        };
        assert!(validate_zone(&empty).is_err());
    }

    #[test]
    fn passages_in_and_out() {
        use Direction::*;
        // Exits never use anything.
        assert_eq!(
            judge_passage(Out, false, None, false),
            Ok(PassageKind::Exit)
        );
        assert_eq!(
            judge_passage(Out, true, Some(Out), true),
            Ok(PassageKind::Exit)
        );
        // Re-entry product: in, in -> refused; in, out, in -> back in for free.
        assert_eq!(judge_passage(In, true, None, false), Ok(PassageKind::Entry));
        assert_eq!(
            judge_passage(In, true, Some(In), true),
            Err(VerdictCode::AlreadyInside)
        );
        assert_eq!(
            judge_passage(In, true, Some(Out), true),
            Ok(PassageKind::ReEntry)
        );
        // An exit before any entry does not make a free entry.
        assert_eq!(
            judge_passage(In, true, Some(Out), false),
            Ok(PassageKind::Entry)
        );
        // Single-entry: every entry uses one (the redemption count refuses a second).
        assert_eq!(
            judge_passage(In, false, Some(Out), true),
            Ok(PassageKind::Entry)
        );
        assert_eq!(
            judge_passage(In, false, Some(In), true),
            Ok(PassageKind::Entry)
        );
    }

    #[test]
    fn unreplicated_tickets_by_policy_and_count() {
        let v = Signature::Valid;
        assert_eq!(judge_unreplicated(true, v, 0, 1), Ok(()));
        assert_eq!(
            judge_unreplicated(true, v, 1, 1),
            Err(VerdictCode::AlreadyRedeemed)
        );
        assert_eq!(judge_unreplicated(true, v, 1, 2), Ok(()));
        assert_eq!(
            judge_unreplicated(false, v, 0, 1),
            Err(VerdictCode::UnknownTicket)
        );
        assert_eq!(
            judge_unreplicated(true, Signature::KeyRevoked, 0, 1),
            Err(VerdictCode::RevokedIssuer)
        );
        assert_eq!(
            VerdictCode::from(&DomainError::Revoked),
            VerdictCode::Revoked
        );
        assert_eq!(
            serde_json::to_string(&VerdictCode::NotYetValid).unwrap(),
            "\"not_yet_valid\""
        );
    }
}
