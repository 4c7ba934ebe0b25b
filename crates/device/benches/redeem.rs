//! Door redemption latency on a large replica, next to a bare SQLite baseline.
//!
//! `cargo bench -p wicket-device --bench redeem` fills a replica with
//! WICKET_BENCH_ITEMS items (default 1,000,000), then redeems WICKET_BENCH_N random
//! items (default 3,000) one by one by uuid and as many through the door verdict, each its own durable transaction (WAL,
//! synchronous=FULL). Interleaved with it, the baseline runs one `UPDATE` and one
//! `INSERT` in a WAL + FULL transaction on a file of the same size in the same folder.
//! Both are measured in the same run, so machine noise hits both alike.

use std::time::{Duration, Instant};

use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
use rusqlite::{Connection, params};
use uuid::Uuid;
use wicket_device::{Replica, demo};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> anyhow::Result<()> {
    let items = env_usize("WICKET_BENCH_ITEMS", 1_000_000);
    let n = env_usize("WICKET_BENCH_N", 3_000);
    let dir = tempfile::Builder::new()
        .prefix("wicket-bench-")
        .tempdir_in(
            std::env::var("WICKET_BENCH_DIR")
                .unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_string()),
        )?;

    // --- the replica
    let t = Instant::now();
    let mut replica = Replica::open(dir.path().join("replica.db"))?;
    let (cat, _) = demo::catalog(items, replica.now())?;
    replica.load_catalog(&cat)?;
    let ids: Vec<Uuid> = cat.items.iter().map(|i| i.id).collect();
    drop(cat);
    println!(
        "filled replica with {items} items in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    // --- the baseline: same row count, same key type, same pragmas
    let t = Instant::now();
    let mut base = Connection::open(dir.path().join("baseline.db"))?;
    base.pragma_update(None, "journal_mode", "WAL")?;
    base.pragma_update(None, "synchronous", "FULL")?;
    base.execute_batch(
        "CREATE TABLE items (id BLOB PRIMARY KEY, count INTEGER NOT NULL, at INTEGER) STRICT;
         CREATE TABLE log (id BLOB PRIMARY KEY, item BLOB NOT NULL, at INTEGER NOT NULL) STRICT;",
    )?;
    {
        let tx = base.transaction()?;
        {
            let mut st = tx.prepare("INSERT INTO items (id, count) VALUES (?1, 0)")?;
            for id in &ids {
                st.execute([id])?;
            }
        }
        tx.commit()?;
    }
    println!(
        "filled baseline with {items} rows in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let mut rng = StdRng::seed_from_u64(7);
    let mut picks = ids.clone();
    picks.shuffle(&mut rng);
    picks.truncate(2 * n);
    // Half the picks are redeemed by uuid, half through the full door verdict from a
    // signed token (parse, signature, issuer, revocation, window, redeem, commit).
    let tokens: Vec<String> = picks[n..]
        .iter()
        .map(|id| replica.ticket_token(*id))
        .collect::<Result<_, _>>()?;
    let mut ours = Vec::with_capacity(n);
    let mut door = Vec::with_capacity(n);
    let mut bare = Vec::with_capacity(n);
    for (k, id) in picks[..n].iter().enumerate() {
        // Shuffle the order of the three each round so none always runs on a warmer cache.
        let mut order = [0u8, 1, 2];
        order.shuffle(&mut rng);
        for turn in order {
            if turn == 0 {
                let t = Instant::now();
                replica.redeem(*id, Some("bench"))?;
                ours.push(t.elapsed());
            } else if turn == 1 {
                let t = Instant::now();
                let v = replica.scan(&tokens[k], Some("bench"), None)?;
                door.push(t.elapsed());
                anyhow::ensure!(v.admitted, "bench ticket refused: {}", v.code);
            } else {
                let t = Instant::now();
                let tx = base.transaction()?;
                tx.prepare_cached("UPDATE items SET count = count + 1, at = ?2 WHERE id = ?1")?
                    .execute(params![id, k as i64])?;
                tx.prepare_cached("INSERT INTO log (id, item, at) VALUES (?1, ?2, ?3)")?
                    .execute(params![Uuid::now_v7(), id, k as i64])?;
                tx.commit()?;
                bare.push(t.elapsed());
            }
        }
    }
    ours.sort();
    door.sort();
    bare.sort();
    let line = |name: &str, v: &[Duration]| {
        println!(
            "{name:<28} n={:<6} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
            v.len(),
            ms(pct(v, 0.5)),
            ms(pct(v, 0.99)),
            ms(*v.last().unwrap_or(&Duration::ZERO))
        )
    };
    println!("durable redemptions on a {items}-item replica (WAL, synchronous=FULL):");
    line("door verdict (scan token)", &door);
    line("wicket redeem (by uuid)", &ours);
    line("bare UPDATE+INSERT baseline", &bare);
    let base50 = ms(pct(&bare, 0.5)).max(1e-9);
    println!(
        "ratio p50 vs baseline: redeem {:.2}x, door verdict {:.2}x",
        ms(pct(&ours, 0.5)) / base50,
        ms(pct(&door, 0.5)) / base50
    );
    Ok(())
}
