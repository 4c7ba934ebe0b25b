//! The head office and device fixtures the cross-part tests share.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_device::Replica;
use wicket_device::sync::{self, SharedReplica, SyncEngine, checksum_items};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqlStore, Store, keys};

pub struct Ho {
    pub base: String,
    pub write: String,
    /// The store under test (`WICKET_TEST_BACKEND`: SQLite file or PostgreSQL).
    pub store: SqlStore,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// Dropping it stops the in-process server.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Head office in this process.
pub async fn start_ho() -> Ho {
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = SqlStore::open_test_backend(dir.path()).expect("open store");
    let store: Arc<dyn Store> = Arc::new(sql.clone());
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
        store: sql,
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

    /// Head office's signed ticket token for an item.
    pub async fn ticket(&self, product: Uuid, item: Uuid) -> String {
        let (s, v) = self
            .send(
                reqwest::Method::GET,
                &format!("/v1/products/{product}/items/{item}/ticket"),
                None,
            )
            .await;
        assert_eq!(s, 200, "ticket: {v}");
        v["token"].as_str().expect("token").to_string()
    }

    /// Stop serving (the store stays): devices find head office down.
    pub fn stop(&mut self) {
        self._stop.take();
    }

    /// Serve the same store again at the same address.
    pub async fn restart(&mut self) {
        let addr = self.base.trim_start_matches("http://").to_string();
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(&addr).await {
                Ok(l) => break l,
                // The old listener may take a moment to let the port go.
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("rebind {addr}: {e}"),
            }
        };
        let store: Arc<dyn Store> = Arc::new(self.store.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = wicket_headoffice::serve(listener, store, async {
                let _ = rx.await;
            })
            .await;
        });
        self._stop = Some(tx);
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

    /// The first column of the first row of `sql`, as an integer.
    pub fn scalar(&self, sql: &str) -> i64 {
        self.store.scalar(sql).expect(sql)
    }

    /// Every row of `sql`, each value as text.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.store.query_text(sql).expect(sql)
    }

    pub fn items_checksum(&self) -> String {
        ho_items_checksum(&self.store)
    }
}

pub fn ho_items_checksum(store: &SqlStore) -> String {
    let u = |s: &str| Uuid::parse_str(s).expect("uuid");
    let n = |s: &str| s.parse::<i64>().expect("number");
    let rows = store
        .query_text(
            "SELECT id, product_id, item_id, owner_id, redemption_count, revoked FROM items",
        )
        .expect("items");
    checksum_items(
        rows.iter()
            .map(|r| {
                (
                    u(&r[0]),
                    u(&r[1]),
                    n(&r[2]) as u64,
                    u(&r[3]),
                    u32::try_from(n(&r[4])).expect("count"),
                    n(&r[5]) != 0,
                )
            })
            .collect(),
    )
}

pub fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().expect("replica lock")
}
