//! Per-tenant request limits: a token bucket (sustained calls per second
//! and a burst above it) and a cap on calls in flight, so one tenant's
//! load cannot take every pooled database connection from the others.
//!
//! [`LimitLayer`] authenticates each call once ([`crate::auth::authenticate`]),
//! admits it against its tenant's [`Limiter`] entry, and leaves the
//! [`Principal`](crate::auth::Principal) in the request's extensions, where
//! the handlers take it (no second authentication). A call over a limit is answered at once with
//! RESOURCE_EXHAUSTED, reason RATE_LIMITED and a `RetryInfo` (the edge's
//! 429 + `Retry-After`, RFC 6585 §4). Calls that do not authenticate, and
//! calls acting on no tenant, pass through: the handler answers them as
//! before. The in-flight permit is released when the response body is done.
//!
//! Limits hold per process: each replica admits up to the limit, so a
//! tenant's effective limit is the limit times the number of replicas its
//! calls are balanced over. That is deliberate: what the limits protect is
//! each replica's own database pool, and counting per replica needs no
//! shared state on the request path. A tenant's overrides
//! (`identity-core tenant set-limits`) are read at most once per
//! [`OVERRIDES_TTL`] per tenant, so every replica applies a change within
//! that time without a statement per call.
//!
//! A hand-written bucket rather than a crate: the limits differ per tenant
//! and change at run time, which keyed limiters with one fixed quota
//! (e.g. `governor`'s) do not model.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::metadata::MetadataMap;
use tower::{Layer, Service};

use crate::auth;
use crate::config::LimitsConfig;
use crate::domain::TenantId;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::limits::Overrides;

/// How long a tenant's overrides are used before they are read again.
pub const OVERRIDES_TTL: Duration = Duration::from_secs(2);
/// The wait suggested to a call refused for the concurrency limit (when a
/// call in flight ends is not known in advance).
const CONCURRENCY_RETRY: Duration = Duration::from_secs(1);
/// Tenants tracked before idle ones are forgotten.
const CAPACITY: usize = 10_000;

/// The limits in force for a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Sustained calls per second.
    pub rps: u32,
    /// Calls allowed at once above the rate (the bucket's size).
    pub burst: u32,
    /// Calls in flight at once.
    pub concurrency: u32,
}

impl Limits {
    /// The server's defaults from its configuration.
    pub fn defaults(config: &LimitsConfig) -> Self {
        Self {
            rps: config.tenant_rps.max(1),
            burst: config.tenant_burst.max(1),
            concurrency: config.tenant_concurrency.max(1),
        }
    }

    /// These limits with a tenant's overrides applied.
    pub fn with(self, o: Overrides) -> Self {
        Self {
            rps: o.rps.unwrap_or(self.rps),
            burst: o.burst.unwrap_or(self.burst),
            concurrency: o.concurrency.unwrap_or(self.concurrency),
        }
    }
}

/// Every tenant's bucket and in-flight count on this replica.
#[derive(Debug)]
pub struct Limiter {
    store: Store,
    defaults: Limits,
    tenants: Mutex<HashMap<String, Arc<Gate>>>,
}

/// One tenant's state.
#[derive(Debug)]
struct Gate {
    in_flight: AtomicU32,
    /// Held while the overrides are read, so a tenant's first calls wait
    /// for them instead of running under the defaults.
    refresh: tokio::sync::Mutex<()>,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    overrides: Overrides,
    /// When the overrides were last read (None: never).
    read_at: Option<Instant>,
    tokens: f64,
    refilled: Instant,
    used: Instant,
}

