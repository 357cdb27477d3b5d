//! SCIM JSON <-> identity.v1 protobuf, in both directions, for users and
//! groups. The only place the edge maps between the two.
//!
//! Reading SCIM JSON is lenient where real identity providers need it
//! (RFC 7643 §2.1: attribute names are case-insensitive; Entra sends
//! booleans as strings and nulls for absent values) and strict about types
//! otherwise (400 `invalidValue` naming the attribute).

pub mod group;
pub mod json;
pub mod user;

use prost_types::Timestamp;

/// RFC 3339 text of a protobuf timestamp (UTC, `Z`, microseconds: what is
/// stored, so a `meta.lastModified` read back filters exactly).
pub fn rfc3339(ts: Option<&Timestamp>) -> String {
    let ts = ts.cloned().unwrap_or_default();
    let nanos = u32::try_from(ts.nanos).unwrap_or(0);
    chrono::DateTime::from_timestamp(ts.seconds, nanos)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The ETag / `meta.version` of a stored version: a strong entity tag.
pub fn etag(version: &str) -> String {
    format!("\"{version}\"")
}

/// The stored version named by an entity tag (`"3"` or `W/"3"`).
pub fn version_of(etag: &str) -> String {
    let t = etag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"').to_owned()
}
