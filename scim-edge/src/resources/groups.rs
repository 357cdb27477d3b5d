//! `/Groups` (RFC 7644 §3.3-§3.6). Members are loaded only when the
//! response shows them; PATCH sends membership deltas to identity-core.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use proto::v1::{
    CreateGroupRequest, DeleteGroupRequest, GetGroupRequest, Group, ListGroupsRequest, ReplaceGroupRequest,
    UpdateGroupRequest,
};
use serde_json::Value;

use super::{QueryPairs, conditional, if_match, paged_response, total};
use crate::convert::group::{from_scim, to_scim};
use crate::error::{ScimError, ScimResult};
use crate::extract::{Ctx, ScimJson};
use crate::patch;
use crate::projection::Projection;
use crate::query::{CorePage, ListParams, ListQuery};
use crate::response::Scim;
use crate::schema::ResourceKind;
use crate::state::AppState;
use crate::strict;

const KIND: ResourceKind = ResourceKind::Group;

fn projection(q: &QueryPairs, ctx: &Ctx) -> ScimResult<Projection> {
    let p = ListParams::from_query(&q.0);
    Projection::parse(ctx.scope(KIND), p.attributes.as_deref(), p.excluded_attributes.as_deref())
}

fn render(g: &Group, ctx: &Ctx, p: &Projection) -> Value {
    p.apply(ctx.scope(KIND), to_scim(ctx.scope(KIND), g, &ctx.base, p.shows("members")))
}

/// POST /Groups.
pub async fn create(State(s): State<AppState>, ctx: Ctx, q: QueryPairs, ScimJson(body): ScimJson) -> ScimResult<Scim> {
    let p = projection(&q, &ctx)?;
    strict::check_body(ctx.mode(), ctx.scope(KIND), &body)?;
    let group = from_scim(ctx.scope(KIND), &body)?;
    let created = s
        .groups
        .clone()
        .create_group(ctx.req(CreateGroupRequest { group: Some(group), request_id: String::new() }))
        .await?
        .into_inner();
    Ok(Scim::resource(render(&created, &ctx, &p), true))
}

/// GET /Groups/{id}.
pub async fn get(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryPairs,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let p = projection(&q, &ctx)?;
    let req = GetGroupRequest { id, include_members: p.shows("members") };
    let group = s.groups.clone().get_group(ctx.req(req)).await?.into_inner();
    Ok(conditional(&headers, Scim::resource(render(&group, &ctx, &p), false)))
}

/// GET /Groups.
pub async fn list(State(s): State<AppState>, ctx: Ctx, q: QueryPairs) -> ScimResult<Scim> {
    let query = ListParams::from_query(&q.0).parse(ctx.scope(KIND))?;
    run_list(s, ctx, query).await
}

/// POST /Groups/.search.
pub async fn search(State(s): State<AppState>, ctx: Ctx, ScimJson(body): ScimJson) -> ScimResult<Scim> {
    let query = ListParams::from_search(&body)?.parse(ctx.scope(KIND))?;
    run_list(s, ctx, query).await
}

/// Most groups on a page whose response shows members (each up to
/// `INLINE_MEMBERS`): keeps a list response bounded.
const MAX_GROUPS_WITH_MEMBERS: u32 = 100;

async fn run_list(s: AppState, ctx: Ctx, mut q: ListQuery) -> ScimResult<Scim> {
    let with_members = q.projection.shows("members");
    if with_members {
        q.count = q.count.min(MAX_GROUPS_WITH_MEMBERS);
    }
    let CorePage { page_size, page_token, skip, include_total_size, keep } = q.page();
    let req = ListGroupsRequest {
        filter: q.filter.clone(),
        include_members: with_members && keep > 0,
        sort: q.sort.clone(),
        page_size,
        page_token,
        skip,
        include_total_size,
    };
    let resp = s.groups.clone().list_groups(ctx.req(req)).await?.into_inner();
    let resources = resp.groups.iter().take(keep).map(|g| render(g, &ctx, &q.projection)).collect();
    let next = if keep == 0 { "" } else { resp.next_page_token.as_str() };
    Ok(Scim::ok(paged_response(&q, total(resp.total_size), resources, next)))
}

