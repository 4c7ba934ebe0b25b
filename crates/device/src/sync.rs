//! Sync with head office (DESIGN.md §4): enrollment, push of the outbox (ops deleted
//! only once head office has answered for them, in one transaction), pull of the
//! change sequence page by page (each page and the cursor in one transaction), stock
//! allotments for offline sales, and a background loop that finds out by itself
//! whether head office is reachable, retries with exponential backoff and jitter,
//! and publishes its status on a `tokio::sync::watch` channel.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use uuid::Uuid;
use wicket_domain::{
    Allotment, ClaimCode, Customer, Event, Item, PlannedItem, Product, ProductCounters,
    RewardOffer, Sale, StatusTier, Timestamp,
};

use crate::error::DeviceError;
use crate::replica::{OutboxOp, Replica, load_product};

/// The replica shared between the UI (or CLI) and the sync engine.
pub type SharedReplica = Arc<Mutex<Replica>>;

/// Operations per push request.
pub const PUSH_BATCH: usize = 1_000;
/// Changes per pull page.
pub const PULL_PAGE: u32 = 5_000;

/// Why a sync step failed; `code()` is stable.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this device is not enrolled with a head office (run `wicket enroll`)")]
    NotEnrolled,
    #[error("head office unreachable: {0}")]
    Network(String),
    #[error("head office answered {status}: {message}")]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    #[error("unexpected answer from head office: {0}")]
    Protocol(String),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("background task failed: {0}")]
    Task(String),
}

impl SyncError {
    pub fn code(&self) -> &str {
        match self {
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::Network(_) => "offline",
            SyncError::Http { code, .. } => code,
            SyncError::Protocol(_) => "protocol",
            SyncError::Device(d) => d.code(),
            SyncError::Task(_) => "task",
        }
    }

    /// Worth retrying later: the network, a server error, a cut response.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Network(_) | SyncError::Protocol(_) | SyncError::Task(_) => true,
            SyncError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Device(DeviceError::Db(e))
    }
}

type SResult<T> = std::result::Result<T, SyncError>;

// ------------------------------------------------------------------ wire

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollOut {
    pub device_id: Uuid,
    pub credential: String,
    pub headoffice_key: String,
}

/// Head office's answer for one op: `applied | duplicate | conflict | rejected`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpResult {
    pub op_id: Uuid,
    pub status: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PushOut {
    results: Vec<OpResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub key: String,
    pub data: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullPage {
    pub changes: Vec<Change>,
    pub next: i64,
    pub more: bool,
    pub remaining: Option<u64>,
}

/// Bytes a client sent and received on the wire (HTTP bodies, as transmitted).
#[derive(Debug, Default)]
pub struct WireBytes {
    pub sent: AtomicU64,
    pub received: AtomicU64,
}

/// HTTP client for head office's sync endpoints. Bodies are gzip-compressed both
/// ways when `gzip` is on; it counts the bytes it moves.
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    credential: Option<String>,
    gzip: bool,
    pub bytes: WireBytes,
}

