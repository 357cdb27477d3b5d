//! Tenant tokens and service accounts: rotation, expiry, revocation at the
//! SCIM edge and over gRPC, scopes, tenant binding and `x-tenant-id`, and
//! the edge refusing service accounts. Credentials are made by the same
//! functions the CLI and AdminService run (`identity_core::admin`).

use std::time::{Duration, Instant};

use e2e_tests::{Answer, TestApp, e2e, okta_user};
use identity_client::{Client, Credentials, ServiceAccount};
use identity_core::admin;
use identity_core::auth::{Principal, Scope};
use proto::v1::admin_service_client::AdminServiceClient;
use proto::v1::{
    CreateUserRequest, IssueTokenRequest, ListTokensRequest, ListUsersRequest, RevokeServiceAccountRequest,
    RevokeTokenRequest, User,
};
use reqwest::{Method, StatusCode};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// How soon every replica must refuse a revoked or expired credential.
pub const WITHIN: Duration = Duration::from_secs(5);

/// A service account made as the CLI makes it; returns its secret.
pub async fn account(app: &TestApp, scope: Scope, tenant: Option<&str>) -> String {
    admin::credentials::create_service_account(&app.store, &Principal::cli(), "svc", scope, tenant)
        .await
        .expect("create a service account")
        .1
}

/// The AdminService stub (requests carry their credential: see [`req`]).
pub async fn admin_client(app: &TestApp) -> AdminServiceClient<Channel> {
    AdminServiceClient::new(app.client("").await.channel())
}

/// A gRPC request with `secret` and, when given, `x-tenant-id`.
pub fn req<T>(secret: &str, tenant: Option<&str>, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert("authorization", format!("Bearer {secret}").parse().unwrap());
    if let Some(t) = tenant {
        r.metadata_mut().insert("x-tenant-id", t.parse().unwrap());
    }
    r
}

/// The ErrorInfo reason of a failure.
pub fn reason(status: &tonic::Status) -> String {
    status.get_details_error_info().map(|i| i.reason).unwrap_or_default()
}

/// `GET path` with `token`.
pub async fn get_as(app: &TestApp, token: &str, path: &str) -> Answer {
    app.call_as(Some(&format!("Bearer {token}")), Method::GET, path, None).await
}

