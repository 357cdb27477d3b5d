//! What the edge remembers of a caller's tenant (its mode and schemas), by
//! the Authorization header that named it, for a few seconds.

use std::sync::Arc;

use crate::schema::Registry;
use crate::strict::Mode;

/// What the edge needs to know of the caller's tenant.
#[derive(Debug)]
pub struct Tenant {
    pub id: String,
    pub mode: Mode,
    pub registry: Registry,
}

/// Recently seen tenants, by the Authorization header that named them, for
/// a few seconds: spares the WhoAmI call on most requests. It is no
/// authority: identity-core checks the credential on every call anyway, so
/// an entry only delays how soon a mode or schema change is seen (by at
/// most the TTL). Bounded; cleared when full.
#[derive(Debug)]
pub struct TenantCache {
    ttl: std::time::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Arc<Tenant>)>>,
}

/// Most entries kept before the cache starts over.
const TENANT_CACHE_MAX: usize = 10_000;

impl TenantCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, entries: std::sync::Mutex::default() }
    }

    pub fn get(&self, key: &str) -> Option<Arc<Tenant>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, t)| t.clone())
    }

    pub fn put(&self, key: &str, tenant: Arc<Tenant>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= TENANT_CACHE_MAX {
            entries.clear();
        }
        entries.insert(key.to_owned(), (std::time::Instant::now(), tenant));
    }
}