impl SyncClient {
    pub fn new(base: &str, credential: Option<String>) -> SResult<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Ok(SyncClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            credential,
            gzip: true,
            bytes: WireBytes::default(),
        })
    }

    pub fn set_gzip(&mut self, on: bool) {
        self.gzip = on;
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> SResult<T> {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.credential {
            rb = rb.bearer_auth(c);
        }
        if self.gzip {
            rb = rb.header(reqwest::header::ACCEPT_ENCODING, "gzip");
        }
        if let Some(b) = body {
            let json = serde_json::to_vec(b).map_err(|e| SyncError::Protocol(e.to_string()))?;
            let bytes = if self.gzip {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&json)
                    .and_then(|_| enc.finish())
                    .map_err(|e| SyncError::Protocol(e.to_string()))?
            } else {
                json
            };
            self.bytes
                .sent
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
            if self.gzip {
                rb = rb.header(reqwest::header::CONTENT_ENCODING, "gzip");
            }
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        let status = resp.status();
        let gz = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let raw = resp
            .bytes()
            .await
            .map_err(|e| SyncError::Network(format!("response cut: {e}")))?;
        self.bytes
            .received
            .fetch_add(raw.len() as u64, Ordering::Relaxed);
        let body = if gz {
            let mut out = Vec::with_capacity(raw.len() * 8);
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|e| SyncError::Protocol(format!("bad gzip body: {e}")))?;
            out
        } else {
            raw.to_vec()
        };
        if !status.is_success() {
            let first = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["errors"][0].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            let code = first.split(':').next().unwrap_or("http").trim().to_string();
            return Err(SyncError::Http {
                status: status.as_u16(),
                code,
                message: first,
            });
        }
        serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    pub async fn enroll(
        &self,
        code: &str,
        name: &str,
        public_key: &str,
        device_id: Uuid,
    ) -> SResult<EnrollOut> {
        self.call(
            reqwest::Method::POST,
            "/v1/devices/enroll",
            Some(&serde_json::json!({"code": code, "name": name, "public_key": public_key, "device_id": device_id})),
        )
        .await
    }

    pub async fn push(&self, ops: &[OutboxOp]) -> SResult<Vec<OpResult>> {
        let out: PushOut = self
            .call(
                reqwest::Method::POST,
                "/v1/sync/push",
                Some(&serde_json::json!({ "ops": ops })),
            )
            .await?;
        Ok(out.results)
    }

    pub async fn pull(&self, since: i64, limit: u32, count: bool) -> SResult<PullPage> {
        self.call(
            reqwest::Method::GET,
            &format!("/v1/sync/pull?since={since}&limit={limit}&count={count}"),
            None::<&()>,
        )
        .await
    }

    pub async fn allot(
        &self,
        product: Uuid,
        units: u64,
        ttl_secs: Option<i64>,
    ) -> SResult<Allotment> {
        self.call(
            reqwest::Method::POST,
            "/v1/sync/allotments",
            Some(&serde_json::json!({"product_id": product, "units": units, "ttl_secs": ttl_secs})),
        )
        .await
    }

    pub async fn release(&self, id: Uuid) -> SResult<u64> {
        let v: Value = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/sync/allotments/{id}/release"),
                Some(&serde_json::json!({})),
            )
            .await?;
        v["returned_units"]
            .as_u64()
            .ok_or_else(|| SyncError::Protocol("release answer without returned_units".into()))
    }
}

// ------------------------------------------------------------------ status

/// What the app shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub online: bool,
    pub syncing: bool,
    pub pending_ops: u64,
    pub last_sync: Option<Timestamp>,
    pub cursor: i64,
    pub conflicts: u64,
    /// Progress of the pull in flight (changes applied / changes to apply).
    pub pull_done: u64,
    pub pull_total: u64,
    pub last_error: Option<String>,
}

/// A conflict or rejection head office reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRecord {
    pub id: Uuid,
    pub op_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub kind: String,
    pub item: Option<Uuid>,
    pub code: String,
    pub detail: String,
    pub at: Timestamp,
    /// `conflict` or `rejected`.
    pub source: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSummary {
    pub sent: u64,
    pub applied: u64,
    pub duplicate: u64,
    pub conflict: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSummary {
    pub pages: u64,
    pub changes: u64,
    pub cursor: i64,
}

fn meta_get(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

fn meta_set(c: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(())
}

fn is_enrolled(c: &Connection) -> rusqlite::Result<bool> {
    Ok(meta_get(c, "ho_url")?.is_some())
}

fn corrupt(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Corrupt(e.to_string())
}

const ALLOT_COLS: &str = "id, product_id, units, used, first_item_id, expires_at";

fn allot_row(device: Uuid) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<Allotment> {
    move |r| {
        Ok(Allotment {
            id: r.get(0)?,
            product_id: r.get(1)?,
            device_id: device,
            units: r.get::<_, i64>(2)? as u64,
            used: r.get::<_, i64>(3)? as u64,
            first_item_id: r.get::<_, i64>(4)? as u64,
            expires_at: r.get(5)?,
        })
    }
}

/// The product and counters an issue or sale is planned against. A device enrolled
/// with head office sells only from a live allotment (none: no stock to sell); a
/// stand-alone replica uses the product's own counters.
pub(crate) fn load_product_for_issue(
    conn: &Connection,
    id: Uuid,
    now: Timestamp,
) -> crate::Result<(Product, ProductCounters)> {
    let (p, c) = load_product(conn, id)?;
    if !is_enrolled(conn)? {
        return Ok((p, c));
    }
    let a = conn
        .prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE product_id = ?1 AND released = 0 \
             AND expires_at > ?2 AND used < units ORDER BY first_item_id LIMIT 1"
        ))?
        .query_row(params![id, now], allot_row(Uuid::nil()))
        .optional()?;
    Ok(match a {
        Some(a) => a.issue_view(&p),
        None => {
            let mut none = p.clone();
            none.stock = Some(0);
            none.max_items = None;
            (
                none,
                ProductCounters {
                    issued: 0,
                    next_item_id: c.next_item_id,
                },
            )
        }
    })
}

