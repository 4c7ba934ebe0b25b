//! Box-office sales (tier discounts, order rules, history) and the reward catalog
//! (every refusal, then a redeem that debits credits through the ledger).

mod common;

use common::{Server, codes, id, start};
use serde_json::{Value, json};

async fn credit(s: &Server, user: &Value, kind: &str, delta: i64) {
    let (st, v) = s
        .post(
            &format!("/v1/users/{}/balances/adjust", id(user)),
            json!({"kind": kind, "delta": delta, "reason": "test"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test]
async fn sales_apply_tier_discount_exactly() {
    let s = start().await;
    let (st, t) = s
        .post(
            "/v1/status-tiers",
            json!({"name": "Silver", "min_token_balance": 100, "discount_percentage": "12.5"}),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let (st, v) = s
        .post(
            "/v1/status-tiers",
            json!({"name": "Bad", "min_token_balance": 5, "discount_percentage": "101"}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let p = s
        .product(json!({"type": "admission", "name": "Gig", "price": "49.99", "prices": [{"currency": "GBP", "amount": "43.10"}]}))
        .await;
    let pid = id(&p);
    let vip = s.user("vip@example.com").await;
    credit(&s, &vip, "status", 150).await;
    let (_, b) = s.get(&format!("/v1/users/{}/balances", id(&vip))).await;
    assert_eq!(b["tier"]["name"], "Silver");

    let (st, sale) = s
        .post("/v1/sales", json!({"product_id": pid, "quantity": 3, "buyer_user_id": vip["id"], "payment_method": "card"}))
        .await;
    assert_eq!(st, 201, "{sale}");
    assert_eq!(sale["unit_price"], "49.99");
    assert_eq!(sale["subtotal"], "149.97");
    // 149.97 × 12.5 % = 18.74625, rounded half away from zero to cents.
    assert_eq!(sale["discount"], "18.75");
    assert_eq!(sale["total"], "131.22");
    assert_eq!(sale["currency"], "EUR");
    assert_eq!(sale["items"].as_array().map(Vec::len), Some(3));
    assert!(
        sale["order_number"]
            .as_str()
            .is_some_and(|n| n.starts_with("HO-"))
    );

    // A walk-up buyer becomes a customer; no tier, so no discount.
    let dev = uuid::Uuid::new_v4();
    let (st, sale2) = s
        .post(
            "/v1/sales",
            json!({"product_id": pid, "quantity": 2, "buyer_email": "Walkup@Example.com",
                                   "currency": "GBP", "payment_method": "cash", "device_id": dev}),
        )
        .await;
    assert_eq!(st, 201, "{sale2}");
    assert_eq!(sale2["total"], "86.20");
    assert_eq!(sale2["buyer"]["email"], "walkup@example.com");
    assert_ne!(sale2["order_number"], sale["order_number"]);

    let (_, v) = s
        .post("/v1/sales", json!({"product_id": pid, "quantity": 1, "buyer_email": "x@example.com", "currency": "USD", "payment_method": "cash"}))
        .await;
    assert_eq!(codes(&v), ["no_price"]);
    let (_, v) = s
        .post("/v1/sales", json!({"product_id": pid, "quantity": 0, "buyer_email": "x@example.com", "payment_method": "cash"}))
        .await;
    assert_eq!(codes(&v), ["invalid_quantity"]);
    let (_, v) = s
        .post("/v1/sales", json!({"product_id": pid, "quantity": 1, "buyer_email": "x@example.com", "payment_method": "iou"}))
        .await;
    assert_eq!(codes(&v), ["invalid_field"]);
    // The refused sales created no customer.
    let (st, _) = s
        .post("/v1/users/profile", json!({"email": "x@example.com"}))
        .await;
    assert_eq!(st, 404);

    let (st, hist) = s
        .get(&format!("/v1/sales?product_id={pid}&page=1&limit=10"))
        .await;
    assert_eq!(st, 200);
    assert_eq!(hist["meta"]["total_items"], 2);
    assert_eq!(hist["items"][0]["order_number"], sale2["order_number"]);
    assert_eq!(hist["items"][0]["device_id"], json!(dev));
    assert_eq!(hist["items"][1]["total"], "131.22");
    let (_, got) = s.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(got["issued"], 5);
}

#[tokio::test]
async fn sales_respect_stock_max_per_account_and_purchase_limit() {
    let s = start().await;
    let p = s
        .product(json!({"type": "admission", "name": "Limited", "price": "10.00", "stock": 6, "max_per_account": 3,
                        "status": "draft"}))
        .await;
    let pid = id(&p);
    let sale = |q: u32, email: &str| json!({"product_id": pid, "quantity": q, "buyer_email": email, "payment_method": "cash"});
    let (_, v) = s.post("/v1/sales", sale(1, "a@example.com")).await;
    assert_eq!(codes(&v), ["not_published"]);
    s.patch(&format!("/v1/products/{pid}/publish"), json!({}))
        .await;
    let (st, r) = s
        .post(
            &format!("/v1/products/{pid}/order-rules"),
            json!({"purchase_limit": 2}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let (st, _) = s.post("/v1/sales", sale(1, "a@example.com")).await;
    assert_eq!(st, 201);
    let (st, v) = s.post("/v1/sales", sale(2, "a@example.com")).await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["purchase_limit"]);
    let (st, _) = s.post("/v1/sales", sale(1, "a@example.com")).await;
    assert_eq!(st, 201);
    // Without the rule, max_per_account (3) is the next fence.
    s.delete(&format!("/v1/products/{pid}/order-rules/{}", id(&r)))
        .await;
    let (_, v) = s.post("/v1/sales", sale(2, "a@example.com")).await;
    assert_eq!(codes(&v), ["max_per_account"]);
    let (_, v) = s.post("/v1/sales", sale(4, "b@example.com")).await;
    assert_eq!(codes(&v), ["max_per_account"]);
    let (st, _) = s.post("/v1/sales", sale(3, "b@example.com")).await;
    assert_eq!(st, 201);
    let (_, v) = s.post("/v1/sales", sale(2, "c@example.com")).await;
    assert_eq!(codes(&v), ["stock_exhausted"]);
    let (st, _) = s.post("/v1/sales", sale(1, "c@example.com")).await;
    assert_eq!(st, 201, "the last unit still sells");
}

#[tokio::test]
async fn rewards_refuse_every_way_then_redeem() {
    let s = start().await;
    let (_, _silver) = s
        .post(
            "/v1/status-tiers",
            json!({"name": "Silver", "min_token_balance": 100, "discount_percentage": "5"}),
        )
        .await;
    let (_, gold) = s
        .post(
            "/v1/status-tiers",
            json!({"name": "Gold", "min_token_balance": 500, "discount_percentage": "10"}),
        )
        .await;
    let drink = s
        .product(json!({"type": "perks", "name": "Reward Drink", "price": "5.00"}))
        .await;
    let reward = |name: &str, extra: Value| {
        let mut b = json!({"name": name, "credit_cost": 50, "grants": {"product_id": drink["id"], "quantity": 1}});
        if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        b
    };
    let (st, limited) = s
        .post(
            "/v1/rewards",
            reward("Limited", json!({"supply_total": 2, "max_per_user": 1})),
        )
        .await;
    assert_eq!(st, 201, "{limited}");
    let (st, v) = s
        .post(
            "/v1/rewards",
            reward("Bad", json!({"country_restrictions": ["FRANCE"]})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let lid = id(&limited);
    let redeem = |rid: &str| format!("/v1/rewards/{rid}/redeem");

    let u1 = s.user("u1@example.com").await;
    let u2 = s.user("u2@example.com").await;
    let u3 = s.user("u3@example.com").await;

    let (st, v) = s.post(&redeem(&lid), json!({"user_id": u1["id"]})).await;
    assert_eq!(st, 400);
    assert_eq!(codes(&v), ["insufficient_credits"]);
    credit(&s, &u1, "credits", 120).await;
    let (st, r) = s
        .post(&redeem(&lid), json!({"email": "u1@example.com"}))
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["credits_spent"], 50);
    assert_eq!(r["credits_balance"], 70);
    assert_eq!(r["items"][0]["origin"], "reward");
    assert_eq!(r["items"][0]["product"]["name"], "Reward Drink");
    let (_, b) = s.get(&format!("/v1/users/{}/balances", id(&u1))).await;
    assert_eq!(b["credits"], 70);
    let (_, l) = s.get(&format!("/v1/users/{}/ledger", id(&u1))).await;
    assert_eq!(l["items"][1]["delta"], -50);
    assert_eq!(l["items"][1]["ref_id"], r["id"]);

    let (_, v) = s.post(&redeem(&lid), json!({"user_id": u1["id"]})).await;
    assert_eq!(codes(&v), ["max_per_user"]);
    credit(&s, &u2, "credits", 50).await;
    credit(&s, &u3, "credits", 50).await;
    let (st, _) = s.post(&redeem(&lid), json!({"user_id": u2["id"]})).await;
    assert_eq!(st, 201);
    let (_, sup) = s.get(&format!("/v1/rewards/{lid}/supply")).await;
    assert_eq!(sup, json!({"available": 0, "total": 2}));
    let (_, v) = s.post(&redeem(&lid), json!({"user_id": u3["id"]})).await;
    assert_eq!(codes(&v), ["supply_exhausted"]);

    let (_, gold_only) = s
        .post(
            "/v1/rewards",
            reward("Gold only", json!({"min_tier_id": gold["id"]})),
        )
        .await;
    let (_, v) = s
        .post(&redeem(&id(&gold_only)), json!({"user_id": u3["id"]}))
        .await;
    assert_eq!(codes(&v), ["tier_too_low"]);
    credit(&s, &u3, "status", 500).await;
    let (st, _) = s
        .post(&redeem(&id(&gold_only)), json!({"user_id": u3["id"]}))
        .await;
    assert_eq!(st, 201);

    let (_, fr) = s
        .post(
            "/v1/rewards",
            reward("France", json!({"country_restrictions": ["FR"]})),
        )
        .await;
    let (_, v) = s
        .post(
            &redeem(&id(&fr)),
            json!({"user_id": u1["id"], "country": "ES"}),
        )
        .await;
    assert_eq!(codes(&v), ["country_restricted"]);
    let (_, v) = s
        .post(&redeem(&id(&fr)), json!({"user_id": u1["id"]}))
        .await;
    assert_eq!(
        codes(&v),
        ["country_restricted"],
        "unknown country fails an allow list"
    );
    let (st, _) = s
        .post(
            &redeem(&id(&fr)),
            json!({"user_id": u1["id"], "country": "fr"}),
        )
        .await;
    assert_eq!(st, 201);
    let (_, b) = s.get(&format!("/v1/users/{}/balances", id(&u1))).await;
    assert_eq!(b["credits"], 20);

    let (_, off) = s.post("/v1/rewards", reward("Paused", json!({}))).await;
    let (st, t) = s
        .put(&format!("/v1/rewards/{}/status", id(&off)), json!({}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(t["active"], false);
    let (_, v) = s
        .post(&redeem(&id(&off)), json!({"user_id": u1["id"]}))
        .await;
    assert_eq!(codes(&v), ["reward_inactive"]);

    // Read keys see the active catalog only; write keys can filter.
    let (_, public) = s
        .send(reqwest::Method::GET, "/v1/rewards", Some(&s.read), None)
        .await;
    let names: Vec<&str> = public
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        !names.contains(&"Paused") && names.contains(&"Limited"),
        "{names:?}"
    );
    let (_, inactive) = s.get("/v1/rewards?active=false").await;
    assert_eq!(inactive.as_array().map(Vec::len), Some(1));
    let (_, all) = s.get("/v1/rewards").await;
    assert_eq!(all.as_array().map(Vec::len), Some(4));

    let (_, hist) = s
        .get(&format!("/v1/rewards/redeems?user_id={}", id(&u1)))
        .await;
    assert_eq!(hist["meta"]["total_items"], 2);

    let (st, upd) = s
        .put(
            &format!("/v1/rewards/{lid}"),
            reward("Limited", json!({"supply_total": 5, "max_per_user": 1})),
        )
        .await;
    assert_eq!(st, 200, "{upd}");
    assert_eq!(upd["supply"], json!({"available": 3, "total": 5}));
    let (st, _) = s.delete(&format!("/v1/rewards/{lid}")).await;
    assert_eq!(st, 409, "redeemed offers are kept");
    let (st, _) = s.delete(&format!("/v1/rewards/{}", id(&off))).await;
    assert_eq!(st, 204);
    let (st, _) = s.get(&format!("/v1/rewards/{}", id(&off))).await;
    assert_eq!(st, 404);
}
