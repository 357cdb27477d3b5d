//! The audit trail, read and pruned: the one implementation behind
//! `ListAuditEvents` (AdminService) and `identity-core audit list` /
//! `audit purge`, plus the retention task `serve` runs. Events are written
//! by the store's write paths ([`crate::store::audit`]).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use proto::v1::AuditEvent;

use crate::admin::tenants::visible;
use crate::auth::{Principal, Scope};
use crate::error::{Error, Result};
use crate::store::audit::{self, Query};
use crate::store::{Listed, Page, Store};

/// Default of `serve --audit-retention-days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// How often the retention task looks for old events.
pub const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// What a listing asks for (ListAuditEventsRequest, validated).
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// Id or name; "" for every tenant (unbound admin credentials only).
    pub tenant: String,
    pub resource_type: String,
    pub resource_id: String,
    /// At or after (microseconds since the epoch).
    pub since_us: Option<i64>,
    /// Before.
    pub until_us: Option<i64>,
}

/// One page of events, newest first, as `actor` may see them: admin scope;
/// a credential bound to a tenant sees that tenant's events only.
pub async fn list(store: &Store, actor: &Principal, listing: Listing, page: &Page<'_>) -> Result<Listed<AuditEvent>> {
    actor.require(Scope::Admin)?;
    let tenant_id = if listing.tenant.is_empty() {
        if actor.bound {
            return Err(Error::PermissionDenied("name the tenant whose events to list".to_owned()));
        }
        None
    } else {
        // Another tenant than a bound admin's own is NOT_FOUND, exactly as an
        // unknown one: no oracle telling which tenants exist.
        let tenant = visible(store, actor, &listing.tenant).await?;
        Some(tenant.id.as_str().to_owned())
    };
    let some = |s: String| (!s.is_empty()).then_some(s);
    let q = Query {
        tenant_id,
        resource_type: some(listing.resource_type),
        resource_id: some(listing.resource_id),
        since_us: listing.since_us,
        until_us: listing.until_us,
    };
    audit::list(store, &q, page).await
}

/// Deletes the events older than `age`; returns how many went.
pub async fn purge(store: &Store, actor: &Principal, age: Duration) -> Result<u64> {
    actor.require(Scope::Admin)?;
    if actor.bound {
        return Err(Error::PermissionDenied("retention applies to every tenant".to_owned()));
    }
    audit::purge(store, cutoff(age)).await
}

/// Keeps `days` days of events (0: forever): deletes older ones now and
/// every [`RETENTION_EVERY`], until the task is dropped. What `serve` runs.
pub async fn retain(store: Store, days: u32) {
    if days == 0 {
        return;
    }
    let age = Duration::from_secs(u64::from(days) * 86_400);
    let mut every = tokio::time::interval(RETENTION_EVERY);
    loop {
        every.tick().await;
        match audit::purge(&store, cutoff(age)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, days, "audit events past retention deleted"),
            Err(e) => tracing::warn!(error = %e, "cannot delete audit events past retention"),
        }
    }
}

/// Now minus `age`, in stored form.
fn cutoff(age: Duration) -> i64 {
    let age_us = i64::try_from(age.as_micros()).unwrap_or(i64::MAX);
    Utc::now().timestamp_micros().saturating_sub(age_us)
}

/// Parses an age: a number and a unit, `s`, `m`, `h`, `d` or `w` (`90d`,
/// `1h`).
pub fn parse_age(s: &str) -> Result<Duration> {
    let bad = || Error::invalid("age", format!("{s:?} is not an age like 30m, 1h or 90d"));
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(bad)
}

/// Parses `--since`: an RFC 3339 date-time (`2026-12-01T09:00:00Z`) or an
/// age before now ([`parse_age`], `1h`); microseconds since the epoch.
pub fn parse_since(s: &str) -> Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc).timestamp_micros());
    }
    parse_age(s).map(cutoff).map_err(|_| {
        Error::invalid("since", format!("{s:?} is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor an age (1h)"))
    })
}

/// An event as one JSON object (the CLI prints one per line); the time in
/// RFC 3339, UTC.
pub fn to_json(e: &AuditEvent) -> serde_json::Value {
    let time = e
        .time
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
        .unwrap_or_default();
    serde_json::json!({
        "id": e.id,
        "time": time,
        "tenant_id": e.tenant_id,
        "credential_id": e.credential_id,
        "operation": e.operation,
        "resource_type": e.resource_type,
        "resource_id": e.resource_id,
        "outcome": e.outcome,
        "request_id": e.request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_a_unit() {
        assert_eq!(parse_age("90d").ok(), Some(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_age("1h").ok(), Some(Duration::from_secs(3600)));
        assert_eq!(parse_age("30m").ok(), Some(Duration::from_secs(1800)));
        assert!(parse_age("90").is_err());
        assert!(parse_age("d").is_err());
        assert!(parse_age("1y").is_err());
        assert!(parse_age("-1h").is_err());
    }

    #[test]
    fn since_is_a_time_or_an_age() {
        assert_eq!(parse_since("2026-12-01T00:00:00Z").ok(), Some(1_796_083_200_000_000));
        let hour_ago = parse_since("1h").unwrap_or(0);
        let expected = Utc::now().timestamp_micros() - 3_600_000_000;
        assert!((hour_ago - expected).abs() < 5_000_000);
        assert!(parse_since("yesterday").is_err());
    }
}
