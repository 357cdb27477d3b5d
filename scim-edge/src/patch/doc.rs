//! PATCH on a SCIM JSON document: the operations are applied, in order, to
//! a resource's rendered JSON (a user; a group's extension attributes); the
//! result is then read back like a PUT body and written with the version it
//! was read at, so the whole PatchOp is atomic and no concurrent change is
//! lost.

use serde_json::{Map, Value};

use super::select::{equalities, matches};
use super::{Op, Operation};
use crate::convert::json::key_of;
use crate::error::{ScimResult, ScimType};
use crate::filter::{AttrPath, PatchPath, parse_patch_path};
use crate::schema::{self, Mutability, Resolved, Scope};

/// Applies `ops` to `doc` (a rendered user). `strict`: the interop
/// profile's semantics (replace on a complex attribute replaces it whole).
pub fn apply(scope: Scope<'_>, doc: &mut Value, ops: &[Operation], strict: bool) -> ScimResult<()> {
    for op in ops {
        let op = &Operation { strict, ..op.clone() };
        let before = primaries(doc);
        let extension = op.path_text.as_deref().and_then(|p| scope.extension(p));
        match (&op.path, extension) {
            (_, Some(ext)) => apply_extension(scope, doc, op, ext)?,
            (Some(path), None) => apply_path(scope, doc, op, path, op.value.as_ref())?,
            (None, None) => apply_pathless(scope, doc, op)?,
        }
        demote_old_primaries(doc, &before);
    }
    Ok(())
}

/// The elements marked primary, per multi-valued attribute (without their
/// `primary` flag, to recognise them after the operation).
fn primaries(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (key, v) in doc.as_object().into_iter().flatten() {
        for el in v.as_array().into_iter().flatten() {
            if el.get("primary").and_then(crate::convert::json::as_bool) == Some(true) {
                out.push((key.clone(), without_primary(el)));
            }
        }
    }
    out
}

fn without_primary(el: &Value) -> Value {
    let mut el = el.clone();
    if let Some(o) = el.as_object_mut() {
        o.retain(|k, _| !k.eq_ignore_ascii_case("primary"));
    }
    el
}

/// RFC 7644 §3.5.2: setting `primary` on one value clears it on the others.
/// Where an operation made a second element primary, the one that was
/// primary before gives way.
fn demote_old_primaries(doc: &mut Value, before: &[(String, Value)]) {
    for (key, v) in doc.as_object_mut().into_iter().flatten() {
        let Some(list) = v.as_array_mut() else { continue };
        let is_primary = |el: &Value| el.get("primary").and_then(crate::convert::json::as_bool) == Some(true);
        if list.iter().filter(|el| is_primary(el)).count() < 2 {
            continue;
        }
        for el in list.iter_mut() {
            if is_primary(el)
                && before.iter().any(|(k, old)| k == key && *old == without_primary(el))
                && let Some(o) = el.as_object_mut()
            {
                o.insert("primary".to_owned(), Value::Bool(false));
            }
        }
    }
}

/// The path is a bare extension URN: the value is an object of that
/// extension's attributes (its inner `schemas` key is ignored); remove drops
/// the whole extension.
fn apply_extension(scope: Scope<'_>, doc: &mut Value, op: &Operation, ext: &schema::SchemaDef) -> ScimResult<()> {
    if op.op == Op::Remove {
        if let Some(root) = doc.as_object_mut()
            && let Some(key) = key_of(root, ext.id)
        {
            root.remove(&key);
        }
        return Ok(());
    }
    let Some(Value::Object(attrs)) = &op.value else {
        return Err(op.error(ScimType::InvalidValue, format!("the value of {} must be an object", ext.id)));
    };
    if op.op == Op::Replace
        && let Some(root) = doc.as_object_mut()
        && let Some(key) = key_of(root, ext.id)
    {
        root.remove(&key);
    }
    extension_attrs(scope, doc, op, ext, attrs)
}

/// Applies `op` to each attribute of an extension object.
fn extension_attrs(
    scope: Scope<'_>,
    doc: &mut Value,
    op: &Operation,
    ext: &schema::SchemaDef,
    attrs: &Map<String, Value>,
) -> ScimResult<()> {
    for (name, v) in attrs {
        if name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let path = PatchPath {
            attr: AttrPath { urn: Some(ext.id.to_owned()), name: name.clone(), sub_attr: None },
            filter: None,
            sub_attr: None,
        };
        apply_path(scope, doc, op, &path, Some(v))?;
    }
    Ok(())
}

