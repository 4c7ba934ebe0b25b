//! Sync under faults: a TCP proxy that drops connections, delays, duplicates requests
//! and cuts responses midway; and head office killed with SIGKILL and restarted during
//! pushes. After recovery every op is applied exactly once, outboxes are empty and
//! every replica's items equal head office's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;
use wicket_device::SellRequest;
use wicket_device::sync::{SharedReplica, SyncEngine};
use wicket_tests::{Ho, ho_items_checksum, lock, start_ho};

/// Counters of what the proxy did, so the test can show the faults happened.
#[derive(Default)]
struct Faults {
    dropped: AtomicU64,
    cut: AtomicU64,
    duplicated: AtomicU64,
    delayed: AtomicU64,
    clean: AtomicU64,
}

async fn proxy(upstream: SocketAddr, faults: Arc<Faults>, seed: u64) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut n = 0u64;
        while let Ok((client, _)) = l.accept().await {
            n += 1;
            let f = Arc::clone(&faults);
            tokio::spawn(async move {
                let _ = conn(client, upstream, f, seed.wrapping_mul(1000) + n).await;
            });
        }
    });
    addr
}

/// Pipe one client connection to head office, with a fault decided per request
/// (per chunk the client sends): drop the connection, delay it, send it twice, or
/// let only the first bytes of the response through and cut.
async fn conn(
    client: TcpStream,
    upstream: SocketAddr,
    f: Arc<Faults>,
    seed: u64,
) -> std::io::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let up = TcpStream::connect(upstream).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = up.into_split();
    // Bytes of response still allowed through; u64::MAX = no cut pending.
    let budget = Arc::new(AtomicU64::new(u64::MAX));
    let b2 = Arc::clone(&budget);
    let back = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let k = match ur.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(k) => k,
            };
            let left = b2.load(Ordering::SeqCst);
            if left != u64::MAX {
                let pass = (k as u64).min(left) as usize;
                let _ = cw.write_all(&buf[..pass]).await;
                break; // cut: close the client side mid-response
            }
            if cw.write_all(&buf[..k]).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = match cr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(k) => k,
        };
        let roll: u32 = rng.gen_range(0..100);
        match roll {
            0..12 => {
                f.dropped.fetch_add(1, Ordering::Relaxed);
                break;
            }
            12..24 => {
                f.delayed.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(rng.gen_range(20..120))).await;
            }
            24..36 => {
                f.duplicated.fetch_add(1, Ordering::Relaxed);
                let dup = buf[..k].to_vec();
                tokio::spawn(async move {
                    if let Ok(mut d) = TcpStream::connect(upstream).await {
                        let _ = d.write_all(&dup).await;
                        let mut sink = vec![0u8; 65536];
                        while let Ok(Ok(n)) =
                            tokio::time::timeout(Duration::from_secs(3), d.read(&mut sink)).await
                        {
                            if n == 0 {
                                break;
                            }
                        }
                    }
                });
            }
            36..48 => {
                f.cut.fetch_add(1, Ordering::Relaxed);
                budget.store(rng.gen_range(1..300), Ordering::SeqCst);
            }
            _ => {
                f.clean.fetch_add(1, Ordering::Relaxed);
            }
        }
        if uw.write_all(&buf[..k]).await.is_err() {
            break;
        }
    }
    // Dropping the write half closes head office's side; the reader ends with it.
    drop(uw);
    let _ = tokio::time::timeout(Duration::from_secs(5), back).await;
    Ok(())
}

fn set_url(r: &SharedReplica, url: &str) {
    lock(r)
        .connection()
        .execute("UPDATE meta SET value = ?1 WHERE key = 'ho_url'", [url])
        .expect("set url");
}

/// Offline work on a device: redeem every given item, sell `sales` times.
fn offline_work(r: &SharedReplica, items: &[Uuid], product: Uuid, sales: usize, tag: &str) -> u64 {
    let mut g = lock(r);
    for i in items {
        g.redeem(*i, Some(tag)).expect("redeem");
    }
    for k in 0..sales {
        g.sell(&SellRequest {
            product_id: product,
            quantity: 1,
            buyer_email: format!("{tag}-{}@example.com", k % 7),
            payment_method: Some("card".into()),
            ..SellRequest::default()
        })
        .expect("sell");
    }
    g.outbox_len().expect("outbox")
}

