//! Redemption facts: one function judges a scan for the API route and for a door's
//! pushed redeem; scans of items head office does not know yet wait pending and are
//! counted, in the order they happened, when the item arrives.

use uuid::Uuid;
use wicket_domain::{self as domain, DomainError};

use crate::error::{Error, Result};
use crate::storage::{ConflictRow, Scan, Tx};

/// What became of an act head office could judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// A fact kept for review (it happened but broke a rule).
    Conflict {
        code: String,
        message: String,
    },
}

/// Judge a scan against the item's current state and record it. `strict` (the API):
/// a refusal is an error and nothing is written. Otherwise (a door's scan, which
/// happened): a refusal is kept as a conflict, and a scan of an unknown item is kept
/// pending until the item arrives.
pub fn record_scan(tx: &dyn Tx, s: &Scan, strict: bool) -> Result<Outcome> {
    let mut found = tx.item(s.item)?;
    if found.is_none()
        && let Some(pid) = s.product_id
    {
        // Another head office process may be inserting this item right now. Every
        // issue holds its product's row until commit, so taking the product waits
        // for that insert; then look again (or the scan would stay pending forever).
        if tx.product(pid)?.is_some() {
            found = tx.item(s.item)?;
        }
    }
    let Some(item) = found else {
        if strict {
            return Err(Error::not_found(format!("item {}", s.item)));
        }
        tx.insert_redemption(s, false, true)?;
        tracing::info!(item = %s.item, device = %s.device, "redemption of an item not yet known kept pending");
        return Ok(Outcome::Applied);
    };
    let verdict = match s.product_id {
        Some(pid) => domain::redeem_in_product(pid, &item, s.at),
        None => domain::redeem(&item, s.at),
    };
    match verdict {
        Ok(done) => {
            tx.set_redemption(s.item, done.redemption_count, s.at)?;
            tx.insert_redemption(s, false, false)?;
            Ok(Outcome::Applied)
        }
        Err(e) if strict => Err(e.into()),
        Err(e) => {
            tx.insert_redemption(s, true, false)?;
            let (code, message) = conflict(tx, s, &e)?;
            tx.touch("item", &s.item.to_string())?;
            Ok(Outcome::Conflict { code, message })
        }
    }
}

fn conflict(tx: &dyn Tx, s: &Scan, e: &DomainError) -> Result<(String, String)> {
    let code = e.code().to_string();
    let message = format!(
        "scan at {} beyond the rules: {e}",
        s.gate.as_deref().unwrap_or("door")
    );
    tx.insert_conflict(&ConflictRow {
        op_id: s.op_id,
        device: s.device,
        kind: "redeem".into(),
        item: Some(s.item),
        code: code.clone(),
        detail: message.clone(),
        at: s.at,
    })?;
    tracing::warn!(item = %s.item, device = %s.device, %code, "redemption conflict recorded");
    Ok((code, message))
}

/// A door's exit or re-entry: a fact kept once (by its id) and handed to every
/// door, whatever order devices sync in; it changes no count.
pub fn record_passage(
    tx: &dyn Tx,
    device: Uuid,
    staff: Option<Uuid>,
    p: &wicket_protocol::PassageOp,
) -> Result<()> {
    if let Some(g) = &p.gate {
        domain::validate_gate(g)?;
    }
    tx.insert_passage(&crate::storage::PassageRow {
        id: p.id,
        item: p.item,
        direction: p.direction,
        gate: p.gate.clone(),
        at: p.at,
        device,
        staff,
    })
}

/// A scan a door refused, for the live numbers: a known refusal code and a sane
/// gate, as any door reports it; it changes no ticket.
pub fn record_refusal(
    tx: &dyn Tx,
    device: Uuid,
    staff: Option<Uuid>,
    r: &wicket_protocol::RefusalOp,
) -> Result<()> {
    let code = domain::VerdictCode::check_refusal(&r.code, r.gate.as_deref())?;
    tx.insert_refusal(&crate::storage::RefusalRow {
        id: r.id,
        code: code.as_str().to_string(),
        item: r.item,
        product_id: r.product_id,
        gate: r.gate.clone(),
        at: r.at,
        device,
        staff,
    })
}

/// Scans heard of before their items reached head office count now, oldest first;
/// those beyond `redemption_quantity` become conflicts.
pub fn settle_pending(tx: &dyn Tx, items: &[Uuid]) -> Result<()> {
    for item in items {
        for s in tx.pending_scans(*item)? {
            tx.delete_redemption(s.id)?;
            record_scan(tx, &s, false)?;
        }
    }
    Ok(())
}
