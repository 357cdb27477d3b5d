//! `grpc.health.v1` (tonic-health): identity-core is SERVING while its
//! database answers, NOT_SERVING while it does not. A background probe
//! pings the database every [`PROBE_INTERVAL`] and sets the overall status
//! ("") and that of every `identity.v1` service.

use std::time::Duration;

use proto::v1::{group_service_server, schema_service_server, tenant_service_server, user_service_server};
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::store::Store;

/// How often the database is pinged.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// Every service name whose status is reported ("" is the server as a whole).
const SERVICE_NAMES: [&str; 5] = [
    "",
    user_service_server::SERVICE_NAME,
    group_service_server::SERVICE_NAME,
    schema_service_server::SERVICE_NAME,
    tenant_service_server::SERVICE_NAME,
];

/// Starts the probe; abort the handle to stop it.
pub fn spawn_probe(store: Store, reporter: HealthReporter) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = None;
        loop {
            let status = if store.ping().await { ServingStatus::Serving } else { ServingStatus::NotServing };
            if last != Some(status) {
                if last.is_some() || status != ServingStatus::Serving {
                    tracing::warn!(serving = status == ServingStatus::Serving, "database reachability changed");
                }
                for name in SERVICE_NAMES {
                    reporter.set_service_status(name, status).await;
                }
                last = Some(status);
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    })
}

/// On shutdown: every service NOT_SERVING (so balancers stop sending
/// calls), then every status forgotten, which ends the open `Watch` streams
/// (otherwise they would hold the graceful shutdown open forever).
pub async fn shut_down(mut reporter: HealthReporter) {
    for name in SERVICE_NAMES {
        reporter.set_service_status(name, ServingStatus::NotServing).await;
    }
    for name in SERVICE_NAMES {
        reporter.clear_service_status(name).await;
    }
}