/// RFC 7644 §3.5.2.1/3 without a path: the value is an object of
/// attributes. Keys may be dotted (`name.givenName`) or URN-qualified, and
/// an extension URN key holds an object of that extension's attributes.
fn apply_pathless(scope: Scope<'_>, doc: &mut Value, op: &Operation) -> ScimResult<()> {
    let Some(Value::Object(value)) = &op.value else {
        return Err(op.error(ScimType::InvalidValue, "without a path, the value must be an object of attributes"));
    };
    let id = doc.get("id").cloned();
    for (key, v) in value {
        if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") || key.eq_ignore_ascii_case("groups")
        {
            continue;
        }
        if key.eq_ignore_ascii_case("id") {
            if Some(v) != id.as_ref() {
                return Err(op.error(ScimType::Mutability, "id is read-only"));
            }
            continue;
        }
        if let Some(ext) = scope.extension(key) {
            let Value::Object(attrs) = v else {
                return Err(op.error(ScimType::InvalidValue, format!("{key} must be an object")));
            };
            extension_attrs(scope, doc, op, ext, attrs)?;
            continue;
        }
        let path = parse_patch_path(key).map_err(|e| op.error(ScimType::InvalidPath, e))?;
        apply_path(scope, doc, op, &path, Some(v))?;
    }
    Ok(())
}

fn apply_path(
    scope: Scope<'_>,
    doc: &mut Value,
    op: &Operation,
    path: &PatchPath,
    value: Option<&Value>,
) -> ScimResult<()> {
    let attr = &path.attr;
    let resolved = schema::resolve(scope, attr.urn.as_deref(), &attr.name, attr.sub_attr.as_deref())
        .ok_or_else(|| op.error(ScimType::InvalidPath, format!("unknown attribute {}", attr)))?;
    if resolved.attr.mutability == Mutability::ReadOnly
        || resolved.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
    {
        return Err(op.error(ScimType::Mutability, format!("{} is read-only", resolved.canonical)));
    }
    let Some(root) = doc.as_object_mut() else {
        return Err(op.error(ScimType::InvalidValue, "the user is not an object"));
    };
    let container = container(root, &resolved, op.op != Op::Remove);
    let Some(container) = container else {
        return Ok(());
    }; // removing from an absent extension
    let key = key_of(container, resolved.attr.name).unwrap_or_else(|| resolved.attr.name.to_owned());
    let sub = resolved
        .sub
        .map(|s| s.name)
        .or_else(|| path.sub_attr.as_deref().and_then(|s| resolved.attr.sub_attribute(s).map(|d| d.name)));
    if path.sub_attr.is_some() && sub.is_none() {
        return Err(op.error(ScimType::InvalidPath, format!("{} has no such sub-attribute", resolved.canonical)));
    }
    match &path.filter {
        Some(filter) => {
            if !resolved.attr.multi_valued {
                return Err(op.error(ScimType::InvalidPath, format!("{} is not multi-valued", resolved.canonical)));
            }
            filtered(container, &key, op, &resolved, filter, sub, value)
        }
        None => match (sub, op.op) {
            (None, Op::Remove) => remove_attr(container, &key, &resolved, value),
            (None, _) => set_attr(container, &key, op, &resolved, value),
            (Some(sub), _) => set_sub(container, &key, op, sub, value),
        },
    }
}

/// The object holding the attribute: the user itself, or its extension
/// object (created when `create`).
fn container<'a>(root: &'a mut Map<String, Value>, r: &Resolved, create: bool) -> Option<&'a mut Map<String, Value>> {
    if !r.is_extension() {
        return Some(root);
    }
    let key = key_of(root, r.schema.id).unwrap_or_else(|| r.schema.id.to_owned());
    if !root.contains_key(&key) {
        if !create {
            return None;
        }
        root.insert(key.clone(), Value::Object(Map::new()));
        if let Some(Value::Array(schemas)) = root.get_mut("schemas")
            && !schemas.iter().any(|s| s.as_str() == Some(r.schema.id))
        {
            schemas.push(Value::String(r.schema.id.to_owned()));
        }
    }
    root.get_mut(&key).and_then(Value::as_object_mut)
}

