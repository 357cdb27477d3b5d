//! GroupService: proto requests -> validated domain values -> group store.

use proto::v1::group_service_server::GroupService;
use proto::v1::member_change::Op;
use proto::v1::{
    CreateGroupRequest, CreateMembershipRequest, DeleteGroupRequest, DeleteGroupResponse, DeleteMembershipRequest,
    DeleteMembershipResponse, GetGroupRequest, GetMembershipRequest, Group, ListGroupMembersRequest,
    ListGroupMembersResponse, ListGroupsRequest, ListGroupsResponse, ListMembershipsRequest, ListMembershipsResponse,
    Member, MemberType, Membership, ReplaceGroupRequest, UpdateGroupRequest,
};
use tonic::{Request, Response, Status};

use super::{authenticate, expected_version, page};
use crate::domain::{MemberKind, MemberRef, ResourceId, ValidGroup};
use crate::error::{Error, Result};
use crate::store::groups::{self as store, GroupFields, MemberChange};
use crate::store::memberships::{self, MembershipQuery};
use crate::store::{ListRequest, Listed, Store};

const KIND: &str = "Group";

pub struct Groups {
    pub store: Store,
}

fn members(list: &[Member]) -> Result<Vec<MemberRef>> {
    list.iter().map(MemberRef::parse).collect()
}

#[tonic::async_trait]
impl GroupService for Groups {
    async fn create_group(&self, req: Request<CreateGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let group = req.into_inner().group.ok_or(Error::MissingField { field: "group" })?;
        let valid = ValidGroup::parse(&group)?;
        let initial = members(&group.members)?;
        Ok(Response::new(store::create(&self.store, &tenant, valid, initial, true).await?))
    }

    async fn get_group(&self, req: Request<GetGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let GetGroupRequest { id, include_members } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        Ok(Response::new(store::get(&self.store, &tenant, &id, include_members).await?))
    }

    async fn list_groups(&self, req: Request<ListGroupsRequest>) -> Result<Response<ListGroupsResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let ListGroupsRequest { filter, page, include_members, sort } = req.into_inner();
        let request = ListRequest { filter: filter.as_ref(), sort: sort.as_ref(), page: page.as_ref() };
        let Listed { items, total, next_token } = store::list(&self.store, &tenant, request, include_members).await?;
        Ok(Response::new(ListGroupsResponse { groups: items, total_size: total, next_page_token: next_token }))
    }

    async fn replace_group(&self, req: Request<ReplaceGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let ReplaceGroupRequest { id, group, expected_version: v, include_members } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let group = group.ok_or(Error::MissingField { field: "group" })?;
        let fields = GroupFields::from(ValidGroup::parse(&group)?);
        let changes = vec![MemberChange::ReplaceAll(members(&group.members)?)];
        let expected = expected_version(v.as_deref())?;
        Ok(Response::new(store::update(&self.store, &tenant, &id, fields, changes, expected, include_members).await?))
    }

    async fn update_group(&self, req: Request<UpdateGroupRequest>) -> Result<Response<Group>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
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
        let mut changes = Vec::with_capacity(member_changes.len());
        for c in member_changes {
            changes.push(match Op::try_from(c.op).unwrap_or(Op::Unspecified) {
                Op::Add => MemberChange::Add(members(&c.members)?),
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
        let tenant = authenticate(&self.store, &req).await?;
        let DeleteGroupRequest { id, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        store::delete(&self.store, &tenant, &id, expected_version(v.as_deref())?).await?;
        Ok(Response::new(DeleteGroupResponse {}))
    }

    async fn list_group_members(
        &self,
        req: Request<ListGroupMembersRequest>,
    ) -> Result<Response<ListGroupMembersResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let ListGroupMembersRequest { group_id, page: p } = req.into_inner();
        let id = ResourceId::parse(KIND, &group_id)?;
        let (offset, limit) = page(p.as_ref());
        let (members, total) = store::list_members(&self.store, &tenant, &id, offset, limit).await?;
        Ok(Response::new(ListGroupMembersResponse { members, total_size: total }))
    }
    async fn create_membership(&self, req: Request<CreateMembershipRequest>) -> Result<Response<Membership>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let CreateMembershipRequest { group_id, member } = req.into_inner();
        let group = ResourceId::parse_member(&group_id)
            .map_err(|_| Error::invalid("group_id", format!("group {group_id} does not exist")))?;
        let member = MemberRef::parse(&member.ok_or(Error::MissingField { field: "member" })?)?;
        Ok(Response::new(memberships::create(&self.store, &tenant, &group, member).await?))
    }

    async fn get_membership(&self, req: Request<GetMembershipRequest>) -> Result<Response<Membership>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let GetMembershipRequest { group_id, member_id } = req.into_inner();
        let (group, member) = membership_ids(&group_id, &member_id)?;
        Ok(Response::new(memberships::get(&self.store, &tenant, &group, &member).await?))
    }

    async fn list_memberships(
        &self,
        req: Request<ListMembershipsRequest>,
    ) -> Result<Response<ListMembershipsResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let ListMembershipsRequest { group_id, member_id, member_type, page: p } = req.into_inner();
        // An id that cannot exist matches nothing.
        let parse = |raw: Option<String>| match raw {
            None => Ok(None),
            Some(r) => ResourceId::parse_member(&r).map(Some),
        };
        let (Ok(group), Ok(member)) = (parse(group_id), parse(member_id)) else {
            return Ok(Response::new(ListMembershipsResponse { memberships: Vec::new(), total_size: 0 }));
        };
        let kind = match MemberType::try_from(member_type).unwrap_or(MemberType::Unspecified) {
            MemberType::User => Some(MemberKind::User),
            MemberType::Group => Some(MemberKind::Group),
            MemberType::Unspecified => None,
        };
        let (offset, limit) = page(p.as_ref());
        let query = MembershipQuery { group, member, kind };
        let (memberships, total) = memberships::list(&self.store, &tenant, &query, offset, limit).await?;
        Ok(Response::new(ListMembershipsResponse { memberships, total_size: total }))
    }

    async fn delete_membership(
        &self,
        req: Request<DeleteMembershipRequest>,
    ) -> Result<Response<DeleteMembershipResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
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
