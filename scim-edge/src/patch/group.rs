//! PATCH on a group becomes one `UpdateGroup` call: attribute changes plus
//! membership deltas (add / remove / replace-all), applied by identity-core
//! in one transaction, never by rewriting the member list here. Operations
//! on the tenant's extension attributes are set aside ([`GroupPatch::extension_ops`])
//! for the handler to apply to the group's current extension values.

use proto::v1::member_change::Op as MemberOp;
use proto::v1::{Group, MemberChange};
use serde_json::Value;

use super::select::member_ids;
use super::{Op, Operation};
use crate::convert::group::members_from;
use crate::convert::json::kind;
use crate::error::{ScimResult, ScimType};
use crate::filter::PatchPath;
use crate::schema::{self, Scope};

/// What a group PatchOp changes.
#[derive(Debug, Default)]
pub struct GroupPatch {
    /// New values of the fields in `mask`.
    pub group: Group,
    /// `display_name` / `external_id`.
    pub mask: Vec<String>,
    pub member_changes: Vec<MemberChange>,
    /// Operations on extension attributes, in order, each with its own
    /// path (path-less ones are split per attribute).
    pub extension_ops: Vec<Operation>,
}

/// Translates the operations for group `id`.
pub fn plan(scope: Scope<'_>, id: &str, ops: &[Operation]) -> ScimResult<GroupPatch> {
    let mut plan = GroupPatch::default();
    for op in ops {
        if op.path_text.as_deref().and_then(|p| scope.extension(p)).is_some() {
            plan.extension_ops.push(op.clone());
            continue;
        }
        match &op.path {
            Some(path) => plan.with_path(scope, op, path, op.value.as_ref())?,
            None => {
                let Some(Value::Object(attrs)) = &op.value else {
                    return Err(
                        op.error(ScimType::InvalidValue, "without a path, the value must be an object of attributes")
                    );
                };
                for (key, v) in attrs {
                    if key.eq_ignore_ascii_case("id") {
                        // Okta's rename carries the group's own id: tolerated.
                        if v.as_str() != Some(id) {
                            return Err(op.error(ScimType::Mutability, "id is read-only"));
                        }
                        continue;
                    }
                    if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
                        continue;
                    }
                    if scope.extension(key).is_some() {
                        let single = Operation {
                            path: crate::filter::parse_patch_path(key).ok(),
                            path_text: Some(key.clone()),
                            value: Some(v.clone()),
                            ..op.clone()
                        };
                        plan.extension_ops.push(single);
                        continue;
                    }
                    let path = crate::filter::parse_patch_path(key).map_err(|e| op.error(ScimType::InvalidPath, e))?;
                    plan.with_path(scope, op, &path, Some(v))?;
                }
            }
        }
    }
    Ok(plan)
}

impl GroupPatch {
    fn with_path(
        &mut self,
        scope: Scope<'_>,
        op: &Operation,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> ScimResult<()> {
        let a = &path.attr;
        let r = schema::resolve(scope, a.urn.as_deref(), &a.name, a.sub_attr.as_deref())
            .ok_or_else(|| op.error(ScimType::InvalidPath, format!("unknown attribute {a}")))?;
        if scope.is_custom(r.schema) {
            let single = Operation { value: value.cloned(), ..op.clone() };
            let single = Operation { path: Some(path.clone()), path_text: Some(path.to_string()), ..single };
            self.extension_ops.push(single);
            return Ok(());
        }
        match r.attr.name {
            "displayName" | "externalId" => {
                if path.filter.is_some() || r.sub.is_some() {
                    return Err(op.error(ScimType::InvalidPath, format!("{} has no sub-attributes", r.attr.name)));
                }
                self.set_field(op, r.attr.name, value)
            }
            "members" => self.members(op, path, r.sub.is_some(), value),
            other => Err(op.error(ScimType::Mutability, format!("{other} is read-only"))),
        }
    }

    fn set_field(&mut self, op: &Operation, name: &str, value: Option<&Value>) -> ScimResult<()> {
        let text = match (op.op, value) {
            (Op::Remove, _) | (_, None | Some(Value::Null)) => None,
            (_, Some(Value::String(s))) => Some(s.clone()),
            (_, Some(other)) => {
                return Err(op.error(ScimType::InvalidValue, format!("{name} must be a string, not {}", kind(other))));
            }
        };
        match name {
            "displayName" => {
                let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                    return Err(op.error(ScimType::InvalidValue, "displayName is required and cannot be removed"));
                };
                self.group.display_name = text;
                self.mask_field("display_name");
            }
            _ => {
                self.group.external_id = text;
                self.mask_field("external_id");
            }
        }
        Ok(())
    }

