//! What a staff PIN hash costs, and so what guessing a stolen one costs: the median
//! time of one Argon2id hash at the domain's `PIN_HASH_*` cost against the crate's
//! default cost (the baseline, measured in the same run), the time to try every
//! 6-digit PIN on all this machine's cores, and sign-ins on the demo staff (worst
//! case, first time, again). `cargo bench -p wicket-device --bench pin`.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_hash(a: &Argon2<'_>, runs: usize) -> anyhow::Result<Duration> {
    let salt = SaltString::encode_b64(&[7u8; 16]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut v = Vec::with_capacity(runs);
    for i in 0..runs {
        let pin = format!("{:06}", 123_456 + i);
        let t = Instant::now();
        a.hash_password(pin.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        v.push(t.elapsed());
    }
    Ok(median(v))
}

fn main() -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let params = Params::new(
        wicket_domain::PIN_HASH_MEMORY_KIB,
        wicket_domain::PIN_HASH_PASSES,
        1,
        None,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ours = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let base = time_hash(&Argon2::default(), 9)?;
    let t = time_hash(&ours, 9)?;
    let search = |d: Duration, digits: i32| d.as_secs_f64() * 10f64.powi(digits) / cores;
    println!(
        "argon2 default (19 MiB, 2 passes): median {:.1} ms/hash; 6-digit search {:.1} h on {cores} cores",
        base.as_secs_f64() * 1e3,
        search(base, 6) / 3600.0
    );
    println!(
        "wicket PIN hash ({} MiB, {} passes): median {:.1} ms/hash ({:.1}x); 6-digit search {:.1} days, 4-digit {:.1} h on {cores} cores",
        wicket_domain::PIN_HASH_MEMORY_KIB / 1024,
        wicket_domain::PIN_HASH_PASSES,
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() / base.as_secs_f64(),
        search(t, 6) / 86_400.0,
        search(t, 4) / 3600.0
    );

    // Sign-in tries the staff in turn (the last one to sign in first): the worst
    // case is a PIN that matches nobody.
    let dir = tempfile::tempdir()?;
    let mut r = wicket_device::Replica::open(dir.path().join("pin.db"))?;
    wicket_device::demo::install(&mut r)?;
    let n = r.staff()?.len();
    let mut v = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let _ = r.sign_in("0000");
        v.push(t0.elapsed());
    }
    let hit = Instant::now();
    r.sign_in("1111")?;
    let first = hit.elapsed();
    // The same person again (a break, a shift change): verified from this process's
    // in-memory cache, with the stored hash re-checked.
    let again = Instant::now();
    r.sign_in("1111")?;
    println!(
        "sign-in with {n} staff: wrong PIN (all checked) median {:.0} ms; right PIN {:.0} ms, the same PIN again {:.2} ms",
        median(v).as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        again.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