fn set_attr(
    c: &mut Map<String, Value>,
    key: &str,
    op: &Operation,
    r: &Resolved,
    value: Option<&Value>,
) -> ScimResult<()> {
    let Some(value) = value else { return Ok(()) };
    if value.is_null() {
        c.remove(key);
        return Ok(());
    }
    if r.attr.multi_valued {
        let incoming = match value {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        match (op.op, c.get_mut(key)) {
            (Op::Add, Some(Value::Array(existing))) => {
                for v in incoming {
                    if !existing.contains(&v) {
                        existing.push(v);
                    }
                }
            }
            _ => {
                c.insert(key.to_owned(), Value::Array(incoming));
            }
        }
        return Ok(());
    }
    if r.attr.kind == schema::AttrType::Complex {
        // Entra sends a manager as its bare id, or a one-element array.
        let value = match value {
            Value::Array(list) if list.len() == 1 => &list[0],
            other => other,
        };
        let wrapped;
        let value = match value {
            Value::String(id) if r.attr.sub_attribute("value").is_some() => {
                wrapped = serde_json::json!({ "value": id });
                &wrapped
            }
            other => other,
        };
        let Value::Object(subs) = value else {
            return Err(op.error(ScimType::InvalidValue, format!("{} must be an object", r.canonical)));
        };
        if op.strict && op.op == Op::Replace {
            // Interop profile: replace on a complex attribute replaces it whole.
            c.insert(key.to_owned(), value.clone());
            return Ok(());
        }
        // RFC 7644 §3.5.2.1/3: sub-attributes given replace, others stay.
        let target = c.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if !target.is_object() {
            *target = Value::Object(Map::new());
        }
        if let Some(t) = target.as_object_mut() {
            for (k, v) in subs {
                let k = key_of(t, k).unwrap_or_else(|| k.clone());
                t.insert(k, v.clone());
            }
        }
        return Ok(());
    }
    c.insert(key.to_owned(), value.clone());
    Ok(())
}

/// `remove` of a whole attribute; with a value on a multi-valued one, only
/// the elements equal to (or with the same `value` as) those given.
fn remove_attr(c: &mut Map<String, Value>, key: &str, r: &Resolved, value: Option<&Value>) -> ScimResult<()> {
    match (r.attr.multi_valued, value, c.get_mut(key)) {
        (true, Some(v), Some(Value::Array(existing))) => {
            let gone: Vec<Value> = match v {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            existing.retain(|e| {
                !gone.iter().any(|g| g == e || (g.get("value").is_some() && g.get("value") == e.get("value")))
            });
            if existing.is_empty() {
                c.remove(key);
            }
        }
        _ => {
            c.remove(key);
        }
    }
    Ok(())
}

/// `name.givenName`-style paths.
fn set_sub(c: &mut Map<String, Value>, key: &str, op: &Operation, sub: &str, value: Option<&Value>) -> ScimResult<()> {
    let apply = |o: &mut Map<String, Value>| {
        let k = key_of(o, sub).unwrap_or_else(|| sub.to_owned());
        match (op.op, value) {
            (Op::Remove, _) | (_, None | Some(Value::Null)) => {
                o.remove(&k);
            }
            (_, Some(v)) => {
                o.insert(k, v.clone());
            }
        }
    };
    match c.get_mut(key) {
        Some(Value::Object(o)) => apply(o),
        Some(Value::Array(list)) => list.iter_mut().filter_map(Value::as_object_mut).for_each(apply),
        _ if op.op == Op::Remove => {}
        _ => {
            let mut o = Map::new();
            apply(&mut o);
            c.insert(key.to_owned(), Value::Object(o));
        }
    }
    Ok(())
}

/// `emails[type eq "work"]` and `emails[type eq "work"].value`.
fn filtered(
    c: &mut Map<String, Value>,
    key: &str,
    op: &Operation,
    r: &Resolved,
    filter: &crate::filter::Filter,
    sub: Option<&str>,
    value: Option<&Value>,
) -> ScimResult<()> {
    if !matches!(c.get(key), Some(Value::Array(_))) {
        c.insert(key.to_owned(), Value::Array(Vec::new()));
    }
    let Some(Value::Array(list)) = c.get_mut(key) else {
        return Ok(());
    };
    let hits: Vec<usize> = (0..list.len()).filter(|i| matches(filter, &list[*i], r.attr)).collect();
    match op.op {
        Op::Remove => {
            for i in hits.into_iter().rev() {
                match sub {
                    Some(s) => {
                        if let Some(o) = list[i].as_object_mut() {
                            let k = key_of(o, s).unwrap_or_else(|| s.to_owned());
                            o.remove(&k);
                        }
                    }
                    None => {
                        list.remove(i);
                    }
                }
            }
        }
        Op::Add | Op::Replace => {
            let value = value.cloned().unwrap_or(Value::Null);
            if hits.is_empty() {
                // Entra: `add` on a value path with no match creates the
                // element the filter describes. `replace` has no target.
                let eqs = equalities(filter).filter(|_| op.op == Op::Add);
                let Some(eqs) = eqs else {
                    return Err(op.error(ScimType::NoTarget, "no element matches the filter"));
                };
                let mut el = Map::new();
                for (k, v) in eqs {
                    el.insert(k, v);
                }
                merge_into(&mut el, sub, value);
                list.push(Value::Object(el));
            } else {
                for i in hits {
                    match (&mut list[i], sub) {
                        (Value::Object(o), _) => merge_into(o, sub, value.clone()),
                        (slot, None) => *slot = value.clone(),
                        _ => {}
                    }
                }
            }
        }
    }
    if list.is_empty() {
        c.remove(key);
    }
    Ok(())
}

fn merge_into(o: &mut Map<String, Value>, sub: Option<&str>, value: Value) {
    match (sub, value) {
        (Some(s), v) => {
            let k = key_of(o, s).unwrap_or_else(|| s.to_owned());
            o.insert(k, v);
        }
        (None, Value::Object(fields)) => {
            for (k, v) in fields {
                let k = key_of(o, &k).unwrap_or(k);
                o.insert(k, v);
            }
        }
        (None, _) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse;
    use crate::schema::ResourceKind;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [schema::USER_SCHEMA],
            "id": "u1",
            "userName": "jane@x.com",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "active": true,
            "emails": [{"value": "jane@x.com", "type": "work", "primary": true}]
        })
    }

    fn patched(ops: Value) -> Result<Value, String> {
        let mut doc = user();
        let ops = parse(&json!({"Operations": ops})).map_err(|e| e.detail)?;
        apply(ResourceKind::User.into(), &mut doc, &ops, false).map_err(|e| e.detail)?;
        Ok(doc)
    }

    #[test]
    fn okta_deactivation_is_a_pathless_replace() -> Result<(), String> {
        let doc = patched(json!([{"op": "replace", "value": {"active": false}}]))?;
        assert_eq!(doc["active"], false);
        Ok(())
    }

    #[test]
    fn dotted_and_urn_keys_in_a_pathless_replace_reach_their_attribute() -> Result<(), String> {
        let doc = patched(json!([{"op": "Replace", "value": {
            "name.givenName": "Janet",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"
        }}]))?;
        assert_eq!(doc["name"]["givenName"], "Janet");
        assert_eq!(doc["name"]["familyName"], "Doe");
        assert_eq!(doc[schema::ENTERPRISE_USER_SCHEMA]["department"], "Sales");
        Ok(())
    }

    #[test]
    fn add_on_an_unmatched_value_path_creates_the_element() -> Result<(), String> {
        let doc = patched(json!([{"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"}]))?;
        assert_eq!(doc["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555"}]));
        Ok(())
    }

    #[test]
    fn replace_on_a_matched_value_path_changes_only_that_element() -> Result<(), String> {
        let doc = patched(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "j@y.com"}]))?;
        assert_eq!(doc["emails"][0]["value"], "j@y.com");
        assert_eq!(doc["emails"][0]["primary"], true);
        Ok(())
    }

    #[test]
    fn replace_on_an_unmatched_value_path_is_no_target() {
        let e = patched(json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x"}]));
        assert!(e.is_err_and(|d| d.contains("no element matches")));
    }

    #[test]
    fn simple_paths_add_replace_and_remove() -> Result<(), String> {
        let doc = patched(json!([
            {"op": "add", "path": "displayName", "value": "JD"},
            {"op": "replace", "path": "name.givenName", "value": "J"},
            {"op": "remove", "path": "name.familyName"}
        ]))?;
        assert_eq!(doc["displayName"], "JD");
        assert_eq!(doc["name"], json!({"givenName": "J"}));
        Ok(())
    }

    #[test]
    fn read_only_and_unknown_paths_are_rejected() {
        assert!(
            patched(json!([{"op": "replace", "path": "groups", "value": []}])).is_err_and(|d| d.contains("read-only"))
        );
        assert!(
            patched(json!([{"op": "replace", "path": "nope", "value": 1}]))
                .is_err_and(|d| d.contains("unknown attribute"))
        );
        assert!(patched(json!([{"op": "replace", "value": {"id": "other"}}])).is_err_and(|d| d.contains("read-only")));
    }
}
