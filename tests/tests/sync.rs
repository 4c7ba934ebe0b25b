//! Device <-> head office sync over real HTTP on 127.0.0.1 with real SQLite files:
//! enrollment and key/staff distribution, exactly-once push, the two-door conflict,
//! and offline sales from allotments racing online sales.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::json;
use wicket_device::SellRequest;
use wicket_tests::{lock, start_ho};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_is_single_use_and_brings_keys_and_staff() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let (s, v) = ho
        .post(
            "/v1/staff",
            json!({"name": "Dora", "role": "door", "pin": "4321"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (a, ea) = ho.device(dir.path(), "door-a").await;
    let (b, eb) = ho.device(dir.path(), "door-b").await;
    // A used code is refused.
    let code = ho.enrollment_code().await;
    let c = std::sync::Arc::new(std::sync::Mutex::new(
        wicket_device::Replica::open(dir.path().join("c.db")).expect("open"),
    ));
    wicket_device::sync::enroll(&c, &ho.base, &code, "c")
        .await
        .expect("first use");
    let again = wicket_device::sync::enroll(&c, &ho.base, &code, "c").await;
    assert_eq!(
        again.err().map(|e| e.code().to_string()).as_deref(),
        Some("unauthorized")
    );

    ea.sync_once(|_, _| {}).await.expect("sync a");
    eb.sync_once(|_, _| {}).await.expect("sync b");
    for r in [&a, &b] {
        let r = lock(r);
        let staff = r.sign_in("4321").expect("staff pulled with PIN hash");
        assert_eq!(staff.name, "Dora");
        let keys: i64 = r
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM trusted_keys WHERE revoked_at IS NULL",
                [],
                |x| x.get(0),
            )
            .expect("keys");
        // head office + devices a, b, c (its own key is one of them).
        assert_eq!(keys, 4);
    }
    // Only the credential's hash is stored.
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM devices WHERE credential_hash LIKE 'wd_%'"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_doors_redeem_the_same_ticket_offline_one_conflict_kept() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "stock": 10}))
        .await;
    let users = ho.users("fan", 1).await;
    let items = ho.issue(pid, &users).await;
    let item = items[0];
    let (a, ea) = ho.device(dir.path(), "door-a").await;
    let (b, eb) = ho.device(dir.path(), "door-b").await;
    ea.sync_once(|_, _| {}).await.expect("pull a");
    eb.sync_once(|_, _| {}).await.expect("pull b");

    // Both doors offline: each admits the ticket.
    let ra = lock(&a).redeem(item, Some("north")).expect("door a admits");
    let rb = lock(&b).redeem(item, Some("south")).expect("door b admits");
    assert_eq!((ra.redemption_count, rb.redemption_count), (1, 1));

    let (pa, _) = ea.sync_once(|_, _| {}).await.expect("sync a");
    let (pb, _) = eb.sync_once(|_, _| {}).await.expect("sync b");
    // Each door's check-in by hand also sends an audit entry (applied).
    assert_eq!((pa.applied, pa.conflict), (2, 0));
    assert_eq!((pb.applied, pb.conflict), (1, 1));
    ea.sync_once(|_, _| {}).await.expect("sync a again");

    // Head office holds both scans, one flagged.
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM redemptions WHERE item = '{item}'"
        )),
        2
    );
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM redemptions WHERE item = '{item}' AND conflict = 1"
        )),
        1
    );
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM sync_conflicts WHERE code = 'already_redeemed'"),
        1
    );
    assert_eq!(
        ho.scalar(&format!(
            "SELECT redemption_count FROM items WHERE id = '{item}'"
        )),
        1
    );
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM sync_ops WHERE kind = 'redeem'"),
        2
    );
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM audit_log"), 2);

    for r in [&a, &b] {
        let r = lock(r);
        let c = r.sync_conflicts().expect("conflicts");
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            (c[0].code.as_str(), c[0].source.as_str()),
            ("already_redeemed", "conflict")
        );
        assert_eq!(c[0].item, Some(item));
        assert_eq!(r.redemptions_of(item).expect("redemptions").len(), 2);
        assert_eq!(r.outbox_len().expect("outbox"), 0);
        assert_eq!(r.items_checksum().expect("sum"), ho.items_checksum());
    }

    // Pushing the same ops again is harmless: head office answers duplicate.
    let ops = ho.rows("SELECT op_id FROM sync_ops");
    assert_eq!(ops.len(), 4, "two redemptions and their two audit entries");
}

