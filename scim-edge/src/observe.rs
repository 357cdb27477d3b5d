//! Per-request observability: the request id (`X-Request-Id`, taken from
//! the request when it carries a sane one, else made up) on every response
//! and in every log line; the W3C trace context (`traceparent`, accepted or
//! started here) passed to identity-core with each gRPC call; one access
//! log line at `info` (method, route template, status, latency, tenant id,
//! request id; never tokens, passwords or bodies); and the HTTP metrics.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tonic::metadata::{MetadataMap, MetadataValue};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::metrics::metrics;

/// The request header (and response header) naming a request.
pub const REQUEST_ID: &str = "x-request-id";
/// Longest request id taken from a client; a longer one is replaced.
const MAX_REQUEST_ID: usize = 128;

/// What every gRPC call made for the current request carries along.
#[derive(Debug)]
pub struct RequestContext {
    request_id: String,
    traceparent: String,
    tenant: OnceLock<String>,
}

tokio::task_local! {
    static CONTEXT: Arc<RequestContext>;
}

/// Records the caller's tenant id, once known, for the access log.
pub fn set_tenant(id: &str) {
    let _ = CONTEXT.try_with(|c| c.tenant.set(id.to_owned()));
}

/// Adds `traceparent` and `x-request-id` of the current request to a gRPC
/// call's metadata (nothing outside a request). With OTLP export on, the
/// parent is the exported `http` span.
pub fn propagate(metadata: &mut MetadataMap) {
    let exported = telemetry::current_traceparent();
    let _ = CONTEXT.try_with(|c| {
        if let Ok(v) = MetadataValue::try_from(exported.as_deref().unwrap_or(&c.traceparent)) {
            metadata.insert("traceparent", v);
        }
        if let Ok(v) = MetadataValue::try_from(c.request_id.as_str()) {
            metadata.insert(REQUEST_ID, v);
        }
    });
}

/// The middleware (`axum::middleware::from_fn`).
pub async fn observe(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let request_id = request_id(req.headers());
    let traceparent = traceparent(req.headers());
    let trace_id = traceparent.get(3..35).unwrap_or_default().to_owned();
    let context = Arc::new(RequestContext { request_id: request_id.clone(), traceparent, tenant: OnceLock::new() });
    let span = tracing::info_span!("http", request_id = %request_id, trace_id = %trace_id);
    // The exported span joins the client's trace, or the one begun here
    // (a no-op unless OTLP export is on).
    let _ = span.set_parent(telemetry::context_of(&context.traceparent));
    let mut resp = CONTEXT.scope(context.clone(), next.run(req).instrument(span.clone())).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    metrics().http_request(method.as_str(), &route, status, elapsed);
    let tenant = context.tenant.get().map_or("-", String::as_str);
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            tenant_id = %tenant,
            "request"
        );
    });
    resp
}

/// The client's request id when it is short printable ASCII, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned)
}

/// The client's `traceparent` when well-formed (W3C Trace Context §3.2),
/// else a new trace. (With OTLP export on, the next hop's parent is our own
/// exported span instead: see [`propagate`].)
fn traceparent(headers: &HeaderMap) -> String {
    let incoming = headers.get("traceparent").and_then(|v| v.to_str().ok()).map(str::trim);
    match incoming.filter(|v| parse_traceparent(v).is_some()) {
        Some(valid) => valid.to_owned(),
        None => {
            let span_id = &uuid::Uuid::new_v4().simple().to_string()[..16];
            format!("00-{}-{span_id}-01", uuid::Uuid::new_v4().simple())
        }
    }
}

/// (trace id, flags) of a version-00 `traceparent`.
fn parse_traceparent(v: &str) -> Option<(&str, &str)> {
    let mut parts = v.trim().split('-');
    let (version, trace_id, parent_id, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let valid = version == "00"
        && parts.next().is_none()
        && hex(trace_id, 32)
        && hex(parent_id, 16)
        && hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent_id.bytes().any(|b| b != b'0');
    valid.then_some((trace_id, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_keeps_its_trace_id_and_a_broken_one_starts_a_new_trace() {
        let tid = "4bf92f3577b34da6a3ce929d0e0e4736";
        let mut h = HeaderMap::new();
        h.insert("traceparent", HeaderValue::from_str(&format!("00-{tid}-00f067aa0ba902b7-01")).unwrap());
        assert_eq!(traceparent(&h), format!("00-{tid}-00f067aa0ba902b7-01"));

        for broken in ["00-xyz-00f067aa0ba902b7-01", &format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)), "junk"] {
            h.insert("traceparent", HeaderValue::from_str(broken).unwrap());
            let tp = traceparent(&h);
            assert!(parse_traceparent(&tp).is_some() && !tp.contains("xyz"), "{broken} -> {tp}");
        }
    }

    #[test]
    fn a_request_id_is_kept_when_sane_and_replaced_otherwise() {
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert(REQUEST_ID, HeaderValue::from_str(&"x".repeat(MAX_REQUEST_ID + 1)).unwrap());
        assert_eq!(request_id(&h).len(), 32);
        h.remove(REQUEST_ID);
        assert_eq!(request_id(&h).len(), 32);
    }
}
