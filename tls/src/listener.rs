//! [`TlsListener`]: TCP accepted on one task, each TLS handshake on a task
//! of its own (bounded by [`HANDSHAKE_TIMEOUT`]), so a slow or silent
//! client never holds up the others. Finished streams come out of
//! [`TlsListener::incoming`] (a stream, what tonic's server takes) or its
//! `axum::serve::Listener` implementation (what `axum::serve` takes, so the
//! edge keeps axum's own connection handling and graceful shutdown).
//!
//! Every accepted socket gets TCP_NODELAY, as on the plaintext path.
//! Failed handshakes (a plaintext client, a client certificate the CA did
//! not sign) are logged at warn with the peer address; a connection closed
//! before saying anything (a TCP probe) only at debug. Dropping the
//! listener stops accepting and closes the socket.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
pub use tokio_rustls::server::TlsStream;

/// Longest time a client has to finish its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for the server to take them.
const QUEUE: usize = 128;

/// A TLS listener over a bound TCP listener.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `listener` with `config`. Needs a Tokio runtime.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(QUEUE);
        let accepting = tokio::spawn(accept(listener, TlsAcceptor::from(config), tx));
        Ok(Self { ready, local, accepting })
    }

    /// The finished TLS connections, as tonic's `serve_with_incoming` wants them.
    pub fn incoming(self) -> impl Stream<Item = io::Result<TlsStream<TcpStream>>> + Send + 'static {
        futures_util::stream::unfold(self, |mut me| async move {
            let (tls, _) = me.ready.recv().await?;
            Some((Ok(tls), me))
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(next) => next,
            // The accept task ended (it only does on panic): accept no more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept(listener: TcpListener, acceptor: TlsAcceptor, ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: pause, as axum does.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
        let (acceptor, ready) = (acceptor.clone(), ready.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                // A TCP probe (connect, close) is no failure worth a warning.
                Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    tracing::debug!(%peer, "connection closed before the TLS handshake")
                }
                Ok(Err(e)) => tracing::warn!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
            }
        });
    }
}