async fn sync_until_clean(e: &SyncEngine, attempts: usize) {
    for n in 0..attempts {
        match e.sync_once(|_, _| {}).await {
            Ok(_) => {
                let pending = lock(e.replica()).outbox_len().expect("outbox");
                if pending == 0 {
                    return;
                }
            }
            Err(err) => {
                assert!(
                    err.is_transient(),
                    "non-transient failure on attempt {n}: {err}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    panic!("no clean sync after {attempts} attempts");
}

async fn setup(
    ho: &Ho,
    dir: &std::path::Path,
    devices: usize,
    tickets: usize,
    units: u64,
) -> (Uuid, Vec<(SharedReplica, Arc<SyncEngine>)>, Vec<Uuid>) {
    let pid = ho
        .product(json!({"type": "admission", "name": "Show", "price": "9.90", "stock": 5000}))
        .await;
    let users = ho.users("fan", tickets).await;
    let items = ho.issue(pid, &users).await;
    let mut out = Vec::new();
    for n in 0..devices {
        let (r, e) = ho.device(dir, &format!("dev-{n}")).await;
        e.sync_once(|_, _| {}).await.expect("first pull");
        e.reserve(pid, units, None).await.expect("allotment");
        out.push((r, e));
    }
    (pid, out, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_faults_lose_nothing_and_apply_nothing_twice() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let (pid, devs, items) = setup(&ho, dir.path(), 3, 60, 200).await;
    let faults = Arc::new(Faults::default());
    let upstream: SocketAddr = ho.base.trim_start_matches("http://").parse().expect("addr");
    let mut total_ops = 0;
    for (n, (r, e)) in devs.iter().enumerate() {
        // Every device scans every ticket (conflicts on purpose) and sells.
        total_ops += offline_work(r, &items, pid, 40, &format!("d{n}"));
        let p = proxy(upstream, Arc::clone(&faults), 11 + n as u64).await;
        set_url(r, &format!("http://{p}"));
        // Re-read the URL.
        let _ = e;
    }
    let mut engines = Vec::new();
    for (r, _) in &devs {
        let mut e = SyncEngine::new(Arc::clone(r)).await.expect("engine");
        e.push_batch = 25;
        e.pull_page = 50;
        engines.push(Arc::new(e));
    }
    let runs: Vec<_> = engines
        .iter()
        .map(|e| {
            let e = Arc::clone(e);
            tokio::spawn(async move { sync_until_clean(&e, 400).await })
        })
        .collect();
    for r in runs {
        r.await.expect("sync task");
    }
    for e in &engines {
        sync_until_clean(e, 400).await;
    }
    eprintln!(
        "proxy: dropped {} cut {} duplicated {} delayed {} clean {}",
        faults.dropped.load(Ordering::Relaxed),
        faults.cut.load(Ordering::Relaxed),
        faults.duplicated.load(Ordering::Relaxed),
        faults.delayed.load(Ordering::Relaxed),
        faults.clean.load(Ordering::Relaxed)
    );
    assert!(faults.cut.load(Ordering::Relaxed) > 0 && faults.dropped.load(Ordering::Relaxed) > 0);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sync_ops") as u64, total_ops);
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM sync_ops WHERE status = 'rejected'"),
        0
    );
    // 3 doors x 60 tickets: 60 admitted, 120 conflicts.
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM redemptions"), 180);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sync_conflicts"), 120);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM items"), 60 + 3 * 40);
    let sum = ho.items_checksum();
    for (r, _) in &devs {
        let g = lock(r);
        assert_eq!(g.outbox_len().expect("outbox"), 0);
        assert_eq!(g.items_checksum().expect("sum"), sum);
        assert_eq!(g.sync_conflicts().expect("conflicts").len(), 120);
    }
}

struct Child {
    proc: Option<std::process::Child>,
    /// `--db FILE` or `--database-url URL`.
    db: Vec<String>,
    addr: SocketAddr,
}

impl Child {
    fn start(&mut self) {
        let c = std::process::Command::new(wicket_tests::bin("wicket-headoffice"))
            .arg("serve")
            .args(&self.db)
            .args(["--listen", &self.addr.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn head office");
        self.proc = Some(c);
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("head office did not come up");
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.proc.take() {
            // std's kill is SIGKILL on Unix: no graceful shutdown, no flush.
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_sigkilled_during_pushes_recovers_exactly_once() {
    // Prepare the database and the devices with an in-process head office...
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let (pid, devs, items) = setup(&ho, dir.path(), 2, 50, 800).await;
    let mut total_ops = 0;
    for (n, (r, _)) in devs.iter().enumerate() {
        total_ops += offline_work(r, &items, pid, 600, &format!("k{n}"));
    }
    // ...then serve the same file from a child process we can SIGKILL.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let mut child = Child {
        proc: None,
        db: ho.store.serve_args(),
        addr: port,
    };
    child.start();
    child.wait_ready().await;
    let mut engines = Vec::new();
    for (r, _) in &devs {
        set_url(r, &format!("http://{port}"));
        let mut e = SyncEngine::new(Arc::clone(r)).await.expect("engine");
        e.push_batch = 5;
        engines.push(Arc::new(e));
    }
    let done = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = engines
        .iter()
        .map(|e| {
            let e = Arc::clone(e);
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    let _ = e.push().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let mut at_kill = Vec::new();
    for k in 1..=6u64 {
        // Kill at a random point once another slice of the ops has landed.
        let target = (k * total_ops / 8 + rng.gen_range(0..20)) as i64;
        let t0 = std::time::Instant::now();
        while ho.scalar("SELECT COUNT(*) FROM sync_ops") < target
            && t0.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..15))).await;
        child.kill();
        at_kill.push(ho.scalar("SELECT COUNT(*) FROM sync_ops"));
        tokio::time::sleep(Duration::from_millis(rng.gen_range(10..100))).await;
        child.start();
        child.wait_ready().await;
    }
    done.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("worker");
    }
    let applied_while_killing = at_kill.last().copied().unwrap_or(0);
    for e in &engines {
        sync_until_clean(e, 200).await;
    }
    for e in &engines {
        sync_until_clean(e, 200).await;
    }
    eprintln!("ops applied at each SIGKILL: {at_kill:?} of {total_ops}");
    assert!(
        (applied_while_killing as u64) < total_ops,
        "the kills must land while pushes are still running"
    );
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sync_ops") as u64, total_ops);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM redemptions"), 100);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM items"), 50 + 2 * 600);
    let sum = ho_items_checksum(&ho.store);
    for (r, _) in &devs {
        let g = lock(r);
        assert_eq!(g.outbox_len().expect("outbox"), 0);
        assert_eq!(g.items_checksum().expect("sum"), sum);
    }
}
