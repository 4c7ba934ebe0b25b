//! Door-to-door benchmark (issue 16; prints figures, asserts nothing): three doors
//! on loopback with head office down, each with its peer service and the other two
//! as peers.
//!
//! 1. Propagation: 1,000 tickets admitted at door A, one every 20 ms; for each, the
//!    time until doors B and C hold the admission (so refuse the ticket): p50, p99.
//! 2. Double admissions: 1,000 tickets each scanned at two doors, the second scan
//!    a random 0–5 s after the first (pairs start 30 ms apart); a pair is a double
//!    admission when both scans admit. Counted by offset, with the peer network on
//!    and, as the baseline in the same run, off (doors alone, as without this
//!    feature).
//!
//! `WICKET_BENCH_TICKETS` (default 1,000) and `WICKET_BENCH_TICK_MS` (default 100)
//! size it. Run: `cargo bench -p wicket-tests --bench lan`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::json;
use uuid::Uuid;
use wicket_device::lan::Lan;
use wicket_device::sync::SharedReplica;
use wicket_tests::{lock, start_ho};

fn env_n(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)]
}

/// Offset buckets for the double-admission table, in seconds.
const BUCKETS: [(f64, f64); 7] = [
    (0.0, 0.1),
    (0.1, 0.25),
    (0.25, 0.5),
    (0.5, 1.0),
    (1.0, 2.0),
    (2.0, 3.5),
    (3.5, 5.01),
];

