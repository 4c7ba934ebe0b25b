//! Command tests through Tauri's mock runtime: real IPC requests against a real
//! replica in a temporary directory.

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};
use wicket_device::{Replica, demo};

use crate::{AppState, with_commands};

mod export;
mod lan;
mod manage;
mod till;

struct Harness {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
    admission: uuid::Uuid,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut replica = Replica::open(dir.path().join("t.db")).expect("open replica");
        let ids = demo::install_with(&mut replica, 20).expect("demo");
        let state = AppState::new(replica, dir.path().join("exports")).with_demo(true);
        Self::over(dir, state, ids.admission)
    }

    /// An app on an empty replica, as a fresh install without `WICKET_DEMO` starts.
    fn empty() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let replica = Replica::open(dir.path().join("t.db")).expect("open replica");
        let state = AppState::new(replica, dir.path().join("exports"));
        Self::over(dir, state, uuid::Uuid::nil())
    }

    fn over(dir: tempfile::TempDir, state: AppState, admission: uuid::Uuid) -> Self {
        let app = with_commands(mock_builder())
            .manage(state)
            .build(mock_context(noop_assets()))
            .expect("mock app");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("window");
        Harness {
            _app: app,
            window,
            _dir: dir,
            admission,
        }
    }

    fn call(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::Json(body),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().expect("json body"))
    }

    fn token_of(&self, number: u64) -> String {
        let state = self.window.state::<AppState>();
        let s = state.lock();
        let item = s
            .replica
            .item_by_number(self.admission, number)
            .expect("demo item");
        s.replica.ticket_token(item.id).expect("token")
    }
}

/// Change one character in the middle of the signature to another base32 letter.
fn tamper(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() - 20;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[test]
fn commands_need_a_signed_in_role() {
    let h = Harness::new();
    let e = h.call("scan", json!({"text": "x"})).expect_err("no staff");
    assert_eq!(e["code"], "not_signed_in");
    let e = h
        .call("sign_in", json!({"pin": "9999"}))
        .expect_err("bad pin");
    assert_eq!(e["code"], "bad_pin");
    assert!(e["message"].is_string());
    let staff = h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    assert_eq!(staff["role"], "door");
    let e = h.call("products", json!({})).expect_err("door cannot sell");
    assert_eq!(e["code"], "forbidden");
    h.call("sign_out", json!({})).expect("sign out");
    assert_eq!(h.call("session", json!({})).expect("session"), Value::Null);
}

#[test]
fn door_admits_once_then_reports_the_repeat_and_refuses_forgeries() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    let token = h.token_of(3);
    let v = h
        .call(
            "scan",
            json!({"text": format!("{token}\n"), "gate": "North"}),
        )
        .expect("scan");
    assert_eq!(v["code"], "ok", "{v}");
    assert_eq!(v["admitted"], true);
    assert!(v["holder_name"].is_string());
    assert_eq!(v["product_name"], "General Admission");

    let again = h
        .call("scan", json!({"text": token, "gate": "South"}))
        .expect("scan");
    assert_eq!(again["code"], "already_redeemed");
    assert_eq!(again["admitted"], false);
    assert_eq!(again["first_gate"], "North");

    let forged = h
        .call("scan", json!({"text": tamper(&h.token_of(4))}))
        .expect("scan");
    assert_eq!(forged["code"], "forged");
    let junk = h.call("scan", json!({"text": "hello"})).expect("scan");
    assert_eq!(junk["code"], "malformed");

    let status = h.call("sync_status", json!({})).expect("sync status");
    assert_eq!(
        status["pending"], 4,
        "one redemption and three refused scans (repeat, forged, junk) wait for upload"
    );
    assert_eq!(status["enrolled"], false);
    assert_eq!(status["running"], false);
    let e = h.call("sync_now", json!({})).expect_err("no head office");
    assert_eq!(e["code"], "not_enrolled");
}