/// Polls `GET path` with `token` until it answers `status`; how long it took.
pub async fn until_status(app: &TestApp, token: &str, path: &str, status: StatusCode) -> Duration {
    let start = Instant::now();
    loop {
        let a = get_as(app, token, path).await;
        if a.status == status {
            return start.elapsed();
        }
        assert!(start.elapsed() < WITHIN * 2, "{path} still answers {} ({})", a.status, a.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts a SCIM error body (RFC 7644 §3.12) with `status`.
pub fn assert_scim_error(a: &Answer, status: StatusCode) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(a.body["status"], status.as_u16().to_string());
    assert!(a.body["detail"].is_string(), "{}", a.body);
}

fn user(name: &str) -> CreateUserRequest {
    CreateUserRequest { user: Some(User { user_name: name.into(), ..Default::default() }), ..Default::default() }
}

e2e!(a_rotation_keeps_both_tokens_working_until_the_old_one_is_revoked, |app| {
    let admin_sa = account(&app, Scope::Admin, None).await;
    let mut adm = admin_client(&app).await;
    let old = app.token.clone();
    // Warm both caches (core and edge) with the old token, as a busy client does.
    assert_eq!(get_as(&app, &old, "/Users").await.status, StatusCode::OK);
    assert_eq!(get_as(&app, &old, "/ServiceProviderConfig").await.status, StatusCode::OK);

    let issued = adm
        .issue_token(req(
            &admin_sa,
            None,
            IssueTokenRequest { tenant: "acme".into(), label: "okta-2027".into(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    let new = issued.secret.clone();
    let new_id = issued.token.unwrap().id;
    assert!(new_id.starts_with("tok_") && !new.contains(&new_id));
    assert_eq!(get_as(&app, &new, "/Users").await.status, StatusCode::OK);
    assert_eq!(get_as(&app, &old, "/Users").await.status, StatusCode::OK, "both work during the switch");

    let listed =
        adm.list_tokens(req(&admin_sa, None, ListTokensRequest { tenant: "acme".into() })).await.unwrap().into_inner();
    assert_eq!(listed.tokens.len(), 2);
    assert!(!format!("{listed:?}").contains(&old) && !format!("{listed:?}").contains(&new), "never a secret");
    let old_id = listed.tokens.iter().find(|t| t.id != new_id).unwrap().id.clone();

    let revoked = adm
        .revoke_token(req(&admin_sa, None, RevokeTokenRequest { tenant: "acme".into(), token_id: old_id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoked.is_some());
    for path in ["/Users", "/ServiceProviderConfig", "/Schemas"] {
        let took = until_status(&app, &old, path, StatusCode::UNAUTHORIZED).await;
        assert!(took < WITHIN, "{path}: refused after {took:?}");
    }
    assert_scim_error(&get_as(&app, &old, "/Users").await, StatusCode::UNAUTHORIZED);
    let grpc = app.user_client().await.list_users(app.grpc(&old, ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(grpc.code(), Code::Unauthenticated);
    assert_eq!(get_as(&app, &new, "/Users").await.status, StatusCode::OK, "the new token still works");

    // Revoking again changes nothing; another tenant's token id is unknown here.
    let again = adm
        .revoke_token(req(&admin_sa, None, RevokeTokenRequest { tenant: "acme".into(), token_id: old_id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.revoked, revoked.revoked);
    app.new_tenant("globex").await;
    let other = adm
        .revoke_token(req(&admin_sa, None, RevokeTokenRequest { tenant: "globex".into(), token_id: new_id }))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::NotFound);
});

e2e!(an_expired_token_is_refused_even_while_cached, |app| {
    let (info, short) =
        admin::credentials::issue_token(&app.store, &Principal::cli(), "acme", "short", Some(Duration::from_secs(2)))
            .await
            .unwrap();
    assert!(info.expires_us.is_some());
    assert_eq!(get_as(&app, &short, "/Users").await.status, StatusCode::OK);
    let took = until_status(&app, &short, "/Users", StatusCode::UNAUTHORIZED).await;
    assert!(took < Duration::from_secs(2) + WITHIN, "refused {took:?} after the first call");
    let took = until_status(&app, &short, "/ServiceProviderConfig", StatusCode::UNAUTHORIZED).await;
    assert!(took < WITHIN);
    let grpc = app.user_client().await.list_users(app.grpc(&short, ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(grpc.code(), Code::Unauthenticated);
    // A negative lifetime is bad input, not a token that never expires.
    let sa = account(&app, Scope::Admin, None).await;
    let bad = admin_client(&app)
        .await
        .issue_token(req(
            &sa,
            None,
            IssueTokenRequest { tenant: "acme".into(), expires_in_seconds: -1, ..Default::default() },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
});

e2e!(scopes_decide_what_a_service_account_may_do, |app| {
    let read = account(&app, Scope::Read, Some("acme")).await;
    let write = account(&app, Scope::Write, Some("acme")).await;
    let mut users = app.user_client().await;

    let denied = users.create_user(req(&read, None, user("r@x.com"))).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(reason(&denied), "ERROR_REASON_PERMISSION_DENIED");
    let created = users.create_user(req(&write, None, user("w@x.com"))).await.unwrap().into_inner();
    let listed = users.list_users(req(&read, None, ListUsersRequest::default())).await.unwrap().into_inner();
    assert_eq!(listed.users.len(), 1, "read scope reads");
    assert_eq!(listed.users[0].id, created.id);
    // What the write account created is the tenant's: the SCIM client sees it.
    assert_eq!(app.get(&format!("/Users/{}", created.id)).await.status, StatusCode::OK);

    // Write scope is no admin; a tenant token is not either.
    let mut adm = admin_client(&app).await;
    for secret in [&write, &app.token] {
        let e = adm.list_tokens(req(secret, None, ListTokensRequest { tenant: "acme".into() })).await.unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    }

    // Revoked: unknown from then on.
    let sa = admin::credentials::list_service_accounts(&app.store, &Principal::cli(), Some("acme")).await.unwrap();
    let write_id = sa.iter().find(|a| a.scope == "write").unwrap().id.clone();
    let admin_sa = account(&app, Scope::Admin, None).await;
    let r = adm
        .revoke_service_account(req(&admin_sa, None, RevokeServiceAccountRequest { service_account_id: write_id }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.revoked.is_some());
    let e = users.list_users(req(&write, None, ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
});

e2e!(an_unbound_account_names_its_tenant_per_call, |app| {
    let globex = app.new_tenant("globex").await;
    let unbound = account(&app, Scope::Write, None).await;
    let bound = account(&app, Scope::Write, Some("acme")).await;
    let mut users = app.user_client().await;

    let e = users.list_users(req(&unbound, None, ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(e.message().contains("x-tenant-id"), "a clear error: {}", e.message());

    let acme_id = app.client(&app.token).await.who_am_i().await.unwrap().id;
    users.create_user(req(&unbound, Some("acme"), user("by-name@x.com"))).await.unwrap();
    users.create_user(req(&unbound, Some(&acme_id), user("by-id@x.com"))).await.unwrap();
    let globex_users = get_as(&app, &globex, "/Users").await;
    assert_eq!(globex_users.body["totalResults"], 0, "nothing landed in another tenant");
    assert_eq!(app.get("/Users").await.body["totalResults"], 2);

    let unknown = users.list_users(req(&unbound, Some("nope"), ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // A bound account cannot switch tenants, and cannot tell which exist.
    let other = users.list_users(req(&bound, Some("globex"), ListUsersRequest::default())).await.unwrap_err();
    let missing = users.list_users(req(&bound, Some("nope"), ListUsersRequest::default())).await.unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);
    assert_eq!((other.code(), other.message()), (missing.code(), missing.message()));
    users.list_users(req(&bound, Some("acme"), ListUsersRequest::default())).await.unwrap();

    // identity-client: the service account as a CredentialSource, with x-tenant-id.
    let client =
        Client::connect(&app.core_url, Credentials::from_source(ServiceAccount::new(&unbound).for_tenant("globex")))
            .await
            .unwrap();
    let made = client.create_user(User { user_name: "client@x.com".into(), ..Default::default() }).await.unwrap();
    let seen = get_as(&app, &globex, &format!("/Users/{}", made.id)).await;
    assert_eq!(seen.status, StatusCode::OK);
    let who = client.who_am_i().await.unwrap();
    assert_eq!(who.name, "globex");
    assert_eq!(who.caller.unwrap().kind, proto::v1::CredentialKind::ServiceAccount as i32);
    let no_tenant =
        Client::connect(&app.core_url, Credentials::from_source(ServiceAccount::new(&unbound))).await.unwrap();
    assert_eq!(no_tenant.who_am_i().await.unwrap_err().code(), Code::PermissionDenied);
});

e2e!(the_scim_edge_refuses_service_accounts, |app| {
    for scope in [Scope::Read, Scope::Write, Scope::Admin] {
        let sa = account(&app, scope, Some("acme")).await;
        for path in ["/Users", "/ServiceProviderConfig"] {
            assert_scim_error(&get_as(&app, &sa, path).await, StatusCode::FORBIDDEN);
        }
        let post =
            app.call_as(Some(&format!("Bearer {sa}")), Method::POST, "/Users", Some(okta_user("sa@x.com"))).await;
        assert_scim_error(&post, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.get("/Users").await.body["totalResults"], 0, "nothing was written");
});

e2e!(last_use_is_recorded_coarsely_off_the_request_path, |app| {
    assert_eq!(app.get("/Users").await.status, StatusCode::OK);
    let start = Instant::now();
    loop {
        let tokens = admin::credentials::list_tokens(&app.store, &Principal::cli(), "acme").await.unwrap();
        if tokens[0].last_used_us.is_some() {
            break;
        }
        assert!(start.elapsed() < WITHIN, "last_used was never written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Within the minute, further uses write nothing.
    app.store.record_statements(true);
    for _ in 0..10 {
        assert_eq!(app.get("/Users?count=0").await.status, StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let statements = app.store.recorded();
    app.store.record_statements(false);
    assert!(!statements.is_empty(), "statements are recorded");
    assert!(!statements.iter().any(|s| s.contains("last_used_us")), "{statements:#?}");
});
