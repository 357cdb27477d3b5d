//! The audit trail: who changed what. Every write of the user, group and
//! schema stores and every admin action records one event (time, tenant,
//! credential id, never a secret; operation, resource type and id, outcome,
//! request id) in the same transaction as the write, through [`record`]:
//! the one place every write transaction goes through, where the change
//! stream's outbox row will be written too. One event per resource
//! changed: a PATCH adding 1,000 members is one event on the Group. A
//! failed write rolled its transaction back, so its event is written
//! afterwards on its own ([`record_failure`], best effort). Reads record
//! nothing.

pub mod call;

use proto::v1::AuditEvent;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::audit_events;
use super::paging::{self, Listed, Page, Position};
use super::{Store, time};
use crate::domain::TenantId;
use crate::error::{Error, Result};

pub use call::{Call, Caller, authenticated, caller, scope};

/// Outcome of a write that committed.
pub const OK: &str = "OK";

/// One audit event, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// "" for actions on no tenant.
    pub tenant_id: &'a str,
    /// The credential's id ("tok_…", "sa_…", "cli"); never a secret.
    pub credential_id: &'a str,
    /// The gRPC method, e.g. "identity.v1.UserService/CreateUser" (the CLI
    /// records the AdminService method it stands for).
    pub operation: &'a str,
    /// "User", "Group", "Tenant", "Token", "ServiceAccount", "Schema".
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    /// [`OK`] or the gRPC code name of the failure ("NOT_FOUND").
    pub outcome: &'a str,
    pub request_id: &'a str,
}

/// Writes `event` (one INSERT) on `conn`: inside the write's transaction
/// for a write, so both commit or neither does.
pub async fn record<C: ConnectionTrait>(conn: &C, event: &Event<'_>) -> Result<()> {
    record_all(conn, std::slice::from_ref(event)).await
}

/// Rows per multi-row INSERT of [`record_all`].
const INSERT_BATCH: usize = 500;

