//! Doors on the venue network share what they admit, with no internet and no
//! head office: each device serves its own facts (`/peer/v1/facts`), sends every
//! new one to each peer at once, and asks each peer for what it missed, so a
//! ticket admitted at one door is refused at the others within a tick, and peers
//! that were cut off converge when they meet again. Messages are signed by the
//! sender's enrolled device key; a message that does not verify changes nothing.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;
use wicket_domain::Timestamp;
use wicket_protocol::{PEER_PREFIX, PeerAck, SignedPeerMessage};

use crate::peer::{Heard, PeerRefusal};
use crate::sync::SharedReplica;

/// How often a door sends new facts to its peers (and how late a refusal can be).
pub const DEFAULT_TICK: Duration = Duration::from_millis(200);
/// Every this many ticks a door also asks each peer for what it missed.
const PULL_EVERY: u64 = 10;
/// A peer not heard from for this long shows as disconnected.
const CONNECTED_FOR: i64 = 5;
/// Facts are re-read this many seconds back (same-second facts are filtered by id).
const OVERLAP: i64 = 2;

/// One peer as the Sync screen shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct PeerStatus {
    pub url: String,
    /// Learned from its first answer.
    pub device_id: Option<Uuid>,
    pub connected: bool,
    pub last_contact: Option<Timestamp>,
    pub last_error: Option<String>,
    /// This door's facts the peer has not acknowledged yet.
    pub behind: u64,
    /// Facts heard from it (new to this door).
    pub heard: u64,
    /// Found on the network (mDNS) rather than configured.
    pub discovered: bool,
}

struct Peer {
    url: String,
    discovered: bool,
    device_id: Option<Uuid>,
    /// Own facts it has acknowledged at or after `push_from`.
    acked: HashSet<Uuid>,
    push_from: Timestamp,
    /// Its facts are asked for from here.
    pull_from: Timestamp,
    last_contact: Option<Timestamp>,
    last_error: Option<String>,
    behind: u64,
    heard: u64,
    /// An exchange with it is under way.
    busy: bool,
}

/// The peer network of one device.
pub struct Lan {
    replica: SharedReplica,
    peers: Mutex<Vec<Peer>>,
    client: reqwest::Client,
    tick: Duration,
    me: Uuid,
}

fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub use crate::peer::peer_url;

