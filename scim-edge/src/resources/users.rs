//! `/Users` (RFC 7644 §3.3 create, §3.4 read/list/search, §3.5.1 PUT,
//! §3.5.2 PATCH, §3.6 DELETE).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use prost_types::FieldMask;
use proto::v1::{
    CreateUserRequest, DeleteUserRequest, GetUserRequest, ListUsersRequest, ReplaceUserRequest, UpdateUserRequest, User,
};
use serde_json::{Value, json};
use tonic::Code;

use super::{QueryPairs, conditional, if_match, paged_response, total};
use crate::convert::user::{IncomingUser, from_scim, to_scim};
use crate::error::{ScimError, ScimResult};
use crate::extract::{Ctx, ScimJson};
use crate::patch;
use crate::projection::Projection;
use crate::query::{CorePage, ListParams, ListQuery};
use crate::response::Scim;
use crate::schema::{ResourceKind, USER_SCHEMA};
use crate::state::AppState;
use crate::strict;

const KIND: ResourceKind = ResourceKind::User;
/// How often a PATCH without If-Match re-reads and re-applies after a
/// concurrent change.
const PATCH_ATTEMPTS: u64 = 10;

fn projection(q: &QueryPairs, ctx: &Ctx) -> ScimResult<Projection> {
    let p = ListParams::from_query(&q.0);
    Projection::parse(ctx.scope(KIND), p.attributes.as_deref(), p.excluded_attributes.as_deref())
}

fn render(u: &User, ctx: &Ctx, p: &Projection) -> Value {
    p.apply(ctx.scope(KIND), to_scim(u, &ctx.base))
}

/// POST /Users.
pub async fn create(State(s): State<AppState>, ctx: Ctx, q: QueryPairs, ScimJson(body): ScimJson) -> ScimResult<Scim> {
    let p = projection(&q, &ctx)?;
    strict::check_body(ctx.mode(), ctx.scope(KIND), &body)?;
    let IncomingUser { user, password } = from_scim(ctx.scope(KIND), &body)?;
    let created = s
        .users
        .clone()
        .create_user(ctx.req(CreateUserRequest { user: Some(user), password, request_id: String::new() }))
        .await?
        .into_inner();
    Ok(Scim::resource(render(&created, &ctx, &p), true))
}

/// GET /Users/{id}.
pub async fn get(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryPairs,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let p = projection(&q, &ctx)?;
    let user = s.users.clone().get_user(ctx.req(GetUserRequest { id })).await?.into_inner();
    Ok(conditional(&headers, Scim::resource(render(&user, &ctx, &p), false)))
}

/// GET /Users.
pub async fn list(State(s): State<AppState>, ctx: Ctx, q: QueryPairs) -> ScimResult<Scim> {
    let query = ListParams::from_query(&q.0).parse(ctx.scope(KIND))?;
    run_list(s, ctx, query).await
}

/// POST /Users/.search (RFC 7644 §3.4.3).
pub async fn search(State(s): State<AppState>, ctx: Ctx, ScimJson(body): ScimJson) -> ScimResult<Scim> {
    let query = ListParams::from_search(&body)?.parse(ctx.scope(KIND))?;
    run_list(s, ctx, query).await
}

async fn run_list(s: AppState, ctx: Ctx, q: ListQuery) -> ScimResult<Scim> {
    let CorePage { page_size, page_token, skip, include_total_size, keep } = q.page();
    let req = ListUsersRequest {
        filter: q.filter.clone(),
        sort: q.sort.clone(),
        page_size,
        page_token,
        skip,
        include_total_size,
    };
    let resp = s.users.clone().list_users(ctx.req(req)).await?.into_inner();
    let resources = resp.users.iter().take(keep).map(|u| render(u, &ctx, &q.projection)).collect();
    let next = if keep == 0 { "" } else { resp.next_page_token.as_str() };
    Ok(Scim::ok(paged_response(&q, total(resp.total_size), resources, next)))
}

/// PUT /Users/{id}: replaces writable attributes; `id`, `meta`, `groups`
/// sent back are ignored (Okta echoes them).
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
    let IncomingUser { user, password: _ } = from_scim(ctx.scope(KIND), &body)?;
    let req = ReplaceUserRequest { id, user: Some(user), expected_version: if_match(&headers) };
    let updated = s.users.clone().replace_user(ctx.req(req)).await?.into_inner();
    Ok(Scim::resource(render(&updated, &ctx, &p), false))
}

/// PATCH /Users/{id} (RFC 7644 §3.5.2): the PatchOp becomes one
/// UpdateUser naming only the fields it touches (see [`patch::fields`]).
/// Operations that need nothing stored are applied to an empty document and
/// sent at once; the others are applied to the stored user, written back at
/// the version read: without If-Match a concurrent change makes it start
/// over (up to a few times), with If-Match it is a 412.
pub async fn update(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryPairs,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> ScimResult<Scim> {
    let p = projection(&q, &ctx)?;
    let ops = patch::parse(&body)?;
    let strict = ctx.mode().is_strict();
    if strict {
        strict::check_patch(ctx.scope(KIND), &ops)?;
    }
    let plan = patch::fields::plan(ctx.scope(KIND), &ops, strict);
    let wanted = if_match(&headers);
    let mut client = s.users.clone();
    for attempt in 0..PATCH_ATTEMPTS {
        if attempt > 0 {
            // Spread the retries of writers that collided.
            tokio::time::sleep(std::time::Duration::from_millis(attempt * 3 + u64::from(std::process::id() % 3))).await;
        }
        let (mut doc, expected) = if plan.needs_current {
            let current = client.get_user(ctx.req(GetUserRequest { id: id.clone() })).await?.into_inner();
            let version = current.meta.as_ref().map(|m| m.version.clone()).unwrap_or_default();
            if wanted.as_ref().is_some_and(|w| *w != version) {
                return Err(ScimError::precondition_failed());
            }
            (to_scim(&current, &ctx.base), Some(version))
        } else {
            // Only the touched fields are sent; the placeholder userName is
            // not among them unless an operation sets it.
            (json!({"schemas": [USER_SCHEMA], "id": id, "userName": "-"}), wanted.clone())
        };
        patch::doc::apply(ctx.scope(KIND), &mut doc, &ops, strict)?;
        let IncomingUser { user, password: _ } = from_scim(ctx.scope(KIND), &doc)?;
        let req = UpdateUserRequest {
            id: id.clone(),
            user: Some(user),
            update_mask: Some(FieldMask { paths: plan.mask.clone() }),
            expected_version: expected,
        };
        match client.update_user(ctx.req(req)).await {
            Ok(updated) => {
                return Ok(Scim::resource(render(&updated.into_inner(), &ctx, &p), false));
            }
            Err(status) if status.code() == Code::Aborted && wanted.is_none() && plan.needs_current => continue,
            Err(status) => return Err(status.into()),
        }
    }
    Err(ScimError::new(StatusCode::CONFLICT, None, "the user kept changing concurrently; retry the request"))
}

/// DELETE /Users/{id}.
pub async fn delete(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ScimResult<StatusCode> {
    s.users.clone().delete_user(ctx.req(DeleteUserRequest { id, expected_version: if_match(&headers) })).await?;
    Ok(StatusCode::NO_CONTENT)
}
