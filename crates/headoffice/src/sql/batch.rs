//! Reads and writes of many rows in one statement: an issue to 550 recipients is a
//! handful of queries, not thousands (each one a round trip on PostgreSQL).

use std::collections::HashMap;

use uuid::Uuid;
use wicket_domain::{self as domain, Customer};

use super::rows::{opt_u64, to_i64, uuid_at};
use super::users::{USER_COLS, user_from_row};
use crate::db::{Connection, Dialect, Value};
use crate::error::Result;
use crate::model::UserKey;
use crate::storage::{NewItemRow, OpRecord};

/// Values per IN list (well inside both engines' parameter limits).
const CHUNK: usize = 500;

/// `?from, ?from+1, ...` (n placeholders).
pub(crate) fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Customers by key, in `keys` order; rows are locked (PostgreSQL writes) in id
/// order so two issues never deadlock on them.
pub(crate) fn customers(conn: &Connection, keys: &[UserKey]) -> Result<Vec<Option<Customer>>> {
    let mut by: [(&str, Vec<String>); 3] = [
        ("id", Vec::new()),
        ("email", Vec::new()),
        ("reference_id", Vec::new()),
    ];
    let mut wanted = Vec::with_capacity(keys.len());
    for k in keys {
        let (slot, v) = match k {
            UserKey::Id(id) => (0, id.to_string()),
            UserKey::Email(e) => (1, domain::normalize_email(e)?),
            UserKey::Reference(r) => (2, r.clone()),
        };
        by[slot].1.push(v.clone());
        wanted.push((slot, v));
    }
    let mut found: [HashMap<String, Customer>; 3] = Default::default();
    for (slot, (col, vals)) in by.iter().enumerate() {
        for chunk in vals.chunks(CHUNK) {
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE {col} IN ({}) ORDER BY id{}",
                marks(1, chunk.len()),
                conn.for_update()
            );
            let args: Vec<Value> = chunk.iter().map(|v| Value::Text(v.clone())).collect();
            for r in conn.rows(&sql, args)? {
                let u = user_from_row(&r)?;
                let key = match slot {
                    0 => u.c.id.to_string(),
                    1 => u.c.email.clone(),
                    _ => u.reference_id.clone().unwrap_or_default(),
                };
                found[slot].insert(key, u.c);
            }
        }
    }
    Ok(wanted
        .into_iter()
        .map(|(slot, v)| found[slot].get(&v).cloned())
        .collect())
}

pub(crate) fn aliases_of(conn: &Connection, ids: &[Uuid]) -> Result<HashMap<Uuid, Uuid>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT alias_id, customer_id FROM customer_aliases WHERE alias_id IN ({})",
            marks(1, chunk.len())
        );
        let args: Vec<Value> = chunk.iter().map(|i| Value::Text(i.to_string())).collect();
        for r in conn.rows(&sql, args)? {
            out.insert(uuid_at(&r, 0)?, uuid_at(&r, 1)?);
        }
    }
    Ok(out)
}

pub(crate) fn holdings(
    conn: &Connection,
    product: Uuid,
    owners: &[Uuid],
) -> Result<HashMap<Uuid, u64>> {
    let mut out: HashMap<Uuid, u64> = owners.iter().map(|o| (*o, 0)).collect();
    for chunk in owners.chunks(CHUNK) {
        let sql = format!(
            "SELECT owner_id, COUNT(*) FROM items WHERE product_id = ?1 AND owner_id IN ({}) \
             AND revoked = 0 GROUP BY owner_id",
            marks(2, chunk.len())
        );
        let mut args = vec![Value::Text(product.to_string())];
        args.extend(chunk.iter().map(|o| Value::Text(o.to_string())));
        for r in conn.rows(&sql, args)? {
            out.insert(uuid_at(&r, 0)?, opt_u64(r.get(1)?).unwrap_or(0));
        }
    }
    Ok(out)
}

const ITEM_INSERT: &str = "INSERT INTO items (id, product_id, item_id, owner_id, redemption_count, \
     redemption_quantity, redeemed_at, origin, origin_ref, revoked, issued_at, created_at, updated_at) VALUES ";

