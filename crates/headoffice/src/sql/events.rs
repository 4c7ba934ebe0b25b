//! Events: rows and their API records.

use crate::db::{Connection, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::Event;

use super::rows::*;
use crate::error::Result;
use crate::model::*;
use crate::store::EventKey;

pub(crate) const EVENT_COLS: &str = "id, name, start_date, end_date, location, address, description, reference_id, created_at, updated_at";

pub(crate) fn event_from_row(r: &Row) -> Result<EventOut> {
    Ok(EventOut {
        id: uuid_at(r, 0)?,
        project_id: super::companies::DEFAULT_COMPANY,
        name: r.get(1)?,
        start_date: r.get(2)?,
        end_date: r.get(3)?,
        location: r.get(4)?,
        address: r.get(5)?,
        description: r.get(6)?,
        reference_id: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

pub(crate) fn find_event(conn: &Connection, key: &EventKey) -> Result<Option<EventOut>> {
    let by_id = |id: Uuid| -> Result<Option<EventOut>> {
        conn.query_row(
            &format!("SELECT {EVENT_COLS} FROM events WHERE id = ?1"),
            [id.to_string()],
            event_from_row,
        )
        .optional()
    };
    let by_ref = |r: &str| -> Result<Option<EventOut>> {
        conn.query_row(
            &format!("SELECT {EVENT_COLS} FROM events WHERE reference_id = ?1"),
            [r],
            event_from_row,
        )
        .optional()
    };
    match key {
        EventKey::Id(id) => by_id(*id),
        EventKey::Reference(r) => by_ref(r),
        EventKey::Either(s) => match Uuid::parse_str(s) {
            Ok(id) => match by_id(id)? {
                Some(e) => Ok(Some(e)),
                None => by_ref(s),
            },
            Err(_) => by_ref(s),
        },
    }
}

pub(crate) fn domain_event(e: &EventOut) -> Event {
    Event {
        id: e.id,
        name: e.name.clone(),
        start_date: e.start_date,
        end_date: e.end_date,
        location: e.location.clone(),
        address: e.address.clone(),
        description: e.description.clone(),
        reference_id: e.reference_id.clone(),
    }
}

pub(crate) fn insert_event(tx: &Connection, e: &Event, iso: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO events (id, name, start_date, end_date, location, address, description, reference_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            e.id.to_string(),
            e.name,
            e.start_date,
            e.end_date,
            e.location,
            e.address,
            e.description,
            e.reference_id,
            iso
        ],
    )?;
    Ok(())
}
