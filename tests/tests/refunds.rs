//! Refunds and the cash drawer through head office (issue 15): a device refunds
//! its own cash sale offline, the drawer's Z report counts it, and after sync the
//! refunded ticket is refused `refunded` at another door, its stock is back at
//! head office, the totals show it, and a second refund of it is refused
//! everywhere. A refund of another device's order needs head office.

use rust_decimal::Decimal;
use serde_json::json;
use wicket_domain::Direction;
use wicket_tests::{lock, start_ho};

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_refund_syncs_once_and_revokes_everywhere() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 10}))
        .await;
    let (s, v) = ho
        .post(
            "/v1/staff",
            json!({"name": "Mona", "role": "manager", "pin": "135790"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (boxo, eb) = ho.device(dir.path(), "box").await;
    let (door, ed) = ho.device(dir.path(), "door").await;
    for (r, e) in [(&boxo, &eb), (&door, &ed)] {
        e.sync_once(|_, _| {}).await.expect("first pull");
        let mut r = lock(r);
        let staff = r.sign_in("135790").expect("manager");
        r.set_staff(Some(staff.id));
    }
    eb.reserve(pid, 5, None).await.expect("allotment");
    let issued_before = ho.scalar(&format!("SELECT issued FROM products WHERE id = '{pid}'"));

    // Offline at the box office: open the drawer, sell two tickets for cash.
    let sale = {
        let mut r = lock(&boxo);
        let e = r
            .sell(&wicket_device::SellRequest {
                product_id: pid,
                quantity: 2,
                buyer_email: "ann@example.com".into(),
                payment_method: Some("cash".into()),
                ..Default::default()
            })
            .expect_err("no drawer open");
        assert_eq!(e.code(), "no_open_session");
        r.open_session(dec("50.00"), "EUR").expect("open drawer");
        r.sell(&wicket_device::SellRequest {
            product_id: pid,
            quantity: 3,
            buyer_email: "ann@example.com".into(),
            payment_method: Some("cash".into()),
            ..Default::default()
        })
        .expect("cash sale")
    };
    let order = sale.sale.order_number.clone();
    let (first, second, third) = (&sale.items[0], &sale.items[1], &sale.items[2]);
    let token = lock(&boxo).ticket_token(first.id).expect("token");

    // Refund the first ticket by its number, with a reason.
    let refund = lock(&boxo)
        .refund(&order, &[first.item_id], "double booking")
        .expect("offline refund");
    assert_eq!(refund.amount, dec("20.00"));
    assert_eq!(refund.item_ids, vec![first.id]);
    let again = lock(&boxo)
        .refund(&order, &[first.item_id], "again")
        .expect_err("refund twice");
    assert_eq!(again.code(), "already_refunded");
    let v = lock(&boxo)
        .scan_at(&token, Some("Box"), None, Direction::In)
        .expect("scan");
    assert_eq!(v.code.as_str(), "refunded", "{v:?}");
    let totals = lock(&boxo).sales_totals().expect("totals");
    assert_eq!(totals[0].total, dec("60.00"));
    assert_eq!(totals[0].refunded, dec("20.00"));
    assert_eq!(totals[0].net, dec("40.00"));

    // The door pulls after the box office pushes: the ticket is refused there.
    eb.sync_once(|_, _| {}).await.expect("box office pushes");
    ed.sync_once(|_, _| {}).await.expect("door pulls");
    let v = lock(&door)
        .scan_at(&token, Some("North"), None, Direction::In)
        .expect("scan");
    assert_eq!(v.code.as_str(), "refunded", "{v:?}");
    assert!(!v.admitted);

    // Head office: the refund counted once, its stock back, the sale shows it.
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM refunds"), 1);
    assert_eq!(
        ho.scalar(&format!("SELECT issued FROM products WHERE id = '{pid}'")),
        issued_before - 1,
        "the refunded ticket's stock is back"
    );
    let (s, sales) = ho.send(reqwest::Method::GET, "/v1/sales", None).await;
    assert_eq!(s, 200, "{sales}");
    let row = sales["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["order_number"] == order.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("sale listed: {sales}"));
    assert_eq!(row["refunded"], "20.00", "{row}");

    // The door's device did not sell the order: offline it may not refund it;
    // online it asks head office, and the cash leaves its own open drawer.
    let e = lock(&door)
        .refund(&order, &[], "not ours")
        .expect_err("another device's order");
    assert_eq!(e.code(), "refund_needs_head_office");
    let e = ed
        .refund_online(&order, &[second.item_id], "customer left")
        .await
        .expect_err("cash needs the door's drawer");
    assert_eq!(e.code(), "no_open_session");
    lock(&door)
        .open_session(dec("0.00"), "EUR")
        .expect("door drawer");
    let r2 = ed
        .refund_online(&order, &[second.item_id], "customer left")
        .await
        .expect("online refund through head office");
    assert_eq!(r2.amount, dec("20.00"));
    assert_eq!(r2.item_ids, vec![second.id]);
    let v = lock(&door)
        .scan_at(
            &lock(&boxo).ticket_token(second.id).expect("token"),
            Some("North"),
            None,
            Direction::In,
        )
        .expect("scan");
    assert_eq!(
        v.code.as_str(),
        "refunded",
        "kept at the door at once: {v:?}"
    );
    let door_x = lock(&door).session_report().expect("x report");
    assert_eq!(
        door_x.expected_cash,
        dec("-20.00"),
        "the cash left the door's drawer"
    );

    // Head office refunds the last ticket by its API; then the whole order is
    // refunded and another refund is refused.
    let (s, v) = ho
        .post(
            &format!("/v1/sales/{order}/refund"),
            json!({"reason": "show cancelled for her", "items": [third.item_id]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["amount"], "20.00");
    assert_eq!(v["item_ids"], json!([third.id]));
    let (s, v) = ho
        .post(
            &format!("/v1/sales/{order}/refund"),
            json!({"reason": "again", "items": [first.item_id]}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("already_refunded"), "{v}");
    let (s, v) = ho
        .post(&format!("/v1/sales/{order}/refund"), json!({"reason": ""}))
        .await;
    assert_eq!(s, 400, "an empty reason: {v}");
    let (s, _) = ho
        .post("/v1/sales/NO-SUCH/refund", json!({"reason": "x"}))
        .await;
    assert_eq!(s, 404);

    // The box office pulls the other refunds; its drawer closes with a Z report
    // that counts only its own cash refund: 50 + 60 - 20 = 90 expected.
    eb.sync_once(|_, _| {}).await.expect("box office pulls");
    assert_eq!(lock(&boxo).refunds().expect("refunds").len(), 3);
    let z = lock(&boxo).close_session(dec("88.00")).expect("close");
    assert_eq!(z.kind, "z");
    assert_eq!(z.expected_cash, dec("90.00"));
    assert_eq!(z.over_short, Some(dec("-2.00")));
    let cash_sales: Decimal = z.sales.iter().map(|l| l.amount).sum();
    let cash_refunds: Decimal = z.refunds.iter().map(|l| l.amount).sum();
    assert_eq!(z.session.float + cash_sales - cash_refunds, z.expected_cash);
    eb.sync_once(|_, _| {})
        .await
        .expect("box office pushes the close");
    ed.sync_once(|_, _| {})
        .await
        .expect("the door pushes its drawer");

    // Head office lists the session with the same report.
    let (s, list) = ho
        .send(reqwest::Method::GET, "/v1/cash-sessions", None)
        .await;
    assert_eq!(s, 200, "{list}");
    let sessions = list["items"].as_array().expect("list");
    assert_eq!(sessions.len(), 2, "the box office's and the door's: {list}");
    let z = sessions
        .iter()
        .find(|x| x["kind"] == "z")
        .unwrap_or_else(|| panic!("a closed session: {list}"));
    assert_eq!(z["expected_cash"], "90.00");
    assert_eq!(z["over_short"], "-2.00");
    assert!(lock(&boxo).outbox_len().expect("outbox") == 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_payment_shows_change_and_refunds_to_card_first() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Play", "price": "30.00", "stock": 10}))
        .await;
    let (r, e) = ho.device(dir.path(), "till").await;
    e.sync_once(|_, _| {}).await.expect("first pull");
    e.reserve(pid, 5, None).await.expect("allotment");
    lock(&r).open_session(dec("10.00"), "EUR").expect("drawer");
    let req = |cash: &str, tendered: &str| wicket_device::SellRequest {
        product_id: pid,
        quantity: 2,
        buyer_email: "split@example.com".into(),
        payment_method: Some("card".into()),
        cash_amount: Some(cash.into()),
        tendered: Some(tendered.into()),
        ..Default::default()
    };
    // The quote runs the sale's own rules and keeps nothing.
    let before = lock(&r).outbox_len().expect("outbox");
    let q = lock(&r).quote(&req("20.00", "50.00")).expect("quote");
    assert_eq!(q.change, Some(dec("30.00")));
    assert_eq!(lock(&r).outbox_len().expect("outbox"), before);
    assert!(lock(&r).sales(None).expect("sales").is_empty());
    let short = lock(&r)
        .sell(&req("20.00", "15.00"))
        .expect_err("less cash than due");
    assert_eq!(short.code(), "invalid_field");
    let whole = lock(&r)
        .sell(&req("60.00", "60.00"))
        .expect_err("a split's cash part is less than the total");
    assert_eq!(whole.code(), "invalid_field");
    let sale = lock(&r).sell(&req("20.00", "50.00")).expect("split sale");
    assert_eq!(sale.change, Some(dec("30.00")));
    let parts: Vec<_> = sale
        .sale
        .paid_by()
        .iter()
        .map(|p| (p.method.as_str(), p.amount))
        .collect();
    assert_eq!(parts, vec![("cash", dec("20.00")), ("card", dec("40.00"))]);

    // Refunds of a split order go back to the card first, then cash.
    let order = sale.sale.order_number.clone();
    let one = lock(&r)
        .refund(&order, &[sale.items[0].item_id], "one cannot come")
        .expect("refund one");
    assert_eq!(one.payment_method.as_str(), "card");
    assert_eq!(one.amount, dec("30.00"));
    let rest = lock(&r).refund(&order, &[], "both cannot").expect("rest");
    let parts: Vec<_> = rest
        .paid_by()
        .iter()
        .map(|p| (p.method.as_str(), p.amount))
        .collect();
    assert_eq!(parts, vec![("card", dec("10.00")), ("cash", dec("20.00"))]);
    let z = lock(&r).close_session(dec("10.00")).expect("close");
    // 10 float + 20 cash taken - 20 cash given back.
    assert_eq!(z.expected_cash, dec("10.00"));
    assert_eq!(z.over_short, Some(Decimal::ZERO));

    e.sync_once(|_, _| {}).await.expect("push");
    assert_eq!(
        lock(&r).outbox_len().expect("outbox"),
        0,
        "every op accepted"
    );
    let (_, sales) = ho.send(reqwest::Method::GET, "/v1/sales", None).await;
    assert_eq!(
        sales["items"][0]["payments"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(sales["items"][0]["refunded"], "60.00");
    let (_, list) = ho
        .send(reqwest::Method::GET, "/v1/cash-sessions", None)
        .await;
    assert_eq!(list["items"][0]["expected_cash"], "10.00", "{list}");
    assert_eq!(list["items"][0]["over_short"], "0.00", "{list}");
}
