//! Internal services use identity-core's gRPC API directly: the contract
//! of `identity.v1` (paging, idempotent creates, error details).

use e2e_tests::{TestApp, e2e};
use futures_util::TryStreamExt;
use proto::v1::{
    CreateGroupRequest, CreateMembershipRequest, CreateUserRequest, Filter, GetUserRequest, Group,
    ListGroupMembersRequest, ListGroupsRequest, ListMembershipsRequest, ListUsersRequest, Member, MemberType,
    UpdateUserRequest, User, filter::Expr, filter_value::Kind,
};
use tonic::Code;
use tonic_types::StatusExt;

/// The ErrorInfo reason of a status ("" without one), checking its domain.
fn reason(status: &tonic::Status) -> String {
    let info = status.get_details_error_info().expect("every failure carries an ErrorInfo");
    assert_eq!(info.domain, proto::ERROR_DOMAIN);
    info.reason
}

/// The fields a status's BadRequest names.
fn violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn user(name: &str) -> User {
    User { user_name: name.into(), active: Some(true), ..Default::default() }
}

e2e!(an_internal_service_manages_users_over_grpc, |app| {
    let mut users = app.user_client().await;
    let created = users
        .create_user(app.grpc(
            &app.token,
            CreateUserRequest {
                user: Some(User { display_name: Some("Svc".into()), ..user("svc@x.com") }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!created.id.is_empty());
    assert_eq!(created.meta.as_ref().unwrap().version, "1");

    let read =
        users.get_user(app.grpc(&app.token, GetUserRequest { id: created.id.clone() })).await.unwrap().into_inner();
    assert_eq!(read.user_name, "svc@x.com");

    let filter = Filter {
        expr: Some(Expr::Compare(proto::v1::Comparison {
            attribute: "userName".into(),
            op: proto::v1::CompareOp::Eq as i32,
            value: Some(proto::v1::FilterValue { kind: Some(Kind::StringValue("SVC@x.com".into())) }),
        })),
    };
    let req = ListUsersRequest { filter: Some(filter), page_size: 10, include_total_size: true, ..Default::default() };
    let list = users.list_users(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!(list.total_size, Some(1));
    assert_eq!(list.next_page_token, "");

    // Deactivate with a field mask: nothing else changes.
    let off = users
        .update_user(app.grpc(
            &app.token,
            UpdateUserRequest {
                id: created.id.clone(),
                user: Some(User { active: Some(false), ..Default::default() }),
                update_mask: Some(mask(&["active"])),
                expected_version: Some("1".into()),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(off.active, Some(false));
    assert_eq!(off.display_name.as_deref(), Some("Svc"));
    assert_eq!(off.meta.unwrap().version, "2");

    // Errors carry a machine-readable reason in the service's domain.
    let stale = users
        .update_user(app.grpc(
            &app.token,
            UpdateUserRequest {
                id: created.id.clone(),
                user: Some(User::default()),
                update_mask: Some(mask(&["active"])),
                expected_version: Some("1".into()),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(reason(&stale), "ERROR_REASON_VERSION_MISMATCH");
    let dup = users
        .create_user(app.grpc(&app.token, CreateUserRequest { user: Some(user("SVC@X.COM")), ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists);
    assert_eq!(reason(&dup), "ERROR_REASON_UNIQUENESS_VIOLATION");
    let missing = users.create_user(app.grpc(&app.token, CreateUserRequest::default())).await.unwrap_err();
    assert_eq!(reason(&missing), "ERROR_REASON_MISSING_FIELD");
    assert_eq!(violations(&missing), ["user"]);
    let unauth = users.get_user(app.grpc("nope", GetUserRequest { id: created.id.clone() })).await.unwrap_err();
    assert_eq!(unauth.code(), Code::Unauthenticated);
    assert_eq!(reason(&unauth), "ERROR_REASON_INVALID_CREDENTIALS");
    let other = app.new_tenant("initech").await;
    let hidden = users.get_user(app.grpc(&other, GetUserRequest { id: created.id })).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    assert_eq!(reason(&hidden), "ERROR_REASON_RESOURCE_NOT_FOUND");
});

/// Five users, all members of one group; returns the group id.
async fn five_members(app: &TestApp) -> String {
    let mut users = app.user_client().await;
    let mut members = Vec::new();
    for i in 0..5 {
        let req = CreateUserRequest { user: Some(user(&format!("m{i}@x.com"))), ..Default::default() };
        let u = users.create_user(app.grpc(&app.token, req)).await.unwrap().into_inner();
        members.push(Member { value: u.id, display: String::new(), r#type: MemberType::User as i32 });
    }
    let group = Group { display_name: "Five".into(), members, ..Default::default() };
    let req = CreateGroupRequest { group: Some(group), request_id: String::new() };
    app.group_client().await.create_group(app.grpc(&app.token, req)).await.unwrap().into_inner().id
}

e2e!(every_list_method_pages_with_page_tokens, |app| {
    let gid = five_members(&app).await;
    let (mut users, mut groups) = (app.user_client().await, app.group_client().await);

    // The first page of each: two results and a token; totals are opt-in.
    let req = ListUsersRequest { page_size: 2, ..Default::default() };
    let page = users.list_users(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!((page.users.len(), page.total_size), (2, None));
    assert!(!page.next_page_token.is_empty());
    let req = ListGroupMembersRequest { group_id: gid.clone(), page_size: 2, ..Default::default() };
    let page = groups.list_group_members(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!(page.members.len(), 2);
    assert!(!page.next_page_token.is_empty());
    let req = ListMembershipsRequest { page_size: 2, ..Default::default() };
    let page = groups.list_memberships(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!(page.memberships.len(), 2);
    assert!(!page.next_page_token.is_empty());

    // A generic pager (identity-client's: follow next_page_token until it
    // is empty) sees everything, once, on every List method.
    let client = app.client(&app.token).await;
    let ids: Vec<String> = client
        .users(ListUsersRequest { page_size: 2, ..Default::default() })
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .unwrap();
    let members: Vec<String> = client.group_members(&gid, 2).map_ok(|m| m.value).try_collect().await.unwrap();
    let memberships: Vec<String> = client
        .memberships(ListMembershipsRequest { page_size: 2, ..Default::default() })
        .map_ok(|m| m.member.unwrap().value)
        .try_collect()
        .await
        .unwrap();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids.len(), 5);
    assert_eq!(members, sorted, "members come in member id order");
    assert_eq!(memberships, sorted);

    // page_size 0 is the server default (AIP-132): everything here, one page.
    let page = users.list_users(app.grpc(&app.token, ListUsersRequest::default())).await.unwrap().into_inner();
    assert_eq!((page.users.len(), page.next_page_token.as_str()), (5, ""));
    let req = ListGroupMembersRequest { group_id: gid.clone(), include_total_size: true, ..Default::default() };
    let page = groups.list_group_members(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!((page.members.len(), page.total_size), (5, Some(5)));
    let req = ListGroupsRequest { include_total_size: true, ..Default::default() };
    let page = groups.list_groups(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!((page.groups.len(), page.total_size), (1, Some(1)));

    // skip (AIP-158), with the total, as SCIM's startIndex pages; the next
    // page's token continues the same walk.
    let req = ListUsersRequest { page_size: 2, skip: 2, include_total_size: true, ..Default::default() };
    let page = users.list_users(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!(page.total_size, Some(5));
    assert_eq!(page.users.iter().map(|u| u.id.clone()).collect::<Vec<_>>(), ids[2..4]);
    let req = ListUsersRequest { page_size: 2, page_token: page.next_page_token, ..Default::default() };
    let last = users.list_users(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert_eq!(last.users.iter().map(|u| u.id.clone()).collect::<Vec<_>>(), ids[4..]);
    assert_eq!(last.next_page_token, "");
    let req = ListMembershipsRequest { skip: 9, ..Default::default() };
    let past = groups.list_memberships(app.grpc(&app.token, req)).await.unwrap().into_inner();
    assert!(past.memberships.is_empty() && past.next_page_token.is_empty());

    // Bad paging input names the field.
    let bad = users
        .list_users(app.grpc(&app.token, ListUsersRequest { page_size: -1, ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!((bad.code(), reason(&bad)), (Code::InvalidArgument, "ERROR_REASON_INVALID_PAGE".to_owned()));
    assert_eq!(violations(&bad), ["page_size"]);
    let req = ListGroupMembersRequest { group_id: gid.clone(), skip: -3, ..Default::default() };
    let bad = groups.list_group_members(app.grpc(&app.token, req)).await.unwrap_err();
    assert_eq!(violations(&bad), ["skip"]);
    // A token is bound to its query.
    let req = ListGroupMembersRequest { group_id: gid.clone(), page_size: 1, ..Default::default() };
    let first = groups.list_group_members(app.grpc(&app.token, req)).await.unwrap().into_inner();
    let req = ListMembershipsRequest { page_token: first.next_page_token, ..Default::default() };
    let bad = groups.list_memberships(app.grpc(&app.token, req)).await.unwrap_err();
    assert_eq!(reason(&bad), "ERROR_REASON_INVALID_PAGE_TOKEN");
});

e2e!(a_request_id_makes_every_create_idempotent, |app| {
    let mut groups = app.group_client().await;
    let create = |name: &str, id: &str| CreateGroupRequest {
        group: Some(Group { display_name: name.into(), ..Default::default() }),
        request_id: id.into(),
    };
    let first = groups.create_group(app.grpc(&app.token, create("Ops", "r-1"))).await.unwrap().into_inner();
    let retry = groups.create_group(app.grpc(&app.token, create("Ops", "r-1"))).await.unwrap().into_inner();
    assert_eq!(retry, first, "the retry returns the first result");
    let req = ListGroupsRequest { include_total_size: true, ..Default::default() };
    assert_eq!(groups.list_groups(app.grpc(&app.token, req)).await.unwrap().into_inner().total_size, Some(1));
    // Without an id, display names are not unique: a second group.
    groups.create_group(app.grpc(&app.token, create("Ops", ""))).await.unwrap();

    // The same id for another request, or another method, is refused.
    let reused = groups.create_group(app.grpc(&app.token, create("Dev", "r-1"))).await.unwrap_err();
    assert_eq!((reused.code(), reason(&reused)), (Code::InvalidArgument, "ERROR_REASON_REQUEST_ID_REUSED".to_owned()));
    assert_eq!(violations(&reused), ["request_id"]);
    let mut users = app.user_client().await;
    let as_user = CreateUserRequest { user: Some(user("a@x.com")), request_id: "r-1".into(), ..Default::default() };
    let reused = users.create_user(app.grpc(&app.token, as_user.clone())).await.unwrap_err();
    assert_eq!(reason(&reused), "ERROR_REASON_REQUEST_ID_REUSED");

    // Ids are per tenant.
    let other = app.new_tenant("initech").await;
    let theirs = groups.create_group(app.grpc(&other, create("Ops", "r-1"))).await.unwrap().into_inner();
    assert_ne!(theirs.id, first.id);

    // A failed create leaves the id free; a retried user create returns the user.
    let as_user = CreateUserRequest { request_id: "u-1".into(), ..as_user };
    let made = users.create_user(app.grpc(&app.token, as_user.clone())).await.unwrap().into_inner();
    assert_eq!(users.create_user(app.grpc(&app.token, as_user)).await.unwrap().into_inner(), made);

    // A retried membership returns the membership, not ALREADY_EXISTS.
    let add = CreateMembershipRequest {
        group_id: first.id.clone(),
        member: Some(Member { value: made.id.clone(), display: String::new(), r#type: MemberType::User as i32 }),
        request_id: "m-1".into(),
    };
    let m = groups.create_membership(app.grpc(&app.token, add.clone())).await.unwrap().into_inner();
    assert_eq!(groups.create_membership(app.grpc(&app.token, add.clone())).await.unwrap().into_inner(), m);
    let again = CreateMembershipRequest { request_id: String::new(), ..add };
    let dup = groups.create_membership(app.grpc(&app.token, again)).await.unwrap_err();
    assert_eq!(reason(&dup), "ERROR_REASON_UNIQUENESS_VIOLATION");
    // A member without a type is refused: zero values mean nothing.
    let untyped = CreateMembershipRequest {
        group_id: first.id,
        member: Some(Member { value: made.id, ..Default::default() }),
        request_id: String::new(),
    };
    let bad = groups.create_membership(app.grpc(&app.token, untyped)).await.unwrap_err();
    assert_eq!(violations(&bad), ["member.type"]);
});

fn mask(paths: &[&str]) -> proto::prost_types::FieldMask {
    proto::prost_types::FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }
}
