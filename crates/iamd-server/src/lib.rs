//! The HTTP side of iamd: one axum router, shared by `iamd serve` and the in-process tests.
//!
//! `/_iamd/*` are iamd's own endpoints; every other request is an AWS API call and goes through
//! [`pipeline`]: body limit → SigV4 authentication → decode → authorize and run → encode. A request
//! signed for a service iamd does not serve is answered first, in that service's protocol
//! ([`unserved`]).

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod conn;
mod keycache;
pub mod metrics;
pub mod origin;
pub mod pipeline;
pub mod tls;
pub mod unserved;

pub use keycache::KeyCacheSize;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iamd_service::Iamd;
use std::sync::Arc;

/// Largest request body accepted. IAM policy documents may be 131,072 characters, and form
/// encoding can triple that; Secrets Manager values are at most 65,536 bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct AppState {
    pub core: Arc<Iamd>,
    keys: keycache::KeyCache,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (`--trusted-proxy`).
    trusted_proxies: origin::TrustedProxies,
    /// Requests by service, operation and outcome.
    pub requests: metrics::RequestMetrics,
    /// The audit writer (`--audit on`, the default); `None`: no events.
    pub audit: Option<Arc<iamd_audit::Auditor>>,
}

impl AppState {
    pub fn new(core: Arc<Iamd>) -> Arc<Self> {
        Self::with_trusted_proxies(core, origin::TrustedProxies::default())
    }

    pub fn with_trusted_proxies(
        core: Arc<Iamd>,
        trusted_proxies: origin::TrustedProxies,
    ) -> Arc<Self> {
        Self::with_audit(core, trusted_proxies, None)
    }

    /// With an audit writer: every authenticated request's event goes to it.
    pub fn with_audit(
        core: Arc<Iamd>,
        trusted_proxies: origin::TrustedProxies,
        audit: Option<Arc<iamd_audit::Auditor>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            core,
            keys: keycache::KeyCache::default(),
            trusted_proxies,
            requests: metrics::RequestMetrics::default(),
            audit,
        })
    }

    /// What the signing-key cache holds (only keys that verified a request).
    pub fn signing_key_cache_size(&self) -> KeyCacheSize {
        self.keys.size()
    }
}

/// The whole HTTP surface.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/_iamd/health", get(health))
        .route("/_iamd/reset", post(reset))
        .route("/_iamd/metrics", get(metrics::dev_metrics))
        .route("/_iamd/clock", post(clock))
        .fallback(pipeline::handle)
        .with_state(state)
}

/// The metrics listener's surface (`--metrics-listen`): `GET /metrics` in the Prometheus text
/// format; nothing else.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .fallback(|| async {
            json(
                StatusCode::NOT_FOUND,
                serde_json::json!({"message": "not found: this listener serves GET /metrics only"}),
            )
        })
        .with_state(state)
}

/// Serves [`metrics_router`] on `listener` until the process ends (plain HTTP/1; meant for a
/// loopback or internal address that only the scraper reaches).
pub async fn serve_metrics(listener: tokio::net::TcpListener, state: Arc<AppState>) {
    if let Err(e) = axum::serve(listener, metrics_router(state)).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    let core = state.core.clone();
    let ok = tokio::task::spawn_blocking(move || core.store().revision().is_ok())
        .await
        .unwrap_or(false);
    if ok {
        json(
            StatusCode::OK,
            serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
        )
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable", "version": env!("CARGO_PKG_VERSION")}),
        )
    }
}

/// `--dev` only: `POST /_iamd/clock {"advance_seconds": N}` moves the clock of rotation
/// schedules N seconds ahead (or back) and wakes the scheduler, so a test sees a daily rotation
/// happen in seconds. Requests are still signed and checked against the real time. Answers
/// `{"now": <unix seconds of the schedules' clock>}`; `{}` only reads it.
async fn clock(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    if !state.core.dev() {
        return json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "not found: /_iamd/clock exists only in --dev mode"}),
        );
    }
    let advance = if body.is_empty() {
        Some(0)
    } else {
        serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| match v.get("advance_seconds") {
                None => Some(0),
                Some(n) => n.as_i64(),
            })
    };
    let Some(secs) = advance else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"message": "expected {\"advance_seconds\": <integer>}"}),
        );
    };
    let rotation = state.core.rotation();
    let now = rotation.advance_clock(secs);
    rotation.wake();
    tracing::info!(advance_seconds = secs, now, "dev clock moved");
    json(StatusCode::OK, serde_json::json!({"now": now}))
}

async fn reset(State(state): State<Arc<AppState>>) -> Response {
    if !state.core.dev() {
        return json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "not found: /_iamd/reset exists only in --dev mode"}),
        );
    }
    let core = state.core.clone();
    let res = tokio::task::spawn_blocking(move || core.reset()).await;
    state.keys.clear();
    match res {
        Ok(Ok(())) => {
            tracing::info!("dev reset: all state wiped");
            json(StatusCode::OK, serde_json::json!({"reset": true}))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dev reset failed");
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"message": "reset failed"}),
            )
        }
        Err(_) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"message": "reset failed"}),
        ),
    }
}
