//! Shared, immutable state of the edge: gRPC clients (cheap to clone, one
//! HTTP/2 connection pool) and the configuration. No per-tenant state.

use std::sync::Arc;
use std::time::Duration;

use identity_client::{Client, Credentials};
use proto::v1::group_service_client::GroupServiceClient;
use proto::v1::tenant_service_client::TenantServiceClient;
use proto::v1::user_service_client::UserServiceClient;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

use crate::config::Config;
use crate::tenant_cache::TenantCache;

#[derive(Clone)]
pub struct AppState {
    pub users: UserServiceClient<Channel>,
    pub groups: GroupServiceClient<Channel>,
    pub tenants: TenantServiceClient<Channel>,
    /// identity-core's `grpc.health.v1`, for `/readyz`.
    pub health: HealthClient<Channel>,
    pub config: Arc<Config>,
    /// Tenants seen in the last few seconds (see [`TenantCache`]).
    pub tenant_cache: Arc<TenantCache>,
}

impl AppState {
    /// Builds the clients over one identity-client channel; the connection
    /// is made lazily, so the edge starts (and answers 503) while
    /// identity-core is down. The edge forwards each caller's token, so the
    /// client carries no credentials of its own.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let channel =
            Client::endpoint(&config.core_url)?.timeout(Duration::from_secs(config.core_timeout_secs)).connect_lazy();
        let core = Client::from_channel(channel, Credentials::none());
        Ok(Self {
            users: core.user_service(),
            groups: core.group_service(),
            tenants: core.tenant_service(),
            health: HealthClient::new(core.channel()),
            tenant_cache: Arc::new(TenantCache::new(Duration::from_secs(config.tenant_cache_secs))),
            config: Arc::new(config),
        })
    }
}