#[test]
fn scan_image_decodes_a_qr_file() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    let png = wicket_ticket::render_png(&h.token_of(5), 4).expect("png");
    let b64 = format!(
        "data:image/png;base64,{}",
        data_encoding::BASE64.encode(&png)
    );
    let v = h
        .call("scan_image", json!({"image_base64": b64, "gate": "Main"}))
        .expect("scan image");
    assert_eq!(v["code"], "ok", "{v}");
    let e = h
        .call("scan_image", json!({"image_base64": "not base64!"}))
        .expect_err("bad image");
    assert_eq!(e["code"], "invalid_request");
}

#[test]
fn camera_frames_decode_without_redeeming_and_bad_frames_are_refused() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    let token = h.token_of(6);
    let img = wicket_ticket::render::render_gray(&token, 4).expect("gray");
    let frame = json!({
        "width": img.width(),
        "height": img.height(),
        "gray_base64": data_encoding::BASE64.encode(img.as_raw()),
    });
    let text = h.call("decode_frame", frame.clone()).expect("decode");
    assert_eq!(text, json!(token));
    // Decoding is not a redemption: the same frame decodes again, and the first
    // scan of the text is admitted.
    assert_eq!(h.call("decode_frame", frame).expect("again"), json!(token));
    let v = h.call("scan", json!({"text": token})).expect("scan");
    assert_eq!(v["code"], "ok", "{v}");

    let blank = json!({"width": 64, "height": 48, "gray_base64": data_encoding::BASE64.encode(&[255u8; 64 * 48])});
    assert_eq!(h.call("decode_frame", blank).expect("blank"), Value::Null);
    let e = h
        .call("decode_frame", json!({"width": 64, "height": 48, "gray_base64": data_encoding::BASE64.encode(&[0u8; 10])}))
        .expect_err("short frame");
    assert_eq!(e["code"], "invalid_request");
    let e = h
        .call(
            "decode_frame",
            json!({"width": 0, "height": 48, "gray_base64": ""}),
        )
        .expect_err("empty frame");
    assert_eq!(e["code"], "invalid_request");
    h.call("sign_out", json!({})).expect("sign out");
    let e = h
        .call(
            "decode_frame",
            json!({"width": 1, "height": 1, "gray_base64": "AA=="}),
        )
        .expect_err("signed out");
    assert_eq!(e["code"], "not_signed_in");
}

#[test]
fn a_manager_revokes_an_item_and_the_door_refuses_it() {
    let h = Harness::new();
    let token = h.token_of(7);
    let item = {
        let state = h.window.state::<AppState>();
        let s = state.lock();
        s.replica.item_by_number(h.admission, 7).expect("item").id
    };
    h.call("sign_in", json!({"pin": "2222"}))
        .expect("box office pin");
    let e = h
        .call("revoke", json!({"item": item, "reason": "refunded"}))
        .expect_err("box office cannot revoke");
    assert_eq!(e["code"], "forbidden");
    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager pin");
    let e = h
        .call("revoke", json!({"item": item, "reason": "  "}))
        .expect_err("no reason");
    assert_eq!(e["code"], "invalid_request");
    let e = h
        .call(
            "revoke",
            json!({"item": uuid::Uuid::now_v7(), "reason": "refunded"}),
        )
        .expect_err("unknown item");
    assert_eq!(e["code"], "not_found");
    let pending = h.call("sync_status", json!({})).expect("status")["pending"].clone();
    assert_eq!(pending, 0, "refused revocations queue nothing");
    let v = h
        .call("revoke", json!({"item": item, "reason": "refunded"}))
        .expect("revoke");
    assert_eq!(v["item"]["revoked"], true);
    let d = h
        .call("item_detail", json!({"item": item}))
        .expect("detail");
    assert_eq!(d["nft"], Value::Null, "the demo product does not mint");
    let v = h.call("scan", json!({"text": token})).expect("scan");
    assert_eq!(v["code"], "revoked", "{v}");
    assert_eq!(
        h.call("sync_status", json!({})).expect("status")["pending"],
        2,
        "the revocation and the refused scan (for every door's numbers) wait for upload"
    );
}

