//! `ScimError`: every failure the edge answers with, rendered once as an
//! RFC 7644 §3.12 error body, and the one conversion from a gRPC status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use identity_client::ErrorReason as Reason;
use serde_json::json;
use tonic::Code;

use crate::response::SCIM_CONTENT_TYPE;
use crate::schema::ERROR;

/// RFC 7644 §3.12 `scimType` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
    /// RFC 9865 §5.
    InvalidCursor,
    ExpiredCursor,
    InvalidCount,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
            Self::ExpiredCursor => "expiredCursor",
            Self::InvalidCount => "invalidCount",
        }
    }
}

/// An error response: HTTP status, optional scimType, human detail.
#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
    pub detail: String,
    /// Seconds for a `Retry-After` header (503 when the core is unreachable).
    pub retry_after: Option<u32>,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self { status, scim_type, detail: detail.into(), retry_after: None }
    }

    /// 400 with a scimType.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// RFC 7644 §3.14: `If-Match` names a version that is no longer current.
    pub fn precondition_failed() -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, None, "the resource has changed since the given ETag (If-Match)")
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    /// RFC 7644 §3.12: a valid credential that may not do this (a
    /// suspended tenant, a credential this endpoint does not take).
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, None, detail)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, None, "method not allowed on this endpoint")
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }
}

impl ScimError {
    /// The RFC 7644 §3.12 body.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t.as_str());
        }
        body
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body().to_string()).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scim\""));
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// The one mapping from identity-core's failures (code + typed reason, as
/// identity-client reads them) to SCIM errors. Internal details are logged
/// here, never sent.
impl From<tonic::Status> for ScimError {
    fn from(status: tonic::Status) -> Self {
        Self::from(identity_client::Error::from(status))
    }
}

impl From<identity_client::Error> for ScimError {
    fn from(err: identity_client::Error) -> Self {
        let message = err.message().to_owned();
        match (err.code(), err.reason()) {
            (Code::Unauthenticated, _) => Self::unauthorized("missing or invalid bearer token"),
            (Code::PermissionDenied, _) => Self::forbidden(message),
            (Code::NotFound, _) => Self::not_found(message),
            (Code::AlreadyExists, _) => Self::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), message),
            (Code::InvalidArgument, Reason::InvalidFilter) => Self::bad_request(ScimType::InvalidFilter, message),
            (Code::InvalidArgument, Reason::InvalidPageToken) => Self::bad_request(ScimType::InvalidCursor, message),
            (Code::InvalidArgument, Reason::ExpiredPageToken) => Self::bad_request(ScimType::ExpiredCursor, message),
            (Code::InvalidArgument, Reason::TooManyMatches) => Self::bad_request(ScimType::TooMany, message),
            (Code::InvalidArgument, _) => Self::invalid_value(message),
            (Code::Aborted, Reason::VersionMismatch) | (Code::FailedPrecondition, _) => Self::precondition_failed(),
            (Code::Aborted, _) => {
                Self::new(StatusCode::CONFLICT, None, "the resource is being changed concurrently; retry")
            }
            // RFC 6585 §4: over the tenant's rate or concurrency limit.
            (Code::ResourceExhausted, _) => {
                let mut e =
                    Self::new(StatusCode::TOO_MANY_REQUESTS, None, "too many requests for this tenant; retry later");
                e.retry_after = Some(retry_after_secs(err.retry_delay(), 1));
                e
            }
            // The core, its database or the way to it failed, or the call ran
            // out of time: all pass, so the client retries (503 +
            // Retry-After), never a 500. CANCELLED is the core's own timeout;
            // UNKNOWN, and INTERNAL without the core's ErrorInfo, a transport
            // failure (the core died mid-call: HTTP/2 RST_STREAM or GOAWAY).
            // The core's own INTERNAL (reason INTERNAL) stays a 500.
            (Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown, _)
            | (Code::Internal, Reason::Unspecified) => {
                tracing::warn!(code = ?err.code(), error = %message, "identity-core unavailable");
                let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, None, "the service is temporarily unavailable");
                e.retry_after = Some(retry_after_secs(err.retry_delay(), 5));
                e
            }
            (code, _) => {
                tracing::error!(?code, error = %message, "identity-core call failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
            }
        }
    }
}

/// A `Retry-After` in whole seconds (RFC 9110 §10.2.3): the core's
/// `RetryInfo` delay rounded up, at least 1; `default` without one.
fn retry_after_secs(delay: Option<std::time::Duration>, default: u64) -> u32 {
    let wait = delay.map_or(default, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
    u32::try_from(wait).unwrap_or(u32::MAX).max(1)
}

/// Result alias of the edge.
pub type ScimResult<T> = Result<T, ScimError>;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic_types::{ErrorDetails, StatusExt};

    use super::*;

    fn from_core(code: Code, reason: &str, retry: Option<Duration>) -> ScimError {
        let mut details = ErrorDetails::with_error_info(reason, proto::ERROR_DOMAIN, []);
        if retry.is_some() {
            details.set_retry_info(retry);
        }
        ScimError::from(tonic::Status::with_error_details(code, "x", details))
    }

    #[test]
    fn a_tenant_over_its_limit_gets_429_with_whole_seconds() {
        let e = from_core(Code::ResourceExhausted, "ERROR_REASON_RATE_LIMITED", Some(Duration::from_millis(1200)));
        assert_eq!((e.status, e.retry_after), (StatusCode::TOO_MANY_REQUESTS, Some(2)));
        let e = from_core(Code::ResourceExhausted, "ERROR_REASON_RATE_LIMITED", Some(Duration::from_millis(10)));
        assert_eq!(e.retry_after, Some(1), "at least one second");
    }

    #[test]
    fn faults_and_timeouts_are_503_but_the_cores_own_internal_error_is_500() {
        for code in [Code::Unavailable, Code::DeadlineExceeded, Code::Cancelled, Code::Unknown, Code::Internal] {
            let e = ScimError::from(tonic::Status::new(code, "h2 protocol error"));
            assert_eq!((e.status, e.retry_after), (StatusCode::SERVICE_UNAVAILABLE, Some(5)), "{code:?}");
        }
        let e = from_core(Code::Unavailable, "ERROR_REASON_BACKEND_UNAVAILABLE", Some(Duration::from_secs(1)));
        assert_eq!((e.status, e.retry_after), (StatusCode::SERVICE_UNAVAILABLE, Some(1)));
        let e = from_core(Code::Internal, "ERROR_REASON_INTERNAL", None);
        assert_eq!((e.status, e.retry_after), (StatusCode::INTERNAL_SERVER_ERROR, None));
    }
}
