//! Facts merge in any order: a ticket sold offline at one device and scanned at
//! others counts once whatever order they sync in; a walk-up buyer survives the
//! refusal of her first sale; a sale draws on two allotments; head office holds a
//! pushed op to its staff member's role.

use serde_json::json;
use uuid::Uuid;
use wicket_device::{Replica, SellRequest};
use wicket_tests::{Ho, lock, start_ho};

fn sell(r: &mut Replica, product: Uuid, qty: u32, email: &str) -> wicket_device::SaleReceipt {
    r.sell(&SellRequest {
        product_id: product,
        quantity: qty,
        buyer_email: email.into(),
        buyer_first_name: Some("Wanda".into()),
        payment_method: Some("card".into()),
        ..SellRequest::default()
    })
    .expect("offline sale")
}

async fn history(ho: &Ho, item: Uuid) -> Vec<serde_json::Value> {
    let (st, v) = ho
        .send(
            reqwest::Method::GET,
            &format!("/v1/items/{item}/redemptions"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v.as_array().cloned().expect("history array")
}

/// Box office A sells a ticket offline; doors B and C admit it on its signature
/// while offline. Then everyone syncs in `order` (twice round).
async fn sold_offline_scanned_elsewhere(order: &[usize]) {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 10}))
        .await;
    let (a, ea) = ho.device(dir.path(), "box-a").await;
    ea.sync_once(|_, _| {}).await.expect("pull a");
    ea.reserve(pid, 3, None).await.expect("allotment");
    let (b, eb) = ho.device(dir.path(), "door-b").await;
    let (c, ec) = ho.device(dir.path(), "door-c").await;
    // The doors learn A's ticket key (and nothing of the sale to come).
    eb.sync_once(|_, _| {}).await.expect("pull b");
    ec.sync_once(|_, _| {}).await.expect("pull c");

    let receipt = sell(&mut lock(&a), pid, 1, "walkup@example.com");
    let item = receipt.items[0].id;
    let token = lock(&a).ticket_token(item).expect("token");
    let vb = lock(&b).scan(&token, Some("north"), None).expect("scan b");
    assert!(vb.admitted, "{vb:?}");
    let vc = lock(&c).scan(&token, Some("south"), None).expect("scan c");
    assert!(
        vc.admitted,
        "offline doors cannot know of each other: {vc:?}"
    );

    let engines = [&ea, &eb, &ec];
    for _ in 0..2 {
        for &i in order {
            let (p, _) = engines[i].sync_once(|_, _| {}).await.expect("sync");
            assert_eq!(
                p.rejected, 0,
                "order {order:?}: device {i} had an op rejected"
            );
        }
    }

    // Head office: the ticket is redeemed 1/1; both scans are in its history, one
    // flagged as a conflict, none pending.
    assert_eq!(
        ho.scalar(&format!(
            "SELECT redemption_count FROM items WHERE id = '{item}'"
        )),
        1,
        "order {order:?}"
    );
    let h = history(&ho, item).await;
    assert_eq!(h.len(), 2, "order {order:?}: {h:?}");
    assert_eq!(
        h.iter().filter(|e| e["conflict"] == true).count(),
        1,
        "order {order:?}: {h:?}"
    );
    assert!(h.iter().all(|e| e["pending"] == false), "{h:?}");
    let gates: Vec<&str> = h.iter().filter_map(|e| e["gate"].as_str()).collect();
    assert!(
        gates.contains(&"north") && gates.contains(&"south"),
        "{gates:?}"
    );

    // Every device holds it as fully redeemed, and refuses it from now on.
    for (name, r) in [("a", &a), ("b", &b), ("c", &c)] {
        let mut r = lock(r);
        let it = r.item(item).expect("item on every device");
        assert_eq!(it.redemption_count, 1, "device {name}, order {order:?}");
        let v = r.scan(&token, Some("east"), None).expect("scan again");
        assert_eq!(
            (v.admitted, v.code.as_str()),
            (false, "already_redeemed"),
            "device {name}, order {order:?}: {v:?}"
        );
    }
    let (st, v) = ho
        .post(
            &format!("/v1/products/{pid}/items/redeem"),
            json!({"product_item_id": item}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert!(
        v["errors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("already_redeemed")),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doors_sync_before_the_box_office() {
    sold_offline_scanned_elsewhere(&[1, 2, 0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn box_office_syncs_before_the_doors() {
    sold_offline_scanned_elsewhere(&[0, 1, 2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn box_office_syncs_between_the_doors() {
    sold_offline_scanned_elsewhere(&[1, 0, 2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_up_buyer_outlives_her_refused_first_sale() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let closed = ho
        .product(json!({"type": "admission", "name": "Matinee", "price": "10.00", "stock": 10}))
        .await;
    let open = ho
        .product(json!({"type": "admission", "name": "Evening", "price": "15.00", "stock": 10}))
        .await;
    let (r, e) = ho.device(dir.path(), "box").await;
    e.sync_once(|_, _| {}).await.expect("pull");
    e.reserve(closed, 3, None).await.expect("allot closed");
    e.reserve(open, 3, None).await.expect("allot open");
    // Head office takes the matinee off sale; the offline box office does not know.
    let (st, v) = ho
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/products/{closed}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    let first = sell(&mut lock(&r), closed, 1, "wanda@example.com");
    let second = sell(&mut lock(&r), open, 2, "wanda@example.com");
    assert_eq!(lock(&r).allotment_units_left(closed).expect("left"), 2);

    let (p, _) = e.sync_once(|_, _| {}).await.expect("sync");
    // customer applied, first sale rejected, second sale applied
    assert_eq!((p.applied, p.rejected), (2, 1), "{p:?}");
    let why = lock(&r).sync_conflicts().expect("conflicts");
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].code, "inactive");

    // She exists at head office and holds the second sale's tickets.
    let buyer = second.sale.buyer_id;
    assert_eq!(buyer, first.sale.buyer_id);
    assert_eq!(
        ho.scalar(&format!("SELECT COUNT(*) FROM users WHERE id = '{buyer}'")),
        1
    );
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM items WHERE owner_id = '{buyer}' AND product_id = '{open}'"
        )),
        2
    );
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM items WHERE product_id = '{closed}'"
        )),
        0
    );
    // The refused unit is back in the device's allotment, its ticket gone.
    let dev = lock(&r);
    assert_eq!(dev.allotment_units_left(closed).expect("left"), 3);
    assert_eq!(
        dev.item(first.items[0].id).map_err(|e| e.code()).err(),
        Some("not_found")
    );
    assert_eq!(dev.outbox_len().expect("outbox"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_draws_on_two_allotments() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Club", "price": "8.00", "stock": 20}))
        .await;
    let (r, e) = ho.device(dir.path(), "box").await;
    e.sync_once(|_, _| {}).await.expect("pull");
    e.reserve(pid, 5, None).await.expect("first allotment");
    sell(&mut lock(&r), pid, 4, "early@example.com");
    e.reserve(pid, 4, None).await.expect("second allotment");
    assert_eq!(lock(&r).allotment_units_left(pid).expect("left"), 5);

    // 1 + 4 units left in two allotments: a sale of 2 takes one from each.
    let rc = sell(&mut lock(&r), pid, 2, "late@example.com");
    let mut numbers: Vec<u64> = rc.items.iter().map(|i| i.item_id).collect();
    numbers.sort_unstable();
    let allots = lock(&r).allotments().expect("allotments");
    assert_eq!(allots.len(), 2);
    assert!(
        allots[0].contains_item_id(numbers[0]),
        "{numbers:?} {allots:?}"
    );
    assert!(
        allots[1].contains_item_id(numbers[1]),
        "{numbers:?} {allots:?}"
    );

    let (p, _) = e.sync_once(|_, _| {}).await.expect("sync");
    assert_eq!(p.rejected, 0, "{:?}", lock(&r).sync_conflicts());
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM items WHERE product_id = '{pid}'"
        )),
        6
    );
    assert_eq!(ho.scalar("SELECT SUM(used) FROM allotments"), 6);
    assert_eq!(lock(&r).items_checksum().expect("sum"), ho.items_checksum());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_holds_a_pushed_sale_to_the_staff_members_role() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 10}))
        .await;
    let mut ids = Vec::new();
    for (name, role, pin) in [
        ("Dora Door", "door", "1111"),
        ("Bob Box", "box_office", "2222"),
    ] {
        let (st, v) = ho
            .post("/v1/staff", json!({"name": name, "role": role, "pin": pin}))
            .await;
        assert_eq!(st, 200, "{v}");
        ids.push(Uuid::parse_str(v["id"].as_str().expect("id")).expect("uuid"));
    }
    let (r, e) = ho.device(dir.path(), "box").await;
    e.sync_once(|_, _| {}).await.expect("pull");
    e.reserve(pid, 3, None).await.expect("allotment");

    // The device itself refuses the door role's sale.
    {
        let mut dev = lock(&r);
        let door = dev.sign_in("1111").expect("door signs in");
        dev.set_staff(Some(door.id));
        let err = dev
            .sell(&SellRequest {
                product_id: pid,
                quantity: 1,
                buyer_email: "x@example.com".into(),
                ..SellRequest::default()
            })
            .expect_err("door may not sell");
        assert_eq!(err.code(), "forbidden");
        assert_eq!(dev.outbox_len().expect("outbox"), 0, "nothing written");
        // A tampered device: a box office sale relabelled as the door's.
        let bob = dev.sign_in("2222").expect("box office signs in");
        dev.set_staff(Some(bob.id));
        sell(&mut dev, pid, 1, "y@example.com");
        dev.connection()
            .execute("UPDATE outbox SET staff_id = ?1", [door.id])
            .expect("tamper");
    }
    let (p, _) = e.sync_once(|_, _| {}).await.expect("sync");
    assert_eq!(p.rejected, 2, "customer and sale both refused: {p:?}");
    let why = lock(&r).sync_conflicts().expect("conflicts");
    assert!(why.iter().all(|c| c.code == "forbidden"), "{why:?}");
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sales"), 0);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM items"), 0);

    // Support sees it per device and in the conflict list.
    let (_, devices) = ho
        .send(reqwest::Method::GET, "/v1/sync/devices", None)
        .await;
    assert_eq!(devices[0]["rejected"], 2, "{devices}");
    let (_, issues) = ho
        .send(reqwest::Method::GET, "/v1/sync/conflicts", None)
        .await;
    assert_eq!(
        issues
            .as_array()
            .expect("list")
            .iter()
            .filter(|i| i["code"] == "forbidden" && i["source"] == "rejected")
            .count(),
        2,
        "{issues}"
    );
    let _ = ids;
}