#[test]
fn box_office_sells_with_qr_tickets_the_door_accepts() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "2222"}))
        .expect("box office pin");
    let products = h.call("products", json!({})).expect("products");
    let ga = products
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "General Admission"))
        .expect("GA listed");
    assert_eq!(ga["price"], "49.00");
    let sale = h
        .call(
            "sell",
            json!({"req": {"product_id": ga["id"], "quantity": 2, "buyer_email": "New.Buyer@example.com",
                   "buyer_first_name": "New", "payment_method": "card"}}),
        )
        .expect("sell");
    assert_eq!(sale["receipt"]["sale"]["total"], "98.00");
    let tickets = sale["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 2);
    assert!(
        tickets[0]["svg"]
            .as_str()
            .is_some_and(|s| s.contains("<svg"))
    );
    // The receipt and both tickets were saved as one PDF in the export folder.
    let pdf_path = sale["pdf"].as_str().expect("pdf saved");
    let pdf = std::fs::read(pdf_path).expect("pdf file");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    let order = sale["receipt"]["sale"]["order_number"]
        .as_str()
        .expect("order");
    assert!(text.contains(order), "order number printed");
    assert!(text.contains("EUR 98.00"), "total printed");
    assert!(text.contains("/Count 3"), "receipt + 2 ticket pages");
    assert_eq!(sale["pdf_error"], Value::Null);
    // For looking at it: WICKET_KEEP_PDF=/tmp/sale.pdf cargo test -p wicket-app box_office
    if let Some(keep) = std::env::var_os("WICKET_KEEP_PDF") {
        std::fs::copy(pdf_path, keep).expect("keep pdf");
    }

    let bad = h
        .call(
            "sell",
            json!({"req": {"product_id": ga["id"], "quantity": 1, "buyer_email": "nope"}}),
        )
        .expect_err("bad email");
    assert!(bad["code"].is_string() && bad["message"].is_string());

    // Box office may also work the door.
    let v = h
        .call("scan", json!({"text": tickets[1]["token"]}))
        .expect("scan sold ticket");
    assert_eq!(v["code"], "ok", "{v}");
    assert_eq!(v["holder_name"], "New");
}

#[test]
fn issue_reports_each_line() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "2222"}))
        .expect("box office pin");
    let products = h.call("products", json!({})).expect("products");
    let perks = products
        .as_array()
        .and_then(|a| a.iter().find(|p| p["product_type"] == "perks"))
        .expect("perks listed");
    let bad = h
        .call(
            "issue",
            json!({"product_id": perks["id"], "recipients": ["a@example.com", "not an email"]}),
        )
        .expect("issue answers");
    assert_eq!(bad["issued"], 0);
    assert_eq!(bad["rows"][1]["status"], "invalid");
    assert_eq!(bad["rows"][0]["status"], "not_issued");

    let unknown = h
        .call(
            "issue",
            json!({"product_id": perks["id"], "recipients": ["a@example.com"]}),
        )
        .expect("issue answers");
    assert_eq!(unknown["rows"][0]["status"], "unknown", "{unknown}");

    let known: Vec<String> = ["#1", "#2"]
        .iter()
        .map(|q| {
            let found = h.call("find_items", json!({"query": q})).expect("find");
            found[0]["owner_email"].as_str().expect("email").to_string()
        })
        .collect();
    let ok = h
        .call(
            "issue",
            json!({"product_id": perks["id"], "recipients": [known[0], format!(" {} ", known[1]), ""]}),
        )
        .expect("issue");
    assert_eq!(ok["issued"], 2, "{ok}");
    assert_eq!(ok["rows"][0]["status"], "issued");
    assert!(ok["rows"][1]["item_id"].is_u64());
}

