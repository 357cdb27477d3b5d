//! identity-core's one error type, and its single conversion to a gRPC
//! status carrying a `google.rpc.ErrorInfo` (reason from `ErrorReason`).

use std::collections::HashMap;

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
            Self::Internal(_) => (Code::Internal, ErrorReason::Unspecified, vec![]),
            Self::Conflict => (Code::Aborted, ErrorReason::Unspecified, vec![]),
            // A lost node, or a conflict still there after every retry: both
            // pass, so the client is told to come back (503 + Retry-After).
            Self::Database(db) if crate::store::is_transient(db) => {
                (Code::Unavailable, ErrorReason::Unspecified, vec![])
            }
            Self::Database(_) => (Code::Internal, ErrorReason::Unspecified, vec![]),
        }
    }
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
            other => other.to_string(),
        };
        let metadata: HashMap<String, String> = metadata.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let details = ErrorDetails::with_error_info(reason.as_str_name(), proto::ERROR_DOMAIN, metadata);
        Status::with_error_details(code, message, details)
    }
}

/// Result alias of identity-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
