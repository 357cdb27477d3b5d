//! The adversarial suite: tenant A's credentials with tenant B's ids in
//! every id-bearing field. What A gets must be exactly what it gets for an
//! id that exists nowhere (the same status, `scimType` and detail, the id
//! aside): no read, no write, no link, and no oracle telling that B's id
//! exists. B's resources are checked unchanged at the end.
//!
//! Here: every SCIM endpoint and every user/group gRPC method with B's
//! ids; every AdminService method of a tenant-bound admin with B's tenant
//! (by id and by name), token, service account, schema URN and audit
//! filter; `x-tenant-id` naming B on a bound credential; a suspended
//! tenant on every SCIM endpoint (a 403 SCIM error) and on every service
//! (PERMISSION_DENIED), writing nothing; a read-scope account on every
//! write method, writing nothing; a write-scope account and a tenant
//! token on every AdminService method.
//!
//! Elsewhere, so the suite's coverage is listed in one place:
//! - credentials.rs: revoked tokens (`a_rotation_keeps_both_tokens_…`),
//!   expired tokens (`an_expired_token_is_refused_even_while_cached`),
//!   read scope writing and write scope calling AdminService
//!   (`scopes_decide_what_a_service_account_may_do`), unbound accounts
//!   naming a tenant per call (`an_unbound_account_names_its_tenant_per_call`);
//! - oauth.rs: JWTs for the wrong audience or from an unknown issuer
//!   (`okta_and_entra_access_tokens_work_and_bad_ones_get_a_scim_401`), one
//!   tenant's JWT on another (`an_access_token_for_one_tenant_never_reads_another`),
//!   admin calls need admin scope (`grpc_calls_take_the_access_token_…`);
//! - admin.rs: suspended tenants over SCIM and gRPC
//!   (`a_suspended_tenant_is_refused_everywhere_until_resumed`), a bound
//!   admin's own tenant only (`a_tenant_bound_admin_manages_only_its_tenant`).
use e2e_tests::{Answer, TestApp, e2e, enc, json, okta_user};
use proto::v1::{AttributeDefinition, AttributeType, CreateSchemaRequest, ResourceType, Schema};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tonic_types::StatusExt;

use crate::credentials::{WITHIN, account, admin_client, reason, req, until_status};

/// An id that names nothing, in any tenant.
const UNKNOWN: &str = "9f1c7b2e-0000-4000-8000-00000000abcd";
const B_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:globex:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A User extension `urn` with one string attribute.
fn badge_schema(urn: &str) -> Schema {
    Schema {
        id: urn.into(),
        resource_type: ResourceType::User as i32,
        attributes: vec![AttributeDefinition {
            name: "badge".into(),
            r#type: AttributeType::String as i32,
            ..Default::default()
        }],
        ..Default::default()
    }
}

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
        let schema = badge_schema(B_SCHEMA);
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

/// Both answers of one gRPC probe, with B's id and with `unknown` (an id,
/// name or URN that exists nowhere): the same code, message and error
/// details (the id aside).
fn same_status_as<T: std::fmt::Debug>(
    what: &str,
    b_id: &str,
    unknown: &str,
    with_b: Result<T, tonic::Status>,
    with_unknown: Result<T, tonic::Status>,
) {
    match (with_b, with_unknown) {
        (Err(b), Err(u)) => {
            assert_eq!(b.code(), u.code(), "{what}: {b:?}");
            assert_eq!(b.message().replace(b_id, unknown), u.message(), "{what}");
            let details = |s: &tonic::Status| {
                let d = s.get_error_details();
                let info = d.error_info().map(|i| {
                    let meta: std::collections::BTreeMap<_, _> = i.metadata.iter().collect();
                    format!("{} {} {meta:?}", i.reason, i.domain)
                });
                format!("{info:?} {:?} {:?}", d.bad_request(), d.retry_info()).replace(b_id, unknown)
            };
            assert_eq!(details(&b), details(&u), "{what}");
        }
        (b, u) => panic!("{what}: with B's id {b:?}, with an unknown id {u:?}: both must fail alike"),
    }
}

