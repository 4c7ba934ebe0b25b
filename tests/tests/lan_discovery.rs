//! Doors find each other with mDNS, no peer list given (issue 16). The test makes
//! its own network: a network namespace whose loopback has multicast on (needs
//! root and iproute2, as CI has), runs two headless doors in it, and checks each
//! finds the other and a ticket admitted at one is refused at the other.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wicket_tests::start_ho;

struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let name = format!("wicket-{}", std::process::id());
        let ip = |args: &[&str]| {
            let st = Command::new("ip")
                .args(args)
                .status()
                .expect("run ip (iproute2)");
            assert!(
                st.success(),
                "ip {args:?} failed: this test needs root to make a network namespace"
            );
        };
        ip(&["netns", "add", &name]);
        let ns = Netns(name);
        ip(&["netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"]);
        ip(&[
            "netns",
            "exec",
            &ns.0,
            "ip",
            "link",
            "set",
            "lo",
            "multicast",
            "on",
        ]);
        ns
    }

    fn command(&self, db: &Path, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &self.0,
            "env",
            "WICKET_MDNS_LOOPBACK=1",
            "RUST_LOG=warn",
        ])
        .arg(wicket_tests::bin("wicket"))
        .arg("--db")
        .arg(db)
        .args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doors_find_each_other_by_mdns_and_share_admissions() {
    let mut ho = start_ho().await;
    let product = ho
        .product(json!({"type": "admission", "name": "Gig", "price": "20.00", "currency": "EUR"}))
        .await;
    let users = ho.users("mdns", 1).await;
    let items = ho.issue(product, &users).await;
    let token = ho.ticket(product, items[0]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engines = Vec::new();
    for name in ["a", "b"] {
        engines.push(ho.device(dir.path(), name).await);
    }
    for (_, e) in &engines {
        e.pull(|_, _| {}).await.expect("pull");
    }
    drop(engines);
    ho.stop();

    let ns = Netns::new();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let _doors: Vec<Running> = [(&a, "127.0.0.1:7701"), (&b, "127.0.0.1:7702")]
        .into_iter()
        .map(|(db, addr)| {
            Running(
                ns.command(db, &["serve", "--tick-ms", "100", "--lan-listen", addr])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start wicket serve"),
            )
        })
        .collect();

    // Each door lists the other as found by mDNS (no --peer was given).
    let end = Instant::now() + Duration::from_secs(30);
    for (db, at, other) in [
        (&a, "http://127.0.0.1:7701", "7702"),
        (&b, "http://127.0.0.1:7702", "7701"),
    ] {
        loop {
            let out = ns
                .command(db, &["--json", "peers", "--at", at])
                .output()
                .expect("peers");
            let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            let found = v["peers"].as_array().is_some_and(|ps| {
                ps.iter().any(|p| {
                    p["discovered"] == true && p["url"].as_str().is_some_and(|u| u.ends_with(other))
                })
            });
            if found {
                break;
            }
            assert!(Instant::now() < end, "{at} never found the other door: {v}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    let scan = |db: &Path, gate: &str| -> Value {
        let out = ns
            .command(db, &["--json", "scan", &token, "--gate", gate])
            .output()
            .expect("scan");
        serde_json::from_slice(&out.stdout).expect("scan answer")
    };
    assert_eq!(scan(&a, "North")["admitted"], true);
    let end = Instant::now() + Duration::from_secs(2);
    loop {
        let r = wicket_device::Replica::open(&b).expect("open b");
        if r.redemptions_of(items[0]).expect("redemptions").len() == 1 {
            break;
        }
        assert!(
            Instant::now() < end,
            "the found door never heard of the admission"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    let v = scan(&b, "South");
    assert_eq!(v["code"], "already_redeemed", "{v}");
}
