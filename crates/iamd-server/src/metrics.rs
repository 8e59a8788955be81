//! Request figures per service, operation and outcome, and the metrics page that renders them with
//! the process-wide figures of [`iamd_metrics::GLOBAL`].
//!
//! Served at `/metrics` on the `--metrics-listen` listener ([`crate::metrics_router`]) and, in
//! dev mode only, at `/_iamd/metrics` on the API port. Labels are bounded: `service` is one of
//! iamd's services (for a request that failed authentication, the one it looks meant for),
//! `operation` an operation of that service's model, or `none` when the request failed before
//! its operation was known; `outcome` is `ok`, `client_error` (4xx) or `server_error` (5xx).

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iamd_api::Service;
use iamd_metrics::{Counter, Encoder, GLOBAL, Histogram};
use std::sync::Arc;
use std::time::Duration;

const OUTCOMES: [&str; 3] = ["ok", "client_error", "server_error"];
/// The `operation` label of a request that failed before its operation was known.
pub const NO_OPERATION: &str = "none";

#[derive(Default)]
struct OpStats {
    outcomes: [Counter; OUTCOMES.len()],
    latency: Histogram,
}

impl OpStats {
    fn used(&self) -> bool {
        self.outcomes.iter().any(|c| c.get() > 0)
    }
}

struct ServiceStats {
    service: Service,
    /// Indexed like `service.operations()`.
    ops: Box<[OpStats]>,
    /// ((address, length) of an operation's name in the model, its index), sorted: the pipeline
    /// hands over the model's own `&'static str`, so finding it takes integer compares only (the
    /// same address and length are the same bytes, hence the same name).
    by_address: Box<[((usize, usize), usize)]>,
    none: OpStats,
}

impl ServiceStats {
    fn slot(&self, operation: &str) -> &OpStats {
        if operation.is_empty() {
            return &self.none;
        }
        let address = (operation.as_ptr() as usize, operation.len());
        let index = match self.by_address.binary_search_by_key(&address, |(a, _)| *a) {
            Ok(i) => self.by_address.get(i).map(|(_, index)| *index),
            // The same name from elsewhere (not the model's string): look it up by name.
            Err(_) => self
                .service
                .operations()
                .binary_search_by(|o| o.name.cmp(operation))
                .ok(),
        };
        index.and_then(|i| self.ops.get(i)).unwrap_or(&self.none)
    }
}

/// Requests by service, operation and outcome, and their latency.
pub struct RequestMetrics {
    services: Box<[ServiceStats]>,
    /// Requests for a service iamd does not serve (answered in that service's protocol).
    pub unserved: Counter,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        RequestMetrics {
            services: Service::ALL
                .iter()
                .map(|&service| {
                    let mut by_address: Vec<((usize, usize), usize)> = service
                        .operations()
                        .iter()
                        .enumerate()
                        .map(|(i, o)| ((o.name.as_ptr() as usize, o.name.len()), i))
                        .collect();
                    by_address.sort_unstable();
                    ServiceStats {
                        service,
                        ops: service
                            .operations()
                            .iter()
                            .map(|_| OpStats::default())
                            .collect(),
                        by_address: by_address.into_boxed_slice(),
                        none: OpStats::default(),
                    }
                })
                .collect(),
            unserved: Counter::new(),
        }
    }
}

impl RequestMetrics {
    /// Counts one answered request. `operation` is a model operation name of `service`, or empty;
    /// a name the model does not know counts as `none`.
    pub fn record(&self, service: Service, operation: &str, status: u16, elapsed: Duration) {
        let Some(s) = self.services.iter().find(|s| s.service == service) else {
            return;
        };
        let slot = s.slot(operation);
        let outcome = match status {
            0..=399 => 0,
            400..=499 => 1,
            _ => 2,
        };
        if let Some(c) = slot.outcomes.get(outcome) {
            c.inc();
        }
        slot.latency.observe(elapsed);
    }

    /// Series of operations that have seen a request.
    fn used(&self) -> impl Iterator<Item = (&'static str, &'static str, &OpStats)> {
        self.services.iter().flat_map(|s| {
            let name = s.service.signing_name();
            s.service
                .operations()
                .iter()
                .map(|o| o.name)
                .zip(s.ops.iter())
                .chain(std::iter::once((NO_OPERATION, &s.none)))
                .filter(|(_, st)| st.used())
                .map(move |(op, st)| (name, op, st))
        })
    }

