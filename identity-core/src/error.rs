//! identity-core's one error type, and its single conversion to a gRPC
//! status carrying a `google.rpc.ErrorInfo` (reason from `ErrorReason`,
//! AIP-193), a `BadRequest.FieldViolation` for bad input and a `RetryInfo`
//! where retrying helps.

use std::collections::HashMap;
use std::time::Duration;

use proto::v1::ErrorReason;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Everything an identity-core operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("missing or unknown bearer token")]
    Unauthenticated,
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{field} is already taken")]
    Uniqueness { field: &'static str },
    #[error("invalid {field}: {reason}")]
    InvalidValue { field: String, reason: String },
    #[error("{field} is required")]
    MissingField { field: &'static str },
    #[error("invalid filter on {attribute}: {reason}")]
    InvalidFilter { attribute: String, reason: String },
    #[error("the resource changed: expected version {expected}, stored {current}")]
    VersionMismatch { expected: String, current: String },
    #[error("member {id} does not exist in this tenant")]
    MemberNotFound { id: String },
    #[error("{field} {reason}")]
    InvalidPage { field: &'static str, reason: &'static str },
    #[error("request_id {0} was used for a different request")]
    RequestIdReused(String),
    #[error("a call with request_id {0} is still running; retry")]
    RequestInProgress(String),
    #[error("the page token is not valid for this tenant and query")]
    InvalidPageToken,
    #[error("the page token has expired; start the listing again")]
    ExpiredPageToken,
    /// RFC 7644 §3.4.2.2 `tooMany`: counting the matches would cost more
    /// than the server is willing to spend.
    #[error(
        "the filter matches more than {limit} resources; narrow it, or page with a cursor (RFC 9865), which does not count"
    )]
    TooMany { limit: u64 },
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// A valid credential that may not do this (scope, edge, binding).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("the tenant is suspended")]
    TenantSuspended,
    /// Over the tenant's rate or concurrency limit; retry after the delay.
    #[error("too many requests for this tenant; retry later")]
    RateLimited { retry_after: Duration },
    #[error("{0} is not implemented yet")]
    Unimplemented(&'static str),
    #[error("the resource is being changed concurrently; retry")]
    Conflict,
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
}