/// After items were planned from an allotment, count them against it. Returns false
/// when no allotment is involved (the caller then advances the product counters).
pub(crate) fn take_from_allotment(
    tx: &Transaction<'_>,
    product: Uuid,
    plan: &[PlannedItem],
) -> crate::Result<bool> {
    let Some(first) = plan.first() else {
        return Ok(false);
    };
    if !is_enrolled(tx)? {
        return Ok(false);
    }
    let n = tx
        .prepare_cached(
            "UPDATE allotments SET used = used + ?3 WHERE product_id = ?1 AND released = 0 \
             AND first_item_id <= ?2 AND first_item_id + units > ?2 AND used + ?3 <= units",
        )?
        .execute(params![product, first.item_id as i64, plan.len() as i64])?;
    Ok(n == 1)
}

/// One item row as the checksum sees it.
pub type ItemKey = (Uuid, Uuid, u64, Uuid, u32, bool);

/// SHA-256 over items (id, product, item_id, owner, redemption_count, revoked),
/// sorted by id: equal on two replicas when they hold the same items.
pub fn checksum_items(mut rows: Vec<ItemKey>) -> String {
    rows.sort_by_key(|r| r.0);
    let mut h = Sha256::new();
    for (id, p, n, o, c, rv) in &rows {
        h.update(id.as_bytes());
        h.update(p.as_bytes());
        h.update(n.to_le_bytes());
        h.update(o.as_bytes());
        h.update(c.to_le_bytes());
        h.update([u8::from(*rv)]);
    }
    format!("{}:{}", rows.len(), hex::encode(h.finalize()))
}

impl Replica {
    /// Head office URL and credential, once enrolled.
    pub fn sync_config(&self) -> crate::Result<Option<(String, String)>> {
        Ok(
            match (
                meta_get(&self.conn, "ho_url")?,
                meta_get(&self.conn, "ho_credential")?,
            ) {
                (Some(u), Some(c)) => Some((u, c)),
                _ => None,
            },
        )
    }

    pub fn pull_cursor(&self) -> crate::Result<i64> {
        Ok(meta_get(&self.conn, "pull_cursor")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub fn last_sync(&self) -> crate::Result<Option<Timestamp>> {
        Ok(meta_get(&self.conn, "last_sync")?.and_then(|v| v.parse().ok()))
    }

    /// Conflicts and rejections head office reported, newest first.
    pub fn sync_conflicts(&self) -> crate::Result<Vec<ConflictRecord>> {
        let mut st = self.conn.prepare(
            "SELECT id, op_id, device_id, kind, item, code, detail, at, source FROM sync_conflicts ORDER BY at DESC, id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(ConflictRecord {
                id: r.get(0)?,
                op_id: r.get(1)?,
                device_id: r.get(2)?,
                kind: r.get(3)?,
                item: r.get(4)?,
                code: r.get(5)?,
                detail: r.get(6)?,
                at: r.get(7)?,
                source: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// This device's allotments that are not released.
    pub fn allotments(&self) -> crate::Result<Vec<Allotment>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE released = 0 ORDER BY first_item_id"
        ))?;
        let rows = st.query_map([], allot_row(self.device_id))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Checksum of every item in the replica (see [`checksum_items`]).
    pub fn items_checksum(&self) -> crate::Result<String> {
        let mut st = self.conn.prepare(
            "SELECT id, product_id, item_id, owner_id, redemption_count, revoked FROM items",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)? as u64,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        Ok(checksum_items(rows.collect::<rusqlite::Result<_>>()?))
    }

    /// A local status snapshot (no network).
    pub fn sync_status(&self) -> crate::Result<SyncStatus> {
        let conflicts: i64 =
            self.conn
                .query_row("SELECT COUNT(*) FROM sync_conflicts", [], |r| r.get(0))?;
        Ok(SyncStatus {
            enrolled: is_enrolled(&self.conn)?,
            pending_ops: self.outbox_len()?,
            last_sync: self.last_sync()?,
            cursor: self.pull_cursor()?,
            conflicts: conflicts as u64,
            ..SyncStatus::default()
        })
    }

    fn outbox_batch(&self, n: usize) -> crate::Result<Vec<OutboxOp>> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, op_id, device_id, staff_id, device_time, kind, payload FROM outbox ORDER BY seq LIMIT ?1",
        )?;
        let rows = st.query_map([n as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Uuid>(1)?,
                r.get::<_, Uuid>(2)?,
                r.get::<_, Option<Uuid>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, op_id, device_id, staff_id, device_time, kind, payload) = row?;
            out.push(OutboxOp {
                seq,
                op_id,
                device_id,
                staff_id,
                device_time,
                kind,
                payload: serde_json::from_str(&payload)?,
            });
        }
        Ok(out)
    }