    fn mask_field(&mut self, f: &str) {
        if !self.mask.iter().any(|m| m == f) {
            self.mask.push(f.to_owned());
        }
    }

    /// RFC 7644 §3.5.2: `members` add/replace/remove, Okta's filtered remove
    /// and Entra's remove-with-value.
    fn members(&mut self, op: &Operation, path: &PatchPath, has_sub: bool, value: Option<&Value>) -> ScimResult<()> {
        if has_sub || path.sub_attr.is_some() {
            return Err(
                op.error(ScimType::InvalidPath, "member sub-attributes are immutable; add or remove whole members")
            );
        }
        let listed = |v: Option<&Value>| -> ScimResult<Vec<proto::v1::Member>> {
            match v {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => members_from(a.iter().collect()),
                Some(single) => members_from(vec![single]),
            }
            .map_err(|e| op.error(ScimType::InvalidValue, e.detail))
        };
        let change = match (&path.filter, op.op) {
            (Some(filter), Op::Remove) => {
                let ids = member_ids(filter).ok_or_else(|| {
                    op.error(
                        ScimType::InvalidFilter,
                        "a member filter must be value eq \"<id>\" (or several joined by or)",
                    )
                })?;
                let members = ids.into_iter().map(|value| proto::v1::Member { value, ..Default::default() }).collect();
                MemberChange { op: MemberOp::Remove as i32, members }
            }
            (Some(_), _) => {
                return Err(op.error(ScimType::InvalidPath, "add or replace members without a filter"));
            }
            (None, Op::Add) => MemberChange { op: MemberOp::Add as i32, members: listed(value)? },
            (None, Op::Replace) => MemberChange { op: MemberOp::ReplaceAll as i32, members: listed(value)? },
            // Entra: remove with a value list removes just those.
            (None, Op::Remove) if value.is_some_and(|v| !v.is_null()) => {
                MemberChange { op: MemberOp::Remove as i32, members: listed(value)? }
            }
            (None, Op::Remove) => MemberChange { op: MemberOp::ReplaceAll as i32, members: Vec::new() },
        };
        self.member_changes.push(change);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse;
    use serde_json::json;

    fn planned(ops: Value) -> Result<GroupPatch, String> {
        let ops = parse(&json!({"Operations": ops})).map_err(|e| e.detail)?;
        plan(crate::schema::ResourceKind::Group.into(), "g1", &ops).map_err(|e| e.detail)
    }

    #[test]
    fn okta_rename_with_id_is_tolerated() -> Result<(), String> {
        let p = planned(json!([{"op": "replace", "value": {"id": "g1", "displayName": "New"}}]))?;
        assert_eq!(p.group.display_name, "New");
        assert_eq!(p.mask, ["display_name"]);
        Ok(())
    }

    #[test]
    fn okta_filtered_remove_names_one_member() -> Result<(), String> {
        let p = planned(json!([{"op": "remove", "path": "members[value eq \"u9\"]"}]))?;
        assert_eq!(p.member_changes[0].op, MemberOp::Remove as i32);
        assert_eq!(p.member_changes[0].members[0].value, "u9");
        Ok(())
    }

    #[test]
    fn entra_remove_with_a_value_list_removes_just_those() -> Result<(), String> {
        let p = planned(json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]))?;
        assert_eq!(p.member_changes[0].op, MemberOp::Remove as i32);
        assert_eq!(p.member_changes[0].members.len(), 2);
        Ok(())
    }

    #[test]
    fn replace_members_with_an_empty_list_empties_the_group() -> Result<(), String> {
        let p = planned(json!([{"op": "replace", "path": "members", "value": []}]))?;
        assert_eq!(p.member_changes[0].op, MemberOp::ReplaceAll as i32);
        assert!(p.member_changes[0].members.is_empty());
        Ok(())
    }

    #[test]
    fn display_name_cannot_be_removed() {
        assert!(planned(json!([{"op": "remove", "path": "displayName"}])).is_err());
    }
}
