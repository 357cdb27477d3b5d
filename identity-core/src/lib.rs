//! identity-core: owns tenants, credentials, users, groups and memberships,
//! and serves them over gRPC (`identity.v1`). The only crate that touches
//! SQL (in [`store`]).

pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod schema_file;
pub mod store;

use std::future::Future;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

pub use store::Store;

/// Serves identity.v1 on `listener` until `shutdown` resolves, then finishes
/// the calls in flight.
pub async fn run(listener: TcpListener, store: Store, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    // TCP_NODELAY: a reply's last HTTP/2 frame otherwise waits ~40 ms for
    // the peer's delayed ACK (Nagle).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_routes(grpc::routes(store))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
