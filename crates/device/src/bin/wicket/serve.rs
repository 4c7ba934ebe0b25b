//! `wicket serve`: what the app runs in the background, without the UI — the sync
//! engine with head office and the peer service — until Ctrl-C or SIGTERM.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wicket_device::lan::Lan;
use wicket_device::{Replica, sync};

use crate::args::{Cli, Cmd};

/// How often the headless device syncs with head office (as the app does).
const SYNC_INTERVAL: Duration = Duration::from_secs(5);

pub fn run(cli: &Cli, r: Replica) -> anyhow::Result<()> {
    let Cmd::Serve {
        lan_listen,
        peers,
        no_discovery,
        tick_ms,
    } = &cli.cmd
    else {
        return Ok(());
    };
    let enrolled = r.sync_config()?.is_some();
    let stored = r.lan_peers()?;
    let shared = Arc::new(Mutex::new(r));
    crate::runtime()?.block_on(async {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        if enrolled {
            let engine = Arc::new(sync::SyncEngine::new(Arc::clone(&shared)).await?);
            tokio::spawn(engine.run(SYNC_INTERVAL, stop_rx.clone()));
        } else {
            eprintln!("not enrolled: no head office sync, peers only");
        }
        let lan = Lan::new(Arc::clone(&shared), Duration::from_millis(*tick_ms))?;
        for p in peers.iter().chain(&stored) {
            lan.add_peer(p, false).map_err(anyhow::Error::msg)?;
        }
        let bound = lan.serve(*lan_listen).await?;
        if !*no_discovery {
            wicket_device::lan::discover(&lan, bound, stop_rx.clone());
        }
        // The address on stdout, first line, for scripts that asked for port 0.
        println!("peer service on http://{bound}");
        tokio::spawn(Arc::clone(&lan).run(stop_rx));
        shutdown().await;
        let _ = stop_tx.send(true);
        eprintln!("stopped");
        anyhow::Ok(())
    })
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// `wicket peers`: ask the local peer service for its peers.
pub fn peers(cli: &Cli) -> anyhow::Result<()> {
    let Cmd::Peers { at } = &cli.cmd else {
        return Ok(());
    };
    let url = wicket_device::lan::peer_url(at).map_err(anyhow::Error::msg)?;
    let st: wicket_device::lan::LanStatus = crate::runtime()?.block_on(async {
        let resp = reqwest::get(format!("{url}{}/status", wicket_protocol::PEER_PREFIX)).await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "{url} answered {}",
            resp.status()
        );
        anyhow::Ok(resp.json().await?)
    })?;
    crate::print(cli.json, &st, || {
        println!("device {}", st.device_id);
        if st.peers.is_empty() {
            println!("no peers yet");
        }
        for p in &st.peers {
            println!(
                "{} {} {}{} heard {} behind {}{}",
                if p.connected {
                    "connected   "
                } else {
                    "disconnected"
                },
                p.url,
                p.device_id.map_or("?".to_string(), |d| d.to_string()),
                if p.discovered { " (found by mDNS)" } else { "" },
                p.heard,
                p.behind,
                p.last_error
                    .as_ref()
                    .map_or(String::new(), |e| format!(" — {e}")),
            );
        }
    })
}
