//! The replica: opening the SQLite file, reading rows into domain types, and the
//! local services. Every service decides through `wicket_domain` and writes its
//! result plus one outbox operation in a single transaction.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_domain::*;

use crate::error::{DeviceError, Result};
use crate::outbox::{self, OutboxOp};
use crate::rows::*;

/// The replica's schema: numbered SQL files under `migrations/device/`, in order.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../../migrations/device/0001_init.sql")),
        M::up(include_str!("../../../migrations/device/0002_door.sql")),
        M::up(include_str!("../../../migrations/device/0003_sync.sql")),
        M::up(include_str!("../../../migrations/device/0004_item_nft.sql")),
        M::up(include_str!(
            "../../../migrations/device/0005_items_holding.sql"
        )),
        M::up(include_str!(
            "../../../migrations/device/0006_allotment_returns.sql"
        )),
        M::up(include_str!("../../../migrations/device/0007_security.sql")),
        M::up(include_str!(
            "../../../migrations/device/0008_door_search.sql"
        )),
        M::up(include_str!("../../../migrations/device/0009_passages.sql")),
        M::up(include_str!("../../../migrations/device/0010_zones.sql")),
        M::up(include_str!(
            "../../../migrations/device/0011_refunds_sessions.sql"
        )),
        M::up(include_str!("../../../migrations/device/0012_refusals.sql")),
    ])
}

/// What a catalog load carries: the state head office (or the demo) hands a device.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub events: Vec<Event>,
    pub products: Vec<Product>,
    pub customers: Vec<Customer>,
    #[serde(default)]
    pub tiers: Vec<StatusTier>,
    #[serde(default)]
    pub reward_offers: Vec<RewardOffer>,
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub claim_codes: Vec<ClaimCode>,
}

/// An item with what a person needs to see next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub item: Item,
    pub product_name: String,
    pub owner_email: String,
    pub owner_name: String,
}

/// One earlier redemption of an item: when and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionRecord {
    pub redeemed_at: Timestamp,
    pub device_id: Uuid,
    pub gate: Option<String>,
}

/// A box-office sale request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SellRequest {
    pub product_id: Uuid,
    pub quantity: u32,
    pub buyer_email: String,
    pub buyer_first_name: Option<String>,
    pub buyer_last_name: Option<String>,
    /// The product's primary currency when `None`.
    pub currency: Option<String>,
    pub payment_method: Option<String>,
    /// Split payment: this much in cash, the rest by card.
    #[serde(default)]
    pub cash_amount: Option<String>,
    /// Cash handed over, for the change due.
    #[serde(default)]
    pub tendered: Option<String>,
}

/// What a completed sale hands back: the order and the tickets it issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaleReceipt {
    pub sale: Sale,
    pub quote: SaleQuote,
    pub items: Vec<Item>,
    /// Change due for the cash tendered.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub change: Option<Decimal>,
}

/// Sales totals per (product, currency, payment method).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesTotal {
    pub product_id: Uuid,
    pub product_name: String,
    pub currency: String,
    pub payment_method: String,
    pub orders: u64,
    pub quantity: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// Items refunded and the money given back; `net` is what stays taken.
    pub refunded_items: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub refunded: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net: Decimal,
}

/// The device's local replica.
pub struct Replica {
    pub(crate) conn: Connection,
    pub(crate) device_id: Uuid,
    pub(crate) staff_id: Option<Uuid>,
    pub(crate) fixed_now: Option<Timestamp>,
    /// This device's ticket-signing key (tickets it sells offline carry its signature).
    pub(crate) signing_key: wicket_ticket::SigningKey,
    pub(crate) key_source: Option<crate::vault::KeySource>,
}

