//! A reward offer made through the PERS API (`POST /redemptions`, then its token
//! unit) reaches a box office laptop through the pull and is redeemed at its
//! counter; the redeem syncs back and PERS's supply shows it.

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_domain::RecipientRef;
use wicket_tests::{lock, start_ho};

async fn pers(
    ho: &wicket_tests::Ho,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    ho.send(method, path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pers_redemption_is_redeemable_at_the_desktop_counter() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let drink = ho
        .product(json!({"type": "perks", "name": "Drink voucher", "price": "5.00", "stock": 100}))
        .await;
    let user = ho.users("fan", 1).await[0];
    let (s, v) = ho
        .post(
            &format!("/v1/users/{user}/balances/adjust"),
            json!({"kind": "credits", "delta": 300, "reason": "welcome"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = ho
        .post(
            "/v1/staff",
            json!({"name": "Cass", "role": "manager", "pin": "246813"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // The PERS document's create body: no token unit yet, so nothing to redeem.
    let (s, offer) = pers(
        &ho,
        reqwest::Method::POST,
        "/redemptions",
        Some(json!({
            "creditTokenAmount": 120, "description": "One drink at the bar", "name": "Free drink",
            "imageUrl": "https://venue.example/drink.png", "redemptionTypeId": null,
            "minUserStatusTypeId": null, "maxTotalSupply": 10, "order": 1, "maxPerUser": 2,
            "countryCodeRestrictions": ["NOT_ES"]
        })),
    )
    .await;
    assert_eq!(s, 201, "{offer}");
    let offer_id = Uuid::parse_str(offer["id"].as_str().expect("id")).expect("uuid");
    assert_eq!(offer["tokenUnits"], json!([]));
    let (s, v) = pers(
        &ho,
        reqwest::Method::POST,
        &format!("/redemptions/{offer_id}/tokens"),
        Some(json!({"tokenId": drink, "amount": 1})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["tokenUnits"][0]["token"]["id"], drink.to_string());

    let (r, e) = ho.device(dir.path(), "bar-till").await;
    e.sync_once(|_, _| {}).await.expect("pull the offer");
    e.reserve(drink, 5, None).await.expect("allotment");
    let items = {
        let mut r = lock(&r);
        let staff = r.sign_in("246813").expect("staff pulled");
        r.set_staff(Some(staff.id));
        let who = RecipientRef::User(user);
        let before = r.customer(&who).expect("customer").credits;
        let (after, items) = r
            .redeem_reward(offer_id, &who)
            .expect("redeem at the counter");
        assert_eq!(after.credits, before - 120);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].product_id, drink);
        items
    };
    let (push, _) = e.sync_once(|_, _| {}).await.expect("push the redeem");
    assert_eq!(push.rejected, 0, "{push:?}");

    // Head office counts the redeem once: PERS supply, credits, the issued item.
    let (s, supply) = pers(
        &ho,
        reqwest::Method::GET,
        &format!("/redemptions/{offer_id}/supply"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{supply}");
    assert_eq!(supply, json!({"available": 9, "total": 10}));
    let (s, bal) = ho
        .send(
            reqwest::Method::GET,
            &format!("/v1/users/{user}/balances"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{bal}");
    assert_eq!(bal["credits"], 180, "{bal}");
    let (s, item) = ho
        .send(
            reqwest::Method::GET,
            &format!("/v1/items/{}", items[0].id),
            None,
        )
        .await;
    assert_eq!(s, 200, "{item}");
    assert_eq!(item["product_id"], drink.to_string());
}
