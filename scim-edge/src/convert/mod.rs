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

/// The tenant's own extensions in a SCIM body (`{"<urn>": {...}}`), for
/// identity-core, which checks them against the declarations. Attribute
/// names are made canonical; names a schema does not define are left out
/// (strict tenants were refused before); "true"/"false" strings become
/// booleans for boolean attributes.
pub fn extensions_from(
    scope: crate::schema::Scope<'_>,
    obj: &serde_json::Map<String, serde_json::Value>,
) -> crate::error::ScimResult<Option<prost_types::Struct>> {
    use serde_json::Value;
    let mut fields = std::collections::BTreeMap::new();
    for ext in scope.extensions().filter(|s| scope.is_custom(s)) {
        let Some(values) = json::object(obj, ext.id)? else { continue };
        let mut attrs = std::collections::BTreeMap::new();
        for (name, v) in values {
            let Some(def) = ext.attribute(name).filter(|_| !v.is_null()) else { continue };
            let v = match (def.kind, v) {
                (crate::schema::AttrType::Boolean, Value::String(_)) => {
                    json::as_bool(v).map_or_else(|| v.clone(), Value::Bool)
                }
                _ => v.clone(),
            };
            attrs.insert(def.name.to_owned(), json::to_prost(&v));
        }
        if !attrs.is_empty() {
            let s = prost_types::Struct { fields: attrs };
            fields
                .insert(ext.id.to_owned(), prost_types::Value { kind: Some(prost_types::value::Kind::StructValue(s)) });
        }
    }
    Ok((!fields.is_empty()).then_some(prost_types::Struct { fields }))
}

/// Adds a resource's extension values to its SCIM JSON (and their URNs to
/// `schemas`).
pub fn extensions_into(
    o: &mut serde_json::Map<String, serde_json::Value>,
    schemas: &mut Vec<serde_json::Value>,
    ext: Option<&prost_types::Struct>,
) {
    for (urn, v) in ext.map(|e| &e.fields).into_iter().flatten() {
        schemas.push(serde_json::Value::String(urn.clone()));
        o.insert(urn.clone(), json::from_prost(v));
    }
}
