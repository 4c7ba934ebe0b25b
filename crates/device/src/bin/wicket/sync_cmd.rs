//! `wicket enroll`, `wicket sync` and `wicket status`: the replica and head office.

use std::sync::{Arc, Mutex};

use wicket_device::{Replica, sync};

use crate::args::{Cli, Cmd};
use crate::{print, runtime};

pub fn run(cli: &Cli, r: Replica) -> anyhow::Result<()> {
    match &cli.cmd {
        Cmd::Enroll { url, code, name } => {
            let name = name
                .clone()
                .unwrap_or_else(|| format!("wicket-{}", &r.device_id().simple().to_string()[24..]));
            let shared = Arc::new(Mutex::new(r));
            let id = runtime()?.block_on(sync::enroll(&shared, url, code, &name))?;
            print(
                cli.json,
                &serde_json::json!({"device_id": id, "url": url}),
                || println!("enrolled as {name} ({id}) with {url}"),
            )?;
        }
        Cmd::Sync { no_gzip } => {
            let shared = Arc::new(Mutex::new(r));
            let rt = runtime()?;
            let started = std::time::Instant::now();
            let json = cli.json;
            let (pushed, pulled, sent, received) = rt.block_on(async {
                let mut engine = sync::SyncEngine::new(shared).await?;
                engine.set_gzip(!*no_gzip);
                let (pushed, pulled) = engine
                    .sync_once(|done, total| {
                        if !json {
                            eprint!("\rpull {done}/{total} changes");
                        }
                    })
                    .await?;
                let b = &engine.client().bytes;
                anyhow::Ok((
                    pushed,
                    pulled,
                    b.sent.load(std::sync::atomic::Ordering::Relaxed),
                    b.received.load(std::sync::atomic::Ordering::Relaxed),
                ))
            })?;
            print(
                cli.json,
                &serde_json::json!({"push": pushed, "pull": pulled, "bytes_sent": sent, "bytes_received": received}),
                || {
                    eprintln!();
                    println!(
                        "pushed {} op(s): {} applied, {} duplicate, {} conflict, {} rejected; \
                         pulled {} change(s) in {} page(s), cursor {}; {sent} B up, {received} B down in {:.2?}",
                        pushed.sent,
                        pushed.applied,
                        pushed.duplicate,
                        pushed.conflict,
                        pushed.rejected,
                        pulled.changes,
                        pulled.pages,
                        pulled.cursor,
                        started.elapsed()
                    )
                },
            )?;
        }
        Cmd::Status => {
            let st = r.sync_status()?;
            let conflicts = r.sync_conflicts()?;
            let allots = r.allotments()?;
            let url = r.sync_config()?.map(|c| c.0);
            print(
                cli.json,
                &serde_json::json!({"status": st, "headoffice": url, "conflicts": conflicts, "allotments": allots}),
                || {
                    println!("device {}", r.device_id());
                    println!("head office: {}", url.as_deref().unwrap_or("not enrolled"));
                    println!("pending operations: {}", st.pending_ops);
                    println!(
                        "last sync: {}",
                        st.last_sync
                            .map_or("never".to_string(), |t| format!("{t} (unix)"))
                    );
                    println!("pull cursor: {}", st.cursor);
                    println!("conflicts: {}", st.conflicts);
                    for c in &conflicts {
                        println!(
                            "  [{}] {} {} item {}: {}",
                            c.source,
                            c.code,
                            c.kind,
                            c.item.map_or("-".to_string(), |i| i.to_string()),
                            c.detail
                        );
                    }
                    for a in &allots {
                        println!(
                            "allotment {} product {}: {}/{} left, item ids {}..{}, expires {}",
                            a.id,
                            a.product_id,
                            a.units_left(),
                            a.units,
                            a.first_item_id,
                            a.end_item_id(),
                            a.expires_at
                        );
                    }
                },
            )?;
        }
        _ => {}
    }
    Ok(())
}
