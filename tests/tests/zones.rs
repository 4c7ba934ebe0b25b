//! Zones set up at head office reach the doors through the pull: a VIP gate admits
//! VIP tickets only; another ticket is refused `wrong_zone` and not redeemed; gates
//! in no zone and exits are not limited.

use serde_json::json;
use uuid::Uuid;
use wicket_domain::Direction;
use wicket_tests::{lock, start_ho};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vip_gate_admits_vip_tickets_only() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let vip = ho
        .product(json!({"type": "admission", "name": "VIP", "price": "120.00"}))
        .await;
    let ga = ho
        .product(json!({"type": "admission", "name": "General", "price": "40.00"}))
        .await;
    let users = ho.users("guest", 2).await;
    let vip_item = ho.issue(vip, &users[..1]).await[0];
    let ga_item = ho.issue(ga, &users[1..]).await[0];
    let (vip_tok, ga_tok) = (ho.ticket(vip, vip_item).await, ho.ticket(ga, ga_item).await);

    // Bad zones are refused and change nothing.
    for bad in [
        json!({"name": "VIP", "gates": [], "product_ids": [vip]}),
        json!({"name": "VIP", "gates": ["VIP door"], "product_ids": [Uuid::new_v4()]}),
        json!({"name": "", "gates": ["VIP door"], "product_ids": [vip]}),
    ] {
        let (s, v) = ho.post("/v1/zones", bad).await;
        assert_eq!(s, 400, "{v}");
    }
    let (s, zone) = ho
        .post(
            "/v1/zones",
            json!({"name": "VIP", "gates": ["VIP door"], "product_ids": [vip]}),
        )
        .await;
    assert_eq!(s, 201, "{zone}");
    let (s, v) = ho
        .post(
            "/v1/zones",
            json!({"name": "VIP", "gates": ["Other"], "product_ids": [vip]}),
        )
        .await;
    assert_eq!(s, 409, "a second zone of the same name: {v}");
    let (s, list) = ho.send(reqwest::Method::GET, "/v1/zones", None).await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    let (r, e) = ho.device(dir.path(), "vip-door").await;
    e.sync_once(|_, _| {}).await.expect("pull the zone");
    assert_eq!(lock(&r).zones().expect("zones").len(), 1);
    let scan = |tok: &str, gate: &str, d: Direction| {
        lock(&r).scan_at(tok, Some(gate), None, d).expect("scan")
    };
    // A general ticket at the VIP door: refused, not redeemed.
    let v = scan(&ga_tok, "vip door", Direction::In);
    assert_eq!(v.code.as_str(), "wrong_zone", "{v:?}");
    assert!(!v.admitted);
    assert_eq!(lock(&r).item(ga_item).expect("item").redemption_count, 0);
    // The VIP ticket at the VIP door, the general one at a gate in no zone.
    assert!(scan(&vip_tok, "VIP door", Direction::In).admitted);
    assert!(scan(&ga_tok, "Main", Direction::In).admitted);
    // Leaving through the VIP door is not limited.
    assert!(scan(&ga_tok, "VIP door", Direction::Out).admitted);

    // Deleting the zone reaches the door: the VIP door admits anyone again.
    let zid = zone["id"].as_str().expect("zone id");
    let (s, _) = ho
        .send(reqwest::Method::DELETE, &format!("/v1/zones/{zid}"), None)
        .await;
    assert_eq!(s, 204);
    e.sync_once(|_, _| {}).await.expect("pull the deletion");
    assert!(lock(&r).zones().expect("zones").is_empty());
}