    /// Head office answered for these ops: drop them from the outbox and keep its
    /// rejections for review, in one transaction.
    fn settle(&mut self, sent: &[OutboxOp], results: &[OpResult]) -> crate::Result<PushSummary> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let mut s = PushSummary {
            sent: sent.len() as u64,
            ..PushSummary::default()
        };
        for r in results {
            let Some(op) = sent.iter().find(|o| o.op_id == r.op_id) else {
                continue;
            };
            match r.status.as_str() {
                "applied" => s.applied += 1,
                "duplicate" => s.duplicate += 1,
                "conflict" => s.conflict += 1,
                "rejected" => {
                    s.rejected += 1;
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at, source) \
                         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'rejected')",
                    )?
                    .execute(params![
                        op.op_id,
                        op.device_id,
                        op.kind,
                        op.payload.get("item").and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok()),
                        r.code.clone().unwrap_or_default(),
                        r.message.clone().unwrap_or_default(),
                        now
                    ])?;
                    tracing::warn!(op = %op.op_id, kind = %op.kind, code = ?r.code, "head office rejected an operation");
                }
                other => {
                    return Err(DeviceError::Corrupt(format!("unknown op status {other:?}")));
                }
            }
            tx.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?
                .execute([r.op_id])?;
        }
        tx.commit()?;
        Ok(s)
    }

    /// Apply one pulled page and advance the cursor, in one transaction. Items and
    /// customers that pending local operations touch keep their local state until
    /// head office has those operations (it then sends them again).
    pub fn apply_pull_page(&mut self, page: &PullPage) -> crate::Result<()> {
        let protected = pending_refs(&self.conn)?;
        // Pages arrive in change order, not dependency order (an item may come before
        // its owner's latest change), so foreign keys are checked by head office.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let r = apply_page_tx(&mut self.conn, page, &protected);
        let on = self.conn.pragma_update(None, "foreign_keys", "ON");
        r?;
        on?;
        Ok(())
    }
}

/// Items and customers named by operations still in the outbox.
fn pending_refs(c: &Connection) -> crate::Result<HashSet<Uuid>> {
    let mut out = HashSet::new();
    let mut st = c.prepare_cached("SELECT payload FROM outbox")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    let id = |v: &Value| v.as_str().and_then(|s| Uuid::parse_str(s).ok());
    for p in rows {
        let v: Value = serde_json::from_str(&p?)?;
        for k in ["item", "customer", "from", "to"] {
            if let Some(u) = v.get(k).and_then(id) {
                out.insert(u);
            }
        }
        if let Some(a) = v.get("items").and_then(Value::as_array) {
            out.extend(a.iter().filter_map(|i| i.get("id").and_then(id)));
        }
        if let Some(s) = v.get("sale") {
            out.extend(s.get("buyer_id").and_then(id));
        }
    }
    Ok(out)
}

fn uuid_key(key: &str) -> crate::Result<Uuid> {
    Uuid::parse_str(key).map_err(|e| corrupt(format!("change key {key:?}: {e}")))
}

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> crate::Result<T> {
    T::deserialize(v).map_err(corrupt)
}

fn apply_page_tx(
    conn: &mut Connection,
    page: &PullPage,
    protected: &HashSet<Uuid>,
) -> crate::Result<()> {
    let tx = conn.transaction()?;
    for ch in &page.changes {
        apply_change(&tx, ch, protected)?;
    }
    meta_set(&tx, "pull_cursor", &page.next.to_string())?;
    tx.commit()?;
    Ok(())
}

