//! Token -> tenant, remembered for a short, bounded time so a request in
//! steady state costs no authentication statement. An entry lives at most
//! [`TTL`]; [`AuthCache::forget`] drops one at once (a token revoked through
//! this process), and changes made elsewhere (another replica, the CLI) are
//! seen within the TTL. The map is bounded: when full, expired entries go,
//! and if that is not enough, all of them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::tenants::Tenant;

/// How long a token's tenant is remembered.
pub const TTL: Duration = Duration::from_secs(2);
/// Most tokens remembered at once.
const CAPACITY: usize = 10_000;

/// Token hash -> (tenant, when it was read).
#[derive(Debug, Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, (Tenant, Instant)>>,
}

impl AuthCache {
    /// The tenant of `hash`, when read less than [`TTL`] ago.
    pub fn get(&self, hash: &str) -> Option<Tenant> {
        let entries = self.entries.lock().ok()?;
        let (tenant, at) = entries.get(hash)?;
        (at.elapsed() < TTL).then(|| tenant.clone())
    }

    /// Remembers `tenant` as the owner of `hash`.
    pub fn put(&self, hash: String, tenant: Tenant) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(hash, (tenant, Instant::now()));
    }

    /// Drops every entry of a tenant (its mode or tokens changed here).
    pub fn forget_tenant(&self, tenant: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (t, _)| t.id.as_str() != tenant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantId;
    use crate::store::tenants::Mode;

    fn tenant(id: &str) -> Tenant {
        Tenant { id: TenantId::from_db(id.to_owned()), name: id.to_owned(), created_us: 0, mode: Mode::Lenient }
    }

    #[test]
    fn a_remembered_token_is_found_until_its_tenant_is_forgotten() {
        let cache = AuthCache::default();
        cache.put("h1".into(), tenant("t1"));
        cache.put("h2".into(), tenant("t2"));
        assert_eq!(cache.get("h1").map(|t| t.name), Some("t1".to_owned()));
        cache.forget_tenant("t1");
        assert!(cache.get("h1").is_none());
        assert!(cache.get("h2").is_some());
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = AuthCache::default();
        for i in 0..CAPACITY + 10 {
            cache.put(format!("h{i}"), tenant("t"));
        }
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(usize::MAX) <= CAPACITY);
    }
}
