//! Door search latency on a large replica (issue 15: p95 ≤ 50 ms for three letters
//! of a name on 1,000,000 items).
//!
//! `cargo bench -p wicket-device --bench search` fills a replica (encrypted, as
//! shipped) with WICKET_BENCH_ITEMS items (default 1,000,000), each held by its own
//! demo customer, then times WICKET_BENCH_N searches (default 500) of each kind:
//! three letters of a first name, three of a last name, a first name and the start
//! of a last name, the start of an email, an order number, an item number. In the
//! same run, interleaved, the baseline: the search as it was before its indexes (a
//! `LIKE` over first, last and full name). Prints p50/p95/p99 per kind.

use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng, rngs::StdRng, seq::SliceRandom};
use wicket_device::{Replica, SellRequest, demo, vault};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// The search before this change: every customer read, `LIKE` on three columns.
const BASELINE: &str = "SELECT i.id FROM items i JOIN products p ON p.id = i.product_id \
     JOIN customers c ON c.id = i.owner_id \
     WHERE c.first_name LIKE ?1 OR c.last_name LIKE ?1 OR (c.first_name || ' ' || c.last_name) LIKE ?1 \
     ORDER BY c.last_name, c.first_name, i.item_id LIMIT 20";

fn main() -> anyhow::Result<()> {
    let items = env_usize("WICKET_BENCH_ITEMS", 1_000_000);
    let n = env_usize("WICKET_BENCH_N", 500);
    let dir = tempfile::Builder::new()
        .prefix("wicket-bench-search-")
        .tempdir_in(
            std::env::var("WICKET_BENCH_DIR")
                .unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_string()),
        )?;
    let path = dir.path().join("replica.db");
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    std::fs::write(vault::key_file_of(&path), hex::encode(key))?;
    let mut r = Replica::open(&path)?;
    let t = Instant::now();
    let (cat, ids) = demo::catalog(items, r.now())?;
    r.load_catalog(&cat)?;
    println!(
        "filled the encrypted replica with {items} items in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let people: Vec<(String, String, String)> = cat
        .customers
        .iter()
        .take(50_000)
        .map(|c| {
            (
                c.first_name.clone().unwrap_or_default(),
                c.last_name.clone().unwrap_or_default(),
                c.email.clone(),
            )
        })
        .collect();
    drop(cat);
    // A few orders to look up, sold here (as the demo box office, when the replica
    // has staff at all).
    if let Ok(staff) = r.sign_in("2222") {
        r.set_staff(Some(staff.id));
    }
    let mut orders = Vec::new();
    for k in 0..50 {
        let sold = r.sell(&SellRequest {
            product_id: ids.admission,
            quantity: 1,
            buyer_email: format!("bench.buyer{k}@example.com"),
            buyer_first_name: Some("Bench".into()),
            buyer_last_name: Some(format!("Buyer{k}")),
            currency: None,
            payment_method: Some("card".into()),
            cash_amount: None,
            tendered: None,
        })?;
        orders.push(sold.sale.order_number);
    }

    let mut rng = StdRng::seed_from_u64(11);
    let three = |s: &str| s.chars().take(3).collect::<String>();
    let mut kinds: Vec<(&str, Vec<String>)> = vec![
        ("first name, 3 letters", Vec::new()),
        ("last name, 3 letters", Vec::new()),
        ("first name + last start", Vec::new()),
        ("email start", Vec::new()),
        ("order number", Vec::new()),
        ("item number", Vec::new()),
    ];
    for _ in 0..n {
        let (f, l, e) = people.choose(&mut rng).cloned().unwrap_or_default();
        kinds[0].1.push(three(&f).to_lowercase());
        kinds[1].1.push(three(&l).to_uppercase());
        kinds[2].1.push(format!("{f} {}", three(&l)));
        kinds[3].1.push(e.chars().take(8).collect());
        kinds[4]
            .1
            .push(orders.choose(&mut rng).cloned().unwrap_or_default());
        kinds[5]
            .1
            .push(format!("#{}", 1 + rng.next_u64() % items as u64));
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(n); kinds.len()];
    let mut base = Vec::with_capacity(n);
    let mut found = 0usize;
    let c = r.connection();
    let mut baseline = c.prepare(BASELINE)?;
    for k in 0..n {
        let mut order: Vec<usize> = (0..=kinds.len()).collect();
        order.shuffle(&mut rng);
        for turn in order {
            if turn == kinds.len() {
                let pat = format!("{}%", kinds[0].1[k]);
                let t = Instant::now();
                let hits: Vec<Vec<u8>> = baseline
                    .query_map([pat], |row| row.get(0))?
                    .collect::<Result<_, _>>()?;
                base.push(t.elapsed());
                anyhow::ensure!(!hits.is_empty(), "baseline found nobody");
                continue;
            }
            let q = &kinds[turn].1[k];
            let t = Instant::now();
            let hits = r.find_items(q, 20)?;
            times[turn].push(t.elapsed());
            anyhow::ensure!(!hits.is_empty(), "{} {q:?} found nobody", kinds[turn].0);
            found += hits.len();
        }
    }
    println!("{n} searches of each kind ({found} results in all), limit 20:");
    let line = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        println!(
            "  {name:<34} p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms",
            pct(v, 0.5),
            pct(v, 0.95),
            pct(v, 0.99)
        );
    };
    for (i, (name, _)) in kinds.iter().enumerate() {
        line(name, &mut times[i]);
    }
    line("baseline: LIKE, first name 3 letters", &mut base);
    Ok(())
}
