//! Groups at scale (draft-zollner-scim-group-members-01): the
//! GroupMember resource, membersMetadata, nested groups, and a group of
//! 100,000 members whose single-member changes cost one row.

use e2e_tests::{TestApp, e2e, enc, json};
use proto::v1::member_change::Op;
use proto::v1::{ImportUsersRequest, Member, MemberChange, MemberType, UpdateGroupRequest, User};
use reqwest::{Method, StatusCode};

const META: &str = "urn:ietf:params:scim:schemas:extension:groupMembers:2.0:Group";

e2e!(the_group_member_resource, |app| {
    let ann = app.create_user("ann@x.com").await;
    let bob = app.create_user("bob@x.com").await;
    let gid = app.create_group("Eng").await;

    let created = app
        .post("/GroupMembers", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:GroupMember"], "group": {"value": gid}, "member": {"value": ann}}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location"), created.body["meta"]["location"].as_str());
    assert_eq!(created.body["group"]["display"], "Eng");
    assert_eq!(
        created.body["member"],
        json!({"value": ann, "$ref": format!("{}/Users/{ann}", app.base), "type": "User", "display": "ann@x.com"})
    );

    let dup = app.post("/GroupMembers", json!({"group": {"value": gid}, "member": {"value": ann}})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    for (group, member) in [
        (gid.clone(), "9f1c7b2e-0000-4000-8000-000000000000".to_owned()),
        ("9f1c7b2e-0000-4000-8000-000000000001".to_owned(), bob.clone()),
    ] {
        let a = app.post("/GroupMembers", json!({"group": {"value": group}, "member": {"value": member}})).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.body["scimType"], "invalidValue");
    }
    assert_eq!(
        app.post("/GroupMembers", json!({"group": {"value": gid}, "member": {"value": bob}})).await.status,
        StatusCode::CREATED
    );

    let one = app.get(&format!("/GroupMembers/{id}")).await;
    assert_eq!(one.body["member"]["value"], ann.as_str());
    let list = app.get(&format!("/GroupMembers?filter={}&count=1", enc(&format!("group.value eq \"{gid}\"")))).await;
    assert_eq!(list.body["totalResults"], 2);
    assert_eq!(list.body["Resources"].as_array().unwrap().len(), 1);
    let mine = app
        .get(&format!(
            "/GroupMembers?filter={}",
            enc(&format!("member.value eq \"{bob}\" and group.value eq \"{gid}\""))
        ))
        .await;
    assert_eq!(mine.body["totalResults"], 1);
    let bad = app.get(&format!("/GroupMembers?filter={}", enc("member.display co \"x\""))).await;
    assert_eq!(bad.body["scimType"], "invalidFilter");
    for method in [Method::PUT, Method::PATCH] {
        assert_eq!(
            app.call(method, &format!("/GroupMembers/{id}"), Some(json!({}))).await.status,
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    // Both views agree, and the group says how its members are served
    // (asked for by URN: /ResourceTypes does not list the extension by default).
    let g = app.get(&format!("/Groups/{gid}?attributes=displayName,members,{}", enc(META))).await.body;
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    assert_eq!(g[META]["membersMetadata"]["policy"], "inline");
    assert_eq!(g[META]["membersMetadata"]["memberCount"], 2);
    assert!(g[META]["membersMetadata"]["ref"].as_str().unwrap().contains("/GroupMembers?filter=group.value%20eq%20"));
    assert!(g["schemas"].as_array().unwrap().contains(&json!(META)));

    assert_eq!(app.delete(&format!("/GroupMembers/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/GroupMembers/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/GroupMembers/{id}")).await.status, StatusCode::NOT_FOUND);
    let g =
        app.get(&format!("/Groups/{gid}?attributes={}", enc(&format!("{META}:membersMetadata,members")))).await.body;
    assert_eq!(g[META]["membersMetadata"]["memberCount"], 1);
    assert_eq!(g["members"][0]["value"], bob.as_str());

    // By default /Schemas publishes both schemas, /ResourceTypes lists
    // neither, and a plain read of a group leaves the extension out.
    assert_eq!(app.get(&format!("/Schemas/{META}")).await.status, StatusCode::OK);
    assert_eq!(app.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:GroupMember").await.status, StatusCode::OK);
    assert_eq!(app.get("/ResourceTypes").await.body["totalResults"], 2);
    assert_eq!(app.get("/ResourceTypes/GroupMember").await.status, StatusCode::NOT_FOUND);
    let group_rt = app.get("/ResourceTypes/Group").await.body;
    assert_eq!(group_rt["schemaExtensions"], json!([]));
    let plain = app.get(&format!("/Groups/{gid}")).await.body;
    assert!(plain.get(META).is_none() && plain["schemas"] == json!(["urn:ietf:params:scim:schemas:core:2.0:Group"]));
});

e2e!(groups_nest_without_cycles_and_users_see_indirect_groups, |app| {
    let user = app.create_user("nested@x.com").await;
    let (top, middle, bottom) =
        (app.create_group("Top").await, app.create_group("Middle").await, app.create_group("Bottom").await);
    let add = |group: &str, id: &str, t: &str| {
        let body = json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": id, "type": t}]}]});
        let path = format!("/Groups/{group}");
        let app = &app;
        async move { app.patch(&path, body).await }
    };
    assert_eq!(add(&bottom, &user, "User").await.status, StatusCode::NO_CONTENT);
    assert_eq!(add(&middle, &bottom, "Group").await.status, StatusCode::NO_CONTENT);
    assert_eq!(add(&top, &middle, "Group").await.status, StatusCode::NO_CONTENT);

    let groups = app.get(&format!("/Users/{user}")).await.body["groups"].clone();
    let kind_of = |id: &str| groups.as_array().unwrap().iter().find(|g| g["value"] == id).map(|g| g["type"].clone());
    assert_eq!(kind_of(&bottom), Some(json!("direct")));
    assert_eq!(kind_of(&middle), Some(json!("indirect")));
    assert_eq!(kind_of(&top), Some(json!("indirect")));
    assert_eq!(groups.as_array().unwrap().len(), 3);
    let m = app.get(&format!("/Groups/{top}")).await.body;
    assert_eq!(
        m["members"],
        json!([{"value": middle, "$ref": format!("{}/Groups/{middle}", app.base), "type": "Group"}])
    );

    // Cycles are refused, nothing written.
    for (group, member) in [(&bottom, &top), (&middle, &top), (&top, &top)] {
        let a = add(group, member, "Group").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{group} <- {member}");
        assert_eq!(a.body["scimType"], "invalidValue");
    }
    let cycle =
        app.post("/GroupMembers", json!({"group": {"value": bottom}, "member": {"value": top, "type": "Group"}})).await;
    assert_eq!(cycle.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&format!("/Groups/{bottom}")).await.body["members"].as_array().unwrap().len(), 1);

    // Deleting a group removes its memberships everywhere.
    assert_eq!(app.delete(&format!("/Groups/{middle}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/Groups/{top}")).await.body["members"], json!([]));
    assert_eq!(app.get(&format!("/Users/{user}")).await.body["groups"].as_array().unwrap().len(), 1);
});

/// 100,000 users imported through identity-core's bulk path, then made
/// members of one group in chunks of 10,000.
async fn big_group(app: &TestApp, size: usize) -> (String, Vec<String>) {
    let mut users = app.user_client().await;
    let mut ids = Vec::with_capacity(size);
    for chunk in 0..size.div_ceil(10_000) {
        let batch = (chunk * 10_000..((chunk + 1) * 10_000).min(size))
            .map(|i| User { user_name: format!("member{i:06}@big.example"), ..Default::default() })
            .collect();
        let r = users
            .import_users(app.grpc(&app.token, ImportUsersRequest { users: batch, request_id: String::new() }))
            .await
            .unwrap();
        ids.extend(r.into_inner().ids);
    }
    let gid = app.create_group("Everyone").await;
    let mut groups = app.group_client().await;
    for chunk in ids.chunks(10_000) {
        let members = chunk
            .iter()
            .map(|id| Member { value: id.clone(), display: String::new(), r#type: MemberType::User as i32 })
            .collect();
        let req = UpdateGroupRequest {
            id: gid.clone(),
            member_changes: vec![MemberChange { op: Op::Add as i32, members }],
            ..Default::default()
        };
        groups.update_group(app.grpc(&app.token, req)).await.unwrap();
    }
    (gid, ids)
}

e2e!(a_hundred_thousand_member_group_changes_one_row_at_a_time, |app| {
    let (gid, ids) = big_group(&app, 100_000).await;
    let path = format!("/Groups/{gid}");
    // membersMetadata is shown when asked for (not listed in /ResourceTypes by default).
    let meta = format!("{path}?attributes=members,{}", enc(META));

    // Read without members: cheap, and the metadata tells the size.
    let g = app.get(&meta).await;
    assert_eq!(g.status, StatusCode::OK);
    assert!(g.body.get("members").is_none(), "a group this large is served through /GroupMembers");
    assert_eq!(g.body[META]["membersMetadata"]["policy"], "external");
    assert_eq!(g.body[META]["membersMetadata"]["memberCount"], 100_000);

    // One more member, one fewer, by PATCH as Okta sends it.
    let extra = app.create_user("extra@x.com").await;
    let add = app.patch(&path, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": extra}]}]})).await;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.body);
    assert_eq!(app.get(&meta).await.body[META]["membersMetadata"]["memberCount"], 100_001);
    let remove = app
        .patch(
            &path,
            json!({"Operations": [{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[50_000])}]}),
        )
        .await;
    assert_eq!(remove.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&meta).await.body[META]["membersMetadata"]["memberCount"], 100_000);

    // Membership checks and paging stay index lookups.
    let check = app
        .get(&format!("/Groups?filter={}&attributes=id", enc(&format!("id eq \"{gid}\" and members eq \"{extra}\""))))
        .await;
    assert_eq!(check.body["totalResults"], 1);
    let page = app
        .get(&format!("/GroupMembers?filter={}&startIndex=99991&count=20", enc(&format!("group.value eq \"{gid}\""))))
        .await;
    assert_eq!(page.body["totalResults"], 100_000);
    assert_eq!(page.body["Resources"].as_array().unwrap().len(), 10);
    let u = app.get(&format!("/Users/{}", ids[7])).await.body;
    assert_eq!(u["groups"][0]["value"], gid.as_str());

    // Deleting a member user keeps the count right.
    assert_eq!(app.delete(&format!("/Users/{}", ids[8])).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&meta).await.body[META]["membersMetadata"]["memberCount"], 99_999);

    // Deleting the group removes its 99,999 memberships (in bounded batches).
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    let left = app.get(&format!("/GroupMembers?filter={}&count=0", enc(&format!("group.value eq \"{gid}\"")))).await;
    assert_eq!(left.body["totalResults"], 0);
    assert!(app.get(&format!("/Users/{}", ids[7])).await.body.get("groups").is_none());
});

e2e!(group_lists_that_show_members_are_bounded, |app| {
    let (gid, _) = big_group(&app, 1_001).await;
    let g = app.get(&format!("/Groups/{gid}?attributes=members,{}", enc(META))).await.body;
    assert_eq!(g[META]["membersMetadata"]["policy"], "external", "over 1,000 members");
    assert!(g.get("members").is_none());
    for i in 0..101 {
        app.create_group(&format!("g{i:03}")).await;
    }
    let page = app.get("/Groups?count=1000").await;
    assert_eq!(page.body["totalResults"], 102);
    assert_eq!(page.body["itemsPerPage"], 100, "at most 100 groups a page when members are shown");
    let page = app.get("/Groups?count=1000&excludedAttributes=members").await;
    assert_eq!(page.body["itemsPerPage"], 102);
});

e2e!(draft_aware_clients_can_have_the_group_members_resource_advertised, |app| {
    // --group-members true: /ResourceTypes lists the GroupMember
    // resource and the extension, and groups carry membersMetadata unasked.
    let edge = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/scim/v2", edge.local_addr().unwrap());
    let mut config = scim_edge::Config::for_core(app.core_url.clone());
    config.advertise_group_members = true;
    tokio::spawn(scim_edge::run(edge, config, std::future::pending()));
    let http = reqwest::Client::new();
    let get = |path: String| {
        let req = http.get(format!("{base}{path}")).bearer_auth(&app.token);
        async move { req.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    assert_eq!(get("/ResourceTypes".into()).await["totalResults"], 3);
    assert_eq!(get("/ResourceTypes/GroupMember".into()).await["endpoint"], "/GroupMembers");
    let group_rt = get("/ResourceTypes/Group".into()).await;
    assert!(group_rt["schemaExtensions"].as_array().unwrap().iter().any(|e| e["schema"] == META));
    let gid = app.create_group("Loud").await;
    let g = get(format!("/Groups/{gid}")).await;
    assert_eq!(g[META]["membersMetadata"]["policy"], "inline");
    assert!(g["schemas"].as_array().unwrap().contains(&json!(META)));
});
