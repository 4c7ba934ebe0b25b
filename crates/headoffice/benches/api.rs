//! Head office API benchmark (prints figures; no assertions), over real HTTP on
//! 127.0.0.1 against real `wicket-headoffice serve` processes, the same work on
//! three setups side by side in one run: the SQLite file (one process),
//! PostgreSQL with one process, and PostgreSQL with two processes (requests
//! alternate between them, as behind a load balancer). Each setup measures:
//!
//! - latency of one issue request with 550 recipients, next to a 1-recipient issue
//!   request measured in the same run as the baseline;
//! - redemption throughput with 8 concurrent clients, next to 8 concurrent clients
//!   reading items (`GET /v1/items/{id}`) as the baseline;
//! - sales throughput with 8 concurrent clients (one ticket each, cash).
//!
//! `WICKET_BENCH_ROUNDS` (default 20) issue requests of each size;
//! `WICKET_BENCH_REDEEMS` (default 8,000) redemptions; `WICKET_BENCH_SALES`
//! (default 4,000) sales. PostgreSQL: `WICKET_TEST_DATABASE_URL`, else
//! `scripts/postgres.sh env`.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_wicket-headoffice");

const CLIENTS: usize = 8;

fn env_n(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

struct Api {
    /// The head office processes; requests take them in turn.
    bases: Vec<String>,
    next: AtomicUsize,
    key: String,
    http: reqwest::Client,
}

impl Api {
    /// One request with the write key; a non-2xx answer is an error naming it.
    async fn send(&self, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.bases.len().max(1);
        let url = format!("{}{path}", self.bases[n]);
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

/// Sorted latencies: (p50, p95) in milliseconds, printed with `label`.
fn line(label: &str, mut d: Vec<Duration>) -> (f64, f64) {
    d.sort_unstable();
    println!(
        "  {label:<34} n={:<5} p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms",
        d.len(),
        pct(&d, 0.5),
        pct(&d, 0.95),
        pct(&d, 1.0)
    );
    (pct(&d, 0.5), pct(&d, 0.95))
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

/// A `wicket-headoffice serve` child, killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(BIN).args(args).output()?;
    ensure!(
        out.status.success(),
        "wicket-headoffice {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

async fn serve(db: &[&str], http: &reqwest::Client) -> anyhow::Result<(Proc, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(BIN)
        .arg("serve")
        .args(db)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let p = Proc(child);
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok((p, base));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("head office on {db:?} did not become ready")
}

fn postgres_admin_url() -> anyhow::Result<String> {
    if let Ok(u) = std::env::var("WICKET_TEST_DATABASE_URL") {
        return Ok(u);
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres.sh");
    let out = Command::new("bash").arg(script).arg("env").output()?;
    ensure!(out.status.success(), "scripts/postgres.sh env failed");
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What one setup measured.
#[derive(Default)]
struct Figures {
    issue1_p50: f64,
    issue550: (f64, f64),
    reads_per_s: f64,
    redeems_per_s: f64,
    redeem_p50: f64,
    sales_per_s: f64,
    sale_p50: f64,
}

async fn workload(
    api: Arc<Api>,
    rounds: usize,
    redeems: usize,
    sales: usize,
) -> anyhow::Result<Figures> {
    let mut f = Figures::default();
    // Issue latency: each round issues to 550 users who hold nothing of a fresh
    // product yet, so every request does the full all-or-nothing check and write.
    let users = api.users("bench", 550 * rounds.max(1)).await?;
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
    f.issue1_p50 = line("issue, 1 recipient (baseline)", one).0;
    f.issue550 = line("issue, 550 recipients", big);

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
    f.reads_per_s = rps;
    let path = format!("/v1/products/{door}/items/redeem");
    let work: Vec<(String, Option<Value>)> = items
        .iter()
        .map(|it| (path.clone(), Some(json!({ "product_item_id": it }))))
        .collect();
    let (rps, lat) = concurrent(&api, work).await?;
    f.redeem_p50 = line(&format!("redeem, {CLIENTS} clients"), lat).0;
    f.redeems_per_s = rps;

    // Sales throughput: one product without a stock limit, one ticket per sale.
    let shop = api.product("Box office").await?;
    let work: Vec<(String, Option<Value>)> = (0..sales)
        .map(|k| {
            let body = json!({"product_id": shop, "quantity": 1, "payment_method": "cash",
                              "buyer_user_id": users[k % users.len()]});
            ("/v1/sales".to_string(), Some(body))
        })
        .collect();
    let (sps, lat) = concurrent(&api, work).await?;
    f.sale_p50 = line(&format!("sale, {CLIENTS} clients"), lat).0;
    f.sales_per_s = sps;
    Ok(f)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let rounds = env_n("WICKET_BENCH_ROUNDS", 20);
    let redeems = env_n("WICKET_BENCH_REDEEMS", 8_000);
    let sales = env_n("WICKET_BENCH_SALES", 4_000);
    let dir = tempfile::tempdir()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let file = dir.path().join("ho.db").to_string_lossy().to_string();
    let url = wicket_headoffice::db::postgres::create_database(&postgres_admin_url()?)?;
    let url2 = wicket_headoffice::db::postgres::create_database(&postgres_admin_url()?)?;
    let setups: [(&str, Vec<&str>, usize); 3] = [
        ("SQLite, 1 process", vec!["--db", &file], 1),
        ("PostgreSQL, 1 process", vec!["--database-url", &url], 1),
        ("PostgreSQL, 2 processes", vec!["--database-url", &url2], 2),
    ];
    println!(
        "head office API on 127.0.0.1; {rounds} issue rounds, {redeems} redemptions, {sales} sales per setup"
    );
    let mut table = Vec::new();
    for (label, db, procs) in setups {
        let key = cli(&[&["keys", "create", "--scope", "write"][..], &db[..]].concat())?
            .split_whitespace()
            .last()
            .context("key")?
            .to_string();
        let mut running = Vec::new();
        let mut bases = Vec::new();
        for _ in 0..procs {
            let (p, base) = serve(&db, &http).await?;
            running.push(p);
            bases.push(base);
        }
        println!("{label}:");
        let api = Arc::new(Api {
            bases,
            next: AtomicUsize::new(0),
            key,
            http: http.clone(),
        });
        table.push((label, workload(api, rounds, redeems, sales).await?));
        drop(running);
    }
    println!();
    println!(
        "{:<24} | {:>12} | {:>14} | {:>14} | {:>12} | {:>12} | {:>10}",
        "", "issue 1 p50", "issue 550 p50", "issue 550 p95", "reads/s", "redeems/s", "sales/s"
    );
    for (label, f) in &table {
        println!(
            "{label:<24} | {:>9.2} ms | {:>11.2} ms | {:>11.2} ms | {:>12.0} | {:>12.0} | {:>10.0}",
            f.issue1_p50, f.issue550.0, f.issue550.1, f.reads_per_s, f.redeems_per_s, f.sales_per_s
        );
    }
    if let (Some((_, lite)), Some((_, two))) = (table.first(), table.get(2)) {
        println!(
            "redemptions/s, PostgreSQL with 2 processes / SQLite: {:.2}x (goal >= 0.7x); redeem p50 {:.2} ms vs {:.2} ms; sale p50 {:.2} ms vs {:.2} ms",
            two.redeems_per_s / lite.redeems_per_s.max(1.0),
            two.redeem_p50,
            lite.redeem_p50,
            two.sale_p50,
            lite.sale_p50
        );
    }
    let admin = postgres_admin_url()?;
    for u in [&url, &url2] {
        wicket_headoffice::db::postgres::drop_database(&admin, u)?;
    }
    Ok(())
}
