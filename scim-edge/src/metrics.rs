//! Prometheus metrics of scim-edge (prometheus-client, the Prometheus
//! project's own Rust client): one registry, every series registered here,
//! served as text on `--metrics-listen` by [`serve`]. Labels take values
//! from small fixed sets (HTTP method, the route *template*, status class),
//! never tenant ids, user ids or raw paths.
//!
//! To add a series: a field on [`Metrics`], registered in [`Metrics::new`],
//! updated where it happens through [`metrics()`].

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (`/scim/v2/Users/{id}`), or `unmatched`.
    pub route: String,
    /// `2xx`, `4xx`, ...
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

/// Every series scim-edge exports.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(telemetry::LATENCY_BUCKETS)
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("scim_edge");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            http_duration.clone(),
        );
        Self { registry, http_requests, http_duration }
    }

    /// Counts an answered request.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
            _ => "other",
        }
        .to_owned();
        let status = format!("{}xx", status / 100);
        let route = route.to_owned();
        self.http_requests.get_or_create(&HttpLabels { method: method.clone(), route: route.clone(), status }).inc();
        self.http_duration.get_or_create(&RouteLabels { method, route }).observe(elapsed.as_secs_f64());
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::warn!("cannot encode metrics");
        }
        out
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Serves `GET /metrics` on `listener` (for as long as the process runs).
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    telemetry::serve_metrics(listener, || metrics().encode()).await
}
