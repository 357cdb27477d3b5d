//! Shared, immutable state of the edge: gRPC clients (cheap to clone, over
//! one balanced channel to every identity-core replica) and the
//! configuration. No per-tenant state.

use std::sync::Arc;
use std::time::Duration;

use identity_client::{Client, Credentials};
use proto::v1::group_service_client::GroupServiceClient;
use proto::v1::tenant_service_client::TenantServiceClient;
use proto::v1::user_service_client::UserServiceClient;
use tonic_health::pb::health_client::HealthClient;

use crate::config::Config;
use crate::core_pool::{CoreChannel, CorePool};
use crate::tenant_cache::TenantCache;

/// Largest answer the edge reads from identity-core. gRPC's default (4 MB)
/// is less than one page of users at the string limits (README "Limits on
/// input"): such a page was a 500.
pub const MAX_CORE_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub users: UserServiceClient<CoreChannel>,
    pub groups: GroupServiceClient<CoreChannel>,
    pub tenants: TenantServiceClient<CoreChannel>,
    /// identity-core's `grpc.health.v1`, for `/readyz`.
    pub health: HealthClient<CoreChannel>,
    pub config: Arc<Config>,
    /// Tenants seen in the last few seconds (see [`TenantCache`]).
    pub tenant_cache: Arc<TenantCache>,
    /// Keeps the replica discovery running while the state lives.
    pub pool: Arc<CorePool>,
}

impl AppState {
    /// Builds the clients over the balanced channel (see [`CorePool`]); the
    /// edge starts (and answers 503) while identity-core is down. The edge
    /// forwards each caller's token, so its identity-client carries no
    /// credentials of its own.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let pool = CorePool::start(
            &config.core_url,
            Duration::from_secs(config.core_timeout_secs),
            Duration::from_secs(config.core_resolve_secs.max(1)),
            crate::tls::to_core(&config)?,
        )?;
        let core = Client::from_channel(pool.channel.clone(), Credentials::none());
        Ok(Self {
            users: core.user_service().max_decoding_message_size(MAX_CORE_MESSAGE_BYTES),
            groups: core.group_service().max_decoding_message_size(MAX_CORE_MESSAGE_BYTES),
            tenants: core.tenant_service(),
            health: HealthClient::new(core.channel()),
            tenant_cache: Arc::new(TenantCache::new(Duration::from_secs(config.tenant_cache_secs))),
            config: Arc::new(config),
            pool: Arc::new(pool),
        })
    }
}