fn apply_change(tx: &Transaction<'_>, ch: &Change, protected: &HashSet<Uuid>) -> crate::Result<()> {
    let data = ch.data.as_ref();
    match ch.entity.as_str() {
        "item" => {
            let id = uuid_key(&ch.key)?;
            if protected.contains(&id) {
                return Ok(());
            }
            match data {
                None => {
                    tx.prepare_cached("DELETE FROM items WHERE id = ?1")?
                        .execute([id])?;
                }
                Some(d) => {
                    let i: Item = from(d)?;
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO items (id, product_id, item_id, owner_id, redemption_count, \
                         redemption_quantity, redeemed_at, origin, revoked, created_at, nft) \
                         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                    )?
                    .execute(params![
                        i.id,
                        i.product_id,
                        i.item_id as i64,
                        i.owner_id,
                        i.redemption_count,
                        i.redemption_quantity,
                        i.redeemed_at,
                        i.origin.as_str(),
                        i.revoked,
                        i.created_at,
                        d.get("nft").filter(|v| !v.is_null()).map(|v| v.to_string())
                    ])?;
                }
            }
        }
        "customer" => {
            let id = uuid_key(&ch.key)?;
            if protected.contains(&id) {
                return Ok(());
            }
            match data {
                None => {
                    tx.execute("DELETE FROM customers WHERE id = ?1", [id])?;
                }
                Some(d) => {
                    let c: Customer = from(d)?;
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO customers (id, email, first_name, last_name, reputation, credits, \
                         status_balance, country) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                    )?
                    .execute(params![
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
            }
        }
        "product" => {
            let id = uuid_key(&ch.key)?;
            match data {
                None => {
                    tx.execute("DELETE FROM products WHERE id = ?1", [id])?;
                }
                Some(d) => {
                    let p: Product = from(&d["product"])?;
                    let issued = d["issued"].as_i64().unwrap_or(0);
                    let next = d["next_item_id"].as_i64().unwrap_or(1);
                    tx.prepare_cached(
                        "INSERT INTO products (id, event_id, name, body, issued, next_item_id) VALUES (?1,?2,?3,?4,?5,?6) \
                         ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, name = excluded.name, \
                         body = excluded.body, issued = excluded.issued, next_item_id = excluded.next_item_id",
                    )?
                    .execute(params![
                        p.id,
                        p.event_id,
                        p.name,
                        serde_json::to_string(&p)?,
                        issued,
                        next
                    ])?;
                }
            }
        }
        "event" => match data {
            None => {
                tx.execute("DELETE FROM events WHERE id = ?1", [uuid_key(&ch.key)?])?;
            }
            Some(d) => {
                let e: Event = from(d)?;
                tx.execute(
                    "INSERT OR REPLACE INTO events (id, name, start_date, end_date, location, address, description, \
                     reference_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                    params![
                        e.id,
                        e.name,
                        e.start_date,
                        e.end_date,
                        e.location,
                        e.address,
                        e.description,
                        e.reference_id
                    ],
                )?;
            }
        },
        "tier" => match data {
            None => {
                let id: i64 = ch.key.parse().map_err(corrupt)?;
                tx.execute("DELETE FROM status_tiers WHERE id = ?1", [id])?;
            }
            Some(d) => {
                let t: StatusTier = from(d)?;
                tx.execute(
                    "INSERT OR REPLACE INTO status_tiers (id, body) VALUES (?1, ?2)",
                    params![t.id, serde_json::to_string(&t)?],
                )?;
            }
        },
        "reward_offer" => match data {
            None => {
                tx.execute(
                    "DELETE FROM reward_offers WHERE id = ?1",
                    [uuid_key(&ch.key)?],
                )?;
            }
            Some(d) => {
                let o: RewardOffer = from(d)?;
                tx.execute(
                    "INSERT OR REPLACE INTO reward_offers (id, body) VALUES (?1, ?2)",
                    params![o.id, serde_json::to_string(&o)?],
                )?;
            }
        },
        "claim_code" => match data {
            None => {
                tx.execute(
                    "DELETE FROM claim_codes WHERE code = ?1",
                    [uuid_key(&ch.key)?],
                )?;
            }
            Some(d) => {
                let c: ClaimCode = from(d)?;
                tx.execute(
                    "INSERT OR REPLACE INTO claim_codes (code, product_id, claimed_by, claimed_at) VALUES (?1,?2,?3,?4)",
                    params![c.code, c.product_id, c.claimed_by, c.claimed_at],
                )?;
            }
        },
        "staff" => match data {
            None => {
                tx.execute(
                    "UPDATE staff SET active = 0 WHERE id = ?1",
                    [uuid_key(&ch.key)?],
                )?;
            }
            Some(d) => {
                let id: Uuid = from(&d["id"])?;
                tx.execute(
                    "INSERT OR REPLACE INTO staff (id, name, role, pin_hash, active) VALUES (?1,?2,?3,?4,?5)",
                    params![
                        id,
                        d["name"].as_str().unwrap_or_default(),
                        d["role"].as_str().unwrap_or("door"),
                        d["pin_hash"].as_str().unwrap_or_default(),
                        d["active"].as_bool().unwrap_or(false)
                    ],
                )?;
            }
        },
        "trusted_key" => {
            if let Some(d) = data {
                let bytes: [u8; 32] = d["public_key"]
                    .as_str()
                    .and_then(|h| hex::decode(h).ok())
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| corrupt("trusted key is not 32 hex bytes"))?;
                let key = wicket_ticket::VerifyingKey::from_bytes(&bytes).map_err(corrupt)?;
                let kid = wicket_ticket::key_id(&key);
                tx.execute(
                    "INSERT INTO trusted_keys (key_id, public_key, owner, revoked_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key, owner = excluded.owner, \
                     revoked_at = excluded.revoked_at",
                    params![
                        kid.0.to_vec(),
                        bytes.to_vec(),
                        d["owner"].as_str().unwrap_or("unknown"),
                        d["revoked_at"].as_i64()
                    ],
                )?;
            }
        }
        "revocation" => {
            let item = uuid_key(&ch.key)?;
            match data {
                None => {
                    tx.execute("DELETE FROM revocations WHERE item = ?1", [item])?;
                }
                Some(d) => {
                    tx.execute(
                        "INSERT OR REPLACE INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3)",
                        params![item, d["revoked_at"].as_i64().unwrap_or(0), d["reason"].as_str()],
                    )?;
                    tx.execute("UPDATE items SET revoked = 1 WHERE id = ?1", [item])?;
                }
            }
        }
        "conflict" => {
            if let Some(d) = data {
                let opt = |k: &str| d[k].as_str().and_then(|s| Uuid::parse_str(s).ok());
                tx.execute(
                    "INSERT OR REPLACE INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at, source) \
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,'conflict')",
                    params![
                        uuid_key(&ch.key)?,
                        opt("op_id"),
                        opt("device_id"),
                        d["kind"].as_str().unwrap_or_default(),
                        opt("item"),
                        d["code"].as_str().unwrap_or_default(),
                        d["detail"].as_str().unwrap_or_default(),
                        d["at"].as_i64().unwrap_or(0)
                    ],
                )?;
            }
        }
        "redemption" => {
            if let Some(d) = data {
                let opt = |k: &str| d[k].as_str().and_then(|s| Uuid::parse_str(s).ok());
                let item = opt("item").ok_or_else(|| corrupt("redemption without item"))?;
                let device = opt("device_id").unwrap_or_else(Uuid::nil);
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO redemptions (id, item, redeemed_at, device_id, staff_id, gate) VALUES (?1,?2,?3,?4,?5,?6)",
                )?
                .execute(params![
                    uuid_key(&ch.key)?,
                    item,
                    d["redeemed_at"].as_i64().unwrap_or(0),
                    device,
                    opt("staff_id"),
                    d["gate"].as_str()
                ])?;
            }
        }
        "sale" => match data {
            None => {
                tx.execute("DELETE FROM sales WHERE id = ?1", [uuid_key(&ch.key)?])?;
            }
            Some(d) => {
                let s: Sale = from(d)?;
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO sales (id, order_number, product_id, quantity, currency, unit_price, discount, \
                     total, payment_method, buyer_id, device_id, staff_id, created_at, item_ids) \
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                )?
                .execute(params![
                    s.id,
                    s.order_number,
                    s.product_id,
                    s.quantity,
                    s.currency,
                    s.unit_price.to_string(),
                    s.discount.to_string(),
                    s.total.to_string(),
                    s.payment_method.as_str(),
                    s.buyer_id,
                    s.device_id,
                    s.staff_id,
                    s.created_at,
                    serde_json::to_string(&s.item_ids)?
                ])?;
            }
        },
        other => {
            tracing::debug!(entity = other, "ignoring change of an unknown entity");
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ engine

/// Run `f` on the replica on the blocking pool.
async fn with_replica<T, F>(replica: &SharedReplica, f: F) -> SResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Replica) -> crate::Result<T> + Send + 'static,
{
    let r = Arc::clone(replica);
    tokio::task::spawn_blocking(move || {
        let mut guard = r
            .lock()
            .map_err(|_| SyncError::Task("replica lock poisoned".into()))?;
        f(&mut guard).map_err(SyncError::from)
    })
    .await
    .map_err(|e| SyncError::Task(e.to_string()))?
}