/// Scan each pair's ticket at two doors `offset` apart; per bucket (pairs, doubles).
async fn pairs(doors: &[SharedReplica], tokens: &[String], seed: u64) -> Vec<(u64, u64)> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // (when, door, pair) in time order.
    let mut events = Vec::new();
    let mut offsets = Vec::new();
    for (i, _) in tokens.iter().enumerate() {
        let start = Duration::from_millis(30 * i as u64);
        let off = rng.gen_range(0.0..5.0);
        let first = rng.gen_range(0..doors.len());
        let second = (first + rng.gen_range(1..doors.len())) % doors.len();
        events.push((start, first, i));
        events.push((start + Duration::from_secs_f64(off), second, i));
        offsets.push(off);
    }
    events.sort_by_key(|e| e.0);
    let t0 = Instant::now();
    let mut admitted: HashMap<usize, u32> = HashMap::new();
    for (when, door, i) in events {
        if let Some(wait) = when.checked_sub(t0.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        let r = Arc::clone(&doors[door]);
        let token = tokens[i].clone();
        let ok = tokio::task::spawn_blocking(move || {
            lock(&r)
                .scan(&token, Some("bench"), None)
                .map(|v| v.admitted)
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        if ok {
            *admitted.entry(i).or_default() += 1;
        }
    }
    BUCKETS
        .iter()
        .map(|(lo, hi)| {
            let inb: Vec<usize> = (0..tokens.len())
                .filter(|i| offsets[*i] >= *lo && offsets[*i] < *hi)
                .collect();
            let doubles = inb.iter().filter(|i| admitted.get(i) == Some(&2)).count();
            (inb.len() as u64, doubles as u64)
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n = env_n("WICKET_BENCH_TICKETS", 1_000) as usize;
    let tick = Duration::from_millis(env_n("WICKET_BENCH_TICK_MS", 100));
    let mut ho = start_ho().await;
    let product = ho
        .product(json!({"type": "admission", "name": "Bench", "price": "1.00", "currency": "EUR"}))
        .await;
    // Tickets for part 1 (by item), and two sets of pair tickets (LAN on, off).
    let mut items = Vec::new();
    for k in 0..(3 * n).div_ceil(500) {
        let users = ho
            .users(&format!("lanbench{k}"), 500.min(3 * n - k * 500))
            .await;
        items.extend(ho.issue(product, &users).await);
    }
    let mut tokens = Vec::new();
    for item in &items[n..] {
        tokens.push(ho.ticket(product, *item).await);
    }
    let dir = tempfile::tempdir()?;
    let mut doors = Vec::new();
    for name in ["a", "b", "c"] {
        doors.push(ho.device(dir.path(), name).await);
    }
    for (_, e) in &doors {
        e.pull(|_, _| {}).await?;
    }
    ho.stop();
    let replicas: Vec<SharedReplica> = doors.iter().map(|(r, _)| Arc::clone(r)).collect();
    let ids: Vec<Uuid> = replicas.iter().map(|r| lock(r).device_id()).collect();

    // Baseline first: the doors alone (no peer service running yet).
    let alone = pairs(&replicas, &tokens[n..], 7).await;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut lans = Vec::new();
    let mut addrs = Vec::new();
    for r in &replicas {
        let lan = Lan::new(Arc::clone(r), tick)?;
        addrs.push(lan.serve("127.0.0.1:0".parse()?).await?);
        lans.push(lan);
    }
    for (i, lan) in lans.iter().enumerate() {
        for (j, a) in addrs.iter().enumerate() {
            if i != j {
                lan.add_peer(&format!("http://{a}"), false)
                    .map_err(anyhow::Error::msg)?;
            }
        }
        tokio::spawn(Arc::clone(lan).run(stop_rx.clone()));
    }

    // 1. Propagation from A.
    let started = Instant::now();
    let mut at: HashMap<Uuid, Instant> = HashMap::new();
    let mut seen: [HashMap<Uuid, f64>; 2] = [HashMap::new(), HashMap::new()];
    let mut next = 0usize;
    let deadline = Duration::from_millis(20 * n as u64) + Duration::from_secs(30);
    while (seen[0].len() < n || seen[1].len() < n) && started.elapsed() < deadline {
        while next < n && started.elapsed() >= Duration::from_millis(20 * next as u64) {
            let (r, item) = (Arc::clone(&replicas[0]), items[next]);
            tokio::task::spawn_blocking(move || lock(&r).redeem(item, Some("A")).map(|_| ()))
                .await??;
            at.insert(item, Instant::now());
            next += 1;
        }
        for (k, r) in replicas[1..].iter().enumerate() {
            let (r, a) = (Arc::clone(r), ids[0]);
            let got = tokio::task::spawn_blocking(move || lock(&r).items_redeemed_by(a)).await??;
            let now = Instant::now();
            for item in got {
                if let Some(t) = at.get(&item) {
                    seen[k]
                        .entry(item)
                        .or_insert_with(|| now.duration_since(*t).as_secs_f64() * 1000.0);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut both: Vec<f64> = seen.iter().flat_map(|m| m.values().copied()).collect();
    let (mut b, mut c): (Vec<f64>, Vec<f64>) = (
        seen[0].values().copied().collect(),
        seen[1].values().copied().collect(),
    );

    // 2. Pairs with the peer network on.
    let shared = pairs(&replicas, &tokens[..n], 7).await;
    let _ = stop_tx.send(true);

    println!(
        "doors: 3 on 127.0.0.1, head office down; tick {} ms; {n} tickets",
        tick.as_millis()
    );
    println!();
    println!("admitted at A -> refused at the other doors (ms)");
    println!("            |    p50 |    p99 |    max | reached");
    for (name, v) in [("door B", &mut b), ("door C", &mut c), ("both", &mut both)] {
        let reached = v.len();
        let of = if name == "both" { 2 * n } else { n };
        let (p50, p99) = (pct(v, 50.0), pct(v, 99.0));
        let max = v.iter().copied().fold(f64::NAN, f64::max);
        println!("{name:<11} | {p50:>6.0} | {p99:>6.0} | {max:>6.0} | {reached}/{of}");
    }
    println!();
    println!(
        "double admissions: the same ticket scanned at two doors, the second scan OFFSET later"
    );
    println!("offset (s)  | pairs | doubles, doors alone (baseline) | doubles, doors sharing");
    let mut tot = (0, 0, 0);
    // The same seed: both runs have the same offsets, bucket by bucket.
    for (((lo, hi), (p, d_alone)), (_, d_lan)) in BUCKETS.iter().zip(&alone).zip(&shared) {
        println!(
            "{lo:>4.2}-{:<5.2} | {p:>5} | {d_alone:>31} | {d_lan:>22}",
            hi.min(5.0)
        );
        tot.0 += p;
        tot.1 += d_alone;
        tot.2 += d_lan;
    }
    println!("all         | {:>5} | {:>31} | {:>22}", tot.0, tot.1, tot.2);
    let late: u64 = BUCKETS
        .iter()
        .zip(&shared)
        .filter(|((lo, _), _)| *lo >= 2.0)
        .map(|(_, (_, d))| *d)
        .sum();
    println!("doubles with the second scan more than 2 s later, doors sharing: {late} (goal 0)");
    Ok(())
}