/// Writes `events` in bounded multi-row INSERTs (an import's users).
pub async fn record_all<C: ConnectionTrait>(conn: &C, events: &[Event<'_>]) -> Result<()> {
    // Each column is bounded (MySQL refuses longer values in strict mode;
    // an audit row must never fail its write).
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let now = time::now_us();
    for part in events.chunks(INSERT_BATCH) {
        let rows = part.iter().map(|e| audit_events::ActiveModel {
            id: NotSet,
            time_us: Set(now),
            tenant_id: Set(cut(e.tenant_id, 36)),
            credential_id: Set(cut(e.credential_id, 255)),
            operation: Set(cut(e.operation, 128)),
            resource_type: Set(cut(e.resource_type, 32)),
            resource_id: Set(cut(e.resource_id, 255)),
            outcome: Set(cut(e.outcome, 32)),
            request_id: Set(cut(e.request_id, 128)),
        });
        audit_events::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Records that the call in progress writes `resource_type` `id` of
/// `tenant` in `txn` (outcome OK: the event commits with the write or not
/// at all). The one call each write function makes, first in its
/// transaction, so that a write failing later is still known by its
/// resource (see [`record_failure`]).
pub async fn wrote(txn: &DatabaseTransaction, tenant: &TenantId, resource_type: &'static str, id: &str) -> Result<()> {
    wrote_all(txn, tenant, resource_type, &[id]).await
}

/// [`wrote`] for several resources of one type (an import): one event each.
pub async fn wrote_all(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    resource_type: &'static str,
    ids: &[&str],
) -> Result<()> {
    if let [id] = ids {
        call::target(resource_type, id);
    }
    let Caller { operation, request_id, credential_id } = caller();
    let events: Vec<Event<'_>> = ids
        .iter()
        .map(|id| Event {
            tenant_id: tenant.as_str(),
            credential_id: &credential_id,
            operation: &operation,
            resource_type,
            resource_id: id,
            outcome: OK,
            request_id: &request_id,
        })
        .collect();
    record_all(txn, &events).await
}

/// Most time a failure's event may add to the failed call's answer.
const FAILURE_RECORD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Records the failure of the call in progress when it is a write by an
/// authenticated caller: `outcome` is the gRPC code name. Its own short
/// statement, best effort (a failure to record is logged, not returned).
/// Not when the database is unreachable or the caller is being throttled
/// (UNAVAILABLE, RESOURCE_EXHAUSTED): the INSERT would fail, or add load
/// exactly when there is too much.
pub async fn record_failure(outcome: &str) {
    if matches!(outcome, "UNAVAILABLE" | "RESOURCE_EXHAUSTED") {
        return;
    }
    let Some(failed) = call::failed() else { return };
    if !is_write(&failed.caller.operation) {
        return;
    }
    let (resource_type, resource_id) = match &failed.target {
        Some((t, id)) => (*t, id.as_str()),
        None => (service_resource(&failed.caller.operation), ""),
    };
    let event = Event {
        tenant_id: &failed.tenant_id,
        credential_id: &failed.caller.credential_id,
        operation: &failed.caller.operation,
        resource_type,
        resource_id,
        outcome,
        request_id: &failed.caller.request_id,
    };
    let written = tokio::time::timeout(FAILURE_RECORD_TIMEOUT, async {
        let _writer = failed.store.writer().await;
        record(failed.store.conn(), &event).await
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, operation = %event.operation, "cannot record a failed write in the audit trail");
        }
        Err(_) => tracing::warn!(operation = %event.operation, "recording a failed write in the audit trail timed out"),
    }
}

/// Whether a method writes (or is an admin action): every identity.v1
/// method but the reads (Get…, List…, WhoAmI).
pub fn is_write(operation: &str) -> bool {
    let Some((service, method)) = operation.split_once('/') else { return false };
    service.starts_with("identity.v1.")
        && !method.starts_with("Get")
        && !method.starts_with("List")
        && method != "WhoAmI"
}

/// The resource type a method writes, for a failure that named none.
fn service_resource(operation: &str) -> &'static str {
    let Some((service, method)) = operation.split_once('/') else { return "" };
    match service {
        "identity.v1.UserService" => "User",
        "identity.v1.GroupService" => "Group",
        "identity.v1.SchemaService" => "Schema",
        "identity.v1.AdminService" if method.ends_with("ServiceAccount") => "ServiceAccount",
        "identity.v1.AdminService" if method.ends_with("Token") => "Token",
        "identity.v1.AdminService" if method.ends_with("Schema") => "Schema",
        "identity.v1.AdminService" => "Tenant",
        _ => "",
    }
}

/// The gRPC code name (as in the gRPC status code documentation and
/// google.rpc.Code) of `code`, e.g. "NOT_FOUND".
pub fn outcome(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => OK,
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Which events a listing wants (every field optional).
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// None: every tenant.
    pub tenant_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// At or after (microseconds since the epoch).
    pub since_us: Option<i64>,
    /// Before.
    pub until_us: Option<i64>,
}

impl Query {
    /// What a page token of this query is bound to.
    fn fingerprint(&self) -> [u8; 32] {
        let (since, until) = (self.since_us.map(|t| t.to_string()), self.until_us.map(|t| t.to_string()));
        paging::fingerprint_of(&[
            "audit_events",
            self.resource_type.as_deref().unwrap_or("\u{0}"),
            self.resource_id.as_deref().unwrap_or("\u{0}"),
            since.as_deref().unwrap_or("-"),
            until.as_deref().unwrap_or("-"),
        ])
    }
}

/// One page of the events matching `q`, newest first (keyset on the id:
/// the page token holds the last id shown).
pub async fn list(store: &Store, q: &Query, page: &Page<'_>) -> Result<Listed<AuditEvent>> {
    let scope = TenantId::from_db(q.tenant_id.clone().unwrap_or_default());
    let fingerprint = q.fingerprint();
    let mut select = audit_events::Entity::find();
    if let Some(t) = &q.tenant_id {
        select = select.filter(audit_events::Column::TenantId.eq(t.as_str()));
    }
    if let Some(rt) = &q.resource_type {
        select = select.filter(audit_events::Column::ResourceType.eq(rt.as_str()));
    }
    if let Some(id) = &q.resource_id {
        select = select.filter(audit_events::Column::ResourceId.eq(id.as_str()));
    }
    if let Some(t) = q.since_us {
        select = select.filter(audit_events::Column::TimeUs.gte(t));
    }
    if let Some(t) = q.until_us {
        select = select.filter(audit_events::Column::TimeUs.lt(t));
    }
    if !page.token.is_empty() {
        let (_, last) = paging::position_of(store, &scope, &fingerprint, page.token, false).await?.into_parts();
        let last: i64 = last.parse().map_err(|_| Error::InvalidPageToken)?;
        select = select.filter(audit_events::Column::Id.lt(last));
    }
    let mut rows = select
        .order_by(audit_events::Column::Id, Order::Desc)
        .offset(page.skip)
        .limit(page.size + 1)
        .all(store.conn())
        .await?;
    let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > page.size;
    rows.truncate(usize::try_from(page.size).unwrap_or(usize::MAX));
    let next_token = match rows.last() {
        Some(last) if more => {
            paging::token_for(store, &scope, &fingerprint, &Position::new(None, last.id.to_string())).await?
        }
        _ => String::new(),
    };
    Ok(Listed { items: rows.into_iter().map(to_proto).collect(), total: None, next_token })
}

fn to_proto(row: audit_events::Model) -> AuditEvent {
    AuditEvent {
        id: row.id.to_string(),
        time: Some(time::to_proto(row.time_us)),
        tenant_id: row.tenant_id,
        credential_id: row.credential_id,
        operation: row.operation,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
        outcome: row.outcome,
        request_id: row.request_id,
    }
}

/// Most rows one retention DELETE removes: a long backlog goes in short
/// statements, never one long lock.
pub const PURGE_BATCH: u64 = 1000;

/// Deletes the events older than `before_us`, [`PURGE_BATCH`] rows per
/// statement; returns how many went.
pub async fn purge(store: &Store, before_us: i64) -> Result<u64> {
    let mut total = 0;
    loop {
        // The ids first, then a DELETE by id: MySQL has no LIMIT on a
        // DELETE with a subquery on the same table, SQLite none on DELETE.
        let ids: Vec<i64> = audit_events::Entity::find()
            .select_only()
            .column(audit_events::Column::Id)
            .filter(audit_events::Column::TimeUs.lt(before_us))
            .order_by(audit_events::Column::TimeUs, Order::Asc)
            .limit(PURGE_BATCH)
            .into_tuple()
            .all(store.conn())
            .await?;
        if ids.is_empty() {
            return Ok(total);
        }
        let n = ids.len();
        let _writer = store.writer().await;
        let deleted =
            audit_events::Entity::delete_many().filter(audit_events::Column::Id.is_in(ids)).exec(store.conn()).await?;
        total += deleted.rows_affected;
        if u64::try_from(n).unwrap_or(u64::MAX) < PURGE_BATCH {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_not_writes() {
        assert!(is_write("identity.v1.UserService/CreateUser"));
        assert!(is_write("identity.v1.GroupService/DeleteMembership"));
        assert!(is_write("identity.v1.AdminService/SuspendTenant"));
        assert!(!is_write("identity.v1.UserService/GetUser"));
        assert!(!is_write("identity.v1.AdminService/ListAuditEvents"));
        assert!(!is_write("identity.v1.TenantService/WhoAmI"));
        assert!(!is_write("grpc.health.v1.Health/Check"));
    }

    #[test]
    fn a_failure_naming_no_resource_gets_its_method_s_type() {
        assert_eq!(service_resource("identity.v1.UserService/ReplaceUser"), "User");
        assert_eq!(service_resource("identity.v1.GroupService/CreateMembership"), "Group");
        assert_eq!(service_resource("identity.v1.AdminService/RevokeServiceAccount"), "ServiceAccount");
        assert_eq!(service_resource("identity.v1.AdminService/IssueToken"), "Token");
        assert_eq!(service_resource("identity.v1.AdminService/DeleteSchema"), "Schema");
        assert_eq!(service_resource("identity.v1.AdminService/SetTenantLimits"), "Tenant");
    }

    #[test]
    fn outcomes_are_grpc_code_names() {
        assert_eq!(outcome(tonic::Code::Ok), "OK");
        assert_eq!(outcome(tonic::Code::NotFound), "NOT_FOUND");
        assert_eq!(outcome(tonic::Code::AlreadyExists), "ALREADY_EXISTS");
    }
}
