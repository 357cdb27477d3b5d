//! The PATCH engine (RFC 7644 §3.5.2). A PatchOp document is parsed into
//! operations once ([`parse`]); users apply them to their SCIM JSON
//! ([`doc`]), groups turn them into membership deltas and attribute changes
//! ([`group`]).
//!
//! Accepted as real identity providers send it: `op` in any case (Entra's
//! `Replace`), path-less operations whose value keys are plain, dotted
//! (`name.givenName`) or URN-qualified, string booleans.

pub mod doc;
pub mod fields;
pub mod group;
pub(crate) mod select;

use serde_json::Value;

use crate::convert::json::get;
use crate::error::{ScimError, ScimResult, ScimType};
use crate::filter::{PatchPath, parse_patch_path};

/// Most operations one PatchOp may carry.
pub const MAX_OPERATIONS: usize = 1000;

/// `add`, `replace` or `remove`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

/// One parsed operation.
#[derive(Clone, Debug)]
pub struct Operation {
    /// Position in the document, for error details.
    pub index: usize,
    pub op: Op,
    pub path: Option<PatchPath>,
    /// The raw path text, for error details.
    pub path_text: Option<String>,
    pub value: Option<Value>,
    /// Applied for a strict tenant (set by the engine, not parsed).
    pub strict: bool,
}

impl Operation {
    /// An error naming this operation.
    pub fn error(&self, scim_type: ScimType, detail: impl std::fmt::Display) -> ScimError {
        let path = self.path_text.as_deref().map(|p| format!(" (path {p:?})")).unwrap_or_default();
        ScimError::bad_request(scim_type, format!("operation {}{path}: {detail}", self.index))
    }
}

/// Parses a PatchOp body.
pub fn parse(body: &Value) -> ScimResult<Vec<Operation>> {
    let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a PatchOp must be a JSON object"))?;
    let ops = match get(obj, "Operations") {
        Some(Value::Array(a)) => a,
        _ => {
            return Err(ScimError::invalid_syntax("a PatchOp needs an \"Operations\" array"));
        }
    };
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax("\"Operations\" is empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!("more than {MAX_OPERATIONS} operations")));
    }
    ops.iter().enumerate().map(|(index, raw)| parse_one(index, raw)).collect()
}

fn parse_one(index: usize, raw: &Value) -> ScimResult<Operation> {
    let bad = |detail: &str| ScimError::invalid_syntax(format!("operation {index}: {detail}"));
    let o = raw.as_object().ok_or_else(|| bad("must be an object"))?;
    let op = match get(o, "op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => Op::Add,
        Some(s) if s.eq_ignore_ascii_case("replace") => Op::Replace,
        Some(s) if s.eq_ignore_ascii_case("remove") => Op::Remove,
        Some(s) => {
            return Err(bad(&format!("unknown op {s:?} (expected add, replace or remove)")));
        }
        None => return Err(bad("missing \"op\"")),
    };
    let path_text = match get(o, "path") {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => return Err(bad("\"path\" must be a string")),
    };
    let path = match &path_text {
        None => None,
        Some(p) => Some(
            parse_patch_path(p)
                .map_err(|e| ScimError::bad_request(ScimType::InvalidPath, format!("operation {index}: {e}")))?,
        ),
    };
    let value = get(o, "value").cloned();
    let explicit_null = o.iter().any(|(k, v)| k.eq_ignore_ascii_case("value") && v.is_null());
    // Setting an attribute to null clears it (RFC 7643 §2.5: null is
    // "unassigned"); Entra sends such operations.
    let op = if op != Op::Remove && explicit_null && path.is_some() { Op::Remove } else { op };
    if op != Op::Remove && value.is_none() {
        return Err(bad("add and replace need a \"value\""));
    }
    if op == Op::Remove && path.is_none() && value.is_none() {
        return Err(ScimError::bad_request(ScimType::NoTarget, format!("operation {index}: remove needs a \"path\"")));
    }
    Ok(Operation { index, op, path, path_text, value, strict: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capitalised_ops_are_accepted() -> Result<(), String> {
        let ops = parse(&json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}))
            .map_err(|e| e.detail)?;
        assert_eq!(ops[0].op, Op::Replace);
        Ok(())
    }

    #[test]
    fn a_missing_operations_array_is_invalid_syntax() {
        let e = parse(&json!({"schemas": []})).err().and_then(|e| e.scim_type);
        assert_eq!(e, Some(ScimType::InvalidSyntax));
    }

    #[test]
    fn a_malformed_path_is_invalid_path() {
        let e = parse(&json!({"Operations": [{"op": "remove", "path": "members[value eq"}]}))
            .err()
            .and_then(|e| e.scim_type);
        assert_eq!(e, Some(ScimType::InvalidPath));
    }
}
