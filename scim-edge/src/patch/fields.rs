//! A PatchOp (RFC 7644 §3.5.2) compiled into one update: the fields it
//! touches (an AIP-134 field mask over identity.v1's User or Group) and
//! whether applying it needs the stored resource. Users send every
//! operation through here; groups their extension attributes (membership
//! changes become deltas, see [`super::group`]).
//!
//! Most IdP traffic needs nothing stored: Okta's deactivation
//! (`{"op":"replace","value":{"active":false}}`), a new title, a new
//! manager, a whole new list of emails. Those operations are applied to an
//! empty document and only the touched fields are sent: one RPC, and
//! identity-core writes just those on the locked row. Operations whose
//! result depends on what is stored (a value filter, `add` to a
//! multi-valued attribute, a sub-attribute of every element) are applied to
//! the stored user instead, read first and written back at the version
//! read; the mask still names only what they touch, so only those rows are
//! rewritten.

use serde_json::{Map, Value};

use super::{Op, Operation};
use crate::filter::{AttrPath, PatchPath, parse_patch_path};
use crate::schema::{self, AttrType, ENTERPRISE_USER_SCHEMA, Scope};

/// What a user PatchOp touches.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FieldPatch {
    /// identity.v1 field paths (`active`, `name.given_name`, `emails`,
    /// `enterprise.department`, `extensions.<urn>:<attr>`), in order, once
    /// each.
    pub mask: Vec<String>,
    /// Whether the operations must be applied to the stored user.
    pub needs_current: bool,
}

impl FieldPatch {
    fn touch(&mut self, field: String) {
        if !self.mask.contains(&field) {
            self.mask.push(field);
        }
    }
}

/// Plans `ops`. Unknown attributes are left to the engine (which answers
/// or ignores them as the tenant's mode says); they touch no field.
pub fn plan(scope: Scope<'_>, ops: &[Operation], strict: bool) -> FieldPatch {
    let mut plan = FieldPatch::default();
    for op in ops {
        if let Some(ext) = op.path_text.as_deref().and_then(|p| scope.extension(p)) {
            // A bare extension URN: replace and remove touch all of it, add
            // the attributes it names.
            let value = op.value.as_ref().and_then(Value::as_object);
            extension(scope, &mut plan, op, ext, value, op.op != Op::Add);
            continue;
        }
        match (&op.path, &op.value) {
            (Some(path), _) => attribute(scope, &mut plan, op, path, op.value.as_ref(), strict),
            (None, Some(Value::Object(value))) => {
                for (key, v) in value {
                    if ["schemas", "meta", "groups", "id"].iter().any(|k| key.eq_ignore_ascii_case(k)) {
                        continue;
                    }
                    if let Some(ext) = scope.extension(key) {
                        extension(scope, &mut plan, op, ext, v.as_object(), false);
                        continue;
                    }
                    match parse_patch_path(key) {
                        Ok(path) => attribute(scope, &mut plan, op, &path, Some(v), strict),
                        Err(_) => plan.needs_current = true,
                    }
                }
            }
            (None, _) => plan.needs_current = true,
        }
    }
    plan
}

/// The attributes of an extension object (or all of the extension, with
/// `whole`).
fn extension(
    scope: Scope<'_>,
    plan: &mut FieldPatch,
    op: &Operation,
    ext: &schema::SchemaDef,
    value: Option<&Map<String, Value>>,
    whole: bool,
) {
    let names: Vec<&str> = if whole {
        ext.attributes.iter().map(|a| a.name).collect()
    } else {
        value.into_iter().flatten().map(|(k, _)| k.as_str()).filter(|k| !k.eq_ignore_ascii_case("schemas")).collect()
    };
    for name in names {
        let path = PatchPath {
            attr: AttrPath { urn: Some(ext.id.to_owned()), name: name.to_owned(), sub_attr: None },
            filter: None,
            sub_attr: None,
        };
        let op = Operation { op: if whole { Op::Replace } else { op.op }, ..op.clone() };
        attribute(scope, plan, &op, &path, None, false);
    }
}

