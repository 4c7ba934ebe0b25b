//! Prometheus metrics at `GET /metrics`: requests and latency by route, pushed ops
//! by status, the mint queue and the database pool. Process-wide, as Prometheus
//! expects: each head office process is scraped on its own.

use std::sync::LazyLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::api::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    sync_ops: IntCounterVec,
    mints: IntGaugeVec,
    pool_open: IntGauge,
    pool_idle: IntGauge,
}

// The definitions are constants: they fail only if a name here is malformed.
#[allow(clippy::expect_used)]
static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new(
            "wicket_http_requests_total",
            "HTTP requests by route and status",
        ),
        &["method", "route", "status"],
    )
    .expect("metric definition");
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "wicket_http_request_duration_seconds",
            "HTTP request latency by route",
        )
        .buckets(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]),
        &["method", "route"],
    )
    .expect("metric definition");
    let sync_ops = IntCounterVec::new(
        Opts::new(
            "wicket_sync_ops_total",
            "Pushed device ops by answer (applied, duplicate, conflict, rejected)",
        ),
        &["status"],
    )
    .expect("metric definition");
    let mints = IntGaugeVec::new(
        Opts::new("wicket_mint_queue", "NFT mint queue rows by state"),
        &["state"],
    )
    .expect("metric definition");
    let pool_open = IntGauge::new(
        "wicket_db_pool_connections",
        "Database connections this process holds",
    )
    .expect("metric definition");
    let pool_idle = IntGauge::new(
        "wicket_db_pool_idle_connections",
        "Database connections idle in the pool",
    )
    .expect("metric definition");
    for c in [
        Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(latency.clone()),
        Box::new(sync_ops.clone()),
        Box::new(mints.clone()),
        Box::new(pool_open.clone()),
        Box::new(pool_idle.clone()),
    ] {
        if let Err(e) = registry.register(c) {
            tracing::error!(%e, "metric not registered");
        }
    }
    Metrics {
        registry,
        requests,
        latency,
        sync_ops,
        mints,
        pool_open,
        pool_idle,
    }
});

/// Count one answer to a pushed op.
pub fn sync_op(status: &str) {
    METRICS.sync_ops.with_label_values(&[status]).inc();
}

/// Route layer: count and time every request by its route pattern (never the raw
/// path, which would make one series per item id).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    METRICS
        .requests
        .with_label_values(&[&method, &route, resp.status().as_str()])
        .inc();
    METRICS
        .latency
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render(State(st): State<AppState>) -> Response {
    match st.store.stats().await {
        Ok(s) => {
            METRICS.pool_open.set(i64::from(s.pool_open));
            METRICS.pool_idle.set(i64::from(s.pool_idle));
            for (state, n) in [
                ("pending", s.mints_pending),
                ("minted", s.mints_minted),
                ("failed", s.mints_failed),
            ] {
                METRICS
                    .mints
                    .with_label_values(&[state])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        Err(e) => tracing::warn!(%e, "metrics: store figures unavailable"),
    }
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&METRICS.registry.gather(), &mut out) {
        return crate::Error::Storage(format!("metrics: {e}")).into_response();
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        String::from_utf8_lossy(&out).into_owned(),
    )
        .into_response()
}
