//! The adversarial suite: tenant A's credentials with tenant B's ids in
//! every id-bearing field. What A gets must be exactly what it gets for an
//! id that exists nowhere (the same status, `scimType` and detail, the id
//! aside): no read, no write, no link, and no oracle telling that B's id
//! exists. B's resources are checked unchanged at the end.

use e2e_tests::{Answer, TestApp, e2e, enc, json, okta_user};
use proto::v1::{AttributeDefinition, AttributeType, CreateSchemaRequest, ResourceType, Schema};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tonic_types::StatusExt;

/// An id that names nothing, in any tenant.
const UNKNOWN: &str = "9f1c7b2e-0000-4000-8000-00000000abcd";
const B_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:globex:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Tenant B's world, made through B's own credentials.
struct B {
    token: String,
    user: String,
    group: String,
    cursor: String,
}

impl B {
    async fn call(&self, app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Answer {
        app.call_as(Some(&format!("Bearer {}", self.token)), method, path, body).await
    }

    async fn make(app: &TestApp) -> Self {
        let token = app.new_tenant("globex").await;
        let mut b = Self { token, user: String::new(), group: String::new(), cursor: String::new() };
        let schema = Schema {
            id: B_SCHEMA.into(),
            resource_type: ResourceType::User as i32,
            attributes: vec![AttributeDefinition {
                name: "badge".into(),
                r#type: AttributeType::String as i32,
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut schemas = app.schema_client().await;
        let req = CreateSchemaRequest { schema: Some(schema), request_id: String::new() };
        schemas.create_schema(app.grpc(&b.token, req)).await.unwrap();
        let u = b.call(app, Method::POST, "/Users", Some(okta_user("bee@globex.com"))).await;
        assert_eq!(u.status, StatusCode::CREATED, "{}", u.body);
        b.user = u.body["id"].as_str().unwrap().to_owned();
        b.call(app, Method::POST, "/Users", Some(okta_user("bea@globex.com"))).await;
        let g = json!({"displayName": "Globex", "members": [{"value": b.user}]});
        let g = b.call(app, Method::POST, "/Groups", Some(g)).await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
        b.group = g.body["id"].as_str().unwrap().to_owned();
        let page = b.call(app, Method::GET, "/Users?cursor&count=1", None).await;
        b.cursor = page.body["nextCursor"].as_str().unwrap_or_default().to_owned();
        assert!(!b.cursor.is_empty(), "{}", page.body);
        b
    }

    /// What B sees of its own resources: unchanged by anything A did.
    async fn snapshot(&self, app: &TestApp) -> Vec<Value> {
        let mut out = Vec::new();
        for path in [format!("/Users/{}", self.user), format!("/Groups/{}", self.group), "/Users".to_owned()] {
            let a = self.call(app, Method::GET, &path, None).await;
            assert_eq!(a.status, StatusCode::OK);
            out.push(a.body);
        }
        out
    }
}

/// The parts of an answer an attacker could compare, with `id` written as
/// the unknown id.
fn seen(a: &Answer, id: &str) -> (StatusCode, String) {
    let body = a.body.to_string().replace(id, UNKNOWN);
    let mut body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    // What differs between two answers anyway.
    if let Some(o) = body.as_object_mut() {
        for volatile in ["meta", "id", "location"] {
            o.remove(volatile);
        }
    }
    (a.status, body.to_string())
}

/// A sends `make(b_id)` and `make(UNKNOWN)`; both answers must be the same.
async fn same_as_unknown(app: &TestApp, what: &str, b_id: &str, method: Method, path: &str, body: Option<Value>) {
    let with_b = app.call(method.clone(), &path.replace("{}", b_id), body.clone().map(|v| swap(v, "{}", b_id))).await;
    let with_unknown = app.call(method, &path.replace("{}", UNKNOWN), body.map(|v| swap(v, "{}", UNKNOWN))).await;
    assert!(
        !with_b.status.is_success() || with_b.status == with_unknown.status,
        "{what}: {} {}",
        with_b.status,
        with_b.body
    );
    assert_eq!(seen(&with_b, b_id), seen(&with_unknown, UNKNOWN), "{what}: B's id answers unlike an unknown one");
    assert!(!with_b.status.is_server_error(), "{what}: {}", with_b.body);
}

/// `v` with every string `from` replaced by `to`.
fn swap(v: Value, from: &str, to: &str) -> Value {
    serde_json::from_str(&v.to_string().replace(from, to)).unwrap()
}

e2e!(a_tenant_using_another_tenants_ids_over_scim_reads_writes_and_links_nothing, |app| {
    let b = B::make(&app).await;
    let before = b.snapshot(&app).await;
    let mine = app.create_user("ann@acme.com").await;
    let my_group = app.create_group("Acme").await;
    let patch_active = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let add_member = |id: &str| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});

    // Path ids.
    for (who, id) in [("user", &b.user), ("group", &b.group)] {
        for (method, path, body) in [
            (Method::GET, "/Users/{}", None),
            (Method::PUT, "/Users/{}", Some(okta_user("bee@globex.com"))),
            (Method::PATCH, "/Users/{}", Some(patch_active.clone())),
            (Method::DELETE, "/Users/{}", None),
            (Method::GET, "/Groups/{}", None),
            (Method::PUT, "/Groups/{}", Some(json!({"displayName": "Mine now", "members": []}))),
            (Method::PATCH, "/Groups/{}", Some(add_member(&mine))),
            (Method::DELETE, "/Groups/{}", None),
            (Method::GET, "/GroupMembers/{}", None),
            (Method::DELETE, "/GroupMembers/{}", None),
        ] {
            // A membership id is `<group>.<member>`: A's group, B's member.
            let path = if path.starts_with("/GroupMembers") {
                path.replace("{}", &format!("{my_group}.{{}}"))
            } else {
                path.to_owned()
            };
            same_as_unknown(&app, &format!("{method} {path} with B's {who}"), id, method.clone(), &path, body).await;
        }
    }
    // B's real membership, named by its id.
    let gm = format!("/GroupMembers/{{}}.{}", b.user);
    same_as_unknown(&app, "GET B's membership", &b.group, Method::GET, &gm, None).await;
    same_as_unknown(&app, "DELETE B's membership", &b.group, Method::DELETE, &gm, None).await;

    // Member values, in every shape a member reaches the server.
    let user_ref = json!({"value": "{}"});
    for (what, method, path, body) in [
        (
            "POST /Groups with B's member",
            Method::POST,
            "/Groups".to_owned(),
            json!({"displayName": "X{}", "members": [user_ref]}),
        ),
        (
            "PUT /Groups with B's member",
            Method::PUT,
            format!("/Groups/{my_group}"),
            json!({"displayName": "Acme", "members": [user_ref]}),
        ),
        ("PATCH add B's member", Method::PATCH, format!("/Groups/{my_group}"), add_member("{}")),
        (
            "PATCH remove B's member by filter",
            Method::PATCH,
            format!("/Groups/{my_group}"),
            json!({"Operations": [{"op": "remove", "path": "members[value eq \"{}\"]"}]}),
        ),
        (
            "POST /GroupMembers with B's member",
            Method::POST,
            "/GroupMembers".to_owned(),
            json!({"group": {"value": my_group}, "member": {"value": "{}"}}),
        ),
    ] {
        same_as_unknown(&app, what, &b.user, method, &path, Some(body)).await;
    }
    let into_b = json!({"group": {"value": "{}"}, "member": {"value": mine}});
    same_as_unknown(&app, "POST /GroupMembers into B's group", &b.group, Method::POST, "/GroupMembers", Some(into_b))
        .await;
    let nested = add_member("{}");
    same_as_unknown(
        &app,
        "PATCH add B's group as a member",
        &b.group,
        Method::PATCH,
        &format!("/Groups/{my_group}"),
        Some(nested),
    )
    .await;

    // manager.value is a reference the server does not resolve (Entra sends
    // a manager before creating it): B's id is kept as an opaque string,
    // exactly like an unknown one, and nothing of B's user comes back.
    for (n, id) in [b.user.as_str(), UNKNOWN].into_iter().enumerate() {
        let mut boss = okta_user(&format!("carl{n}@acme.com"));
        boss[ENTERPRISE] = json!({"manager": {"value": id}});
        boss["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
        let created = app.post("/Users", boss).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let manager = &created.body[ENTERPRISE]["manager"];
        assert_eq!(manager["value"], id);
        assert!(manager.get("displayName").is_none(), "{manager}");
    }
    let mut users = app.get("/Users").await.body.to_string();
    users.push_str(&app.get(&format!("/Groups/{my_group}")).await.body.to_string());
    for secret in ["bee@globex.com", "Globex"] {
        assert!(!users.contains(secret), "B's data reached A: {secret}");
    }

    // Bulk: operations on B's resources, and bulkId references beside them.
    let bulk = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "PATCH", "path": "/Users/{}", "data": patch_active},
            {"method": "DELETE", "path": "/Groups/{}"},
            {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {"displayName": "Bulk{}", "members": [{"value": "{}"}]}},
            {"method": "PATCH", "path": format!("/Groups/{my_group}"), "data": add_member("{}")},
        ]
    });
    same_as_unknown(
        &app,
        "Bulk with B's ids",
        &b.user,
        Method::POST,
        "/Bulk",
        Some(swap(bulk.clone(), "/Groups/{}", &format!("/Groups/{}", b.group))),
    )
    .await;
    same_as_unknown(&app, "Bulk with B's group", &b.group, Method::POST, "/Bulk", Some(bulk)).await;

