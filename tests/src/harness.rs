//! The head office and device fixtures the cross-part tests share.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_device::Replica;
use wicket_device::sync::{self, SharedReplica, SyncEngine, checksum_items};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqliteStore, Store, keys};

pub struct Ho {
    pub base: String,
    pub write: String,
    pub db: PathBuf,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// Dropping it stops the in-process server.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Head office in this process.
pub async fn start_ho() -> Ho {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ho.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).expect("open store"));
    let write = keys::create_key(store.as_ref(), Scope::Write)
        .await
        .expect("write key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = wicket_headoffice::serve(listener, store, async {
            let _ = rx.await;
        })
        .await;
    });
    Ho {
        base: format!("http://{addr}"),
        write,
        db,
        client: reqwest::Client::new(),
        dir,
        _stop: Some(tx),
    }
}

impl Ho {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.write);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request");
        let st = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            st,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn product(&self, body: Value) -> Uuid {
        let (s, v) = self.post("/v1/products", body).await;
        assert_eq!(s, 201, "create product: {v}");
        Uuid::parse_str(v["id"].as_str().expect("id")).expect("uuid")
    }

    pub async fn users(&self, prefix: &str, n: usize) -> Vec<Uuid> {
        let body: Vec<Value> = (0..n)
            .map(|i| json!({"email": format!("{prefix}-{i}@example.com"), "firstName": "U", "lastName": format!("{i}")}))
            .collect();
        let (s, v) = self.post("/v1/users/create", Value::Array(body)).await;
        assert_eq!(s, 201, "create users: {v}");
        v["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| Uuid::parse_str(u["id"].as_str().expect("id")).expect("uuid"))
            .collect()
    }

    pub async fn issue(&self, product: Uuid, users: &[Uuid]) -> Vec<Uuid> {
        let (s, v) = self
            .post(
                &format!("/v1/products/{product}/items"),
                json!({"users": users}),
            )
            .await;
        assert_eq!(s, 201, "issue: {v}");
        let arr = v
            .as_array()
            .cloned()
            .or_else(|| v["items"].as_array().cloned())
            .expect("items");
        arr.iter()
            .map(|i| Uuid::parse_str(i["id"].as_str().expect("id")).expect("uuid"))
            .collect()
    }

    pub async fn enrollment_code(&self) -> String {
        let (s, v) = self.post("/v1/devices/enrollment-codes", json!({})).await;
        assert_eq!(s, 200, "enrollment code: {v}");
        v["code"].as_str().expect("code").to_string()
    }

    /// A new device replica in `dir`, enrolled, with its engine.
    pub async fn device(&self, dir: &Path, name: &str) -> (SharedReplica, Arc<SyncEngine>) {
        let r = Replica::open(dir.join(format!("{name}.db"))).expect("open replica");
        let shared: SharedReplica = Arc::new(Mutex::new(r));
        let code = self.enrollment_code().await;
        sync::enroll(&shared, &self.base, &code, name)
            .await
            .expect("enroll");
        let engine = SyncEngine::new(Arc::clone(&shared)).await.expect("engine");
        (shared, Arc::new(engine))
    }

    pub fn conn(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(&self.db).expect("open ho db");
        c.busy_timeout(std::time::Duration::from_secs(10))
            .expect("busy timeout");
        c
    }

    pub fn scalar(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    pub fn items_checksum(&self) -> String {
        ho_items_checksum(&self.db)
    }
}

pub fn ho_items_checksum(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).expect("open ho db");
    c.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy timeout");
    let mut st = c
        .prepare("SELECT id, product_id, item_id, owner_id, redemption_count, revoked FROM items")
        .expect("prepare");
    let u = |s: String| Uuid::parse_str(&s).expect("uuid");
    let rows = st
        .query_map([], |r| {
            Ok((
                u(r.get(0)?),
                u(r.get(1)?),
                r.get::<_, i64>(2)? as u64,
                u(r.get(3)?),
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows");
    checksum_items(rows)
}

pub fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().expect("replica lock")
}
