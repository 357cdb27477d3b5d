//! HTTP handlers per resource type (`/Users`, `/Groups`), `/Bulk` and the
//! discovery endpoints, plus what they share: list envelopes and conditional
//! requests.

pub mod bulk;
pub mod discovery;
pub mod group_members;
pub mod groups;
pub mod search;
pub mod users;

use axum::http::header::{IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::convert::version_of;
use crate::query::ListQuery;
use crate::response::Scim;
use crate::schema::LIST_RESPONSE;

/// RFC 7644 §3.4.2 ListResponse.
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// A total from identity-core (never negative).
pub fn total(n: Option<i64>) -> Option<u64> {
    n.map(|n| u64::try_from(n).unwrap_or_default())
}

/// The ListResponse of a list request: index paging (RFC 7644 §3.4.2.4), or
/// cursor paging (RFC 9865: `nextCursor` on every page but the last, no
/// `startIndex`).
pub fn paged_response(q: &ListQuery, total: Option<u64>, resources: Vec<Value>, next_cursor: &str) -> Value {
    if q.cursor.is_none() {
        return list_response(total.unwrap_or_default(), q.start_index, resources);
    }
    let mut body = json!({
        "schemas": [LIST_RESPONSE],
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    if let Some(t) = total {
        body["totalResults"] = json!(t);
    }
    if !next_cursor.is_empty() {
        body["nextCursor"] = json!(next_cursor);
    }
    body
}

/// The version required by `If-Match` (RFC 7644 §3.14); `*` or absent: none.
pub fn if_match(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(IF_MATCH)?.to_str().ok()?.trim();
    (v != "*" && !v.is_empty()).then(|| version_of(v.split(',').next().unwrap_or(v)))
}

/// Whether `If-None-Match` names the current ETag (GET answers 304).
pub fn not_modified(headers: &HeaderMap, etag: Option<&str>) -> bool {
    let (Some(h), Some(etag)) = (headers.get(IF_NONE_MATCH).and_then(|h| h.to_str().ok()), etag) else {
        return false;
    };
    let current = version_of(etag);
    h.split(',').any(|t| t.trim() == "*" || version_of(t) == current)
}

/// A single resource for GET: 304 when `If-None-Match` names its ETag.
pub fn conditional(headers: &HeaderMap, resp: Scim) -> Response {
    if not_modified(headers, resp.etag.as_deref()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    resp.into_response()
}

/// Query pairs of a request, for case-insensitive parameter lookup.
pub type QueryPairs = axum::extract::Query<Vec<(String, String)>>;
