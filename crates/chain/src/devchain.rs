//! A local Asset Hub runtime for tests and benches: starts
//! `scripts/chopsticks.sh` as a child process and drives chopsticks' dev RPCs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use subxt::rpcs::RpcClient;
use subxt::rpcs::client::RpcParams;

use crate::{AccountId, Error, Result, ss58_encode};

/// The workspace root (this crate lives in `crates/chain`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether chopsticks can be started. When it is not installed: under CI it is
/// installed now (minutes) and a failed install panics; otherwise this prints why
/// and returns `false` so the caller can skip.
pub fn available(test: &str) -> bool {
    let bin = repo_root().join("node_modules/.bin/chopsticks");
    if bin.exists() {
        return true;
    }
    if in_ci() {
        let status = std::process::Command::new("bash")
            .arg(repo_root().join("scripts/chopsticks.sh"))
            .arg("install")
            .status();
        // In CI a missing chain is a failure, never a silent skip.
        assert!(
            matches!(status, Ok(s) if s.success()) && bin.exists(),
            "{test}: CI is set but chopsticks could not be installed (scripts/chopsticks.sh install)"
        );
        return true;
    }
    eprintln!(
        "note: skipping {test}: chopsticks is not installed (run scripts/chopsticks.sh install, or set CI=true to install it automatically)"
    );
    false
}

/// A free TCP port on 127.0.0.1 (free when asked; the chain binds it shortly after).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Rpc(format!("no free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Rpc(format!("no free port: {e}")))
}

/// Options for [`DevChain::start`].
#[derive(Debug, Clone, Default)]
pub struct DevChainOptions {
    /// Port to listen on; a free one when `None`.
    pub port: Option<u16>,
    /// Accounts funded at genesis (planck), via chopsticks' `import-storage`.
    pub funds: Vec<(AccountId, u128)>,
    /// Keep blocks in this SQLite file and resume from it on restart.
    pub db: Option<PathBuf>,
    /// Where chopsticks' output goes (appended); discarded when `None`.
    pub log: Option<PathBuf>,
}

/// A running chopsticks process; killed on drop.
#[derive(Debug)]
pub struct DevChain {
    child: tokio::process::Child,
    /// `ws://127.0.0.1:<port>`
    pub url: String,
    pub port: u16,
}

impl DevChain {
    /// Start chopsticks and wait until its RPC answers (up to two minutes).
    pub async fn start(opts: DevChainOptions) -> Result<DevChain> {
        let port = match opts.port {
            Some(p) => p,
            None => free_port()?,
        };
        let root = repo_root();
        let mut cmd = tokio::process::Command::new("bash");
        cmd.arg(root.join("scripts/chopsticks.sh"))
            .arg("start")
            .arg("--port")
            .arg(port.to_string())
            .current_dir(&root)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (account, planck) in &opts.funds {
            cmd.arg("--fund")
                .arg(format!("{}={planck}", ss58_encode(&account.0, 42)));
        }
        if let Some(db) = &opts.db {
            cmd.arg("--db").arg(db);
        }
        match &opts.log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| Error::Rpc(format!("chopsticks log {}: {e}", path.display())))?;
                let f2 = f
                    .try_clone()
                    .map_err(|e| Error::Rpc(format!("chopsticks log: {e}")))?;
                cmd.stdout(Stdio::from(f)).stderr(Stdio::from(f2));
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let child = cmd
            .spawn()
            .map_err(|e| Error::Rpc(format!("cannot start scripts/chopsticks.sh: {e}")))?;
        let mut chain = DevChain {
            child,
            url: format!("ws://127.0.0.1:{port}"),
            port,
        };
        chain.wait_ready(Duration::from_secs(120)).await?;
        Ok(chain)
    }

    async fn wait_ready(&mut self, within: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::Unreachable {
                    url: self.url.clone(),
                    reason: format!("chopsticks exited with {status}"),
                });
            }
            if let Ok(rpc) = RpcClient::from_insecure_url(&self.url).await {
                let head: std::result::Result<serde_json::Value, _> =
                    rpc.request("chain_getHeader", RpcParams::new()).await;
                if head.is_ok() {
                    return Ok(());
                }
            }
            if started.elapsed() > within {
                return Err(Error::Unreachable {
                    url: self.url.clone(),
                    reason: format!("no answer within {} s", within.as_secs()),
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn rpc(&self, method: &str, params: RpcParams) -> Result<serde_json::Value> {
        let rpc = RpcClient::from_insecure_url(&self.url)
            .await
            .map_err(|e| Error::Rpc(e.to_string()))?;
        rpc.request(method, params)
            .await
            .map_err(|e| Error::Rpc(e.to_string()))
    }

    /// Set an account's free balance with `dev_setStorage` (builds a block). The
    /// whole `System.Account` entry is replaced, so the nonce goes back to 0: meant
    /// for accounts that have not sent transactions.
    pub async fn set_free_balance(&self, account: &AccountId, planck: u128) -> Result<()> {
        let storage = serde_json::json!({
            "System": { "Account": [[
                [ss58_encode(&account.0, 42)],
                { "providers": 1, "data": { "free": planck.to_string() } }
            ]]}
        });
        let mut p = RpcParams::new();
        p.push(storage).map_err(|e| Error::Rpc(e.to_string()))?;
        self.rpc("dev_setStorage", p).await?;
        Ok(())
    }

    /// Stop the process and wait for it to exit.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
