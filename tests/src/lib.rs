//! Harness of Wicket's cross-part tests: a real head office (in-process or as a
//! child process) on 127.0.0.1 over the store `WICKET_TEST_BACKEND` names (a SQLite
//! file by default, or PostgreSQL), and real device replicas enrolled
//! with it. The tests themselves are under `tests/`.
#![forbid(unsafe_code)]

mod harness;

pub use harness::*;

/// A binary of the workspace (`wicket`, `wicket-headoffice`), built by
/// `cargo test --workspace` next to this test's own executable.
pub fn bin(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target profile directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (it builds every binary)",
        path.display()
    );
    path
}

/// `wicket --db DB`, with no staff or PIN from the caller's environment.
pub fn wicket_command(db: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin("wicket"));
    cmd.arg("--db")
        .arg(db)
        .env_remove("WICKET_STAFF")
        .env_remove("WICKET_PIN");
    cmd
}

/// `wicket --db DB ARGS...`, run to the end.
pub fn wicket(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    wicket_command(db).args(args).output().expect("run wicket")
}
