//! Client tests of MUFI's Products API (`/v1`), written from seed document
//! `000_products_api.txt` and the facts in `EXTERNAL_APIS.md` section 1: request
//! bodies in the documents' shapes, answers checked field by field, over real HTTP
//! against the real `wicket-headoffice serve` binary (keys made with its CLI).

mod seed_common;

use seed_common::*;
use serde_json::{Value, json};

const START: i64 = 1_782_900_000; // 2026-07-01, Unix seconds (MUFI business time)
const END: i64 = START + 6 * 3600;

/// `POST /v1/events/create` with every documented field (§1.8); checks the answer.
async fn create_event(ho: &Ho, reference: &str) -> Value {
    let body = json!({
        "name": "Summer Festival",
        "start_date": START,
        "end_date": END,
        "location": "Main Hall",
        "address": "1 Festival Road, Lisbon",
        "description": "Three stages, one night",
        "reference_id": reference,
    });
    let (st, ev) = ho.post("/v1/events/create", &body).await;
    assert_eq!(st, 201, "create event: {ev}");
    uuid_at(&ev, "id");
    for k in [
        "name",
        "start_date",
        "end_date",
        "location",
        "address",
        "description",
    ] {
        assert_eq!(ev[k], body[k], "event {k}: {ev}");
    }
    assert_eq!(ev["reference_id"], reference, "{ev}");
    assert!(
        ev["start_date"].is_i64(),
        "start_date is Unix seconds: {ev}"
    );
    iso(&ev, "created_at");
    iso(&ev, "updated_at");
    assert_snake_case(&ev);
    ev
}

/// The product body of the docs (seed 000 lines 17-25, §1.3) for `event`.
fn product_body(event: &str) -> Value {
    json!({
        "type": "admission",
        "name": "General Admission",
        "event_id": event,
        "description": "Entry to the main hall",
        "price": "49.99",
        "active": true,
        "is_claimable": false,
        "is_transferable": true,
        "stock": 2,
        "redemption_quantity": 2,
        "max_per_account": 2,
        "min_rep_balance": 0,
        "max_items": 2,
        "mint_nft": false,
    })
}

/// `POST /v1/users/create`: a JSON array, camelCase (§1.9).
async fn create_users(ho: &Ho, emails: &[&str]) {
    let body: Vec<Value> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"email": e, "firstName": "Ana", "lastName": format!("Guest{i}"), "referenceId": format!("crm-{i}-{e}")}))
        .collect();
    let (st, v) = ho.post("/v1/users/create", &Value::Array(body)).await;
    assert_eq!(st, 201, "create users: {v}");
    assert!(!s(&v, "message").is_empty(), "{v}");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

async fn total(ho: &Ho, path: &str) -> u64 {
    let v = ho.get_ok(path).await;
    v["meta"]["total_items"]
        .as_u64()
        .unwrap_or_else(|| panic!("meta.total_items in {v}"))
}

