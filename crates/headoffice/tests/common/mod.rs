//! Shared test harness: a real server on an ephemeral port over a temp-file database.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{Value, json};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqlStore, Store, keys};

pub struct Server {
    pub base: String,
    pub write: String,
    pub read: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start() -> Server {
    start_at(None).await
}

/// A server whose public URL (claim links) is `public_url` (default: its address).
pub async fn start_at(public_url: Option<&str>) -> Server {
    let public_url = public_url.map(str::to_string);
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(SqlStore::open_test_backend(dir.path()).expect("open store"));
    let write = keys::create_key(store.as_ref(), Scope::Write)
        .await
        .expect("write key");
    let read = keys::create_key(store.as_ref(), Scope::Read)
        .await
        .expect("read key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let s = Arc::clone(&store);
    let url = public_url.unwrap_or_else(|| format!("http://{addr}"));
    tokio::spawn(async move {
        let _ = wicket_headoffice::serve_at(listener, s, &url, async {
            let _ = rx.await;
        })
        .await;
    });
    Server {
        base: format!("http://{addr}"),
        write,
        read,
        client: reqwest::Client::new(),
        store,
        _dir: dir,
        _stop: tx,
    }
}

impl Server {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, Some(&self.write), None)
            .await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(&self.write), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(&self.write), Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(&self.write), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, Some(&self.write), None)
            .await
    }

    /// Create a product, asserting 201; returns its JSON.
    pub async fn product(&self, body: Value) -> Value {
        let (s, v) = self.post("/v1/products", body).await;
        assert_eq!(s, 201, "create product: {v}");
        v
    }

    /// Create users `prefix-0..n@example.com`; returns their JSON.
    pub async fn users(&self, prefix: &str, n: usize) -> Vec<Value> {
        let body: Vec<Value> = (0..n)
            .map(|i| json!({"email": format!("{prefix}-{i}@example.com"), "firstName": "U", "lastName": format!("{i}")}))
            .collect();
        let (s, v) = self.post("/v1/users/create", Value::Array(body)).await;
        assert_eq!(s, 201, "create users: {v}");
        v["users"].as_array().cloned().unwrap_or_default()
    }

    pub async fn user(&self, email: &str) -> Value {
        let (s, v) = self
            .post(
                "/v1/users/create",
                json!([{ "email": email, "firstName": "F", "lastName": "L" }]),
            )
            .await;
        assert_eq!(s, 201, "create user: {v}");
        v["users"][0].clone()
    }
}

/// The error codes of an error body, e.g. `["not_published"]`.
pub fn codes(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_str())
                .map(|e| e.split(':').next().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}
