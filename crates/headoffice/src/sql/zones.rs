//! Zones: rows, API records and the pulled entity.

use uuid::Uuid;
use wicket_domain::Zone;

use super::rows::{json_at, uuid_at};
use crate::db::{Connection, OptionalExtension, Row};
use crate::error::{Error, Result};
use crate::model::ZoneOut;

const COLS: &str = "id, name, gates, product_ids, created_at";

fn from_row(r: &Row) -> Result<ZoneOut> {
    Ok(ZoneOut {
        id: uuid_at(r, 0)?,
        name: r.get(1)?,
        gates: json_at(r, 2)?,
        product_ids: json_at(r, 3)?,
        created_at: r.get(4)?,
    })
}

pub(crate) fn zone(c: &Connection, id: Uuid) -> Result<ZoneOut> {
    c.prepare_cached(&format!("SELECT {COLS} FROM zones WHERE id = ?1"))?
        .query_row([id.to_string()], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("zone {id}")))
}

pub(crate) fn list(c: &Connection) -> Result<Vec<ZoneOut>> {
    let mut st = c.prepare_cached(&format!("SELECT {COLS} FROM zones ORDER BY name"))?;
    st.query_map((), from_row)?.collect()
}

/// The pulled form of a zone (`None` once deleted).
pub(crate) fn entity(c: &Connection, key: &str) -> Result<Option<Zone>> {
    let Ok(id) = Uuid::parse_str(key) else {
        return Ok(None);
    };
    match zone(c, id) {
        Ok(z) => Ok(Some(Zone {
            id: z.id,
            name: z.name,
            gates: z.gates,
            product_ids: z.product_ids,
        })),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