/// Event, product embedding it, issue by email, redeem until fully redeemed.
#[tokio::test]
async fn event_product_issue_and_redeem_as_documented() {
    let ho = Ho::start().await;
    let ev = create_event(&ho, "summer-fest-2026").await;
    let event_id = s(&ev, "id").to_string();
    // The event is found by id and by its reference_id (§1.8 IdOrReferenceId).
    assert_eq!(ho.get_ok(&format!("/v1/events/{event_id}")).await, ev);
    assert_eq!(ho.get_ok("/v1/events/summer-fest-2026").await, ev);

    let body = product_body(&event_id);
    let (st, p) = ho.post("/v1/products", &body).await;
    assert_eq!(st, 201, "create product: {p}");
    let pid = uuid_at(&p, "id");
    for (k, want) in body.as_object().expect("object") {
        assert_eq!(&p[k], want, "product {k}: {p}");
    }
    iso(&p, "created_at");
    iso(&p, "updated_at");
    // The product embeds its event (ProductResponse.event), the event's own fields.
    assert_eq!(p["event"], ev, "embedded event: {p}");
    assert_snake_case(&p);
    assert_eq!(ho.get_ok(&format!("/v1/products/{pid}")).await, p);

    let (a, b) = ("ana@example.com", "bruno@example.com");
    create_users(&ho, &[a, b]).await;
    let issue = json!({"product_id": pid, "emails": [a, b]});
    let (st, v) = ho.post(&format!("/v1/products/{pid}/items"), &issue).await;
    assert_eq!(st, 201, "issue: {v}");
    let items = v["items"].as_array().expect("items array");
    assert_eq!(items.len(), 2, "{v}");
    let mut item_ids = Vec::new();
    for (it, email) in items.iter().zip([a, b]) {
        uuid_at(it, "id");
        iso(it, "created_at");
        iso(it, "updated_at");
        assert_eq!(it["product_id"], pid.as_str(), "{it}");
        assert_eq!(it["redemption_count"], 0, "{it}");
        assert_eq!(it["redemption_quantity"], 2, "{it}");
        assert_eq!(it["is_fully_redeemed"], false, "{it}");
        assert_eq!(it["redeemed_at"], Value::Null, "{it}");
        assert_eq!(it["user"]["email"], email, "{it}");
        uuid_at(&it["user"], "id");
        assert_eq!(it["user"]["first_name"], "Ana", "{it}");
        assert!(it["user"]["last_name"].is_string(), "{it}");
        assert_eq!(
            it["product"],
            json!({"id": pid, "name": "General Admission", "type": "admission", "redemption_quantity": 2}),
            "{it}"
        );
        item_ids.push(it["item_id"].as_u64().expect("item_id is an integer"));
        assert_snake_case(it);
    }
    item_ids.sort_unstable();
    assert_eq!(
        item_ids[1],
        item_ids[0] + 1,
        "sequential item_id: {item_ids:?}"
    );

    // stock 2: a third item is refused and nothing is issued.
    let (st, v) = ho
        .post(
            &format!("/v1/products/{pid}/items"),
            &json!({"product_id": pid, "emails": [a]}),
        )
        .await;
    assert_eq!(st, 400, "issue beyond stock: {v}");
    assert_mufi_errors(&v);
    assert_eq!(total(&ho, &format!("/v1/products/{pid}/items")).await, 2);

    // redemption_quantity 2: two redeems, then fully redeemed and refused.
    let item = s(&items[0], "id").to_string();
    let redeem = json!({"product_item_id": item});
    let path = format!("/v1/products/{pid}/items/redeem");
    let (st, r1) = ho.post(&path, &redeem).await;
    assert_eq!(st, 200, "redeem 1: {r1}");
    assert_eq!(r1["id"], item.as_str(), "{r1}");
    assert_eq!(r1["redemption_count"], 1, "{r1}");
    assert_eq!(r1["is_fully_redeemed"], false, "{r1}");
    let at = r1["redeemed_at"]
        .as_i64()
        .expect("redeemed_at Unix seconds");
    assert!((at - now()).abs() < 300, "redeemed_at {at} is not now");
    let (st, r2) = ho.post(&path, &redeem).await;
    assert_eq!(st, 200, "redeem 2: {r2}");
    assert_eq!(r2["redemption_count"], 2, "{r2}");
    assert_eq!(r2["is_fully_redeemed"], true, "{r2}");
    assert!(r2["redeemed_at"].as_i64().is_some_and(|t| t >= at), "{r2}");
    let (st, v) = ho.post(&path, &redeem).await;
    assert_eq!(st, 400, "redeem a fully redeemed item: {v}");
    assert_mufi_errors(&v);
    let (st, again) = ho.get(&format!("/v1/items/{item}")).await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["redemption_count"], 2, "{again}");
    // The other item was not touched.
    let other = ho
        .get_ok(&format!("/v1/items/{}", s(&items[1], "id")))
        .await;
    assert_eq!(other["redemption_count"], 0, "{other}");
}