/// Runs `$call` with `$id` bound to B's id, then to `$unknown` (an id,
/// name or URN that exists nowhere).
macro_rules! probe_as {
    ($what:expr, $b:expr, $unknown:expr, |$id:ident| $call:expr) => {{
        let with_b = {
            let $id: &str = $b;
            $call.await
        };
        let with_unknown = {
            let $id: &str = $unknown;
            $call.await
        };
        same_status_as($what, $b, $unknown, with_b, with_unknown);
    }};
}

/// Runs `$call` with `$id` bound to B's id, then to the unknown id.
macro_rules! probe {
    ($what:expr, $b:expr, |$id:ident| $call:expr) => {
        probe_as!($what, $b, UNKNOWN, |$id| $call)
    };
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

/// A tenant name nobody has.
const NOBODY: &str = "initech-nowhere";
/// A schema URN nobody has.
const NO_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:nobody:2.0:User";

e2e!(a_tenant_bound_admin_with_another_tenants_ids_manages_nothing_of_it, |app| {
    use proto::v1::*;

    let b = B::make(&app).await;
    let before = b.snapshot(&app).await;
    let b_me = app.client(&b.token).await.who_am_i().await.unwrap();
    let (b_tenant, b_token) = (b_me.id.clone(), b_me.caller.unwrap().credential_id);
    let (b_account, _) = identity_core::admin::credentials::create_service_account(
        &app.store,
        &identity_core::auth::Principal::cli(),
        "globex-svc",
        identity_core::auth::Scope::Read,
        Some("globex"),
    )
    .await
    .unwrap();
    let sa = account(&app, identity_core::auth::Scope::Admin, Some("acme")).await;
    let mut adm = admin_client(&app).await;
    let mask = || Some(proto::prost_types::FieldMask { paths: vec!["name".into()] });
    let new_urn = "urn:ietf:params:scim:schemas:extension:pwned:2.0:User";

    // B named by id (against an unknown id) and by name (against an unknown name).
    for (b_ref, unknown) in [(b_tenant.as_str(), UNKNOWN), ("globex", NOBODY)] {
        let w = |m: &str| format!("{m} of B by {}", if unknown == UNKNOWN { "id" } else { "name" });
        probe_as!(&w("GetTenant"), b_ref, unknown, |t| adm.get_tenant(req(
            &sa,
            None,
            GetTenantRequest { tenant: t.into() }
        )));
        probe_as!(&w("UpdateTenant"), b_ref, unknown, |t| adm.update_tenant(req(
            &sa,
            None,
            UpdateTenantRequest { tenant: t.into(), name: "pwned".into(), update_mask: mask(), ..Default::default() }
        )));
        probe_as!(&w("SuspendTenant"), b_ref, unknown, |t| adm.suspend_tenant(req(
            &sa,
            None,
            SuspendTenantRequest { tenant: t.into() }
        )));
        probe_as!(&w("ResumeTenant"), b_ref, unknown, |t| adm.resume_tenant(req(
            &sa,
            None,
            ResumeTenantRequest { tenant: t.into() }
        )));
        probe_as!(&w("DeleteTenant"), b_ref, unknown, |t| adm.delete_tenant(req(
            &sa,
            None,
            DeleteTenantRequest { tenant: t.into() }
        )));
        probe_as!(&w("IssueToken"), b_ref, unknown, |t| adm.issue_token(req(
            &sa,
            None,
            IssueTokenRequest { tenant: t.into(), label: "mine".into(), expires_in_seconds: 0 }
        )));
        probe_as!(&w("ListTokens"), b_ref, unknown, |t| adm.list_tokens(req(
            &sa,
            None,
            ListTokensRequest { tenant: t.into() }
        )));
        probe_as!(&w("RevokeToken with B's token"), b_ref, unknown, |t| adm.revoke_token(req(
            &sa,
            None,
            RevokeTokenRequest { tenant: t.into(), token_id: b_token.clone() }
        )));
        probe_as!(&w("CreateServiceAccount"), b_ref, unknown, |t| adm.create_service_account(req(
            &sa,
            None,
            CreateServiceAccountRequest { name: "mole".into(), scope: Scope::Read as i32, tenant: t.into() }
        )));
        probe_as!(&w("ListServiceAccounts"), b_ref, unknown, |t| adm.list_service_accounts(req(
            &sa,
            None,
            ListServiceAccountsRequest { tenant: t.into() }
        )));
        probe_as!(&w("SetTenantOauth"), b_ref, unknown, |t| adm.set_tenant_oauth(req(
            &sa,
            None,
            SetTenantOauthRequest {
                tenant: t.into(),
                issuer: "https://evil.example".into(),
                audience: "api://evil".into(),
                jwks_url: String::new(),
                jwks_json: r#"{"keys":[]}"#.into(),
            }
        )));
        probe_as!(&w("SetTenantLimits"), b_ref, unknown, |t| adm.set_tenant_limits(req(
            &sa,
            None,
            SetTenantLimitsRequest { tenant: t.into(), requests_per_second: 1, burst: 1, max_concurrent_requests: 1 }
        )));
        probe_as!(&w("AddSchema"), b_ref, unknown, |t| adm.add_schema(req(
            &sa,
            None,
            AddSchemaRequest { tenant: t.into(), schema: Some(badge_schema(new_urn)) }
        )));
        probe_as!(&w("ListTenantSchemas"), b_ref, unknown, |t| adm.list_tenant_schemas(req(
            &sa,
            None,
            ListTenantSchemasRequest { tenant: t.into() }
        )));
        probe_as!(&w("DeleteSchema"), b_ref, unknown, |t| adm.delete_schema(req(
            &sa,
            None,
            DeleteSchemaRequest { tenant: t.into(), schema_id: B_SCHEMA.into() }
        )));
        probe_as!(&w("ListAuditEvents"), b_ref, unknown, |t| adm.list_audit_events(req(
            &sa,
            None,
            ListAuditEventsRequest { tenant: t.into(), ..Default::default() }
        )));
        // x-tenant-id naming B: a bound credential cannot switch tenants,
        // and cannot tell which exist.
        probe_as!(&w("GetTenant with x-tenant-id"), b_ref, unknown, |t| adm.get_tenant(req(
            &sa,
            Some(t),
            GetTenantRequest { tenant: "acme".into() }
        )));
        let mut users = app.user_client().await;
        probe_as!(&w("ListUsers with x-tenant-id"), b_ref, unknown, |t| users.list_users(req(
            &sa,
            Some(t),
            ListUsersRequest::default()
        )));
        probe_as!(&w("GetUser of B with x-tenant-id"), b_ref, unknown, |t| users.get_user(req(
            &sa,
            Some(t),
            GetUserRequest { id: b.user.clone() }
        )));
    }

    // B's ids under A's own tenant.
    probe!("RevokeToken of acme with B's token", &b_token, |id| adm.revoke_token(req(
        &sa,
        None,
        RevokeTokenRequest { tenant: "acme".into(), token_id: id.into() }
    )));
    probe!("RevokeServiceAccount of B's account", &b_account.id, |id| adm.revoke_service_account(req(
        &sa,
        None,
        RevokeServiceAccountRequest { service_account_id: id.into() }
    )));
    probe_as!("DeleteSchema of acme with B's URN", B_SCHEMA, NO_SCHEMA, |urn| adm.delete_schema(req(
        &sa,
        None,
        DeleteSchemaRequest { tenant: "acme".into(), schema_id: urn.into() }
    )));
    // B's user id as an audit filter under A: nothing, like an id never
    // used (UNKNOWN is no such id here: the failed probes above recorded
    // A's own attempts on it).
    for id in [b.user.as_str(), "9f1c7b2e-0000-4000-8000-00000000ffff"] {
        let events = adm
            .list_audit_events(req(
                &sa,
                None,
                ListAuditEventsRequest { tenant: "acme".into(), resource_id: id.into(), ..Default::default() },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(events.events.is_empty(), "{events:?}");
        assert!(events.next_page_token.is_empty());
    }

    // B is unchanged: its token works, its schema and account are there,
    // it is active, under its name, with no OAuth.
    assert_eq!(b.snapshot(&app).await, before, "B's resources changed");
    let schema_b = b.call(&app, Method::GET, &format!("/Schemas/{B_SCHEMA}"), None).await;
    assert_eq!(schema_b.status, StatusCode::OK, "{}", schema_b.body);
    let pwned = b.call(&app, Method::GET, &format!("/Schemas/{new_urn}"), None).await;
    assert_eq!(pwned.status, StatusCode::NOT_FOUND);
    let now = app.client(&b.token).await.who_am_i().await.unwrap();
    assert_eq!((now.name.as_str(), now.state), ("globex", TenantState::Active as i32), "{now:?}");
    assert_eq!((&now.oauth, &now.limits), (&b_me.oauth, &b_me.limits));
    let accounts = identity_core::admin::credentials::list_service_accounts(
        &app.store,
        &identity_core::auth::Principal::cli(),
        Some("globex"),
    )
    .await
    .unwrap();
    assert_eq!(accounts.len(), 1);
    assert!(accounts[0].revoked_us.is_none(), "B's account still good");
});

e2e!(a_suspended_tenant_gets_a_scim_403_on_every_endpoint_and_writes_nothing, |app| {
    use proto::v1::*;

    let ann = app.create_user("ann@acme.com").await;
    let group = app.create_group("Acme").await;
    let before = (app.get("/Users").await.body, app.get("/Groups").await.body);
    let sa = account(&app, identity_core::auth::Scope::Admin, None).await;
    let mut adm = admin_client(&app).await;
    adm.suspend_tenant(req(&sa, None, SuspendTenantRequest { tenant: "acme".into() })).await.unwrap();
    // Discovery is served from the edge's tenant cache: refused once it
    // expires (admin.rs bounds how soon).
    for path in ["/Users", "/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        assert!(until_status(&app, &app.token, path, StatusCode::FORBIDDEN).await < WITHIN, "{path}");
    }

    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName pr"});
    let bulk = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "path": "/Users", "bulkId": "u", "data": okta_user("bulk@acme.com")}]});
    let member = format!("/GroupMembers/{group}.{ann}");
    for (method, path, body) in [
        (Method::GET, "/Users".to_owned(), None),
        (Method::POST, "/Users".to_owned(), Some(okta_user("new@acme.com"))),
        (Method::POST, "/Users/.search".to_owned(), Some(search.clone())),
        (Method::GET, format!("/Users/{ann}"), None),
        (Method::PUT, format!("/Users/{ann}"), Some(okta_user("ann@acme.com"))),
        (Method::PATCH, format!("/Users/{ann}"), Some(patch.clone())),
        (Method::DELETE, format!("/Users/{ann}"), None),
        (Method::GET, "/Groups".to_owned(), None),
        (Method::POST, "/Groups".to_owned(), Some(json!({"displayName": "New"}))),
        (Method::POST, "/Groups/.search".to_owned(), Some(swap(search.clone(), "userName", "displayName"))),
        (Method::GET, format!("/Groups/{group}"), None),
        (Method::PUT, format!("/Groups/{group}"), Some(json!({"displayName": "Renamed", "members": []}))),
        (
            Method::PATCH,
            format!("/Groups/{group}"),
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"}]}),
            ),
        ),
        (Method::DELETE, format!("/Groups/{group}"), None),
        (Method::GET, "/GroupMembers".to_owned(), None),
        (Method::POST, "/GroupMembers".to_owned(), Some(json!({"group": {"value": group}, "member": {"value": ann}}))),
        (Method::GET, member.clone(), None),
        (Method::DELETE, member.clone(), None),
        (Method::POST, "/.search".to_owned(), Some(search.clone())),
        (Method::POST, "/Bulk".to_owned(), Some(bulk)),
        (Method::GET, "/ServiceProviderConfig".to_owned(), None),
        (Method::GET, "/ResourceTypes".to_owned(), None),
        (Method::GET, "/ResourceTypes/User".to_owned(), None),
        (Method::GET, "/Schemas".to_owned(), None),
        (Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User".to_owned(), None),
    ] {
        let a = app.call(method.clone(), &path, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}: {}", a.body);
        assert_eq!(a.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{method} {path}");
    }

    // gRPC: every service, read or write, PERMISSION_DENIED (TENANT_SUSPENDED).
    let t = app.token.clone();
    let (mut users, mut groups, mut schemas) =
        (app.user_client().await, app.group_client().await, app.schema_client().await);
    let user = || Some(User { user_name: "grpc@acme.com".into(), ..Default::default() });
    let refusals = [
        users.list_users(app.grpc(&t, ListUsersRequest::default())).await.map(drop),
        users.get_user(app.grpc(&t, GetUserRequest { id: ann.clone() })).await.map(drop),
        users.create_user(app.grpc(&t, CreateUserRequest { user: user(), ..Default::default() })).await.map(drop),
        users.delete_user(app.grpc(&t, DeleteUserRequest { id: ann.clone(), expected_version: None })).await.map(drop),
        groups.list_groups(app.grpc(&t, ListGroupsRequest::default())).await.map(drop),
        groups
            .delete_group(app.grpc(&t, DeleteGroupRequest { id: group.clone(), expected_version: None }))
            .await
            .map(drop),
        groups
            .delete_membership(
                app.grpc(&t, DeleteMembershipRequest { group_id: group.clone(), member_id: ann.clone() }),
            )
            .await
            .map(drop),
        schemas.list_schemas(app.grpc(&t, ListSchemasRequest::default())).await.map(drop),
        schemas
            .create_schema(app.grpc(
                &t,
                CreateSchemaRequest {
                    schema: Some(badge_schema("urn:ietf:params:scim:schemas:extension:late:2.0:User")),
                    request_id: String::new(),
                },
            ))
            .await
            .map(drop),
    ];
    for (n, r) in refusals.into_iter().enumerate() {
        let e = r.expect_err("refused");
        assert_eq!(e.code(), tonic::Code::PermissionDenied, "call {n}: {e:?}");
        assert_eq!(reason(&e), "ERROR_REASON_TENANT_SUSPENDED", "call {n}");
    }

    adm.resume_tenant(req(&sa, None, ResumeTenantRequest { tenant: "acme".into() })).await.unwrap();
    until_status(&app, &app.token, "/Users", StatusCode::OK).await;
    let after = (app.get("/Users").await.body, app.get("/Groups").await.body);
    assert_eq!(after, before, "nothing was written while suspended");
    assert!(!app.get("/Schemas").await.body.to_string().contains("extension:late:"));
});

