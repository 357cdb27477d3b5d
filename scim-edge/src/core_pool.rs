//! The edge's way to identity-core replicas: one or more `--core-url`s
//! (comma-separated); host names are resolved again every
//! `--core-resolve-secs`, so a DNS name with several addresses (a headless
//! Kubernetes Service) names every replica. Calls are balanced by tower's
//! power-of-two-choices balancer (least pending requests) across the
//! replicas that are up, each over its own HTTP/2 connection (keep-alive
//! pings, redialled when it breaks).
//!
//! A replica is in the balancer while its `grpc.health.v1` Watch stream
//! says SERVING. It leaves the moment the stream says NOT_SERVING
//! (draining, or its database is gone) or breaks (the process died), and
//! also the moment a call to it fails in transport: that call answers
//! UNAVAILABLE only after the replica is out, so the caller's next request
//! goes elsewhere. It is dialled again every [`REDIAL`]. With no replica up,
//! calls fail at once with UNAVAILABLE (503 + Retry-After at the edge).
//!
//! An `https://` URL is dialled over TLS (see `crate::tls`), with the URL's
//! host as the name the certificate must carry (RFC 6125), whichever
//! address it resolved to.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::body::Body;
use tonic::codegen::StdError;
use tonic::codegen::http::{Request, Response, Uri};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tower::Service;
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::Change;
use tower::load::{CompleteOnResponse, PendingRequests};

/// Pause before dialling a replica again after its health stream broke.
pub const REDIAL: Duration = Duration::from_secs(1);
/// Connect timeout to one replica.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// HTTP/2 keep-alive: a ping this often, the connection dropped when one
/// is not answered in [`KEEPALIVE_TIMEOUT`] (a replica gone without a FIN).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Calls queued in front of the balancer.
const BUFFER: usize = 1024;

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;
type Discovered = Result<Change<SocketAddr, PendingRequests<Replica>>, Infallible>;
type Changes = mpsc::UnboundedSender<Discovered>;
type Balanced = Balance<UnboundedReceiverStream<Discovered>, Request<Body>>;

/// The configured targets: each a URL whose host is resolved.
#[derive(Debug, Clone)]
struct Target {
    uri: Uri,
    host_port: String,
    /// For `https://`: TLS settings naming the URL's host.
    tls: Option<ClientTlsConfig>,
}

/// Parses `--core-url`: one or more `http://host:port` or
/// `https://host:port`, comma-separated. `tls` (`--core-ca`, a client
/// certificate) is for the `https://` ones; without it they trust the
/// webpki roots.
fn targets(core_url: &str, tls: Option<&ClientTlsConfig>) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for url in core_url.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let uri: Uri = url.parse().map_err(|e| anyhow::anyhow!("--core-url {url:?}: {e}"))?;
        let host = uri.host().ok_or_else(|| anyhow::anyhow!("--core-url {url:?} has no host"))?;
        let (port, tls) = match uri.scheme_str() {
            Some("http") => (uri.port_u16().unwrap_or(80), None),
            Some("https") => {
                let tls = tls.cloned().unwrap_or_else(|| identity_client::tls_config(None, None));
                // An IPv6 host is bracketed in the URL, not in the name checked.
                let name = host.trim_start_matches('[').trim_end_matches(']');
                let tls = tls.domain_name(name);
                // Bad PEM shows here, at start, rather than on every dial.
                Endpoint::from_static("https://localhost")
                    .tls_config(tls.clone())
                    .map_err(|e| anyhow::anyhow!("--core-url {url:?}: TLS settings: {e}"))?;
                (uri.port_u16().unwrap_or(443), Some(tls))
            }
            _ => anyhow::bail!("--core-url {url:?}: use http:// or https://"),
        };
        out.push(Target { host_port: format!("{host}:{port}"), uri: uri.clone(), tls });
    }
    anyhow::ensure!(!out.is_empty(), "--core-url is empty");
    anyhow::ensure!(
        tls.is_none() || out.iter().any(|t| t.tls.is_some()),
        "--core-ca and --core-client-cert are for an https:// --core-url, and every --core-url is http://"
    );
    Ok(out)
}

/// One replica's place in the balancer: out once, for good (a replica
/// that comes back gets a new one).
struct Slot {
    addr: SocketAddr,
    out: AtomicBool,
    up: Arc<AtomicUsize>,
    changes: Changes,
}

impl Slot {
    /// Takes the replica out of the balancer (once).
    fn leave(&self, why: &str) {
        if !self.out.swap(true, Ordering::SeqCst) {
            tracing::warn!(addr = %self.addr, why, "identity-core replica out of the balancer");
            self.up.fetch_sub(1, Ordering::SeqCst);
            let _ = self.changes.send(Ok(Change::Remove(self.addr)));
        }
    }
}

