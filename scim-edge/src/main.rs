//! The `scim-edge` binary.

use std::future::Future;

use anyhow::Context;
use clap::Parser;
use scim_edge::{BASE_PATH, Config};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _telemetry = telemetry::init("scim-edge", config.log_format, "info")?;
    // Bad TLS flags or files stop the edge here, before it listens.
    let https = scim_edge::tls::server(&config)?.is_some();
    scim_edge::tls::to_core(&config)?;
    let shutdown = shutdown_signal()?;
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    if let Some(addr) = &config.metrics_listen {
        let metrics = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!(addr = %metrics.local_addr()?, "metrics listening");
        tokio::spawn(async move {
            if let Err(e) = scim_edge::metrics::serve(metrics).await {
                tracing::error!(error = %e, "metrics listener failed");
            }
        });
    }
    let addr = listener.local_addr()?;
    let scheme = if https { "https" } else { "http" };
    tracing::info!(core = %config.core_url, "scim-edge listening on {scheme}://{addr}{BASE_PATH}");
    scim_edge::run(listener, config, shutdown).await?;
    tracing::info!("scim-edge stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed by this call,
/// before the service announces itself, so a signal that arrives right
/// after the "listening" line still stops it gracefully.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutdown signal received, finishing requests in flight");
    })
}
