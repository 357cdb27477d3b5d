//! A tower layer around every gRPC call: a span (carrying the caller's W3C
//! `traceparent` trace id and `x-request-id`, so every log line of the call
//! names them), one log line at `info` per call (method, code, latency),
//! the call's metrics, and the audit trail's call context (the operation
//! and request id; a failed write is recorded here, see
//! [`crate::store::audit`]).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::codegen::http::{HeaderMap, Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::metrics::metrics;
use crate::store::audit;

/// Adds [`Observed`] around a service.
#[derive(Clone, Copy, Debug, Default)]
pub struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observed { inner }
    }
}

#[derive(Clone, Debug)]
pub struct Observed<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, RB> Service<Request<B>> for Observed<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    // Held while a failed write is recorded.
    S::Error: Send,
    RB: Send,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let path = req.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc",
            method = %path,
            trace_id = trace_id(req.headers()).unwrap_or_default(),
            request_id = header(req.headers(), "x-request-id").unwrap_or_default(),
        );
        // Parented on the caller's span when OTLP export is on (a no-op otherwise).
        let _ = span.set_parent(telemetry::extract(req.headers()));
        let start = Instant::now();
        let context =
            audit::Call::new(path.trim_start_matches('/'), header(req.headers(), "x-request-id").unwrap_or_default());
        let call = self.inner.call(req);
        Box::pin(audit::scope(
            context,
            async move {
                let (res, statements) = crate::store::counted(call).await;
                let code = match &res {
                    // Unary errors travel as trailers-only responses: the
                    // status is in the headers. Without one, the call
                    // succeeded (its OK comes in the trailers).
                    Ok(resp) => header(resp.headers(), "grpc-status")
                        .and_then(|s| s.parse::<i32>().ok())
                        .map_or(tonic::Code::Ok, tonic::Code::from),
                    Err(_) => tonic::Code::Internal,
                };
                let elapsed = start.elapsed();
                metrics().grpc_call(&path, code, elapsed, statements);
                tracing::info!(code = ?code, latency_ms = elapsed.as_secs_f64() * 1000.0, statements, "grpc call");
                if code != tonic::Code::Ok {
                    audit::record_failure(audit::outcome(code)).await;
                }
                res
            }
            .instrument(span),
        ))
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
pub fn trace_id(headers: &HeaderMap) -> Option<&str> {
    let tp = header(headers, "traceparent")?;
    let mut parts = tp.split('-');
    let (_version, id) = (parts.next()?, parts.next()?);
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id != "0".repeat(32)).then_some(id)
}
