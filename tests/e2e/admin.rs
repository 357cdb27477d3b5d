//! AdminService (admin scope): tenants (create, get, list, update,
//! suspend, resume, delete with its purge), tokens, and extension schemas
//! with their values; a tenant-bound admin manages only its own tenant.

use std::time::Duration;

use e2e_tests::{TestApp, e2e, json};
use identity_core::auth::Scope;
use identity_core::store::purge;
use proto::v1::{
    AddSchemaRequest, AttributeDefinition, AttributeType, CompatibilityMode, CreateServiceAccountRequest,
    CreateTenantRequest, CreateUserRequest, DeleteSchemaRequest, DeleteTenantRequest, GetTenantRequest,
    IssueTokenRequest, ListServiceAccountsRequest, ListTenantSchemasRequest, ListTenantsRequest, ListUsersRequest,
    ResourceType, ResumeTenantRequest, Schema, SuspendTenantRequest, TenantState, UpdateTenantRequest, User,
};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tonic::Code;

use crate::credentials::{WITHIN, account, admin_client, assert_scim_error, get_as, reason, req, until_status};

pub const ACME: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

pub fn acme_schema() -> Schema {
    Schema {
        id: ACME.into(),
        name: "AcmeUser".into(),
        resource_type: ResourceType::User as i32,
        attributes: vec![
            AttributeDefinition { name: "badge".into(), r#type: AttributeType::String as i32, ..Default::default() },
            AttributeDefinition {
                name: "skills".into(),
                r#type: AttributeType::String as i32,
                multi_valued: true,
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

/// Okta's create body with acme's extension values (three values).
fn acme_user(name: &str) -> serde_json::Value {
    let mut u = e2e_tests::okta_user(name);
    u["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ACME]);
    u[ACME] = json!({"badge": "B-1", "skills": ["rust", "sql"]});
    u
}

/// A connection of its own to the test's database.
async fn raw(app: &TestApp) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(&app.database_url).await.unwrap()
}

/// Every table of the schema with a `tenant_id` column.
async fn tenant_tables(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::MySql => {
            "SELECT CAST(table_name AS CHAR) AS t FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND column_name = 'tenant_id'"
        }
        _ => {
            "SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = 'tenant_id'"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "t").unwrap()).collect()
}

/// Rows of `tenant` in `table`.
async fn rows_of(db: &sea_orm::DatabaseConnection, table: &str, tenant: &str) -> i64 {
    let backend = db.get_database_backend();
    let q = match backend {
        DbBackend::MySql => format!("SELECT COUNT(*) AS n FROM `{table}` WHERE tenant_id = ?"),
        _ => format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE tenant_id = ?"),
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, q, [tenant.into()])).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

e2e!(an_admin_creates_gets_lists_and_updates_tenants, |app| {
    let sa = account(&app, Scope::Admin, None).await;
    let mut adm = admin_client(&app).await;
    let created = adm
        .create_tenant(req(&sa, None, CreateTenantRequest { name: "initech".into(), token_label: "okta".into() }))
        .await
        .unwrap()
        .into_inner();
    let tenant = created.tenant.unwrap();
    assert_eq!(created.token.as_ref().unwrap().label, "okta");
    assert_eq!(tenant.state, TenantState::Active as i32);
    assert_eq!(get_as(&app, &created.secret, "/Users").await.status, StatusCode::OK, "its first token works");
    let dup =
        adm.create_tenant(req(&sa, None, CreateTenantRequest { name: "initech".into(), ..Default::default() })).await;
    assert_eq!(dup.unwrap_err().code(), Code::AlreadyExists);

    let by_id =
        adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: tenant.id.clone() })).await.unwrap().into_inner();
    let by_name =
        adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "initech".into() })).await.unwrap().into_inner();
    assert_eq!((by_id.id.as_str(), by_name.id.as_str()), (tenant.id.as_str(), tenant.id.as_str()));
    let unknown = adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "nope".into() })).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    app.new_tenant("globex").await;
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = adm
            .list_tenants(req(&sa, None, ListTenantsRequest { page_size: 1, page_token: token.clone() }))
            .await
            .unwrap()
            .into_inner();
        assert!(page.tenants.len() <= 1);
        names.extend(page.tenants.into_iter().map(|t| t.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(names, ["acme", "globex", "initech"]);
    let bad = adm.list_tenants(req(&sa, None, ListTenantsRequest { page_size: -1, ..Default::default() })).await;
    assert_eq!(bad.unwrap_err().code(), Code::InvalidArgument);

    let mask =
        |paths: &[&str]| Some(proto::prost_types::FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() });
    let updated = adm
        .update_tenant(req(
            &sa,
            None,
            UpdateTenantRequest {
                tenant: "initech".into(),
                name: "initrode".into(),
                mode: CompatibilityMode::Strict as i32,
                update_mask: mask(&["name", "mode"]),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((updated.name.as_str(), updated.mode), ("initrode", CompatibilityMode::Strict as i32));
    let taken = adm
        .update_tenant(req(
            &sa,
            None,
            UpdateTenantRequest {
                tenant: "initrode".into(),
                name: "acme".into(),
                update_mask: mask(&["name"]),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    let no_mask = adm
        .update_tenant(req(&sa, None, UpdateTenantRequest { tenant: "initrode".into(), ..Default::default() }))
        .await;
    assert_eq!(no_mask.unwrap_err().code(), Code::InvalidArgument);
});

e2e!(a_tenant_bound_admin_manages_only_its_tenant, |app| {
    app.new_tenant("globex").await;
    let sa = account(&app, Scope::Admin, Some("acme")).await;
    let mut adm = admin_client(&app).await;
    adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "acme".into() })).await.unwrap();
    let other = adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "globex".into() })).await.unwrap_err();
    let unknown = adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "nope".into() })).await.unwrap_err();
    assert_eq!(other.code(), Code::NotFound, "another tenant looks unknown");
    assert_eq!(unknown.code(), Code::NotFound);
    let token =
        adm.issue_token(req(&sa, None, IssueTokenRequest { tenant: "globex".into(), ..Default::default() })).await;
    assert_eq!(token.unwrap_err().code(), Code::NotFound);
    adm.issue_token(req(&sa, None, IssueTokenRequest { tenant: "acme".into(), ..Default::default() })).await.unwrap();
    let all = adm.list_tenants(req(&sa, None, ListTenantsRequest::default())).await.unwrap_err();
    assert_eq!(all.code(), Code::PermissionDenied);
    let create =
        adm.create_tenant(req(&sa, None, CreateTenantRequest { name: "x".into(), ..Default::default() })).await;
    assert_eq!(create.unwrap_err().code(), Code::PermissionDenied);
    let delete = adm.delete_tenant(req(&sa, None, DeleteTenantRequest { tenant: "acme".into() })).await;
    assert_eq!(delete.unwrap_err().code(), Code::PermissionDenied);
    let unbound = adm
        .create_service_account(req(
            &sa,
            None,
            CreateServiceAccountRequest {
                name: "u".into(),
                scope: proto::v1::Scope::Admin as i32,
                tenant: String::new(),
            },
        ))
        .await;
    assert_eq!(unbound.unwrap_err().code(), Code::PermissionDenied, "a bound admin cannot mint an unbound one");
    let listed = adm
        .list_service_accounts(req(&sa, None, ListServiceAccountsRequest { tenant: "acme".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.service_accounts.len(), 1);
    assert!(!format!("{listed:?}").contains(&sa), "never a secret");
});

