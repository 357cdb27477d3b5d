//! The `scim-edge` binary.

use std::future::Future;
use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use scim_edge::{BASE_PATH, Config};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let config = Config::parse();
    let shutdown = shutdown_signal()?;
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(core = %config.core_url, "scim-edge listening on http://{addr}{BASE_PATH}");
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