/// One replica as the balancer sees it: its channel, not ready once out.
#[derive(Clone)]
struct Replica {
    channel: Channel,
    slot: Arc<Slot>,
}

impl Service<Request<Body>> for Replica {
    type Response = Response<Body>;
    type Error = StdError;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.slot.out.load(Ordering::SeqCst) {
            return Poll::Ready(Err("replica out of the balancer".into()));
        }
        self.channel.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let call = self.channel.call(req);
        let slot = self.slot.clone();
        Box::pin(async move {
            call.await.map_err(|e| {
                // The replica died mid-call or the connection broke: out
                // before this call answers, so the next one goes elsewhere.
                tracing::warn!(error = %e, "identity-core connection failed during a call");
                slot.leave("a call failed in transport");
                tonic::Status::unavailable("identity-core connection failed").into()
            })
        })
    }
}

/// The balanced channel to identity-core, and the tasks that keep its set
/// of replicas current.
pub struct CorePool {
    pub channel: CoreChannel,
    /// Resolves once the first round of resolution and health checks is done.
    first_round: tokio::sync::watch::Receiver<bool>,
    discovery: JoinHandle<()>,
}

impl CorePool {
    /// Starts resolution and health watching for `core_url`.
    pub fn start(
        core_url: &str,
        call_timeout: Duration,
        resolve_every: Duration,
        tls: Option<ClientTlsConfig>,
    ) -> anyhow::Result<Self> {
        let targets = targets(core_url, tls.as_ref())?;
        let (changes, discovered) = mpsc::unbounded_channel();
        let balance: Balanced = Balance::new(UnboundedReceiverStream::new(discovered));
        let inner = Buffer::new(balance, BUFFER);
        let up = Arc::new(AtomicUsize::new(0));
        let (done, first_round) = tokio::sync::watch::channel(false);
        let discovery = tokio::spawn(discover(targets, changes, up.clone(), call_timeout, resolve_every, done));
        Ok(Self { channel: CoreChannel { inner, up, timeout: call_timeout }, first_round, discovery })
    }

    /// Waits (at most `limit`) until every address has been resolved and
    /// asked once for its health, so the first requests find the replicas
    /// that are up.
    pub async fn first_round(&self, limit: Duration) {
        let mut done = self.first_round.clone();
        let _ = tokio::time::timeout(limit, done.wait_for(|done| *done)).await;
    }
}

impl Drop for CorePool {
    fn drop(&mut self) {
        self.discovery.abort();
    }
}

/// Re-resolves the targets forever; one watcher task per address.
async fn discover(
    targets: Vec<Target>,
    changes: Changes,
    up: Arc<AtomicUsize>,
    call_timeout: Duration,
    resolve_every: Duration,
    first_round: tokio::sync::watch::Sender<bool>,
) {
    let mut watchers: HashMap<SocketAddr, JoinHandle<()>> = HashMap::new();
    loop {
        let mut seen = HashMap::new();
        for t in &targets {
            match tokio::net::lookup_host(&t.host_port).await {
                Ok(addrs) => seen.extend(addrs.map(|a| (a, t.clone()))),
                Err(e) => tracing::warn!(target_host = %t.host_port, error = %e, "cannot resolve identity-core"),
            }
        }
        // Unresolvable for now: keep what we had rather than drop everyone.
        if !seen.is_empty() {
            watchers.retain(|addr, task| {
                let keep = seen.contains_key(addr);
                if !keep {
                    tracing::info!(%addr, "identity-core address gone from DNS");
                    // Aborting drops the watcher's slot guard, which leaves.
                    task.abort();
                }
                keep
            });
        }
        let mut first_checks = Vec::new();
        for (addr, target) in seen {
            if watchers.contains_key(&addr) {
                continue;
            }
            let (checked, first) = tokio::sync::oneshot::channel();
            first_checks.push(first);
            let watcher = Watcher { addr, target, changes: changes.clone(), up: up.clone(), call_timeout };
            watchers.insert(addr, tokio::spawn(watcher.run(checked)));
        }
        for first in first_checks {
            let _ = first.await;
        }
        let _ = first_round.send(true);
        tokio::time::sleep(resolve_every).await;
    }
}

/// An endpoint for `addr`, presenting the target's authority (and, over
/// TLS, checking that its certificate names the target's host).
fn endpoint(addr: SocketAddr, target: &Target) -> Option<Endpoint> {
    let e = match &target.tls {
        None => Endpoint::from_shared(format!("http://{addr}")).ok()?,
        Some(tls) => Endpoint::from_shared(format!("https://{addr}")).ok()?.tls_config(tls.clone()).ok()?,
    };
    Some(
        e.origin(target.uri.clone())
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true),
    )
}