/// Enroll this device with head office using a one-time code: stores head office's
/// URL and the device credential in `meta`, and trusts head office's ticket key.
pub async fn enroll(replica: &SharedReplica, url: &str, code: &str, name: &str) -> SResult<Uuid> {
    let (device_id, pk) = with_replica(replica, |r| {
        Ok((r.device_id(), hex::encode(r.public_key().to_bytes())))
    })
    .await?;
    let client = SyncClient::new(url, None)?;
    let out = client.enroll(code, name, &pk, device_id).await?;
    if out.device_id != device_id {
        return Err(SyncError::Protocol(format!(
            "head office enrolled device {} instead of {device_id}",
            out.device_id
        )));
    }
    let url = url.trim_end_matches('/').to_string();
    with_replica(replica, move |r| {
        let bytes: [u8; 32] = hex::decode(&out.headoffice_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt("head office key is not 32 hex bytes"))?;
        let key = wicket_ticket::VerifyingKey::from_bytes(&bytes).map_err(corrupt)?;
        let tx = r.conn.transaction()?;
        meta_set(&tx, "ho_url", &url)?;
        meta_set(&tx, "ho_credential", &out.credential)?;
        tx.commit()?;
        r.trust_key(&key, "headoffice")?;
        Ok(())
    })
    .await?;
    tracing::info!(%device_id, "enrolled with head office");
    Ok(device_id)
}