/// The older documentation revision's paths (§1.2 legacy column).
#[tokio::test]
async fn legacy_paths_create_issue_and_redeem() {
    let ho = Ho::start().await;
    let ev = create_event(&ho, "legacy-night").await;
    let mut body = product_body(s(&ev, "id"));
    body["type"] = json!("perks");
    body["name"] = json!("Drink voucher");
    let (st, p) = ho.post("/v1/products/create", &body).await;
    assert_eq!(st, 201, "legacy create: {p}");
    let pid = uuid_at(&p, "id");
    assert_eq!(p["type"], "perks", "{p}");
    assert_eq!(p["price"], "49.99", "{p}");
    assert_eq!(p["event"], ev, "{p}");
    assert_eq!(ho.get_ok(&format!("/v1/products/{pid}")).await, p);

    create_users(&ho, &["carla@example.com"]).await;
    let (st, u) = ho
        .post("/v1/users/profile", &json!({"email": "carla@example.com"}))
        .await;
    assert_eq!(st, 200, "{u}");
    let user = uuid_at(&u, "id");
    // Legacy issue: `{product_id, users: uuid[]}`.
    let (st, v) = ho
        .post(
            "/v1/products/items/create",
            &json!({"product_id": pid, "users": [user]}),
        )
        .await;
    assert_eq!(st, 201, "legacy issue: {v}");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{v}");
    let it = &items[0];
    let item = uuid_at(it, "id");
    assert_eq!(it["product_id"], pid.as_str(), "{it}");
    assert_eq!(it["user"]["id"], user.as_str(), "{it}");
    assert_eq!(it["redeemed_at"], Value::Null, "{it}");
    assert!(it["item_id"].is_u64(), "{it}");

    // Legacy redeem: only the item in the body.
    let (st, r) = ho
        .post(
            "/v1/products/items/redeem",
            &json!({"product_item_id": item}),
        )
        .await;
    assert_eq!(st, 200, "legacy redeem: {r}");
    assert_eq!(r["id"], item.as_str(), "{r}");
    assert_eq!(r["redemption_count"], 1, "{r}");
    assert!(r["redeemed_at"].is_i64(), "{r}");
    let stored = ho.get_ok(&format!("/v1/items/{item}")).await;
    assert_eq!(stored["redemption_count"], 1, "{stored}");
}

/// `PUT /v1/events/update` answers 201 "Created." with the event (§1.8); by id or
/// by reference_id; the product's embedded event follows.
#[tokio::test]
async fn events_update_answers_201_with_the_event() {
    let ho = Ho::start().await;
    let ev = create_event(&ho, "autumn-gala").await;
    let id = s(&ev, "id").to_string();
    let (st, p) = ho.post("/v1/products", &product_body(&id)).await;
    assert_eq!(st, 201, "{p}");

    let change = json!({"id": id, "name": "Autumn Gala (moved)", "start_date": START + 86_400, "end_date": END + 86_400});
    let (st, up) = ho.put("/v1/events/update", &change).await;
    assert_eq!(st, 201, "events/update: {up}");
    assert_eq!(up["id"], id.as_str(), "{up}");
    assert_eq!(up["name"], "Autumn Gala (moved)", "{up}");
    assert_eq!(up["start_date"], START + 86_400, "{up}");
    assert_eq!(up["end_date"], END + 86_400, "{up}");
    // Fields not sent are unchanged.
    let same = [
        "location",
        "address",
        "description",
        "reference_id",
        "created_at",
    ];
    for k in same {
        assert_eq!(up[k], ev[k], "{k} changed: {up}");
    }
    assert!(iso(&up, "updated_at") >= iso(&ev, "updated_at"), "{up}");
    assert_eq!(ho.get_ok(&format!("/v1/events/{id}")).await, up);

    // By reference_id alone.
    let (st, up2) = ho
        .put(
            "/v1/events/update",
            &json!({"reference_id": "autumn-gala", "location": "Annex"}),
        )
        .await;
    assert_eq!(st, 201, "{up2}");
    assert_eq!(up2["id"], id.as_str(), "{up2}");
    assert_eq!(up2["location"], "Annex", "{up2}");
    assert_eq!(up2["name"], "Autumn Gala (moved)", "{up2}");

    let p2 = ho.get_ok(&format!("/v1/products/{}", s(&p, "id"))).await;
    assert_eq!(p2["event"], up2, "embedded event after the update: {p2}");
}

