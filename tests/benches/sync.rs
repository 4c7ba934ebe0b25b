//! Sync benchmark (prints figures; no assertions): fresh devices pulling an N-item
//! replica over loopback, and 10,000 queued offline operations uploaded, on three
//! head offices side by side in one run: the SQLite file (one process), PostgreSQL
//! with one process, and PostgreSQL with two processes (two devices at once, one
//! per process). Head offices are real `wicket-headoffice serve` processes; the
//! PostgreSQL database is filled from the seeded SQLite file with `copy-db` (timed).
//!
//! On the SQLite head office the full pull also runs into an unencrypted replica
//! (`Replica::open_unencrypted`) next to the encrypted one the app uses (SQLCipher,
//! `Replica::open`), in the order encrypted, unencrypted, unencrypted, encrypted so
//! that warming favours neither, and prints the ratio: what encryption at rest costs
//! a device's first pull. To try a setting without touching the replica's code:
//! `WICKET_BENCH_PRAGMAS` (SQL, e.g. `PRAGMA cache_size = -65536;`) is run on every
//! device replica as it opens, then `WICKET_BENCH_CIPHER_PRAGMAS` on encrypted ones;
//! `WICKET_BENCH_CIPHER_DEFAULTS` (e.g. `PRAGMA cipher_default_hmac_algorithm =
//! HMAC_SHA256;`) sets SQLCipher's process-wide defaults before any replica opens,
//! for settings of the file format that must be in place before the key is used.
//!
//! `WICKET_BENCH_ITEMS` (default 1,000,000) and `WICKET_BENCH_OPS` (default 10,000)
//! size it; PostgreSQL comes from `WICKET_TEST_DATABASE_URL` (else
//! `scripts/postgres.sh env`). Run with `make bench`, or build the release
//! `wicket-headoffice` first and `cargo bench -p wicket-tests --bench sync`.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::RngCore;
use serde_json::json;
use uuid::Uuid;
use wicket_device::sync::{self, SharedReplica, SyncEngine};
use wicket_device::{Replica, SellRequest, vault};

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

/// A `wicket-headoffice serve` child, killed on drop.
struct Ho {
    child: Child,
    base: String,
}

