//! The box office's money after the sale through the commands: refunds, the cash
//! drawer with its Z report PDF, and the printer setting.

use serde_json::{Value, json};

use super::Harness;

#[test]
fn a_manager_refunds_and_the_drawer_closes_with_a_z_report() {
    let h = Harness::new();
    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager pin");
    let d = h
        .call("drawer_open", json!({"float": "100.00"}))
        .expect("open");
    assert_eq!(d["open"]["float"], "100.00");
    let bad = h
        .call("set_printer", json!({"queue": "-o evil"}))
        .expect_err("not a queue name");
    assert_eq!(bad["code"], "invalid_request");
    // A queue that does not exist: the sale stands, the receipt says why it did
    // not print.
    h.call("set_printer", json!({"queue": "no-such-queue"}))
        .expect("printer chosen");
    assert_eq!(
        h.call("printer", json!({})).expect("printer"),
        "no-such-queue"
    );
    let sale = h
        .call(
            "sell",
            json!({"req": {"product_id": h.admission, "quantity": 2, "buyer_email": "cash@example.com", "payment_method": "cash"}}),
        )
        .expect("cash sale");
    let order = sale["receipt"]["sale"]["order_number"]
        .as_str()
        .expect("order");
    let number = sale["tickets"][0]["item_id"].as_u64().expect("number");
    let bad = h
        .call(
            "refund",
            json!({"order": order, "items": [number], "reason": " "}),
        )
        .expect_err("a refund needs a reason");
    assert_eq!(bad["code"], "invalid_field");
    let r = h
        .call(
            "refund",
            json!({"order": order, "items": [number], "reason": "wrong date"}),
        )
        .expect("refund");
    assert_eq!(r["amount"], "49.00");
    let sales = h.call("sales", json!({})).expect("sales");
    assert_eq!(sales["recent"][0]["refunded"], "49.00");
    assert_eq!(sales["totals"][0]["net"], "49.00");
    // 100 float + 98 cash taken - 49 given back = 149 expected; 150 counted.
    let d = h
        .call("drawer_close", json!({"counted": "150.00"}))
        .expect("close");
    assert_eq!(d["open"], Value::Null);
    assert_eq!(d["report"]["kind"], "z");
    assert_eq!(d["report"]["expected_cash"], "149.00");
    assert_eq!(d["report"]["over_short"], "1.00");
    let pdf = d["pdf"].as_str().expect("pdf saved");
    let bytes = std::fs::read(pdf).expect("read pdf");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("%PDF"), "a PDF");
    assert!(
        text.contains("Expected cash  149.00 EUR"),
        "expected cash printed"
    );
    h.call("sign_in", json!({"pin": "2222"}))
        .expect("box office pin");
    let e = h
        .call("refund", json!({"order": order, "reason": "x"}))
        .expect_err("box office may not refund");
    assert_eq!(e["code"], "forbidden");
}