    // Filters on ids, member values and group values find nothing of B's.
    for filter in [
        format!("id eq \"{}\"", b.user),
        format!("groups.value eq \"{}\"", b.group),
        "userName eq \"bee@globex.com\"".to_owned(),
    ] {
        let a = app.get(&format!("/Users?filter={}", enc(&filter))).await;
        assert_eq!((a.status, a.body["totalResults"].as_i64()), (StatusCode::OK, Some(0)), "{filter}: {}", a.body);
    }
    for filter in [format!("id eq \"{}\"", b.group), format!("members.value eq \"{}\"", b.user)] {
        let a = app.get(&format!("/Groups?filter={}", enc(&filter))).await;
        assert_eq!((a.status, a.body["totalResults"].as_i64()), (StatusCode::OK, Some(0)), "{filter}: {}", a.body);
    }

    // B's cursor is no better than a forged one.
    let theirs = app.get(&format!("/Users?count=1&cursor={}", enc(&b.cursor))).await;
    let forged = app.get(&format!("/Users?count=1&cursor={}", enc(&format!("{}x", b.cursor)))).await;
    assert_eq!((theirs.status, &theirs.body["scimType"]), (forged.status, &forged.body["scimType"]), "{}", theirs.body);
    assert_eq!(theirs.status, StatusCode::BAD_REQUEST);

