//! A device killed (SIGKILL) in the middle of a pull reopens with a consistent
//! replica (whole pages only, cursor matching them) and resumes from its cursor.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;
use wicket_device::Replica;
use wicket_device::sync::{self, SharedReplica, SyncEngine};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqlStore, Store, keys};

async fn post(
    c: &reqwest::Client,
    url: String,
    key: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = c
        .post(url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_pull_resumes_from_cursor() {
    const ITEMS: i64 = 60_000;
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("ho.db");
    let store: Arc<dyn Store> = Arc::new(SqlStore::open(&db).expect("store"));
    let key = keys::create_key(store.as_ref(), Scope::Write)
        .await
        .expect("key");
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", l.local_addr().expect("addr"));
    tokio::spawn(wicket_headoffice::serve(l, store, std::future::pending()));
    let c = reqwest::Client::new();
    let p = post(
        &c,
        format!("{base}/v1/products"),
        &key,
        json!({"type": "admission", "name": "Big", "price": "5.00"}),
    )
    .await;
    let pid = p["id"].as_str().expect("id").to_string();
    let u = post(
        &c,
        format!("{base}/v1/users/create"),
        &key,
        json!([{"email": "a@example.com"}]),
    )
    .await;
    let uid = u["users"][0]["id"].as_str().expect("uid").to_string();
    {
        let mut h = rusqlite::Connection::open(&db).expect("ho db");
        h.busy_timeout(Duration::from_secs(10)).expect("busy");
        let tx = h.transaction().expect("tx");
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO items (id, product_id, item_id, owner_id, redemption_count, redemption_quantity, origin, revoked, issued_at, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, 0, 1, 'issue', 0, 0, 'x', 'x')",
                )
                .expect("prep");
            for n in 1..=ITEMS {
                st.execute(rusqlite::params![Uuid::now_v7().to_string(), pid, n, uid])
                    .expect("insert");
            }
        }
        tx.execute(
            "UPDATE products SET issued = ?1, next_item_id = ?1 + 1",
            [ITEMS],
        )
        .expect("counters");
        tx.commit().expect("commit");
    }
    let code = post(
        &c,
        format!("{base}/v1/devices/enrollment-codes"),
        &key,
        json!({}),
    )
    .await;
    let rdb = dir.path().join("dev.db");
    let shared: SharedReplica = Arc::new(Mutex::new(Replica::open(&rdb).expect("replica")));
    sync::enroll(&shared, &base, code["code"].as_str().expect("code"), "dev")
        .await
        .expect("enroll");
    drop(shared);

    // `wicket sync` as a child process, killed once it has committed a page or two.
    let mut child = std::process::Command::new(wicket_tests::bin("wicket"))
        .arg("--db")
        .arg(&rdb)
        .arg("sync")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn wicket");
    // The replica is encrypted: watch it through its key.
    let key = wicket_device::vault::key_for(&rdb).expect("replica key");
    let watch = wicket_device::vault::open_encrypted(&rdb, &key).expect("watch");
    watch.busy_timeout(Duration::from_secs(5)).expect("busy");
    let t0 = Instant::now();
    loop {
        let cur: Option<String> = watch
            .query_row(
                "SELECT value FROM meta WHERE key = 'pull_cursor'",
                [],
                |r| r.get(0),
            )
            .ok();
        if cur.is_some() {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "pull never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    drop(watch);

    let h = rusqlite::Connection::open(&db).expect("ho db");
    let max_seq: i64 = h
        .query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))
        .expect("max");
    let r = Replica::open(&rdb).expect("reopen after kill");
    let cursor = r.pull_cursor().expect("cursor");
    assert!(
        cursor > 0 && cursor < max_seq,
        "killed mid-pull: cursor {cursor} of {max_seq}"
    );
    let items: i64 = r
        .connection()
        .query_row("SELECT COUNT(*) FROM items", [], |x| x.get(0))
        .expect("n");
    let expect: i64 = h
        .query_row(
            "SELECT COUNT(*) FROM changes WHERE entity = 'item' AND seq <= ?1",
            [cursor],
            |x| x.get(0),
        )
        .expect("n");
    assert_eq!(
        items, expect,
        "replica holds exactly the pages up to its cursor"
    );
    let rest: i64 = h
        .query_row(
            "SELECT COUNT(*) FROM changes WHERE seq > ?1",
            [cursor],
            |x| x.get(0),
        )
        .expect("rest");

    let shared: SharedReplica = Arc::new(Mutex::new(r));
    let e = SyncEngine::new(Arc::clone(&shared)).await.expect("engine");
    let (_, pulled) = e.sync_once(|_, _| {}).await.expect("resume");
    assert_eq!(
        pulled.changes as i64, rest,
        "resumed from the cursor, nothing pulled twice"
    );
    let g = shared.lock().expect("lock");
    let n: i64 = g
        .connection()
        .query_row("SELECT COUNT(*) FROM items", [], |x| x.get(0))
        .expect("n");
    assert_eq!(n, ITEMS);
}
