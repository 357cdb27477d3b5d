//! Health and reflection, through the real binaries: the edge's `/healthz`
//! and `/readyz` (no token, outside `/scim/v2`), identity-core's
//! `grpc.health.v1` following its database, and gRPC server reflection
//! with the flag that turns it off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::*;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

async fn core_health(addr: SocketAddr) -> Option<ServingStatus> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).ok()?.connect().await.ok()?;
    let mut client = HealthClient::new(channel);
    let resp = client.check(HealthCheckRequest { service: String::new() }).await.ok()?;
    ServingStatus::try_from(resp.into_inner().status).ok()
}

/// Polls `probe` until it returns `want`, for at most [`WAIT`].
async fn eventually<T: PartialEq + std::fmt::Debug, F: Future<Output = T>>(want: T, mut probe: impl FnMut() -> F) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = probe().await;
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "still {got:?}, not {want:?}, after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn status_of(url: &str) -> StatusCode {
    http().get(url).send().await.map(|r| r.status()).unwrap_or(StatusCode::BAD_GATEWAY)
}

#[tokio::test]
async fn the_edge_probes_answer_without_a_token_and_readiness_follows_the_core() {
    let dir = TempDir::new();
    let mut core = Service::core(&dir.sqlite_url());
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let mut edge = Service::edge(&format!("http://{core_addr}"));
    let edge_addr = edge.wait_for_addr(EDGE_LISTENING);
    let (healthz, readyz) = (format!("http://{edge_addr}/healthz"), format!("http://{edge_addr}/readyz"));

    assert_eq!(status_of(&healthz).await, StatusCode::OK);
    assert_eq!(status_of(&readyz).await, StatusCode::OK);

    core.terminate();
    let resp = http().get(&readyz).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().contains_key("retry-after"), "{:?}", resp.headers());
    assert_eq!(status_of(&healthz).await, StatusCode::OK, "the edge itself is alive");
}

// Multi-threaded: the proxy runs while this thread blocks reading logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_reports_not_serving_while_its_database_is_unreachable() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    let out = run(migrate);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let proxy = Proxy::to(db.host_port()).await;
    let mut core = Service::core_with(&db.url_through(proxy.addr), &["--db-acquire-timeout-secs", "1"]);
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let mut edge = Service::edge(&format!("http://{core_addr}"));
    let readyz = format!("http://{}/readyz", edge.wait_for_addr(EDGE_LISTENING));

    eventually(Some(ServingStatus::Serving), || core_health(core_addr)).await;
    assert_eq!(status_of(&readyz).await, StatusCode::OK);

    proxy.cut().await;
    eventually(Some(ServingStatus::NotServing), || core_health(core_addr)).await;
    assert_eq!(status_of(&readyz).await, StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    eventually(Some(ServingStatus::Serving), || core_health(core_addr)).await;
    eventually(StatusCode::OK, || status_of(&readyz)).await;
}

/// The services gRPC reflection lists, or the status code refusing it.
async fn reflected_services(addr: SocketAddr) -> Result<Vec<String>, tonic::Code> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = ServerReflectionClient::new(channel);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream =
        client.server_reflection_info(tokio_stream::iter(vec![req])).await.map_err(|s| s.code())?.into_inner();
    let resp = stream.message().await.map_err(|s| s.code())?.expect("one answer");
    match resp.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => Ok(list.service.into_iter().map(|s| s.name).collect()),
        other => panic!("not a service list: {other:?}"),
    }
}

#[tokio::test]
async fn reflection_lists_the_api_and_a_flag_turns_it_off() {
    let dir = TempDir::new();
    let mut core = Service::core(&dir.sqlite_url());
    let services = reflected_services(core.wait_for_addr(CORE_LISTENING)).await.expect("reflection is on");
    for name in
        ["identity.v1.UserService", "identity.v1.GroupService", "identity.v1.TenantService", "grpc.health.v1.Health"]
    {
        assert!(services.iter().any(|s| s == name), "{name} missing from {services:?}");
    }

    let mut quiet = Service::core_with(&dir.sqlite_url(), &["--reflection", "false"]);
    let refused = reflected_services(quiet.wait_for_addr(CORE_LISTENING)).await;
    assert_eq!(refused, Err(tonic::Code::Unimplemented));
}
