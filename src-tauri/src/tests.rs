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
        let app = with_commands(mock_builder())
            .manage(AppState::new(replica, dir.path().join("exports")))
            .build(mock_context(noop_assets()))
            .expect("mock app");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("window");
        Harness {
            _app: app,
            window,
            _dir: dir,
            admission: ids.admission,
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
    assert_eq!(status["pending"], 1, "one redemption waits for upload");
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
    assert_eq!(e["code"], "invalid_input");
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
    h.call("sign_in", json!({"pin": "3333"}))
        .expect("manager pin");
    let products = h.call("products", json!({})).expect("products");
    let ga = &products[0];
    h.call(
        "sell",
        json!({"req": {"product_id": ga["id"], "quantity": 1, "buyer_email": "x@example.com"}}),
    )
    .expect("sell");
    let sales = h.call("sales", json!({})).expect("sales");
    assert_eq!(sales["totals"].as_array().map(Vec::len), Some(1));
    assert_eq!(sales["recent"][0]["payment_method"], "cash");

    let saved = h
        .call(
            "save_export",
            json!({"file_name": "sales.csv", "contents": "a,b\r\n"}),
        )
        .expect("export");
    let saved = saved.as_str().expect("path");
    assert_eq!(std::fs::read_to_string(saved).expect("file"), "a,b\r\n");

    let found = h.call("find_items", json!({"query": "#1"})).expect("find");
    let email = found[0]["owner_email"].as_str().expect("email").to_string();
    let c = h
        .call("customer", json!({"query": email}))
        .expect("customer");
    assert!(c["offers"].as_array().is_some_and(|o| !o.is_empty()));
    let e = h
        .call("customer", json!({"query": "nobody@example.com"}))
        .expect_err("unknown");
    assert_eq!(e["code"], "unknown_customer");
}

#[test]
fn export_names_are_plain_csv_files() {
    use crate::commands::export_file_name;
    assert!(export_file_name("wicket-sales-2025-06-01.csv").is_ok());
    assert!(export_file_name("../etc/passwd.csv").is_err());
    assert!(export_file_name("sales.exe").is_err());
    assert!(export_file_name(".csv").is_err());
}