async fn blocking<T: Send + 'static>(
    replica: &SharedReplica,
    f: impl FnOnce(&mut crate::Replica) -> crate::Result<T> + Send + 'static,
) -> Result<T, String> {
    let r = Arc::clone(replica);
    tokio::task::spawn_blocking(move || {
        let mut g = r.lock().map_err(|_| "replica lock poisoned".to_string())?;
        f(&mut g).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

impl Lan {
    pub fn new(replica: SharedReplica, tick: Duration) -> crate::Result<Arc<Self>> {
        let me = replica
            .lock()
            .map_err(|_| crate::DeviceError::Invalid("replica lock poisoned".into()))?
            .device_id();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(800))
            .timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| crate::DeviceError::Invalid(e.to_string()))?;
        Ok(Arc::new(Lan {
            replica,
            peers: Mutex::new(Vec::new()),
            client,
            tick,
            me,
        }))
    }

    fn peers(&self) -> std::sync::MutexGuard<'_, Vec<Peer>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Add a peer (configured, or `discovered` on the network); false when it is
    /// already known.
    pub fn add_peer(&self, url: &str, discovered: bool) -> Result<bool, String> {
        let url = peer_url(url)?;
        let mut peers = self.peers();
        if peers.iter().any(|p| p.url == url) {
            return Ok(false);
        }
        let start = now() - 7 * 86_400;
        peers.push(Peer {
            url,
            discovered,
            device_id: None,
            acked: HashSet::new(),
            push_from: start,
            pull_from: start,
            last_contact: None,
            last_error: None,
            behind: 0,
            heard: 0,
            busy: false,
        });
        Ok(true)
    }

    /// Make the configured (not discovered) peers exactly `urls`.
    pub fn set_configured(&self, urls: &[String]) -> Result<(), String> {
        let wanted: Vec<String> = urls.iter().map(|u| peer_url(u)).collect::<Result<_, _>>()?;
        self.peers()
            .retain(|p| p.discovered || wanted.contains(&p.url));
        for u in &wanted {
            self.add_peer(u, false)?;
        }
        Ok(())
    }

    pub fn status(&self) -> Vec<PeerStatus> {
        let t = now();
        self.peers()
            .iter()
            .map(|p| PeerStatus {
                url: p.url.clone(),
                device_id: p.device_id,
                connected: p.last_contact.is_some_and(|c| t - c <= CONNECTED_FOR)
                    && p.last_error.is_none(),
                last_contact: p.last_contact,
                last_error: p.last_error.clone(),
                behind: p.behind,
                heard: p.heard,
                discovered: p.discovered,
            })
            .collect()
    }

    /// Serve the peer routes on `addr`; answers the address bound (port 0 picks one).
    pub async fn serve(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = Router::new()
            .route(
                &format!("{PEER_PREFIX}/facts"),
                axum::routing::post(receive),
            )
            .route(&format!("{PEER_PREFIX}/ask"), axum::routing::post(answer))
            .route(&format!("{PEER_PREFIX}/status"), axum::routing::get(status))
            .layer(axum::extract::DefaultBodyLimit::max(8 << 20))
            .with_state(Arc::clone(self));
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "peer service stopped");
            }
        });
        tracing::info!(%bound, "peer service listening");
        Ok(bound)
    }

    /// Exchange facts with every peer each tick until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut n: u64 = 0;
        loop {
            self.round(n.is_multiple_of(PULL_EVERY));
            n += 1;
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = stop.changed() => {
                    if *stop.borrow() { return; }
                }
            }
        }
    }

    /// Start an exchange with each peer not still busy with the last one: a slow or
    /// unreachable door never holds up the others.
    pub fn round(self: &Arc<Self>, pull: bool) {
        let idle: Vec<String> = self
            .peers()
            .iter_mut()
            .filter(|p| !p.busy)
            .map(|p| {
                p.busy = true;
                p.url.clone()
            })
            .collect();
        for url in idle {
            let lan = Arc::clone(self);
            tokio::spawn(async move {
                lan.push(&url).await;
                if pull {
                    lan.pull(&url).await;
                }
                lan.note(&url, |p| p.busy = false);
            });
        }
    }

    fn note(&self, url: &str, f: impl FnOnce(&mut Peer)) {
        if let Some(p) = self.peers().iter_mut().find(|p| p.url == url) {
            f(p);
        }
    }

    fn failed(&self, url: &str, e: String) {
        self.note(url, |p| {
            if p.last_error.as_deref() != Some(e.as_str()) {
                tracing::debug!(peer = %url, error = %e, "peer unreachable");
            }
            p.last_error = Some(e);
        });
    }

    /// Send this door's facts the peer has not acknowledged.
    async fn push(&self, url: &str) {
        let Some((from, acked)) = self
            .peers()
            .iter()
            .find(|p| p.url == url)
            .map(|p| (p.push_from, p.acked.clone()))
        else {
            return;
        };
        let facts = blocking(&self.replica, move |r| r.own_facts_since(from - OVERLAP)).await;
        let mut facts = match facts {
            Ok(f) => f,
            Err(e) => return self.failed(url, e),
        };
        facts.redemptions.retain(|r| !acked.contains(&r.id));
        facts.passages.retain(|p| !acked.contains(&p.id));
        facts.refunds.retain(|r| !acked.contains(&r.id));
        let ids: Vec<(Uuid, Timestamp)> = facts
            .redemptions
            .iter()
            .map(|r| (r.id, r.redeemed_at))
            .chain(facts.passages.iter().map(|p| (p.id, p.at)))
            .chain(facts.refunds.iter().map(|r| (r.id, r.created_at)))
            .collect();
        self.note(url, |p| p.behind = ids.len() as u64);
        if ids.is_empty() {
            return;
        }
        let msg = match blocking(&self.replica, move |r| r.sign_peer(&facts)).await {
            Ok(m) => m,
            Err(e) => return self.failed(url, e),
        };
        let sent = self
            .client
            .post(format!("{url}{PEER_PREFIX}/facts"))
            .json(&msg)
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => {
                let ack = resp.json::<PeerAck>().await.ok();
                let t = now();
                self.note(url, |p| {
                    p.last_contact = Some(t);
                    p.last_error = None;
                    p.behind = 0;
                    if let Some(a) = ack {
                        p.device_id = Some(a.device_id);
                    }
                    let newest = ids.iter().map(|(_, at)| *at).max().unwrap_or(p.push_from);
                    p.acked.extend(ids.iter().map(|(id, _)| *id));
                    if newest > p.push_from {
                        p.push_from = newest;
                    }
                    // Only facts inside the re-read window can come round again.
                    if p.acked.len() > 50_000 {
                        p.acked.clear();
                    }
                });
            }
            Ok(resp) => {
                let st = resp.status();
                let text = resp.text().await.unwrap_or_default();
                self.failed(
                    url,
                    format!("{st}: {}", text.chars().take(200).collect::<String>()),
                );
            }
            Err(e) => self.failed(url, e.to_string()),
        }
    }

    /// Ask the peer for its own facts since the last heard from it.
    async fn pull(&self, url: &str) {
        let Some(from) = self
            .peers()
            .iter()
            .find(|p| p.url == url)
            .map(|p| p.pull_from)
        else {
            return;
        };
        let ask = match blocking(&self.replica, move |r| r.sign_ask(from)).await {
            Ok(a) => a,
            Err(e) => return self.failed(url, e),
        };
        let got = self
            .client
            .post(format!("{url}{PEER_PREFIX}/ask"))
            .json(&ask)
            .send()
            .await;
        let msg = match got {
            Ok(resp) if resp.status().is_success() => {
                match resp.json::<SignedPeerMessage>().await {
                    Ok(m) => m,
                    Err(e) => return self.failed(url, format!("unreadable answer: {e}")),
                }
            }
            Ok(resp) => return self.failed(url, format!("{}", resp.status())),
            Err(e) => return self.failed(url, e.to_string()),
        };
        match blocking(&self.replica, move |r| r.hear(&msg)).await {
            Ok(Ok(h)) => self.heard(url, h),
            Ok(Err(refused)) => {
                tracing::warn!(peer = %url, code = refused.code(), %refused, "peer answer dropped");
                self.failed(url, format!("{}: {refused}", refused.code()));
            }
            Err(e) => self.failed(url, e),
        }
    }

    fn heard(&self, url: &str, h: Heard) {
        let t = now();
        self.note(url, |p| {
            p.device_id = Some(h.from);
            p.last_contact = Some(t);
            p.last_error = None;
            p.heard += h.redemptions + h.passages + h.refunds;
            if let Some(latest) = h.latest {
                p.pull_from = p.pull_from.max(latest - OVERLAP);
            }
        });
    }

    /// The peer this door knows by device id, if its answers named it.
    fn peer_of(&self, device: Uuid) -> Option<String> {
        self.peers()
            .iter()
            .find(|p| p.device_id == Some(device))
            .map(|p| p.url.clone())
    }
}

