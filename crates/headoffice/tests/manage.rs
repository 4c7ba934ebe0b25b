//! Management from an enrolled device: staff sign in at head office with their PIN
//! and act through the API with the device credential and a staff token; head
//! office holds every request to the member's current role.

mod common;

use serde_json::{Value, json};

use common::Server;

/// A request as a device sends it for a signed-in staff member.
async fn as_staff(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    cred: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = s
        .client
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(cred)
        .header(wicket_protocol::STAFF_TOKEN_HEADER, token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("request");
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn enroll(s: &Server, name: &str) -> String {
    let (st, code) = s.post("/v1/devices/enrollment-codes", json!({})).await;
    assert_eq!(st, 200, "{code}");
    let pk = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])
            .verifying_key()
            .to_bytes(),
    );
    let (st, v) = s
        .send(
            reqwest::Method::POST,
            "/v1/devices/enroll",
            None,
            Some(json!({"code": code["code"], "name": name, "public_key": pk})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v["credential"].as_str().expect("credential").to_string()
}

async fn staff(s: &Server, name: &str, role: &str, pin: &str) -> String {
    let (st, v) = s
        .post("/v1/staff", json!({"name": name, "role": role, "pin": pin}))
        .await;
    assert_eq!(st, 200, "{v}");
    v["id"].as_str().expect("staff id").to_string()
}

async fn sign_in(s: &Server, cred: &str, staff: &str, pin: &str) -> (u16, Value) {
    s.send(
        reqwest::Method::POST,
        "/v1/sync/staff-token",
        Some(cred),
        Some(json!({"staff_id": staff, "pin": pin})),
    )
    .await
}

async fn token(s: &Server, cred: &str, staff: &str, pin: &str) -> String {
    let (st, v) = sign_in(s, cred, staff, pin).await;
    assert_eq!(st, 200, "{v}");
    v["token"].as_str().expect("token").to_string()
}

fn event() -> Value {
    json!({"name": "Opening Night", "start_date": 1_900_000_000i64, "end_date": 1_900_014_400i64,
           "location": "Arena", "address": "1 Quay St"})
}

#[tokio::test]
async fn head_office_holds_each_staff_request_to_the_members_role() {
    let s = common::start().await;
    let cred = enroll(&s, "office laptop").await;
    let door = staff(&s, "Dee Door", "door", "1234").await;
    let manager = staff(&s, "Max Manager", "manager", "123456").await;
    let admin = staff(&s, "Ada Admin", "admin", "654321").await;
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // Door staff: signed in, but no management route opens to them.
    let t = token(&s, &cred, &door, "1234").await;
    let (st, v) = as_staff(&s, get.clone(), "/v1/events", &cred, &t, None).await;
    assert_eq!(st, 403, "{v}");
    assert!(v.to_string().contains("forbidden"), "{v}");
    let (st, _) = as_staff(
        &s,
        post.clone(),
        "/v1/events/create",
        &cred,
        &t,
        Some(event()),
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = as_staff(&s, get.clone(), "/v1/staff", &cred, &t, None).await;
    assert_eq!(st, 403);

    // A manager sets the venue up, but does not run staff.
    let t = token(&s, &cred, &manager, "123456").await;
    let (st, ev) = as_staff(
        &s,
        post.clone(),
        "/v1/events/create",
        &cred,
        &t,
        Some(event()),
    )
    .await;
    assert_eq!(st, 201, "{ev}");
    let (st, list) = s.get("/v1/events").await;
    assert_eq!(st, 200);
    assert!(list.to_string().contains("Opening Night"), "{list}");
    let (st, _) = as_staff(
        &s,
        post.clone(),
        "/v1/staff",
        &cred,
        &t,
        Some(json!({"name": "New", "role": "door", "pin": "4321"})),
    )
    .await;
    assert_eq!(st, 403, "a manager may not add staff");

    // An admin adds a member, who then signs in with the new PIN.
    let t = token(&s, &cred, &admin, "654321").await;
    let (st, v) = as_staff(
        &s,
        post.clone(),
        "/v1/staff",
        &cred,
        &t,
        Some(json!({"name": "Bea Box", "role": "box_office", "pin": "2468"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let bea = v["id"].as_str().expect("id").to_string();
    let (st, v) = sign_in(&s, &cred, &bea, "2468").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["role"], "box_office");

    // The admin resets Bea's PIN and deactivates the manager: old PIN and old
    // token stop working at once.
    let manager_token = token(&s, &cred, &manager, "123456").await;
    let (st, v) = as_staff(
        &s,
        reqwest::Method::PATCH,
        &format!("/v1/staff/{bea}"),
        &cred,
        &t,
        Some(json!({"pin": "8642"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(sign_in(&s, &cred, &bea, "2468").await.0, 401);
    assert_eq!(sign_in(&s, &cred, &bea, "8642").await.0, 200);
    let (st, v) = as_staff(
        &s,
        reqwest::Method::PATCH,
        &format!("/v1/staff/{manager}"),
        &cred,
        &t,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["active"], false);
    let (st, _) = as_staff(&s, get.clone(), "/v1/events", &cred, &manager_token, None).await;
    assert_eq!(st, 401, "a deactivated member's token still worked");
    assert_eq!(sign_in(&s, &cred, &manager, "123456").await.0, 401);

    // An admin may not lock themself out.
    let (st, _) = as_staff(
        &s,
        reqwest::Method::PATCH,
        &format!("/v1/staff/{admin}"),
        &cred,
        &t,
        Some(json!({"role": "door"})),
    )
    .await;
    assert_eq!(st, 403);
    let (st, list) = as_staff(&s, get, "/v1/staff", &cred, &t, None).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(4), "{list}");
}

#[tokio::test]
async fn tokens_belong_to_their_device_and_wrong_pins_lock_out() {
    let s = common::start().await;
    let a = enroll(&s, "north").await;
    let b = enroll(&s, "south").await;
    let manager = staff(&s, "Max Manager", "manager", "123456").await;
    let t = token(&s, &a, &manager, "123456").await;
    let get = reqwest::Method::GET;
    assert_eq!(
        as_staff(&s, get.clone(), "/v1/events", &a, &t, None)
            .await
            .0,
        200
    );
    // The same token with another device's credential, or with no device, fails.
    assert_eq!(
        as_staff(&s, get.clone(), "/v1/events", &b, &t, None)
            .await
            .0,
        401
    );
    assert_eq!(
        as_staff(&s, get.clone(), "/v1/events", &s.write, &t, None)
            .await
            .0,
        401
    );
    assert_eq!(
        as_staff(&s, get.clone(), "/v1/events", &a, "stt_forged", None)
            .await
            .0,
        401
    );

    // Unknown members answer like a wrong PIN.
    let (st, v) = sign_in(&s, &a, &uuid::Uuid::now_v7().to_string(), "123456").await;
    assert_eq!(st, 401, "{v}");
    assert!(v.to_string().contains("bad_pin"), "{v}");
    for _ in 0..4 {
        assert_eq!(sign_in(&s, &a, &manager, "000000").await.0, 401);
    }
    let (st, v) = sign_in(&s, &a, &manager, "000000").await;
    assert_eq!(st, 429, "the fifth wrong PIN locks: {v}");
    assert!(v.to_string().contains("pin_locked"), "{v}");
    // Locked: even the right PIN waits.
    assert_eq!(sign_in(&s, &a, &manager, "123456").await.0, 429);
}
