//! Auth, events, users, products (create/get/list/update/publish/slug/order rules),
//! malformed input and the OpenAPI document, over real HTTP.

mod common;

use common::{codes, id, start};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn auth_missing_bad_and_read_only_keys() {
    let s = start().await;
    let (st, v) = s.send(Method::GET, "/v1/version", None, None).await;
    assert_eq!(st, 401);
    assert_eq!(codes(&v), ["unauthorized"]);
    let (st, _) = s
        .send(Method::GET, "/v1/version", Some("wk_not_a_key"), None)
        .await;
    assert_eq!(st, 401);
    let (st, v) = s
        .send(Method::GET, "/v1/version", Some(&s.read), None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(v["name"], "wicket-headoffice");
    // x-api-key is accepted too (legacy MUFI header).
    let resp = s
        .client
        .get(format!("{}/v1/version", s.base))
        .header("x-api-key", &s.write)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    // A read key may not write...
    let (st, v) = s
        .send(
            Method::POST,
            "/v1/products",
            Some(&s.read),
            Some(json!({"type": "admission", "name": "X"})),
        )
        .await;
    assert_eq!(st, 403);
    assert_eq!(codes(&v), ["forbidden"]);
    // ...but may use the query-style POSTs.
    let (st, v) = s
        .send(
            Method::POST,
            "/v1/users/fetch",
            Some(&s.read),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["total"], 0);
}

#[tokio::test]
async fn events_crud_and_reference_lookup() {
    let s = start().await;
    let (st, e) = s
        .post(
            "/v1/events/create",
            json!({"name": "Spring Gala", "start_date": 1_900_000_000, "end_date": 1_900_010_000,
                   "location": "Hall", "address": "1 Road", "reference_id": "gala-1"}),
        )
        .await;
    assert_eq!(st, 201, "{e}");
    assert!(e["created_at"].as_str().is_some_and(|t| t.contains('T')));
    let (st, got) = s.get("/v1/events/gala-1").await;
    assert_eq!(st, 200);
    assert_eq!(got["id"], e["id"]);
    let (st, up) = s
        .put(
            "/v1/events/update",
            json!({"reference_id": "gala-1", "name": "Spring Gala II"}),
        )
        .await;
    // MUFI documents 201 "Created." for an update.
    assert_eq!(st, 201, "{up}");
    assert_eq!(up["name"], "Spring Gala II");
    let (st, bad) = s
        .post(
            "/v1/events/create",
            json!({"name": "ab", "start_date": 1, "end_date": 2, "location": "x", "address": "y"}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&bad), ["invalid_field"]);
    let (st, list) = s.get("/v1/events?page=1&limit=10").await;
    assert_eq!(st, 200);
    assert_eq!(list["meta"]["total_items"], 1);
    let (st, _) = s.delete(&format!("/v1/events/{}", id(&e))).await;
    assert_eq!(st, 204);
    let (st, v) = s.get("/v1/events/gala-1").await;
    assert_eq!(st, 404);
    assert_eq!(codes(&v), ["not_found"]);
}

#[tokio::test]
async fn users_create_fetch_profile_and_conflicts() {
    let s = start().await;
    let users = s.users("fan", 3).await;
    assert_eq!(users.len(), 3);
    let (st, v) = s
        .post("/v1/users/create", json!([{"email": "FAN-0@example.com"}]))
        .await;
    assert_eq!(st, 409, "duplicate email: {v}");
    // All-or-nothing: one bad email refuses the batch.
    let (st, v) = s
        .post(
            "/v1/users/create",
            json!([{"email": "ok@example.com"}, {"email": "nope"}]),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["invalid_field"]);
    let (_, all) = s
        .post("/v1/users/fetch", json!({"limit": 10, "offset": 0}))
        .await;
    assert_eq!(all["total"], 3);
    let (st, _) = s.post("/v1/users/fetch", json!({"limit": 1001})).await;
    assert_eq!(st, 400);
    let (st, p) = s
        .post("/v1/users/profile", json!({"email": "fan-1@example.com"}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(p["firstName"], "U");
    let (st, _) = s
        .post("/v1/users/profile", json!({"email": "ghost@example.com"}))
        .await;
    assert_eq!(st, 404);
    let (st, v) = s.post("/v1/users/create", json!([])).await;
    assert_eq!(st, 400, "{v}");
}

#[tokio::test]
async fn balances_follow_the_ledger() {
    let s = start().await;
    let u = s.user("ledger@example.com").await;
    let uid = id(&u);
    let (st, b) = s
        .post(
            &format!("/v1/users/{uid}/balances/adjust"),
            json!({"kind": "credits", "delta": 30, "reason": "welcome"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["credits"], 30);
    let (st, v) = s
        .post(
            &format!("/v1/users/{uid}/balances/adjust"),
            json!({"kind": "credits", "delta": -31, "reason": "oops"}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["insufficient_credits"]);
    s.post(
        &format!("/v1/users/{uid}/balances/adjust"),
        json!({"kind": "credits", "delta": -10, "reason": "spend"}),
    )
    .await;
    let (_, l) = s.get(&format!("/v1/users/{uid}/ledger")).await;
    let deltas: Vec<i64> = l["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["delta"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(deltas, [30, -10]);
    let (_, b) = s.get(&format!("/v1/users/{uid}/balances")).await;
    assert_eq!(b["credits"], 20);
    assert_eq!(b["tier"], Value::Null);
}

#[tokio::test]
async fn products_create_get_list_update_publish() {
    let s = start().await;
    let p = s
        .product(
            json!({"type": "admission", "name": "Main Entry", "price": "49.99", "stock": 100,
                        "tags": ["ticket"], "prices": [{"currency": "USD", "amount": "54.00"}]}),
        )
        .await;
    assert_eq!(p["price"], "49.99");
    assert_eq!(p["status"], "published");
    assert_eq!(p["slug"], "main-entry");
    assert_eq!(p["redemption_quantity"], 1);
    assert_eq!(p["max_per_account"], Value::Null);
    assert_eq!(p["is_transferable"], false);
    assert_eq!(p["min_rep_balance"], 0);
    assert_eq!(p["issued"], 0);
    assert_eq!(p["prices"][1]["amount"], "54.00");
    let pid = id(&p);

    let (st, got) = s.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(st, 200);
    assert_eq!(got["name"], "Main Entry");
    let (st, by_slug) = s.get("/v1/products/slug/main-entry").await;
    assert_eq!(st, 200);
    assert_eq!(by_slug["id"], p["id"]);

    let draft = s
        .product(json!({"type": "perks", "name": "Main Voucher", "price": "5", "status": "draft", "tags": ["bar"]}))
        .await;
    s.product(json!({"type": "presale", "name": "Early", "price": "20.00"}))
        .await;

    let (st, list) = s.get("/v1/products?page=1&limit=2&sort=name").await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["meta"]["total_items"], 3);
    assert_eq!(list["meta"]["total_pages"], 2);
    assert_eq!(list["meta"]["item_count"], 2);
    assert_eq!(list["items"][0]["name"], "Early");
    let (_, search) = s.get("/v1/products?search=main&status=draft").await;
    assert_eq!(search["meta"]["total_items"], 1);
    assert_eq!(search["items"][0]["name"], "Main Voucher");
    let (_, tagged) = s.get("/v1/products?tags=bar,ticket&sort=-price").await;
    assert_eq!(tagged["meta"]["total_items"], 2);
    assert_eq!(tagged["items"][0]["name"], "Main Entry");
    let (st, _) = s.get("/v1/products?limit=0").await;
    assert_eq!(st, 400);

    let (st, up) = s
        .patch(
            &format!("/v1/products/{pid}"),
            json!({"price": "45.50", "max_per_account": 2}),
        )
        .await;
    assert_eq!(st, 200, "{up}");
    assert_eq!(up["price"], "45.50");
    assert_eq!(up["max_per_account"], 2);
    assert_eq!(up["stock"], 100);
    let (st, v) = s
        .patch(&format!("/v1/products/{pid}"), json!({"price": "-1"}))
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["invalid_price"]);
    let (st, v) = s
        .patch(
            &format!("/v1/products/{pid}"),
            json!({"slug": "main-voucher"}),
        )
        .await;
    assert_eq!(st, 409, "slug taken: {v}");

    // A draft is refused for issue until published.
    let u = s.user("d@example.com").await;
    let did = id(&draft);
    let (st, v) = s
        .post(
            &format!("/v1/products/{did}/items"),
            json!({"users": [u["id"]]}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["not_published"]);
    let (st, pubd) = s
        .patch(&format!("/v1/products/{did}/publish"), json!({}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(pubd["status"], "published");
    let (st, v) = s
        .post(
            &format!("/v1/products/{did}/items"),
            json!({"users": [u["id"]]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");

    let (st, v) = s
        .get(&format!("/v1/products/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(st, 404);
    assert_eq!(codes(&v), ["not_found"]);
    let (st, v) = s.post("/v1/products", json!({"name": "No type"})).await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["invalid_field"]);
    let (st, v) = s
        .post(
            "/v1/products",
            json!({"type": "admission", "name": "NFT", "mint_nft": true}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["mint_nft_incomplete"]);
}

#[tokio::test]
async fn malformed_input_is_a_400_not_a_crash() {
    let s = start().await;
    for (path, body) in [
        ("/v1/products", "{not json"),
        ("/v1/products", "[1,2,3]"),
        (
            "/v1/products",
            r#"{"type": "admission", "name": "X", "bogus": 1}"#,
        ),
        ("/v1/users/create", r#"{"email": "x@y.z"}"#),
        ("/v1/sales", r#"{"product_id": "nope"}"#),
        ("/v1/events/create", "\u{0}\u{1}"),
    ] {
        let resp = s
            .client
            .post(format!("{}{path}", s.base))
            .bearer_auth(&s.write)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status().as_u16(), 400, "{path} {body:?}");
        let v: Value = resp.json().await.expect("json error body");
        assert_eq!(codes(&v), ["invalid_request"], "{v}");
    }
    let (st, v) = s.get("/v1/products/not-a-uuid").await;
    assert_eq!(st, 400, "{v}");
    // The server is still up.
    let (st, _) = s.get("/v1/version").await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn order_rules_crud() {
    let s = start().await;
    let p = s
        .product(json!({"type": "admission", "name": "Ruled", "price": "10"}))
        .await;
    let pid = id(&p);
    let (st, r) = s
        .post(
            &format!("/v1/products/{pid}/order-rules"),
            json!({"purchase_limit": 2}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let (st, v) = s
        .post(
            &format!("/v1/products/{pid}/order-rules"),
            json!({"purchase_limit": 0}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let (_, rules) = s.get(&format!("/v1/products/{pid}/order-rules")).await;
    assert_eq!(rules.as_array().map(Vec::len), Some(1));
    let (st, _) = s
        .delete(&format!("/v1/products/{pid}/order-rules/{}", id(&r)))
        .await;
    assert_eq!(st, 204);
    let (st, _) = s
        .delete(&format!("/v1/products/{pid}/order-rules/{}", id(&r)))
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn openapi_lists_every_served_route() {
    let s = start().await;
    let resp = s
        .client
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    let doc: Value = resp.json().await.expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let served = wicket_headoffice::served_routes();
    assert!(served.len() > 40);
    let mut missing = Vec::new();
    for (method, path) in served {
        if doc["paths"][path][method].is_null() {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:?}"
    );
}
