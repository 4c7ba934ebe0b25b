//! Head office tickets at a device's door, over real HTTP on 127.0.0.1: the demo
//! seeds staff that reach devices through sync, `enrollment-code` on the command
//! line makes a code a device can enroll with, and
//! `GET /v1/products/{id}/items/{item_id}/ticket` answers a token signed by head
//! office that an enrolled device admits once.

use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use uuid::Uuid;
use wicket_device::Replica;
use wicket_device::sync::{self, SyncEngine};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqlStore, Store, keys};

fn last_word(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// Serve `db` in this process; answers the base URL, a read key and a write key.
async fn serve(db: &std::path::Path) -> (String, String, String, tokio::sync::oneshot::Sender<()>) {
    let store: Arc<dyn Store> = Arc::new(SqlStore::open(db).expect("open store"));
    let read = keys::create_key(store.as_ref(), Scope::Read)
        .await
        .expect("read key");
    let write = keys::create_key(store.as_ref(), Scope::Write)
        .await
        .expect("write key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = wicket_headoffice::serve(listener, store, async {
            let _ = rx.await;
        })
        .await;
    });
    (format!("http://{addr}"), read, write, tx)
}

async fn get(client: &reqwest::Client, url: &str, key: &str) -> (u16, Value) {
    let r = client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_staff_cli_code_and_head_office_tickets_work_at_the_door() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ho.db");

    let demo = Command::new(wicket_tests::bin("wicket-headoffice"))
        .args(["demo", "--users", "5", "--db"])
        .arg(&db)
        .output()
        .expect("run demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let out = String::from_utf8_lossy(&demo.stdout);
    assert!(out.contains("4 staff"), "{out}");
    assert!(out.contains("door 1111"), "{out}");

    let code_run = Command::new(wicket_tests::bin("wicket-headoffice"))
        .args(["enrollment-code", "--ttl-hours", "2", "--db"])
        .arg(&db)
        .output()
        .expect("run enrollment-code");
    assert!(
        code_run.status.success(),
        "{}",
        String::from_utf8_lossy(&code_run.stderr)
    );
    let code = last_word(&code_run.stdout);
    assert!(code.starts_with("en_"), "{code}");
    let bad_ttl = Command::new(wicket_tests::bin("wicket-headoffice"))
        .args(["enrollment-code", "--ttl-hours", "-1", "--db"])
        .arg(&db)
        .output()
        .expect("run enrollment-code");
    assert!(!bad_ttl.status.success());

    let (base, read, write, _stop) = serve(&db).await;
    let client = reqwest::Client::new();

    // A device enrolls with the CLI's code and pulls everything, staff included.
    let replica = Replica::open(dir.path().join("door.db")).expect("open replica");
    let shared = Arc::new(Mutex::new(replica));
    sync::enroll(&shared, &base, &code, "north door")
        .await
        .expect("enroll with the CLI code");
    let engine = SyncEngine::new(Arc::clone(&shared)).await.expect("engine");
    engine.sync_once(|_, _| {}).await.expect("first sync");
    {
        let r = shared.lock().expect("lock");
        for (pin, role) in [
            ("1111", "door"),
            ("2222", "box_office"),
            ("333333", "manager"),
            ("444444", "admin"),
        ] {
            let s = r.sign_in(pin).expect("demo staff pulled");
            assert_eq!(s.role.as_str(), role);
        }
    }

    // The first admission item and its ticket from head office.
    let (s, products) = get(&client, &format!("{base}/v1/products?limit=100"), &read).await;
    assert_eq!(s, 200, "{products}");
    let list = products["items"].as_array().expect("product list");
    let ga = list
        .iter()
        .find(|p| p["name"] == "General Admission")
        .expect("GA");
    let ga_id = ga["id"].as_str().expect("id").to_string();
    let perks_id = list
        .iter()
        .find(|p| p["name"] == "Drink Voucher")
        .and_then(|p| p["id"].as_str())
        .expect("voucher")
        .to_string();
    let (s, items) = get(
        &client,
        &format!("{base}/v1/products/{ga_id}/items?limit=2"),
        &read,
    )
    .await;
    assert_eq!(s, 200, "{items}");
    let items = items["items"].as_array().expect("items").clone();
    let item = items[0]["id"].as_str().expect("item id").to_string();

    // A signed ticket admits at the door: a read key may not fetch one.
    let ticket_url = format!("{base}/v1/products/{ga_id}/items/{item}/ticket");
    let (s, refused) = get(&client, &ticket_url, &read).await;
    assert_eq!(s, 403, "{refused}");
    let (s, ticket) = get(&client, &ticket_url, &write).await;
    assert_eq!(s, 200, "{ticket}");
    let token = ticket["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("WK1"), "{token}");
    assert!(
        ticket["svg"].as_str().is_some_and(|s| s.contains("<svg")),
        "QR as SVG"
    );
    let claims = wicket_ticket::parse(&token).expect("parses");
    assert_eq!(claims.claims().item_uuid.to_string(), item);

    // The enrolled device admits it once, then reports the repeat.
    {
        let mut r = shared.lock().expect("lock");
        let v = r.scan(&token, Some("North"), None).expect("scan");
        assert_eq!(v.code.as_str(), "ok", "{v:?}");
        assert!(v.admitted);
        let again = r.scan(&token, Some("North"), None).expect("scan");
        assert_eq!(again.code.as_str(), "already_redeemed");
    }

    // An enrolled device sells only from stock head office reserved for it: none
    // before the top-up, then from the allotment, and no second top-up while the
    // reserve is more than half full.
    let ga_uuid = Uuid::parse_str(&ga_id).expect("uuid");
    let sell = |r: &mut Replica| {
        r.sell(&wicket_device::SellRequest {
            product_id: ga_uuid,
            quantity: 1,
            buyer_email: "walk-in@example.com".into(),
            buyer_first_name: Some("Walk".into()),
            buyer_last_name: None,
            currency: None,
            payment_method: Some("card".into()),
            cash_amount: None,
            tendered: None,
        })
    };
    {
        let mut r = shared.lock().expect("lock");
        let e = sell(&mut r).expect_err("no allotment yet");
        assert_eq!(e.code(), "stock_exhausted", "{e}");
    }
    let granted = engine.top_up_allotments(10).await.expect("top up");
    assert!(granted >= 10, "GA and the voucher get stock: {granted}");
    {
        let mut r = shared.lock().expect("lock");
        let receipt = sell(&mut r).expect("sale from the allotment");
        assert_eq!(receipt.items.len(), 1);
    }
    assert_eq!(engine.top_up_allotments(10).await.expect("top up"), 0);
    let (pushed, _) = engine.sync_once(|_, _| {}).await.expect("push the sale");
    assert!(
        pushed.applied >= 2,
        "the redemption and the sale: {pushed:?}"
    );

    // Unknown item, or an item under the wrong product: 404.
    let nobody = Uuid::new_v4();
    let (s, v) = get(
        &client,
        &format!("{base}/v1/products/{ga_id}/items/{nobody}/ticket"),
        &write,
    )
    .await;
    assert_eq!(s, 404, "{v}");
    assert!(
        v["errors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("not_found"))
    );
    let (s, _) = get(
        &client,
        &format!("{base}/v1/products/{perks_id}/items/{item}/ticket"),
        &write,
    )
    .await;
    assert_eq!(s, 404);
    // Without a key: 401.
    let r = client
        .get(format!("{base}/v1/products/{ga_id}/items/{item}/ticket"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
}
