//! Membership changes larger than one transaction's bound (10,000 rows; see
//! identity-core's `store::large_changes`): replacing the members of a
//! 25,000-member group and deleting a 15,000-member one through the gRPC API
//! leave exactly the right members and an exact count; bad input and a stale
//! version are still refused before the first write. The write-set sizes on
//! Galera are measured in tests/galera.

use e2e_tests::{TestApp, e2e};
use proto::v1::member_change::Op;
use proto::v1::{
    DeleteGroupRequest, GetGroupRequest, ImportUsersRequest, ListGroupMembersRequest, Member, MemberChange, MemberType,
    UpdateGroupRequest, User,
};
use tonic::Code;

/// `n` users imported through identity-core's bulk path; their ids.
async fn users(app: &TestApp, n: usize) -> Vec<String> {
    let mut client = app.user_client().await;
    let mut ids = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(10_000) {
        let batch = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
            .map(|i| User { user_name: format!("m{i:06}@large.example"), ..Default::default() })
            .collect();
        let r =
            client.import_users(app.grpc(&app.token, ImportUsersRequest { users: batch, request_id: String::new() }));
        ids.extend(r.await.unwrap().into_inner().ids);
    }
    ids
}

fn members(ids: &[String]) -> Vec<Member> {
    ids.iter().map(|id| Member { value: id.clone(), display: String::new(), r#type: MemberType::User as i32 }).collect()
}

fn change(gid: &str, op: Op, ids: &[String], expected_version: Option<String>) -> UpdateGroupRequest {
    UpdateGroupRequest {
        id: gid.to_owned(),
        member_changes: vec![MemberChange { op: op as i32, members: members(ids) }],
        expected_version,
        ..Default::default()
    }
}

/// The group's member count as stored, and its real members, sorted.
async fn state(app: &TestApp, gid: &str) -> (u64, String, Vec<String>) {
    let mut groups = app.group_client().await;
    let g = groups.get_group(app.grpc(&app.token, GetGroupRequest { id: gid.to_owned(), ..Default::default() }));
    let g = g.await.unwrap().into_inner();
    let mut real = Vec::new();
    let mut token = String::new();
    loop {
        let req = ListGroupMembersRequest {
            group_id: gid.to_owned(),
            page_size: 1000,
            page_token: token,
            ..Default::default()
        };
        let page = groups.list_group_members(app.grpc(&app.token, req)).await.unwrap().into_inner();
        real.extend(page.members.into_iter().map(|m| m.value));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    real.sort();
    (g.member_count, g.meta.unwrap().version, real)
}

fn sorted(ids: &[String]) -> Vec<String> {
    let mut v = ids.to_vec();
    v.sort();
    v
}

e2e!(changes_to_more_memberships_than_one_transaction_holds_are_exact, |app| {
    let ids = users(&app, 30_000).await;
    let gid = app.create_group("Everyone").await;
    let mut groups = app.group_client().await;

    // 25,000 members, added 10,000 at most per call (the request cap).
    for chunk in ids[..25_000].chunks(10_000) {
        groups.update_group(app.grpc(&app.token, change(&gid, Op::Add, chunk, None))).await.unwrap();
    }
    let (count, version, real) = state(&app, &gid).await;
    assert_eq!((count, real), (25_000, sorted(&ids[..25_000])));

    // A stale version or an unknown member: refused, and nothing written.
    let stale = change(&gid, Op::ReplaceAll, &ids[20_000..30_000], Some("W/\"1\"".to_owned()));
    let e = groups.update_group(app.grpc(&app.token, stale)).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted, "{e:?}");
    let mut bad = ids[20_000..30_000].to_vec();
    bad[9_000] = "9f1c7b2e-0000-4000-8000-000000000000".to_owned();
    let e = groups.update_group(app.grpc(&app.token, change(&gid, Op::ReplaceAll, &bad, None))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert_eq!(state(&app, &gid).await, (25_000, version.clone(), sorted(&ids[..25_000])), "nothing written");

    // Replace 25,000 by 10,000 (20,000 out in bounded transactions, 5,000
    // kept, 5,000 in), with the current version: exact.
    let replace = change(&gid, Op::ReplaceAll, &ids[20_000..30_000], Some(version));
    let g = groups.update_group(app.grpc(&app.token, replace)).await.unwrap().into_inner();
    assert_eq!(g.member_count, 10_000);
    let (count, _, real) = state(&app, &gid).await;
    assert_eq!((count, real), (10_000, sorted(&ids[20_000..30_000])));

    // Back to 15,000, then delete: a stale version is refused whole; then
    // the group goes, with every membership, in bounded transactions.
    groups.update_group(app.grpc(&app.token, change(&gid, Op::Add, &ids[..5_000], None))).await.unwrap();
    let (count, version, _) = state(&app, &gid).await;
    assert_eq!(count, 15_000);
    let del = DeleteGroupRequest { id: gid.clone(), expected_version: Some("W/\"1\"".to_owned()) };
    let e = groups.delete_group(app.grpc(&app.token, del)).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    assert_eq!(state(&app, &gid).await.0, 15_000);
    let del = DeleteGroupRequest { id: gid.clone(), expected_version: Some(version) };
    groups.delete_group(app.grpc(&app.token, del)).await.unwrap();
    let e = groups.get_group(app.grpc(&app.token, GetGroupRequest { id: gid.clone(), ..Default::default() }));
    assert_eq!(e.await.unwrap_err().code(), Code::NotFound);
    let req = ListGroupMembersRequest { group_id: gid.clone(), ..Default::default() };
    assert_eq!(groups.list_group_members(app.grpc(&app.token, req)).await.unwrap_err().code(), Code::NotFound);
    // The users stay, in no group.
    let user = format!("/Users/{}", ids[1_000]);
    let u = app.get(&user).await;
    assert_eq!(u.status, reqwest::StatusCode::OK);
    assert!(u.body["groups"].as_array().is_none_or(|g| g.is_empty()), "{}", u.body);
});
