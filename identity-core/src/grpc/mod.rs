//! The gRPC border: identity.v1 services over the store. Protobuf input
//! becomes domain types here (INVALID_ARGUMENT on bad input) and errors
//! become statuses (via `From<Error> for Status`).

mod groups;
mod schemas;
mod tenants;
mod users;

use proto::v1::group_service_server::GroupServiceServer;
use proto::v1::schema_service_server::SchemaServiceServer;
use proto::v1::tenant_service_server::TenantServiceServer;
use proto::v1::user_service_server::UserServiceServer;
use tonic::Request;
use tonic::service::Routes;

use crate::domain::{TenantId, parse_version};
use crate::error::{Error, Result};
use crate::store::request_ids::Once;
use crate::store::{Page, Store, tenants as tenant_store};

/// Every identity.v1 service, ready to serve.
pub fn routes(store: Store) -> Routes {
    Routes::new(UserServiceServer::new(users::Users { store: store.clone() }))
        .add_service(GroupServiceServer::new(groups::Groups { store: store.clone() }))
        .add_service(SchemaServiceServer::new(schemas::Schemas { store: store.clone() }))
        .add_service(TenantServiceServer::new(tenants::Tenants { store }))
}

/// The tenant of the bearer token in the `authorization` metadata
/// (`Bearer <token>`, or the bare token).
async fn authenticate<T>(store: &Store, req: &Request<T>) -> Result<TenantId> {
    let header = req.metadata().get("authorization").and_then(|v| v.to_str().ok()).ok_or(Error::Unauthenticated)?;
    let token = bearer_token(header).ok_or(Error::Unauthenticated)?;
    Ok(tenant_store::authenticate(store, token).await?.id)
}

/// Accepts `Bearer <token>` (scheme case-insensitive) and a bare token.
pub fn bearer_token(header: &str) -> Option<&str> {
    let header = header.trim();
    let token = match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None if header.eq_ignore_ascii_case("bearer") => return None,
        None => header,
    };
    (!token.is_empty()).then_some(token)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_bare_tokens_are_accepted() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