#[test]
fn manager_sees_sales_totals_and_rewards() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "2222"}))
        .expect("box office pin");
    let e = h
        .call("sales", json!({}))
        .expect_err("box office has no sales");
    assert_eq!(e["code"], "forbidden");
    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager pin");
    let products = h.call("products", json!({})).expect("products");
    let ga = &products[0];
    let e = h
        .call(
            "sell",
            json!({"req": {"product_id": ga["id"], "quantity": 1, "buyer_email": "x@example.com"}}),
        )
        .expect_err("cash with no drawer open");
    assert_eq!(e["code"], "no_open_session");
    h.call("drawer_open", json!({"float": "0"}))
        .expect("open the drawer");
    h.call(
        "sell",
        json!({"req": {"product_id": ga["id"], "quantity": 1, "buyer_email": "x@example.com"}}),
    )
    .expect("sell");
    let sales = h.call("sales", json!({})).expect("sales");
    assert_eq!(sales["totals"].as_array().map(Vec::len), Some(1));
    assert_eq!(sales["recent"][0]["payment_method"], "cash");

    // The Sales screen's totals, saved through the one export path.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let saved = h
        .call(
            "export",
            json!({"kind": "totals", "from": now - 3600, "to": now + 3600, "format": "csv"}),
        )
        .expect("export");
    let text = std::fs::read_to_string(saved["path"].as_str().expect("path")).expect("file");
    assert!(
        text.starts_with("product,currency,payment_method,"),
        "{text}"
    );
    assert!(text.contains(",cash,1,1,"), "{text}");
    assert_eq!(saved["rows"], 1);

    let found = h.call("find_items", json!({"query": "#1"})).expect("find");
    let email = found[0]["owner_email"].as_str().expect("email").to_string();
    let c = h
        .call("customer", json!({"query": email}))
        .expect("customer");
    assert!(c["offers"].as_array().is_some_and(|o| !o.is_empty()));
    let e = h
        .call("customer", json!({"query": "nobody@example.com"}))
        .expect_err("unknown");
    assert_eq!(e["code"], "not_found");
}

// ------------------------------------------------------------------ head office