#[derive(Serialize)]
struct PeerError {
    code: &'static str,
    message: String,
}

fn refused(status: StatusCode, code: &'static str, message: String) -> Response {
    (status, Json(PeerError { code, message })).into_response()
}

/// `POST /peer/v1/facts`: a peer's signed facts.
async fn receive(State(lan): State<Arc<Lan>>, Json(msg): Json<SignedPeerMessage>) -> Response {
    match blocking(&lan.replica, move |r| r.hear(&msg)).await {
        Ok(Ok(h)) => {
            if let Some(url) = lan.peer_of(h.from) {
                lan.heard(&url, h);
            }
            Json(PeerAck {
                new: h.redemptions + h.passages + h.refunds,
                device_id: lan.me,
            })
            .into_response()
        }
        Ok(Err(r)) => {
            tracing::warn!(code = r.code(), refused = %r, "peer message dropped");
            let status = match r {
                PeerRefusal::Malformed(_) | PeerRefusal::NotTheSenders => StatusCode::BAD_REQUEST,
                _ => StatusCode::FORBIDDEN,
            };
            refused(status, r.code(), r.to_string())
        }
        Err(e) => refused(StatusCode::SERVICE_UNAVAILABLE, "peer_busy", e),
    }
}

/// `GET /peer/v1/status`: this door's peers, for `wicket peers` on the same machine
/// (other callers get 403: the list is nobody else's business).
async fn status(
    State(lan): State<Arc<Lan>>,
    axum::extract::ConnectInfo(from): axum::extract::ConnectInfo<SocketAddr>,
) -> Response {
    if !from.ip().is_loopback() {
        return refused(
            StatusCode::FORBIDDEN,
            "peer_status_local_only",
            "peer status is answered on this machine only".into(),
        );
    }
    Json(LanStatus {
        device_id: lan.me,
        peers: lan.status(),
    })
    .into_response()
}

