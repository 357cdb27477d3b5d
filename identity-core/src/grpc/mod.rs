//! The gRPC border: identity.v1 services over the store. Protobuf input
//! becomes domain types here (INVALID_ARGUMENT on bad input) and errors
//! become statuses (via `From<Error> for Status`).

mod admin;
mod groups;
mod schemas;
mod tenants;
mod users;

use proto::v1::admin_service_server::AdminServiceServer;
use proto::v1::group_service_server::GroupServiceServer;
use proto::v1::schema_service_server::SchemaServiceServer;
use proto::v1::tenant_service_server::TenantServiceServer;
use proto::v1::user_service_server::UserServiceServer;
use tonic::Request;
use tonic::service::Routes;

use crate::auth::{Principal, Scope};
use crate::domain::{TenantId, parse_version};
use crate::error::{Error, Result};
use crate::store::request_ids::Once;
use crate::store::{Page, Store};

/// Every identity.v1 service, ready to serve.
pub fn routes(store: Store) -> Routes {
    Routes::new(UserServiceServer::new(users::Users { store: store.clone() }))
        .add_service(GroupServiceServer::new(groups::Groups { store: store.clone() }))
        .add_service(SchemaServiceServer::new(schemas::Schemas { store: store.clone() }))
        .add_service(TenantServiceServer::new(tenants::Tenants { store: store.clone() }))
        .add_service(AdminServiceServer::new(admin::Admin { store }))
}

/// The caller of a call: the one [`crate::limits::LimitLayer`] authenticated,
/// else from its `authorization` metadata (noted for the audit trail).
async fn principal<T>(store: &Store, req: &Request<T>) -> Result<Principal> {
    let p = match req.extensions().get::<Principal>() {
        Some(p) => p.clone(),
        None => crate::auth::authenticate(store, req.metadata()).await?,
    };
    let tenant = p.tenant.as_ref().map(|t| t.id.as_str()).unwrap_or_default();
    crate::store::audit::authenticated(store, tenant, &p.credential_id);
    Ok(p)
}

/// The tenant a call acts on, when its caller has `scope` (Get and List
/// methods need Read, every other method Write): PERMISSION_DENIED
/// otherwise.
async fn authenticate<T>(store: &Store, req: &Request<T>, scope: Scope) -> Result<TenantId> {
    let p = principal(store, req).await?;
    p.require(scope)?;
    Ok(p.tenant()?.id.clone())
}

/// The paging fields of a List request (see "Paging" in common.proto).
fn page(page_size: i32, page_token: &str, skip: i64, include_total_size: bool) -> Result<Page<'_>> {
    Page::parse(page_size, page_token, skip, include_total_size)
}

/// A create's idempotency key: `request` is the request message with its
/// request id cleared, encoded (a retry must send the same request).
fn once<'a>(tenant: &'a TenantId, request_id: &'a str, method: &'static str, request: &'a [u8]) -> Once<'a> {
    Once { tenant, request_id, method, request }
}

/// A total for the wire.
fn total(n: Option<u64>) -> Option<i64> {
    n.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// Parses `expected_version`; a malformed one can never match.
fn expected_version(v: Option<&str>) -> Result<Option<i64>> {
    match v {
        None => Ok(None),
        Some(s) => parse_version(s)
            .map(Some)
            .ok_or_else(|| Error::VersionMismatch { expected: s.to_owned(), current: "unknown".to_owned() }),
    }
}
