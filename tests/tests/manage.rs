//! Management from a device: `wicket manage` signs the --staff member in at head
//! office with their PIN and makes a head office API request as them; what a
//! manager sets up reaches another device through its pull, and a door-role member
//! is refused.

use serde_json::json;
use wicket_tests::{lock, start_ho, wicket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sets_up_an_event_from_a_device_and_another_device_pulls_it() {
    let ho = start_ho().await;
    for (name, role, pin) in [
        ("Mina Manager", "manager", "333333"),
        ("Dana Door", "door", "1111"),
    ] {
        let (st, v) = ho
            .post("/v1/staff", json!({"name": name, "role": role, "pin": pin}))
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let office_db = dir.path().join("office.db");
    {
        let (_r, engine) = ho.device(dir.path(), "office").await;
        engine.pull(|_, _| {}).await.expect("pull staff");
    }

    let body = r#"{"name":"Harbour Gala","start_date":1900000000,"end_date":1900014400,"location":"Pier 4","address":"4 Quay St"}"#;
    let out = wicket(
        &office_db,
        &[
            "--staff",
            "Mina Manager",
            "manage",
            "--pin",
            "333333",
            "POST",
            "/v1/events/create",
            "--data",
            body,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON answer");
    assert_eq!(made["name"], "Harbour Gala", "{made}");

    // A wrong PIN is refused by head office; a door member is refused at once.
    let out = wicket(
        &office_db,
        &[
            "--staff",
            "Mina Manager",
            "manage",
            "--pin",
            "999999",
            "GET",
            "/v1/events",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad_pin"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = wicket(
        &office_db,
        &[
            "--staff",
            "Dana Door",
            "manage",
            "--pin",
            "1111",
            "POST",
            "/v1/events/create",
            "--data",
            body,
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("forbidden"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM events WHERE name = 'Harbour Gala'"),
        1,
        "only the manager's request made an event"
    );

    let (second, engine) = ho.device(dir.path(), "door").await;
    engine.pull(|_, _| {}).await.expect("pull");
    let events = lock(&second).events().expect("events");
    assert!(
        events.iter().any(|e| e.name == "Harbour Gala"),
        "the other device never received the event"
    );
}

/// Each device's pull reports its waiting uploads and app version; an admin
/// renames a device and an empty name is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_report_their_backlog_and_an_admin_renames_one() {
    let ho = start_ho().await;
    let product = ho
        .product(json!({"type": "admission", "name": "Gate", "price": "10.00", "currency": "EUR"}))
        .await;
    let users = ho.users("backlog", 1).await;
    let items = ho.issue(product, &users).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (r, engine) = ho.device(dir.path(), "laptop").await;
    engine.pull(|_, _| {}).await.expect("pull");
    let id = lock(&r).device_id();
    lock(&r)
        .redeem(items[0], Some("North"))
        .expect("redeem offline");
    // A pull only (no push): head office hears of the uploads still waiting.
    engine.pull(|_, _| {}).await.expect("pull");

    let device = |list: &serde_json::Value| {
        list.as_array()
            .expect("devices")
            .iter()
            .find(|d| d["device_id"] == id.to_string())
            .cloned()
            .expect("the device is listed")
    };
    let (st, list) = ho
        .send(reqwest::Method::GET, "/v1/sync/devices", None)
        .await;
    assert_eq!(st, 200, "{list}");
    let d = device(&list);
    let waiting = lock(&r).outbox_len().expect("outbox");
    assert!(waiting > 0, "the offline redemption waits to upload");
    assert_eq!(d["pending_ops"], waiting, "{d}");
    assert_eq!(d["app_version"], env!("CARGO_PKG_VERSION"), "{d}");

    let path = format!("/v1/devices/{id}");
    let (st, v) = ho
        .send(reqwest::Method::PATCH, &path, Some(json!({"name": "  "})))
        .await;
    assert_eq!(
        (
            st,
            v["errors"][0]
                .as_str()
                .map(|e| e.starts_with("invalid_field"))
        ),
        (400, Some(true)),
        "{v}"
    );
    let (st, v) = ho
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"name": "North door"})),
        )
        .await;
    assert_eq!(st, 204, "{v}");
    let (_, list) = ho
        .send(reqwest::Method::GET, "/v1/sync/devices", None)
        .await;
    assert_eq!(device(&list)["name"], "North door");
    let (st, _) = ho
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/devices/{}", uuid::Uuid::now_v7()),
            Some(json!({"name": "Nobody"})),
        )
        .await;
    assert_eq!(st, 404);
}