/// A door and its peers.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LanStatus {
    pub device_id: Uuid,
    pub peers: Vec<PeerStatus>,
}

/// `POST /peer/v1/ask`: a door of this venue asks for this door's own facts, signed.
async fn answer(State(lan): State<Arc<Lan>>, Json(ask): Json<SignedPeerMessage>) -> Response {
    let signed = blocking(&lan.replica, move |r| {
        Ok(match r.check_ask(&ask)? {
            Ok(a) => {
                let f = r.own_facts_since(a.since)?;
                Ok(r.sign_peer(&f)?)
            }
            Err(refusal) => Err(refusal),
        })
    })
    .await;
    match signed {
        Ok(Ok(m)) => Json(m).into_response(),
        Ok(Err(r)) => {
            tracing::warn!(code = r.code(), refused = %r, "peer request dropped");
            refused(StatusCode::FORBIDDEN, r.code(), r.to_string())
        }
        Err(e) => refused(StatusCode::SERVICE_UNAVAILABLE, "peer_busy", e),
    }
}

/// This venue as doors name it on the network: head office's key id (hex), so
/// doors of another venue on the same network are not even tried.
fn venue_of(replica: &SharedReplica) -> Option<String> {
    let r = replica.lock().ok()?;
    r.headoffice_key_id().ok().flatten()
}

/// Announce this door with mDNS/DNS-SD and add every door of the same venue found
/// on the network as a peer, until `stop`. Loopback is used only when
/// `WICKET_MDNS_LOOPBACK=1` (a test on one machine). Failures are logged: a network
/// that blocks multicast still has the static peer list.
pub fn discover(lan: &Arc<Lan>, bound: SocketAddr, mut stop: watch::Receiver<bool>) {
    use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent, ServiceInfo};
    use wicket_protocol::PEER_SERVICE;

    let daemon = match ServiceDaemon::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "mDNS unavailable: only configured peers");
            return;
        }
    };
    if std::env::var("WICKET_MDNS_LOOPBACK").as_deref() == Ok("1") {
        let _ = daemon.enable_interface(IfKind::LoopbackV4);
    }
    let venue = venue_of(&lan.replica).unwrap_or_else(|| "none".into());
    let me = lan.me.to_string();
    let instance = me.replace('-', "");
    let props = [("device", me.as_str()), ("venue", venue.as_str())];
    let info = ServiceInfo::new(
        PEER_SERVICE,
        &instance,
        &format!("wicket-{}.local.", &instance[..12]),
        (),
        bound.port(),
        &props[..],
    )
    .map(ServiceInfo::enable_addr_auto);
    match info.and_then(|i| daemon.register(i)) {
        Ok(()) => tracing::info!(port = bound.port(), "announced on mDNS"),
        Err(e) => tracing::warn!(error = %e, "mDNS announce failed"),
    }
    let events = match daemon.browse(PEER_SERVICE) {
        Ok(rx) => rx,
        Err(e) => {
            tracing::warn!(error = %e, "mDNS browse failed");
            return;
        }
    };
    let lan = Arc::clone(lan);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                ev = events.recv_async() => match ev {
                    Ok(ServiceEvent::ServiceResolved(info)) => {
                        let theirs = info.get_property_val_str("device").unwrap_or_default();
                        let same = info.get_property_val_str("venue") == Some(venue.as_str());
                        if theirs == me || !same {
                            continue;
                        }
                        let port = info.get_port();
                        for ip in info.get_addresses().iter().filter(|a| a.is_ipv4()) {
                            let url = format!("http://{ip}:{port}");
                            if let Ok(true) = lan.add_peer(&url, true) {
                                tracing::info!(peer = %url, device = theirs, "door found on the network");
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                },
                _ = stop.changed() => {
                    if *stop.borrow() {
                        let _ = daemon.shutdown();
                        return;
                    }
                }
            }
        }
    });
}
