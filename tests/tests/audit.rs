//! The audit log (issue 17): a manager's acts on a device (a setting, a revocation,
//! a check-in by hand) reach head office with who, where and when, and its API lists
//! them; a door staff member may not change settings; an act outside the audited
//! list is refused.

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_tests::{lock, start_ho};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_device_acts_reach_the_audit_log() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "5.00", "stock": 10}))
        .await;
    let users = ho.users("a", 2).await;
    let items = ho.issue(pid, &users).await;
    let mut staff = Vec::new();
    for (name, role, pin) in [
        ("Mo Manager", "manager", "246810"),
        ("Di Door", "door", "1357"),
    ] {
        let (st, v) = ho
            .post("/v1/staff", json!({"name": name, "role": role, "pin": pin}))
            .await;
        assert_eq!(st, 200, "{v}");
        staff.push(Uuid::parse_str(v["id"].as_str().expect("id")).expect("uuid"));
    }
    // A manager's PIN of 4 digits is refused by head office too.
    let (st, _) = ho
        .post(
            "/v1/staff",
            json!({"name": "Short", "role": "manager", "pin": "1234"}),
        )
        .await;
    assert_eq!(st, 400);

    let (r, e) = ho.device(dir.path(), "door").await;
    e.sync_once(|_, _| {}).await.expect("pull staff");
    let device = lock(&r).device_id();
    {
        let mut r = lock(&r);
        // Door staff may not change settings.
        let door = r.sign_in("1357").expect("door signs in");
        r.set_staff(Some(door.id));
        assert_eq!(
            r.set_admit_unknown(false).expect_err("door").code(),
            "forbidden"
        );
        let mgr = r.sign_in("246810").expect("manager signs in");
        r.set_staff(Some(mgr.id));
        r.set_admit_unknown(false).expect("setting");
        r.revoke_item(items[0], "lost ticket").expect("revoke");
        r.redeem(items[1], Some("side door"))
            .expect("check in by hand");
    }
    let (pushed, _) = e.sync_once(|_, _| {}).await.expect("push");
    assert_eq!(pushed.rejected, 0, "{pushed:?}");

    let (st, log) = ho
        .send(reqwest::Method::GET, "/v1/audit?limit=10", None)
        .await;
    assert_eq!(st, 200, "{log}");
    let entries = log.as_array().expect("entries");
    let acts: Vec<(&str, Option<&str>)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap_or(""), e["subject"].as_str()))
        .collect();
    let item0 = items[0].to_string();
    let item1 = items[1].to_string();
    for want in [
        ("settings", Some("admit_unknown")),
        ("revoke", Some(item0.as_str())),
        ("manual_check_in", Some(item1.as_str())),
    ] {
        assert!(acts.contains(&want), "{want:?} missing from {acts:?}");
    }
    for e in entries {
        assert_eq!(e["device_id"], device.to_string(), "{e}");
        assert_eq!(e["staff_id"], staff[0].to_string(), "{e}");
    }
    // An act outside the audited list is refused, alone.
    let cred = lock(&r).sync_config().expect("config").expect("enrolled").1;
    let op: Value = json!({"seq": 999, "op_id": Uuid::now_v7(), "device_id": device,
        "staff_id": staff[0], "device_time": lock(&r).now(), "kind": "audit",
        "payload": {"action": "format_disk", "subject": "x"}});
    let resp = ho
        .client
        .post(format!("{}/v1/sync/push", ho.base))
        .bearer_auth(&cred)
        .json(&json!({"ops": [op]}))
        .send()
        .await
        .expect("push");
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["results"][0]["status"], "rejected", "{v}");
    assert_eq!(v["results"][0]["code"], "invalid_field", "{v}");
}
