//! Revoking a device and rotating head office's ticket key (issue 17): a revoked
//! device is cut off at once, and once other doors pull they refuse the tickets it
//! signed for items head office never confirmed, while confirmed ones still admit.
//! A rotated key admits through its overlap and is refused after.

use serde_json::json;
use uuid::Uuid;
use wicket_device::{Replica, SellRequest};
use wicket_headoffice::Store;
use wicket_tests::{lock, start_ho};

fn sell(r: &mut Replica, product: Uuid, email: &str) -> Uuid {
    r.sell(&SellRequest {
        product_id: product,
        quantity: 1,
        buyer_email: email.into(),
        payment_method: Some("card".into()),
        ..SellRequest::default()
    })
    .expect("offline sale")
    .items[0]
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_cut_off_and_its_unconfirmed_tickets_refused() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 10}))
        .await;
    let (till, et) = ho.device(dir.path(), "till").await;
    et.sync_once(|_, _| {}).await.expect("till pull");
    et.reserve(pid, 4, None).await.expect("allotment");
    let (door, ed) = ho.device(dir.path(), "door").await;

    // One sale reaches head office; the second stays on the till.
    let confirmed = sell(&mut lock(&till), pid, "one@example.com");
    et.sync_once(|_, _| {}).await.expect("push the first sale");
    let unconfirmed = sell(&mut lock(&till), pid, "two@example.com");
    let t_confirmed = lock(&till).ticket_token(confirmed).expect("token");
    let t_unconfirmed = lock(&till).ticket_token(unconfirmed).expect("token");
    let till_id = lock(&till).device_id();

    let (s, v) = ho
        .post(&format!("/v1/devices/{till_id}/revoke"), json!(null))
        .await;
    assert_eq!(s, 204, "{v}");
    // Cut off at once: its next sync fails, and its pending sale stays unapplied.
    assert!(et.sync_once(|_, _| {}).await.is_err());
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sales"), 1);

    // The door learns of the revocation on its next pull.
    ed.sync_once(|_, _| {}).await.expect("door pull");
    let mut d = lock(&door);
    let v = d.scan(&t_unconfirmed, Some("main"), None).expect("scan");
    assert_eq!(v.code.as_str(), "revoked_issuer", "{v:?}");
    assert!(!v.admitted);
    let v = d.scan(&t_confirmed, Some("main"), None).expect("scan");
    assert_eq!(
        v.code.as_str(),
        "ok",
        "a confirmed item still admits: {v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_admits_through_its_overlap_and_not_after() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 10}))
        .await;
    let users = ho.users("k", 4).await;
    let items = ho.issue(pid, &users).await;
    let (door, ed) = ho.device(dir.path(), "door").await;
    ed.sync_once(|_, _| {}).await.expect("door pull");
    let store: &dyn Store = &ho.store;

    let k1_a = ho.ticket(pid, items[0]).await;
    let k1_b = ho.ticket(pid, items[1]).await;
    // Rotate with a day of overlap: old tickets still admit, new ones too.
    let r1 = store.rotate_ticket_key(86_400).await.expect("rotate");
    let k2 = ho.ticket(pid, items[2]).await;
    assert_ne!(
        wicket_ticket::parse(&k1_a).expect("parse").key_id(),
        wicket_ticket::parse(&k2).expect("parse").key_id()
    );
    ed.sync_once(|_, _| {}).await.expect("door pull");
    {
        let mut d = lock(&door);
        assert_eq!(d.scan(&k1_a, None, None).expect("scan").code.as_str(), "ok");
        assert_eq!(d.scan(&k2, None, None).expect("scan").code.as_str(), "ok");
    }
    // Rotate again with no overlap: the second key's tickets are refused at once,
    // the first key's overlap still runs.
    let k2_late = ho.ticket(pid, items[3]).await;
    let r2 = store.rotate_ticket_key(0).await.expect("rotate");
    assert_eq!(r2.old_key_id, r1.new_key_id);
    ed.sync_once(|_, _| {}).await.expect("door pull");
    {
        let mut d = lock(&door);
        let v = d.scan(&k2_late, None, None).expect("scan");
        assert_eq!(v.code.as_str(), "unknown_issuer", "{v:?}");
        assert_eq!(d.scan(&k1_b, None, None).expect("scan").code.as_str(), "ok");
    }
    // Out-of-range overlaps are refused.
    assert!(store.rotate_ticket_key(-1).await.is_err());
    assert!(store.rotate_ticket_key(400 * 86_400).await.is_err());
}