/// Invalid bodies answer 400 `{"errors": [...]}` (§1.1 error model) and change
/// nothing.
#[tokio::test]
async fn invalid_bodies_answer_400_errors_and_change_nothing() {
    let ho = Ho::start().await;
    let ev = create_event(&ho, "spring").await;
    let eid = s(&ev, "id").to_string();
    let (st, p) = ho.post("/v1/products", &product_body(&eid)).await;
    assert_eq!(st, 201, "{p}");
    let pid = s(&p, "id").to_string();
    create_users(&ho, &["dina@example.com"]).await;
    let products_before = total(&ho, "/v1/products").await;
    let events_before = total(&ho, "/v1/events").await;

    let mut bogus_type = product_body(&eid);
    bogus_type["type"] = json!("bogus");
    let mut no_name = product_body(&eid);
    no_name.as_object_mut().expect("object").remove("name");
    let mut bad_price = product_body(&eid);
    bad_price["price"] = json!("49,99");
    let mut unknown_field = product_body(&eid);
    unknown_field["colour"] = json!("red");
    for (what, body) in [
        ("type bogus", bogus_type),
        ("no name", no_name),
        ("price 49,99", bad_price),
        ("unknown field", unknown_field),
    ] {
        let (st, v) = ho.post("/v1/products", &body).await;
        assert_eq!(st, 400, "{what}: {v}");
        assert_mufi_errors(&v);
    }
    assert_eq!(total(&ho, "/v1/products").await, products_before);

    // An event without location/address (required in the current revision).
    let (st, v) = ho
        .post(
            "/v1/events/create",
            &json!({"name": "No venue", "start_date": START, "end_date": END}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_mufi_errors(&v);
    let (st, v) = ho
        .post("/v1/events/create", &json!({"name": "Backwards", "start_date": END, "end_date": START, "location": "Hall", "address": "Street 1"}))
        .await;
    assert_eq!(st, 400, "end before start: {v}");
    assert_mufi_errors(&v);
    assert_eq!(total(&ho, "/v1/events").await, events_before);

    // An update with a bad date leaves the event as it was.
    let (st, v) = ho
        .put(
            "/v1/events/update",
            &json!({"id": eid, "name": "Renamed", "start_date": -5}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_mufi_errors(&v);
    assert_eq!(ho.get_ok(&format!("/v1/events/{eid}")).await, ev);

    // Issue: no recipients, an unknown email, a product id that contradicts the path.
    let items = format!("/v1/products/{pid}/items");
    let other = uuid::Uuid::new_v4().to_string();
    for (what, body) in [
        ("no recipients", json!({"product_id": pid})),
        (
            "unknown email",
            json!({"product_id": pid, "emails": ["nobody@example.com"]}),
        ),
        (
            "invalid email",
            json!({"product_id": pid, "emails": ["not-an-email"]}),
        ),
        (
            "other product_id",
            json!({"product_id": other, "emails": ["dina@example.com"]}),
        ),
    ] {
        let (st, v) = ho.post(&items, &body).await;
        assert_eq!(st, 400, "issue with {what}: {v}");
        assert_mufi_errors(&v);
    }
    assert_eq!(total(&ho, &items).await, 0);

    // Redeem: no item, an item that does not exist (404 not_found).
    let redeem = format!("/v1/products/{pid}/items/redeem");
    let (st, v) = ho.post(&redeem, &json!({})).await;
    assert_eq!(st, 400, "{v}");
    assert_mufi_errors(&v);
    let (st, v) = ho.post(&redeem, &json!({"product_item_id": other})).await;
    assert_eq!(st, 404, "{v}");

    // Users: one bad entry refuses the batch.
    let (st, v) = ho.post("/v1/users/fetch", &json!({"limit": 10})).await;
    assert_eq!(st, 200, "{v}");
    let users_before = v["total"].as_u64().expect("total");
    let (st, v) = ho
        .post(
            "/v1/users/create",
            &json!([{"email": "eva@example.com"}, {"email": "broken"}]),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_mufi_errors(&v);
    let (_, v) = ho.post("/v1/users/fetch", &json!({"limit": 10})).await;
    assert_eq!(v["total"].as_u64(), Some(users_before), "{v}");
    assert_eq!(ho.get_ok(&format!("/v1/products/{pid}")).await, p);
}

/// A list parameter the server does not read is refused with 400, never ignored.
#[tokio::test]
async fn unknown_list_parameters_are_refused() {
    let ho = Ho::start().await;
    for path in [
        "/v1/products?sortBy=name",
        "/v1/products?foo=1",
        "/v1/products?page=1&limit=10&foo=1",
        "/v1/events?foo=1",
    ] {
        let (st, v) = ho.get(path).await;
        assert_eq!(st, 400, "{path}: {v}");
        assert_mufi_errors(&v);
    }
    // The documented ones (page + limit) are read.
    let v = ho.get_ok("/v1/products?page=1&limit=10").await;
    assert_eq!(v["meta"]["current_page"], 1, "{v}");
    assert_eq!(v["meta"]["items_per_page"], 10, "{v}");
    assert!(v["items"].is_array(), "{v}");
    let v = ho.get_ok("/v1/events?page=1&limit=5").await;
    assert_eq!(v["meta"]["items_per_page"], 5, "{v}");
}

// ------------------------------------------------------------------ doc deviations
// One documented fact each, kept apart so a deviation fails only its own test.

/// §1.8: the Event object carries `project_id` (uuid), also when embedded.
#[tokio::test]
async fn event_object_carries_project_id() {
    let ho = Ho::start().await;
    let ev = create_event(&ho, "proj").await;
    uuid_at(&ev, "project_id");
    let (st, p) = ho.post("/v1/products", &product_body(s(&ev, "id"))).await;
    assert_eq!(st, 201, "{p}");
    uuid_at(&p["event"], "project_id");
}

/// §1.4: the legacy item shape has `user_id` at the top level.
#[tokio::test]
async fn legacy_issue_items_carry_user_id() {
    let ho = Ho::start().await;
    let ev = create_event(&ho, "legacy-user").await;
    let (st, p) = ho
        .post("/v1/products/create", &product_body(s(&ev, "id")))
        .await;
    assert_eq!(st, 201, "{p}");
    create_users(&ho, &["fabio@example.com"]).await;
    let (_, u) = ho
        .post("/v1/users/profile", &json!({"email": "fabio@example.com"}))
        .await;
    let user = uuid_at(&u, "id");
    let (st, v) = ho
        .post(
            "/v1/products/items/create",
            &json!({"product_id": s(&p, "id"), "users": [user]}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["items"][0]["user_id"], user.as_str(), "{v}");
}

/// §1.3: the legacy revision's one product type, `redeemable_item`, on the legacy
/// create path.
#[tokio::test]
async fn legacy_create_accepts_type_redeemable_item() {
    let ho = Ho::start().await;
    let (st, p) = ho
        .post(
            "/v1/products/create",
            &json!({"type": "redeemable_item", "name": "Old style voucher"}),
        )
        .await;
    assert_eq!(st, 201, "{p}");
}