    fn encode(&self, e: &mut Encoder) {
        e.family(
            "iamd_requests_total",
            "AWS API requests answered, by service, operation and outcome (operation \"none\": failed before the operation was known).",
            "counter",
        );
        for (service, op, st) in self.used() {
            for (outcome, c) in OUTCOMES.iter().zip(&st.outcomes) {
                e.sample(
                    "iamd_requests_total",
                    &[
                        ("service", service),
                        ("operation", op),
                        ("outcome", outcome),
                    ],
                    c.get(),
                );
            }
        }
        e.family(
            "iamd_unserved_service_requests_total",
            "Requests signed for or aimed at a service iamd does not serve (EC2, SSM…), answered with an error in that service's protocol.",
            "counter",
        );
        e.sample(
            "iamd_unserved_service_requests_total",
            &[],
            self.unserved.get(),
        );
        e.family(
            "iamd_request_duration_seconds",
            "Time from a request's arrival (head read) to its response, by service and operation.",
            "histogram",
        );
        for (service, op, st) in self.used() {
            e.histogram(
                "iamd_request_duration_seconds",
                &[("service", service), ("operation", op)],
                &st.latency,
            );
        }
    }
}

/// The metrics page, in the Prometheus text format.
pub async fn render(state: &AppState) -> String {
    let size = state.keys.size();
    state
        .keys
        .stats
        .entries
        .set(i64::try_from(size.keys).unwrap_or(i64::MAX));
    // On a store shared by several nodes, how far this node is behind the database.
    let store_revision = if GLOBAL.node_applied_revision.get() >= 0 {
        let core = state.core.clone();
        tokio::task::spawn_blocking(move || core.store().revision().ok())
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let mut e = Encoder::new();
    e.family(
        "iamd_build_info",
        "Always 1; the labels say which iamd this is.",
        "gauge",
    );
    e.sample(
        "iamd_build_info",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("store", state.core.store().backend()),
            ("dev", if state.core.dev() { "true" } else { "false" }),
        ],
        1,
    );
    state.requests.encode(&mut e);
    GLOBAL.encode(&mut e);
    GLOBAL.encode_node(&mut e, store_revision);
    e.finish()
}

fn page(text: String) -> Response {
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(iamd_metrics::CONTENT_TYPE),
    );
    resp
}

/// `GET /metrics` on the metrics listener.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    page(render(&state).await)
}

/// `GET /_iamd/metrics` on the API port: dev mode only (the API port may be public; the metrics
/// listener is the production way).
pub async fn dev_metrics(State(state): State<Arc<AppState>>) -> Response {
    if !state.core.dev() {
        return crate::json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "not found: /_iamd/metrics exists only in --dev mode; use --metrics-listen"}),
        );
    }
    page(render(&state).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_count_under_model_names_only() {
        let m = RequestMetrics::default();
        let d = Duration::from_micros(300);
        m.record(Service::Sts, "GetCallerIdentity", 200, d);
        m.record(Service::Sts, "GetCallerIdentity", 403, d);
        m.record(Service::Iam, "", 403, d);
        // Not a model name: never a label of its own.
        m.record(Service::Iam, "NoSuchOperation\"x", 400, d);
        m.record(Service::SecretsManager, "GetSecretValue", 500, d);
        // The model's own string (found by address) and a copy (found by name) count alike.
        let model_name = Service::Sts
            .operation("GetCallerIdentity")
            .map(|o| o.name)
            .unwrap_or_default();
        let copy = String::from("GetCallerIdentity");
        m.record(Service::Sts, model_name, 200, d);
        m.record(Service::Sts, &copy, 200, d);
        let mut e = Encoder::new();
        m.encode(&mut e);
        let text = e.finish();
        for line in [
            "iamd_requests_total{service=\"sts\",operation=\"GetCallerIdentity\",outcome=\"ok\"} 3\n",
            "iamd_requests_total{service=\"sts\",operation=\"GetCallerIdentity\",outcome=\"client_error\"} 1\n",
            "iamd_requests_total{service=\"iam\",operation=\"none\",outcome=\"client_error\"} 2\n",
            "iamd_requests_total{service=\"secretsmanager\",operation=\"GetSecretValue\",outcome=\"server_error\"} 1\n",
            "iamd_request_duration_seconds_bucket{service=\"sts\",operation=\"GetCallerIdentity\",le=\"0.0005\"} 4\n",
            "iamd_request_duration_seconds_count{service=\"iam\",operation=\"none\"} 2\n",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(!text.contains("NoSuchOperation"), "{text}");
        assert!(
            !text.contains("CreateUser"),
            "unused operations are not listed"
        );
    }
}
