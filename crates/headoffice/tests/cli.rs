//! The built binary: `demo`, `keys create` and `serve` with graceful shutdown.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wicket-headoffice");

fn last_word(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn demo_keys_and_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db");

    let demo = Command::new(BIN)
        .args(["demo", "--db"])
        .arg(&db)
        .output()
        .expect("run demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let write = last_word(&demo.stdout);
    assert!(write.starts_with("wk_"), "{write}");

    let keys = Command::new(BIN)
        .args(["keys", "create", "--scope", "read", "--db"])
        .arg(&db)
        .output()
        .expect("run keys create");
    assert!(keys.status.success());
    let read = last_word(&keys.stdout);
    assert!(read.starts_with("wk_") && read != write);

    // A second demo run refuses rather than duplicating data.
    let again = Command::new(BIN)
        .args(["demo", "--db"])
        .arg(&db)
        .output()
        .expect("run demo again");
    assert!(!again.status.success());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = client
            .get(format!("{base}/v1/version"))
            .bearer_auth(&read)
            .send()
            .await;
        if let Ok(r) = r {
            assert_eq!(r.status().as_u16(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let users: serde_json::Value = client
        .post(format!("{base}/v1/users/fetch"))
        .bearer_auth(&read)
        .json(&serde_json::json!({"limit": 1}))
        .send()
        .await
        .expect("fetch")
        .json()
        .await
        .expect("json");
    assert_eq!(users["total"], 10_000);
    let products: serde_json::Value = client
        .get(format!("{base}/v1/products?limit=10"))
        .bearer_auth(&write)
        .send()
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    let types: Vec<&str> = products["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["type"].as_str()).collect())
        .unwrap_or_default();
    for t in ["admission", "presale", "perks"] {
        assert!(types.contains(&t), "{types:?}");
    }
    let status = client
        .post(format!("{base}/v1/products"))
        .bearer_auth(&read)
        .json(&serde_json::json!({"type": "perks", "name": "x"}))
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status.as_u16(), 403);

    // SIGTERM: the server drains and exits cleanly.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
}
