//! Per-tenant limits (rate and concurrency) and the bounds of a request:
//! a tenant over its limit gets 429 with an integer Retry-After and a SCIM
//! error (RFC 7644 §3.12, RFC 6585 §4) while another tenant goes on; gRPC
//! callers get RESOURCE_EXHAUSTED with a RetryInfo; an oversized header
//! block gets 431. The limits are tiny, so the assertions count answers
//! and never depend on the machine's speed.

use std::time::Duration;

use e2e_tests::{Answer, TestApp, e2e};
use identity_core::admin::limits::{self, Requested};
use identity_core::auth::Principal;
use proto::v1::admin_service_client::AdminServiceClient;
use proto::v1::{ListUsersRequest, SetTenantLimitsRequest};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use tonic::Code;
use tonic_types::StatusExt;

const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Sets a tenant's overrides as `identity-core tenant set-limits` does.
async fn set_limits(app: &TestApp, tenant: &str, rps: i64, burst: i64, concurrency: i64) {
    limits::set(&app.store, &Principal::cli(), tenant, Requested { rps, burst, concurrency })
        .await
        .expect("set the tenant's limits");
}

/// `n` GET /Users of the tenant behind `token`, all at once.
async fn burst_of_gets(app: &TestApp, token: &str, n: usize) -> Vec<Answer> {
    let auth = format!("Bearer {token}");
    let calls = (0..n).map(|_| app.call_as(Some(&auth), Method::GET, "/Users", None));
    futures_util::future::join_all(calls).await
}

/// A 429 as Okta and Entra expect it: integer Retry-After, SCIM error body.
fn assert_too_many(a: &Answer) {
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let secs: u64 = a.header("retry-after").expect("a Retry-After").parse().expect("an integer Retry-After");
    assert!(secs >= 1, "Retry-After {secs}");
    assert_eq!(a.body["schemas"][0], SCIM_ERROR);
    assert_eq!(a.body["status"], "429");
    assert!(a.body["detail"].is_string());
    assert_eq!(a.header("content-type"), Some("application/scim+json"));
}

e2e!(a_tenant_over_its_rate_gets_429_while_another_tenant_is_served, |app| {
    let other = app.new_tenant("globex").await;
    set_limits(&app, "acme", 1, 4, 0).await;
    // The edge learns the tenant (one more call to the core), as in a sync.
    assert_eq!(app.get("/Users").await.status, StatusCode::OK);
    let answers = burst_of_gets(&app, &app.token, 12).await;
    let ok = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    let limited: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!(ok + limited.len(), 12, "only 200 and 429: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(ok >= 1, "the burst admits some");
    assert!(limited.len() >= 6, "12 calls at once, a burst of 4 and 1/s: {} refused", limited.len());
    for a in limited {
        assert_too_many(a);
    }
    for a in burst_of_gets(&app, &other, 6).await {
        assert_eq!(a.status, StatusCode::OK, "another tenant is not limited: {}", a.body);
    }
});

e2e!(a_tenant_over_its_concurrency_gets_429_while_another_tenant_is_served, |app| {
    let other = app.new_tenant("globex").await;
    set_limits(&app, "acme", 1000, 1000, 2).await;
    let id = app.create_user("slow@example.com").await;
    // Another connection holds the user's row (SQLite: the write lock), so
    // deletes of it wait: each holds its place among the tenant's calls.
    let db = Database::connect(app.database_url()).await.unwrap();
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared(&format!("UPDATE users SET user_name = user_name WHERE id = '{id}'")).await.unwrap();

    let deletes: Vec<_> = (0..5)
        .map(|_| {
            let (base, token, path) = (app.base.clone(), app.token.clone(), format!("/Users/{id}"));
            tokio::spawn(async move {
                let resp = reqwest::Client::new()
                    .delete(format!("{base}{path}"))
                    .header("Authorization", format!("Bearer {token}"))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                (status, retry_after, resp.text().await.unwrap())
            })
        })
        .collect();
    // Two are admitted and wait on the lock; the other three are refused at once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while deletes.iter().filter(|d| d.is_finished()).count() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "three deletes should have been refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for a in burst_of_gets(&app, &other, 3).await {
        assert_eq!(a.status, StatusCode::OK, "another tenant is served meanwhile: {}", a.body);
    }
    lock.rollback().await.unwrap();

    let mut statuses = Vec::new();
    for d in deletes {
        let (status, retry_after, body) = d.await.unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let secs: u64 = retry_after.expect("a Retry-After").parse().expect("an integer Retry-After");
            assert!(secs >= 1);
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["schemas"][0], SCIM_ERROR);
            assert_eq!(body["status"], "429");
        }
        statuses.push(status);
    }
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(limited, 3, "concurrency 2 of 5 calls: {statuses:?}");
    assert!(statuses.contains(&StatusCode::NO_CONTENT), "one admitted delete did it: {statuses:?}");
    // Permits were returned: the tenant is served again.
    assert_eq!(app.get("/Users").await.status, StatusCode::OK);
});

