//! The audit trail: every write over SCIM or gRPC leaves exactly one event
//! (operation, resource, tenant, the token's id never its secret, outcome,
//! the caller's X-Request-Id), written with the write; a failed write
//! leaves its failure and nothing else; reads leave nothing; the listing is
//! per tenant, newest first, paged, and admin-only.

use std::time::Duration;

use e2e_tests::{Answer, TestApp, e2e, json, okta_user};
use identity_core::admin::audit::{self as admin_audit, Listing};
use identity_core::auth::{CredentialKind, Principal, Scope};
use identity_core::store::{Page, tenants};
use proto::v1::admin_service_client::AdminServiceClient;
use proto::v1::{
    AttributeDefinition, AttributeType, AuditEvent, CreateGroupRequest, CreateMembershipRequest, CreateSchemaRequest,
    CreateUserRequest, DeleteMembershipRequest, GetUserRequest, Group, ImportUsersRequest, ListAuditEventsRequest,
    ListUsersRequest, Member, MemberType, ResourceType, Schema, UpdateUserRequest, User,
};
use reqwest::{Method, StatusCode};
use tonic::Code;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// An unbound admin, as the CLI acts.
fn admin() -> Principal {
    Principal {
        tenant: None,
        credential_id: "cli".into(),
        kind: CredentialKind::ServiceAccount,
        scope: Scope::Admin,
        bound: false,
    }
}

/// Every event of `tenant` (name or id), newest first, walking every page.
async fn events_of(app: &TestApp, tenant: &str) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = Page::parse(2, &token, 0, false).unwrap();
        let listing = Listing { tenant: tenant.into(), ..Default::default() };
        let listed = admin_audit::list(&app.store, &admin(), listing, &page).await.unwrap();
        out.extend(listed.items);
        if listed.next_token.is_empty() {
            return out;
        }
        token = listed.next_token;
    }
}

/// A SCIM request with the app's token and an X-Request-Id.
async fn scim(app: &TestApp, method: Method, path: &str, body: Option<serde_json::Value>, request_id: &str) -> Answer {
    let auth = format!("Bearer {}", app.token);
    let mut headers = vec![("Authorization", auth.as_str()), ("X-Request-Id", request_id)];
    if body.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    app.raw(method, path, &headers, body.map(|b| b.to_string())).await
}

/// The one event `write` left (it fails unless exactly one was added).
async fn one_new_event(app: &TestApp, before: usize) -> AuditEvent {
    let all = events_of(app, "acme").await;
    assert_eq!(all.len(), before + 1, "exactly one new event: {all:#?}");
    all.into_iter().next().unwrap()
}

fn assert_event(e: &AuditEvent, operation: &str, kind: &str, id: &str, outcome: &str, request_id: &str) {
    assert_eq!(
        (e.operation.as_str(), e.resource_type.as_str(), e.resource_id.as_str(), e.outcome.as_str()),
        (operation, kind, id, outcome),
        "{e:#?}"
    );
    assert_eq!(e.request_id, request_id, "{e:#?}");
}

/// `r` with an `x-request-id`, as internal callers send it.
fn with_id<T>(mut r: tonic::Request<T>, id: &str) -> tonic::Request<T> {
    r.metadata_mut().insert("x-request-id", id.parse().unwrap());
    r
}

/// No field of any event holds the token (or any part of its secret).
fn assert_no_secret(events: &[AuditEvent], token: &str) {
    let secret = token.trim_start_matches("idt_");
    for e in events {
        let text = format!("{e:?}");
        assert!(!text.contains(secret) && !text.contains(&secret[..16]), "a secret in {e:#?}");
    }
}

