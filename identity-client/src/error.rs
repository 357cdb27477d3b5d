//! Typed errors: every failure of identity-core carries an `ErrorReason`
//! (and, for bad input, field violations; for overload, a retry delay).

use std::collections::HashMap;
use std::time::Duration;

use proto::v1::ErrorReason;
use tonic::Code;
use tonic_types::StatusExt;

/// A failed call: the gRPC code, identity-core's reason and its details.
///
/// Branch on [`Error::reason`], never on the message:
///
/// ```
/// use identity_client::{Error, ErrorReason};
/// use tonic_types::{ErrorDetails, StatusExt};
///
/// let mut details = ErrorDetails::with_error_info("ERROR_REASON_INVALID_PAGE", "identity.example.com", []);
/// details.add_bad_request_violation("page_size", "must not be negative");
/// let status = tonic::Status::with_error_details(tonic::Code::InvalidArgument, "page_size must not be negative", details);
///
/// let err = Error::from(status);
/// assert_eq!(err.reason(), ErrorReason::InvalidPage);
/// assert_eq!(err.field_violations()[0].0, "page_size");
/// assert!(!err.is_retryable());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?} ({}): {message}", reason.as_str_name())]
pub struct Error {
    code: Code,
    reason: ErrorReason,
    message: String,
    metadata: HashMap<String, String>,
    violations: Vec<(String, String)>,
    retry_delay: Option<Duration>,
}

impl Error {
    /// The gRPC status code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// identity-core's reason; `ErrorReason::Unspecified` when the failure
    /// did not come from identity-core (a transport error, a proxy).
    pub fn reason(&self) -> ErrorReason {
        self.reason
    }

    /// The human-readable message (for logs, not for branching).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `ErrorInfo.metadata[key]`, e.g. `"field"` or `"current"` (the stored
    /// version of a VERSION_MISMATCH).
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// (field, description) of each `BadRequest.FieldViolation`.
    pub fn field_violations(&self) -> &[(String, String)] {
        &self.violations
    }

    /// The server's `RetryInfo` delay, when it sent one.
    pub fn retry_delay(&self) -> Option<Duration> {
        self.retry_delay
    }

    /// NOT_FOUND: the resource does not exist in the caller's tenant.
    pub fn is_not_found(&self) -> bool {
        self.code == Code::NotFound
    }

    /// Whether repeating the same call may succeed: identity-core or the
    /// network is unavailable or overloaded, or the server said when to
    /// retry (RetryInfo). The client retries such failures itself for
    /// idempotent calls (see [`crate::RetryPolicy`]).
    pub fn is_retryable(&self) -> bool {
        matches!(self.code, Code::Unavailable | Code::ResourceExhausted) || self.retry_delay.is_some()
    }

    /// A failure made on this side (no connection, deadline passed).
    pub(crate) fn local(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: ErrorReason::Unspecified,
            message: message.into(),
            metadata: HashMap::new(),
            violations: Vec::new(),
            retry_delay: None,
        }
    }
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        let details = status.get_error_details();
        let (reason, metadata) = match details.error_info() {
            Some(info) if info.domain == proto::ERROR_DOMAIN => {
                (ErrorReason::from_str_name(&info.reason).unwrap_or(ErrorReason::Unspecified), info.metadata.clone())
            }
            _ => (ErrorReason::Unspecified, HashMap::new()),
        };
        let violations = details
            .bad_request()
            .map(|b| b.field_violations.iter().map(|v| (v.field.clone(), v.description.clone())).collect())
            .unwrap_or_default();
        let retry_delay = details.retry_info().and_then(|r| r.retry_delay);
        Self { code: status.code(), reason, message: status.message().to_owned(), metadata, violations, retry_delay }
    }
}

impl From<tonic::transport::Error> for Error {
    fn from(err: tonic::transport::Error) -> Self {
        Self::local(Code::Unavailable, format!("cannot reach identity-core: {err}"))
    }
}