/// The sync engine of one replica.
pub struct SyncEngine {
    replica: SharedReplica,
    client: SyncClient,
    status: watch::Sender<SyncStatus>,
    round: tokio::sync::Mutex<()>,
    /// One top-up at a time: a second one then sees the first's allotments.
    topping_up: tokio::sync::Mutex<()>,
    pub push_batch: usize,
    pub pull_page: u32,
    /// Units of each product on sale that [`SyncEngine::run`] keeps reserved for
    /// offline sales after every good round (0: none, the default).
    pub allot_units: u64,
}

impl SyncEngine {
    /// An engine for an enrolled replica.
    pub async fn new(replica: SharedReplica) -> SResult<Self> {
        let (cfg, st) =
            with_replica(&replica, |r| Ok((r.sync_config()?, r.sync_status()?))).await?;
        let (url, cred) = cfg.ok_or(SyncError::NotEnrolled)?;
        let (status, _) = watch::channel(st);
        Ok(SyncEngine {
            replica,
            client: SyncClient::new(&url, Some(cred))?,
            status,
            round: tokio::sync::Mutex::new(()),
            topping_up: tokio::sync::Mutex::new(()),
            push_batch: PUSH_BATCH,
            pull_page: PULL_PAGE,
            allot_units: 0,
        })
    }

    pub fn set_gzip(&mut self, on: bool) {
        self.client.set_gzip(on);
    }

    pub fn client(&self) -> &SyncClient {
        &self.client
    }

    pub fn replica(&self) -> &SharedReplica {
        &self.replica
    }

