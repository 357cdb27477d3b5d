//! identity-core: owns tenants, credentials, users, groups and memberships,
//! and serves them over gRPC (`identity.v1`). The only crate that touches
//! SQL (in [`store`]).

pub mod admin;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod schema_file;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

pub use store::Store;

/// What `serve` adds around identity.v1.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Serve gRPC server reflection (`grpc.reflection.v1`), so `grpcurl`
    /// lists and describes the API without .proto files.
    pub reflection: bool,
    /// Per-tenant limits, the call timeout and the header cap (see [`limits`]).
    pub limits: config::LimitsConfig,
    /// Serve over TLS with this configuration (see
    /// `identity_tls::ServerTls::server_config`, with ALPN h2); plaintext
    /// when `None`.
    pub tls: Option<Arc<identity_tls::ServerConfig>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self { reflection: true, limits: config::LimitsConfig::default(), tls: None }
    }
}

/// Serves identity.v1 on `listener` until `shutdown` resolves, then finishes
/// the calls in flight.
pub async fn run(listener: TcpListener, store: Store, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    run_with(listener, store, ServeOptions::default(), shutdown).await
}

/// [`run`] with explicit options: identity.v1, `grpc.health.v1` (following
/// database reachability, see [`health`]) and, unless turned off, reflection.
pub async fn run_with(
    listener: TcpListener,
    store: Store,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let probe = health::spawn_probe(store.clone(), reporter.clone());
    let limiter = Arc::new(limits::Limiter::new(store.clone(), limits::Limits::defaults(&options.limits)));
    let mut routes = grpc::routes(store).add_service(health_service);
    if options.reflection {
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        routes = routes.add_service(reflection);
    }
    let draining = async {
        shutdown.await;
        probe.abort();
        health::shut_down(reporter).await;
    };
    let server = tonic::transport::Server::builder()
        // Honoured together with the caller's grpc-timeout (the shorter wins).
        .timeout(options.limits.request_timeout())
        .http2_max_header_list_size(options.limits.max_header_bytes)
        .layer(observe::ObserveLayer)
        .layer(limits::LimitLayer::new(limiter))
        .add_routes(routes);
    let served = match options.tls {
        // TCP_NODELAY: a reply's last HTTP/2 frame otherwise waits ~40 ms
        // for the peer's delayed ACK (Nagle).
        None => {
            server.serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), draining).await
        }
        // The same, after each connection's TLS handshake (TCP_NODELAY set
        // by the listener).
        Some(tls) => {
            let incoming = identity_tls::TlsListener::new(listener, tls)?.incoming();
            server.serve_with_incoming_shutdown(incoming, draining).await
        }
    };
    probe.abort();
    served?;
    Ok(())
}