    // B's schema URN: unknown to A, in discovery and in data.
    let urn = app.get(&format!("/Schemas/{B_SCHEMA}")).await;
    let none = app.get("/Schemas/urn:ietf:params:scim:schemas:extension:nobody:2.0:User").await;
    assert_eq!(urn.status, StatusCode::NOT_FOUND);
    assert_eq!(seen(&urn, B_SCHEMA), seen(&none, "urn:ietf:params:scim:schemas:extension:nobody:2.0:User"));
    let listed = app.get("/Schemas").await.body.to_string();
    assert!(!listed.contains(B_SCHEMA));

    assert_eq!(b.snapshot(&app).await, before, "B's resources changed");
});

/// Both answers of one gRPC probe, with B's id and with the unknown one:
/// the same code, message and error details (the id aside).
fn same_status<T: std::fmt::Debug>(
    what: &str,
    b_id: &str,
    with_b: Result<T, tonic::Status>,
    with_unknown: Result<T, tonic::Status>,
) {
    match (with_b, with_unknown) {
        (Err(b), Err(u)) => {
            assert_eq!(b.code(), u.code(), "{what}: {b:?}");
            assert_eq!(b.message().replace(b_id, UNKNOWN), u.message(), "{what}");
            let details = |s: &tonic::Status| {
                let d = s.get_error_details();
                let info = d.error_info().map(|i| {
                    let meta: std::collections::BTreeMap<_, _> = i.metadata.iter().collect();
                    format!("{} {} {meta:?}", i.reason, i.domain)
                });
                format!("{info:?} {:?} {:?}", d.bad_request(), d.retry_info()).replace(b_id, UNKNOWN)
            };
            assert_eq!(details(&b), details(&u), "{what}");
        }
        (b, u) => panic!("{what}: with B's id {b:?}, with an unknown id {u:?}: both must fail alike"),
    }
}