e2e!(a_read_scope_account_writes_nothing_by_any_method, |app| {
    use proto::v1::member_change::Op;
    use proto::v1::*;

    let ann = app.create_user("ann@acme.com").await;
    let group = app.create_group("Acme").await;
    let before = (app.get("/Users").await.body, app.get("/Groups").await.body, app.get("/Schemas").await.body);
    let read = account(&app, identity_core::auth::Scope::Read, Some("acme")).await;
    let (mut users, mut groups, mut schemas) =
        (app.user_client().await, app.group_client().await, app.schema_client().await);
    let user = || Some(User { user_name: "r@acme.com".into(), ..Default::default() });
    let member = || Member { value: ann.clone(), display: String::new(), r#type: MemberType::User as i32 };
    let writes = [
        (
            "CreateUser",
            users
                .create_user(req(&read, None, CreateUserRequest { user: user(), ..Default::default() }))
                .await
                .map(drop),
        ),
        (
            "ReplaceUser",
            users
                .replace_user(req(
                    &read,
                    None,
                    ReplaceUserRequest { id: ann.clone(), user: user(), expected_version: None },
                ))
                .await
                .map(drop),
        ),
        (
            "UpdateUser",
            users
                .update_user(req(
                    &read,
                    None,
                    UpdateUserRequest {
                        id: ann.clone(),
                        user: Some(User { active: Some(false), ..Default::default() }),
                        update_mask: Some(proto::prost_types::FieldMask { paths: vec!["active".into()] }),
                        expected_version: None,
                    },
                ))
                .await
                .map(drop),
        ),
        (
            "DeleteUser",
            users
                .delete_user(req(&read, None, DeleteUserRequest { id: ann.clone(), expected_version: None }))
                .await
                .map(drop),
        ),
        ("ImportUsers", users.import_users(req(&read, None, ImportUsersRequest::default())).await.map(drop)),
        (
            "CreateGroup",
            groups
                .create_group(req(
                    &read,
                    None,
                    CreateGroupRequest {
                        group: Some(Group { display_name: "R".into(), ..Default::default() }),
                        request_id: String::new(),
                    },
                ))
                .await
                .map(drop),
        ),
        (
            "ReplaceGroup",
            groups
                .replace_group(req(
                    &read,
                    None,
                    ReplaceGroupRequest {
                        id: group.clone(),
                        group: Some(Group { display_name: "R".into(), ..Default::default() }),
                        ..Default::default()
                    },
                ))
                .await
                .map(drop),
        ),
        (
            "UpdateGroup",
            groups
                .update_group(req(
                    &read,
                    None,
                    UpdateGroupRequest {
                        id: group.clone(),
                        member_changes: vec![MemberChange { op: Op::Add as i32, members: vec![member()] }],
                        ..Default::default()
                    },
                ))
                .await
                .map(drop),
        ),
        (
            "DeleteGroup",
            groups
                .delete_group(req(&read, None, DeleteGroupRequest { id: group.clone(), expected_version: None }))
                .await
                .map(drop),
        ),
        (
            "CreateMembership",
            groups
                .create_membership(req(
                    &read,
                    None,
                    CreateMembershipRequest {
                        group_id: group.clone(),
                        member: Some(member()),
                        request_id: String::new(),
                    },
                ))
                .await
                .map(drop),
        ),
        (
            "DeleteMembership",
            groups
                .delete_membership(req(
                    &read,
                    None,
                    DeleteMembershipRequest { group_id: group.clone(), member_id: ann.clone() },
                ))
                .await
                .map(drop),
        ),
        (
            "CreateSchema",
            schemas
                .create_schema(req(
                    &read,
                    None,
                    CreateSchemaRequest {
                        schema: Some(badge_schema("urn:ietf:params:scim:schemas:extension:r:2.0:User")),
                        request_id: String::new(),
                    },
                ))
                .await
                .map(drop),
        ),
    ];
    for (what, r) in writes {
        let e = r.expect_err(what);
        assert_eq!(e.code(), tonic::Code::PermissionDenied, "{what}: {e:?}");
    }
    let after = (app.get("/Users").await.body, app.get("/Groups").await.body, app.get("/Schemas").await.body);
    assert_eq!(after, before, "a read-scope account wrote");
});

e2e!(a_write_scope_account_is_refused_by_every_admin_method, |app| {
    use proto::v1::*;

    let write = account(&app, identity_core::auth::Scope::Write, Some("acme")).await;
    let mut adm = admin_client(&app).await;
    let acme = || "acme".to_owned();
    for secret in [&write, &app.token] {
        macro_rules! r {
            ($m:expr) => {
                req(secret, None, $m)
            };
        }
        let calls = [
            (
                "CreateTenant",
                adm.create_tenant(r!(CreateTenantRequest { name: "x".into(), ..Default::default() })).await.map(drop),
            ),
            ("GetTenant", adm.get_tenant(r!(GetTenantRequest { tenant: acme() })).await.map(drop)),
            ("ListTenants", adm.list_tenants(r!(ListTenantsRequest::default())).await.map(drop)),
            ("SuspendTenant", adm.suspend_tenant(r!(SuspendTenantRequest { tenant: acme() })).await.map(drop)),
            ("ResumeTenant", adm.resume_tenant(r!(ResumeTenantRequest { tenant: acme() })).await.map(drop)),
            ("DeleteTenant", adm.delete_tenant(r!(DeleteTenantRequest { tenant: acme() })).await.map(drop)),
            (
                "IssueToken",
                adm.issue_token(r!(IssueTokenRequest { tenant: acme(), ..Default::default() })).await.map(drop),
            ),
            ("ListTokens", adm.list_tokens(r!(ListTokensRequest { tenant: acme() })).await.map(drop)),
            (
                "ListServiceAccounts",
                adm.list_service_accounts(r!(ListServiceAccountsRequest { tenant: acme() })).await.map(drop),
            ),
            (
                "SetTenantLimits",
                adm.set_tenant_limits(r!(SetTenantLimitsRequest { tenant: acme(), ..Default::default() }))
                    .await
                    .map(drop),
            ),
            (
                "SetTenantOauth",
                adm.set_tenant_oauth(r!(SetTenantOauthRequest { tenant: acme(), ..Default::default() }))
                    .await
                    .map(drop),
            ),
            (
                "ListTenantSchemas",
                adm.list_tenant_schemas(r!(ListTenantSchemasRequest { tenant: acme() })).await.map(drop),
            ),
            (
                "ListAuditEvents",
                adm.list_audit_events(r!(ListAuditEventsRequest { tenant: acme(), ..Default::default() }))
                    .await
                    .map(drop),
            ),
        ];
        for (what, res) in calls {
            let e = res.expect_err(what);
            assert_eq!(e.code(), tonic::Code::PermissionDenied, "{what}: {e:?}");
        }
    }
    assert_eq!(app.get("/Users").await.status, StatusCode::OK, "acme still active");
});
