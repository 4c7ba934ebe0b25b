//! Entry and exit at the gates: the passages a door makes or hears of (facts, merged
//! by time), and the ticket's latest one, which says whether it is inside.

use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;
use wicket_domain::{Direction, Timestamp};
use wicket_protocol::{Op, PassageOp};

use crate::error::{DeviceError, Result};
use crate::outbox;

/// A ticket's latest passage through any gate this door knows of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastPassage {
    pub direction: Direction,
    pub at: Timestamp,
    pub gate: Option<String>,
    pub device: Uuid,
}

pub(crate) fn last_passage(tx: &Transaction<'_>, item: Uuid) -> Result<Option<LastPassage>> {
    let row: Option<(String, Timestamp, Option<String>, Uuid)> = tx
        .prepare_cached(
            "SELECT direction, at, gate, device_id FROM passages WHERE item = ?1 \
             ORDER BY at DESC, id DESC LIMIT 1",
        )?
        .query_row([item], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    row.map(|(d, at, gate, device)| {
        Ok(LastPassage {
            direction: Direction::parse(&d)
                .ok_or_else(|| DeviceError::Corrupt(format!("passage direction {d:?}")))?,
            at,
            gate,
            device,
        })
    })
    .transpose()
}

/// Whether a product lets a ticket back in after an exit (read from its stored
/// body without parsing the whole product on the door's hot path).
pub(crate) fn allows_reentry(tx: &Transaction<'_>, product: Uuid) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "SELECT COALESCE(json_extract(body, '$.allow_reentry'), 0) FROM products WHERE id = ?1",
        )?
        .query_row([product], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// Record a passage here and queue it for head office, in the caller's transaction.
pub(crate) fn record(
    tx: &Transaction<'_>,
    item: Uuid,
    direction: Direction,
    gate: Option<&str>,
    now: Timestamp,
    device_id: Uuid,
    staff_id: Option<Uuid>,
) -> Result<()> {
    // Head office keeps the gate under the same rule; refuse here, not at sync.
    if let Some(g) = gate {
        wicket_domain::validate_gate(g)?;
    }
    let id = Uuid::now_v7();
    tx.prepare_cached(
        "INSERT INTO passages (id, item, direction, gate, at, device_id) VALUES (?1,?2,?3,?4,?5,?6)",
    )?
    .execute(params![id, item, direction.as_str(), gate, now, device_id])?;
    let op = Op::Passage(PassageOp {
        id,
        item,
        direction,
        gate: gate.map(str::to_string),
        at: now,
    });
    outbox::append(tx, device_id, staff_id, &op, now)?;
    Ok(())
}
