//! Door redemption latency on a large replica, encrypted (SQLCipher, as shipped)
//! and unencrypted, next to a bare SQLite baseline.
//!
//! `cargo bench -p wicket-device --bench redeem` fills two replicas with the same
//! WICKET_BENCH_ITEMS items (default 1,000,000): one opened with `Replica::open`
//! (encrypted; its key goes to a `<db>.key` file written first, so no OS keyring is
//! touched) and one with `Replica::open_unencrypted`. On each it redeems the same
//! WICKET_BENCH_N random items (default 3,000) one by one by uuid and as many
//! through the door verdict, each its own durable transaction (WAL,
//! synchronous=FULL). Interleaved with them, the baseline runs one `UPDATE` and one
//! `INSERT` in a WAL + FULL transaction on a file of the same size in the same
//! folder. All are measured in the same run, in a shuffled order each round, so
//! machine noise hits them alike.
//!
//! To try a setting without touching the replica's code: `WICKET_BENCH_PRAGMAS` (SQL,
//! e.g. `PRAGMA cache_size = -65536;`) is run on both replicas' connections after
//! they open, then `WICKET_BENCH_CIPHER_PRAGMAS` on the encrypted one only;
//! `WICKET_BENCH_CIPHER_DEFAULTS` (e.g. `PRAGMA cipher_default_hmac_algorithm =
//! HMAC_SHA256;`) sets SQLCipher's process-wide defaults before anything opens, for
//! settings of the file format that must be in place before the key is used.

use std::path::Path;
use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng, rngs::StdRng, seq::SliceRandom};
use rusqlite::{Connection, params};
use uuid::Uuid;
use wicket_device::{Replica, demo, vault};

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

/// A replica: encrypted as the app opens it (`Replica::open`, keyed from a key file
/// written beside it first: a key file wins over the keyring in `vault::key_for`, so
/// the bench leaves nothing in the keyring), or unencrypted; then the settings
/// under test (`WICKET_BENCH_PRAGMAS`, and `WICKET_BENCH_CIPHER_PRAGMAS` when
/// encrypted).
fn open_replica(path: &Path, encrypted: bool) -> anyhow::Result<Replica> {
    let r = if encrypted {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        std::fs::write(vault::key_file_of(path), hex::encode(key))?;
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
            println!("{var} on the {} replica: {sql}", kind(encrypted));
        }
    }
    Ok(r)
}

/// `WICKET_BENCH_CIPHER_DEFAULTS`, run once on a throwaway connection: SQLCipher's
/// `cipher_default_*` pragmas hold for every database keyed afterwards.
fn cipher_defaults() -> anyhow::Result<()> {
    if let Ok(sql) = std::env::var("WICKET_BENCH_CIPHER_DEFAULTS") {
        Connection::open_in_memory()?.execute_batch(&sql)?;
        println!("WICKET_BENCH_CIPHER_DEFAULTS: {sql}");
    }
    Ok(())
}

fn kind(encrypted: bool) -> &'static str {
    if encrypted {
        "encrypted"
    } else {
        "unencrypted"
    }
}

/// Whether a file starts with the plain SQLite header.
fn plain_header(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)?.read_exact(&mut head)?;
    Ok(&head == b"SQLite format 3\0")
}

/// One `PRAGMA` as text (`-` when it answers nothing, e.g. unknown).
fn pragma(c: &Connection, name: &str) -> String {
    c.query_row(&format!("PRAGMA {name}"), [], |r| {
        r.get::<_, rusqlite::types::Value>(0)
    })
    .map(|v| match v {
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Text(t) => t,
        other => format!("{other:?}"),
    })
    .unwrap_or_else(|_| "-".into())
}

/// A replica under test and its timings.
struct Side {
    name: &'static str,
    replica: Replica,
    tokens: Vec<String>,
    redeem: Vec<Duration>,
    door: Vec<Duration>,
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

