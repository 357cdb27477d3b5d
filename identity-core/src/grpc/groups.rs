//! GroupService: proto requests -> validated domain values -> group store.

use prost::Message;
use proto::v1::group_service_server::GroupService;
use proto::v1::member_change::Op;
use proto::v1::{
    CreateGroupRequest, CreateMembershipRequest, DeleteGroupRequest, DeleteGroupResponse, DeleteMembershipRequest,
    DeleteMembershipResponse, GetGroupRequest, GetMembershipRequest, Group, ListGroupMembersRequest,
    ListGroupMembersResponse, ListGroupsRequest, ListGroupsResponse, ListMembershipsRequest, ListMembershipsResponse,
    Member, MemberType, Membership, ReplaceGroupRequest, UpdateGroupRequest,
};
use tonic::{Request, Response, Status};

use super::{authenticate, expected_version, once, page, total};
use crate::auth::Scope;
use crate::domain::limits::{self, MAX_MEMBERS_PER_REQUEST};
use crate::domain::{MemberKind, MemberRef, ResourceId, ValidGroup};
use crate::error::{Error, Result};
use crate::store::groups::{self as store, GroupFields, MemberChange};
use crate::store::memberships::{self, MembershipQuery};
use crate::store::{ListRequest, Listed, Store, request_ids};

const KIND: &str = "Group";

pub struct Groups {
    pub store: Store,
}

fn members(list: &[Member]) -> Result<Vec<MemberRef>> {
    limits::count("members", list.len(), MAX_MEMBERS_PER_REQUEST)?;
    list.iter().map(MemberRef::parse).collect()
}

#[tonic::async_trait]
impl GroupService for Groups {
    async fn create_group(&self, req: Request<CreateGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let CreateGroupRequest { group, request_id } = req.into_inner();
        let group = group.ok_or(Error::MissingField { field: "group" })?;
        let valid = ValidGroup::parse(&group)?;
        let initial = members(&group.members)?;
        let key = CreateGroupRequest { group: Some(group), request_id: String::new() }.encode_to_vec();
        let created = request_ids::once(&self.store, once(&tenant, &request_id, "CreateGroup", &key), || {
            store::create(&self.store, &tenant, valid, initial, true)
        })
        .await?;
        Ok(Response::new(created))
    }

    async fn get_group(&self, req: Request<GetGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let GetGroupRequest { id, include_members } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        Ok(Response::new(store::get(&self.store, &tenant, &id, include_members).await?))
    }