fn money(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_allotments_and_online_sales_never_oversell() {
    const STOCK: u64 = 60;
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pid = ho
        .product(json!({"type": "admission", "name": "Festival", "price": "12.50", "stock": STOCK}))
        .await;
    let buyers = ho.users("buyer", 5).await;
    let mut devices = Vec::new();
    for n in 0..3 {
        let (r, e) = ho.device(dir.path(), &format!("box-{n}")).await;
        e.sync_once(|_, _| {}).await.expect("first pull");
        let a = e.reserve(pid, 15, None).await.expect("allotment");
        assert_eq!(a.units, 15);
        // Cash sales go into an open drawer.
        lock(&r)
            .open_session(Decimal::ZERO, "EUR")
            .expect("open the drawer");
        devices.push((r, e));
    }
    // Reserved stock is taken for head office too: 15 left online.
    let (_, v) = ho
        .post("/v1/sales", json!({"product_id": pid, "quantity": 16, "buyer_user_id": buyers[0], "payment_method": "card"}))
        .await;
    assert_eq!(
        v["errors"][0]
            .as_str()
            .map(|s| s.starts_with("stock_exhausted")),
        Some(true),
        "{v}"
    );

    // Everyone sells until nothing is left: devices offline from their allotments,
    // head office online; interleaved.
    let mut rng = 7u64;
    let mut next = || {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) as u32
    };
    let mut sold_offline = [0u64; 3];
    let mut sold_online = 0u64;
    let mut open = [true, true, true, true];
    while open.iter().any(|o| *o) {
        for (d, (r, _)) in devices.iter().enumerate() {
            if !open[d] {
                continue;
            }
            let q = 1 + next() % 3;
            let res = lock(r).sell(&SellRequest {
                product_id: pid,
                quantity: q,
                buyer_email: format!("walkup-{}@example.com", next() % 4),
                payment_method: Some(if next() % 2 == 0 { "cash" } else { "card" }.into()),
                ..SellRequest::default()
            });
            match res {
                Ok(rc) => sold_offline[d] += u64::from(rc.sale.quantity),
                Err(e) if e.code() == "stock_exhausted" && q == 1 => open[d] = false,
                Err(e) if e.code() == "stock_exhausted" => {}
                Err(e) => panic!("offline sale: {e}"),
            }
        }
        if open[3] {
            let q = 1 + next() % 2;
            let (st, v) = ho
                .post("/v1/sales", json!({"product_id": pid, "quantity": q, "buyer_user_id": buyers[(next() % 5) as usize], "payment_method": "cash"}))
                .await;
            match st {
                201 => sold_online += u64::from(q),
                400 if q == 1 => open[3] = false,
                400 => {}
                _ => panic!("online sale: {st} {v}"),
            }
        }
    }
    assert_eq!(sold_offline, [15, 15, 15]);
    assert_eq!(sold_online, 15);

    // Sync everyone twice (the second round brings the others' sales).
    for _ in 0..2 {
        for (_, e) in &devices {
            let (p, _) = e.sync_once(|_, _| {}).await.expect("sync");
            let why = lock(e.replica()).sync_conflicts().expect("conflicts");
            assert_eq!(p.rejected, 0, "{why:?}");
        }
    }
    for (r, e) in &devices {
        let a = lock(r).allotments().expect("allotments");
        for al in a {
            assert_eq!(e.release(al.id).await.expect("release"), 0);
        }
        e.sync_once(|_, _| {}).await.expect("final sync");
    }

    assert_eq!(ho.scalar("SELECT COUNT(*) FROM items") as u64, STOCK);
    assert_eq!(ho.scalar("SELECT issued FROM products") as u64, STOCK);
    assert_eq!(
        ho.scalar("SELECT COUNT(DISTINCT item_id) FROM items") as u64,
        STOCK
    );
    let ho_sum = ho_totals(&ho);
    assert_eq!(
        ho_sum.values().copied().sum::<Decimal>(),
        money("12.50") * Decimal::from(STOCK)
    );
    let ho_items = ho.items_checksum();
    for (r, _) in &devices {
        let r = lock(r);
        assert_eq!(r.outbox_len().expect("outbox"), 0);
        assert_eq!(r.items_checksum().expect("sum"), ho_items);
        let mut dev: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in r.sales_totals().expect("totals") {
            *dev.entry(t.payment_method.clone()).or_default() += t.total;
        }
        assert_eq!(dev, ho_sum);
    }
}

fn ho_totals(ho: &wicket_tests::Ho) -> BTreeMap<String, Decimal> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in ho.rows("SELECT payment_method, total FROM sales") {
        *out.entry(row[0].clone()).or_default() += money(&row[1]);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nft_state_reaches_devices_through_the_pull() {
    use wicket_headoffice::mint_store::{MintDone, MintQueue};

    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let users = ho.users("nft", 2).await;
    let minting = ho
        .product(
            json!({"type": "admission", "name": "Collectible", "price": "10.00",
            "mint_nft": true, "chain": "WestendAssetHub",
            "metadata_uri": "https://tickets.example.com/nft/c.json"}),
        )
        .await;
    let plain = ho
        .product(json!({"type": "admission", "name": "Plain", "price": "1.00"}))
        .await;
    let nft_items = ho.issue(minting, &users).await;
    let plain_items = ho.issue(plain, &users[..1]).await;

    let (r, e) = ho.device(dir.path(), "door").await;
    e.sync_once(|_, _| {}).await.expect("first sync");
    {
        let r = lock(&r);
        let n = r.item_nft(nft_items[0]).expect("item").expect("nft state");
        assert_eq!(n["state"], "pending", "{n}");
        assert_eq!(n["chain"], "WestendAssetHub");
        assert_eq!(r.item_nft(plain_items[0]).expect("item"), None);
    }

    // The mint worker records a mint (here through its store, as after a chain
    // round trip): the item changes for devices and the next pull brings the hashes.
    let store = ho.store.clone();
    store
        .mint_done(
            nft_items[0],
            MintDone {
                collection_id: 7,
                owner: "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into(),
                tx_hash: Some("0xabc123".into()),
                block_hash: Some("0xdef456".into()),
                metadata_tx_hash: Some("0x789".into()),
                metadata_block_hash: Some("0x012".into()),
            },
        )
        .await
        .expect("mint done");
    e.sync_once(|_, _| {}).await.expect("second sync");
    let r = lock(&r);
    let n = r.item_nft(nft_items[0]).expect("item").expect("nft state");
    assert_eq!(n["state"], "minted", "{n}");
    assert_eq!(n["tx_hash"], "0xabc123");
    assert_eq!(n["collection_id"], 7);
    let other = r.item_nft(nft_items[1]).expect("item").expect("nft state");
    assert_eq!(other["state"], "pending", "only the minted item changed");
}
