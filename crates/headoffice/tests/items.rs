//! Issue, redeem, transfer and claim over real HTTP: batch limits, all-or-nothing,
//! stock, max_per_account, sequential item ids under concurrency.

mod common;

use common::{codes, id, start};
use serde_json::{Value, json};

fn item_ids(v: &Value) -> Vec<u64> {
    v["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["item_id"].as_u64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn issue_550_ok_551_refused_unknown_email_refuses_all() {
    let s = start().await;
    let users = s.users("bulk", 551).await;
    let p = s
        .product(json!({"type": "admission", "name": "Bulk", "price": "1.00"}))
        .await;
    let pid = id(&p);
    let emails: Vec<String> = (0..551).map(|i| format!("bulk-{i}@example.com")).collect();

    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"product_id": pid, "emails": emails}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["batch_too_large"]);
    // 550 combined across users + emails is still too many when it is 551.
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [users[0]["id"]], "emails": &emails[1..551]}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["batch_too_large"]);

    let mut with_ghost: Vec<String> = emails[..549].to_vec();
    with_ghost.push("ghost@example.com".into());
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"emails": with_ghost}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["unknown_recipient"]);
    assert!(
        v["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("ghost@example.com"))
    );
    let (_, listed) = s.get(&format!("/v1/products/{pid}/items")).await;
    assert_eq!(
        listed["meta"]["total_items"], 0,
        "nothing issued after a refused batch"
    );

    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"emails": &emails[..550]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let ids = item_ids(&v);
    assert_eq!(ids, (1..=550).collect::<Vec<u64>>());
    let first = &v["items"][0];
    assert_eq!(first["user"]["email"], "bulk-0@example.com");
    assert_eq!(first["product"]["type"], "admission");
    assert_eq!(first["is_fully_redeemed"], false);
    let (_, got) = s.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(got["issued"], 550);
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"product_id": uuid::Uuid::new_v4(), "users": [users[0]["id"]]}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
}

#[tokio::test]
async fn stock_and_max_per_account_enforced() {
    let s = start().await;
    let a = s.user("a@example.com").await;
    let b = s.user("b@example.com").await;
    let p = s
        .product(json!({"type": "admission", "name": "Small", "price": "10", "stock": 3, "max_per_account": 2}))
        .await;
    let pid = id(&p);
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [a["id"], a["id"], a["id"]]}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["max_per_account"]);
    let (st, _) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [a["id"], a["id"]]}),
        )
        .await;
    assert_eq!(st, 201);
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [b["id"], b["id"]]}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["stock_exhausted"]);
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"emails": ["b@example.com"]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(item_ids(&v), [3]);
    let (_, mine) = s.get(&format!("/v1/users/{}/items", id(&a))).await;
    assert_eq!(mine["meta"]["total_items"], 2);
    // Inactive products issue nothing.
    s.patch(&format!("/v1/products/{pid}"), json!({"active": false}))
        .await;
    let (_, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [b["id"]]}),
        )
        .await;
    assert_eq!(codes(&v), ["inactive"]);
}

