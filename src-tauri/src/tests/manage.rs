//! The management commands against a real head office: a manager signs in there
//! with their PIN and sets up an event; door staff and other roles' routes are
//! refused; signing out here ends the head office sign-in.

use serde_json::json;

use super::{Harness, HeadOffice};

#[test]
fn a_manager_signs_in_at_head_office_and_sets_up_an_event() {
    let ho = HeadOffice::start(3);
    let h = Harness::empty();
    h.call(
        "enroll",
        json!({"url": ho.base, "code": ho.code(), "name": "Office"}),
    )
    .expect("enroll");

    h.call("sign_in", json!({"pin": "1111"})).expect("door PIN");
    let e = h
        .call("manage_sign_in", json!({"pin": "1111"}))
        .expect_err("door staff do not manage");
    assert_eq!(e["code"], "forbidden", "{e}");
    h.call("sign_out", json!({})).expect("sign out");

    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager PIN");
    let st = h.call("manage_status", json!({})).expect("status");
    assert_eq!(st["signed_in"], false);
    assert_eq!(st["enrolled"], true);
    let e = h
        .call("manage", json!({"method": "GET", "path": "/v1/events"}))
        .expect_err("not signed in at head office yet");
    assert_eq!(e["code"], "manage_sign_in_needed");
    let e = h
        .call("manage_sign_in", json!({"pin": "000000"}))
        .expect_err("wrong PIN");
    assert_eq!(e["code"], "bad_pin", "{e}");
    let st = h
        .call("manage_sign_in", json!({"pin": "333333"}))
        .expect("sign in at head office");
    assert_eq!(st["signed_in"], true);
    assert_eq!(st["role"], "manager");

    let ev = h
        .call(
            "manage",
            json!({"method": "POST", "path": "/v1/events/create", "body": {
                "name": "Members Evening", "start_date": 1_900_000_000i64,
                "end_date": 1_900_014_400i64, "location": "Hall", "address": "2 Quay St"}}),
        )
        .expect("create event");
    assert_eq!(ev["name"], "Members Evening", "{ev}");
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM events WHERE name = 'Members Evening'"),
        1
    );
    let e = h
        .call(
            "manage",
            json!({"method": "POST", "path": "/v1/events/create", "body": {"name": ""}}),
        )
        .expect_err("head office validates");
    assert_eq!(e["code"], "invalid_field", "{e}");
    let e = h
        .call("manage", json!({"method": "GET", "path": "/v1/staff"}))
        .expect_err("staff are for admins");
    assert_eq!(e["code"], "forbidden", "{e}");
    let e = h
        .call(
            "manage",
            json!({"method": "GET", "path": "http://elsewhere.example/v1/events"}),
        )
        .expect_err("not a head office path");
    assert_eq!(e["code"], "invalid_field", "{e}");

    h.call("sign_out", json!({})).expect("sign out");
    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager PIN");
    let st = h.call("manage_status", json!({})).expect("status");
    assert_eq!(
        st["signed_in"], false,
        "signing out ended the head office sign-in"
    );
}
