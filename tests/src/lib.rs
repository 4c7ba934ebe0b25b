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
