//! Hostile input against the HTTP API (issue 17, findings 2-6): each answer is a
//! clear 4xx with the JSON error body, never a 5xx, and changes nothing.

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use common::{codes, id, start, start_at};

fn code_of(v: &Value) -> String {
    codes(v).first().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_event_dates_are_refused_when_set_not_at_ticket_time() {
    let s = start().await;
    // Ends in 2200: no ticket can carry that window; refused when the date is set.
    let (st, v) = s
        .post(
            "/v1/events/create",
            json!({"name": "Far Future", "start_date": 7_258_000_000i64, "end_date": 7_258_118_400i64,
                   "location": "Hall", "address": "1 Road"}),
        )
        .await;
    assert_eq!(
        (st, code_of(&v).as_str()),
        (400, "invalid_ticket_window"),
        "{v}"
    );
    let (st, v) = s
        .post(
            "/v1/events/create",
            json!({"name": "Overflow", "start_date": i64::MAX - 1, "end_date": i64::MAX,
                   "location": "Hall", "address": "1 Road"}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    // Legal but extreme: the first seconds of 1970. Tickets still sign.
    let (st, ev) = s
        .post(
            "/v1/events/create",
            json!({"name": "Epoch", "start_date": 4, "end_date": 10, "location": "Hall", "address": "1 Road"}),
        )
        .await;
    assert_eq!(st, 201, "{ev}");
    let p = s
        .product(json!({"type": "admission", "name": "Epoch pass", "price": "5.00", "event_id": id(&ev)}))
        .await;
    let u = s.users("ep", 1).await;
    let (st, items) = s
        .post(
            &format!("/v1/products/{}/items", id(&p)),
            json!({"users": [id(&u[0])]}),
        )
        .await;
    assert_eq!(st, 201, "{items}");
    let item = items
        .as_array()
        .or_else(|| items["items"].as_array())
        .and_then(|a| a.first())
        .map(id)
        .expect("item");
    let (st, t) = s
        .get(&format!("/v1/products/{}/items/{item}/ticket", id(&p)))
        .await;
    assert_eq!(st, 200, "{t}");
    // Updating the event to an impossible end is refused, and the event keeps its dates.
    let (st, v) = s
        .put(
            "/v1/events/update",
            json!({"id": id(&ev), "end_date": i64::MAX}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let (_, again) = s.get(&format!("/v1/events/{}", id(&ev))).await;
    assert_eq!(again["end_date"], 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_keeps_its_minor_unit_and_names_refuse_control_characters() {
    let s = start().await;
    for (price, currency) in [("0.001", "EUR"), ("100.5", "JPY"), ("1.0001", "KWD")] {
        let (st, v) = s
            .post(
                "/v1/products",
                json!({"type": "admission", "name": "Gig", "price": price, "currency": currency}),
            )
            .await;
        assert_eq!(
            (st, code_of(&v).as_str()),
            (400, "invalid_price"),
            "{price} {currency}: {v}"
        );
    }
    let (st, v) = s
        .post(
            "/v1/products",
            json!({"type": "admission", "name": "Gig", "price": "1500", "currency": "JPY"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    for name in ["Gig\u{0}", "\u{1b}[2JGig", "Bell\u{7}"] {
        let (st, v) = s
            .post("/v1/products", json!({"type": "admission", "name": name}))
            .await;
        assert_eq!(st, 400, "{name:?}: {v}");
        let (st, v) = s
            .post(
                "/v1/users/create",
                json!([{"email": "ctl@example.com", "firstName": name}]),
            )
            .await;
        assert_eq!(st, 400, "{name:?}: {v}");
        let (st, v) = s
            .post(
                "/v1/events/create",
                json!({"name": name, "start_date": 2_000_000_000i64, "end_date": 2_000_003_600i64,
                       "location": "Hall", "address": "1 Road"}),
            )
            .await;
        assert_eq!(st, 400, "{name:?}: {v}");
    }
    let (_, list) = s.get("/v1/products?limit=100").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_oversized_and_non_json_bodies_get_the_json_error() {
    let s = start().await;
    let p = s
        .product(json!({"type": "admission", "name": "Gig", "price": "5.00"}))
        .await;
    let pid = id(&p);
    let u = s.users("uf", 1).await;
    let uid = id(&u[0]);
    let bodies = [
        (
            Method::POST,
            format!("/v1/products/{pid}/items/redeem"),
            json!({"product_item_id": Uuid::now_v7(), "extra": 1}),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/balances/adjust"),
            json!({"kind": "credits", "delta": 1, "reason": "x", "extra": 1}),
        ),
        (
            Method::POST,
            "/v1/status-tiers".to_string(),
            json!({"name": "Gold", "min_token_balance": 1, "discount_percentage": "5", "extra": 1}),
        ),
        (
            Method::POST,
            format!("/v1/products/{pid}/claim-codes"),
            json!({"count": 1, "extra": 1}),
        ),
        (
            Method::POST,
            format!("/v1/products/{pid}/order-rules"),
            json!({"purchase_limit": 2, "extra": 1}),
        ),
        (
            Method::POST,
            "/v1/users/fetch".to_string(),
            json!({"limit": 1, "extra": 1}),
        ),
    ];
    for (m, path, body) in bodies {
        let (st, v) = s.send(m, &path, Some(&s.write), Some(body)).await;
        assert_eq!(st, 400, "{path}: {v}");
        assert!(code_of(&v).starts_with("invalid_request"), "{path}: {v}");
    }
    // Nothing was adjusted, made or ruled.
    let (_, bal) = s.get(&format!("/v1/users/{uid}/balances")).await;
    assert_eq!(bal["credits"], 0, "{bal}");

    // Over the body limit: 413 with the JSON error body. Sent by hand, headers only:
    // the server answers from the declared length and closes, which a client still
    // writing the body would see as a broken pipe.
    let (status, v) = oversized(&s.base, &s.write).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(code_of(&v), "payload_too_large", "{v}");
    // Not JSON: 415 with the JSON error body.
    let resp = s
        .client
        .post(format!("{}/v1/products", s.base))
        .bearer_auth(&s.write)
        .header("content-type", "text/plain")
        .body("type=admission")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 415);
    let v: Value = resp.json().await.expect("a JSON error body");
    assert_eq!(code_of(&v), "unsupported_media_type", "{v}");
}

/// POST a 3 MB JSON body's headers and read the answer: (status, JSON body).
async fn oversized(base: &str, key: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /v1/users/create HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: 3000000\r\nConnection: close\r\n\r\n["
    );
    tcp.write_all(head.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = tcp.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_admin_routes_check_the_credential_before_the_body() {
    let s = start().await;
    for (m, path) in [
        (Method::POST, "/v1/sync/push"),
        (Method::POST, "/v1/sync/allotments"),
        (Method::POST, "/v1/devices/enrollment-codes"),
        (Method::POST, "/v1/staff"),
    ] {
        let resp = s
            .client
            .request(m.clone(), format!("{}{path}", s.base))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        let v: Value = resp.json().await.expect("json");
        assert_eq!(code_of(&v), "unauthorized", "{path}: {v}");
    }
}

async fn enroll(s: &common::Server, code: &str, device: Uuid) -> (u16, Value) {
    let pk = hex::encode([7u8; 32]);
    s.send(
        Method::POST,
        "/v1/devices/enroll",
        None,
        Some(json!({"code": code, "name": "Door", "public_key": pk, "device_id": device})),
    )
    .await
}

async fn new_code(s: &common::Server, body: Value) -> String {
    let (st, v) = s.post("/v1/devices/enrollment-codes", body).await;
    assert_eq!(st, 200, "{v}");
    v["code"].as_str().expect("code").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_device_id_cannot_be_taken_over_and_can_be_revoked() {
    let s = start().await;
    let dev = Uuid::now_v7();
    let (st, first) = enroll(&s, &new_code(&s, json!({})).await, dev).await;
    assert_eq!(st, 200, "{first}");
    let cred = first["credential"]
        .as_str()
        .expect("credential")
        .to_string();
    let pull = |c: String| {
        let s = &s;
        async move {
            s.send(Method::GET, "/v1/sync/pull?limit=1", Some(&c), None)
                .await
                .0
        }
    };
    assert_eq!(pull(cred.clone()).await, 200);
    // Any other code: refused, and the device keeps its credential.
    let (st, v) = enroll(&s, &new_code(&s, json!({})).await, dev).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(pull(cred.clone()).await, 200);
    // A code an admin made for this device re-enrolls it; the old credential dies.
    let code = new_code(&s, json!({"device_id": dev})).await;
    let (st, again) = enroll(&s, &code, dev).await;
    assert_eq!(st, 200, "{again}");
    let cred2 = again["credential"]
        .as_str()
        .expect("credential")
        .to_string();
    assert_eq!(pull(cred.clone()).await, 401);
    assert_eq!(pull(cred2.clone()).await, 200);
    // Such a code is for that device only.
    let code = new_code(&s, json!({"device_id": dev})).await;
    let (st, _) = enroll(&s, &code, Uuid::now_v7()).await;
    assert_eq!(st, 409);
    // A code for a device that does not exist: 404.
    let (st, _) = s
        .post(
            "/v1/devices/enrollment-codes",
            json!({"device_id": Uuid::now_v7()}),
        )
        .await;
    assert_eq!(st, 404);

    // Revoked: push and pull 401 at once; the audit log says who and when.
    let (st, v) = s
        .send(
            Method::POST,
            &format!("/v1/devices/{dev}/revoke"),
            Some(&s.read),
            None,
        )
        .await;
    assert_eq!(st, 403, "{v}");
    let (st, v) = s
        .post(&format!("/v1/devices/{dev}/revoke"), json!(null))
        .await;
    assert_eq!(st, 204, "{v}");
    assert_eq!(pull(cred2.clone()).await, 401);
    let (st, _) = s
        .send(
            Method::POST,
            "/v1/sync/push",
            Some(&cred2),
            Some(json!({"ops": []})),
        )
        .await;
    assert_eq!(st, 401);
    let (st, log) = s.get("/v1/audit").await;
    assert_eq!(st, 200, "{log}");
    let entry = &log.as_array().expect("entries")[0];
    assert_eq!(entry["action"], "device_revoke");
    assert_eq!(entry["subject"], dev.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_key_gets_no_tickets_or_emails_and_claim_links_ignore_the_host_header() {
    let s = start_at(Some("https://tickets.example.org")).await;
    let p = s
        .product(json!({"type": "admission", "name": "Gig", "price": "5.00", "is_claimable": true}))
        .await;
    let pid = id(&p);
    let u = s.users("reader", 1).await;
    let (_, items) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [id(&u[0])]}),
        )
        .await;
    let item = items
        .as_array()
        .or_else(|| items["items"].as_array())
        .and_then(|a| a.first())
        .map(id)
        .expect("item");
    let ticket = format!("/v1/products/{pid}/items/{item}/ticket");
    let (st, _) = s.send(Method::GET, &ticket, Some(&s.read), None).await;
    assert_eq!(st, 403);
    let (st, _) = s.send(Method::GET, &ticket, Some(&s.write), None).await;
    assert_eq!(st, 200);

    // Emails: masked for a read key, whole for a write key, wherever they appear.
    let (st, page) = s
        .send(
            Method::POST,
            "/v1/users/fetch",
            Some(&s.read),
            Some(json!({"limit": 10})),
        )
        .await;
    assert_eq!(st, 200, "{page}");
    let text = page.to_string();
    assert!(!text.contains("reader-0@example.com"), "{text}");
    assert!(text.contains("r***@example.com"), "{text}");
    let (_, items) = s
        .send(
            Method::GET,
            &format!("/v1/products/{pid}/items"),
            Some(&s.read),
            None,
        )
        .await;
    assert!(!items.to_string().contains("reader-0@"), "{items}");
    let (_, page) = s.post("/v1/users/fetch", json!({"limit": 10})).await;
    assert!(page.to_string().contains("reader-0@example.com"));

    // Claim links: the configured public URL, whatever Host the client sent.
    let resp = s
        .client
        .post(format!("{}/v1/products/{pid}/claim-codes", s.base))
        .bearer_auth(&s.write)
        .header("host", "evil.example")
        .json(&json!({"count": 1}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 201);
    let v: Value = resp.json().await.expect("json");
    let url = v["codes"][0]["url"].as_str().expect("url");
    assert!(
        url.starts_with("https://tickets.example.org/claim/"),
        "{url}"
    );
}

/// A list parameter the server does not read is refused, never silently ignored:
/// on a MUFI list, on a route that reads no parameters, and on the W3Block and PERS
/// lists (which answer in their NestJS error body).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_query_parameters_are_refused() {
    let s = start().await;
    for path in [
        "/v1/products?sortBy=name",
        "/v1/products?page=1&colour=red",
        "/v1/status-tiers?page=2",
        "/v1/events?limit=5&offset=10",
        "/v1/rewards?active=true&tier=1",
        "/v1/sales?currency=EUR",
    ] {
        let (st, v) = s.get(path).await;
        assert_eq!(
            (st, code_of(&v).as_str()),
            (400, "invalid_request"),
            "{path}: {v}"
        );
    }
    // The documented parameters still work.
    let (st, v) = s
        .get("/v1/products?page=1&limit=5&sort=-name&orderBy=DESC")
        .await;
    assert_eq!(st, 200, "{v}");
    let company = wicket_headoffice::DEFAULT_COMPANY;
    let (st, v) = s
        .get(&format!(
            "/admin/companies/{company}/products?limit=5&sortBy=name&tagIds[]={}&foo=1",
            Uuid::nil()
        ))
        .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["statusCode"], 400, "{v}");
    assert_eq!(v["code"], "invalid_request", "{v}");
    let (st, v) = s
        .get(&format!(
            "/admin/companies/{company}/products?limit=5&sortBy=name&tagIds[]={}",
            Uuid::nil()
        ))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["meta"]["totalItems"], 0, "{v}");
    let (st, v) = s.get("/redemptions?active=true&mine=1").await;
    assert_eq!((st, v["statusCode"].as_i64()), (400, Some(400)), "{v}");
}
