//! Prometheus metrics of identity-core (prometheus-client, the Prometheus
//! project's own Rust client): one registry, every series registered here,
//! served as text on `--metrics-listen` by [`serve`]. Labels take values
//! from small fixed sets (gRPC method paths of our own services, status
//! codes, retry causes), never tenant or user ids.
//!
//! To add a series: a field on [`Metrics`], registered in [`Metrics::new`],
//! updated where it happens through [`metrics()`].

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sea_orm::DbBackend;
use tokio::net::TcpListener;

use crate::store::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcLabels {
    /// `/package.Service/Method` of a known service, else `other`.
    pub method: String,
    /// The gRPC status code name (`OK`, `NOT_FOUND`, ...).
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RetryLabels {
    /// `deadlock` (MySQL 1213, also Galera certification), `lock_wait_timeout`
    /// (1205), `busy` (SQLite BUSY / LOCKED) or `conflict` (a lost
    /// optimistic race the store detected itself).
    pub cause: String,
}

/// Every series identity-core exports.
pub struct Metrics {
    registry: Registry,
    pub grpc_calls: Family<GrpcLabels, Counter>,
    pub grpc_duration: Family<MethodLabels, Histogram, fn() -> Histogram>,
    pub tx_retries: Family<RetryLabels, Counter>,
    /// Statements sent to the database (BEGIN and COMMIT included).
    db_statements: Counter,
    /// Statements one gRPC call sent, by method.
    grpc_statements: Family<MethodLabels, Histogram, fn() -> Histogram>,
    pool_in_use: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    pool_waiting: Gauge,
}

fn latency_histogram() -> Histogram {
    Histogram::new(telemetry::LATENCY_BUCKETS)
}

fn statements_histogram() -> Histogram {
    Histogram::new([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 50.0, 100.0])
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("identity_core");
        let m = Self {
            grpc_calls: Family::default(),
            grpc_duration: Family::new_with_constructor(latency_histogram),
            tx_retries: Family::default(),
            db_statements: Counter::default(),
            grpc_statements: Family::new_with_constructor(statements_histogram),
            pool_in_use: Gauge::default(),
            pool_idle: Gauge::default(),
            pool_max: Gauge::default(),
            pool_waiting: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("grpc_calls", "gRPC calls served, by method and status code", m.grpc_calls.clone());
        registry.register(
            "grpc_call_duration_seconds",
            "Time to answer a gRPC call, by method",
            m.grpc_duration.clone(),
        );
        registry.register(
            "db_transaction_retries",
            "Transactions started over because the database asked for it, by cause",
            m.tx_retries.clone(),
        );
        registry.register(
            "db_statements",
            "Statements sent to the database, BEGIN and COMMIT included",
            m.db_statements.clone(),
        );
        registry.register(
            "grpc_call_statements",
            "Statements one gRPC call sent to the database, by method",
            m.grpc_statements.clone(),
        );
        registry.register("db_pool_connections_in_use", "Database connections lent out", m.pool_in_use.clone());
        registry.register("db_pool_connections_idle", "Open database connections not in use", m.pool_idle.clone());
        registry.register("db_pool_connections_max", "Largest number of database connections", m.pool_max.clone());
        registry.register(
            "db_pool_waiting",
            "Transactions waiting to begin: for a pooled connection, or on SQLite for the single writer slot \
             (single-statement reads wait inside the pool, which does not count them)",
            m.pool_waiting.clone(),
        );
        Self { registry, ..m }
    }

    /// Counts a retried transaction.
    pub fn retry(&self, cause: &'static str) {
        self.tx_retries.get_or_create(&RetryLabels { cause: cause.to_owned() }).inc();
    }

    /// Counts a finished gRPC call.
    pub fn grpc_call(&self, method: &str, code: tonic::Code, elapsed: Duration, statements: u64) {
        let method = known_method(method).to_owned();
        self.grpc_calls.get_or_create(&GrpcLabels { method: method.clone(), code: code_name(code).to_owned() }).inc();
        self.grpc_duration.get_or_create(&MethodLabels { method: method.clone() }).observe(elapsed.as_secs_f64());
        #[allow(clippy::cast_precision_loss)]
        self.grpc_statements.get_or_create(&MethodLabels { method }).observe(statements as f64);
    }

    /// The text exposition, with the pool gauges read now.
    pub fn encode(&self, store: &Store) -> String {
        let (size, idle, max) = pool_state(store);
        self.pool_in_use.set(i64::from(size.saturating_sub(idle)));
        self.pool_idle.set(i64::from(idle));
        self.pool_max.set(i64::from(max));
        self.pool_waiting.set(i64::try_from(store.waiting_for_connection()).unwrap_or(i64::MAX));
        self.db_statements.inc_by(store.statements().saturating_sub(self.db_statements.get()));
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::warn!("cannot encode metrics");
        }
        out
    }
}

/// (open, idle, max) connections of the store's pool.
fn pool_state(store: &Store) -> (u32, u32, u32) {
    let conn = store.conn();
    match store.backend() {
        DbBackend::MySql => {
            let pool = conn.get_mysql_connection_pool();
            (pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX), pool.options().get_max_connections())
        }
        DbBackend::Sqlite => {
            let pool = conn.get_sqlite_connection_pool();
            (pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX), pool.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}

/// The method path when it belongs to a service we serve, else `other`
/// (clients choose paths: the label set must stay bounded).
fn known_method(path: &str) -> &str {
    const SERVICES: [&str; 4] =
        ["/identity.v1.", "/grpc.health.v1.", "/grpc.reflection.v1.", "/grpc.reflection.v1alpha."];
    let plausible = path.len() <= 96 && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._".contains(&b));
    if plausible && SERVICES.iter().any(|s| path.starts_with(s)) { path } else { "other" }
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Serves `GET /metrics` on `listener` (for as long as the process runs).
pub async fn serve(listener: TcpListener, store: Store) -> std::io::Result<()> {
    telemetry::serve_metrics(listener, move || metrics().encode(&store)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_method_paths_share_one_label_value() {
        assert_eq!(known_method("/identity.v1.UserService/CreateUser"), "/identity.v1.UserService/CreateUser");
        assert_eq!(known_method("/evil.Service/x"), "other");
        assert_eq!(known_method("/identity.v1.UserService/\u{0}"), "other");
    }
}
