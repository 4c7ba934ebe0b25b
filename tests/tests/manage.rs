//! Management from a device: `wicket manage` signs the --staff member in at head
//! office with their PIN and makes a head office API request as them; what a
//! manager sets up reaches another device through its pull, and a door-role member
//! is refused.

use std::process::Command;

use serde_json::json;
use wicket_tests::{lock, start_ho};

fn wicket(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(wicket_tests::bin("wicket"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("WICKET_STAFF")
        .env_remove("WICKET_PIN")
        .output()
        .expect("run wicket")
}

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