/// Follows one replica's health: in the balancer while SERVING.
struct Watcher {
    addr: SocketAddr,
    target: Target,
    changes: Changes,
    up: Arc<AtomicUsize>,
    call_timeout: Duration,
}

/// Leaves the balancer when dropped (the watcher ended or was aborted).
struct LeaveOnDrop(Option<Arc<Slot>>);

impl Drop for LeaveOnDrop {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.leave("no longer watched");
        }
    }
}

impl Watcher {
    async fn run(self, first_check: tokio::sync::oneshot::Sender<()>) {
        let Some(endpoint) = endpoint(self.addr, &self.target) else {
            tracing::error!(addr = %self.addr, "cannot make an endpoint for identity-core");
            return;
        };
        let mut first_check = Some(first_check);
        let mut current = LeaveOnDrop(None);
        loop {
            // A connection of its own: the health stream must not share
            // the fate of the traffic's connection.
            if let Ok(channel) = endpoint.connect().await {
                let mut health = HealthClient::new(channel);
                if let Ok(stream) = health.watch(HealthCheckRequest { service: String::new() }).await {
                    let mut stream = stream.into_inner();
                    while let Ok(Some(msg)) = stream.message().await {
                        if msg.status == ServingStatus::Serving as i32 {
                            if current.0.as_ref().is_none_or(|s| s.out.load(Ordering::SeqCst)) {
                                current.0 = Some(self.join(&endpoint));
                            }
                        } else if let Some(slot) = current.0.take() {
                            slot.leave("reports NOT_SERVING");
                        }
                        if let Some(tx) = first_check.take() {
                            let _ = tx.send(());
                        }
                    }
                }
            }
            if let Some(slot) = current.0.take() {
                slot.leave("health stream ended");
            }
            if let Some(tx) = first_check.take() {
                let _ = tx.send(());
            }
            tokio::time::sleep(REDIAL).await;
        }
    }

    /// Puts the replica into the balancer, over a fresh connection.
    fn join(&self, endpoint: &Endpoint) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            addr: self.addr,
            out: AtomicBool::new(false),
            up: self.up.clone(),
            changes: self.changes.clone(),
        });
        let channel = endpoint.clone().timeout(self.call_timeout).connect_lazy();
        tracing::info!(addr = %self.addr, "identity-core replica serving: in the balancer");
        self.up.fetch_add(1, Ordering::SeqCst);
        let replica = PendingRequests::new(Replica { channel, slot: slot.clone() }, CompleteOnResponse::default());
        let _ = self.changes.send(Ok(Change::Insert(self.addr, replica)));
        slot
    }
}

/// The balanced channel, failing fast when no replica is up and bounding
/// every call by the configured deadline (a call queued while the last
/// replica leaves would otherwise wait for the next one to join).
#[derive(Clone)]
pub struct CoreChannel {
    inner: Buffer<Request<Body>, <Balanced as Service<Request<Body>>>::Future>,
    up: Arc<AtomicUsize>,
    timeout: Duration,
}

impl CoreChannel {
    /// How many replicas are in the balancer.
    pub fn replicas_up(&self) -> usize {
        self.up.load(Ordering::SeqCst)
    }
}

impl Service<Request<Body>> for CoreChannel {
    type Response = Response<Body>;
    type Error = StdError;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        if self.replicas_up() == 0 {
            return Box::pin(async { Err(tonic::Status::unavailable("no identity-core replica is serving").into()) });
        }
        let call = self.inner.call(req);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, call).await {
                Ok(result) => result,
                Err(_) => Err(tonic::Status::deadline_exceeded("identity-core did not answer in time").into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_urls_are_comma_separated_http_or_https_urls() {
        let t = targets("http://a:50051, http://10.0.0.2:50052", None).unwrap();
        assert_eq!(t.iter().map(|t| t.host_port.as_str()).collect::<Vec<_>>(), ["a:50051", "10.0.0.2:50052"]);
        assert!(t.iter().all(|t| t.tls.is_none()));
        let t = targets("https://core.internal, http://b:1", None).unwrap();
        assert_eq!(t[0].host_port, "core.internal:443");
        assert!(t[0].tls.is_some() && t[1].tls.is_none());
        assert!(targets("ftp://a:50051", None).is_err());
        assert!(targets(" , ", None).is_err());
        assert_eq!(targets("http://[::1]:7", None).unwrap()[0].host_port, "[::1]:7");
        // TLS settings with no https:// URL to use them: a mistake.
        let tls = identity_client::tls_config(None, None);
        assert!(targets("http://a:1", Some(&tls)).is_err());
        assert!(targets("https://[::1]:7", Some(&tls)).is_ok());
    }
}