/// Insert item rows: one prepared statement per row on SQLite (in-process, cheap),
/// multi-row statements on PostgreSQL (one round trip per 200 rows).
pub(crate) fn insert_items(conn: &Connection, items: &[NewItemRow], iso: &str) -> Result<()> {
    let per = match conn.dialect() {
        Dialect::Sqlite => 1,
        Dialect::Postgres => 200,
    };
    for chunk in items.chunks(per) {
        let mut sql = String::from(ITEM_INSERT);
        let mut args = Vec::with_capacity(chunk.len() * 9);
        for (k, r) in chunk.iter().enumerate() {
            let b = k * 9;
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(?{}, ?{}, ?{}, ?{}, 0, ?{}, NULL, ?{}, ?{}, 0, ?{}, ?{b9}, ?{b9})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b9 = b + 9
            ));
            let i = &r.item;
            args.extend([
                Value::Text(i.id.to_string()),
                Value::Text(i.product_id.to_string()),
                Value::Int(to_i64(i.item_id)),
                Value::Text(i.owner_id.to_string()),
                Value::Int(i64::from(i.redemption_quantity)),
                Value::Text(i.origin.as_str().to_string()),
                r.origin_ref.clone().map_or(Value::Null, Value::Text),
                Value::Int(i.created_at),
                Value::Text(iso.to_string()),
            ]);
        }
        conn.execute(&sql, args)?;
    }
    Ok(())
}

/// Answers to op ids received before. On PostgreSQL the new ids are claimed first
/// (in sorted order, so two batches never wait on each other in a circle): a second
/// process pushing the same op waits on the claim until the first commits, then
/// reads its answer.
pub(crate) fn op_statuses(
    conn: &Connection,
    ops: &[Uuid],
) -> Result<HashMap<Uuid, (String, Option<String>)>> {
    let mut ids: Vec<Uuid> = ops.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if conn.dialect() == Dialect::Postgres {
        for chunk in ids.chunks(CHUNK) {
            let values = (1..=chunk.len())
                .map(|i| format!("(?{i})"))
                .collect::<Vec<_>>()
                .join(", ");
            let args: Vec<Value> = chunk.iter().map(|i| Value::Text(i.to_string())).collect();
            conn.execute(
                &format!(
                    "INSERT INTO sync_op_claims (op_id) VALUES {values} ON CONFLICT DO NOTHING"
                ),
                args,
            )?;
        }
    }
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT op_id, status, code FROM sync_ops WHERE op_id IN ({})",
            marks(1, chunk.len())
        );
        let args: Vec<Value> = chunk.iter().map(|i| Value::Text(i.to_string())).collect();
        for r in conn.rows(&sql, args)? {
            out.insert(uuid_at(&r, 0)?, (r.get(1)?, r.get(2)?));
        }
    }
    Ok(out)
}

/// The op log rows of a batch: one statement per 200 rows.
pub(crate) fn record_ops(conn: &Connection, rs: &[OpRecord<'_>]) -> Result<()> {
    for chunk in rs.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO sync_ops (op_id, device_id, device_seq, staff_id, device_time, kind, status, code, \
             message, received_at) VALUES ",
        );
        let mut args = Vec::with_capacity(chunk.len() * 10);
        for (k, r) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("({})", marks(k * 10 + 1, 10)));
            args.extend([
                Value::Text(r.op_id.to_string()),
                Value::Text(r.device.to_string()),
                Value::Int(r.seq),
                r.staff_id
                    .map_or(Value::Null, |s| Value::Text(s.to_string())),
                Value::Int(r.device_time),
                Value::Text(r.kind.to_string()),
                Value::Text(r.status.to_string()),
                r.code.map_or(Value::Null, |c| Value::Text(c.to_string())),
                r.message
                    .map_or(Value::Null, |m| Value::Text(m.to_string())),
                Value::Int(r.received_at),
            ]);
        }
        conn.execute(&sql, args)?;
    }
    Ok(())
}