/// A real head office on 127.0.0.1 with the demo seeded (staff included), served on
/// Tauri's async runtime, which outlives each test's mock app.
struct HeadOffice {
    base: String,
    store: std::sync::Arc<dyn wicket_headoffice::Store>,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl HeadOffice {
    fn start(users: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ho.db");
        let store: std::sync::Arc<dyn wicket_headoffice::Store> =
            std::sync::Arc::new(wicket_headoffice::SqlStore::open(&db).expect("head office store"));
        let s2 = std::sync::Arc::clone(&store);
        let base = tauri::async_runtime::block_on(async move {
            s2.seed_demo(users).await.expect("seed demo");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            tauri::async_runtime::spawn(async move {
                let _ = wicket_headoffice::serve(listener, s2, std::future::pending()).await;
            });
            format!("http://{addr}")
        });
        HeadOffice {
            base,
            store,
            db,
            _dir: dir,
        }
    }

    fn code(&self) -> String {
        let store = std::sync::Arc::clone(&self.store);
        tauri::async_runtime::block_on(async move {
            wicket_headoffice::sync::new_enrollment_code(store.as_ref(), 3600, None)
                .await
                .expect("code")
                .code
        })
    }

    /// Head office's own signed ticket for its first admission item.
    fn ticket(&self) -> String {
        let c = rusqlite::Connection::open(&self.db).expect("open ho db");
        let (product, item): (String, String) = c
            .query_row(
                "SELECT p.id, i.id FROM items i JOIN products p ON p.id = i.product_id \
                 WHERE p.type = 'admission' ORDER BY i.item_id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("an admission item");
        let store = std::sync::Arc::clone(&self.store);
        tauri::async_runtime::block_on(async move {
            store
                .item_ticket(
                    uuid::Uuid::parse_str(&product).expect("uuid"),
                    uuid::Uuid::parse_str(&item).expect("uuid"),
                )
                .await
                .expect("ticket")
        })
    }

    fn scalar(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open(&self.db).expect("open ho db");
        c.query_row(sql, [], |r| r.get(0)).expect(sql)
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn first_run_enrolls_pulls_staff_and_syncs_in_the_background() {
    use tauri::Listener;
    let ho = HeadOffice::start(12);
    let h = Harness::empty();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let seen = std::sync::Arc::clone(&events);
    h.window.listen_any(crate::sync::SYNC_EVENT, move |e| {
        if let Ok(v) = serde_json::from_str::<Value>(e.payload()) {
            seen.lock().expect("events").push(v);
        }
    });

    let info = h.call("app_info", json!({})).expect("app info");
    assert_eq!(info["needs_enrollment"], true, "{info}");
    assert_eq!(info["enrolled"], false);
    let e = h
        .call("sign_in", json!({"pin": "1111"}))
        .expect_err("no staff yet");
    assert_eq!(e["code"], "bad_pin");

    let e = h
        .call(
            "enroll",
            json!({"url": "not a url", "code": "x", "name": "Door 1"}),
        )
        .expect_err("bad url");
    assert_eq!(e["code"], "invalid_request");
    let e = h
        .call(
            "enroll",
            json!({"url": ho.base, "code": "en_wrong", "name": "Door 1"}),
        )
        .expect_err("bad code");
    assert_eq!(e["code"], "unauthorized", "{e}");

    let view = h
        .call(
            "enroll",
            json!({"url": ho.base, "code": ho.code(), "name": "Door 1"}),
        )
        .expect("enroll");
    assert_eq!(view["enrolled"], true, "{view}");
    assert_eq!(view["running"], true);
    assert_eq!(view["online"], true);
    assert!(view["last_sync"].is_i64(), "{view}");
    assert_eq!(view["pending"], 0);
    let info = h.call("app_info", json!({})).expect("app info");
    assert_eq!(info["needs_enrollment"], false);
    assert_eq!(info["first_sync_done"], true);
    let again = h
        .call(
            "enroll",
            json!({"url": ho.base, "code": ho.code(), "name": "Door 1"}),
        )
        .expect_err("second enrollment");
    assert_eq!(again["code"], "already_enrolled");
    {
        let ev = events.lock().expect("events");
        assert!(
            ev.iter()
                .any(|v| v["pull_total"].as_u64().is_some_and(|t| t > 0)),
            "pull progress reached the UI: {} events",
            ev.len()
        );
        assert!(ev.iter().all(|v| v["device_id"].is_string()));
    }

    // Staff came through sync; head office's ticket admits once.
    h.call("sign_in", json!({"pin": "1111"}))
        .expect("door PIN from head office");
    let token = ho.ticket();
    let v = h
        .call("scan", json!({"text": token, "gate": "North"}))
        .expect("scan");
    assert_eq!(v["code"], "ok", "{v}");
    let v = h.call("scan", json!({"text": token})).expect("scan");
    assert_eq!(v["code"], "already_redeemed");
    let st = h.call("sync_status", json!({})).expect("status");
    assert_eq!(
        st["pending"], 2,
        "the redemption and the refused repeat: {st}"
    );
    let st = h.call("sync_now", json!({})).expect("sync now");
    assert_eq!(st["pending"], 0, "{st}");
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM items WHERE redemption_count = 1"),
        1
    );
    let c = h.call("sync_conflicts", json!({})).expect("conflicts");
    assert_eq!(c, json!([]));

    // Box office sells from the stock reserved at enrollment; the background
    // engine uploads the sale by itself.
    h.call("sign_in", json!({"pin": "2222"}))
        .expect("box office PIN");
    let products = h.call("products", json!({})).expect("products");
    let ga = products
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "General Admission"))
        .expect("GA pulled")
        .clone();
    assert_eq!(
        ga["stock_left"],
        crate::sync::ALLOT_UNITS,
        "an enrolled device shows what it may sell: its allotment"
    );
    let sale = h
        .call(
            "sell",
            json!({"req": {"product_id": ga["id"], "quantity": 1, "buyer_email": "walkin@example.com", "payment_method": "card"}}),
        )
        .expect("sell from the allotment");
    assert!(
        sale["tickets"][0]["svg"]
            .as_str()
            .is_some_and(|s| s.contains("<svg"))
    );
    wait_until("the engine uploads the sale", || {
        ho.scalar("SELECT COUNT(*) FROM sales") == 1
    });
    wait_until("pending falls to 0", || {
        h.call("sync_status", json!({})).expect("status")["pending"] == 0
    });
    h.window.state::<AppState>().stop_sync();
}

#[test]
fn enrollment_refuses_a_replica_that_holds_the_demo() {
    let ho = HeadOffice::start(3);
    let h = Harness::new();
    let info = h.call("app_info", json!({})).expect("app info");
    assert_eq!(info["needs_enrollment"], false);
    assert_eq!(info["demo"], true);
    let e = h
        .call(
            "enroll",
            json!({"url": ho.base, "code": ho.code(), "name": "Door"}),
        )
        .expect_err("demo replica");
    assert_eq!(e["code"], "replica_not_empty");
}

#[test]
fn enroll_input_is_checked_before_any_network() {
    use crate::sync::check_enroll_input;
    let ok = check_enroll_input(" http://10.0.0.5:8080/ ", " en_abc ", " Door 1 ").expect("ok");
    assert_eq!(
        ok,
        (
            "http://10.0.0.5:8080".into(),
            "en_abc".into(),
            "Door 1".into()
        )
    );
    assert!(check_enroll_input("ftp://x.example", "c", "n").is_err());
    assert!(check_enroll_input("http://x.example", "", "n").is_err());
    assert!(check_enroll_input("http://x.example", "c", " ").is_err());
}

#[test]
fn door_staff_search_a_guest_and_check_them_in_with_a_reason() {
    let h = Harness::new();
    let e = h
        .call("door_search", json!({"query": "ada"}))
        .expect_err("signed out");
    assert_eq!(e["code"], "not_signed_in");
    h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    // The door role searches (the Items screen's search stays box office).
    let hit = h
        .call("door_search", json!({"query": "#4"}))
        .expect("search by number");
    let item = hit
        .as_array()
        .and_then(|a| a.iter().find(|v| v["product_name"] == "General Admission"))
        .cloned()
        .expect("ticket #4");
    let first = item["owner_name"]
        .as_str()
        .and_then(|n| n.split(' ').next())
        .expect("holder name")
        .to_string();
    let by_name = h
        .call("door_search", json!({"query": first[..3].to_lowercase()}))
        .expect("search by name");
    assert!(
        by_name
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v["item"]["id"] == item["item"]["id"])),
        "{by_name}"
    );
    let id = item["item"]["id"].clone();
    let e = h
        .call(
            "check_in",
            json!({"item": id, "gate": "North", "reason": " "}),
        )
        .expect_err("no reason");
    assert_eq!(e["code"], "invalid_request");
    let done = h
        .call(
            "check_in",
            json!({"item": id, "gate": "North", "reason": "lost phone"}),
        )
        .expect("check in");
    assert_eq!(done["item"]["redemption_count"], 1, "{done}");
    let again = h
        .call(
            "check_in",
            json!({"item": id, "gate": "North", "reason": "again"}),
        )
        .expect_err("used");
    assert_eq!(again["code"], "already_redeemed");
}

#[test]
fn door_numbers_count_this_doors_scans() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    let before = h.call("door_stats", json!({})).expect("stats");
    assert_eq!(before["admitted"], 0, "{before}");
    let token = h.token_of(5);
    let v = h
        .call("scan", json!({"text": token, "gate": "East"}))
        .expect("scan");
    assert_eq!(v["admitted"], true);
    let out = h
        .call(
            "scan",
            json!({"text": token, "gate": "East", "direction": "out"}),
        )
        .expect("exit");
    assert_eq!(out["direction"], "out");
    let after = h.call("door_stats", json!({"since": 0})).expect("stats");
    assert_eq!(after["admitted"], 1, "{after}");
    assert_eq!(after["exits"], 1, "{after}");
    assert_eq!(after["by_gate"][0]["gate"], "East", "{after}");
    assert_eq!(after["quarter_hours"].as_array().map(Vec::len), Some(1));
}