e2e!(a_suspended_tenant_is_refused_everywhere_until_resumed, |app| {
    let sa = account(&app, Scope::Admin, None).await;
    let reader = account(&app, Scope::Read, Some("acme")).await;
    let mut adm = admin_client(&app).await;
    let token = app.token.clone();
    assert_eq!(get_as(&app, &token, "/ServiceProviderConfig").await.status, StatusCode::OK);

    let t =
        adm.suspend_tenant(req(&sa, None, SuspendTenantRequest { tenant: "acme".into() })).await.unwrap().into_inner();
    assert_eq!(t.state, TenantState::Suspended as i32);
    for path in ["/Users", "/ServiceProviderConfig"] {
        assert!(until_status(&app, &token, path, StatusCode::FORBIDDEN).await < WITHIN);
    }
    assert_scim_error(&get_as(&app, &token, "/Users").await, StatusCode::FORBIDDEN);
    let mut users = app.user_client().await;
    for secret in [&token, &reader] {
        let e = users.list_users(req(secret, None, ListUsersRequest::default())).await.unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        assert_eq!(reason(&e), "ERROR_REASON_TENANT_SUSPENDED");
    }
    let unbound = account(&app, Scope::Write, None).await;
    let e = users.list_users(req(&unbound, Some("acme"), ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(reason(&e), "ERROR_REASON_TENANT_SUSPENDED");
    let got = adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "acme".into() })).await.unwrap().into_inner();
    assert_eq!(got.state, TenantState::Suspended as i32);

    // An unbound admin naming the suspended tenant in x-tenant-id may still
    // manage it; the tenant's own admin may not.
    let own_admin = account(&app, Scope::Admin, Some("acme")).await;
    let e = adm.resume_tenant(req(&own_admin, None, ResumeTenantRequest { tenant: "acme".into() })).await.unwrap_err();
    assert_eq!(reason(&e), "ERROR_REASON_TENANT_SUSPENDED");
    adm.resume_tenant(req(&sa, Some("acme"), ResumeTenantRequest { tenant: "acme".into() })).await.unwrap();
    for path in ["/Users", "/ServiceProviderConfig"] {
        assert!(until_status(&app, &token, path, StatusCode::OK).await < WITHIN);
    }
    users.list_users(req(&reader, None, ListUsersRequest::default())).await.unwrap();
});

