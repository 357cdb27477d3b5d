//! The strict compatibility mode: draft-zollner-scim-interop-profile-01,
//! for tenants whose operator asked for it. Lenient tenants
//! (the default) accept what Okta and Entra really send; strict tenants get
//! 400 `invalidSyntax` for attributes or schema URNs the server does not
//! define, PATCH operations without `path`, and filtered PATCH paths that
//! do not end in a sub-attribute.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimResult, ScimType};
use crate::patch::{Op, Operation};
use crate::schema::{self, AttrType, AttributeDef, Scope};

/// How strictly a tenant's requests are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Lenient,
    Strict,
}

impl Mode {
    pub fn is_strict(self) -> bool {
        self == Self::Strict
    }
}

/// For a strict tenant, checks a POST / PUT body ([`check_resource`]);
/// lenient tenants pass.
pub fn check_body(mode: Mode, scope: Scope<'_>, body: &Value) -> ScimResult<()> {
    if mode.is_strict() {
        check_resource(scope, body)?;
    }
    Ok(())
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

/// A POST / PUT body: every schema URN and attribute must be defined.
pub fn check_resource(scope: Scope<'_>, body: &Value) -> ScimResult<()> {
    let kind = scope.kind;
    let obj = body.as_object().ok_or_else(|| syntax(format!("a {} must be a JSON object", kind.name())))?;
    let schemas = match obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("schemas")).map(|(_, v)| v) {
        Some(Value::Array(a)) => a,
        _ => return Err(syntax("\"schemas\" must list the resource's schema URNs")),
    };
    let mut core = false;
    for urn in schemas {
        let urn = urn.as_str().ok_or_else(|| syntax("\"schemas\" holds strings"))?;
        if urn.eq_ignore_ascii_case(kind.schema().id) {
            core = true;
        } else if scope.extension(urn).is_none() {
            return Err(syntax(format!("schema {urn:?} is not defined for {}", kind.name())));
        }
    }
    if !core {
        return Err(syntax(format!("\"schemas\" must include {}", kind.schema().id)));
    }
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = scope.extension(key) {
            if !schemas.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(ext.id))) {
                return Err(syntax(format!("{key} is used but not listed in \"schemas\"")));
            }
            check_extension(scope, ext, value)?;
            continue;
        }
        let r = schema::resolve(scope, None, key, None)
            .ok_or_else(|| syntax(format!("attribute {key:?} is not defined for {}", kind.name())))?;
        check_value(r.attr, key, value)?;
    }
    Ok(())
}

fn check_extension(scope: Scope<'_>, ext: &schema::SchemaDef, value: &Value) -> ScimResult<()> {
    let Value::Object(attrs) = value else { return Err(syntax(format!("{} must be an object", ext.id))) };
    for (name, v) in attrs {
        let r = schema::resolve(scope, Some(ext.id), name, None)
            .ok_or_else(|| syntax(format!("attribute {name:?} is not defined in {}", ext.id)))?;
        check_value(r.attr, name, v)?;
    }
    Ok(())
}

/// Sub-attributes of complex values must be defined.
fn check_value(def: &AttributeDef, name: &str, value: &Value) -> ScimResult<()> {
    if def.kind != AttrType::Complex {
        return Ok(());
    }
    let check = |o: &Map<String, Value>| -> ScimResult<()> {
        for key in o.keys() {
            if def.sub_attribute(key).is_none() {
                return Err(syntax(format!("{name}.{key} is not defined")));
            }
        }
        Ok(())
    };
    match value {
        Value::Object(o) => check(o),
        Value::Array(list) => list.iter().filter_map(Value::as_object).try_for_each(check),
        _ => Ok(()),
    }
}

/// A PatchOp for a strict tenant: every operation has a path; a filtered
/// path ends in a sub-attribute (except a remove of whole elements); values
/// hold only defined attributes.
pub fn check_patch(scope: Scope<'_>, ops: &[Operation]) -> ScimResult<()> {
    for op in ops {
        let Some(path) = &op.path else {
            return Err(op.error(
                ScimType::InvalidSyntax,
                "this tenant follows the SCIM interoperability profile: every PATCH operation needs a path",
            ));
        };
        if path.filter.is_some() && path.sub_attr.is_none() && op.op != Op::Remove {
            return Err(op.error(ScimType::InvalidPath, "a filtered path must end in a sub-attribute"));
        }
        let text = op.path_text.as_deref().unwrap_or_default();
        if let Some(ext) = scope.extension(text) {
            if let Some(v) = &op.value {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
                }
                check_extension(scope, ext, &v)?;
            }
            continue;
        }
        let a = &path.attr;
        let r = schema::resolve(scope, a.urn.as_deref(), &a.name, a.sub_attr.as_deref())
            .ok_or_else(|| op.error(ScimType::InvalidPath, format!("unknown attribute {a}")))?;
        if let (Some(v), None, None) = (&op.value, r.sub, &path.sub_attr) {
            check_value(r.attr, &r.canonical, v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ResourceKind;
    use serde_json::json;

    #[test]
    fn unknown_attributes_and_urns_are_invalid_syntax_for_strict_tenants() {
        let ok = json!({"schemas": [schema::USER_SCHEMA], "userName": "a", "name": {"givenName": "A"}});
        assert!(check_resource(ResourceKind::User.into(), &ok).is_ok());
        for bad in [
            json!({"schemas": [schema::USER_SCHEMA], "userName": "a", "favouriteColour": "blue"}),
            json!({"schemas": [schema::USER_SCHEMA, "urn:example:unknown"], "userName": "a"}),
            json!({"schemas": [schema::USER_SCHEMA], "userName": "a", "name": {"nickname": "x"}}),
            json!({"userName": "a"}),
            json!({"schemas": [schema::USER_SCHEMA], "userName": "a", (schema::ENTERPRISE_USER_SCHEMA): {"department": "x"}}),
        ] {
            let e = check_resource(ResourceKind::User.into(), &bad).err().and_then(|e| e.scim_type);
            assert_eq!(e, Some(ScimType::InvalidSyntax), "{bad}");
        }
    }
}
