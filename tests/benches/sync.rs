//! Sync benchmark (prints figures; no assertions): a fresh device pulling an
//! N-item replica over loopback, and 10,000 queued offline operations uploaded,
//! each with and without gzip, with bytes on the wire.
//!
//! `WICKET_BENCH_ITEMS` (default 1,000,000) and `WICKET_BENCH_OPS` (default 10,000)
//! size it; run with `cargo bench -p wicket-tests --bench sync`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;
use wicket_device::sync::{self, SharedReplica, SyncEngine};
use wicket_device::{Replica, SellRequest};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqliteStore, Store, keys};

fn env_n(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

async fn post(
    c: &reqwest::Client,
    url: String,
    key: &str,
    body: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let r = c.post(url).bearer_auth(key).json(&body).send().await?;
    anyhow::ensure!(r.status().is_success(), "HTTP {}", r.status());
    Ok(r.json().await?)
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1_000_000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n_items = env_n("WICKET_BENCH_ITEMS", 1_000_000);
    let n_ops = env_n("WICKET_BENCH_OPS", 10_000);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("ho.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db)?);
    let key = keys::create_key(store.as_ref(), Scope::Write).await?;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", l.local_addr()?);
    tokio::spawn(wicket_headoffice::serve(l, store, std::future::pending()));
    let c = reqwest::Client::new();
    let p = post(
        &c,
        format!("{base}/v1/products"),
        &key,
        json!({"type": "admission", "name": "Arena", "price": "25.00"}),
    )
    .await?;
    let pid: Uuid = p["id"].as_str().unwrap_or_default().parse()?;
    let mut owners = Vec::new();
    for b in 0..2 {
        let users: Vec<_> = (0..500)
            .map(|i| json!({"email": format!("u{b}-{i}@example.com"), "firstName": "U", "lastName": format!("{i}")}))
            .collect();
        let v = post(
            &c,
            format!("{base}/v1/users/create"),
            &key,
            serde_json::Value::Array(users),
        )
        .await?;
        for u in v["users"].as_array().cloned().unwrap_or_default() {
            owners.push(u["id"].as_str().unwrap_or_default().to_string());
        }
    }
    let t = Instant::now();
    {
        let mut h = rusqlite::Connection::open(&db)?;
        h.busy_timeout(Duration::from_secs(30))?;
        let tx = h.transaction()?;
        {
            let mut st = tx.prepare(
                "INSERT INTO items (id, product_id, item_id, owner_id, redemption_count, redemption_quantity, origin, revoked, issued_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 0, 1, 'issue', 0, 1700000000, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
            )?;
            for n in 0..n_items {
                st.execute(rusqlite::params![
                    Uuid::now_v7().to_string(),
                    pid.to_string(),
                    n as i64 + 1,
                    owners[n % owners.len()]
                ])?;
            }
        }
        tx.execute(
            "UPDATE products SET issued = ?1, next_item_id = ?1 + 1",
            [n_items as i64],
        )?;
        tx.commit()?;
    }
    println!(
        "seeded head office with {n_items} items in {:.2?}",
        t.elapsed()
    );

    let new_device = |name: &'static str| {
        let base = base.clone();
        let key = key.clone();
        let c = c.clone();
        let path = dir.path().join(format!("{name}.db"));
        async move {
            let code = post(
                &c,
                format!("{base}/v1/devices/enrollment-codes"),
                &key,
                json!({}),
            )
            .await?;
            let shared: SharedReplica = Arc::new(Mutex::new(Replica::open(path)?));
            sync::enroll(
                &shared,
                &base,
                code["code"].as_str().unwrap_or_default(),
                name,
            )
            .await?;
            anyhow::Ok(shared)
        }
    };

    for gzip in [true, false] {
        let shared = new_device(if gzip { "pull-gz" } else { "pull-raw" }).await?;
        let mut e = SyncEngine::new(shared).await?;
        e.set_gzip(gzip);
        let t = Instant::now();
        let s = e.pull(|_, _| {}).await?;
        let el = t.elapsed();
        println!(
            "pull  gzip={gzip:<5} {} changes ({n_items} items) in {} pages: {:.2?} ({:.0} changes/s); received {}",
            s.changes,
            s.pages,
            el,
            s.changes as f64 / el.as_secs_f64(),
            mb(e.client().bytes.received.load(Ordering::Relaxed))
        );
    }

    for gzip in [true, false] {
        let shared = new_device(if gzip { "push-gz" } else { "push-raw" }).await?;
        let mut e = SyncEngine::new(Arc::clone(&shared)).await?;
        e.set_gzip(gzip);
        e.pull(|_, _| {}).await?;
        let sales = n_ops / 5;
        e.reserve(pid, sales as u64, None).await?;
        {
            let mut r = shared.lock().map_err(|_| anyhow::anyhow!("lock"))?;
            // Queue quickly: durability is not what is measured here.
            r.connection().pragma_update(None, "synchronous", "OFF")?;
            let ids: Vec<Uuid> = {
                let mut st = r
                    .connection()
                    .prepare("SELECT id FROM items ORDER BY item_id LIMIT ?1 OFFSET ?2")?;
                let skip = if gzip { 0 } else { n_ops as i64 };
                st.query_map([(n_ops - sales) as i64, skip], |x| x.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for id in ids {
                r.redeem(id, Some("bench"))?;
            }
            for k in 0..sales {
                r.sell(&SellRequest {
                    product_id: pid,
                    quantity: 1,
                    buyer_email: format!("u0-{}@example.com", k % 500),
                    payment_method: Some("card".into()),
                    ..SellRequest::default()
                })?;
            }
        }
        let queued = shared
            .lock()
            .map_err(|_| anyhow::anyhow!("lock"))?
            .outbox_len()?;
        let sent0 = e.client().bytes.sent.load(Ordering::Relaxed);
        let recv0 = e.client().bytes.received.load(Ordering::Relaxed);
        let t = Instant::now();
        let s = e.push().await?;
        let el = t.elapsed();
        println!(
            "push  gzip={gzip:<5} {queued} ops ({} redeems, {sales} sales): {:.2?} ({:.0} ops/s); applied {} conflict {} rejected {}; sent {}, received {}",
            n_ops - sales,
            el,
            s.sent as f64 / el.as_secs_f64(),
            s.applied,
            s.conflict,
            s.rejected,
            mb(e.client().bytes.sent.load(Ordering::Relaxed) - sent0),
            mb(e.client().bytes.received.load(Ordering::Relaxed) - recv0)
        );
    }
    Ok(())
}