/// PUT /Groups/{id}: new attributes and the whole member list.
pub async fn replace(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryPairs,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> ScimResult<Scim> {
    let p = projection(&q, &ctx)?;
    strict::check_body(ctx.mode(), ctx.scope(KIND), &body)?;
    let group = from_scim(ctx.scope(KIND), &body)?;
    let req = ReplaceGroupRequest {
        id,
        group: Some(group),
        expected_version: if_match(&headers),
        include_members: p.shows("members"),
    };
    let updated = s.groups.clone().replace_group(ctx.req(req)).await?.into_inner();
    Ok(Scim::resource(render(&updated, &ctx, &p), false))
}

/// PATCH /Groups/{id}: 204 (RFC 7644 §3.5.2 allows it; Okta and Entra
/// expect it), or 200 with the group when `attributes` /
/// `excludedAttributes` ask for a representation.
pub async fn update(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryPairs,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> ScimResult<Response> {
    let p = projection(&q, &ctx)?;
    let ops = patch::parse(&body)?;
    if ctx.mode().is_strict() {
        strict::check_patch(ctx.scope(KIND), &ops)?;
    }
    let mut plan = patch::group::plan(ctx.scope(KIND), &id, &ops)?;
    let mut expected_version = if_match(&headers);
    if !plan.extension_ops.is_empty() {
        // Extension attributes go the users' way: only the attributes
        // touched are named; the stored group is read only when an
        // operation depends on it (then written back at the version read).
        let strict = ctx.mode().is_strict();
        let fields = patch::fields::plan(ctx.scope(KIND), &plan.extension_ops, strict);
        let mut doc = if fields.needs_current {
            let current = s
                .groups
                .clone()
                .get_group(ctx.req(GetGroupRequest { id: id.clone(), include_members: false }))
                .await?
                .into_inner();
            let version = current.meta.as_ref().map(|m| m.version.clone()).unwrap_or_default();
            if expected_version.as_ref().is_some_and(|w| *w != version) {
                return Err(ScimError::precondition_failed());
            }
            expected_version = Some(version);
            to_scim(ctx.scope(KIND), &current, &ctx.base, false)
        } else {
            serde_json::json!({"schemas": [crate::schema::GROUP_SCHEMA], "id": id, "displayName": "-"})
        };
        patch::doc::apply(ctx.scope(KIND), &mut doc, &plan.extension_ops, strict)?;
        let obj = doc.as_object().cloned().unwrap_or_default();
        plan.group.extensions = crate::convert::extensions_from(ctx.scope(KIND), &obj)?;
        plan.mask.extend(fields.mask);
    }
    let req = UpdateGroupRequest {
        id,
        group: Some(plan.group),
        update_mask: Some(prost_types::FieldMask { paths: plan.mask }),
        member_changes: plan.member_changes,
        expected_version,
        include_members: p.is_explicit() && p.shows("members"),
    };
    let updated = s.groups.clone().update_group(ctx.req(req)).await?.into_inner();
    if !p.is_explicit() {
        // No body, but the new version, for clients that track it.
        let version = updated.meta.as_ref().map(|m| crate::convert::etag(&m.version));
        let mut resp = StatusCode::NO_CONTENT.into_response();
        if let Some(v) = version.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
            resp.headers_mut().insert(axum::http::header::ETAG, v);
        }
        return Ok(resp);
    }
    Ok(Scim::resource(render(&updated, &ctx, &p), false).into_response())
}

/// DELETE /Groups/{id}.
pub async fn delete(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ScimResult<StatusCode> {
    s.groups.clone().delete_group(ctx.req(DeleteGroupRequest { id, expected_version: if_match(&headers) })).await?;
    Ok(StatusCode::NO_CONTENT)
}
