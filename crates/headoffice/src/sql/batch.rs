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
use crate::storage::NewItemRow;

/// Values per IN list (well inside both engines' parameter limits).
const CHUNK: usize = 500;

fn marks(from: usize, n: usize) -> String {
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
