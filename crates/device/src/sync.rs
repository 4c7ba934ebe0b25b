//! Sync with head office (DESIGN.md §4): enrollment, push of the outbox (ops deleted
//! only once head office has answered for them, in one transaction), pull of the
//! change sequence page by page (each page and the cursor in one transaction), stock
//! allotments for offline sales, and a background loop that finds out by itself
//! whether head office is reachable, retries with exponential backoff and jitter,
//! and publishes its status on a `tokio::sync::watch` channel. The engine reaches
//! the replica only through `Replica` methods; it writes no SQL of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;
use wicket_domain::Allotment;

use crate::client::SResult;
pub use crate::client::{SyncClient, SyncError, WireBytes};
pub use crate::outbox::PushSummary;
use crate::replica::Replica;
pub use crate::sync_state::{ConflictRecord, ItemKey, PullSummary, SyncStatus, checksum_items};

fn corrupt(e: impl std::fmt::Display) -> crate::DeviceError {
    crate::DeviceError::Corrupt(e.to_string())
}

/// The replica shared between the UI (or CLI) and the sync engine.
pub type SharedReplica = Arc<Mutex<Replica>>;

/// Operations per push request.
pub const PUSH_BATCH: usize = 1_000;
/// Changes per pull page.
pub const PULL_PAGE: u32 = 5_000;

// ------------------------------------------------------------------ engine

/// Run `f` on the replica on the blocking pool.
async fn with_replica<T, F>(replica: &SharedReplica, f: F) -> SResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Replica) -> crate::Result<T> + Send + 'static,
{
    let r = Arc::clone(replica);
    tokio::task::spawn_blocking(move || {
        let mut guard = r
            .lock()
            .map_err(|_| SyncError::Task("replica lock poisoned".into()))?;
        f(&mut guard).map_err(SyncError::from)
    })
    .await
    .map_err(|e| SyncError::Task(e.to_string()))?
}

/// Enroll this device with head office using a one-time code: stores head office's
/// URL and the device credential in `meta`, and trusts head office's ticket key.
pub async fn enroll(replica: &SharedReplica, url: &str, code: &str, name: &str) -> SResult<Uuid> {
    let (device_id, pk) = with_replica(replica, |r| {
        Ok((r.device_id(), hex::encode(r.public_key().to_bytes())))
    })
    .await?;
    let client = SyncClient::new(url, None)?;
    let out = client.enroll(code, name, &pk, device_id).await?;
    if out.device_id != device_id {
        return Err(SyncError::Protocol(format!(
            "head office enrolled device {} instead of {device_id}",
            out.device_id
        )));
    }
    let url = url.trim_end_matches('/').to_string();
    with_replica(replica, move |r| {
        let bytes: [u8; 32] = hex::decode(&out.headoffice_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt("head office key is not 32 hex bytes"))?;
        let key = wicket_ticket::VerifyingKey::from_bytes(&bytes).map_err(corrupt)?;
        r.set_enrollment(&url, &out.credential)?;
        r.trust_key(&key, "headoffice")?;
        Ok(())
    })
    .await?;
    tracing::info!(%device_id, "enrolled with head office");
    Ok(device_id)
}

/// The sync engine of one replica.
pub struct SyncEngine {
    replica: SharedReplica,
    client: SyncClient,
    status: watch::Sender<SyncStatus>,
    round: tokio::sync::Mutex<()>,
    /// One top-up at a time: a second one then sees the first's allotments.
    topping_up: tokio::sync::Mutex<()>,
    pub push_batch: usize,
    pub pull_page: u32,
    /// Units of each product on sale that [`SyncEngine::run`] keeps reserved for
    /// offline sales after every good round (0: none, the default).
    pub allot_units: u64,
}

impl SyncEngine {
    /// An engine for an enrolled replica.
    pub async fn new(replica: SharedReplica) -> SResult<Self> {
        let (cfg, st) =
            with_replica(&replica, |r| Ok((r.sync_config()?, r.sync_status()?))).await?;
        let (url, cred) = cfg.ok_or(SyncError::NotEnrolled)?;
        let (status, _) = watch::channel(st);
        Ok(SyncEngine {
            replica,
            client: SyncClient::new(&url, Some(cred))?,
            status,
            round: tokio::sync::Mutex::new(()),
            topping_up: tokio::sync::Mutex::new(()),
            push_batch: PUSH_BATCH,
            pull_page: PULL_PAGE,
            allot_units: 0,
        })
    }