/// A call's place among its tenant's calls in flight; released on drop.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<Gate>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.gate.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Limiter {
    pub fn new(store: Store, defaults: Limits) -> Self {
        Self { store, defaults, tenants: Mutex::new(HashMap::new()) }
    }

    /// The server's defaults.
    pub fn defaults(&self) -> Limits {
        self.defaults
    }

    /// Reads the tenant's overrides again on its next call (they were just
    /// changed through this process).
    pub fn forget(&self, tenant: &TenantId) {
        if let Some(gate) = self.gate_if_known(tenant)
            && let Ok(mut b) = gate.state.lock()
        {
            b.read_at = None;
        }
    }

    fn gate_if_known(&self, tenant: &TenantId) -> Option<Arc<Gate>> {
        self.tenants.lock().ok()?.get(tenant.as_str()).cloned()
    }

    fn gate(&self, tenant: &TenantId) -> Result<Arc<Gate>> {
        let mut tenants = self.tenants.lock().map_err(|_| Error::Internal("the limiter's lock is poisoned"))?;
        if tenants.len() >= CAPACITY && !tenants.contains_key(tenant.as_str()) {
            tenants.retain(|_, g| {
                g.in_flight.load(Ordering::SeqCst) > 0
                    || g.state.lock().is_ok_and(|b| b.used.elapsed() < Duration::from_secs(60))
            });
        }
        let gate = tenants.entry(tenant.as_str().to_owned()).or_insert_with(|| {
            let now = Instant::now();
            Arc::new(Gate {
                in_flight: AtomicU32::new(0),
                refresh: tokio::sync::Mutex::new(()),
                state: Mutex::new(Bucket {
                    overrides: Overrides::default(),
                    read_at: None,
                    tokens: f64::from(self.defaults.burst),
                    refilled: now,
                    used: now,
                }),
            })
        });
        Ok(gate.clone())
    }

    /// Admits one call of `tenant`, or refuses it with
    /// [`Error::RateLimited`] and how long to wait.
    pub async fn admit(&self, tenant: &TenantId) -> Result<Permit> {
        let gate = self.gate(tenant)?;
        self.refresh(tenant, &gate).await;
        let mut bucket = gate.state.lock().map_err(|_| Error::Internal("the limiter's lock is poisoned"))?;
        let limits = self.defaults.with(bucket.overrides);
        if gate.in_flight.fetch_add(1, Ordering::SeqCst) >= limits.concurrency {
            gate.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::RateLimited { retry_after: CONCURRENCY_RETRY });
        }
        let permit = Permit { gate: gate.clone() };
        let now = Instant::now();
        let (rate, size) = (f64::from(limits.rps), f64::from(limits.burst));
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.refilled).as_secs_f64() * rate).min(size);
        bucket.refilled = now;
        bucket.used = now;
        if bucket.tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / rate);
            return Err(Error::RateLimited { retry_after: wait });
        }
        bucket.tokens -= 1.0;
        Ok(permit)
    }

    /// Reads the tenant's overrides when they are older than
    /// [`OVERRIDES_TTL`]. A failed read keeps the previous ones until the
    /// next period (the call itself will meet the database's state).
    async fn refresh(&self, tenant: &TenantId, gate: &Gate) {
        let stale =
            |gate: &Gate| gate.state.lock().is_ok_and(|b| b.read_at.is_none_or(|at| at.elapsed() >= OVERRIDES_TTL));
        if !stale(gate) {
            return;
        }
        let _refreshing = gate.refresh.lock().await;
        if !stale(gate) {
            return;
        }
        let read = crate::store::limits::get(&self.store, tenant).await;
        if let Ok(mut b) = gate.state.lock() {
            b.read_at = Some(Instant::now());
            match read {
                Ok(o) => b.overrides = o,
                Err(e) => tracing::warn!(error = %e, tenant = tenant.as_str(), "cannot read the tenant's limits"),
            }
        }
    }
}

/// Adds [`Limited`] around a service.
#[derive(Clone, Debug)]
pub struct LimitLayer {
    limiter: Arc<Limiter>,
}

impl LimitLayer {
    pub fn new(limiter: Arc<Limiter>) -> Self {
        Self { limiter }
    }
}

impl<S> Layer<S> for LimitLayer {
    type Service = Limited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Limited { inner, limiter: self.limiter.clone() }
    }
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct Limited<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S> Service<Request<Body>> for Limited<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        // The clone is ready only after poll_ready; keep the ready one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limiter = self.limiter.clone();
        Box::pin(async move {
            req.extensions_mut().insert(limiter.clone());
            // Health checks and reflection carry no credential.
            if req.uri().path().starts_with("/grpc.") {
                return inner.call(req).await;
            }
            let metadata = MetadataMap::from_headers(req.headers().clone());
            let Ok(principal) = auth::authenticate(&limiter.store, &metadata).await else {
                return inner.call(req).await;
            };
            let admitted = match &principal.tenant {
                Some(tenant) => Some(limiter.admit(&tenant.id).await),
                None => None,
            };
            req.extensions_mut().insert(principal);
            let permit = match admitted {
                Some(Ok(permit)) => Some(permit),
                Some(Err(refused)) => return Ok(tonic::Status::from(refused).into_http()),
                None => None,
            };
            let resp = inner.call(req).await?;
            Ok(match permit {
                // Released when the body has been sent (or dropped).
                Some(permit) => resp.map(|body| {
                    Body::new(body.map_frame(move |frame| {
                        let _held = &permit;
                        frame
                    }))
                }),
                None => resp,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn limiter(rps: u32, burst: u32, concurrency: u32) -> (Limiter, TenantId) {
        // No tables: reading the overrides fails, and the defaults hold.
        let store = Store::connect("sqlite::memory:").await.unwrap_or_else(|e| panic!("{e}"));
        let limiter = Limiter::new(store, Limits { rps, burst, concurrency });
        (limiter, TenantId::from_db("t1".to_owned()))
    }

    #[tokio::test]
    async fn the_bucket_admits_its_burst_then_names_the_wait() {
        let (limiter, t) = limiter(1, 2, 100).await;
        let a = limiter.admit(&t).await;
        let b = limiter.admit(&t).await;
        assert!(a.is_ok() && b.is_ok());
        match limiter.admit(&t).await {
            Err(Error::RateLimited { retry_after }) => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(1), "{retry_after:?}")
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        let other = TenantId::from_db("t2".to_owned());
        assert!(limiter.admit(&other).await.is_ok(), "another tenant has its own bucket");
    }

    #[tokio::test]
    async fn permits_bound_calls_in_flight_and_are_returned_on_drop() {
        let (limiter, t) = limiter(1000, 1000, 2).await;
        let a = limiter.admit(&t).await.unwrap_or_else(|e| panic!("{e}"));
        let _b = limiter.admit(&t).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(limiter.admit(&t).await, Err(Error::RateLimited { .. })));
        drop(a);
        assert!(limiter.admit(&t).await.is_ok());
    }
}
