//! What the CLI tests share: running the `wicket` binary on a replica.

use std::process::{Command, Output};

/// `wicket --db DB`, with no staff or PIN from the caller's environment.
pub fn command(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wicket"));
    cmd.arg("--db")
        .arg(db)
        .env_remove("WICKET_STAFF")
        .env_remove("WICKET_PIN");
    cmd
}

/// `wicket --db DB ARGS...`, run to the end.
pub fn wicket(db: &std::path::Path, args: &[&str]) -> Output {
    command(db).args(args).output().expect("run wicket")
}
