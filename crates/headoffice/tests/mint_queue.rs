//! Every path that creates items of a `mint_nft` product queues them for minting in
//! the same transaction, and the item JSON shows the NFT state. No chain needed.

mod common;

use std::sync::Arc;

use common::{id, start};
use serde_json::{Value, json};
use wicket_domain::Chain;
use wicket_headoffice::mint_store::{MintQueue, NftCounts};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqlStore, Store, keys};

fn nft_product() -> Value {
    json!({
        "type": "admission",
        "name": "Collectible",
        "price": "10.00",
        "is_claimable": true,
        "mint_nft": true,
        "metadata_uri": "https://tickets.example.com/nft/collectible.json",
        "chain": "WestendAssetHub"
    })
}

#[tokio::test]
async fn issue_sale_and_claim_all_queue_mints() {
    let s = start().await;
    let a = s.user("a@example.com").await;
    let p = s.product(nft_product()).await;
    let pid = id(&p);
    let plain = s
        .product(json!({"type": "admission", "name": "Plain", "price": "1.00"}))
        .await;

    // issue
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [a["id"]]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let issued = v["items"][0].clone();
    assert_eq!(issued["nft"]["state"], "pending", "{issued}");
    assert_eq!(issued["nft"]["chain"], "WestendAssetHub");

    // sale
    let (st, sale) = s
        .post("/v1/sales", json!({"product_id": pid, "quantity": 2, "buyer_user_id": a["id"], "payment_method": "card"}))
        .await;
    assert_eq!(st, 201, "{sale}");
    for it in sale["items"].as_array().expect("items") {
        assert_eq!(it["nft"]["state"], "pending", "{it}");
    }

    // claim
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/claim-codes"),
            json!({"count": 1}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let url = v["codes"][0]["url"].as_str().expect("url").to_string();
    let (st, claimed) = s
        .post("/v1/claim", json!({"url": url, "email": "a@example.com"}))
        .await;
    assert_eq!(st, 201, "{claimed}");
    assert_eq!(claimed["nft"]["state"], "pending");

    // Read paths show the same state; non-minting products say "none".
    let (_, one) = s.get(&format!("/v1/items/{}", id(&issued))).await;
    assert_eq!(one["nft"]["state"], "pending", "{one}");
    let (_, listed) = s.get(&format!("/v1/products/{pid}/items")).await;
    let listed = listed["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|i| i["nft"]["state"] == "pending"));
    let (st, v) = s
        .post(
            &format!("/v1/products/{}/items", id(&plain)),
            json!({"users": [a["id"]]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["items"][0]["nft"], json!({"state": "none"}));
}

#[tokio::test]
async fn queue_rows_follow_the_item_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::open_test_backend(dir.path()).expect("open");
    let write = keys::create_key(&store, Scope::Write).await.expect("key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let served: Arc<dyn Store> = Arc::new(store.clone());
    tokio::spawn(wicket_headoffice::serve(
        listener,
        served,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&write)
            .json(&body)
            .send()
    };
    let queue: &dyn MintQueue = &store;

    let p: Value = post("/v1/products", nft_product())
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let pid = id(&p);
    let r = post(
        "/v1/users/create",
        json!([{"email": "known@example.com", "firstName": "K", "lastName": "N"}]),
    )
    .await
    .expect("users");
    assert_eq!(r.status().as_u16(), 201);

    // A refused batch (one unknown email) creates no items and no queue rows.
    let r = post(
        &format!("/v1/products/{pid}/items"),
        json!({"emails": ["known@example.com", "unknown@example.com"]}),
    )
    .await
    .expect("issue");
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        queue.nft_counts().await.expect("counts"),
        NftCounts::default()
    );

    let r = post(
        &format!("/v1/products/{pid}/items"),
        json!({"emails": ["known@example.com", "known@example.com"]}),
    )
    .await
    .expect("issue");
    assert_eq!(r.status().as_u16(), 201);
    let counts = queue.nft_counts().await.expect("counts");
    assert_eq!(counts.pending, 2, "{counts:?}");
    let due = queue
        .due_mints(Chain::WestendAssetHub, i64::MAX, 10)
        .await
        .expect("due");
    assert_eq!(due.len(), 2);
    assert_eq!(
        due.iter().map(|d| d.item_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(
        due.iter()
            .all(|d| d.metadata_uri.ends_with("collectible.json"))
    );
    // Rows of another chain are not served by a worker of this one.
    assert!(
        queue
            .due_mints(Chain::AssetHub, i64::MAX, 10)
            .await
            .expect("due")
            .is_empty()
    );
    // A retry pushes the row into the future and shows the reason.
    queue
        .mint_retry(
            due[0].item,
            "chain_unreachable".into(),
            "down".into(),
            i64::MAX,
        )
        .await
        .expect("retry");
    let due2 = queue
        .due_mints(Chain::WestendAssetHub, i64::MAX - 1, 10)
        .await
        .expect("due");
    assert_eq!(due2.len(), 1);
    let item: Value = http
        .get(format!("{base}/v1/items/{}", due[0].item))
        .bearer_auth(&write)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(item["nft"]["state"], "pending");
    assert_eq!(item["nft"]["attempts"], 1);
    assert_eq!(item["nft"]["error_code"], "chain_unreachable");
}
