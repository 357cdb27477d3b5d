//! `POST /.search` (RFC 7644 §3.4.3): one query over every resource type.
//! Results list users, then groups, so index paging stays stable.

use axum::extract::State;
use proto::v1::{ListGroupsRequest, ListUsersRequest};

use super::list_response;
use crate::convert::{group, user};
use crate::error::{ScimError, ScimResult};
use crate::extract::{Ctx, ScimJson};
use crate::projection::Projection;
use crate::query::{CorePage, ListParams};
use crate::response::Scim;
use crate::schema::ResourceKind;
use crate::state::AppState;

/// POST /.search.
pub async fn search_all(State(s): State<AppState>, ctx: Ctx, ScimJson(body): ScimJson) -> ScimResult<Scim> {
    let params = ListParams::from_search(&body)?;
    if params.cursor.is_some() || params.sort_by.is_some() {
        return Err(ScimError::invalid_value(
            "cursor paging and sorting apply to one resource type: use /Users/.search or /Groups/.search",
        ));
    }
    let (start_index, count) = params.paging()?;
    // A filter may name attributes of one resource type only: the other
    // type then has no matches. Fails only when it fits neither.
    let (users_filter, groups_filter) =
        (params.filter(ctx.scope(ResourceKind::User)), params.filter(ctx.scope(ResourceKind::Group)));
    if let (Err(e), Err(_)) = (&users_filter, &groups_filter) {
        return Err(e.clone());
    }
    let projection = |kind| {
        Projection::parse_known(ctx.scope(kind), params.attributes.as_deref(), params.excluded_attributes.as_deref())
    };
    let (user_proj, group_proj) = (projection(ResourceKind::User), projection(ResourceKind::Group));

    let mut resources = Vec::new();
    let mut total = 0;
    let offset = start_index - 1;
    if let Ok(filter) = users_filter {
        let CorePage { page_size, page_token, skip, include_total_size, keep } =
            CorePage::new(start_index, count, None);
        let req = ListUsersRequest { filter, sort: None, page_size, page_token, skip, include_total_size };
        let resp = s.users.clone().list_users(ctx.req(req)).await?.into_inner();
        total += super::total(resp.total_size).unwrap_or_default();
        resources.extend(
            resp.users
                .iter()
                .take(keep)
                .map(|u| user_proj.apply(ctx.scope(ResourceKind::User), user::to_scim(u, &ctx.base))),
        );
    }
    if let Ok(filter) = groups_filter {
        let room = count.saturating_sub(u32::try_from(resources.len()).unwrap_or(count));
        let CorePage { page_size, page_token, skip, include_total_size, keep } =
            CorePage::new(offset.saturating_sub(total) + 1, room, None);
        let with_members = group_proj.shows("members");
        let req = ListGroupsRequest {
            filter,
            include_members: with_members && room > 0,
            sort: None,
            page_size,
            page_token,
            skip,
            include_total_size,
        };
        let resp = s.groups.clone().list_groups(ctx.req(req)).await?.into_inner();
        total += super::total(resp.total_size).unwrap_or_default();
        resources.extend(resp.groups.iter().take(keep).map(|g| {
            group_proj.apply(
                ctx.scope(ResourceKind::Group),
                group::to_scim(ctx.scope(ResourceKind::Group), g, &ctx.base, with_members),
            )
        }));
    }
    Ok(Scim::ok(list_response(total, start_index, resources)))
}
