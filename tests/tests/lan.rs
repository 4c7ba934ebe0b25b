//! Doors that talk to each other with head office gone (issue 16): three headless
//! devices (`wicket serve`) on 127.0.0.1 share what they admit; a partitioned door
//! admits alone and converges when it is back; head office later has every
//! redemption once and one conflict. Messages from unknown, revoked or tampered
//! senders are dropped and change nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;
use wicket_device::Replica;
use wicket_device::peer::PeerRefusal;
use wicket_tests::{lock, start_ho, wicket};

fn scan(db: &Path, token: &str, gate: &str) -> Value {
    let out = wicket(db, &["--json", "scan", token, "--gate", gate]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "scan answer ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A headless door: `wicket serve` on `port` with static peers.
struct Door {
    db: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Door {
    fn start(&mut self, peers: &[u16]) {
        let mut cmd = wicket_tests::wicket_command(&self.db);
        cmd.args([
            "serve",
            "--no-discovery",
            "--tick-ms",
            "100",
            "--lan-listen",
        ])
        .arg(format!("127.0.0.1:{}", self.port))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for p in peers {
            cmd.arg("--peer").arg(format!("http://127.0.0.1:{p}"));
        }
        // A configured door that never answers (a dead laptop) must not hold up
        // the others.
        cmd.arg("--peer").arg("http://10.255.255.1:7733");
        self.child = Some(cmd.spawn().expect("start wicket serve"));
        // Listening once the port answers.
        let end = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < end, "wicket serve did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Redemptions of `item` this door holds (its own and heard).
    fn redemptions(&self, item: Uuid) -> usize {
        let r = Replica::open(&self.db).expect("open replica");
        r.redemptions_of(item).expect("redemptions").len()
    }

    /// Wait until this door holds `n` redemptions of `item`; the time it took.
    fn await_redemptions(&self, item: Uuid, n: usize, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if self.redemptions(item) >= n {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "{} never held {n} redemption(s) of {item} within {within:?}",
                self.db.display()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Door {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_doors_share_admissions_with_head_office_gone() {
    let mut ho = start_ho().await;
    let product = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "currency": "EUR"}))
        .await;
    let users = ho.users("lan", 3).await;
    let items = ho.issue(product, &users).await;
    let (t1, t2) = (
        ho.ticket(product, items[0]).await,
        ho.ticket(product, items[1]).await,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engines = Vec::new();
    for name in ["a", "b", "c"] {
        engines.push(ho.device(dir.path(), name).await);
    }
    // Each door learns the other two doors' keys from head office.
    for (_, e) in &engines {
        e.pull(|_, _| {}).await.expect("pull");
    }
    drop(engines);
    ho.stop();

    let ports = [free_port(), free_port(), free_port()];
    let mut doors: Vec<Door> = ["a", "b", "c"]
        .iter()
        .zip(ports)
        .map(|(n, port)| Door {
            db: dir.path().join(format!("{n}.db")),
            port,
            child: None,
        })
        .collect();
    for (i, d) in doors.iter_mut().enumerate() {
        let others: Vec<u16> = ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| *p)
            .collect();
        d.start(&others);
    }

    // A admits T1; B and C refuse it within 2 s, with A's gate.
    let v = scan(&doors[0].db, &t1, "North");
    assert_eq!(v["admitted"], true, "{v}");
    for d in &doors[1..] {
        d.await_redemptions(items[0], 1, Duration::from_secs(2));
    }
    let v = scan(&doors[1].db, &t1, "South");
    assert_eq!(
        (v["admitted"].clone(), v["code"].clone()),
        (json!(false), json!("already_redeemed")),
        "{v}"
    );
    assert_eq!(v["first_gate"], "North", "{v}");

    // C is cut off; A admits T2, and C, alone, admits it too.
    doors[2].stop();
    assert_eq!(scan(&doors[0].db, &t2, "North")["admitted"], true);
    doors[1].await_redemptions(items[1], 1, Duration::from_secs(2));
    let v = scan(&doors[2].db, &t2, "East");
    assert_eq!(
        v["admitted"], true,
        "a door alone admits on what it knows: {v}"
    );
    // Healed: every door ends up with both admissions of T2 and one of T1.
    let others = [ports[0], ports[1]];
    doors[2].start(&others);
    for d in &doors {
        d.await_redemptions(items[1], 2, Duration::from_secs(10));
        assert_eq!(
            d.redemptions(items[0]),
            1,
            "T1 counted once at {}",
            d.db.display()
        );
    }

    // Head office returns: each door's own redemptions arrive (the serve loops sync
    // by themselves), each exactly once, and T2 is one conflict.
    ho.restart().await;
    let end = Instant::now() + Duration::from_secs(60);
    while ho.scalar("SELECT COUNT(*) FROM redemptions") < 3 {
        assert!(
            Instant::now() < end,
            "head office never got the three redemptions"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        ho.scalar("SELECT COUNT(*) FROM redemptions"),
        3,
        "each redemption once"
    );
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM redemptions WHERE item = '{}'",
            items[1]
        )),
        2
    );
    assert_eq!(
        ho.scalar(&format!(
            "SELECT COUNT(*) FROM sync_conflicts WHERE item = '{}'",
            items[1]
        )),
        1,
        "one conflict for the ticket admitted at A and C"
    );
    assert_eq!(ho.scalar("SELECT COUNT(*) FROM sync_conflicts"), 1);
    // And the pull does not count anything twice at the doors.
    for d in &doors {
        assert_eq!(d.redemptions(items[0]), 1);
        assert_eq!(d.redemptions(items[1]), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_revoked_or_tampered_messages_are_dropped() {
    let ho = start_ho().await;
    let product = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "currency": "EUR"}))
        .await;
    let users = ho.users("trust", 1).await;
    let items = ho.issue(product, &users).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, ea) = ho.device(dir.path(), "a").await;
    let (b, eb) = ho.device(dir.path(), "b").await;
    let (c, _ec) = ho.device(dir.path(), "c").await;
    let c_id = lock(&c).device_id();
    let (st, v) = ho
        .post(&format!("/v1/devices/{c_id}/revoke"), json!({}))
        .await;
    assert_eq!(st, 204, "{v}");
    ea.pull(|_, _| {}).await.expect("pull");
    eb.pull(|_, _| {}).await.expect("pull");

    lock(&b)
        .redeem(items[0], Some("South"))
        .expect("redeem at B");
    let msg = {
        let b = lock(&b);
        b.sign_peer(&b.own_facts_since(0).expect("facts"))
            .expect("sign")
    };
    let before = lock(&a).redemptions_of(items[0]).expect("r").len();
    assert_eq!(before, 0);

    // Tampered: the gate changed after signing.
    let mut bad = msg.clone();
    bad.body = bad.body.replace("South", "North");
    assert_eq!(
        lock(&a).hear(&bad).expect("hear"),
        Err(PeerRefusal::BadSignature)
    );
    // Not enrolled: a replica head office never saw signs its own facts.
    let stranger = Replica::open(dir.path().join("stranger.db")).expect("open");
    let mut facts = lock(&b).own_facts_since(0).expect("facts");
    facts.from = stranger.device_id();
    for r in &mut facts.redemptions {
        r.device_id = facts.from;
    }
    let forged = stranger.sign_peer(&facts).expect("sign");
    assert_eq!(
        lock(&a).hear(&forged).expect("hear"),
        Err(PeerRefusal::UnknownDevice(facts.from))
    );
    // Revoked: C's key is enrolled but revoked.
    let mut facts = lock(&b).own_facts_since(0).expect("facts");
    facts.from = c_id;
    for r in &mut facts.redemptions {
        r.device_id = c_id;
    }
    let revoked = lock(&c).sign_peer(&facts).expect("sign");
    assert_eq!(
        lock(&a).hear(&revoked).expect("hear"),
        Err(PeerRefusal::Revoked(c_id))
    );
    assert_eq!(
        lock(&a).redemptions_of(items[0]).expect("r").len(),
        0,
        "no dropped message changed anything"
    );

    // B's real message counts once, however often it arrives.
    let heard = lock(&a).hear(&msg).expect("hear").expect("accepted");
    assert_eq!(heard.redemptions, 1);
    let again = lock(&a).hear(&msg).expect("hear").expect("accepted");
    assert_eq!(again.redemptions, 0);
    assert_eq!(lock(&a).item(items[0]).expect("item").redemption_count, 1);

    // Over HTTP a tampered message gets 403 and the service keeps going.
    let lan = wicket_device::lan::Lan::new(a.clone(), Duration::from_millis(100)).expect("lan");
    let addr = lan
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/peer/v1/facts"))
        .json(&bad)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 403);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "peer_bad_signature");
    // Only this venue's doors may read a door's facts: a stranger's request is
    // refused, B's is answered with A's facts signed by A.
    let ask = |msg: wicket_protocol::SignedPeerMessage| {
        reqwest::Client::new()
            .post(format!("http://{addr}/peer/v1/ask"))
            .json(&msg)
            .send()
    };
    let resp = ask(stranger.sign_ask(0).expect("sign")).await.expect("ask");
    assert_eq!(resp.status().as_u16(), 403);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "peer_unknown");
    let b_ask = lock(&b).sign_ask(0).expect("sign");
    let resp = ask(b_ask).await.expect("ask");
    assert_eq!(resp.status().as_u16(), 200);
    let answer: wicket_protocol::SignedPeerMessage = resp.json().await.expect("json");
    let heard = lock(&b)
        .hear(&answer)
        .expect("hear")
        .expect("A's answer verifies");
    assert_eq!(heard.from, lock(&a).device_id());

    // A refund made at B travels too: its ticket is refused at A at once.
    eb.top_up_allotments(5).await.expect("allotment for B");
    let sold = lock(&b)
        .sell(&wicket_device::SellRequest {
            product_id: product,
            quantity: 1,
            buyer_email: "refund@example.com".into(),
            payment_method: Some("card".into()),
            ..Default::default()
        })
        .expect("sale at B");
    let token = lock(&b).ticket_token(sold.items[0].id).expect("token");
    lock(&b)
        .refund(&sold.sale.order_number, &[], "wrong night")
        .expect("refund at B");
    let msg2 = {
        let b = lock(&b);
        b.sign_peer(&b.own_facts_since(0).expect("facts"))
            .expect("sign")
    };
    let heard = lock(&a).hear(&msg2).expect("hear").expect("accepted");
    assert_eq!(heard.refunds, 1, "{heard:?}");
    let v = lock(&a).scan(&token, Some("North"), None).expect("scan");
    assert_eq!((v.admitted, v.code.as_str()), (false, "refunded"), "{v:?}");

    // B pushes, then A pulls from head office: the same redemption, still once.
    eb.sync_once(|_, _| {}).await.expect("B syncs");
    ea.pull(|_, _| {}).await.expect("A pulls");
    assert_eq!(lock(&a).redemptions_of(items[0]).expect("r").len(), 1);
    assert_eq!(lock(&a).item(items[0]).expect("item").redemption_count, 1);
}
