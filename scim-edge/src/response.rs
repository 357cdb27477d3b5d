//! SCIM responses: `application/scim+json`, with `ETag` and `Location`
//! where a single resource is returned.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The media type of every SCIM response (RFC 7644 §3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// A JSON body with SCIM headers.
pub struct Scim {
    pub status: StatusCode,
    pub body: Value,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl Scim {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Self { status: StatusCode::OK, body, etag: None, location: None }
    }

    /// A single resource: its ETag is `meta.version`; `created` adds 201 and
    /// `Location` = `meta.location`.
    pub fn resource(body: Value, created: bool) -> Self {
        let etag = body.pointer("/meta/version").and_then(Value::as_str).map(str::to_owned);
        let location = body.pointer("/meta/location").and_then(Value::as_str).map(str::to_owned);
        Self {
            status: if created { StatusCode::CREATED } else { StatusCode::OK },
            body,
            etag,
            location: if created { location } else { None },
        }
    }
}

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
        if let Some(v) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            h.insert(header::ETAG, v);
        }
        if let Some(v) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            h.insert(header::LOCATION, v);
        }
        resp
    }
}
