//! Head office distrusts devices (issue 17, finding 1): a pushed op is held to the
//! catalog, to the device's allotted item numbers and to sane figures, like an API
//! request. Every bad op is `rejected` with its code, alone, and the device keeps
//! syncing; nothing panics and no later API call suffers.

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_tests::{Ho, lock, start_ho};

async fn push(ho: &Ho, credential: &str, ops: Vec<Value>) -> Vec<(String, String)> {
    let resp = ho
        .client
        .post(format!("{}/v1/sync/push", ho.base))
        .bearer_auth(credential)
        .json(&json!({"protocol_version": 1, "ops": ops}))
        .send()
        .await
        .expect("push");
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().await.expect("json");
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or_default().to_string(),
                r["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

struct Dev {
    id: Uuid,
    credential: String,
    seq: i64,
    now: i64,
}

impl Dev {
    fn op(&mut self, kind: &str, payload: Value) -> Value {
        self.seq += 1;
        json!({"seq": self.seq, "op_id": Uuid::now_v7(), "device_id": self.id, "staff_id": null,
               "device_time": self.now, "kind": kind, "payload": payload})
    }

    /// A sale of `numbers` at the given figures, bought by `buyer`.
    fn sale(
        &mut self,
        product: Uuid,
        buyer: Uuid,
        numbers: &[u64],
        (unit, quantity, discount, total): (&str, u32, &str, &str),
    ) -> Value {
        let items: Vec<Value> = numbers
            .iter()
            .map(|n| json!({"id": Uuid::now_v7(), "item_id": n}))
            .collect();
        let sale = json!({
            "id": Uuid::now_v7(), "order_number": format!("T-{}", self.seq + 1),
            "product_id": product, "quantity": quantity, "currency": "EUR",
            "unit_price": unit, "discount": discount, "total": total,
            "payment_method": "cash", "buyer_id": buyer, "device_id": self.id,
            "staff_id": null, "created_at": self.now,
            "item_ids": items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
        });
        self.op("sale", json!({"sale": sale, "items": items}))
    }
}

async fn enrolled(ho: &Ho, dir: &std::path::Path) -> Dev {
    let (r, _engine) = ho.device(dir, "till").await;
    let r = lock(&r);
    let (_, credential) = r.sync_config().expect("config").expect("enrolled");
    Dev {
        id: r.device_id(),
        credential,
        seq: 0,
        now: r.now(),
    }
}

async fn allot(ho: &Ho, dev: &Dev, product: Uuid, units: u64) -> u64 {
    let resp = ho
        .client
        .post(format!("{}/v1/sync/allotments", ho.base))
        .bearer_auth(&dev.credential)
        .json(&json!({"product_id": product, "units": units}))
        .send()
        .await
        .expect("allot");
    assert_eq!(resp.status().as_u16(), 200);
    let a: Value = resp.json().await.expect("json");
    a["first_item_id"].as_u64().expect("first item id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_sales_and_issues_are_held_to_the_catalog_and_the_allotment() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "49.99", "stock": 20}))
        .await;
    let users = ho.users("d", 2).await;
    let mut dev = enrolled(&ho, dir.path()).await;
    let first = allot(&ho, &dev, pid, 8).await;
    let n = |i: u64| first + i;

    let ops = vec![
        // The honest sale: the catalog price, no discount.
        dev.sale(pid, users[0], &[n(0)], ("49.99", 1, "0", "49.99")),
        // A negative price.
        dev.sale(pid, users[0], &[n(1)], ("-49.99", 1, "0", "-49.99")),
        // Quantity 5 with one item.
        dev.sale(pid, users[0], &[n(2)], ("49.99", 5, "0", "249.95")),
        // Figures that add up, at a price the product never had.
        dev.sale(pid, users[0], &[n(3)], ("0.01", 1, "0", "0.01")),
        // The catalog price with a discount no status tier gives.
        dev.sale(pid, users[0], &[n(4)], ("49.99", 1, "49.98", "0.01")),
        // Near Decimal::MAX: an overflow must be an answer, not a panic.
        dev.sale(
            pid,
            users[0],
            &[n(5), n(6)],
            (
                "79228162514264337593543950335",
                2,
                "0",
                "79228162514264337593543950335",
            ),
        ),
        // Finer than a cent.
        dev.sale(pid, users[0], &[n(5)], ("49.991", 1, "0", "49.991")),
        // Issues numbered outside the allotment: at the top of i64, zero, just past.
        dev.op(
            "issue",
            json!({"product_id": pid, "items": [{"id": Uuid::now_v7(), "item_id": i64::MAX, "owner_id": users[1]}]}),
        ),
        dev.op(
            "issue",
            json!({"product_id": pid, "items": [{"id": Uuid::now_v7(), "item_id": 0, "owner_id": users[1]}]}),
        ),
        dev.op(
            "issue",
            json!({"product_id": pid, "items": [{"id": Uuid::now_v7(), "item_id": n(8), "owner_id": users[1]}]}),
        ),
        // Inside it: applied.
        dev.op(
            "issue",
            json!({"product_id": pid, "items": [{"id": Uuid::now_v7(), "item_id": n(7), "owner_id": users[1]}]}),
        ),
    ];
    let answers = push(&ho, &dev.credential, ops).await;
    let want = [
        ("applied", ""),
        ("rejected", "invalid_field"),
        ("rejected", "invalid_field"),
        ("rejected", "invalid_field"),
        ("rejected", "invalid_field"),
        ("rejected", "invalid_field"),
        ("rejected", "invalid_price"),
        ("rejected", "invalid_request"),
        ("rejected", "invalid_request"),
        ("rejected", "item_id_not_allotted"),
        ("applied", ""),
    ];
    let got: Vec<(&str, &str)> = answers
        .iter()
        .map(|(s, c)| (s.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sales"), 1);
    assert_eq!(
        ho.rows("SELECT total FROM sales"),
        vec![vec!["49.99".to_string()]]
    );

    // Head office's own numbering is untouched: the next API issue still works.
    let more = ho.issue(pid, &users[..1]).await;
    assert_eq!(more.len(), 1);
    assert_eq!(
        ho.scalar("SELECT next_item_id FROM products"),
        (first + 8 + 1) as i64
    );

    // A device time no clock could show is refused; the device is not stuck.
    let mut bad_time = dev.op(
        "issue",
        json!({"product_id": pid, "items": [{"id": Uuid::now_v7(), "item_id": n(1), "owner_id": users[1]}]}),
    );
    bad_time["device_time"] = json!(i64::MAX);
    let honest = dev.op(
        "issue",
        json!({"product_id": pid, "items": [{"id": Uuid::now_v7(), "item_id": n(2), "owner_id": users[1]}]}),
    );
    // A scan dated in year 292 billion, stated in the op rather than its envelope.
    let items = ho.issue(pid, &users[1..]).await;
    let far_scan = dev.op(
        "redeem",
        json!({"item": items[0], "product_id": pid, "redeemed_at": i64::MAX}),
    );
    let answers = push(&ho, &dev.credential, vec![bad_time, far_scan, honest]).await;
    let implausible = (
        "rejected".to_string(),
        "implausible_device_time".to_string(),
    );
    assert_eq!(
        answers,
        vec![
            implausible.clone(),
            implausible,
            ("applied".to_string(), String::new()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_at_the_price_of_its_allotment_stands_after_a_price_change() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 20}))
        .await;
    let users = ho.users("p", 1).await;
    let mut dev = enrolled(&ho, dir.path()).await;
    let first = allot(&ho, &dev, pid, 4).await;
    // Head office raises the price while the device is offline with its allotment.
    let (s, v) = ho
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/products/{pid}"),
            Some(json!({"price": "25.00"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let ops = vec![
        dev.sale(pid, users[0], &[first], ("20.00", 1, "0", "20.00")),
        dev.sale(pid, users[0], &[first + 1], ("25.00", 1, "0", "25.00")),
        dev.sale(pid, users[0], &[first + 2], ("22.50", 1, "0", "22.50")),
    ];
    let answers = push(&ho, &dev.credential, ops).await;
    let status: Vec<&str> = answers.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(status, ["applied", "applied", "rejected"]);
}