fn now_unix() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Replica {
    /// Open (or create) a replica file, encrypted with its key from the OS keyring
    /// (or key file; see [`crate::vault`]): WAL with `synchronous=FULL` so that a
    /// committed redemption survives power loss, then apply pending migrations. The
    /// device id is created on first open and kept in `meta`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let key = crate::vault::key_for(path)?;
        Self::open_with_key(path, &key)
    }

    /// Open with a given key (a wrong one is `replica_locked`).
    pub fn open_with_key(path: &Path, key: &crate::vault::ReplicaKey) -> Result<Self> {
        let conn = crate::vault::open_encrypted(path, key)?;
        // Every page read from disk is decrypted and checked: a 64 MiB page cache
        // (taken only as pages are touched) keeps a 1M-item pull within 1.3x of an
        // unencrypted replica instead of 2.8x (README, "Security").
        conn.pragma_update(None, "cache_size", -65_536)?;
        let mut r = Self::setup(conn)?;
        r.key_source = Some(key.source.clone());
        Ok(r)
    }

    /// Open without encryption: only for benchmarks that measure what encryption
    /// costs. Never for a real replica.
    #[doc(hidden)]
    pub fn open_unencrypted(path: impl AsRef<Path>) -> Result<Self> {
        Self::setup(Connection::open(path)?)
    }

    /// Where the key is kept (`None`: unencrypted, benchmarks only).
    pub fn key_source(&self) -> Option<&crate::vault::KeySource> {
        self.key_source.as_ref()
    }

    fn setup(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        let device_id = match conn
            .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
        {
            Some(s) => Uuid::parse_str(&s).map_err(|e| DeviceError::Corrupt(e.to_string()))?,
            None => {
                let id = Uuid::now_v7();
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('device_id', ?1)",
                    [id.to_string()],
                )?;
                id
            }
        };
        let signing_key = crate::signing::load_or_create_key(&conn, device_id)?;
        Ok(Replica {
            conn,
            device_id,
            staff_id: None,
            fixed_now: None,
            signing_key,
            key_source: None,
        })
    }

    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    /// The staff member signed in; recorded on every operation.
    pub fn set_staff(&mut self, staff: Option<Uuid>) {
        self.staff_id = staff;
    }

    /// The staff member signed in, if any.
    pub fn signed_in_staff(&self) -> Option<Uuid> {
        self.staff_id
    }

    /// Pin the clock (tests, replays); `None` returns to the system clock.
    pub fn set_fixed_time(&mut self, t: Option<Timestamp>) {
        self.fixed_now = t;
    }

    pub fn now(&self) -> Timestamp {
        self.fixed_now.unwrap_or_else(now_unix)
    }

    /// The raw connection, for benchmarks and diagnostics.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    // ------------------------------------------------------------ catalog

    /// Replace the catalog (events, products, customers, tiers, offers, claim codes)
    /// and add the given items, in one transaction. Product counters are recomputed
    /// from the items the replica holds afterwards.
    pub fn load_catalog(&mut self, cat: &Catalog) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut ev = tx.prepare(
                "INSERT OR REPLACE INTO events (id, name, start_date, end_date, location, \
                 address, description, reference_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            )?;
            for e in &cat.events {
                ev.execute(params![
                    e.id,
                    e.name,
                    e.start_date,
                    e.end_date,
                    e.location,
                    e.address,
                    e.description,
                    e.reference_id
                ])?;
            }
            let mut pr = tx.prepare(
                "INSERT INTO products (id, event_id, name, body) VALUES (?1,?2,?3,?4) \
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, \
                 name = excluded.name, body = excluded.body",
            )?;
            for p in &cat.products {
                pr.execute(params![p.id, p.event_id, p.name, serde_json::to_string(p)?])?;
            }
            let mut cu = tx.prepare(
                "INSERT INTO customers (id, email, first_name, last_name, reputation, credits, \
                 status_balance, country) VALUES (?1,?2,?3,?4,?5,?6,?7,?8) \
                 ON CONFLICT (id) DO UPDATE SET email = excluded.email, \
                 first_name = excluded.first_name, last_name = excluded.last_name, \
                 reputation = excluded.reputation, credits = excluded.credits, \
                 status_balance = excluded.status_balance, country = excluded.country",
            )?;
            for c in &cat.customers {
                cu.execute(params![
                    c.id,
                    c.email,
                    c.first_name,
                    c.last_name,
                    c.reputation,
                    c.credits,
                    c.status_balance,
                    c.country
                ])?;
            }
            let mut ti =
                tx.prepare("INSERT OR REPLACE INTO status_tiers (id, body) VALUES (?1, ?2)")?;
            for t in &cat.tiers {
                ti.execute(params![t.id, serde_json::to_string(t)?])?;
            }
            let mut ro =
                tx.prepare("INSERT OR REPLACE INTO reward_offers (id, body) VALUES (?1, ?2)")?;
            for o in &cat.reward_offers {
                ro.execute(params![o.id, serde_json::to_string(o)?])?;
            }
            let mut cc = tx.prepare(
                "INSERT OR REPLACE INTO claim_codes (code, product_id, claimed_by, claimed_at) \
                 VALUES (?1,?2,?3,?4)",
            )?;
            for c in &cat.claim_codes {
                cc.execute(params![c.code, c.product_id, c.claimed_by, c.claimed_at])?;
            }
            let mut it = tx.prepare(&format!(
                "INSERT OR REPLACE INTO items ({ITEM_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
            ))?;
            for i in &cat.items {
                insert_item(&mut it, i)?;
            }
            tx.execute(
                "UPDATE products SET \
                 issued = MAX(issued, (SELECT COUNT(*) FROM items WHERE items.product_id = products.id)), \
                 next_item_id = MAX(next_item_id, 1 + (SELECT COALESCE(MAX(item_id), 0) FROM items \
                   WHERE items.product_id = products.id))",
                [],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    // ------------------------------------------------------------ reads

    pub fn product(&self, id: Uuid) -> Result<(Product, ProductCounters)> {
        load_product(&self.conn, id)
    }

    pub fn products(&self) -> Result<Vec<(Product, ProductCounters)>> {
        let mut st = self
            .conn
            .prepare("SELECT body, issued, next_item_id FROM products ORDER BY name")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (body, issued, next) = row?;
            out.push((
                serde_json::from_str(&body)?,
                ProductCounters {
                    issued: issued as u64,
                    next_item_id: next as u64,
                },
            ));
        }
        Ok(out)
    }

    pub fn events(&self) -> Result<Vec<Event>> {
        let mut st = self.conn.prepare(
            "SELECT id, name, start_date, end_date, location, address, description, reference_id \
             FROM events ORDER BY start_date",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Event {
                id: r.get(0)?,
                name: r.get(1)?,
                start_date: r.get(2)?,
                end_date: r.get(3)?,
                location: r.get(4)?,
                address: r.get(5)?,
                description: r.get(6)?,
                reference_id: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn item(&self, id: Uuid) -> Result<Item> {
        load_item(&self.conn, id)
    }

    pub fn item_by_number(&self, product_id: Uuid, item_id: u64) -> Result<Item> {
        self.conn
            .query_row(
                &format!("SELECT {ITEM_COLS} FROM items WHERE product_id = ?1 AND item_id = ?2"),
                params![product_id, item_id as i64],
                item_from_row,
            )
            .optional()?
            .ok_or_else(|| DeviceError::not_found("item", format!("{product_id} #{item_id}")))
    }

    pub fn customer(&self, r: &RecipientRef) -> Result<Customer> {
        find_customer(&self.conn, r)?.ok_or_else(|| DeviceError::not_found("customer", r))
    }

    pub fn tiers(&self) -> Result<Vec<StatusTier>> {
        load_tiers(&self.conn)
    }

    pub fn reward_offers(&self) -> Result<Vec<RewardOffer>> {
        let mut st = self.conn.prepare("SELECT body FROM reward_offers")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out: Vec<RewardOffer> = Vec::new();
        for b in rows {
            out.push(serde_json::from_str(&b?)?);
        }
        out.sort_by_key(|o| o.order);
        Ok(out)
    }

    /// Earlier redemptions of an item, oldest first.
    pub fn redemptions_of(&self, item: Uuid) -> Result<Vec<RedemptionRecord>> {
        let mut st = self.conn.prepare_cached(
            "SELECT redeemed_at, device_id, gate FROM redemptions WHERE item = ?1 ORDER BY redeemed_at, id",
        )?;
        let rows = st.query_map([item], |r| {
            Ok(RedemptionRecord {
                redeemed_at: r.get(0)?,
                device_id: r.get(1)?,
                gate: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The item's NFT state as head office last reported it (`state`, `chain`,
    /// `tx_hash`, `block_hash`, `error`, ...); `None` when its product does not mint
    /// or nothing has been pulled about it yet.
    pub fn item_nft(&self, item: Uuid) -> Result<Option<serde_json::Value>> {
        let text: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT nft FROM items WHERE id = ?1")?
            .query_row([item], |r| r.get(0))
            .optional()?;
        let Some(text) = text else {
            return Err(DeviceError::not_found("item", item));
        };
        // Head office wrote it; a damaged value is shown as absent rather than failing the screen.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Sales, newest first, optionally of one product.
    pub fn sales(&self, product: Option<Uuid>) -> Result<Vec<Sale>> {
        crate::rows::read_sales(
            &self.conn,
            "?1 IS NULL OR product_id = ?1 ORDER BY created_at DESC, order_number DESC",
            [product],
        )
    }

    /// Totals per product, currency and payment method (exact decimal sums).
    pub fn sales_totals(&self) -> Result<Vec<SalesTotal>> {
        self.sales_totals_in(None)
    }

    /// The same totals over the sales and refunds made in `[from, to)`.
    pub fn sales_totals_in(
        &self,
        range: Option<(Timestamp, Timestamp)>,
    ) -> Result<Vec<SalesTotal>> {
        let inside = |t: Timestamp| range.is_none_or(|(from, to)| t >= from && t < to);
        let names: HashMap<Uuid, String> = self
            .products()?
            .into_iter()
            .map(|(p, _)| (p.id, p.name))
            .collect();
        let mut acc: HashMap<(Uuid, String, String), SalesTotal> = HashMap::new();
        // A split order counts its money under each method; its order and units
        // under its main (card) method only, so per-product figures stay right.
        // A refund in the range of a sale made before it still shows, as money
        // given back that day.
        fn entry<'a>(
            acc: &'a mut HashMap<(Uuid, String, String), SalesTotal>,
            names: &HashMap<Uuid, String>,
            pid: Uuid,
            currency: &str,
            method: &str,
        ) -> &'a mut SalesTotal {
            acc.entry((pid, currency.to_string(), method.to_string()))
                .or_insert_with(|| SalesTotal {
                    product_id: pid,
                    product_name: names.get(&pid).cloned().unwrap_or_default(),
                    currency: currency.to_string(),
                    payment_method: method.to_string(),
                    orders: 0,
                    quantity: 0,
                    total: Decimal::ZERO,
                    refunded_items: 0,
                    refunded: Decimal::ZERO,
                    net: Decimal::ZERO,
                })
        }
        for s in self
            .sales(None)?
            .into_iter()
            .filter(|s| inside(s.created_at))
        {
            for part in s.paid_by() {
                let main = part.method == s.payment_method;
                let e = entry(
                    &mut acc,
                    &names,
                    s.product_id,
                    &s.currency,
                    part.method.as_str(),
                );
                e.orders += u64::from(main);
                e.quantity += if main { u64::from(s.quantity) } else { 0 };
                e.total += part.amount;
            }
        }
        for r in self.refunds()?.into_iter().filter(|r| inside(r.created_at)) {
            for part in r.paid_by() {
                let e = entry(
                    &mut acc,
                    &names,
                    r.product_id,
                    &r.currency,
                    part.method.as_str(),
                );
                if part.method == r.payment_method {
                    e.refunded_items += r.item_ids.len() as u64;
                }
                e.refunded += part.amount;
            }
        }
        for e in acc.values_mut() {
            e.net = e.total - e.refunded;
        }
        let mut v: Vec<_> = acc.into_values().collect();
        v.sort_by(|a, b| {
            (&a.product_name, &a.currency, &a.payment_method).cmp(&(
                &b.product_name,
                &b.currency,
                &b.payment_method,
            ))
        });
        Ok(v)
    }

    /// The outbox in upload order.
    pub fn outbox(&self) -> Result<Vec<OutboxOp>> {
        outbox::list(&self.conn)
    }

    pub fn outbox_len(&self) -> Result<u64> {
        outbox::len(&self.conn)
    }

    /// Refused unless the signed-in staff member's role may do `action` (no staff
    /// member: the device's own act, e.g. a stand-alone script).
    pub fn authorize(&self, action: Action) -> Result<()> {
        let Some(id) = self.staff_id else {
            return Ok(());
        };
        match staff_role(&self.conn, id)? {
            Some(role) => Ok(role.require(action)?),
            None => Err(DeviceError::Rule(DomainError::Forbidden {
                role: "unknown",
                action: action.as_str(),
            })),
        }
    }
}
