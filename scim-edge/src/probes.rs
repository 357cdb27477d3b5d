//! Probes for load balancers and orchestrators, outside `/scim/v2` and
//! without authentication: `GET /healthz` (the process answers) and
//! `GET /readyz` (identity-core answers `grpc.health.v1` with SERVING;
//! otherwise 503 with `Retry-After`, so a balancer stops sending traffic).

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::state::AppState;

/// Longest a readiness check waits for identity-core.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: alive.
pub async fn healthz() -> Response {
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ok\n").into_response()
}

/// `GET /readyz`: ready when identity-core reports SERVING.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut health = state.health.clone();
    let check = health.check(HealthCheckRequest { service: String::new() });
    let ready = match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(resp)) => resp.into_inner().status == ServingStatus::Serving as i32,
        Ok(Err(status)) => {
            tracing::debug!(code = ?status.code(), "readiness: identity-core health check failed");
            false
        }
        Err(_) => false,
    };
    if ready {
        (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store"), (header::RETRY_AFTER, "1")],
            "identity-core is not serving\n",
        )
            .into_response()
    }
}
