//! Lenient readers of SCIM JSON values: case-insensitive keys, nulls as
//! absent, booleans from strings, typed errors naming the attribute.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimResult};

/// The value of `key` in `obj`, compared case-insensitively; JSON null is
/// absent.
pub fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v).filter(|v| !v.is_null())
}

/// The key actually used in `obj` for `key` (case-insensitive).
pub fn key_of(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

/// An optional string attribute.
pub fn string(obj: &Map<String, Value>, key: &str) -> ScimResult<Option<String>> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::invalid_value(format!("{key} must be a string, not {}", kind(other)))),
    }
}

/// An optional boolean; accepts "true"/"false" in any case (Entra).
pub fn boolean(obj: &Map<String, Value>, key: &str) -> ScimResult<Option<bool>> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => as_bool(v)
            .map(Some)
            .ok_or_else(|| ScimError::invalid_value(format!("{key} must be a boolean, not {}", kind(v)))),
    }
}

/// A JSON boolean, or a string spelling one.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An optional object attribute.
pub fn object<'a>(obj: &'a Map<String, Value>, key: &str) -> ScimResult<Option<&'a Map<String, Value>>> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(ScimError::invalid_value(format!("{key} must be an object, not {}", kind(other)))),
    }
}

/// An optional array attribute; a single object is taken as a one-element
/// array.
pub fn array<'a>(obj: &'a Map<String, Value>, key: &str) -> ScimResult<Vec<&'a Value>> {
    match get(obj, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.iter().filter(|v| !v.is_null()).collect()),
        Some(v @ Value::Object(_)) => Ok(vec![v]),
        Some(other) => Err(ScimError::invalid_value(format!("{key} must be an array, not {}", kind(other)))),
    }
}

/// The JSON type of `v`, for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Inserts `key: value` unless `value` is None.
pub fn put(obj: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        obj.insert(key.to_owned(), v.into());
    }
}