e2e!(every_scim_write_leaves_one_event_naming_who_what_and_the_request, |app| {
    let acme = tenants::find_by_name(&app.store, "acme").await.unwrap();
    let token_id = token_id(&app).await;
    let mut n = events_of(&app, "acme").await.len();

    let created = scim(&app, Method::POST, "/Users", Some(okta_user("ann@x.com")), "req-post-user").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let ann = created.body["id"].as_str().unwrap().to_owned();
    let e = one_new_event(&app, n).await;
    assert_event(&e, "identity.v1.UserService/CreateUser", "User", &ann, "OK", "req-post-user");
    assert_eq!((e.tenant_id.as_str(), e.credential_id.as_str()), (acme.id.as_str(), token_id.as_str()));
    assert!(e.time.is_some() && !e.id.is_empty());
    n += 1;

    let mut put = okta_user("ann@x.com");
    put["title"] = json!("CTO");
    let replaced = scim(&app, Method::PUT, &format!("/Users/{ann}"), Some(put), "req-put-user").await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_event(
        &one_new_event(&app, n).await,
        "identity.v1.UserService/ReplaceUser",
        "User",
        &ann,
        "OK",
        "req-put-user",
    );
    n += 1;

    let deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let patched = scim(&app, Method::PATCH, &format!("/Users/{ann}"), Some(deactivate), "req-patch-user").await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_event(
        &one_new_event(&app, n).await,
        "identity.v1.UserService/UpdateUser",
        "User",
        &ann,
        "OK",
        "req-patch-user",
    );
    n += 1;

    // Members added in one PATCH: one event, on the Group.
    let bob = app.create_user("bob@x.com").await;
    let cy = app.create_user("cy@x.com").await;
    n += 2;
    let group = json!({"schemas": [GROUP], "displayName": "Sales", "members": []});
    let created = scim(&app, Method::POST, "/Groups", Some(group), "req-post-group").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let gid = created.body["id"].as_str().unwrap().to_owned();
    assert_event(
        &one_new_event(&app, n).await,
        "identity.v1.GroupService/CreateGroup",
        "Group",
        &gid,
        "OK",
        "req-post-group",
    );
    n += 1;
    let add = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": ann}, {"value": bob}, {"value": cy}]}
    ]});
    let patched = scim(&app, Method::PATCH, &format!("/Groups/{gid}"), Some(add), "req-patch-group").await;
    assert!(patched.status.is_success(), "{}", patched.body);
    let e = one_new_event(&app, n).await;
    assert_eq!((e.resource_type.as_str(), e.resource_id.as_str(), e.outcome.as_str()), ("Group", gid.as_str(), "OK"));
    assert_eq!(e.request_id, "req-patch-group");
    n += 1;

    let put = json!({"schemas": [GROUP], "displayName": "Sales EMEA", "members": [{"value": ann}]});
    let replaced = scim(&app, Method::PUT, &format!("/Groups/{gid}"), Some(put), "req-put-group").await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    let e = one_new_event(&app, n).await;
    assert_eq!(
        (e.resource_type.as_str(), e.resource_id.as_str(), e.request_id.as_str()),
        ("Group", gid.as_str(), "req-put-group")
    );
    n += 1;

    let deleted = scim(&app, Method::DELETE, &format!("/Groups/{gid}"), None, "req-delete-group").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_event(
        &one_new_event(&app, n).await,
        "identity.v1.GroupService/DeleteGroup",
        "Group",
        &gid,
        "OK",
        "req-delete-group",
    );
    n += 1;
    let deleted = scim(&app, Method::DELETE, &format!("/Users/{ann}"), None, "req-delete-user").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_event(
        &one_new_event(&app, n).await,
        "identity.v1.UserService/DeleteUser",
        "User",
        &ann,
        "OK",
        "req-delete-user",
    );

    let all = events_of(&app, "acme").await;
    assert!(all.iter().all(|e| e.tenant_id == acme.id.as_str()));
    assert!(all.iter().filter(|e| e.operation.starts_with("identity.v1.")).all(|e| e.credential_id == token_id));
    assert_no_secret(&all, &app.token);
});

