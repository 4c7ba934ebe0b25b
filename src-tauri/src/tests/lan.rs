//! The door network in the app: it starts with the sync engine, shows its peers,
//! and the configured peers are a manager's setting.

use serde_json::json;

use super::{Harness, HeadOffice};

#[test]
fn the_door_network_runs_and_a_manager_sets_its_peers() {
    let ho = HeadOffice::start(3);
    let h = Harness::empty();
    h.call(
        "enroll",
        json!({"url": ho.base, "code": ho.code(), "name": "North door"}),
    )
    .expect("enroll");
    let v = h.call("lan_status", json!({})).expect("status");
    assert_eq!(v["running"], true, "{v}");
    assert!(v["listen"].is_string() || v["error"].is_string(), "{v}");

    h.call("sign_in", json!({"pin": "1111"})).expect("door PIN");
    let e = h
        .call("set_lan_peers", json!({"peers": ["http://10.0.0.7:7733"]}))
        .expect_err("door staff do not change settings");
    assert_eq!(e["code"], "forbidden", "{e}");
    h.call("sign_out", json!({})).expect("sign out");

    h.call("sign_in", json!({"pin": "333333"}))
        .expect("manager PIN");
    let e = h
        .call("set_lan_peers", json!({"peers": ["10.0.0.7"]}))
        .expect_err("not a peer address");
    assert_eq!(e["code"], "invalid_request", "{e}");
    let v = h
        .call(
            "set_lan_peers",
            json!({"peers": ["http://10.0.0.7:7733/", "http://10.0.0.7:7733"]}),
        )
        .expect("set peers");
    assert_eq!(v["configured"], json!(["http://10.0.0.7:7733"]), "{v}");
    let peers = v["peers"].as_array().expect("peers");
    assert!(
        peers
            .iter()
            .any(|p| p["url"] == "http://10.0.0.7:7733" && p["discovered"] == false),
        "{v}"
    );
}
