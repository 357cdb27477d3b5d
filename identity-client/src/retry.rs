//! Retries with exponential backoff, for calls that are safe to repeat.

use std::time::Duration;

use crate::Error;

/// When and how often a failed idempotent call is tried again.
///
/// Only calls that are safe to repeat are retried: reads (Get, List,
/// WhoAmI), Replace (the same full state again) and creates that carry a
/// request id (the client sets one when the caller did not, so a retried
/// create returns the first result). Updates and deletes are never retried.
/// A failure is retried when [`Error::is_retryable`]; the wait is the
/// server's `RetryInfo` delay when it sent one, else the backoff. A call
/// refused for its tenant's limits (`RATE_LIMITED`) is not retried.
///
/// ```
/// use std::time::Duration;
/// use identity_client::RetryPolicy;
///
/// let p = RetryPolicy::default();
/// assert_eq!(p.backoff(1), Duration::from_millis(100));
/// assert_eq!(p.backoff(2), Duration::from_millis(200));
/// assert_eq!(p.backoff(10), p.max_backoff);
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retries).
    pub max_attempts: u32,
    /// Wait before the first retry; doubles after each.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, initial_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(2) }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The backoff before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }

    /// How long to wait before retry number `retry` after `err`, or None
    /// when it should not be retried.
    pub(crate) fn delay(&self, retry: u32, err: &Error) -> Option<Duration> {
        // Refused for the tenant's limits: the caller is told when to come
        // back (a SCIM client gets 429 + Retry-After); retrying here would
        // only add the load the limit refuses.
        if retry >= self.max_attempts || !err.is_retryable() || err.reason() == crate::ErrorReason::RateLimited {
            return None;
        }
        Some(err.retry_delay().unwrap_or_else(|| self.backoff(retry)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic::Code;
    use tonic_types::{ErrorDetails, StatusExt};

    use super::RetryPolicy;
    use crate::Error;

    fn status(code: Code, reason: &str, retry: Option<Duration>) -> Error {
        let mut details = ErrorDetails::with_error_info(reason, proto::ERROR_DOMAIN, []);
        if retry.is_some() {
            details.set_retry_info(retry);
        }
        Error::from(tonic::Status::with_error_details(code, "x", details))
    }

    #[test]
    fn the_servers_retry_info_sets_the_wait() {
        let busy = status(Code::Aborted, "ERROR_REASON_CONCURRENT_MODIFICATION", Some(Duration::from_millis(700)));
        assert_eq!(RetryPolicy::default().delay(1, &busy), Some(Duration::from_millis(700)));
    }

    #[test]
    fn unavailable_backs_off_exponentially_until_attempts_run_out() {
        let down = status(Code::Unavailable, "ERROR_REASON_BACKEND_UNAVAILABLE", None);
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, &down), Some(Duration::from_millis(100)));
        assert_eq!(p.delay(3, &down), Some(Duration::from_millis(400)));
        assert_eq!(p.delay(p.max_attempts, &down), None);
    }

    #[test]
    fn a_version_mismatch_is_never_retried() {
        let stale = status(Code::Aborted, "ERROR_REASON_VERSION_MISMATCH", None);
        assert_eq!(RetryPolicy::default().delay(1, &stale), None);
    }

    #[test]
    fn a_call_over_its_tenants_limit_is_left_to_the_caller() {
        let limited = status(Code::ResourceExhausted, "ERROR_REASON_RATE_LIMITED", Some(Duration::from_millis(300)));
        assert_eq!(RetryPolicy::default().delay(1, &limited), None);
    }
}