impl Drop for Ho {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(wicket_tests::bin("wicket-headoffice"))
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "wicket-headoffice {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

async fn serve(db: &[&str], c: &reqwest::Client) -> anyhow::Result<Ho> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(wicket_tests::bin("wicket-headoffice"))
        .arg("serve")
        .args(db)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let ho = Ho {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..400 {
        if let Ok(r) = c.get(format!("{}/readyz", ho.base)).send().await
            && r.status().is_success()
        {
            return Ok(ho);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("head office on {db:?} did not become ready")
}

fn postgres_admin_url() -> anyhow::Result<String> {
    if let Ok(u) = std::env::var("WICKET_TEST_DATABASE_URL") {
        return Ok(u);
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh");
    let out = Command::new("bash").arg(script).arg("env").output()?;
    anyhow::ensure!(out.status.success(), "scripts/postgres.sh env failed");
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Seed a SQLite head office file: a key, a product, 1,000 customers, `n` items.
async fn seed(db: &std::path::Path, n_items: usize) -> anyhow::Result<(String, Uuid)> {
    let db_s = db.to_string_lossy().to_string();
    let key = cli(&["keys", "create", "--db", &db_s, "--scope", "write"])?
        .split_whitespace()
        .last()
        .context("key")?
        .to_string();
    let c = reqwest::Client::new();
    let ho = serve(&["--db", &db_s], &c).await?;
    let base = &ho.base;
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
    drop(ho);
    let t = Instant::now();
    let mut h = rusqlite::Connection::open(db)?;
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
    println!(
        "seeded the SQLite head office with {n_items} items in {:.2?}",
        t.elapsed()
    );
    Ok((key, pid))
}

/// A device replica: encrypted as the app opens it (`Replica::open`, keyed from a
/// key file written beside it first, which wins over the OS keyring, so the bench
/// leaves nothing in it), or unencrypted; then the settings under test
/// (`WICKET_BENCH_PRAGMAS`, and `WICKET_BENCH_CIPHER_PRAGMAS` when encrypted).
fn open_replica(path: &std::path::Path, encrypted: bool) -> anyhow::Result<Replica> {
    let r = if encrypted {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        std::fs::write(vault::key_file_of(path), hex::encode(k))?;
        let r = Replica::open(path)?;
        anyhow::ensure!(
            matches!(r.key_source(), Some(vault::KeySource::KeyFile(_))),
            "the bench replica is not keyed from its key file"
        );
        r
    } else {
        Replica::open_unencrypted(path)?
    };
    for (var, applies) in [
        ("WICKET_BENCH_PRAGMAS", true),
        ("WICKET_BENCH_CIPHER_PRAGMAS", encrypted),
    ] {
        if let (Ok(sql), true) = (std::env::var(var), applies) {
            r.connection().execute_batch(&sql)?;
        }
    }
    Ok(r)
}

async fn device(
    c: &reqwest::Client,
    base: &str,
    key: &str,
    dir: &std::path::Path,
    name: &str,
    encrypted: bool,
) -> anyhow::Result<SharedReplica> {
    let code = post(
        c,
        format!("{base}/v1/devices/enrollment-codes"),
        key,
        json!({}),
    )
    .await?;
    let path = dir.join(format!("{name}.db"));
    let shared: SharedReplica = Arc::new(Mutex::new(open_replica(&path, encrypted)?));
    sync::enroll(
        &shared,
        base,
        code["code"].as_str().unwrap_or_default(),
        name,
    )
    .await?;
    Ok(shared)
}

/// A fresh device pulls everything; its elapsed time, changes, pages and bytes.
async fn pull_all(shared: SharedReplica, gzip: bool) -> anyhow::Result<(Duration, u64, u64, u64)> {
    let mut e = SyncEngine::new(shared).await?;
    e.set_gzip(gzip);
    let t = Instant::now();
    let s = e.pull(|_, _| {}).await?;
    let el = t.elapsed();
    Ok((
        el,
        s.changes,
        s.pages,
        e.client().bytes.received.load(Ordering::Relaxed),
    ))
}

/// A synced device with `ops` offline ops queued (4/5 redeems of items from
/// `skip`, 1/5 sales), ready to push.
async fn queue_ops(
    shared: SharedReplica,
    pid: Uuid,
    ops: usize,
    skip: usize,
) -> anyhow::Result<SyncEngine> {
    let mut e = SyncEngine::new(Arc::clone(&shared)).await?;
    e.set_gzip(true);
    e.pull(|_, _| {}).await?;
    let sales = ops / 5;
    e.reserve(pid, sales as u64, None).await?;
    let mut r = shared.lock().map_err(|_| anyhow::anyhow!("lock"))?;
    // Queue quickly: durability is not what is measured here.
    r.connection().pragma_update(None, "synchronous", "OFF")?;
    let ids: Vec<Uuid> = {
        let mut st = r
            .connection()
            .prepare("SELECT id FROM items ORDER BY item_id LIMIT ?1 OFFSET ?2")?;
        st.query_map([(ops - sales) as i64, skip as i64], |x| x.get(0))?
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
    drop(r);
    Ok(e)
}

/// Push everything queued: elapsed time and (sent, applied, conflict, rejected).
async fn push_all(e: SyncEngine) -> anyhow::Result<(Duration, [u64; 4])> {
    let t = Instant::now();
    let s = e.push().await?;
    Ok((
        t.elapsed(),
        [
            s.sent as u64,
            s.applied as u64,
            s.conflict as u64,
            s.rejected as u64,
        ],
    ))
}

struct Figures {
    pull: Duration,
    push: Duration,
}

/// What encryption at rest costs a full pull: the pull above (`first`: its own
/// elapsed time, into an encrypted replica) is followed by two into unencrypted
/// replicas and one more into an encrypted one (ABBA, so that a warmer head office
/// favours neither), all with gzip, one at a time. Prints each and the ratio of the
/// sums.
async fn encryption_cost(
    c: &reqwest::Client,
    base: &str,
    key: &str,
    dir: &std::path::Path,
    first: Duration,
) -> anyhow::Result<()> {
    let label = "sqlite";
    let (mut enc, mut plain) = (vec![first], Vec::new());
    for (k, encrypted) in [false, false, true].into_iter().enumerate() {
        let kind = if encrypted {
            "encrypted"
        } else {
            "unencrypted"
        };
        let name = format!("{label}-{kind}{k}");
        let shared = device(c, base, key, dir, &name, encrypted).await?;
        let (el, changes, pages, bytes) = pull_all(shared, true).await?;
        let size = std::fs::metadata(dir.join(format!("{name}.db")))?.len();
        println!(
            "{label:<26} pull into an {kind} replica: {changes} changes in {pages} pages, \
             {el:.2?}, {}, replica file {}",
            mb(bytes),
            mb(size)
        );
        if encrypted { &mut enc } else { &mut plain }.push(el);
    }
    let sum = |v: &[Duration]| v.iter().sum::<Duration>().as_secs_f64();
    let list = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{d:.2?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "{label:<26} full pull encrypted / unencrypted: {:.2}x (encrypted {}; unencrypted {}; \
         goal <= 1.3x)",
        sum(&enc) / sum(&plain).max(1e-9),
        list(&enc),
        list(&plain)
    );
    Ok(())
}

/// Pull and push on head offices `bases` (one device per base, all at once).
async fn run(
    label: &str,
    bases: &[String],
    key: &str,
    pid: Uuid,
    n_ops: usize,
    offset: usize,
    dir: &std::path::Path,
) -> anyhow::Result<Figures> {
    let c = reqwest::Client::new();
    let mut pulls = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let shared = device(&c, base, key, dir, &format!("{label}-pull{i}"), true).await?;
        pulls.push(tokio::spawn(pull_all(shared, true)));
    }
    let t = Instant::now();
    let (mut notes, mut each) = (Vec::new(), Vec::new());
    for p in pulls {
        let (el, changes, pages, bytes) = p.await??;
        each.push(el);
        notes.push(format!(
            "{changes} changes in {pages} pages, {el:.2?}, {}",
            mb(bytes)
        ));
    }
    let pull = t.elapsed();
    println!(
        "{label:<26} pull : {pull:.2?} for {} device(s) [{}]",
        bases.len(),
        notes.join("; ")
    );
    if label == "sqlite" {
        encryption_cost(&c, &bases[0], key, dir, each[0]).await?;
        // The same pull without gzip, as the baseline of what gzip saves on the wire.
        let shared = device(&c, &bases[0], key, dir, "sqlite-raw", true).await?;
        let (el, changes, pages, bytes) = pull_all(shared, false).await?;
        println!(
            "{label:<26} pull without gzip (baseline): {changes} changes in {pages} pages, {el:.2?}, {}",
            mb(bytes)
        );
    }

    // Each device queues its share offline first (redeeming items of its own);
    // then all push at once and the wall time of the pushes is the figure.
    let per = n_ops / bases.len();
    let mut engines = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let shared = device(&c, base, key, dir, &format!("{label}-push{i}"), true).await?;
        engines.push(queue_ops(shared, pid, per, offset + i * per).await?);
    }
    let t = Instant::now();
    let tasks: Vec<_> = engines
        .into_iter()
        .map(|e| tokio::spawn(push_all(e)))
        .collect();
    let mut notes = Vec::new();
    for task in tasks {
        let (el, [sent, applied, conflict, rejected]) = task.await??;
        notes.push(format!(
            "{sent} ops in {el:.2?}: applied {applied} conflict {conflict} rejected {rejected}"
        ));
    }
    let push = t.elapsed();
    println!(
        "{label:<26} push : {push:.2?} for {} device(s) [{}]",
        bases.len(),
        notes.join("; ")
    );
    Ok(Figures { pull, push })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n_items = env_n("WICKET_BENCH_ITEMS", 1_000_000);
    let n_ops = env_n("WICKET_BENCH_OPS", 10_000);
    if let Ok(sql) = std::env::var("WICKET_BENCH_CIPHER_DEFAULTS") {
        // SQLCipher's `cipher_default_*` pragmas hold for every database keyed afterwards.
        rusqlite::Connection::open_in_memory()?.execute_batch(&sql)?;
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("ho.db");
    let db_s = db.to_string_lossy().to_string();
    let (key, pid) = seed(&db, n_items).await?;

    // PostgreSQL is filled from the same seeded file before SQLite's run changes it.
    let url = wicket_headoffice::db::postgres::create_database(&postgres_admin_url()?)?;
    let t = Instant::now();
    cli(&["copy-db", "--from", &db_s, "--to", &url])?;
    println!(
        "copy-db of that head office into PostgreSQL: {:.2?}",
        t.elapsed()
    );

    let c = reqwest::Client::new();
    let mut table = Vec::new();
    {
        let ho = serve(&["--db", &db_s], &c).await?;
        table.push((
            "SQLite, 1 process",
            run(
                "sqlite",
                std::slice::from_ref(&ho.base),
                &key,
                pid,
                n_ops,
                0,
                dir.path(),
            )
            .await?,
        ));
    }
    let a = serve(&["--database-url", &url], &c).await?;
    table.push((
        "PostgreSQL, 1 process",
        run(
            "pg1",
            std::slice::from_ref(&a.base),
            &key,
            pid,
            n_ops,
            0,
            dir.path(),
        )
        .await?,
    ));
    let b = serve(&["--database-url", &url], &c).await?;
    table.push((
        "PostgreSQL, 2 processes",
        run(
            "pg2",
            &[a.base.clone(), b.base.clone()],
            &key,
            pid,
            n_ops,
            n_ops,
            dir.path(),
        )
        .await?,
    ));

    println!();
    println!(
        "sync, {n_items} items, {n_ops} ops          | full pull (wall) | push of all ops (wall)"
    );
    for (label, f) in &table {
        println!("{label:<38} | {:>14.2?} | {:>14.2?}", f.pull, f.push);
    }
    wicket_headoffice::db::postgres::drop_database(&postgres_admin_url()?, &url)?;
    Ok(())
}