e2e!(an_override_reaches_the_core_within_seconds, |app| {
    for a in burst_of_gets(&app, &app.token, 6).await {
        assert_eq!(a.status, StatusCode::OK, "the defaults let a sync through");
    }
    set_limits(&app, "acme", 1, 1, 0).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let answers = burst_of_gets(&app, &app.token, 4).await;
        if let Some(a) = answers.iter().find(|a| a.status == StatusCode::TOO_MANY_REQUESTS) {
            assert_too_many(a);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the override never applied");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Back to the defaults (0 = the server's default).
    set_limits(&app, "acme", 0, 0, 0).await;
    let (_, o) = limits::get(&app.store, &Principal::cli(), "acme").await.unwrap();
    assert_eq!((o.rps, o.burst, o.concurrency), (None, None, None));
});

e2e!(grpc_callers_over_the_limit_get_resource_exhausted_with_retry_info, |app| {
    set_limits(&app, "acme", 1, 1, 0).await;
    let mut users = app.user_client().await;
    let mut refused = None;
    for _ in 0..6 {
        match users.list_users(app.grpc(&app.token, ListUsersRequest::default())).await {
            Ok(_) => {}
            Err(status) => {
                refused = Some(status);
                break;
            }
        }
    }
    let status = refused.expect("six calls at once over a rate of 1/s and a burst of 1");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(info.reason, "ERROR_REASON_RATE_LIMITED");
    let delay = status.get_details_retry_info().and_then(|r| r.retry_delay).expect("a RetryInfo");
    assert!(delay > Duration::ZERO && delay <= Duration::from_secs(1), "{delay:?}");
});

e2e!(set_tenant_limits_refuses_a_tenant_token, |app| {
    let channel = tonic::transport::Endpoint::from_shared(app.core_url.clone()).unwrap().connect().await.unwrap();
    let mut admin = AdminServiceClient::new(channel);
    let req = SetTenantLimitsRequest { tenant: "acme".into(), requests_per_second: 1000, ..Default::default() };
    let denied = admin.set_tenant_limits(app.grpc(&app.token, req.clone())).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let anonymous = admin.set_tenant_limits(tonic::Request::new(req)).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated, "{anonymous:?}");
    let (_, o) = limits::get(&app.store, &Principal::cli(), "acme").await.unwrap();
    assert_eq!(o.rps, None, "nothing was changed");
});

e2e!(an_oversized_header_block_gets_431, |app| {
    let auth = format!("Bearer {}", app.token);
    let big = "x".repeat(40 * 1024);
    let a = app.raw(Method::GET, "/Users", &[("Authorization", &auth), ("X-Padding", &big)], None).await;
    assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "{}", a.body);
    assert_eq!(a.body["schemas"][0], SCIM_ERROR);
    assert_eq!(a.body["status"], "431");
    // Past hyper's own read buffer: still 431, never a hang or a 500.
    let huge = "x".repeat(1024 * 1024);
    let a = app.raw(Method::GET, "/Users", &[("Authorization", &auth), ("X-Padding", &huge)], None).await;
    assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    // A normal request still works.
    assert_eq!(app.raw(Method::GET, "/Users", &[("Authorization", &auth)], None).await.status, StatusCode::OK);
});

/// A list read over MariaDB's statement time limit answers 503 with
/// Retry-After (the limit here is 1 µs, so every list read exceeds it);
/// writes have no such limit. SQLite has none (see the README).
async fn a_read_over_the_statement_time_limit(backend: e2e_tests::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.with_read_timeout(Some(Duration::from_micros(1)))).await else {
        return;
    };
    app.create_user("timed@example.com").await;
    // Enough rows that the scan runs past the limit: MariaDB checks it only
    // between rows, so a scan of one row can finish first.
    let batch =
        (0..5_000).map(|i| proto::v1::User { user_name: format!("t{i}@example.com"), ..Default::default() }).collect();
    let req = proto::v1::ImportUsersRequest { users: batch, request_id: String::new() };
    app.user_client().await.import_users(app.grpc(&app.token, req)).await.unwrap();
    let a = app.get(&format!("/Users?filter={}", e2e_tests::enc("displayName co \"x\""))).await;
    if backend == e2e_tests::Backend::Sqlite {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        return;
    }
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    let secs: u64 = a.header("retry-after").expect("a Retry-After").parse().expect("an integer Retry-After");
    assert!(secs >= 1);
    assert_eq!(a.body["schemas"][0], SCIM_ERROR);
    assert_eq!(a.body["status"], "503");
}

mod a_read_over_the_statement_time_limit_gets_503 {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_read_over_the_statement_time_limit(e2e_tests::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mariadb() {
        super::a_read_over_the_statement_time_limit(e2e_tests::Backend::MariaDb).await;
    }
}
