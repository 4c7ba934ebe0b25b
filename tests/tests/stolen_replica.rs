//! A stolen laptop (issue 17): after `wicket demo` and a sync with head office,
//! neither the replica file nor its WAL holds a customer's email or name, or the
//! device's signing key, in clear; and the file does not open without its key.

use std::sync::{Arc, Mutex};

use serde_json::json;
use wicket_device::sync::{self, SyncEngine};
use wicket_device::{Replica, vault};
use wicket_tests::start_ho;

fn bytes_of(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_replica_gives_away_no_names_emails_or_keys() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("door.db");

    // The CLI's demo fills the replica (customers like "olivia.0@example.com").
    let out = wicket_tests::wicket(&db, &["demo", "--customers", "50"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Head office's customers arrive through a real enrollment and sync.
    let (st, v) = ho
        .post(
            "/v1/users/create",
            json!([{"email": "secret.guest@example.com", "firstName": "Zebulon", "lastName": "Quartermaine"}]),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let code = ho.enrollment_code().await;
    let shared = Arc::new(Mutex::new(Replica::open(&db).expect("reopen")));
    sync::enroll(&shared, &ho.base, &code, "door")
        .await
        .expect("enroll");
    let engine = SyncEngine::new(Arc::clone(&shared)).await.expect("engine");
    engine.sync_once(|_, _| {}).await.expect("sync");

    // What the replica holds, read through its key: the proof the needles are there.
    let key = vault::key_for(&db).expect("key");
    let (demo_email, signing_hex) = {
        let r = shared.lock().expect("lock");
        assert_eq!(r.key_source().map(|k| k.as_str()), Some("key_file"));
        let c = vault::open_encrypted(&db, &key).expect("keyed open");
        let email: String = c
            .query_row(
                "SELECT email FROM customers ORDER BY email LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("a demo customer");
        let synced: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM customers WHERE email = 'secret.guest@example.com'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(synced, 1, "the synced customer is in the replica");
        let signing: String = c
            .query_row(
                "SELECT value FROM meta WHERE key = 'signing_key'",
                [],
                |r| r.get(0),
            )
            .expect("signing key");
        (email, signing)
    };
    let raw_key = hex::decode(&signing_hex).expect("hex");

    // On disk, while the app still has it open (WAL not yet checkpointed) and after.
    let wal = dir.path().join("door.db-wal");
    let needles: [&[u8]; 6] = [
        demo_email.as_bytes(),
        b"secret.guest@example.com",
        b"Zebulon",
        b"Quartermaine",
        signing_hex.as_bytes(),
        raw_key.as_slice(),
    ];
    let check = |phase: &str| {
        for (name, hay) in [("file", bytes_of(&db)), ("wal", bytes_of(&wal))] {
            assert!(
                !contains(&hay, b"SQLite format 3"),
                "{phase}: {name} is plain SQLite"
            );
            for needle in needles {
                assert!(
                    !contains(&hay, needle),
                    "{phase}: the {name} holds {:?} in clear",
                    String::from_utf8_lossy(needle)
                );
            }
        }
    };
    check("open");
    drop(engine);
    drop(shared);
    check("closed");

    // Without the key: a clear error, never the data.
    let plain = rusqlite::Connection::open(&db).expect("open the bytes");
    let e = plain
        .query_row("SELECT COUNT(*) FROM customers", [], |r| r.get::<_, i64>(0))
        .expect_err("no key, no data");
    assert!(e.to_string().contains("not a database"), "{e}");
    let other_dir = tempfile::tempdir().expect("tmp");
    let wrong = vault::key_for(&other_dir.path().join("x.db")).expect("another key");
    match Replica::open_with_key(&db, &wrong) {
        Err(e) => assert_eq!(e.code(), "replica_locked", "{e}"),
        Ok(_) => panic!("a wrong key opened the replica"),
    }
    // The fallback key file is for this user only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(vault::key_file_of(&db))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