impl Error {
    /// Shorthand for [`Error::InvalidValue`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidValue { field: field.into(), reason: reason.into() }
    }

    /// Shorthand for [`Error::InvalidFilter`].
    pub fn filter(attribute: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidFilter { attribute: attribute.into(), reason: reason.into() }
    }

    /// The gRPC code, reason and metadata of this error: the reviewed table.
    fn parts(&self) -> (Code, ErrorReason, Vec<(&'static str, String)>) {
        match self {
            Self::InvalidPage { field, .. } => {
                (Code::InvalidArgument, ErrorReason::InvalidPage, vec![("field", (*field).to_owned())])
            }
            Self::RequestIdReused(_) => {
                (Code::InvalidArgument, ErrorReason::RequestIdReused, vec![("field", "request_id".to_owned())])
            }
            Self::RequestInProgress(_) => (Code::Aborted, ErrorReason::RequestInProgress, vec![]),
            Self::Unauthenticated => (Code::Unauthenticated, ErrorReason::InvalidCredentials, vec![]),
            Self::NotFound { kind, id } => {
                (Code::NotFound, ErrorReason::ResourceNotFound, vec![("kind", (*kind).to_owned()), ("id", id.clone())])
            }
            Self::Uniqueness { field } => {
                (Code::AlreadyExists, ErrorReason::UniquenessViolation, vec![("field", (*field).to_owned())])
            }
            Self::InvalidValue { field, .. } => {
                (Code::InvalidArgument, ErrorReason::InvalidValue, vec![("field", field.clone())])
            }
            Self::MissingField { field } => {
                (Code::InvalidArgument, ErrorReason::MissingField, vec![("field", (*field).to_owned())])
            }
            Self::InvalidFilter { attribute, .. } => {
                (Code::InvalidArgument, ErrorReason::InvalidFilter, vec![("attribute", attribute.clone())])
            }
            Self::VersionMismatch { current, .. } => {
                (Code::Aborted, ErrorReason::VersionMismatch, vec![("current", current.clone())])
            }
            Self::MemberNotFound { id } => {
                (Code::InvalidArgument, ErrorReason::MemberNotFound, vec![("member", id.clone())])
            }
            Self::InvalidPageToken => (Code::InvalidArgument, ErrorReason::InvalidPageToken, vec![]),
            Self::ExpiredPageToken => (Code::InvalidArgument, ErrorReason::ExpiredPageToken, vec![]),
            Self::TooMany { .. } => (Code::InvalidArgument, ErrorReason::TooManyMatches, vec![]),
            Self::Internal(_) => (Code::Internal, ErrorReason::Internal, vec![]),
            Self::PermissionDenied(_) => (Code::PermissionDenied, ErrorReason::PermissionDenied, vec![]),
            Self::TenantSuspended => (Code::PermissionDenied, ErrorReason::TenantSuspended, vec![]),
            Self::RateLimited { .. } => (Code::ResourceExhausted, ErrorReason::RateLimited, vec![]),
            Self::Unimplemented(_) => (Code::Unimplemented, ErrorReason::Unspecified, vec![]),
            Self::Conflict => (Code::Aborted, ErrorReason::ConcurrentModification, vec![]),
            // A lost node, or a conflict still there after every retry: both
            // pass, so the client is told to come back (503 + Retry-After).
            Self::Database(db) if unavailable(db) => (Code::Unavailable, ErrorReason::BackendUnavailable, vec![]),
            Self::Database(_) => (Code::Internal, ErrorReason::Internal, vec![]),
        }
    }

    /// The request field a bad-input error is about, and why (for
    /// `google.rpc.BadRequest.FieldViolation`).
    fn violation(&self) -> Option<(String, String)> {
        match self {
            Self::InvalidValue { field, reason } => Some((field.clone(), reason.clone())),
            Self::MissingField { field } => Some(((*field).to_owned(), "is required".to_owned())),
            Self::InvalidFilter { attribute, reason } => Some(("filter".to_owned(), format!("{attribute}: {reason}"))),
            Self::InvalidPage { field, reason } => Some(((*field).to_owned(), (*reason).to_owned())),
            Self::RequestIdReused(_) => Some(("request_id".to_owned(), "was used for a different request".to_owned())),
            Self::InvalidPageToken | Self::ExpiredPageToken => Some(("page_token".to_owned(), self.to_string())),
            Self::MemberNotFound { id } => Some(("members".to_owned(), format!("{id} does not exist"))),
            _ => None,
        }
    }

    /// How long to wait before a retry, where a retry can succeed.
    fn retry_delay(&self) -> Option<Duration> {
        match self {
            Self::Conflict => Some(Duration::from_millis(100)),
            Self::RequestInProgress(_) => Some(Duration::from_millis(500)),
            Self::RateLimited { retry_after } => Some(*retry_after),
            Self::Database(db) if unavailable(db) => Some(Duration::from_secs(1)),
            _ => None,
        }
    }
}

/// Whether a database error means the database cannot be reached, has no
/// connection to spare, or interrupted the statement (a read past its time
/// limit, a killed query): retrying later helps; it is not a bug.
fn unavailable(db: &sea_orm::DbErr) -> bool {
    matches!(db, sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_))
        || crate::store::is_transient(db)
        || crate::store::read_limit::is_interrupted(db)
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let (code, reason, metadata) = err.parts();
        let message = match &err {
            Error::Database(db) => {
                // Logged once here, where it is converted; never sent.
                tracing::error!(error = %db, "database error");
                "internal error".to_owned()
            }
            Error::Internal(what) => {
                tracing::error!(error = what, "internal error");
                "internal error".to_owned()
            }
            other => echo(&other.to_string(), MAX_ECHOED_MESSAGE),
        };
        let metadata: HashMap<String, String> =
            metadata.into_iter().map(|(k, v)| (k.to_owned(), echo(&v, MAX_ECHOED_VALUE))).collect();
        let mut details = ErrorDetails::with_error_info(reason.as_str_name(), proto::ERROR_DOMAIN, metadata);
        if let Some((field, description)) = err.violation() {
            details.add_bad_request_violation(echo(&field, MAX_ECHOED_VALUE), echo(&description, MAX_ECHOED_MESSAGE));
        }
        if let Some(delay) = err.retry_delay() {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(code, message, details)
    }
}

/// Longest message, and longest metadata value, a status carries: they echo
/// client input (ids, member values, attribute names), and a status travels
/// in HTTP/2 headers, which peers bound (16 KiB by default). Longer text is
/// cut, with an ellipsis.
const MAX_ECHOED_MESSAGE: usize = 1024;
const MAX_ECHOED_VALUE: usize = 256;

/// `text`, cut to `max` characters.
fn echo(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Result alias of identity-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
