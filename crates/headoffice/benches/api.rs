//! Head office API benchmark (prints figures; no assertions), over real HTTP on
//! 127.0.0.1 against a server in this process on a temporary SQLite file:
//!
//! - latency of one issue request with 550 recipients, next to a 1-recipient issue
//!   request measured in the same run as the baseline;
//! - redemption throughput with 8 concurrent clients, next to 8 concurrent clients
//!   reading items (`GET /v1/items/{id}`) as the baseline.
//!
//! `WICKET_BENCH_ROUNDS` (default 20) issue requests of each size;
//! `WICKET_BENCH_REDEEMS` (default 8,000) redemptions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqliteStore, Store, keys};

const CLIENTS: usize = 8;

fn env_n(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

struct Api {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Api {
    /// One request with the write key; a non-2xx answer is an error naming it.
    async fn send(&self, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let rb = match body {
            Some(b) => self.http.post(url).json(b),
            None => self.http.get(url),
        };
        let r = rb.bearer_auth(&self.key).send().await?;
        let status = r.status();
        let v: Value = r.json().await?;
        ensure!(status.is_success(), "{path}: {status} {v}");
        Ok(v)
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(path, Some(body)).await
    }

    async fn users(&self, prefix: &str, n: usize) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::with_capacity(n);
        for start in (0..n).step_by(1500) {
            let batch: Vec<Value> = (start..n.min(start + 1500))
                .map(|i| json!({"email": format!("{prefix}-{i}@example.com"), "firstName": "B", "lastName": format!("{i}")}))
                .collect();
            let v = self.post("/v1/users/create", &Value::Array(batch)).await?;
            for u in v["users"].as_array().context("users")? {
                ids.push(u["id"].as_str().context("user id")?.to_string());
            }
        }
        Ok(ids)
    }

    async fn product(&self, name: &str) -> anyhow::Result<String> {
        let v = self
            .post(
                "/v1/products",
                &json!({"type": "admission", "name": name, "price": "20.00"}),
            )
            .await?;
        Ok(v["id"].as_str().context("product id")?.to_string())
    }

    async fn issue(&self, product: &str, users: &[String]) -> anyhow::Result<Vec<String>> {
        let v = self
            .post(
                &format!("/v1/products/{product}/items"),
                &json!({ "users": users }),
            )
            .await?;
        v["items"]
            .as_array()
            .context("items")?
            .iter()
            .map(|i| Ok(i["id"].as_str().context("item id")?.to_string()))
            .collect()
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn line(label: &str, mut d: Vec<Duration>) {
    d.sort_unstable();
    println!(
        "{label:<34} n={:<5} p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms",
        d.len(),
        pct(&d, 0.5),
        pct(&d, 0.95),
        pct(&d, 1.0)
    );
}

/// `CLIENTS` tasks take `paths` round-robin; returns requests per second and latencies.
async fn concurrent(
    api: &Arc<Api>,
    work: Vec<(String, Option<Value>)>,
) -> anyhow::Result<(f64, Vec<Duration>)> {
    let work = Arc::new(work);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let api = Arc::clone(api);
        let work = Arc::clone(&work);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for (path, body) in work.iter().skip(c).step_by(CLIENTS) {
                let t = Instant::now();
                api.send(path, body.as_ref()).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    Ok((all.len() as f64 / secs, all))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let rounds = env_n("WICKET_BENCH_ROUNDS", 20);
    let redeems = env_n("WICKET_BENCH_REDEEMS", 8_000);
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("ho.db"))?);
    let key = keys::create_key(store.as_ref(), Scope::Write).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(wicket_headoffice::serve(
        listener,
        store,
        std::future::pending(),
    ));
    let api = Arc::new(Api {
        base,
        key,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(CLIENTS)
            .build()?,
    });

    // Issue latency: each round issues to 550 users who hold nothing of a fresh
    // product yet, so every request does the full all-or-nothing check and write.
    let users = api.users("bench", 550 * rounds.max(1)).await?;
    println!(
        "head office API on 127.0.0.1, SQLite file, {} users; {rounds} rounds each",
        users.len()
    );
    let (mut one, mut big) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        let small = api.product(&format!("Single {r}")).await?;
        let t = Instant::now();
        api.issue(&small, &users[r * 550..r * 550 + 1]).await?;
        one.push(t.elapsed());
        let p = api.product(&format!("Batch {r}")).await?;
        let t = Instant::now();
        let items = api.issue(&p, &users[r * 550..(r + 1) * 550]).await?;
        big.push(t.elapsed());
        ensure!(items.len() == 550, "issued {}", items.len());
    }
    line("issue, 1 recipient (baseline)", one);
    line("issue, 550 recipients (goal 200 ms)", big);

    // Redemption throughput: single-use items of one product, each redeemed once.
    let door = api.product("Door").await?;
    let mut items = Vec::with_capacity(redeems);
    let mut i = 0;
    while items.len() < redeems {
        let take = 550.min(redeems - items.len());
        let who: Vec<String> = (0..take)
            .map(|k| users[(i + k) % users.len()].clone())
            .collect();
        items.extend(api.issue(&door, &who).await?);
        i += take;
    }
    let reads: Vec<(String, Option<Value>)> = items
        .iter()
        .map(|it| (format!("/v1/items/{it}"), None))
        .collect();
    let (rps, lat) = concurrent(&api, reads).await?;
    line(&format!("read item, {CLIENTS} clients (baseline)"), lat);
    println!("  {rps:.0} requests/s");
    let path = format!("/v1/products/{door}/items/redeem");
    let work: Vec<(String, Option<Value>)> = items
        .iter()
        .map(|it| (path.clone(), Some(json!({ "product_item_id": it }))))
        .collect();
    let (rps, lat) = concurrent(&api, work).await?;
    line(&format!("redeem, {CLIENTS} clients"), lat);
    println!("  {rps:.0} redemptions/s");
    Ok(())
}
