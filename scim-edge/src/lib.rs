//! scim-edge: a stateless SCIM 2.0 server (RFC 7643 / RFC 7644) at `/scim/v2`
//! that maps SCIM JSON, filters and PATCH documents onto identity-core's
//! `identity.v1` gRPC API.
//!
//! Layout: `resources/` (HTTP handlers), `convert/` (SCIM JSON <-> proto),
//! `filter/` (filter and path parser), `query` (filter -> proto, paging),
//! `projection` (attributes / excludedAttributes), `patch/` (PATCH engine),
//! `schema/` (the attribute registry and discovery documents).

pub mod bounds;
pub mod config;
pub mod convert;
pub mod core_pool;
pub mod error;
pub mod extract;
pub mod filter;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod patch;
pub mod probes;
pub mod projection;
pub mod query;
pub mod resources;
pub mod response;
pub mod routing;
pub mod schema;
pub mod state;
pub mod strict;
pub mod tenant_cache;
pub mod tls;

use std::future::Future;

use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::routing::{MethodRouter, get, post};
use axum::serve::ListenerExt;
use axum::{Router, ServiceExt};
use tokio::net::TcpListener;
use tower::Layer;
use tower::util::MapRequestLayer;

pub use config::Config;
use error::ScimError;
use resources::{bulk, discovery, group_members, groups, search, users};
use state::AppState;

/// Where the SCIM API is mounted.
pub const BASE_PATH: &str = "/scim/v2";

/// Methods a route does not support get a SCIM 405.
fn only<S: Clone + Send + Sync + 'static>(route: MethodRouter<S>) -> MethodRouter<S> {
    route.fallback(|| async { ScimError::method_not_allowed() })
}

/// The SCIM API.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let bounds = bounds::Bounds {
        max_header_bytes: state.config.max_header_bytes,
        timeout: std::time::Duration::from_secs(state.config.request_timeout_secs.max(1)),
    };
    let api = Router::new()
        .route("/Users", only(get(users::list).post(users::create)))
        .route("/Users/.search", only(post(users::search)))
        .route("/Users/{id}", only(get(users::get).put(users::replace).patch(users::update).delete(users::delete)))
        .route("/Groups", only(get(groups::list).post(groups::create)))
        .route("/Groups/.search", only(post(groups::search)))
        .route("/Groups/{id}", only(get(groups::get).put(groups::replace).patch(groups::update).delete(groups::delete)))
        .route("/GroupMembers", only(get(group_members::list).post(group_members::create)))
        .route("/GroupMembers/{id}", only(get(group_members::get).delete(group_members::delete)))
        .route("/.search", only(post(search::search_all)))
        .route("/ServiceProviderConfig", only(get(discovery::service_provider_config)))
        .route("/ResourceTypes", only(get(discovery::resource_types)))
        .route("/ResourceTypes/{id}", only(get(discovery::resource_type)))
        .route("/Schemas", only(get(discovery::schemas)))
        .route("/Schemas/{id}", only(get(discovery::schema_by_id)))
        .route("/openapi.json", only(get(openapi::document)));
    let app = Router::new()
        .nest(BASE_PATH, api)
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .fallback(|| async { ScimError::not_found("no such endpoint; the SCIM API is under /scim/v2") })
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state.clone());
    // RFC 7644 §3.7: Bulk runs each operation through `app` (which has no
    // /Bulk), under its own advertised payload limit.
    let bulk = only(post(bulk::bulk))
        .layer(DefaultBodyLimit::max(bulk::MAX_PAYLOAD_SIZE as usize))
        .with_state(bulk::Bulk::new(state, app.clone()));
    // Applied to every route: the matched route template is known. The
    // bounds hold for a whole request (a Bulk request included).
    app.route(&format!("{BASE_PATH}/Bulk"), bulk)
        .layer(axum::middleware::from_fn_with_state(bounds, bounds::guard))
        .layer(axum::middleware::from_fn(observe::observe))
}

/// Serves SCIM on `listener` until `shutdown` resolves, then finishes the
/// requests in flight. HTTPS when the configuration names a certificate
/// (see [`tls`]).
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls = tls::server(&config)?;
    let state = AppState::new(config)?;
    // The first requests should find the replicas that are already up.
    state.pool.first_round(std::time::Duration::from_secs(5)).await;
    // Endpoint names are made canonical before routing (see `routing`).
    let app =
        ServiceExt::<Request>::into_make_service(MapRequestLayer::new(routing::canonical_request).layer(router(state)));
    match tls {
        None => {
            // TCP_NODELAY on every accepted connection: responses go out at once.
            let listener = listener.tap_io(|tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::warn!(error = %e, "cannot set TCP_NODELAY");
                }
            });
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
        }
        // The same after each TLS handshake (TCP_NODELAY set by the listener).
        Some(tls) => {
            let listener = identity_tls::TlsListener::new(listener, tls)?;
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
        }
    }
    Ok(())
}