e2e!(deleting_a_tenant_purges_every_row_it_owns_and_nothing_else, |app| {
    let sa = account(&app, Scope::Admin, None).await;
    let globex = app.new_tenant("globex").await;
    let mut adm = admin_client(&app).await;
    for tenant in ["acme", "globex"] {
        adm.add_schema(req(&sa, None, AddSchemaRequest { tenant: tenant.into(), schema: Some(acme_schema()) }))
            .await
            .unwrap();
    }
    account(&app, Scope::Read, Some("acme")).await;
    account(&app, Scope::Read, Some("globex")).await;
    adm.issue_token(req(&sa, None, IssueTokenRequest { tenant: "acme".into(), ..Default::default() })).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for (token, n) in [(&app.token, 3), (&globex, 2)] {
        let mut ids = Vec::new();
        for i in 0..n {
            let a = app
                .call_as(
                    Some(&format!("Bearer {token}")),
                    reqwest::Method::POST,
                    "/Users",
                    Some(acme_user(&format!("u{i}@x.com"))),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            ids.push(a.body["id"].as_str().unwrap().to_owned());
        }
        let members: Vec<_> = ids.iter().map(|id| json!({"value": id})).collect();
        let g = app
            .call_as(
                Some(&format!("Bearer {token}")),
                reqwest::Method::POST,
                "/Groups",
                Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "All", "members": members})),
            )
            .await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    }
    // An idempotent gRPC create leaves a request id row.
    app.user_client()
        .await
        .create_user(app.grpc(
            &app.token,
            CreateUserRequest {
                user: Some(User { user_name: "grpc@x.com".into(), ..Default::default() }),
                request_id: "r-1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    let db = raw(&app).await;
    let acme_id = app.client(&app.token).await.who_am_i().await.unwrap().id;
    let globex_id = app.client(&globex).await.who_am_i().await.unwrap().id;
    let mut tables = tenant_tables(&db).await;
    tables.retain(|t| !purge::KEPT_TABLES.contains(&t.as_str()));
    for t in purge::TENANT_TABLES {
        assert!(tables.iter().any(|x| x == t), "{t} has a tenant_id column");
    }
    let mut before = 0;
    for t in &tables {
        before += rows_of(&db, t, &acme_id).await;
    }
    assert!(before > 20, "the tenant has rows everywhere: {before}");
    let globex_before: Vec<i64> =
        futures_util::future::join_all(tables.iter().map(|t| rows_of(&db, t, &globex_id))).await;

    let deleted =
        adm.delete_tenant(req(&sa, None, DeleteTenantRequest { tenant: "acme".into() })).await.unwrap().into_inner();
    assert_eq!(deleted.rows_deleted, before + 1, "every row, and the tenant");
    for t in &tables {
        assert_eq!(rows_of(&db, t, &acme_id).await, 0, "rows of the deleted tenant left in {t}");
    }
    let globex_after: Vec<i64> =
        futures_util::future::join_all(tables.iter().map(|t| rows_of(&db, t, &globex_id))).await;
    assert_eq!(globex_before, globex_after, "the other tenant is untouched");
    assert_scim_error(&get_as(&app, &app.token, "/Users").await, StatusCode::UNAUTHORIZED);
    assert_eq!(get_as(&app, &globex, "/Users").await.body["totalResults"], 2);
    let gone = adm.get_tenant(req(&sa, None, GetTenantRequest { tenant: "acme".into() })).await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let again = adm.delete_tenant(req(&sa, None, DeleteTenantRequest { tenant: "acme".into() })).await.unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
});

e2e!(deleting_a_schema_deletes_its_values, |app| {
    let sa = account(&app, Scope::Admin, None).await;
    let mut adm = admin_client(&app).await;
    adm.add_schema(req(&sa, None, AddSchemaRequest { tenant: "acme".into(), schema: Some(acme_schema()) }))
        .await
        .unwrap();
    let listed =
        adm.list_tenant_schemas(req(&sa, None, ListTenantSchemasRequest { tenant: "acme".into() })).await.unwrap();
    assert_eq!(listed.into_inner().schemas.len(), 1);
    let a = app.post("/Users", acme_user("ann@x.com")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let ann = a.body["id"].as_str().unwrap().to_owned();

    let d = adm
        .delete_schema(req(
            &sa,
            None,
            DeleteSchemaRequest { tenant: "acme".into(), schema_id: ACME.to_ascii_lowercase() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.values_deleted, 3, "badge and two skills");
    let db = raw(&app).await;
    let acme_id = app.client(&app.token).await.who_am_i().await.unwrap().id;
    assert_eq!(rows_of(&db, "custom_values", &acme_id).await, 0);
    assert_eq!(rows_of(&db, "tenant_schemas", &acme_id).await, 0);
    let user = app.get(&format!("/Users/{ann}")).await;
    assert_eq!(user.status, StatusCode::OK);
    assert!(user.body.get(ACME).is_none(), "{}", user.body);
    let again =
        adm.delete_schema(req(&sa, None, DeleteSchemaRequest { tenant: "acme".into(), schema_id: ACME.into() })).await;
    assert_eq!(again.unwrap_err().code(), Code::NotFound);
});