    async fn list_groups(&self, req: Request<ListGroupsRequest>) -> Result<Response<ListGroupsResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let ListGroupsRequest { filter, include_members, sort, page_size, page_token, skip, include_total_size } =
            req.into_inner();
        let page = page(page_size, &page_token, skip, include_total_size)?;
        let request = ListRequest { filter: filter.as_ref(), sort: sort.as_ref(), page };
        let Listed { items, total: n, next_token } =
            store::list(&self.store, &tenant, request, include_members).await?;
        Ok(Response::new(ListGroupsResponse { groups: items, total_size: total(n), next_page_token: next_token }))
    }

    async fn replace_group(&self, req: Request<ReplaceGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let ReplaceGroupRequest { id, group, expected_version: v, include_members } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let group = group.ok_or(Error::MissingField { field: "group" })?;
        let fields = GroupFields::from(ValidGroup::parse(&group)?);
        let changes = vec![MemberChange::ReplaceAll(members(&group.members)?)];
        let expected = expected_version(v.as_deref())?;
        Ok(Response::new(store::update(&self.store, &tenant, &id, fields, changes, expected, include_members).await?))
    }

    async fn update_group(&self, req: Request<UpdateGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let UpdateGroupRequest { id, group, update_mask, member_changes, expected_version: v, include_members } =
            req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let group = group.unwrap_or_default();
        let mut fields = GroupFields::default();
        for path in update_mask.map(|m| m.paths).unwrap_or_default() {
            match path.as_str() {
                "display_name" => {
                    let probe = Group { display_name: group.display_name.clone(), ..Default::default() };
                    fields.display_name = Some(ValidGroup::parse(&probe)?.display_name);
                }
                "external_id" => {
                    // Validated like a create's (a too-long value must be a
                    // 400 on every backend, not MariaDB's "data too long").
                    let probe = Group {
                        display_name: "-".to_owned(),
                        external_id: group.external_id.clone(),
                        ..Default::default()
                    };
                    fields.external_id = Some(ValidGroup::parse(&probe)?.external_id);
                }
                "extensions" => fields.extensions = Some(group.extensions.clone()),
                p if p.starts_with("extensions.") && p.len() > "extensions.".len() => {
                    fields.extension_attrs.push(p["extensions.".len()..].to_owned());
                    fields.extension_values.clone_from(&group.extensions);
                }
                other => {
                    return Err(Error::invalid("update_mask", format!("unknown Group field {other:?}")).into());
                }
            }
        }
        limits::count("member_changes", member_changes.len(), MAX_MEMBERS_PER_REQUEST)?;
        limits::count("members", member_changes.iter().map(|c| c.members.len()).sum(), MAX_MEMBERS_PER_REQUEST)?;
        let mut changes = Vec::with_capacity(member_changes.len());
        for c in member_changes {
            changes.push(match Op::try_from(c.op).unwrap_or(Op::Unspecified) {
                Op::Add => MemberChange::Add(members(&c.members)?),
                // Only the ids matter: an id that cannot exist is not a member.
                Op::Remove => MemberChange::Remove(
                    c.members.iter().filter_map(|m| ResourceId::parse(KIND, &m.value).ok()).collect(),
                ),
                Op::ReplaceAll => MemberChange::ReplaceAll(members(&c.members)?),
                Op::Unspecified => {
                    return Err(Error::invalid("member_changes.op", "missing").into());
                }
            });
        }
        let expected = expected_version(v.as_deref())?;
        Ok(Response::new(store::update(&self.store, &tenant, &id, fields, changes, expected, include_members).await?))
    }

    async fn delete_group(&self, req: Request<DeleteGroupRequest>) -> Result<Response<DeleteGroupResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let DeleteGroupRequest { id, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        store::delete(&self.store, &tenant, &id, expected_version(v.as_deref())?).await?;
        Ok(Response::new(DeleteGroupResponse {}))
    }

    async fn list_group_members(
        &self,
        req: Request<ListGroupMembersRequest>,
    ) -> Result<Response<ListGroupMembersResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let ListGroupMembersRequest { group_id, page_size, page_token, skip, include_total_size } = req.into_inner();
        let id = ResourceId::parse(KIND, &group_id)?;
        let page = page(page_size, &page_token, skip, include_total_size)?;
        let Listed { items, total: n, next_token } = store::list_members(&self.store, &tenant, &id, &page).await?;
        Ok(Response::new(ListGroupMembersResponse {
            members: items,
            total_size: total(n),
            next_page_token: next_token,
        }))
    }
    async fn create_membership(&self, req: Request<CreateMembershipRequest>) -> Result<Response<Membership>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let CreateMembershipRequest { group_id, member, request_id } = req.into_inner();
        let group = ResourceId::parse_member(&group_id)
            .map_err(|_| Error::invalid("group_id", format!("group {group_id} does not exist")))?;
        let member = member.ok_or(Error::MissingField { field: "member" })?;
        let valid = MemberRef::parse(&member)?;
        let key = CreateMembershipRequest { group_id, member: Some(member), request_id: String::new() }.encode_to_vec();
        let created = request_ids::once(&self.store, once(&tenant, &request_id, "CreateMembership", &key), || {
            memberships::create(&self.store, &tenant, &group, valid)
        })
        .await?;
        Ok(Response::new(created))
    }

    async fn get_membership(&self, req: Request<GetMembershipRequest>) -> Result<Response<Membership>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let GetMembershipRequest { group_id, member_id } = req.into_inner();
        let (group, member) = membership_ids(&group_id, &member_id)?;
        Ok(Response::new(memberships::get(&self.store, &tenant, &group, &member).await?))
    }

    async fn list_memberships(
        &self,
        req: Request<ListMembershipsRequest>,
    ) -> Result<Response<ListMembershipsResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let ListMembershipsRequest {
            group_id,
            member_id,
            member_type,
            page_size,
            page_token,
            skip,
            include_total_size,
        } = req.into_inner();
        let page = page(page_size, &page_token, skip, include_total_size)?;
        // An id that cannot exist matches nothing.
        let parse = |raw: Option<String>| match raw {
            None => Ok(None),
            Some(r) => ResourceId::parse_member(&r).map(Some),
        };
        let (Ok(group), Ok(member)) = (parse(group_id), parse(member_id)) else {
            let total_size = include_total_size.then_some(0);
            let empty = ListMembershipsResponse { memberships: Vec::new(), total_size, next_page_token: String::new() };
            return Ok(Response::new(empty));
        };
        let kind = match MemberType::try_from(member_type).unwrap_or(MemberType::Unspecified) {
            MemberType::User => Some(MemberKind::User),
            MemberType::Group => Some(MemberKind::Group),
            MemberType::Unspecified => None,
        };
        let query = MembershipQuery { group, member, kind };
        let Listed { items, total: n, next_token } = memberships::list(&self.store, &tenant, &query, &page).await?;
        Ok(Response::new(ListMembershipsResponse {
            memberships: items,
            total_size: total(n),
            next_page_token: next_token,
        }))
    }

    async fn delete_membership(
        &self,
        req: Request<DeleteMembershipRequest>,
    ) -> Result<Response<DeleteMembershipResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let DeleteMembershipRequest { group_id, member_id } = req.into_inner();
        let (group, member) = membership_ids(&group_id, &member_id)?;
        memberships::delete(&self.store, &tenant, &group, &member).await?;
        Ok(Response::new(DeleteMembershipResponse {}))
    }
}

/// Ids naming a membership; ones that cannot exist are NOT_FOUND.
fn membership_ids(group: &str, member: &str) -> Result<(ResourceId, ResourceId)> {
    let not_found = || Error::NotFound { kind: "GroupMember", id: format!("{group}.{member}") };
    let g = ResourceId::parse_member(group).map_err(|_| not_found())?;
    let m = ResourceId::parse_member(member).map_err(|_| not_found())?;
    Ok((g, m))
}