/// Runs `$call` with `$id` bound to B's id, then to the unknown id.
macro_rules! probe {
    ($what:expr, $b:expr, |$id:ident| $call:expr) => {{
        let with_b = {
            let $id: &str = $b;
            $call.await
        };
        let with_unknown = {
            let $id: &str = UNKNOWN;
            $call.await
        };
        same_status($what, $b, with_b, with_unknown);
    }};
}

e2e!(a_tenant_using_another_tenants_ids_over_grpc_reads_writes_and_links_nothing, |app| {
    use proto::v1::member_change::Op;
    use proto::v1::*;

    let b = B::make(&app).await;
    let before = b.snapshot(&app).await;
    let mine = app.create_user("ann@acme.com").await;
    let my_group = app.create_group("Acme").await;
    let t = app.token.clone();
    let mut users = app.user_client().await;
    let mut groups = app.group_client().await;
    let user = |name: &str| User { user_name: name.into(), ..Default::default() };
    let member = |id: &str, kind: MemberType| Member { value: id.into(), display: String::new(), r#type: kind as i32 };

    for (who, bid) in [("user", b.user.as_str()), ("group", b.group.as_str())] {
        probe!(&format!("GetUser with B's {who}"), bid, |id| users
            .get_user(app.grpc(&t, GetUserRequest { id: id.into() })));
        probe!(&format!("ReplaceUser with B's {who}"), bid, |id| users.replace_user(app.grpc(
            &t,
            ReplaceUserRequest { id: id.into(), user: Some(user("bee@globex.com")), expected_version: None }
        )));
        probe!(&format!("UpdateUser with B's {who}"), bid, |id| users.update_user(app.grpc(
            &t,
            UpdateUserRequest {
                id: id.into(),
                user: Some(User { active: Some(false), ..Default::default() }),
                update_mask: Some(proto::prost_types::FieldMask { paths: vec!["active".into()] }),
                expected_version: None
            }
        )));
        probe!(&format!("DeleteUser with B's {who}"), bid, |id| users
            .delete_user(app.grpc(&t, DeleteUserRequest { id: id.into(), expected_version: None })));
        probe!(&format!("GetGroup with B's {who}"), bid, |id| groups
            .get_group(app.grpc(&t, GetGroupRequest { id: id.into(), include_members: true })));
        probe!(&format!("ReplaceGroup with B's {who}"), bid, |id| groups.replace_group(app.grpc(
            &t,
            ReplaceGroupRequest {
                id: id.into(),
                group: Some(Group { display_name: "Mine now".into(), ..Default::default() }),
                ..Default::default()
            }
        )));
        probe!(&format!("UpdateGroup with B's {who}"), bid, |id| groups.update_group(app.grpc(
            &t,
            UpdateGroupRequest {
                id: id.into(),
                member_changes: vec![MemberChange {
                    op: Op::Add as i32,
                    members: vec![member(&mine, MemberType::User)]
                }],
                ..Default::default()
            }
        )));
        probe!(&format!("DeleteGroup with B's {who}"), bid, |id| groups
            .delete_group(app.grpc(&t, DeleteGroupRequest { id: id.into(), expected_version: None })));
        probe!(&format!("ListGroupMembers of B's {who}"), bid, |id| groups
            .list_group_members(app.grpc(&t, ListGroupMembersRequest { group_id: id.into(), ..Default::default() })));
    }

    // Member values and memberships, in both directions.
    for (kind, bid) in [(MemberType::User, b.user.as_str()), (MemberType::Group, b.group.as_str())] {
        let what = format!("{kind:?} of B");
        probe!(&format!("CreateGroup with a {what} as member"), bid, |id| groups.create_group(app.grpc(
            &t,
            CreateGroupRequest {
                group: Some(Group {
                    display_name: format!("X{id}"),
                    members: vec![member(id, kind)],
                    ..Default::default()
                }),
                request_id: String::new()
            }
        )));
        probe!(&format!("UpdateGroup adding a {what}"), bid, |id| groups.update_group(app.grpc(
            &t,
            UpdateGroupRequest {
                id: my_group.clone(),
                member_changes: vec![MemberChange { op: Op::Add as i32, members: vec![member(id, kind)] }],
                ..Default::default()
            }
        )));
        probe!(&format!("UpdateGroup replacing members by a {what}"), bid, |id| groups.update_group(app.grpc(
            &t,
            UpdateGroupRequest {
                id: my_group.clone(),
                member_changes: vec![MemberChange { op: Op::ReplaceAll as i32, members: vec![member(id, kind)] }],
                ..Default::default()
            }
        )));
        probe!(&format!("CreateMembership of a {what}"), bid, |id| groups.create_membership(app.grpc(
            &t,
            CreateMembershipRequest {
                group_id: my_group.clone(),
                member: Some(member(id, kind)),
                request_id: String::new()
            }
        )));
        probe!(&format!("GetMembership of a {what}"), bid, |id| groups
            .get_membership(app.grpc(&t, GetMembershipRequest { group_id: my_group.clone(), member_id: id.into() })));
        probe!(&format!("DeleteMembership of a {what}"), bid, |id| groups.delete_membership(
            app.grpc(&t, DeleteMembershipRequest { group_id: my_group.clone(), member_id: id.into() })
        ));
    }
    // B's real membership, named by its ids.
    probe!("GetMembership of B's membership", &b.group, |id| groups
        .get_membership(app.grpc(&t, GetMembershipRequest { group_id: id.into(), member_id: b.user.clone() })));
    probe!("DeleteMembership of B's membership", &b.group, |id| groups
        .delete_membership(app.grpc(&t, DeleteMembershipRequest { group_id: id.into(), member_id: b.user.clone() })));
    let mine_of_b = groups
        .list_memberships(app.grpc(
            &t,
            ListMembershipsRequest { member_id: Some(b.user.clone()), include_total_size: true, ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((mine_of_b.memberships.len(), mine_of_b.total_size), (0, Some(0)));

    // B's page token is no better than a forged one.
    let theirs = users
        .list_users(app.grpc(&b.token, ListUsersRequest { page_size: 1, ..Default::default() }))
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    assert!(!theirs.is_empty());
    let with_b = users
        .list_users(app.grpc(&t, ListUsersRequest { page_size: 1, page_token: theirs.clone(), ..Default::default() }))
        .await;
    let forged = format!("{}A", &theirs[..theirs.len() - 1]);
    let with_forged = users
        .list_users(app.grpc(&t, ListUsersRequest { page_size: 1, page_token: forged, ..Default::default() }))
        .await;
    let (with_b, with_forged) = (with_b.unwrap_err(), with_forged.unwrap_err());
    assert_eq!((with_b.code(), with_b.message()), (with_forged.code(), with_forged.message()));

    assert_eq!(b.snapshot(&app).await, before, "B's resources changed");
});