    // --- the replicas: same catalog (demo data is seeded), one encrypted, one not
    cipher_defaults()?;
    let enc_path = dir.path().join("replica.db");
    let plain_path = dir.path().join("replica-plain.db");
    let mut enc = open_replica(&enc_path, true)?;
    let mut plain = open_replica(&plain_path, false)?;
    let c = enc.connection();
    println!(
        "SQLCipher {} ({} {}), page size {}, {}, cipher_memory_security {}, cache_size {}",
        pragma(c, "cipher_version"),
        pragma(c, "cipher_provider"),
        pragma(c, "cipher_provider_version"),
        pragma(c, "cipher_page_size"),
        pragma(c, "cipher_hmac_algorithm"),
        pragma(c, "cipher_memory_security"),
        pragma(c, "cache_size"),
    );
    let (cat, _) = demo::catalog(items, enc.now())?;
    let mut fills = Vec::new();
    for (name, r) in [("encrypted", &mut enc), ("unencrypted", &mut plain)] {
        let t = Instant::now();
        r.load_catalog(&cat)?;
        let el = t.elapsed();
        println!(
            "filled {name} replica with {items} items in {:.1}s",
            el.as_secs_f64()
        );
        fills.push(el);
    }
    println!(
        "fill ratio encrypted / unencrypted: {:.2}x",
        fills[0].as_secs_f64() / fills[1].as_secs_f64().max(1e-9)
    );
    anyhow::ensure!(
        !plain_header(&enc_path)? && plain_header(&plain_path)?,
        "the encrypted replica is plain SQLite, or the unencrypted one is not"
    );
    let ids: Vec<Uuid> = cat.items.iter().map(|i| i.id).collect();
    drop(cat);

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
    // Each replica signs its own tokens (its own device key) for the same items.
    let mut sides = Vec::new();
    for (name, replica) in [("encrypted", enc), ("unencrypted", plain)] {
        let tokens = picks[n..]
            .iter()
            .map(|id| replica.ticket_token(*id))
            .collect::<Result<_, _>>()?;
        sides.push(Side {
            name,
            replica,
            tokens,
            redeem: Vec::with_capacity(n),
            door: Vec::with_capacity(n),
        });
    }
    let mut bare = Vec::with_capacity(n);
    for (k, id) in picks[..n].iter().enumerate() {
        // Shuffle the order of the five each round so none always runs on a warmer cache.
        let mut order = [0u8, 1, 2, 3, 4];
        order.shuffle(&mut rng);
        for turn in order {
            if turn == 4 {
                let t = Instant::now();
                let tx = base.transaction()?;
                tx.prepare_cached("UPDATE items SET count = count + 1, at = ?2 WHERE id = ?1")?
                    .execute(params![id, k as i64])?;
                tx.prepare_cached("INSERT INTO log (id, item, at) VALUES (?1, ?2, ?3)")?
                    .execute(params![Uuid::now_v7(), id, k as i64])?;
                tx.commit()?;
                bare.push(t.elapsed());
                continue;
            }
            let s = &mut sides[usize::from(turn / 2)];
            if turn % 2 == 0 {
                let t = Instant::now();
                s.replica.redeem(*id, Some("bench"))?;
                s.redeem.push(t.elapsed());
            } else {
                let t = Instant::now();
                let v = s.replica.scan(&s.tokens[k], Some("bench"), None)?;
                s.door.push(t.elapsed());
                anyhow::ensure!(v.admitted, "bench ticket refused: {}", v.code);
            }
        }
    }
    for s in &mut sides {
        s.redeem.sort();
        s.door.sort();
    }
    bare.sort();
    let line = |name: &str, v: &[Duration]| {
        println!(
            "{name:<34} n={:<6} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
            v.len(),
            ms(pct(v, 0.5)),
            ms(pct(v, 0.99)),
            ms(*v.last().unwrap_or(&Duration::ZERO))
        )
    };
    println!("durable redemptions on a {items}-item replica (WAL, synchronous=FULL):");
    for s in &sides {
        line(&format!("door verdict (scan token), {}", s.name), &s.door);
    }
    for s in &sides {
        line(&format!("wicket redeem (by uuid), {}", s.name), &s.redeem);
    }
    line("bare UPDATE+INSERT baseline", &bare);
    let ratio = |what: &str, a: &[Duration], b: &[Duration]| {
        let r = |p: f64| ms(pct(a, p)) / ms(pct(b, p)).max(1e-9);
        let max = |v: &[Duration]| ms(*v.last().unwrap_or(&Duration::ZERO));
        println!(
            "ratio encrypted / unencrypted, {what:<14}: p50 {:.2}x   p99 {:.2}x   max {:.2}x",
            r(0.5),
            r(0.99),
            max(a) / max(b).max(1e-9)
        );
    };
    let (e, p) = (&sides[0], &sides[1]);
    ratio("door verdict", &e.door, &p.door);
    ratio("redeem", &e.redeem, &p.redeem);
    let base50 = ms(pct(&bare, 0.5)).max(1e-9);
    for s in &sides {
        println!(
            "ratio p50 vs baseline ({}): redeem {:.2}x, door verdict {:.2}x",
            s.name,
            ms(pct(&s.redeem, 0.5)) / base50,
            ms(pct(&s.door, 0.5)) / base50
        );
    }
    let p99 = ms(pct(&e.door, 0.99));
    println!(
        "goal: encrypted door verdict p99 <= 5 ms: {p99:.3} ms, {}",
        if p99 <= 5.0 { "met" } else { "MISSED" }
    );
    Ok(())
}