/// One attribute path.
fn attribute(
    scope: Scope<'_>,
    plan: &mut FieldPatch,
    op: &Operation,
    path: &PatchPath,
    value: Option<&Value>,
    strict: bool,
) {
    let attr = &path.attr;
    let Some(r) = schema::resolve(scope, attr.urn.as_deref(), &attr.name, attr.sub_attr.as_deref()) else {
        return;
    };
    if r.attr.mutability == schema::Mutability::WriteOnly {
        // `password`: accepted and dropped, never stored, so no field.
        return;
    }
    let sub = r.sub.map(|s| s.name).or(path.sub_attr.as_deref().and_then(|s| r.attr.sub_attribute(s).map(|d| d.name)));
    let field = if r.schema.id.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
        format!("enterprise.{}", snake(r.attr.name))
    } else if r.is_extension() {
        format!("extensions.{}:{}", r.schema.id, r.attr.name)
    } else {
        snake(r.attr.name)
    };
    if r.attr.multi_valued {
        // Replacing or removing the whole collection needs nothing stored;
        // anything finer (a filter, a sub-attribute of every element, an
        // append, a primary that demotes another) does.
        if path.filter.is_some() || sub.is_some() || op.op == Op::Add {
            plan.needs_current = true;
        }
        plan.touch(field);
        return;
    }
    if r.attr.kind != AttrType::Complex || field.starts_with("enterprise.") {
        // A singular value (the enterprise manager is one column pair, so
        // it is sent whole).
        plan.touch(field);
        return;
    }
    match sub {
        Some(sub) => plan.touch(format!("{field}.{}", snake(sub))),
        None if op.op == Op::Remove || (op.op == Op::Replace && strict) => plan.touch(field),
        None => match value.and_then(Value::as_object) {
            // A merge (RFC 7644 §3.5.2.1/3): only the sub-attributes given.
            Some(subs) => {
                for key in subs.keys() {
                    match r.attr.sub_attribute(key) {
                        Some(d) => plan.touch(format!("{field}.{}", snake(d.name))),
                        None => plan.needs_current = true,
                    }
                }
            }
            None => {
                plan.needs_current = true;
                plan.touch(field);
            }
        },
    }
}

/// `familyName` -> `family_name`, `x509Certificates` -> `x509_certificates`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ResourceKind;
    use serde_json::json;

    fn planned(ops: Value) -> Result<FieldPatch, String> {
        let ops = super::super::parse(&json!({ "Operations": ops })).map_err(|e| e.detail)?;
        Ok(plan(ResourceKind::User.into(), &ops, false))
    }

    #[test]
    fn okta_deactivation_needs_nothing_stored() -> Result<(), String> {
        let p = planned(json!([{"op": "replace", "value": {"active": false}}]))?;
        assert_eq!(p, FieldPatch { mask: vec!["active".into()], needs_current: false });
        Ok(())
    }

    #[test]
    fn entra_dotted_and_urn_keys_name_their_fields() -> Result<(), String> {
        let p = planned(json!([{"op": "Replace", "value": {
            "name.givenName": "Ann",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"
        }}]))?;
        assert_eq!(p.mask, vec!["name.given_name".to_owned(), "enterprise.department".to_owned()]);
        assert!(!p.needs_current);
        Ok(())
    }

    #[test]
    fn a_value_filter_needs_the_stored_user_and_touches_only_its_collection() -> Result<(), String> {
        let p = planned(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x.com"}]))?;
        assert_eq!(p, FieldPatch { mask: vec!["emails".into()], needs_current: true });
        Ok(())
    }

    #[test]
    fn a_password_names_no_field() -> Result<(), String> {
        let p = planned(
            json!([{"op": "replace", "path": "password", "value": "s3cret"}, {"op": "replace", "value": {"password": "x", "title": "CTO"}}]),
        )?;
        assert_eq!(p, FieldPatch { mask: vec!["title".into()], needs_current: false });
        Ok(())
    }

    #[test]
    fn a_lenient_name_replace_merges_the_sub_attributes_given() -> Result<(), String> {
        let p = planned(json!([{"op": "replace", "path": "name", "value": {"familyName": "Doe"}}]))?;
        assert_eq!(p, FieldPatch { mask: vec!["name.family_name".into()], needs_current: false });
        Ok(())
    }
}
