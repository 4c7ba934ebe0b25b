//! Wicket head office: the central API server. It speaks a MUFI-compatible Products
//! API under `/v1` (events, users, products, items, sales) plus W3Block-style admin
//! features and a PERS-style reward catalog, over a [`store::Store`] whose default
//! implementation is an embedded SQLite file. Every business decision is delegated
//! to `wicket_domain`; this crate parses, authorizes, persists and answers.
#![forbid(unsafe_code)]

pub mod api;
pub mod claim_page;
pub mod db;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod mint;
pub mod mint_store;
pub mod model;
pub mod openapi;
pub mod review;
pub mod sql;
pub mod staff_api;
pub mod storage;
pub mod store;
pub mod sync;
pub mod usecase;

use std::future::Future;
use std::sync::Arc;

use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use api::{AppState, router, served_routes};
pub use error::{Error, Result};
pub use sql::SqlStore;
pub use sql::companies::DEFAULT_COMPANY;
pub use store::Store;

/// Largest request body accepted (a 1500-user batch is well under this).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The full service: routes plus request logging and the body limit. `public_url`
/// is where the public reaches this server (claim links).
pub fn app(store: Arc<dyn Store>, public_url: &str) -> axum::Router {
    let state = AppState {
        store,
        public_url: Arc::from(public_url),
    };
    router(state.clone())
        .merge(sync::routes(state.clone()))
        .merge(health_routes(state))
        // After the routes: these layers see each request's matched route pattern.
        .route_layer(axum::middleware::from_fn(api::params::known_params))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::middleware::map_response(error::json_errors))
        // Outside json_errors: W3Block and PERS clients read the NestJS error body.
        .layer(axum::middleware::from_fn(api::nest::nest_paths))
        // One INFO line per request (method, path, status, latency); the defaults
        // log at DEBUG, which a box office operator would never see.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// Load balancer probes: `/healthz` (the process is up) and `/readyz` (its database
/// answers and carries this build's schema; 503 otherwise).
fn health_routes(state: AppState) -> axum::Router {
    use axum::routing::get;
    async fn healthz() -> axum::Json<serde_json::Value> {
        axum::Json(serde_json::json!({"status": "ok"}))
    }
    async fn readyz(
        axum::extract::State(s): axum::extract::State<AppState>,
    ) -> std::result::Result<axum::Json<serde_json::Value>, Error> {
        s.store.ready().await?;
        Ok(axum::Json(serde_json::json!({"status": "ready"})))
    }
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .with_state(state)
}

/// Serve on `listener` until `shutdown` resolves, then finish in-flight requests.
/// Links for the public point at the listening address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let url = format!("http://{}", listener.local_addr()?);
    serve_at(listener, store, &url, shutdown).await
}

/// [`serve`] with the public base URL given (`--public-url`).
pub async fn serve_at(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    public_url: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(store, public_url))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A public base URL as `--public-url` takes it: `http(s)://host[:port][/path]`.
pub fn validate_public_url(u: &str) -> Result<String> {
    let t = u.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::InvalidRequest(format!(
                "public URL {u:?} must start with http:// or https://"
            ))
        })?;
    if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidRequest(format!(
            "public URL {u:?} has no host"
        )));
    }
    Ok(t.to_string())
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler we can only wait for SIGTERM.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}
