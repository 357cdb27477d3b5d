//! Group: SCIM JSON (RFC 7643 §4.2) <-> `identity.v1.Group`.

use proto::v1::{Group, Member, MemberType};
use serde_json::{Map, Value, json};

use super::json::{array, get, kind, put, string};
use super::{etag, rfc3339};
use crate::error::{ScimError, ScimResult};
use crate::schema::{GROUP_MEMBERS_EXTENSION, GROUP_SCHEMA, Scope};

/// Reads a SCIM Group body (POST, PUT). `members` may be absent (no members).
pub fn from_scim(scope: Scope<'_>, body: &Value) -> ScimResult<Group> {
    let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a Group must be a JSON object"))?;
    let display_name = string(obj, "displayName")?.filter(|s| !s.trim().is_empty());
    let display_name = display_name.ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    Ok(Group {
        id: String::new(),
        external_id: string(obj, "externalId")?,
        display_name,
        members: members_from(array(obj, "members")?)?,
        meta: None,
        extensions: super::extensions_from(scope, obj)?,
        member_count: 0,
    })
}

/// Reads member objects (`{"value": id, "type"?: "User"|"Group"}`); members
/// without `type` are users, as Okta sends them.
pub fn members_from(list: Vec<&Value>) -> ScimResult<Vec<Member>> {
    list.into_iter().map(member_from).collect()
}

fn member_from(v: &Value) -> ScimResult<Member> {
    let o = match v {
        Value::Object(o) => o,
        Value::String(id) => {
            return Ok(Member { value: id.clone(), display: String::new(), r#type: MemberType::User as i32 });
        }
        other => {
            return Err(ScimError::invalid_value(format!("a member must be an object, not {}", kind(other))));
        }
    };
    let value =
        string(o, "value")?.ok_or_else(|| ScimError::invalid_value("a member needs a value (the member's id)"))?;
    let t = match string(o, "type")? {
        None => MemberType::User,
        Some(t) if t.eq_ignore_ascii_case("user") => MemberType::User,
        Some(t) if t.eq_ignore_ascii_case("group") => MemberType::Group,
        Some(t) => {
            return Err(ScimError::invalid_value(format!("member type {t:?} is neither User nor Group")));
        }
    };
    Ok(Member { value, display: String::new(), r#type: t as i32 })
}

/// Groups with at most this many members are served inline (in `members`);
/// larger ones only through `/GroupMembers` (identity-core does not load
/// their members into a group: `include_members` stops at the same size).
pub const INLINE_MEMBERS: u64 = 1_000;

/// Renders a stored group; `members` only when `with_members` (they were
/// loaded) and the group is served inline. `membersMetadata`
/// (draft-zollner-scim-group-members) says which, and how many.
pub fn to_scim(scope: Scope<'_>, g: &Group, base: &str, with_members: bool) -> Value {
    let Group { id, external_id, display_name, members, meta, extensions, member_count } = g;
    let inline = *member_count <= INLINE_MEMBERS;
    let mut o = Map::new();
    o.insert("schemas".into(), Value::Null); // first; filled in below
    let mut schemas = vec![json!(GROUP_SCHEMA)];
    if scope.extension(GROUP_MEMBERS_EXTENSION).is_some() {
        schemas.push(json!(GROUP_MEMBERS_EXTENSION));
        o.insert(
            GROUP_MEMBERS_EXTENSION.into(),
            json!({"membersMetadata": {
                "policy": if inline { "inline" } else { "external" },
                "ref": format!("{base}/GroupMembers?filter={}", query_escape(&format!("group.value eq \"{id}\""))),
                "memberCount": member_count,
            }}),
        );
    }
    super::extensions_into(&mut o, &mut schemas, extensions.as_ref());
    o.insert("schemas".into(), Value::Array(schemas));
    o.insert("id".into(), json!(id));
    put(&mut o, "externalId", external_id.clone());
    o.insert("displayName".into(), json!(display_name));
    if with_members && inline {
        o.insert("members".into(), Value::Array(members.iter().map(|m| member_to(m, base)).collect()));
    }
    let meta = meta.clone().unwrap_or_default();
    o.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": rfc3339(meta.created.as_ref()),
            "lastModified": rfc3339(meta.last_modified.as_ref()),
            "location": format!("{base}/Groups/{id}"),
            "version": etag(&meta.version),
        }),
    );
    Value::Object(o)
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn member_to(m: &Member, base: &str) -> Value {
    // `display` is not returned: it is derived, not what the client stored,
    // and RFC 7643 §8.7.1 does not define it for members.
    let Member { value, display: _, r#type } = m;
    let (t, path) = match MemberType::try_from(*r#type) {
        Ok(MemberType::Group) => ("Group", "Groups"),
        _ => ("User", "Users"),
    };
    let mut o = Map::new();
    o.insert("value".into(), json!(value));
    o.insert("$ref".into(), json!(format!("{base}/{path}/{value}")));
    o.insert("type".into(), json!(t));
    Value::Object(o)
}

/// Whether the body mentions `members` at all (PUT without `members` keeps
/// none: RFC 7644 §3.5.1 replaces the whole resource).
pub fn has_members(body: &Value) -> bool {
    body.as_object().is_some_and(|o| get(o, "members").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Scope<'static> = Scope::builtin(crate::schema::ResourceKind::Group);

    #[test]
    fn okta_group_push_create_is_read() -> Result<(), String> {
        let g = from_scim(G, &json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": []}))
            .map_err(|e| e.detail)?;
        assert_eq!(g.display_name, "Sales");
        assert!(g.members.is_empty());
        Ok(())
    }

    #[test]
    fn members_without_type_are_users() -> Result<(), String> {
        let g = from_scim(G, &json!({"displayName": "S", "members": [{"value": "u1", "display": "x"}]}))
            .map_err(|e| e.detail)?;
        assert_eq!(g.members[0].r#type, MemberType::User as i32);
        Ok(())
    }
}
