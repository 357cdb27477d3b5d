//! `/GroupMembers` (draft-zollner-scim-group-members-01): one direct
//! membership per resource, so memberships of a million-member group can be
//! added, removed and paged without ever handling the whole member list.
//! POST, GET (by id, list), DELETE; PUT and PATCH answer 405.
//!
//! A GroupMember's id is `<group id>.<member id>`: opaque to clients, and
//! it lets the server find the membership without an id column of its own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use proto::v1::{
    CreateMembershipRequest, DeleteMembershipRequest, GetMembershipRequest, ListMembershipsRequest, Member, MemberType,
    Membership,
};
use serde_json::{Value, json};

use super::{QueryPairs, list_response};
use crate::convert::json::{object, string};
use crate::convert::rfc3339;
use crate::error::{ScimError, ScimResult, ScimType};
use crate::extract::{Ctx, ScimJson};
use crate::filter::{CompareOp, Filter, Value as Lit};
use crate::projection::Projection;
use crate::query::{CorePage, ListParams};
use crate::response::Scim;
use crate::schema::{GROUP_MEMBER_SCHEMA, ResourceKind};
use crate::state::AppState;

const KIND: ResourceKind = ResourceKind::GroupMember;

fn render(m: &Membership, base: &str) -> Value {
    let Membership { group_id, group_display, member, created } = m;
    let Member { value, display, r#type } = member.clone().unwrap_or_default();
    let (t, path) = match MemberType::try_from(r#type) {
        Ok(MemberType::Group) => ("Group", "Groups"),
        _ => ("User", "Users"),
    };
    let id = format!("{group_id}.{value}");
    let when = rfc3339(created.as_ref());
    json!({
        "schemas": [GROUP_MEMBER_SCHEMA],
        "id": id,
        "group": {"value": group_id, "$ref": format!("{base}/Groups/{group_id}"), "display": group_display},
        "member": {"value": value, "$ref": format!("{base}/{path}/{value}"), "type": t, "display": display},
        "meta": {
            "resourceType": "GroupMember",
            "created": when,
            "lastModified": when,
            "location": format!("{base}/GroupMembers/{id}"),
        },
    })
}

/// `<group id>.<member id>`; anything else names no membership.
fn split_id(id: &str) -> ScimResult<(String, String)> {
    id.split_once('.')
        .map(|(g, m)| (g.to_owned(), m.to_owned()))
        .ok_or_else(|| ScimError::not_found(format!("GroupMember {id} not found")))
}

/// POST /GroupMembers: 201; 409 when already a member; 400 `invalidValue`
/// when the group or member does not exist.
pub async fn create(State(s): State<AppState>, ctx: Ctx, ScimJson(body): ScimJson) -> ScimResult<Scim> {
    let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a GroupMember must be a JSON object"))?;
    let group = object(obj, "group")?.ok_or_else(|| ScimError::invalid_value("group.value is required"))?;
    let member = object(obj, "member")?.ok_or_else(|| ScimError::invalid_value("member.value is required"))?;
    let group_id = string(group, "value")?.ok_or_else(|| ScimError::invalid_value("group.value is required"))?;
    let value = string(member, "value")?.ok_or_else(|| ScimError::invalid_value("member.value is required"))?;
    let r#type = match string(member, "type")?.as_deref() {
        None => MemberType::User,
        Some(t) if t.eq_ignore_ascii_case("user") => MemberType::User,
        Some(t) if t.eq_ignore_ascii_case("group") => MemberType::Group,
        Some(t) => return Err(ScimError::invalid_value(format!("member.type {t:?} is neither User nor Group"))),
    };
    let req = CreateMembershipRequest {
        group_id,
        member: Some(Member { value, display: String::new(), r#type: r#type as i32 }),
        request_id: String::new(),
    };
    let created = s.groups.clone().create_membership(ctx.req(req)).await?.into_inner();
    Ok(Scim::resource(render(&created, &ctx.base), true))
}

/// GET /GroupMembers/{id}.
pub async fn get(State(s): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ScimResult<Scim> {
    let (group_id, member_id) = split_id(&id)?;
    let m = s.groups.clone().get_membership(ctx.req(GetMembershipRequest { group_id, member_id })).await?.into_inner();
    Ok(Scim::ok(render(&m, &ctx.base)))
}

/// GET /GroupMembers: filters on `group.value`, `member.value` and
/// `member.type` (`eq`, joined by `and`), index paging.
pub async fn list(State(s): State<AppState>, ctx: Ctx, q: QueryPairs) -> ScimResult<Scim> {
    let params = ListParams::from_query(&q.0);
    let (start_index, count) = params.paging()?;
    let CorePage { page_size, page_token, skip, include_total_size, keep } = CorePage::new(start_index, count, None);
    let mut req = ListMembershipsRequest { page_size, page_token, skip, include_total_size, ..Default::default() };
    if let Some(text) = params.filter.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let f = crate::query::parse(ctx.scope(KIND), text)?;
        constrain(&f, &mut req)?;
    }
    let projection =
        Projection::parse(ctx.scope(KIND), params.attributes.as_deref(), params.excluded_attributes.as_deref())?;
    let resp = s.groups.clone().list_memberships(ctx.req(req)).await?.into_inner();
    let resources =
        resp.memberships.iter().take(keep).map(|m| projection.apply(ctx.scope(KIND), render(m, &ctx.base))).collect();
    Ok(Scim::ok(list_response(super::total(resp.total_size).unwrap_or_default(), start_index, resources)))
}

/// Turns `group.value eq "…" and member.value eq "…"` into request fields.
fn constrain(f: &Filter, req: &mut ListMembershipsRequest) -> ScimResult<()> {
    let unsupported = || {
        ScimError::bad_request(
            ScimType::InvalidFilter,
            "GroupMembers can be filtered by group.value, member.value and member.type with eq, joined by and",
        )
    };
    match f {
        Filter::And(list) => list.iter().try_for_each(|x| constrain(x, req)),
        Filter::Compare { path, op: CompareOp::Eq, value: Lit::String(v) } if path.urn.is_none() => {
            let (name, sub) = (path.name.to_ascii_lowercase(), path.sub_attr.as_deref().map(str::to_ascii_lowercase));
            match (name.as_str(), sub.as_deref()) {
                ("group", Some("value")) => req.group_id = Some(v.clone()),
                ("member", Some("value")) => req.member_id = Some(v.clone()),
                ("member", Some("type")) => {
                    req.member_type =
                        if v.eq_ignore_ascii_case("group") { MemberType::Group } else { MemberType::User } as i32;
                }
                _ => return Err(unsupported()),
            }
            Ok(())
        }
        _ => Err(unsupported()),
    }
}

/// DELETE /GroupMembers/{id}.
pub async fn delete(State(s): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ScimResult<StatusCode> {
    let (group_id, member_id) = split_id(&id)?;
    s.groups.clone().delete_membership(ctx.req(DeleteMembershipRequest { group_id, member_id })).await?;
    Ok(StatusCode::NO_CONTENT)
}
