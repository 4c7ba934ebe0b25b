//! Several head office processes on one PostgreSQL database, as behind a load
//! balancer: real `wicket-headoffice serve` processes on a fresh database of the
//! server `WICKET_TEST_DATABASE_URL` names (`scripts/postgres.sh env`). Without that
//! server these tests fail; they never skip.

use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_wicket-headoffice");

fn admin_url() -> String {
    std::env::var("WICKET_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("these tests need PostgreSQL: export WICKET_TEST_DATABASE_URL=$(scripts/postgres.sh env)")
    })
}

/// A fresh database and a write key made with the CLI.
fn database() -> (String, String) {
    let url = wicket_headoffice::db::postgres::create_database(&admin_url()).expect("create db");
    let out = Command::new(BIN)
        .args(["keys", "create", "--database-url", &url, "--scope", "write"])
        .output()
        .expect("run keys create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let key = text.split_whitespace().last().expect("key").to_string();
    (url, key)
}

/// One `wicket-headoffice serve` process, killed on drop.
struct Proc {
    child: Child,
    base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn spawn(url: &str, client: &reqwest::Client) -> Proc {
    spawn_on(&["--database-url", url, "--db-pool", "8"], client).await
}

/// A process on `db` (`--database-url URL` or `--db FILE`).
async fn spawn_on(db: &[&str], client: &reqwest::Client) -> Proc {
    let port = free_port();
    let child = Command::new(BIN)
        .arg("serve")
        .args(db)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(match std::env::var("WICKET_TEST_HO_LOG") {
            // A folder to keep each process's log in, for debugging.
            Ok(dir) => std::fs::File::create(format!("{dir}/ho-{port}.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
            Err(_) => Stdio::null(),
        })
        .spawn()
        .expect("spawn head office");
    let p = Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{}/readyz", p.base)).send().await
            && r.status().is_success()
        {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("head office at {} never became ready", p.base);
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = client.request(method, url).bearer_auth(key);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("request");
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn post(c: &reqwest::Client, base: &str, path: &str, key: &str, body: Value) -> (u16, Value) {
    send(
        c,
        reqwest::Method::POST,
        format!("{base}{path}"),
        key,
        Some(body),
    )
    .await
}

async fn get(c: &reqwest::Client, base: &str, path: &str, key: &str) -> (u16, Value) {
    send(c, reqwest::Method::GET, format!("{base}{path}"), key, None).await
}

/// Create customers with these emails (through `base`).
async fn users(c: &reqwest::Client, base: &str, key: &str, emails: &[String]) {
    let body: Vec<Value> = emails.iter().map(|e| json!({"email": e})).collect();
    let (st, v) = post(c, base, "/v1/users/create", key, Value::Array(body)).await;
    assert_eq!(st, 201, "create users: {v}");
}

fn id(v: &Value) -> Uuid {
    Uuid::parse_str(v["id"].as_str().unwrap_or_default()).expect("id")
}

async fn product(c: &reqwest::Client, base: &str, key: &str, stock: u32) -> Uuid {
    let (st, v) = post(
        c,
        base,
        "/v1/products",
        key,
        json!({"type": "admission", "name": "Gig", "price": "5.00", "stock": stock}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    id(&v)
}

/// Enroll a device through `base`; its id and credential.
async fn enroll(c: &reqwest::Client, base: &str, key: &str) -> (Uuid, String) {
    let (st, code) = post(c, base, "/v1/devices/enrollment-codes", key, json!({})).await;
    assert_eq!(st, 200, "{code}");
    let pk = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
            .verifying_key()
            .to_bytes(),
    );
    let device = Uuid::now_v7();
    let (st, v) = post(
        c,
        base,
        "/v1/devices/enroll",
        "",
        json!({"code": code["code"], "name": "door", "public_key": pk, "device_id": device}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    (
        device,
        v["credential"].as_str().expect("credential").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_on_two_processes_sell_exactly_the_stock() {
    let (url, key) = database();
    let c = reqwest::Client::new();
    let (a, b) = (spawn(&url, &c).await, spawn(&url, &c).await);
    let pid = product(&c, &a.base, &key, 50).await;
    let bases = [a.base.clone(), b.base.clone()];
    let mut tasks = Vec::new();
    for client in 0..16usize {
        let (c, key, base) = (c.clone(), key.clone(), bases[client % 2].clone());
        tasks.push(tokio::spawn(async move {
            let mut sold = 0u32;
            let mut codes = Vec::new();
            for n in 0.. {
                let (st, v) = post(
                    &c,
                    &base,
                    "/v1/sales",
                    &key,
                    json!({"product_id": pid, "quantity": 1, "payment_method": "cash",
                           "buyer_email": format!("c{client}-{n}@example.com")}),
                )
                .await;
                codes.push(st);
                match st {
                    201 => sold += 1,
                    _ => {
                        assert!(st < 500, "a 5xx under contention: {st} {v}");
                        break;
                    }
                }
            }
            (sold, codes)
        }));
    }
    let mut sold = 0;
    for t in tasks {
        sold += t.await.expect("client").0;
    }
    assert_eq!(sold, 50, "exactly the stock is sold");
    let (st, page) = get(
        &c,
        &b.base,
        &format!("/v1/products/{pid}/items?limit=100"),
        &key,
    )
    .await;
    assert_eq!(st, 200, "{page}");
    let ids: BTreeSet<u64> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["item_id"].as_u64())
        .collect();
    assert_eq!(
        ids,
        (1..=50).collect::<BTreeSet<u64>>(),
        "item numbers 1..=50, once each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_batch_pushed_to_two_processes_at_once_applies_once() {
    let (url, key) = database();
    let c = reqwest::Client::new();
    let (a, b) = (spawn(&url, &c).await, spawn(&url, &c).await);
    let pid = product(&c, &a.base, &key, 100).await;
    let emails: Vec<String> = (0..30).map(|i| format!("g{i}@example.com")).collect();
    users(&c, &b.base, &key, &emails).await;
    let (st, v) = post(
        &c,
        &a.base,
        &format!("/v1/products/{pid}/items"),
        &key,
        json!({"emails": emails}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let items: Vec<Uuid> = v
        .as_array()
        .or_else(|| v["items"].as_array())
        .expect("items")
        .iter()
        .map(id)
        .collect();
    let (device, cred) = enroll(&c, &b.base, &key).await;
    let ops: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            json!({"seq": i, "op_id": Uuid::now_v7(), "device_id": device, "staff_id": null,
                   "device_time": 1_767_225_600, "kind": "redeem",
                   "payload": {"item": item, "product_id": pid, "gate": "north"}})
        })
        .collect();
    let batch = json!({"protocol_version": 1, "ops": ops});
    let (ra, rb) = tokio::join!(
        post(&c, &a.base, "/v1/sync/push", &cred, batch.clone()),
        post(&c, &b.base, "/v1/sync/push", &cred, batch.clone()),
    );
    assert_eq!((ra.0, rb.0), (200, 200), "{} / {}", ra.1, rb.1);
    let mut applied: HashMap<String, usize> = HashMap::new();
    for r in [&ra.1, &rb.1] {
        for res in r["results"].as_array().expect("results") {
            let status = res["status"].as_str().unwrap_or_default();
            assert!(status == "applied" || status == "duplicate", "{res}");
            if status == "applied" {
                *applied
                    .entry(res["op_id"].as_str().unwrap_or_default().into())
                    .or_default() += 1;
            }
        }
    }
    assert_eq!(applied.len(), items.len(), "every op applied somewhere");
    assert!(
        applied.values().all(|n| *n == 1),
        "no op applied twice: {applied:?}"
    );
    for item in &items {
        let (st, v) = get(&c, &a.base, &format!("/v1/items/{item}/redemptions"), &key).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            v.as_array().map(Vec::len),
            Some(1),
            "one scan of {item}: {v}"
        );
        let (_, it) = get(&c, &b.base, &format!("/v1/items/{item}"), &key).await;
        assert_eq!(it["redemption_count"], 1, "{it}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_pulling_while_two_processes_write_misses_nothing() {
    let (url, key) = database();
    let c = reqwest::Client::new();
    let (a, b) = (spawn(&url, &c).await, spawn(&url, &c).await);
    let pid = product(&c, &a.base, &key, 10_000).await;
    let (_, cred) = enroll(&c, &a.base, &key).await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));

    // The device pulls in a loop from process A while both processes write.
    let puller = {
        let (c, base, cred, done) = (c.clone(), a.base.clone(), cred.clone(), done.clone());
        tokio::spawn(async move {
            let mut since = 0i64;
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut pulls = 0u32;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                loop {
                    let (st, v) = get(
                        &c,
                        &base,
                        &format!("/v1/sync/pull?since={since}&limit=50"),
                        &cred,
                    )
                    .await;
                    assert_eq!(st, 200, "{v}");
                    pulls += 1;
                    for ch in v["changes"].as_array().expect("changes") {
                        if ch["entity"] == "item" {
                            seen.insert(ch["key"].as_str().unwrap_or_default().to_string());
                        }
                    }
                    since = v["next"].as_i64().expect("next");
                    if v["more"] != true {
                        break;
                    }
                }
                // One last full pull after the writers stopped, then compare.
                if finished {
                    return (seen, pulls);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut writers = Vec::new();
    for w in 0..6usize {
        let (c, key, base) = (
            c.clone(),
            key.clone(),
            if w % 2 == 0 {
                a.base.clone()
            } else {
                b.base.clone()
            },
        );
        writers.push(tokio::spawn(async move {
            let mut made = Vec::new();
            for n in 0..25 {
                let emails = vec![
                    format!("w{w}-{n}@example.com"),
                    format!("w{w}-{n}b@example.com"),
                ];
                users(&c, &base, &key, &emails).await;
                let (st, v) = post(
                    &c,
                    &base,
                    &format!("/v1/products/{pid}/items"),
                    &key,
                    json!({"emails": emails}),
                )
                .await;
                assert_eq!(st, 201, "{v}");
                made.extend(
                    v.as_array()
                        .or_else(|| v["items"].as_array())
                        .expect("items")
                        .iter()
                        .map(|i| id(i).to_string()),
                );
            }
            made
        }));
    }
    let mut issued = BTreeSet::new();
    for w in writers {
        issued.extend(w.await.expect("writer"));
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (seen, pulls) = puller.await.expect("puller");
    assert_eq!(issued.len(), 300);
    assert!(
        pulls > 3,
        "the device pulled while writes went on ({pulls} pulls)"
    );
    let missing: Vec<_> = issued.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "{} items never reached the device: {missing:?}",
        missing.len()
    );
}

/// Pull from `since` to the end; the keys seen and the last cursor.
async fn pull_all(
    c: &reqwest::Client,
    base: &str,
    cred: &str,
    mut since: i64,
) -> (Vec<String>, i64) {
    let mut keys = Vec::new();
    loop {
        let (st, v) = get(
            c,
            base,
            &format!("/v1/sync/pull?since={since}&limit=100"),
            cred,
        )
        .await;
        assert_eq!(st, 200, "{v}");
        for ch in v["changes"].as_array().expect("changes") {
            keys.push(ch["key"].as_str().unwrap_or_default().to_string());
        }
        since = v["next"].as_i64().expect("next");
        if v["more"] != true {
            return (keys, since);
        }
    }
}

async fn create_event(c: &reqwest::Client, base: &str, key: &str, name: &str) -> String {
    let (st, ev) = post(
        c,
        base,
        "/v1/events/create",
        key,
        json!({"name": name, "start_date": 1_900_000_000i64, "end_date": 1_900_014_400i64,
               "location": "Arena", "address": "1 Quay St"}),
    )
    .await;
    assert_eq!(st, 201, "{ev}");
    ev["id"].as_str().expect("event id").to_string()
}

/// A transaction held open on a thread of its own (the blocking client cannot run
/// inside tokio's runtime): it runs `sql` with `arg`, answers once that is done,
/// then commits when the returned sender fires (or is dropped).
fn open_transaction(
    url: &str,
    sql: &'static str,
    arg: String,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (finish_tx, finish_rx) = std::sync::mpsc::channel::<()>();
    let url = url.to_string();
    let t = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        let mut tx = client.transaction().expect("begin");
        tx.execute(sql, &[&arg])
            .expect("statement in the open transaction");
        ready_tx.send(()).expect("ready");
        let _ = finish_rx.recv();
        tx.commit().expect("commit");
    });
    ready_rx
        .recv()
        .expect("the open transaction ran its statement");
    (finish_tx, t)
}

/// The hazard itself, made to happen: a transaction stages a change and stays open
/// while a later one commits and a device pulls. Had the open one's change been
/// given its seq while it ran, the device's cursor would already be beyond it when
/// it commits, and it would never arrive. The open one must not hold back the
/// committed change either.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_committed_after_a_later_one_was_pulled_still_arrives() {
    let (url, key) = database();
    let c = reqwest::Client::new();
    let a = spawn(&url, &c).await;
    let (_, cred) = enroll(&c, &a.base, &key).await;
    let (_, mut since) = pull_all(&c, &a.base, &cred, 0).await;

    let slow_key = Uuid::now_v7().to_string();
    let (commit, slow) =
        open_transaction(&url, "SELECT wicket_touch('event', $1)", slow_key.clone());

    let fast = create_event(&c, &a.base, &key, "Committed first").await;
    let (first, next) = pull_all(&c, &a.base, &cred, since).await;
    assert!(
        !first.contains(&slow_key),
        "an uncommitted change was pulled"
    );
    assert!(
        first.contains(&fast),
        "a transaction left open held back another one's committed change"
    );
    since = next;
    commit.send(()).expect("commit");
    slow.join().expect("the open transaction committed");

    let (second, _) = pull_all(&c, &a.base, &cred, since).await;
    assert!(
        second.contains(&slow_key),
        "the change committed after the device pulled never reached it (pulled first {first:?}, then {second:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_process_loses_no_acknowledged_write() {
    let (url, key) = database();
    let c = reqwest::Client::new();
    let (mut a, b) = (spawn(&url, &c).await, spawn(&url, &c).await);
    let mut writers = Vec::new();
    for w in 0..4usize {
        let (c, key, base) = (c.clone(), key.clone(), a.base.clone());
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for n in 0..10_000 {
                let body = Value::Array(vec![json!({"email": format!("k{w}-{n}@example.com")})]);
                let resp = c
                    .post(format!("{base}/v1/users/create"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await;
                // After the kill the connection fails: that write was never acknowledged.
                let Ok(resp) = resp else { break };
                if resp.status().as_u16() != 201 {
                    break;
                }
                let Ok(v) = resp.json::<Value>().await else {
                    break;
                };
                acked.push(v["users"][0]["id"].as_str().unwrap_or_default().to_string());
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    // SIGKILL: no drain, no clean shutdown.
    a.child.kill().expect("kill -9");
    let _ = a.child.wait();
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.expect("writer"));
    }
    assert!(
        acked.len() > 20,
        "writes were flowing before the kill ({})",
        acked.len()
    );
    for id in &acked {
        let (st, v) = get(&c, &b.base, &format!("/v1/users/{id}/balances"), &key).await;
        assert_eq!(st, 200, "acknowledged user {id} lost: {v}");
    }
    // The other process keeps serving, reads and writes.
    let (st, v) = post(
        &c,
        &b.base,
        "/v1/users/create",
        &key,
        json!([{"email": "after@example.com"}]),
    )
    .await;
    assert_eq!(st, 201, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_enrolled_on_sqlite_keep_syncing_on_postgres_after_copy_db() {
    let c = reqwest::Client::new();
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("ho.db");
    let file_s = file.to_string_lossy().to_string();
    let out = Command::new(BIN)
        .args(["keys", "create", "--db", &file_s, "--scope", "write"])
        .output()
        .expect("keys create");
    assert!(out.status.success());
    let key = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .expect("key")
        .to_string();

    // Before: a SQLite head office, a device enrolled, synced, one scan pushed.
    let lite = spawn_on(&["--db", &file_s], &c).await;
    let pid = product(&c, &lite.base, &key, 10).await;
    let emails: Vec<String> = (0..3).map(|i| format!("m{i}@example.com")).collect();
    users(&c, &lite.base, &key, &emails).await;
    let (st, v) = post(
        &c,
        &lite.base,
        &format!("/v1/products/{pid}/items"),
        &key,
        json!({"emails": emails}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let items: Vec<Uuid> = v
        .as_array()
        .or_else(|| v["items"].as_array())
        .expect("items")
        .iter()
        .map(id)
        .collect();
    let (device, cred) = enroll(&c, &lite.base, &key).await;
    let redeem = |seq: i64, item: Uuid| {
        json!({"seq": seq, "op_id": Uuid::now_v7(), "device_id": device, "staff_id": null,
               "device_time": 1_767_225_600, "kind": "redeem",
               "payload": {"item": item, "product_id": pid, "gate": "north"}})
    };
    let first = redeem(1, items[0]);
    let (st, v) = post(
        &c,
        &lite.base,
        "/v1/sync/push",
        &cred,
        json!({"ops": [first.clone()]}),
    )
    .await;
    assert_eq!(
        (st, v["results"][0]["status"].as_str()),
        (200, Some("applied")),
        "{v}"
    );
    let mut cursor = 0i64;
    loop {
        let (st, v) = get(
            &c,
            &lite.base,
            &format!("/v1/sync/pull?since={cursor}&limit=500"),
            &cred,
        )
        .await;
        assert_eq!(st, 200, "{v}");
        cursor = v["next"].as_i64().expect("next");
        if v["more"] != true {
            break;
        }
    }
    drop(lite);

    // The move: copy-db into an empty PostgreSQL database.
    let url = wicket_headoffice::db::postgres::create_database(&admin_url()).expect("create db");
    let out = Command::new(BIN)
        .args(["copy-db", "--from", &file_s, "--to", &url])
        .output()
        .expect("copy-db");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pg = spawn(&url, &c).await;

    // After: the same key and device credential work; the cursor stays valid (no
    // change is sent again); a new scan applies, the old op is a duplicate.
    let (st, v) = get(
        &c,
        &pg.base,
        &format!("/v1/sync/pull?since={cursor}&limit=500"),
        &cred,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["changes"].as_array().map(Vec::len),
        Some(0),
        "nothing new since the cursor: {v}"
    );
    let (st, v) = post(
        &c,
        &pg.base,
        "/v1/sync/push",
        &cred,
        json!({"ops": [first, redeem(2, items[1])]}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["results"][0]["status"], "duplicate", "{v}");
    assert_eq!(v["results"][1]["status"], "applied", "{v}");
    let (st, v) = get(
        &c,
        &pg.base,
        &format!("/v1/sync/pull?since={cursor}&limit=500"),
        &cred,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let keys: Vec<&str> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|ch| ch["key"].as_str())
        .collect();
    assert!(
        keys.contains(&items[1].to_string().as_str()),
        "the new scan's item reaches the device: {keys:?}"
    );
    assert!(v["next"].as_i64().expect("next") > cursor);
    let (_, it) = get(&c, &pg.base, &format!("/v1/items/{}", items[0]), &key).await;
    assert_eq!(it["redemption_count"], 1, "{it}");
    // The API key made on SQLite still writes.
    let (st, _) = post(
        &c,
        &pg.base,
        "/v1/users/create",
        &key,
        json!([{"email": "later@example.com"}]),
    )
    .await;
    assert_eq!(st, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    let (url, key) = database();
    let c = reqwest::Client::new();
    let mut a = spawn(&url, &c).await;
    // A big batch keeps a request in flight for a while.
    let body: Vec<Value> = (0..1500)
        .map(|i| json!({"email": format!("t{i}@example.com")}))
        .collect();
    let req = {
        let (c, base, key) = (c.clone(), a.base.clone(), key.clone());
        tokio::spawn(
            async move { post(&c, &base, "/v1/users/create", &key, Value::Array(body)).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    let pid = a.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(killed.success());
    let (st, v) = req.await.expect("request");
    assert_eq!(st, 201, "the request in flight was finished: {v}");
    assert_eq!(v["users"].as_array().map(Vec::len), Some(1500));
    let mut exited = None;
    for _ in 0..100 {
        if let Ok(Some(status)) = a.child.try_wait() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = exited.expect("the process exits after SIGTERM");
    assert!(status.success(), "clean exit: {status}");
    assert!(
        c.get(format!("{}/healthz", a.base)).send().await.is_err(),
        "no longer accepting"
    );
}

/// Benchmarks drop the databases they made (each holds hundreds of MB once filled).
#[test]
fn a_created_database_can_be_dropped() {
    use wicket_headoffice::SqlStore;
    use wicket_headoffice::db::postgres::{create_database, drop_database};
    let url = create_database(&admin_url()).expect("create db");
    let store = SqlStore::connect(&url, 1).expect("connect and migrate");
    drop(store);
    drop_database(&admin_url(), &url).expect("drop");
    assert!(SqlStore::connect(&url, 1).is_err(), "the database is gone");
    assert!(drop_database(&admin_url(), "postgres://x@y/postgres").is_err());
}