    /// Status updates for the UI.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    fn update(&self, f: impl FnOnce(&mut SyncStatus)) {
        self.status.send_modify(f);
    }

    async fn refresh_local(&self) -> SResult<()> {
        let st = with_replica(&self.replica, |r| r.sync_status()).await?;
        self.update(|s| {
            s.enrolled = st.enrolled;
            s.pending_ops = st.pending_ops;
            s.last_sync = st.last_sync;
            s.cursor = st.cursor;
            s.conflicts = st.conflicts;
        });
        Ok(())
    }

    fn note<T>(&self, r: SResult<T>) -> SResult<T> {
        match &r {
            Ok(_) => self.update(|s| {
                s.online = true;
                s.last_error = None;
            }),
            Err(e) => {
                let transient = e.is_transient();
                let msg = format!("{}: {e}", e.code());
                self.update(|s| {
                    if transient {
                        s.online = false;
                    }
                    s.last_error = Some(msg);
                });
            }
        }
        r
    }

    /// Upload the whole outbox, batch by batch.
    pub async fn push(&self) -> SResult<PushSummary> {
        let mut total = PushSummary::default();
        loop {
            let n = self.push_batch;
            let batch = with_replica(&self.replica, move |r| r.outbox_batch(n)).await?;
            if batch.is_empty() {
                break;
            }
            let results = self.note(self.client.push(&batch).await)?;
            if results.len() != batch.len() {
                return Err(SyncError::Protocol(format!(
                    "{} answers for {} ops",
                    results.len(),
                    batch.len()
                )));
            }
            let s = with_replica(&self.replica, move |r| r.settle(&batch, &results)).await?;
            total.sent += s.sent;
            total.applied += s.applied;
            total.duplicate += s.duplicate;
            total.conflict += s.conflict;
            total.rejected += s.rejected;
            self.refresh_local().await?;
        }
        Ok(total)
    }

    /// Pull every change since the cursor, page by page.
    pub async fn pull(&self, progress: impl Fn(u64, u64)) -> SResult<PullSummary> {
        let mut cursor = with_replica(&self.replica, |r| r.pull_cursor()).await?;
        let mut sum = PullSummary {
            cursor,
            ..PullSummary::default()
        };
        let mut page = self.note(self.client.pull(cursor, self.pull_page, true).await)?;
        let total = page.remaining.unwrap_or(0);
        loop {
            let n = page.changes.len() as u64;
            let more = page.more && n > 0;
            let next = page.next;
            let apply = async {
                if n == 0 {
                    return Ok(());
                }
                let page = Arc::new(page);
                with_replica(&self.replica, move |r| r.apply_pull_page(&page)).await
            };
            // Fetch the next page while this one is written: head office and the
            // device's SQLite then work at the same time. The cursor only moves once
            // a page is committed, so a failure on either side loses nothing.
            let fetched = if more {
                let (applied, fetched) =
                    tokio::join!(apply, self.client.pull(next, self.pull_page, false));
                applied?;
                Some(fetched)
            } else {
                apply.await?;
                None
            };
            cursor = next;
            sum.pages += 1;
            sum.changes += n;
            sum.cursor = cursor;
            let done = sum.changes;
            self.update(|s| {
                s.pull_done = done;
                s.pull_total = total.max(done);
                s.cursor = cursor;
            });
            progress(done, total.max(done));
            match fetched {
                Some(f) => page = self.note(f)?,
                None => break,
            }
        }
        Ok(sum)
    }

    /// One round: push, then pull; records the time of the last successful sync.
    pub async fn sync_once(
        &self,
        progress: impl Fn(u64, u64),
    ) -> SResult<(PushSummary, PullSummary)> {
        let _one = self.round.lock().await;
        self.update(|s| s.syncing = true);
        let r = async {
            let pushed = self.push().await?;
            let pulled = self.pull(progress).await?;
            with_replica(&self.replica, |r| {
                let now = r.now();
                meta_set(&r.conn, "last_sync", &now.to_string())?;
                Ok(())
            })
            .await?;
            Ok((pushed, pulled))
        }
        .await;
        self.update(|s| s.syncing = false);
        self.refresh_local().await?;
        r
    }

    /// Reserve `units` of a product for offline sales (needs head office).
    pub async fn reserve(
        &self,
        product: Uuid,
        units: u64,
        ttl_secs: Option<i64>,
    ) -> SResult<Allotment> {
        let a = self.note(self.client.allot(product, units, ttl_secs).await)?;
        with_replica(&self.replica, move |r| {
            r.conn.execute(
                "INSERT OR REPLACE INTO allotments (id, product_id, units, used, first_item_id, expires_at, released) \
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, 0)",
                params![a.id, a.product_id, a.units as i64, a.first_item_id as i64, a.expires_at],
            )?;
            Ok(())
        })
        .await?;
        Ok(a)
    }

    /// Keep stock to sell offline: for every product on sale whose live allotments
    /// hold fewer than half of `units` unsold, reserve `units` more (no more than head
    /// office has left, as far as this replica knows). A product head office refuses
    /// is logged and tried again next time; the answer is the units granted.
    pub async fn top_up_allotments(&self, units: u64) -> SResult<u64> {
        if units == 0 {
            return Ok(0);
        }
        let _one = self.topping_up.lock().await;
        let wanted = with_replica(&self.replica, move |r| {
            let now = r.now();
            let live = r.allotments()?;
            let mut out = Vec::new();
            for (p, c) in r.products()? {
                if wicket_domain::check_available(&p, now).is_err() {
                    continue;
                }
                let left: u64 = live
                    .iter()
                    .filter(|a| a.product_id == p.id && !a.is_expired(now))
                    .map(|a| a.units_left())
                    .sum();
                if left >= units.div_ceil(2) {
                    continue;
                }
                let ask = p
                    .issue_cap()
                    .map_or(units, |cap| units.min(cap.saturating_sub(c.issued)));
                if ask > 0 {
                    out.push((p.id, ask));
                }
            }
            Ok(out)
        })
        .await?;
        let mut granted = 0;
        for (product, n) in wanted {
            match self.reserve(product, n, None).await {
                Ok(a) => granted += a.units,
                Err(e) => {
                    tracing::warn!(%product, code = e.code(), error = %e, "could not reserve stock for offline sales");
                }
            }
        }
        Ok(granted)
    }

    /// Give an allotment's unused units back: first push what was sold from it, then
    /// stop using it locally, then tell head office.
    pub async fn release(&self, id: Uuid) -> SResult<u64> {
        let _one = self.round.lock().await;
        self.push().await?;
        with_replica(&self.replica, move |r| {
            r.conn
                .execute("UPDATE allotments SET released = 1 WHERE id = ?1", [id])?;
            Ok(())
        })
        .await?;
        self.note(self.client.release(id).await)
    }

    /// Sync in the background until `shutdown` turns true: a round every `interval`
    /// while head office answers; after a failure, exponential backoff with jitter.
    pub async fn run(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        use backon::BackoffBuilder;
        let new_backoff = || {
            backon::ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(60))
                .with_jitter()
                .without_max_times()
                .build()
        };
        let mut backoff = new_backoff();
        loop {
            let wait = match self.sync_once(|_, _| {}).await {
                Ok((pushed, pulled)) => {
                    tracing::debug!(?pushed, ?pulled, "sync round done");
                    if let Err(e) = self.top_up_allotments(self.allot_units).await {
                        tracing::warn!(code = e.code(), error = %e, "allotment top-up failed");
                    }
                    backoff = new_backoff();
                    interval
                }
                Err(e) => {
                    let wait = backoff.next().unwrap_or(Duration::from_secs(60));
                    tracing::warn!(code = e.code(), error = %e, ?wait, "sync round failed");
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                r = shutdown.changed() => {
                    if r.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    }
}