e2e!(grpc_writes_are_recorded_under_their_method, |app| {
    let mut users = app.user_client().await;
    let mut groups = app.group_client().await;
    let before = events_of(&app, "acme").await.len();
    let user = User { user_name: "svc@x.com".into(), active: Some(true), ..Default::default() };
    let created = users
        .create_user(with_id(app.grpc(&app.token, CreateUserRequest { user: Some(user), ..Default::default() }), "g-1"))
        .await
        .unwrap()
        .into_inner();
    let update = UpdateUserRequest {
        id: created.id.clone(),
        user: Some(User { title: Some("Ops".into()), ..Default::default() }),
        update_mask: Some(identity_client::proto::prost_types::FieldMask { paths: vec!["title".into()] }),
        ..Default::default()
    };
    users.update_user(with_id(app.grpc(&app.token, update), "g-2")).await.unwrap();
    let import = ImportUsersRequest {
        users: ["i1@x.com", "i2@x.com"].iter().map(|n| User { user_name: (*n).into(), ..Default::default() }).collect(),
        ..Default::default()
    };
    let imported = users.import_users(with_id(app.grpc(&app.token, import), "g-3")).await.unwrap().into_inner();
    let group = Group { display_name: "Ops".into(), ..Default::default() };
    let group = groups
        .create_group(with_id(
            app.grpc(&app.token, CreateGroupRequest { group: Some(group), ..Default::default() }),
            "g-4",
        ))
        .await
        .unwrap()
        .into_inner();
    let member = Member { value: created.id.clone(), r#type: MemberType::User as i32, ..Default::default() };
    let add = CreateMembershipRequest { group_id: group.id.clone(), member: Some(member), ..Default::default() };
    groups.create_membership(with_id(app.grpc(&app.token, add), "g-5")).await.unwrap();
    let remove = DeleteMembershipRequest { group_id: group.id.clone(), member_id: created.id.clone() };
    groups.delete_membership(with_id(app.grpc(&app.token, remove), "g-6")).await.unwrap();
    let schema = Schema {
        id: "urn:ietf:params:scim:schemas:extension:acme:2.0:User".into(),
        name: "AcmeUser".into(),
        resource_type: ResourceType::User as i32,
        attributes: vec![AttributeDefinition {
            name: "badge".into(),
            r#type: AttributeType::String as i32,
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut schemas = app.schema_client().await;
    schemas
        .create_schema(with_id(
            app.grpc(&app.token, CreateSchemaRequest { schema: Some(schema), ..Default::default() }),
            "g-7",
        ))
        .await
        .unwrap();

    let mut all = events_of(&app, "acme").await;
    assert_eq!(all.len(), before + 8, "{all:#?}");
    all.truncate(8);
    all.reverse();
    let seen: Vec<(&str, &str, &str, &str)> = all
        .iter()
        .map(|e| (e.operation.as_str(), e.resource_type.as_str(), e.resource_id.as_str(), e.request_id.as_str()))
        .collect();
    let mut imported_events: Vec<&str> = seen[2..4].iter().map(|s| s.2).collect();
    imported_events.sort_unstable();
    let mut imported_ids: Vec<&str> = imported.ids.iter().map(String::as_str).collect();
    imported_ids.sort_unstable();
    assert_eq!(imported_events, imported_ids, "one event per imported user");
    let urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
    assert_eq!(
        [seen[0], seen[1], seen[4], seen[5], seen[6], seen[7]],
        [
            ("identity.v1.UserService/CreateUser", "User", created.id.as_str(), "g-1"),
            ("identity.v1.UserService/UpdateUser", "User", created.id.as_str(), "g-2"),
            ("identity.v1.GroupService/CreateGroup", "Group", group.id.as_str(), "g-4"),
            ("identity.v1.GroupService/CreateMembership", "Group", group.id.as_str(), "g-5"),
            ("identity.v1.GroupService/DeleteMembership", "Group", group.id.as_str(), "g-6"),
            ("identity.v1.SchemaService/CreateSchema", "Schema", urn, "g-7"),
        ]
    );
    assert!(seen[2..4].iter().all(|s| s.0 == "identity.v1.UserService/ImportUsers" && s.3 == "g-3"));
    let id = token_id(&app).await;
    assert!(all.iter().all(|e| e.outcome == "OK" && e.credential_id == id));
    assert_no_secret(&all, &app.token);
});

e2e!(a_failed_write_leaves_its_failure_and_nothing_else, |app| {
    let ann = app.create_user("ann@x.com").await;
    let before = events_of(&app, "acme").await.len();

    // userName taken: 409, the user count unchanged, one ALREADY_EXISTS event.
    let dup = scim(&app, Method::POST, "/Users", Some(okta_user("ANN@x.com")), "req-dup").await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    let e = one_new_event(&app, before).await;
    assert_eq!(
        (e.operation.as_str(), e.resource_type.as_str(), e.outcome.as_str(), e.request_id.as_str()),
        ("identity.v1.UserService/CreateUser", "User", "ALREADY_EXISTS", "req-dup")
    );
    assert_ne!(e.resource_id, ann);
    let listed = app.get("/Users?count=0").await;
    assert_eq!(listed.body["totalResults"], 1, "no partial write");
    let no_such = scim(&app, Method::GET, &format!("/Users/{}", e.resource_id), None, "req-get").await;
    assert_eq!(no_such.status, StatusCode::NOT_FOUND, "the failed create wrote no user");

    // A PATCH on an unknown id: 404, one NOT_FOUND event naming that id.
    let unknown = uuid::Uuid::new_v4().to_string();
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let missing = scim(&app, Method::PATCH, &format!("/Users/{unknown}"), Some(patch), "req-missing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    let e = one_new_event(&app, before + 1).await;
    assert_event(&e, "identity.v1.UserService/UpdateUser", "User", &unknown, "NOT_FOUND", "req-missing");
    assert_eq!(e.credential_id, token_id(&app).await);

    // A group write that fails half-way (an unknown member) writes nothing.
    let gid = app.create_group("Eng").await;
    let add = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": ann}, {"value": unknown}]}
    ]});
    let bad = scim(&app, Method::PATCH, &format!("/Groups/{gid}"), Some(add), "req-bad-member").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let e = one_new_event(&app, before + 3).await;
    assert_eq!((e.resource_type.as_str(), e.resource_id.as_str()), ("Group", gid.as_str()));
    assert_eq!((e.outcome.as_str(), e.request_id.as_str()), ("INVALID_ARGUMENT", "req-bad-member"));
    let group = app.get(&format!("/Groups/{gid}")).await;
    assert!(group.body["members"].as_array().is_none_or(Vec::is_empty), "no partial write: {}", group.body);

    // Unauthenticated writes name no one: nothing is recorded.
    let anon = app.call_as(Some("Bearer nope"), Method::POST, "/Users", Some(okta_user("x@x.com"))).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(events_of(&app, "acme").await.len(), before + 4);
});

e2e!(reads_leave_no_event, |app| {
    let ann = app.create_user("ann@x.com").await;
    let gid = app.create_group("Sales").await;
    let before = events_of(&app, "acme").await.len();
    for path in [
        format!("/Users/{ann}"),
        "/Users?filter=userName%20eq%20%22ann%40x.com%22".to_owned(),
        format!("/Groups/{gid}"),
        "/Groups".to_owned(),
        format!("/Users/{}", uuid::Uuid::new_v4()),
        "/Schemas".to_owned(),
    ] {
        let _ = app.get(&path).await;
    }
    let mut users = app.user_client().await;
    users.get_user(app.grpc(&app.token, GetUserRequest { id: ann.clone() })).await.unwrap();
    users.list_users(app.grpc(&app.token, ListUsersRequest::default())).await.unwrap();
    let missing = users.get_user(app.grpc(&app.token, GetUserRequest { id: uuid::Uuid::new_v4().to_string() })).await;
    assert_eq!(missing.unwrap_err().code(), Code::NotFound);
    assert_eq!(events_of(&app, "acme").await.len(), before, "a read, even a failed one, records nothing");
});

e2e!(the_listing_is_per_tenant_paged_filtered_and_admin_only, |app| {
    let other = app.new_tenant("globex").await;
    let ann = app.create_user("ann@x.com").await;
    app.create_user("bob@x.com").await;
    let other_ann = {
        let a =
            app.call_as(Some(&format!("Bearer {other}")), Method::POST, "/Users", Some(okta_user("ann@x.com"))).await;
        a.body["id"].as_str().unwrap().to_owned()
    };
    let acme = events_of(&app, "acme").await;
    let globex = events_of(&app, "globex").await;
    assert!(acme.iter().all(|e| e.resource_id != other_ann) && globex.iter().any(|e| e.resource_id == other_ann));
    assert!(globex.iter().all(|e| e.resource_id != ann));
    let ids: Vec<i64> = acme.iter().map(|e| e.id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats across pages: {ids:?}");

    // By resource, and by id as well as by name.
    let acme_id = tenants::find_by_name(&app.store, "acme").await.unwrap().id.to_string();
    let listing =
        Listing { tenant: acme_id, resource_type: "User".into(), resource_id: ann.clone(), ..Default::default() };
    let page = Page::parse(10, "", 0, false).unwrap();
    let one = admin_audit::list(&app.store, &admin(), listing, &page).await.unwrap().items;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].resource_id, ann);

    // A page token belongs to its query.
    let page = Page::parse(1, "", 0, false).unwrap();
    let first = admin_audit::list(&app.store, &admin(), Listing { tenant: "acme".into(), ..Default::default() }, &page)
        .await
        .unwrap();
    let page = Page::parse(1, &first.next_token, 0, false).unwrap();
    let other_query = Listing { tenant: "globex".into(), ..Default::default() };
    assert!(admin_audit::list(&app.store, &admin(), other_query, &page).await.is_err());

    // A credential bound to globex sees globex only; a tenant token is not an admin.
    let acme_t = tenants::find_by_name(&app.store, "globex").await.unwrap();
    let bound = Principal { tenant: Some(acme_t), bound: true, ..admin() };
    let page = Page::parse(10, "", 0, false).unwrap();
    let denied =
        admin_audit::list(&app.store, &bound, Listing { tenant: "acme".into(), ..Default::default() }, &page).await;
    // Another tenant looks unknown to it (no oracle: see adversarial.rs).
    assert!(matches!(denied, Err(identity_core::error::Error::NotFound { .. })));
    let mut rpc = AdminServiceClient::connect(app.core_url.clone()).await.unwrap();
    let refused = rpc
        .list_audit_events(app.grpc(&app.token, ListAuditEventsRequest { tenant: "acme".into(), ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
});

e2e!(retention_deletes_only_older_events, |app| {
    app.create_user("old@x.com").await;
    let old = events_of(&app, "acme").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let new = app.create_user("new@x.com").await;
    let deleted = admin_audit::purge(&app.store, &admin(), Duration::from_secs(1)).await.unwrap();
    assert_eq!(deleted, u64::try_from(old.len()).unwrap());
    let left = events_of(&app, "acme").await;
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0].resource_id, new);
});

/// The id of the test tenant's token, as WhoAmI names the caller.
async fn token_id(app: &TestApp) -> String {
    let me = app.client(&app.token).await.who_am_i().await.unwrap();
    me.caller.unwrap().credential_id
}
