//! AdminService: a tenant's request limits (see [`crate::admin::limits`]).

use std::sync::Arc;

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::admin::limits::{self, Requested};
use crate::limits::{Limiter, Limits};
use crate::store::Store;

pub async fn set_tenant_limits(
    store: &Store,
    req: Request<SetTenantLimitsRequest>,
) -> Result<Response<Tenant>, Status> {
    let principal = crate::grpc::principal(store, &req).await?;
    principal.require(crate::auth::Scope::Admin)?;
    let limiter = req.extensions().get::<Arc<Limiter>>().cloned();
    let r = req.into_inner();
    let requested = Requested {
        rps: i64::from(r.requests_per_second),
        burst: i64::from(r.burst),
        concurrency: i64::from(r.max_concurrent_requests),
    };
    let (t, overrides) = limits::set(store, &principal, &r.tenant, requested).await?;
    let defaults = match &limiter {
        Some(l) => {
            // This replica applies the change at once; the others within
            // the overrides' cache period.
            l.forget(&t.id);
            l.defaults()
        }
        None => Limits::defaults(&crate::config::LimitsConfig::default()),
    };
    let in_force = defaults.with(overrides);
    let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(Response::new(Tenant {
        limits: Some(TenantLimits {
            requests_per_second: int(in_force.rps),
            burst: int(in_force.burst),
            max_concurrent_requests: int(in_force.concurrency),
        }),
        ..crate::grpc::tenants::tenant_message(store, &t).await?
    }))
}
