//! The `wicket` CLI acts as a named staff member, and their role decides: a door
//! staff member's sale is refused and writes nothing. A refused `--json scan` prints
//! exactly one JSON document.

use std::process::Output;

use serde_json::json;

mod common;
use common::wicket;

fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("one JSON document expected ({e}): {text}"))
}

#[test]
fn the_cli_acts_as_a_staff_member_in_their_role() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("r.db");
    assert!(wicket(&db, &["demo", "--customers", "5"]).status.success());
    let sell = [
        "--json",
        "sell",
        "--product",
        "general-admission",
        "--email",
        "walk@example.com",
        "--payment",
        "card",
    ];

    let out = wicket(&db, &sell);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["code"], "invalid_field", "no staff named");

    let mut as_door = vec!["--staff", "dana door"];
    as_door.extend_from_slice(&sell);
    let out = wicket(&db, &as_door);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["code"], "forbidden");

    let outbox = json(&wicket(&db, &["--json", "outbox"]));
    assert_eq!(
        outbox["pending"], 0,
        "a refused sale writes nothing: {outbox}"
    );

    // Cash needs an open drawer; card does not.
    let mut cash = vec!["--staff", "Bo Box-Office"];
    cash.extend_from_slice(&sell[..sell.len() - 1]);
    cash.push("cash");
    assert_eq!(json(&wicket(&db, &cash))["code"], "no_open_session");
    let mut as_box = vec!["--staff", "Bo Box-Office"];
    as_box.extend_from_slice(&sell);
    let out = wicket(&db, &as_box);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["sale"]["quantity"], 1);

    let out = wicket(&db, &["--staff", "nobody", "--json", "sales"]);
    assert_eq!(json(&out)["code"], "not_found");
}

#[test]
fn a_refused_json_scan_prints_one_document() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("r.db");
    assert!(wicket(&db, &["demo", "--customers", "5"]).status.success());
    let out = wicket(
        &db,
        &["--staff", "Dana Door", "--json", "scan", "NOT-A-TICKET"],
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(
        (v["admitted"].as_bool(), v["code"].as_str()),
        (Some(false), Some("malformed"))
    );
}

#[test]
fn settings_change_only_for_a_manager_and_show_where_the_key_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("r.db");
    let run = |args: &[&str]| {
        common::command(&db)
            .args(args)
            .env("WICKET_KEYSTORE", "file")
            .output()
            .expect("run wicket")
    };
    assert!(run(&["demo", "--customers", "5"]).status.success());
    let door = run(&["--staff", "Dana Door", "settings", "--admit-unknown", "off"]);
    assert!(!door.status.success(), "door staff changed a setting");
    let mgr = run(&[
        "--staff",
        "Mina Manager",
        "settings",
        "--admit-unknown",
        "off",
    ]);
    assert!(
        mgr.status.success(),
        "{}",
        String::from_utf8_lossy(&mgr.stderr)
    );
    let v = json(&run(&["--json", "settings"]));
    assert_eq!(v["admit_unknown"], false);
    assert_eq!(v["key_storage"], "key_file");
    // The change waits in the outbox for head office's audit log.
    let v = json(&run(&["--json", "outbox"]));
    assert_eq!(v["pending"], 1);
}

#[test]
fn checkin_searches_a_guest_and_checks_one_in_with_a_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("r.db");
    assert!(wicket(&db, &["demo", "--customers", "30"]).status.success());
    let number = json(&wicket(&db, &["--json", "checkin", "search", "#3"]));
    let hit = number
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .expect("item #3");
    let first = hit["owner_name"]
        .as_str()
        .and_then(|n| n.split(' ').next())
        .expect("holder")
        .to_lowercase();
    let by_name = json(&wicket(&db, &["--json", "checkin", "search", &first[..3]]));
    assert!(
        by_name
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v["item"]["id"] == hit["item"]["id"])),
        "{by_name}"
    );
    let id = hit["item"]["id"].as_str().expect("id").to_string();
    let out = wicket(&db, &["--staff", "dana door", "--json", "checkin", &id]);
    assert_eq!(out.status.code(), Some(2), "no reason");
    let out = wicket(
        &db,
        &[
            "--staff",
            "dana door",
            "--json",
            "checkin",
            &id,
            "--reason",
            "lost phone",
            "--gate",
            "West",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["redemption_count"], 1);
    let ops = json(&wicket(&db, &["--json", "outbox"]));
    assert_eq!(
        ops["pending"], 2,
        "the redemption and its audit record: {ops}"
    );
}

#[test]
fn scan_direction_out_records_an_exit_without_using_an_entry() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("r.db");
    assert!(wicket(&db, &["demo", "--customers", "5"]).status.success());
    let hit = json(&wicket(&db, &["--json", "items", "find", "#2"]));
    let id = hit[0]["item"]["id"].as_str().expect("id").to_string();
    let token = String::from_utf8_lossy(&wicket(&db, &["ticket", &id]).stdout)
        .split_whitespace()
        .find(|w| w.starts_with("WK1"))
        .expect("token")
        .to_string();
    let door = |args: &[&str]| {
        let mut v = vec!["--staff", "dana door", "--json", "scan", &token];
        v.extend_from_slice(args);
        json(&wicket(&db, &v))
    };
    assert_eq!(door(&["--gate", "A"])["admitted"], true);
    let out = door(&["--gate", "A", "--direction", "out"]);
    assert_eq!(
        (out["admitted"].clone(), out["direction"].clone()),
        (json!(true), json!("out"))
    );
    assert_eq!(out["redemption_count"], 1, "an exit uses nothing: {out}");
    let bad = wicket(
        &db,
        &[
            "--staff",
            "dana door",
            "scan",
            &token,
            "--direction",
            "sideways",
        ],
    );
    assert!(!bad.status.success());
}
