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

/// A JSON value as a protobuf `Value` (numbers become doubles).
pub fn to_prost(v: &Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(a) => Kind::ListValue(prost_types::ListValue { values: a.iter().map(to_prost).collect() }),
        Value::Object(o) => {
            Kind::StructValue(prost_types::Struct { fields: o.iter().map(|(k, v)| (k.clone(), to_prost(v))).collect() })
        }
    };
    prost_types::Value { kind: Some(kind) }
}

/// A protobuf `Value` as JSON; whole doubles render as integers.
pub fn from_prost(v: &prost_types::Value) -> Value {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        #[allow(clippy::cast_possible_truncation)]
        Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::from(*n as i64),
        Some(Kind::NumberValue(n)) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::ListValue(l)) => Value::Array(l.values.iter().map(from_prost).collect()),
        Some(Kind::StructValue(s)) => Value::Object(s.fields.iter().map(|(k, v)| (k.clone(), from_prost(v))).collect()),
    }
}
