//! A tenant's request limits: overrides of the server's defaults, for
//! `identity-core tenant set-limits` / `get-limits` and
//! AdminService.SetTenantLimits. Enforced by [`crate::limits`].

use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::limits::{self, Overrides};
use crate::store::tenants::Tenant;

/// Largest value accepted for any limit (a guard against typos).
pub const MAX: u32 = 1_000_000;

/// Requested limits; 0 (or `None`) stands for the server's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requested {
    pub rps: i64,
    pub burst: i64,
    pub concurrency: i64,
}

impl Requested {
    fn overrides(self) -> Result<Overrides> {
        let one = |field: &str, v: i64| -> Result<Option<u32>> {
            match u32::try_from(v) {
                Ok(0) => Ok(None),
                Ok(v) if v <= MAX => Ok(Some(v)),
                _ => Err(Error::invalid(field, format!("must be between 0 (the server default) and {MAX}"))),
            }
        };
        Ok(Overrides {
            rps: one("requests_per_second", self.rps)?,
            burst: one("burst", self.burst)?,
            concurrency: one("max_concurrent_requests", self.concurrency)?,
        })
    }
}

/// Replaces the tenant's overrides; returns the tenant and them.
pub async fn set(store: &Store, actor: &Principal, tenant: &str, requested: Requested) -> Result<(Tenant, Overrides)> {
    let overrides = requested.overrides()?;
    let t = super::tenants::visible(store, actor, tenant).await?;
    limits::set(store, &t.id, overrides).await?;
    tracing::info!(tenant = %t.name, actor = %actor.credential_id, ?overrides, "tenant limits set");
    Ok((t, overrides))
}

/// The tenant and its overrides.
pub async fn get(store: &Store, actor: &Principal, tenant: &str) -> Result<(Tenant, Overrides)> {
    let t = super::tenants::visible(store, actor, tenant).await?;
    let overrides = limits::get(store, &t.id).await?;
    Ok((t, overrides))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_the_default_and_out_of_range_is_refused() {
        let o = Requested { rps: 5, burst: 0, concurrency: 2 }.overrides().ok();
        assert_eq!(o, Some(Overrides { rps: Some(5), burst: None, concurrency: Some(2) }));
        assert!(Requested { rps: -1, ..Default::default() }.overrides().is_err());
        assert!(Requested { burst: i64::from(MAX) + 1, ..Default::default() }.overrides().is_err());
    }
}
