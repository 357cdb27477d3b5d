//! `memberCount` stays exact (draft-zollner-scim-group-members
//! `membersMetadata`): Okta re-pushes groups all the time, so re-adds,
//! re-PUTs, concurrent adds and removes and member deletion must never move
//! the count away from the real number of members. On MariaDB a re-add used
//! to count again (an `ON DUPLICATE KEY UPDATE` reports a duplicate row as
//! affected).

use e2e_tests::{TestApp, e2e, json};
use proto::v1::{GetGroupRequest, ListGroupMembersRequest};
use reqwest::StatusCode;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// (member_count kept by identity-core, members really stored).
async fn counts(app: &TestApp, gid: &str) -> (u64, u64) {
    let mut groups = app.group_client().await;
    let g = groups
        .get_group(app.grpc(&app.token, GetGroupRequest { id: gid.to_owned(), include_members: false }))
        .await
        .unwrap()
        .into_inner();
    let req = ListGroupMembersRequest { group_id: gid.to_owned(), page_size: 1000, ..Default::default() };
    let listed = groups.list_group_members(app.grpc(&app.token, req)).await.unwrap().into_inner();
    (g.member_count, listed.members.len() as u64)
}

fn add(id: &str) -> serde_json::Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]})
}

fn remove(id: &str) -> serde_json::Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]})
}

e2e!(re_adding_a_member_does_not_count_it_again, |app| {
    let ann = app.create_user("ann@x.com").await;
    let gid = app.create_group("Sales").await;
    for _ in 0..3 {
        let a = app.patch(&format!("/Groups/{gid}"), add(&ann)).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    }
    assert_eq!(counts(&app, &gid).await, (1, 1));
    let g = app.get(&format!("/Groups/{gid}")).await.body;
    assert_eq!(g["members"].as_array().map(Vec::len), Some(1));
    let ext = "urn:ietf:params:scim:schemas:extension:groupMembers:2.0:Group";
    let g = app.get(&format!("/Groups/{gid}?attributes={ext}")).await.body;
    assert_eq!(g[ext]["membersMetadata"]["memberCount"], 1, "{g}");

    // The GroupMember resource refuses the duplicate and leaves the count.
    let dup = app.post("/GroupMembers", json!({"group": {"value": gid}, "member": {"value": ann}})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    assert_eq!(counts(&app, &gid).await, (1, 1));
});

e2e!(putting_the_same_members_again_keeps_the_count, |app| {
    let ann = app.create_user("ann@x.com").await;
    let created =
        app.post("/Groups", json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ann}]})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let gid = created.body["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let put = app
            .put(
                &format!("/Groups/{gid}"),
                json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ann}]}),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    }
    assert_eq!(counts(&app, &gid).await, (1, 1));
    // "Push now" with the same list, as a PATCH replace.
    let replace =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "members", "value": [{"value": ann}]}]});
    assert_eq!(app.patch(&format!("/Groups/{gid}"), replace).await.status, StatusCode::NO_CONTENT);
    assert_eq!(counts(&app, &gid).await, (1, 1));
});

e2e!(concurrent_adds_and_removes_of_one_member_keep_the_count_exact, |app| {
    let ann = app.create_user("ann@x.com").await;
    let bob = app.create_user("bob@x.com").await;
    let gid = app.create_group("Eng").await;
    assert_eq!(app.patch(&format!("/Groups/{gid}"), add(&bob)).await.status, StatusCode::NO_CONTENT);
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (app, gid, ann) = (app.clone(), gid.clone(), ann.clone());
        tasks.push(tokio::spawn(async move {
            let body = if i % 3 == 2 { remove(&ann) } else { add(&ann) };
            app.patch(&format!("/Groups/{gid}"), body).await.status
        }));
    }
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status == StatusCode::NO_CONTENT || status == StatusCode::CONFLICT, "{status}");
    }
    let (kept, real) = counts(&app, &gid).await;
    assert_eq!(kept, real);
    assert!(real == 1 || real == 2, "{real}");
});

e2e!(deleting_a_member_takes_it_out_of_the_count, |app| {
    let ann = app.create_user("ann@x.com").await;
    let bob = app.create_user("bob@x.com").await;
    let gid = app.create_group("Sales").await;
    for id in [&ann, &bob, &ann] {
        assert_eq!(app.patch(&format!("/Groups/{gid}"), add(id)).await.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(counts(&app, &gid).await, (2, 2));
    assert_eq!(app.delete(&format!("/Users/{ann}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(counts(&app, &gid).await, (1, 1));
    // Removing a member twice removes it once.
    for _ in 0..2 {
        assert_eq!(app.patch(&format!("/Groups/{gid}"), remove(&bob)).await.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(counts(&app, &gid).await, (0, 0));
});