#[tokio::test]
async fn min_rep_balance_enforced() {
    let s = start().await;
    let a = s.user("rep@example.com").await;
    let p = s
        .product(json!({"type": "perks", "name": "Rep Perk", "min_rep_balance": 5}))
        .await;
    let (_, v) = s
        .post(
            &format!("/v1/products/{}/items", id(&p)),
            json!({"users": [a["id"]]}),
        )
        .await;
    assert_eq!(codes(&v), ["rep_too_low"]);
    s.post(
        &format!("/v1/users/{}/balances/adjust", id(&a)),
        json!({"kind": "reputation", "delta": 5, "reason": "helped"}),
    )
    .await;
    let (st, _) = s
        .post(
            &format!("/v1/products/{}/items", id(&p)),
            json!({"users": [a["id"]]}),
        )
        .await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn redeem_until_already_redeemed() {
    let s = start().await;
    let a = s.user("door@example.com").await;
    let p = s
        .product(json!({"type": "perks", "name": "Three Drinks", "redemption_quantity": 3}))
        .await;
    let other = s.product(json!({"type": "perks", "name": "Other"})).await;
    let pid = id(&p);
    let (_, v) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [a["id"]]}),
        )
        .await;
    let item = v["items"][0]["id"].clone();
    let (_, v) = s
        .post(
            &format!("/v1/products/{}/items/redeem", id(&other)),
            json!({"product_item_id": item}),
        )
        .await;
    assert_eq!(codes(&v), ["wrong_product"]);
    for n in 1..=3 {
        let (st, r) = s
            .post(
                &format!("/v1/products/{pid}/items/redeem"),
                json!({"product_item_id": item}),
            )
            .await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["redemption_count"], n);
        assert_eq!(r["is_fully_redeemed"], n == 3);
        assert!(r["redeemed_at"].as_i64().is_some());
        assert_eq!(r["user"]["email"], "door@example.com");
        assert_eq!(r["product"]["redemption_quantity"], 3);
    }
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/items/redeem"),
            json!({"product_item_id": item}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["already_redeemed"]);
    let (_, got) = s
        .get(&format!("/v1/items/{}", item.as_str().unwrap_or_default()))
        .await;
    assert_eq!(got["redemption_count"], 3);
    let (st, _) = s
        .post(
            &format!("/v1/products/{pid}/items/redeem"),
            json!({"product_item_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn transfer_rules() {
    let s = start().await;
    let a = s.user("alice@example.com").await;
    let b = s.user("bob@example.com").await;
    let c = s.user("carol@example.com").await;
    let fixed = s
        .product(json!({"type": "admission", "name": "Fixed", "price": "10"}))
        .await;
    let movable = s
        .product(json!({"type": "admission", "name": "Movable", "price": "10", "is_transferable": true, "max_per_account": 1}))
        .await;
    let (_, v) = s
        .post(
            &format!("/v1/products/{}/items", id(&fixed)),
            json!({"users": [a["id"]]}),
        )
        .await;
    let fixed_item = v["items"][0]["id"].clone();
    let (_, v) = s
        .post(
            &format!("/v1/products/{}/items", id(&movable)),
            json!({"users": [a["id"], c["id"]]}),
        )
        .await;
    let item = v["items"][0]["id"].clone();
    let mv = format!("/v1/products/{}/transfer", id(&movable));

    let (_, v) = s
        .post(&format!("/v1/products/{}/transfer", id(&fixed)),
            json!({"product_item_id": fixed_item, "sender_email": "alice@example.com", "recipient_email": "bob@example.com"}))
        .await;
    assert_eq!(codes(&v), ["not_transferable"]);
    let (_, v) = s
        .post(&mv, json!({"product_item_id": item, "sender_email": "alice@example.com", "recipient_email": "alice@example.com"}))
        .await;
    assert_eq!(codes(&v), ["self_transfer"]);
    let (_, v) = s
        .post(&mv, json!({"product_item_id": item, "sender_email": "bob@example.com", "recipient_email": "carol@example.com"}))
        .await;
    assert_eq!(codes(&v), ["not_owner"]);
    let (_, v) = s
        .post(&mv, json!({"product_item_id": item, "sender_user_id": a["id"], "recipient_email": "carol@example.com"}))
        .await;
    assert_eq!(codes(&v), ["max_per_account"]);
    let (_, v) = s
        .post(&mv, json!({"product_item_id": item, "sender_user_id": a["id"], "recipient_email": "nobody@example.com"}))
        .await;
    assert_eq!(codes(&v), ["unknown_recipient"]);

    let (st, t) = s
        .post(&mv, json!({"product_item_id": item, "sender_user_id": a["id"], "recipient_user_id": b["id"]}))
        .await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["previous_owner"]["email"], "alice@example.com");
    assert_eq!(t["new_owner"]["email"], "bob@example.com");
    assert_eq!(t["product_item"]["product_name"], "Movable");
    assert!(t["transferred_at"].as_i64().is_some());
    let (_, got) = s
        .get(&format!("/v1/items/{}", item.as_str().unwrap_or_default()))
        .await;
    assert_eq!(got["user"]["id"], b["id"]);

    // A fully redeemed item cannot move.
    s.post(
        &format!("/v1/products/{}/items/redeem", id(&movable)),
        json!({"product_item_id": item}),
    )
    .await;
    let (_, v) = s
        .post(&mv, json!({"product_item_id": item, "sender_user_id": b["id"], "recipient_user_id": a["id"]}))
        .await;
    assert_eq!(codes(&v), ["already_redeemed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_issues_keep_item_ids_gapless() {
    let s = std::sync::Arc::new(start().await);
    let users = s.users("conc", 20).await;
    let p = s
        .product(json!({"type": "admission", "name": "Rush", "stock": 150}))
        .await;
    let pid = id(&p);
    let mut tasks = Vec::new();
    for u in &users {
        let s = std::sync::Arc::clone(&s);
        let uid = u["id"].clone();
        let pid = pid.clone();
        tasks.push(tokio::spawn(async move {
            s.post(
                &format!("/v1/products/{pid}/items"),
                json!({"users": vec![uid; 8]}),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (st, v) = t.await.expect("join");
        match st {
            201 => ok += 1,
            400 => assert_eq!(codes(&v), ["stock_exhausted"]),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ok, 18, "150 stock / 8 per request");
    let mut all = Vec::new();
    for page in 1..=2 {
        let (_, v) = s
            .get(&format!("/v1/products/{pid}/items?page={page}&limit=100"))
            .await;
        all.extend(item_ids(&v));
    }
    all.sort_unstable();
    assert_eq!(all, (1..=144).collect::<Vec<u64>>());
}

#[tokio::test]
async fn claim_codes_once_each() {
    let s = start().await;
    let a = s.user("claimer@example.com").await;
    let b = s.user("late@example.com").await;
    let closed = s.product(json!({"type": "perks", "name": "Closed"})).await;
    let (_, v) = s
        .post(
            &format!("/v1/products/{}/claim-codes", id(&closed)),
            json!({"count": 1}),
        )
        .await;
    assert_eq!(codes(&v), ["not_claimable"]);
    let p = s
        .product(json!({"type": "perks", "name": "Gift", "is_claimable": true}))
        .await;
    let (st, v) = s
        .post(
            &format!("/v1/products/{}/claim-codes", id(&p)),
            json!({"count": 2}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let url = v["codes"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(url.contains("/claim/"));
    let (st, item) = s
        .post(
            "/v1/claim",
            json!({"url": url, "email": "claimer@example.com"}),
        )
        .await;
    assert_eq!(st, 201, "{item}");
    assert_eq!(item["origin"], "claim");
    assert_eq!(item["user"]["id"], a["id"]);
    let (_, v) = s
        .post("/v1/claim", json!({"url": url, "user_id": b["id"]}))
        .await;
    assert_eq!(codes(&v), ["claim_used"]);
    let (_, v) = s
        .post("/v1/claim", json!({"code": "garbage", "user_id": b["id"]}))
        .await;
    assert_eq!(codes(&v), ["invalid_claim_code"]);
}

/// Eight clients issue and sell against a stock of 1,000 until refused; each steps
/// down to one unit when a larger request is refused, so stock runs out exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_clients_issue_and_sell_exactly_the_stock() {
    let s = std::sync::Arc::new(start().await);
    let users = s.users("rush8", 8).await;
    let p = s
        .product(
            json!({"type": "admission", "name": "Stock 1000", "price": "12.50", "stock": 1000}),
        )
        .await;
    let pid = id(&p);
    let mut tasks = Vec::new();
    for (c, u) in users.iter().enumerate() {
        let s = std::sync::Arc::clone(&s);
        let uid = u["id"].clone();
        let pid = pid.clone();
        tasks.push(tokio::spawn(async move {
            let (mut got, mut n, mut round) = (0u64, 1 + c as u64 % 4, 0u64);
            loop {
                round += 1;
                let (st, v) = if (c as u64 + round).is_multiple_of(2) {
                    s.post(
                        &format!("/v1/products/{pid}/items"),
                        json!({"users": vec![uid.clone(); n as usize]}),
                    )
                    .await
                } else {
                    s.post(
                        "/v1/sales",
                        json!({"product_id": pid, "quantity": n, "buyer_user_id": uid, "payment_method": "card"}),
                    )
                    .await
                };
                match st {
                    201 => got += item_ids(&v).len() as u64,
                    400 if codes(&v) == ["stock_exhausted"] => {
                        if n == 1 {
                            return got;
                        }
                        n = 1;
                    }
                    other => panic!("client {c}: unexpected {other}: {v}"),
                }
            }
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("join");
    }
    assert_eq!(total, 1000, "the clients got exactly the stock");
    let mut all = Vec::new();
    for page in 1..=11 {
        let (st, v) = s
            .get(&format!("/v1/products/{pid}/items?page={page}&limit=100"))
            .await;
        assert_eq!(st, 200);
        all.extend(item_ids(&v));
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=1000).collect::<Vec<u64>>(),
        "no gap, no duplicate"
    );
    let (_, one_more) = s
        .post(
            "/v1/sales",
            json!({"product_id": pid, "quantity": 1, "buyer_user_id": users[0]["id"], "payment_method": "cash"}),
        )
        .await;
    assert_eq!(codes(&one_more), ["stock_exhausted"]);
}

#[tokio::test]
async fn the_legacy_mufi_paths_create_issue_and_redeem_through_the_same_acts() {
    let s = start().await;
    let users = s.users("legacy", 1).await;
    let (st, p) = s
        .post(
            "/v1/products/create",
            json!({"type": "admission", "name": "Legacy Gig", "price": "9.00", "stock": 2}),
        )
        .await;
    assert_eq!(st, 201, "{p}");
    let pid = id(&p);
    // The new path sees the same product.
    let (st, again) = s.get(&format!("/v1/products/{pid}")).await;
    assert_eq!((st, again["name"].as_str()), (200, Some("Legacy Gig")));

    let (st, v) = s
        .post(
            "/v1/products/items/create",
            json!({"users": [users[0]["id"]]}),
        )
        .await;
    assert_eq!(st, 400, "product_id is required: {v}");
    let (st, v) = s
        .post(
            "/v1/products/items/create",
            json!({"product_id": pid, "users": [users[0]["id"]]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(item_ids(&v), [1]);
    let item = v["items"][0]["id"].clone();

    let (st, v) = s
        .post(
            "/v1/products/items/redeem",
            json!({"product_item_id": item}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["redemption_count"], 1);
    let (st, v) = s
        .post(
            "/v1/products/items/redeem",
            json!({"product_id": pid, "product_item_id": item}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["already_redeemed"]);
}
