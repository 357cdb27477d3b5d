//! Bounds on one HTTP request at the edge: the size of its header block
//! (431, RFC 6585 §5) and how long it may take (503 + `Retry-After`,
//! RFC 9110 §15.6.4 and §10.2.3: Okta and Entra retry a 503 later). Both
//! answers carry an RFC 7644 §3.12 error body.
//!
//! hyper refuses larger header blocks by itself (431 without a body, past
//! its ~400 KB read buffer); this cap is the one clients normally meet.
//! A request that runs out of time may still complete at identity-core (a
//! write may have been applied): the retry then finds it, as after any
//! lost answer.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ScimError;

/// What a client is told to wait after a timeout, in seconds.
pub const TIMEOUT_RETRY_AFTER: u32 = 5;
/// Bytes counted per header field beyond its name and value, as HTTP/2
/// counts a header list (RFC 9113 §6.5.2).
const FIELD_OVERHEAD: usize = 32;

/// The bounds, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_header_bytes: usize,
    pub timeout: Duration,
}

/// The size of a request's header block as HTTP/2 counts it.
pub fn header_bytes(req: &Request) -> usize {
    req.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + FIELD_OVERHEAD).sum()
}

/// Middleware: refuses an oversized header block, bounds the time.
pub async fn guard(State(bounds): State<Bounds>, req: Request, next: Next) -> Response {
    if header_bytes(&req) > bounds.max_header_bytes {
        let detail = format!("the request's headers exceed {} bytes", bounds.max_header_bytes);
        return ScimError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, None, detail).into_response();
    }
    match tokio::time::timeout(bounds.timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(timeout_secs = bounds.timeout.as_secs(), "request timed out");
            let mut e = ScimError::new(StatusCode::SERVICE_UNAVAILABLE, None, "the request took too long; retry later");
            e.retry_after = Some(TIMEOUT_RETRY_AFTER);
            e.into_response()
        }
    }
}
