//! Saved files for managers through the commands: a date-range export as CSV and
//! xlsx, refused to door staff, and a claim code sheet.

use serde_json::json;

use super::Harness;

#[test]
fn a_manager_exports_sales_and_saves_a_claim_sheet() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "1111"})).expect("door pin");
    let now = unix_now();
    let range = json!({"kind": "sales", "from": now - 3600, "to": now + 3600, "format": "csv"});
    let e = h.call("export", range.clone()).expect_err("door staff");
    assert_eq!(e["code"], "forbidden", "{e}");
    h.call("sign_out", json!({})).expect("sign out");

    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager pin");
    let sale = h
        .call(
            "sell",
            json!({"req": {"product_id": h.admission, "quantity": 1, "buyer_email": "x@example.com", "payment_method": "card"}}),
        )
        .expect("card sale");
    let order = sale["receipt"]["sale"]["order_number"]
        .as_str()
        .expect("order")
        .to_string();
    let saved = h.call("export", range).expect("export");
    assert_eq!(saved["rows"], 1, "{saved}");
    let text = std::fs::read_to_string(saved["path"].as_str().expect("path")).expect("file");
    assert!(text.contains(&order), "{text}");
    let xlsx = h
        .call(
            "export",
            json!({"kind": "items", "from": now - 3600, "to": now + 3600, "format": "xlsx"}),
        )
        .expect("xlsx");
    let bytes = std::fs::read(xlsx["path"].as_str().expect("path")).expect("file");
    assert!(bytes.starts_with(b"PK"));
    let e = h
        .call(
            "export",
            json!({"kind": "orders", "from": 0, "to": 1, "format": "csv"}),
        )
        .expect_err("unknown kind");
    assert_eq!(e["code"], "invalid_request", "{e}");

    let codes = json!([{"code": "c1", "url": "http://127.0.0.1/claim/c1"}]);
    let sheet = h
        .call(
            "save_claim_codes",
            json!({"product": "Members pass", "codes": codes, "format": "pdf"}),
        )
        .expect("sheet");
    let pdf = std::fs::read(sheet["path"].as_str().expect("path")).expect("file");
    assert!(pdf.starts_with(b"%PDF"));
    let e = h
        .call(
            "save_claim_codes",
            json!({"product": "x", "codes": codes, "format": "../x"}),
        )
        .expect_err("bad format");
    assert_eq!(e["code"], "invalid_request");
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
