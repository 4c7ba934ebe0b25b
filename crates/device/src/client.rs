//! The HTTP client of head office's sync routes (`wicket_protocol` types on the
//! wire, gzip both ways, bytes counted) and the sync error type.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use uuid::Uuid;
use wicket_domain::Allotment;
use wicket_protocol::{
    AllotRequest, EnrollRequest, EnrollResponse, ErrorBody, OpResult, PROTOCOL_VERSION,
    PullResponse, PushRequest, PushResponse, ReleaseResponse, WireOp,
};

use crate::error::DeviceError;

/// Why a sync step failed; `code()` is stable.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this device is not enrolled with a head office (run `wicket enroll`)")]
    NotEnrolled,
    #[error("head office unreachable: {0}")]
    Network(String),
    #[error("head office answered {status}: {message}")]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    #[error("unexpected answer from head office: {0}")]
    Protocol(String),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("background task failed: {0}")]
    Task(String),
}

impl SyncError {
    pub fn code(&self) -> &str {
        match self {
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::Network(_) => "offline",
            SyncError::Http { code, .. } => code,
            SyncError::Protocol(_) => "protocol",
            SyncError::Device(d) => d.code(),
            SyncError::Task(_) => "task",
        }
    }

    /// Worth retrying later: the network, a server error, a cut response.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Network(_) | SyncError::Protocol(_) | SyncError::Task(_) => true,
            SyncError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Device(DeviceError::Db(e))
    }
}

pub(crate) type SResult<T> = std::result::Result<T, SyncError>;

/// Bytes a client sent and received on the wire (HTTP bodies, as transmitted).
#[derive(Debug, Default)]
pub struct WireBytes {
    pub sent: AtomicU64,
    pub received: AtomicU64,
}

/// HTTP client for head office's sync endpoints. Bodies are gzip-compressed both
/// ways when `gzip` is on; it counts the bytes it moves.
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    credential: Option<String>,
    gzip: bool,
    pub bytes: WireBytes,
}

impl SyncClient {
    pub fn new(base: &str, credential: Option<String>) -> SResult<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Ok(SyncClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            credential,
            gzip: true,
            bytes: WireBytes::default(),
        })
    }

    pub fn set_gzip(&mut self, on: bool) {
        self.gzip = on;
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> SResult<T> {
        self.call_as(method, path, body, None).await
    }

    /// A request with this device's credential and, for management, a staff token.
    async fn call_as<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
        staff_token: Option<&str>,
    ) -> SResult<T> {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.credential {
            rb = rb.bearer_auth(c);
        }
        if let Some(t) = staff_token {
            rb = rb.header(wicket_protocol::STAFF_TOKEN_HEADER, t);
        }
        if self.gzip {
            rb = rb.header(reqwest::header::ACCEPT_ENCODING, "gzip");
        }
        // Head office's API routes (management) take plain JSON, as MUFI clients send
        // it; only the sync routes decompress.
        let gzip_body = self.gzip && staff_token.is_none();
        if let Some(b) = body {
            let json = serde_json::to_vec(b).map_err(|e| SyncError::Protocol(e.to_string()))?;
            let bytes = if gzip_body {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&json)
                    .and_then(|_| enc.finish())
                    .map_err(|e| SyncError::Protocol(e.to_string()))?
            } else {
                json
            };
            self.bytes
                .sent
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
            if gzip_body {
                rb = rb.header(reqwest::header::CONTENT_ENCODING, "gzip");
            }
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        let status = resp.status();
        let gz = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let raw = resp
            .bytes()
            .await
            .map_err(|e| SyncError::Network(format!("response cut: {e}")))?;
        self.bytes
            .received
            .fetch_add(raw.len() as u64, Ordering::Relaxed);
        let body = if gz {
            let mut out = Vec::with_capacity(raw.len() * 8);
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|e| SyncError::Protocol(format!("bad gzip body: {e}")))?;
            out
        } else {
            raw.to_vec()
        };
        if !status.is_success() {
            let first = serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .and_then(|b| b.errors.into_iter().next())
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            let code = first.split(':').next().unwrap_or("http").trim().to_string();
            return Err(SyncError::Http {
                status: status.as_u16(),
                code,
                message: first,
            });
        }
        // An empty answer (204) reads as JSON null.
        let body: &[u8] = if body.is_empty() { b"null" } else { &body };
        serde_json::from_slice(body).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// Sign a staff member in at head office (their PIN checked there).
    pub async fn staff_token(
        &self,
        req: &wicket_protocol::StaffTokenRequest,
    ) -> SResult<wicket_protocol::StaffToken> {
        self.call(reqwest::Method::POST, "/v1/sync/staff-token", Some(req))
            .await
    }

    /// A management request to head office's API as a signed-in staff member.
    pub async fn manage(
        &self,
        staff_token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> SResult<serde_json::Value> {
        self.call_as(method, path, body, Some(staff_token)).await
    }

    pub async fn enroll(
        &self,
        code: &str,
        name: &str,
        public_key: &str,
        device_id: Uuid,
    ) -> SResult<EnrollResponse> {
        self.call(
            reqwest::Method::POST,
            "/v1/devices/enroll",
            Some(&EnrollRequest {
                code: code.to_string(),
                name: name.to_string(),
                public_key: public_key.to_string(),
                device_id: Some(device_id),
                protocol_version: Some(PROTOCOL_VERSION),
            }),
        )
        .await
    }

    pub async fn push(&self, ops: Vec<WireOp>) -> SResult<(Vec<WireOp>, Vec<OpResult>)> {
        let req = PushRequest {
            protocol_version: Some(PROTOCOL_VERSION),
            ops,
        };
        let out: PushResponse = self
            .call(reqwest::Method::POST, "/v1/sync/push", Some(&req))
            .await?;
        Ok((req.ops, out.results))
    }

    /// A page of changes after `since`. `pending` (the uploads still waiting) goes
    /// with it so an admin sees each device's backlog and app version.
    pub async fn pull(
        &self,
        since: i64,
        limit: u32,
        count: bool,
        pending: Option<u64>,
    ) -> SResult<PullResponse> {
        let report = pending.map_or(String::new(), |p| {
            format!("&pending={p}&app={}", env!("CARGO_PKG_VERSION"))
        });
        self.call(
            reqwest::Method::GET,
            &format!("/v1/sync/pull?since={since}&limit={limit}&count={count}{report}"),
            None::<&()>,
        )
        .await
    }

    pub async fn allot(
        &self,
        product: Uuid,
        units: u64,
        ttl_secs: Option<i64>,
    ) -> SResult<Allotment> {
        self.call(
            reqwest::Method::POST,
            "/v1/sync/allotments",
            Some(&AllotRequest {
                product_id: product,
                units,
                ttl_secs,
            }),
        )
        .await
    }

    /// A refund through head office, given back at this device.
    pub async fn refund(
        &self,
        req: &wicket_protocol::RefundRequest,
    ) -> SResult<wicket_domain::Refund> {
        self.call(reqwest::Method::POST, "/v1/sync/refunds", Some(req))
            .await
    }

    pub async fn release(&self, id: Uuid) -> SResult<u64> {
        let out: ReleaseResponse = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/sync/allotments/{id}/release"),
                Some(&serde_json::json!({})),
            )
            .await?;
        Ok(out.returned_units)
    }
}