    pub fn set_gzip(&mut self, on: bool) {
        self.client.set_gzip(on);
    }

    pub fn client(&self) -> &SyncClient {
        &self.client
    }

    pub fn replica(&self) -> &SharedReplica {
        &self.replica
    }

    /// Status updates for the UI.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    fn update(&self, f: impl FnOnce(&mut SyncStatus)) {
        self.status.send_modify(f);
    }

    async fn refresh_local(&self) -> SResult<()> {
        let st = with_replica(&self.replica, |r| r.sync_status()).await?;
        self.update(|s| {
            s.enrolled = st.enrolled;
            s.pending_ops = st.pending_ops;
            s.last_sync = st.last_sync;
            s.cursor = st.cursor;
            s.conflicts = st.conflicts;
        });
        Ok(())
    }

    fn note<T>(&self, r: SResult<T>) -> SResult<T> {
        match &r {
            Ok(_) => self.update(|s| {
                s.online = true;
                s.last_error = None;
            }),
            Err(e) => {
                let transient = e.is_transient();
                let msg = format!("{}: {e}", e.code());
                self.update(|s| {
                    if transient {
                        s.online = false;
                    }
                    s.last_error = Some(msg);
                });
            }
        }
        r
    }

    /// Upload the whole outbox, batch by batch.
    pub async fn push(&self) -> SResult<PushSummary> {
        let mut total = PushSummary::default();
        loop {
            let n = self.push_batch;
            let batch = with_replica(&self.replica, move |r| r.outbox_batch(n)).await?;
            if batch.is_empty() {
                break;
            }
            let (batch, results) = self.note(self.client.push(batch).await)?;
            if results.len() != batch.len() {
                return Err(SyncError::Protocol(format!(
                    "{} answers for {} ops",
                    results.len(),
                    batch.len()
                )));
            }
            let s = with_replica(&self.replica, move |r| r.settle(&batch, &results)).await?;
            total.sent += s.sent;
            total.applied += s.applied;
            total.duplicate += s.duplicate;
            total.conflict += s.conflict;
            total.rejected += s.rejected;
            total.unknown += s.unknown;
            // Ops head office answered with a status this version does not know
            // stay queued; stop here rather than resend the same batch at once.
            if s.unknown > 0 {
                break;
            }
            self.refresh_local().await?;
        }
        Ok(total)
    }

    /// Pull every change since the cursor, page by page.
    pub async fn pull(&self, progress: impl Fn(u64, u64)) -> SResult<PullSummary> {
        let (mut cursor, pending) =
            with_replica(&self.replica, |r| Ok((r.pull_cursor()?, r.outbox_len()?))).await?;
        let mut sum = PullSummary {
            cursor,
            ..PullSummary::default()
        };
        let mut page = self.note(
            self.client
                .pull(cursor, self.pull_page, true, Some(pending))
                .await,
        )?;
        let total = page.remaining.unwrap_or(0);
        loop {
            let n = page.changes.len() as u64;
            let more = page.more && n > 0;
            let next = page.next;
            let apply = async {
                if n == 0 {
                    return Ok(());
                }
                let page = Arc::new(page);
                with_replica(&self.replica, move |r| r.apply_pull_page(&page))
                    .await
                    .map(|_| ())
            };
            // Fetch the next page while this one is written: head office and the
            // device's SQLite then work at the same time. The cursor only moves once
            // a page is committed, so a failure on either side loses nothing.
            let fetched = if more {
                let (applied, fetched) =
                    tokio::join!(apply, self.client.pull(next, self.pull_page, false, None));
                applied?;
                Some(fetched)
            } else {
                apply.await?;
                None
            };
            cursor = next;
            sum.pages += 1;
            sum.changes += n;
            sum.cursor = cursor;
            let done = sum.changes;
            self.update(|s| {
                s.pull_done = done;
                s.pull_total = total.max(done);
                s.cursor = cursor;
            });
            progress(done, total.max(done));
            match fetched {
                Some(f) => page = self.note(f)?,
                None => break,
            }
        }
        Ok(sum)
    }

    /// One round: push, then pull; records the time of the last successful sync.
    pub async fn sync_once(
        &self,
        progress: impl Fn(u64, u64),
    ) -> SResult<(PushSummary, PullSummary)> {
        let _one = self.round.lock().await;
        self.update(|s| s.syncing = true);
        let r = async {
            let pushed = self.push().await?;
            let pulled = self.pull(progress).await?;
            with_replica(&self.replica, |r| r.mark_synced()).await?;
            Ok((pushed, pulled))
        }
        .await;
        self.update(|s| s.syncing = false);
        self.refresh_local().await?;
        r
    }

    /// Reserve `units` of a product for offline sales (needs head office).
    pub async fn reserve(
        &self,
        product: Uuid,
        units: u64,
        ttl_secs: Option<i64>,
    ) -> SResult<Allotment> {
        let a = self.note(self.client.allot(product, units, ttl_secs).await)?;
        with_replica(&self.replica, move |r| r.store_allotment(&a)).await?;
        Ok(a)
    }

    /// Refund an order another device sold, through head office (online only): the
    /// signed-in staff member's role is checked here and there, a cash refund needs
    /// this device's open drawer, and the refund is kept here at once (the pull
    /// brings the same one back, once).
    pub async fn refund_online(
        &self,
        order: &str,
        items: &[u64],
        reason: &str,
    ) -> SResult<wicket_domain::Refund> {
        let order_key = order.to_string();
        let staff_id =
            with_replica(&self.replica, move |r| r.check_online_refund(&order_key)).await?;
        let req = wicket_protocol::RefundRequest {
            order: order.to_string(),
            items: items.to_vec(),
            reason: reason.to_string(),
            staff_id,
        };
        let refund = self.note(self.client.refund(&req).await)?;
        let kept = refund.clone();
        with_replica(&self.replica, move |r| r.keep_refund(&kept)).await?;
        Ok(refund)
    }

    /// Keep stock to sell offline: for every product on sale whose live allotments
    /// hold fewer than half of `units` unsold, reserve `units` more (no more than head
    /// office has left, as far as this replica knows). A product head office refuses
    /// is logged and tried again next time; the answer is the units granted.
    pub async fn top_up_allotments(&self, units: u64) -> SResult<u64> {
        if units == 0 {
            return Ok(0);
        }
        let _one = self.topping_up.lock().await;
        let wanted = with_replica(&self.replica, move |r| {
            let now = r.now();
            let mut out = Vec::new();
            for (p, c) in r.products()? {
                if wicket_domain::check_available(&p, now).is_err() {
                    continue;
                }
                let left = r.allotment_units_left(p.id)?;
                if left >= units.div_ceil(2) {
                    continue;
                }
                let ask = p
                    .issue_cap()
                    .map_or(units, |cap| units.min(cap.saturating_sub(c.issued)));
                if ask > 0 {
                    out.push((p.id, ask));
                }
            }
            Ok(out)
        })
        .await?;
        let mut granted = 0;
        for (product, n) in wanted {
            match self.reserve(product, n, None).await {
                Ok(a) => granted += a.units,
                Err(e) => {
                    tracing::warn!(%product, code = e.code(), error = %e, "could not reserve stock for offline sales");
                }
            }
        }
        Ok(granted)
    }

    /// Give an allotment's unused units back: first push what was sold from it, then
    /// stop using it locally, then tell head office.
    pub async fn release(&self, id: Uuid) -> SResult<u64> {
        let _one = self.round.lock().await;
        self.push().await?;
        with_replica(&self.replica, move |r| r.stop_allotment(id)).await?;
        self.note(self.client.release(id).await)
    }

    /// Sync in the background until `shutdown` turns true: a round every `interval`
    /// while head office answers; after a failure, exponential backoff with jitter.
    pub async fn run(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        use backon::BackoffBuilder;
        let new_backoff = || {
            backon::ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(60))
                .with_jitter()
                .without_max_times()
                .build()
        };
        let mut backoff = new_backoff();
        loop {
            let wait = match self.sync_once(|_, _| {}).await {
                Ok((pushed, pulled)) => {
                    tracing::debug!(?pushed, ?pulled, "sync round done");
                    if let Err(e) = self.top_up_allotments(self.allot_units).await {
                        tracing::warn!(code = e.code(), error = %e, "allotment top-up failed");
                    }
                    backoff = new_backoff();
                    interval
                }
                Err(e) => {
                    let wait = backoff.next().unwrap_or(Duration::from_secs(60));
                    tracing::warn!(code = e.code(), error = %e, ?wait, "sync round failed");
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                r = shutdown.changed() => {
                    if r.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    }
}
