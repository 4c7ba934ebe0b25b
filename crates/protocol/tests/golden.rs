//! Golden fixtures pin the wire format: each file decodes into the typed protocol and
//! encodes back to the same JSON.

use serde_json::Value;
use wicket_protocol::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn same_json(a: &str, b: &str) {
    let a: Value = serde_json::from_str(a).expect("json a");
    let b: Value = serde_json::from_str(b).expect("json b");
    assert_eq!(a, b);
}

#[test]
fn push_request_round_trips_and_every_op_decodes() {
    let text = fixture("push_request.json");
    let req: PushRequest = serde_json::from_str(&text).expect("push request");
    assert_eq!(req.protocol_version, Some(PROTOCOL_VERSION));
    let ops: Vec<Op> = req.ops.iter().map(|o| o.decode().expect("op")).collect();
    let kinds: Vec<&str> = ops.iter().map(Op::kind).collect();
    assert_eq!(kinds, ["customer", "sale", "redeem", "revoke"]);
    match &ops[1] {
        Op::Sale(s) => {
            assert_eq!(s.sale.quantity, 2);
            assert_eq!(s.sale.total.to_string(), "98.00");
            assert_eq!(s.items.len(), 2);
            assert!(s.new_customer.is_none());
        }
        other => panic!("expected a sale, got {other:?}"),
    }
    // Typed ops re-encode to the same payloads.
    for (w, op) in req.ops.iter().zip(&ops) {
        same_json(w.payload.get(), &op.payload_json());
        let again = WireOp::new(w.seq, w.op_id, w.device_id, w.staff_id, w.device_time, op)
            .expect("envelope");
        same_json(
            &serde_json::to_string(&again).expect("encode"),
            &serde_json::to_string(w).expect("encode"),
        );
    }
    same_json(&serde_json::to_string(&req).expect("encode"), &text);
}

#[test]
fn push_response_round_trips_and_unknown_status_is_kept_apart() {
    let text = fixture("push_response.json");
    let out: PushResponse = serde_json::from_str(&text).expect("push response");
    let st: Vec<OpStatus> = out.results.iter().map(|r| r.status).collect();
    assert_eq!(
        st,
        [
            OpStatus::Applied,
            OpStatus::Rejected,
            OpStatus::Conflict,
            OpStatus::Duplicate
        ]
    );
    same_json(&serde_json::to_string(&out).expect("encode"), &text);
    // A status from a newer head office does not fail the whole answer.
    let newer =
        r#"{"results":[{"op_id":"01900000-0000-7000-8000-000000000001","status":"deferred"}]}"#;
    let out: PushResponse = serde_json::from_str(newer).expect("newer status");
    assert_eq!(out.results[0].status, OpStatus::Unknown);
}

#[test]
fn pull_response_decodes_typed_entities() {
    let text = fixture("pull_response.json");
    let page: PullResponse = serde_json::from_str(&text).expect("pull response");
    let bodies: Vec<ChangeBody> = page
        .changes
        .iter()
        .map(|c| c.decode().expect("change"))
        .collect();
    match &bodies[0] {
        ChangeBody::Upsert(Entity::Item(i)) => {
            assert_eq!(i.item_id, 11);
            assert_eq!(i.redemption_count, 1);
            assert!(i.nft.is_none());
        }
        other => panic!("expected an item, got {other:?}"),
    }
    match &bodies[1] {
        ChangeBody::Upsert(Entity::Staff(s)) => assert_eq!(s.role, wicket_domain::Role::Door),
        other => panic!("expected staff, got {other:?}"),
    }
    assert_eq!(bodies[5], ChangeBody::Gone);
    // Re-encoding each typed entity gives the same change.
    for (c, b) in page.changes.iter().zip(&bodies) {
        if let ChangeBody::Upsert(e) = b {
            let again = Change::upsert(c.seq, c.key.clone(), e).expect("encode");
            same_json(
                &serde_json::to_string(&again).expect("encode"),
                &serde_json::to_string(c).expect("encode"),
            );
        }
    }
    same_json(&serde_json::to_string(&page).expect("encode"), &text);
}

#[test]
fn bad_input_is_a_typed_error_not_a_default() {
    // A staff member without a role is refused, not made a door.
    let c: Change = serde_json::from_str(
        r#"{"seq":1,"entity":"staff","key":"k","data":{"id":"01900000-0000-7000-8000-0000000000a1","name":"X","pin_hash":"h","active":true}}"#,
    )
    .expect("envelope");
    assert_eq!(c.decode().unwrap_err().code(), "invalid_entity");
    // An entity kind from a newer head office is skipped, not an error.
    let c: Change =
        serde_json::from_str(r#"{"seq":2,"entity":"gate","key":"north","data":{"x":1}}"#)
            .expect("envelope");
    assert_eq!(c.decode().expect("unknown kind"), ChangeBody::Unknown);
    // Unknown op kinds and broken payloads are refused one op at a time.
    assert_eq!(
        Op::decode("teleport", "{}").unwrap_err().code(),
        "unknown_op"
    );
    assert_eq!(
        Op::decode("redeem", r#"{"item":"nope"}"#)
            .unwrap_err()
            .code(),
        "invalid_payload"
    );
}

#[test]
fn touches_name_every_entity_of_a_sale() {
    let text = fixture("push_request.json");
    let req: PushRequest = serde_json::from_str(&text).expect("push request");
    let sale = req.ops[1].decode().expect("sale");
    let t = sale.touches();
    assert!(
        t.contains(&Touch::Sale(
            "01900000-0000-7000-8000-0000000000e1"
                .parse()
                .expect("uuid")
        ))
    );
    assert!(
        t.contains(&Touch::Customer(
            "01900000-0000-7000-8000-0000000000c1"
                .parse()
                .expect("uuid")
        ))
    );
    assert_eq!(t.iter().filter(|x| matches!(x, Touch::Item(_))).count(), 2);
    assert_eq!(sale.action(), wicket_domain::Action::Sell);
}
