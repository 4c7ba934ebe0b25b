//! Pushes head office must take apart op by op: an oversized batch is refused with
//! its own message, and an op it cannot read (unknown kind, broken payload, absurd
//! item number) is rejected alone while the rest of the batch applies. No 5xx.

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_tests::{lock, start_ho};

async fn push(ho: &wicket_tests::Ho, credential: &str, body: Value) -> (u16, Value) {
    let resp = ho
        .client
        .post(format!("{}/v1/sync/push", ho.base))
        .bearer_auth(credential)
        .json(&body)
        .send()
        .await
        .expect("push");
    let st = resp.status().as_u16();
    (st, resp.json().await.unwrap_or(Value::Null))
}

fn op(seq: i64, device: Uuid, kind: &str, payload: Value) -> Value {
    json!({"seq": seq, "op_id": Uuid::now_v7(), "device_id": device, "staff_id": null,
           "device_time": 1_767_225_600, "kind": kind, "payload": payload})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ops_are_rejected_alone_and_big_batches_are_refused_by_name() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "5.00", "stock": 10}))
        .await;
    let users = ho.users("p", 1).await;
    let items = ho.issue(pid, &users).await;
    let (r, _e) = ho.device(dir.path(), "door").await;
    let (device, credential) = {
        let r = lock(&r);
        let (_, cred) = r.sync_config().expect("config").expect("enrolled");
        (r.device_id(), cred)
    };

    let too_many: Vec<Value> = (0..5_001)
        .map(|i| op(i, device, "revoke", json!({"item": items[0]})))
        .collect();
    let (st, v) = push(&ho, &credential, json!({"ops": too_many})).await;
    assert_eq!(st, 400, "{v}");
    let msg = v["errors"][0].as_str().unwrap_or_default();
    assert!(
        msg.starts_with("batch_too_large") && msg.contains("5001") && msg.contains("5000"),
        "{msg}"
    );

    let batch = json!({"protocol_version": 1, "ops": [
        op(1, device, "teleport", json!({})),
        op(2, device, "redeem", json!({"item": "not-a-uuid"})),
        op(3, device, "issue", json!({"product_id": pid,
            "items": [{"id": Uuid::now_v7(), "item_id": u64::MAX, "owner_id": users[0]}]})),
        op(4, device, "redeem", json!({"item": items[0], "product_id": pid, "gate": "north"})),
    ]});
    let (st, v) = push(&ho, &credential, batch).await;
    assert_eq!(st, 200, "{v}");
    let answers: Vec<(String, String)> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or_default().to_string(),
                r["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(answers[0].0, "rejected");
    assert_eq!(answers[1].0, "rejected");
    assert_eq!(
        answers[2],
        ("rejected".to_string(), "invalid_request".to_string())
    );
    assert_eq!(answers[3].0, "applied", "{answers:?}");
    assert_eq!(v["protocol_version"], 1);
    assert_eq!(
        ho.scalar(&format!(
            "SELECT redemption_count FROM items WHERE id = '{}'",
            items[0]
        )),
        1
    );
    assert_eq!(ho.scalar("SELECT next_item_id FROM products"), 2);
}
