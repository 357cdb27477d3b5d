//! Endpoint names as clients really spell them. RFC 7644 §3.2 writes
//! `/Users` and `/Groups`, but clients send `/users`, `/GROUPS` or
//! `/Users/?filter=…` (Microsoft's SCIMReferenceCode test collection does).
//! Every request is rewritten to the canonical spelling before routing, so
//! handlers, `meta.location` and `Location` only ever see canonical names.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

use crate::BASE_PATH;

/// The endpoints under [`BASE_PATH`], as RFC 7644 §3.2 spells them.
pub const ENDPOINTS: [&str; 8] =
    ["Users", "Groups", "GroupMembers", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Bulk", ".search"];

/// The canonical spelling of an endpoint name, whatever its letter case.
pub fn canonical_endpoint(name: &str) -> Option<&'static str> {
    ENDPOINTS.into_iter().find(|e| e.eq_ignore_ascii_case(name))
}

/// The canonical form of `path` (endpoint name in its RFC spelling, one
/// trailing `/` dropped), or `None` when it already is canonical or is not a
/// SCIM endpoint. Ids keep their spelling.
pub fn canonical_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix(BASE_PATH)?.strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (first, tail) = match rest.split_once('/') {
        Some((first, tail)) => (first, Some(tail)),
        None => (rest, None),
    };
    let endpoint = canonical_endpoint(first)?;
    let out = match tail {
        None => format!("{BASE_PATH}/{endpoint}"),
        Some(t) if t.eq_ignore_ascii_case(".search") => format!("{BASE_PATH}/{endpoint}/.search"),
        Some(t) => format!("{BASE_PATH}/{endpoint}/{t}"),
    };
    (out != path).then_some(out)
}

/// Rewrites the request's path to [`canonical_path`], keeping the query.
pub fn canonical_request(mut req: Request) -> Request {
    let Some(path) = canonical_path(req.uri().path()) else { return req };
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = req.uri().clone().into_parts();
    let Ok(pq) = PathAndQuery::try_from(path_and_query) else { return req };
    parts.path_and_query = Some(pq);
    if let Ok(uri) = Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_in_any_case_become_canonical() {
        assert_eq!(canonical_path("/scim/v2/users").as_deref(), Some("/scim/v2/Users"));
        assert_eq!(canonical_path("/scim/v2/GROUPS/abc").as_deref(), Some("/scim/v2/Groups/abc"));
        assert_eq!(canonical_path("/scim/v2/users/.SEARCH").as_deref(), Some("/scim/v2/Users/.search"));
        assert_eq!(canonical_path("/scim/v2/serviceproviderconfig").as_deref(), Some("/scim/v2/ServiceProviderConfig"));
        assert_eq!(canonical_path("/scim/v2/bulk").as_deref(), Some("/scim/v2/Bulk"));
    }

    #[test]
    fn one_trailing_slash_is_dropped() {
        assert_eq!(canonical_path("/scim/v2/Users/").as_deref(), Some("/scim/v2/Users"));
        assert_eq!(canonical_path("/scim/v2/Users/AbC/").as_deref(), Some("/scim/v2/Users/AbC"));
    }

    #[test]
    fn canonical_paths_ids_and_unknown_endpoints_are_left_alone() {
        assert_eq!(canonical_path("/scim/v2/Users"), None);
        assert_eq!(canonical_path("/scim/v2/Users/AbC"), None);
        assert_eq!(canonical_path("/scim/v2/Nope"), None);
        assert_eq!(canonical_path("/scim/v2"), None);
        assert_eq!(canonical_path("/other/Users"), None);
    }

    #[test]
    fn the_query_survives_the_rewrite() {
        let req = Request::builder().uri("/scim/v2/users/?filter=userName%20eq%20x").body(Default::default());
        let req = req.map(canonical_request).ok();
        assert_eq!(req.map(|r| r.uri().to_string()).as_deref(), Some("/scim/v2/Users?filter=userName%20eq%20x"));
    }
}
