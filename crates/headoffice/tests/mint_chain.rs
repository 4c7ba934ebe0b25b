//! The mint worker against a real Asset Hub runtime: the head office binary runs as
//! a child process (so it can be killed), items are issued through its HTTP API,
//! and results are read back from chain state. chopsticks is started through
//! scripts/chopsticks.sh; without it these tests skip with a note unless CI is set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wicket_chain::devchain::{self, DevChain, DevChainOptions};
use wicket_chain::{AccountId, ChainConfig, Minter, keypair_from_secret};

const BIN: &str = env!("CARGO_BIN_EXE_wicket-headoffice");
const KSM: u128 = 1_000_000_000_000;
const URI: &str = "https://tickets.example.com/nft/season-2026.json";

fn free_port() -> u16 {
    devchain::free_port().expect("free port")
}

fn account(secret: &str) -> AccountId {
    keypair_from_secret(secret)
        .expect("dev secret")
        .public_key()
        .to_account_id()
}

struct HeadOffice {
    child: Child,
    base: String,
    write: String,
    http: reqwest::Client,
}

impl Drop for HeadOffice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Create the database and a write key with the CLI.
fn write_key(db: &Path) -> String {
    let out = Command::new(BIN)
        .args(["keys", "create", "--scope", "write", "--db"])
        .arg(db)
        .output()
        .expect("keys create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// `serve` with the mint worker on `chain_url`, wallet from `secret`.
/// `per_tx` items go in one Utility.batch_all transaction (1: two transactions per item).
async fn serve(
    db: &Path,
    write: &str,
    chain_url: &str,
    secret: &str,
    log: &Path,
    per_tx: usize,
) -> HeadOffice {
    let args = ["--db".to_string(), db.to_string_lossy().into_owned()];
    serve_on(&args, write, chain_url, secret, log, per_tx).await
}

/// `serve` on `db` (`--db FILE` or `--database-url URL`).
async fn serve_on(
    db: &[String],
    write: &str,
    chain_url: &str,
    secret: &str,
    log: &Path,
    per_tx: usize,
) -> HeadOffice {
    let port = free_port();
    let logf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let secret_file = log.with_extension("secret");
    std::fs::write(&secret_file, format!("{secret}\n")).expect("secret file");
    let child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(db)
        .args(["--chain-url", chain_url, "--chain", "WestendAssetHub"])
        .args([
            "--chain-symbol",
            "KSM",
            "--chain-decimals",
            "12",
            "--chain-ss58",
            "2",
        ])
        .args(["--mint-poll-ms", "200", "--mint-backoff-base-secs", "1"])
        .args([
            "--mint-backoff-max-secs",
            "2",
            "--mint-per-tx",
            &per_tx.to_string(),
        ])
        .arg("--wallet-secret-file")
        .arg(&secret_file)
        .env_remove("WICKET_WALLET_SECRET")
        .env("RUST_LOG", "info,wicket_headoffice=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::from(logf))
        .spawn()
        .expect("spawn head office");
    let ho = HeadOffice {
        child,
        base: format!("http://127.0.0.1:{port}"),
        write: write.to_string(),
        http: reqwest::Client::new(),
    };
    let started = Instant::now();
    loop {
        if ho
            .http
            .get(format!("{}/v1/version", ho.base))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "head office did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ho
}

impl HeadOffice {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.write)
            .json(&body)
            .send()
            .await
            .expect("post");
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.write)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json")
    }

    async fn product(&self, name: &str) -> String {
        let (st, p) = self
            .post(
                "/v1/products",
                json!({"type": "admission", "name": name, "mint_nft": true,
                       "metadata_uri": URI, "chain": "WestendAssetHub"}),
            )
            .await;
        assert_eq!(st, 201, "{p}");
        p["id"].as_str().expect("id").to_string()
    }

    /// Issue `n` items of `pid` to fresh users.
    async fn issue(&self, pid: &str, prefix: &str, n: usize) -> Vec<Value> {
        let users: Vec<Value> = (0..n)
            .map(|i| json!({"email": format!("{prefix}-{i}@example.com"), "firstName": "F", "lastName": "L"}))
            .collect();
        let (st, v) = self.post("/v1/users/create", Value::Array(users)).await;
        assert_eq!(st, 201, "{v}");
        let emails: Vec<String> = (0..n)
            .map(|i| format!("{prefix}-{i}@example.com"))
            .collect();
        let (st, v) = self
            .post(
                &format!("/v1/products/{pid}/items"),
                json!({"emails": emails}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    async fn items(&self, pid: &str) -> Vec<Value> {
        self.get(&format!("/v1/products/{pid}/items?limit=100"))
            .await["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Poll the product's items until `done` holds for the list, or panic.
    async fn wait_items(
        &self,
        pid: &str,
        within: Duration,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let items = self.items(pid).await;
            if done(&items) {
                return items;
            }
            assert!(
                started.elapsed() < within,
                "timed out waiting for {what}: {}",
                Value::Array(items.iter().map(|i| i["nft"].clone()).collect())
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

fn minted(items: &[Value]) -> usize {
    items
        .iter()
        .filter(|i| i["nft"]["state"] == "minted")
        .count()
}

fn all_minted(n: usize) -> impl Fn(&[Value]) -> bool {
    move |items| items.len() == n && minted(items) == n
}

/// Every item is on chain, owned by `owner`, with the product's metadata.
async fn assert_on_chain(minter: &Minter, items: &[Value], owner: &AccountId) {
    for it in items {
        let collection = it["nft"]["collection_id"].as_u64().expect("collection") as u32;
        let item = it["item_id"].as_u64().expect("item_id") as u32;
        assert_eq!(
            minter
                .item_owner(collection, item)
                .await
                .expect("read item"),
            Some(*owner),
            "item {item} on chain"
        );
        assert_eq!(
            minter
                .item_metadata(collection, item)
                .await
                .expect("read metadata"),
            Some(URI.as_bytes().to_vec()),
            "metadata of item {item}"
        );
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    chain: DevChain,
    db: PathBuf,
    write: String,
}

async fn fixture(name: &str, funds: Vec<(AccountId, u128)>, db_chain: bool) -> Option<Fixture> {
    if !devchain::available(name) {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let chain = DevChain::start(DevChainOptions {
        funds,
        db: db_chain.then(|| dir.path().join("chain.sqlite")),
        log: Some(dir.path().join("chopsticks.log")),
        ..Default::default()
    })
    .await
    .expect("chopsticks starts");
    let db = dir.path().join("ho.db");
    let write = write_key(&db);
    Some(Fixture {
        dir,
        chain,
        db,
        write,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_items_are_minted_on_chain() {
    let secret = "//WicketHoMint";
    let wallet = account(secret);
    let Some(f) = fixture(
        "issued_items_are_minted_on_chain",
        vec![(wallet, 1_000 * KSM)],
        false,
    )
    .await
    else {
        return;
    };
    let log = f.dir.path().join("ho.log");
    let ho = serve(&f.db, &f.write, &f.chain.url, secret, &log, 10).await;
    let pid = ho.product("Season pass").await;
    let issued = ho.issue(&pid, "fan", 3).await;
    assert!(issued.iter().all(|i| i["nft"]["state"] == "pending"));

    let items = ho
        .wait_items(&pid, Duration::from_secs(180), "3 minted", all_minted(3))
        .await;
    for it in &items {
        let nft = &it["nft"];
        assert!(
            nft["tx_hash"].as_str().is_some_and(|h| h.len() == 66),
            "{nft}"
        );
        assert!(
            nft["block_hash"].as_str().is_some_and(|h| h.len() == 66),
            "{nft}"
        );
        assert!(nft["metadata_tx_hash"].as_str().is_some(), "{nft}");
        assert_eq!(nft["chain"], "WestendAssetHub");
    }
    // One collection for the product.
    let collections: std::collections::BTreeSet<u64> = items
        .iter()
        .filter_map(|i| i["nft"]["collection_id"].as_u64())
        .collect();
    assert_eq!(collections.len(), 1);

    let cfg = ChainConfig::kusama_asset_hub(&f.chain.url);
    let reader = Minter::connect(cfg, keypair_from_secret(secret).expect("secret"))
        .await
        .expect("connect");
    assert_on_chain(&reader, &items, &wallet).await;
    assert_eq!(
        items[0]["nft"]["owner"].as_str(),
        Some(reader.wallet_address().as_str())
    );
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !log_text.contains("WicketHoMint"),
        "the secret must never be logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfunded_wallet_waits_and_mints_after_funding() {
    let secret = "//WicketHoPoor";
    let wallet = account(secret);
    let Some(f) = fixture(
        "unfunded_wallet_waits_and_mints_after_funding",
        vec![(wallet, KSM + KSM / 2)],
        false,
    )
    .await
    else {
        return;
    };
    let ho = serve(
        &f.db,
        &f.write,
        &f.chain.url,
        secret,
        &f.dir.path().join("ho.log"),
        10,
    )
    .await;
    let pid = ho.product("Poor man's pass").await;
    ho.issue(&pid, "poor", 2).await;
    let items = ho
        .wait_items(
            &pid,
            Duration::from_secs(120),
            "insufficient_funds on both",
            |items| {
                items.len() == 2
                    && items
                        .iter()
                        .all(|i| i["nft"]["error_code"] == "insufficient_funds")
            },
        )
        .await;
    let address = wicket_chain::ss58_encode(&wallet.0, 2);
    for it in &items {
        assert_eq!(it["nft"]["state"], "pending", "{it}");
        assert_eq!(
            it["nft"]["error"],
            format!("wallet {address} holds 1.5 KSM, needs 2")
        );
    }
    // Nothing was submitted while underfunded.
    let cfg = ChainConfig::kusama_asset_hub(&f.chain.url);
    let reader = Minter::connect(cfg, keypair_from_secret(secret).expect("secret"))
        .await
        .expect("connect");
    assert_eq!(reader.nonce(&wallet).await.expect("nonce"), 0);

    f.chain
        .set_free_balance(&wallet, 50 * KSM)
        .await
        .expect("fund via dev_setStorage");
    let items = ho
        .wait_items(
            &pid,
            Duration::from_secs(180),
            "2 minted after funding",
            all_minted(2),
        )
        .await;
    assert_on_chain(&reader, &items, &wallet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_mid_queue_mints_nothing_twice() {
    let secret = "//WicketHoKill";
    let wallet = account(secret);
    let Some(f) = fixture(
        "worker_killed_mid_queue_mints_nothing_twice",
        vec![(wallet, 1_000 * KSM)],
        false,
    )
    .await
    else {
        return;
    };
    const N: usize = 8;
    let log = f.dir.path().join("ho.log");
    let mut ho = serve(&f.db, &f.write, &f.chain.url, secret, &log, 1).await;
    let pid = ho.product("Kill test").await;
    ho.issue(&pid, "k", N).await;
    ho.wait_items(&pid, Duration::from_secs(180), "first mints", |items| {
        minted(items) >= 2
    })
    .await;
    // SIGKILL: no graceful shutdown, possibly mid-transaction.
    ho.child.kill().expect("kill");
    let _ = ho.child.wait();
    drop(ho);
    let ho = serve(&f.db, &f.write, &f.chain.url, secret, &log, 1).await;
    let items = ho
        .wait_items(
            &pid,
            Duration::from_secs(240),
            "all minted after restart",
            all_minted(N),
        )
        .await;
    assert!(minted(&items) == N && items.iter().all(|i| i["nft"]["attempts"].is_null()));

    let cfg = ChainConfig::kusama_asset_hub(&f.chain.url);
    let reader = Minter::connect(cfg, keypair_from_secret(secret).expect("secret"))
        .await
        .expect("connect");
    assert_on_chain(&reader, &items, &wallet).await;
    // Exactly one create plus one mint and one set_metadata per item were ever
    // submitted by the wallet, and only one collection exists.
    assert_eq!(
        reader.nonce(&wallet).await.expect("nonce"),
        1 + 2 * N as u64,
        "extra transactions were submitted"
    );
    assert_eq!(reader.next_collection_id().await.expect("next"), 1);
}

/// A TCP relay between head office and the chain that can be cut (every open
/// connection closed, new ones refused) and restored on the same port: the chain
/// vanishes from head office's view while its state stays intact.
struct Relay {
    port: u16,
    upstream: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(upstream: u16) -> Relay {
        let mut r = Relay {
            port: free_port(),
            upstream,
            task: None,
        };
        r.restore().await;
        r
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    async fn restore(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("relay binds");
        let upstream = self.upstream;
        self.task = Some(tokio::spawn(async move {
            // Connections live in this set, so aborting the accept task closes them all.
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut down, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut up) =
                        tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
            }
        }));
    }

    async fn cut(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_outage_is_survived() {
    let secret = "//WicketHoOutage";
    let wallet = account(secret);
    let Some(f) = fixture(
        "chain_outage_is_survived",
        vec![(wallet, 1_000 * KSM)],
        false,
    )
    .await
    else {
        return;
    };
    let mut relay = Relay::start(f.chain.port).await;
    let ho = serve(
        &f.db,
        &f.write,
        &relay.url(),
        secret,
        &f.dir.path().join("ho.log"),
        1,
    )
    .await;
    let pid = ho.product("Outage").await;
    ho.issue(&pid, "before", 2).await;
    ho.wait_items(&pid, Duration::from_secs(180), "2 minted", all_minted(2))
        .await;

    // The chain goes away (connections dropped, new ones refused); new items wait,
    // showing why.
    relay.cut().await;
    ho.issue(&pid, "during", 2).await;
    ho.wait_items(
        &pid,
        Duration::from_secs(120),
        "errors while down",
        |items| {
            items.len() == 4
                && items
                    .iter()
                    .filter(|i| i["nft"]["state"] == "pending")
                    .all(|i| i["nft"]["error_code"].is_string())
                && minted(items) == 2
        },
    )
    .await;

    // It comes back on the same address and the rest is minted, nothing twice.
    relay.restore().await;
    let items = ho
        .wait_items(
            &pid,
            Duration::from_secs(180),
            "4 minted after outage",
            all_minted(4),
        )
        .await;
    let cfg = ChainConfig::kusama_asset_hub(&f.chain.url);
    let reader = Minter::connect(cfg, keypair_from_secret(secret).expect("secret"))
        .await
        .expect("connect");
    assert_on_chain(&reader, &items, &wallet).await;
    assert_eq!(reader.nonce(&wallet).await.expect("nonce"), 1 + 2 * 4);
    relay.cut().await;
    f.chain.stop().await;
}

/// Throughput of the worker: `cargo test -p wicket-headoffice --test mint_chain -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; prints mints per minute"]
async fn measure_mints_per_minute() {
    let secret = "//WicketHoBench";
    let wallet = account(secret);
    let Some(f) = fixture(
        "measure_mints_per_minute",
        vec![(wallet, 10_000 * KSM)],
        false,
    )
    .await
    else {
        return;
    };
    let n: usize = std::env::var("WICKET_BENCH_MINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let per_tx: usize = std::env::var("WICKET_MINT_PER_TX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let ho = serve(
        &f.db,
        &f.write,
        &f.chain.url,
        secret,
        &f.dir.path().join("ho.log"),
        per_tx,
    )
    .await;
    // Warm up: the collection is created with the first mint.
    let pid = ho.product("Bench").await;
    ho.issue(&pid, "warm", 1).await;
    ho.wait_items(&pid, Duration::from_secs(180), "warm-up", all_minted(1))
        .await;
    let started = Instant::now();
    ho.issue(&pid, "bench", n).await;
    ho.wait_items(&pid, Duration::from_secs(1800), "bench", all_minted(n + 1))
        .await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "mint worker: {n} items minted (mint + set_metadata each, {per_tx} per transaction) in {secs:.1} s = {:.1} mints per minute",
        n as f64 * 60.0 / secs
    );
}

/// Two head office processes on one PostgreSQL database, both running the mint
/// worker with the same wallet: every item is minted, on chain, and no item is
/// submitted twice (each `item minted` line names a distinct item).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_mint_every_item_once() {
    let secret = "//WicketHoTwo";
    let wallet = account(secret);
    let Some(f) = fixture(
        "two_processes_on_postgres_mint_every_item_once",
        vec![(wallet, 1_000 * KSM)],
        false,
    )
    .await
    else {
        return;
    };
    let admin = std::env::var("WICKET_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("needs PostgreSQL: export WICKET_TEST_DATABASE_URL=$(scripts/postgres.sh env)")
    });
    let url = wicket_headoffice::db::postgres::create_database(&admin).expect("database");
    let out = Command::new(BIN)
        .args(["keys", "create", "--scope", "write", "--database-url", &url])
        .output()
        .expect("keys create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let write = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    let db = ["--database-url".to_string(), url.clone()];
    let (log_a, log_b) = (f.dir.path().join("a.log"), f.dir.path().join("b.log"));
    let a = serve_on(&db, &write, &f.chain.url, secret, &log_a, 1).await;
    let b = serve_on(&db, &write, &f.chain.url, secret, &log_b, 1).await;
    let mut pids = Vec::new();
    for (n, ho) in [&a, &b, &a].iter().enumerate() {
        let pid = ho.product(&format!("Pass {n}")).await;
        ho.issue(&pid, &format!("two{n}"), 2).await;
        pids.push(pid);
    }
    let cfg = ChainConfig::kusama_asset_hub(&f.chain.url);
    let reader = Minter::connect(cfg, keypair_from_secret(secret).expect("secret"))
        .await
        .expect("connect");
    for pid in &pids {
        let items = b
            .wait_items(pid, Duration::from_secs(240), "2 minted", all_minted(2))
            .await;
        assert_on_chain(&reader, &items, &wallet).await;
    }
    let logs = strip_ansi(&format!(
        "{}{}",
        std::fs::read_to_string(&log_a).unwrap_or_default(),
        std::fs::read_to_string(&log_b).unwrap_or_default()
    ));
    let minted: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("item minted"))
        .filter_map(|l| l.split("item=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = minted.iter().collect();
    assert_eq!(minted.len(), 6, "six mints in all: {minted:?}");
    assert_eq!(distinct.len(), 6, "no item minted twice: {minted:?}");
}

/// The log's text without terminal colour codes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
