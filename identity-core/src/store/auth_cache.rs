//! Credential -> holder, and tenant reference -> tenant, remembered for a
//! short, bounded time so a request in steady state costs no
//! authentication statement. An entry lives at most [`TTL`]; changes made
//! through this process drop the entries they affect at once, and changes
//! made elsewhere (another replica, the CLI) are seen within the TTL. An
//! entry keeps the credential's expiry, so an expired credential is refused
//! on a cache hit too. The maps are bounded: when full, expired entries go,
//! and if that is not enough, all of them.
//!
//! Also here: [`LastUsed`], which keeps `last_used` coarse (at most one
//! write per credential per [`LAST_USED_EVERY`] and process).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::credentials::Holder;
use super::tenants::Tenant;

/// How long a credential's holder is remembered.
pub const TTL: Duration = Duration::from_secs(2);
/// Most entries remembered at once, per map.
const CAPACITY: usize = 10_000;
/// How often a credential's `last_used` is written, at most, per process.
pub const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// A bounded map whose entries expire after [`TTL`].
#[derive(Debug)]
struct Timed<V> {
    entries: Mutex<HashMap<String, (V, Instant)>>,
}

impl<V> Default for Timed<V> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<V: Clone> Timed<V> {
    fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (v, at) = entries.get(key)?;
        (at.elapsed() < TTL).then(|| v.clone())
    }

    fn put(&self, key: String, v: V) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (v, Instant::now()));
    }

    fn forget(&self, drop: impl Fn(&V) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (v, _)| !drop(v));
        }
    }
}

/// Secret hash -> holder; tenant id or name -> tenant.
#[derive(Debug, Default)]
pub struct AuthCache {
    holders: Timed<Holder>,
    tenants: Timed<Tenant>,
}

impl AuthCache {
    /// The holder of `hash`, when read less than [`TTL`] ago.
    pub fn get(&self, hash: &str) -> Option<Holder> {
        self.holders.get(hash)
    }

    /// Remembers `holder` as the owner of `hash`.
    pub fn put(&self, hash: String, holder: Holder) {
        self.holders.put(hash, holder);
    }

    /// The tenant a reference (id or name) named, when read less than
    /// [`TTL`] ago.
    pub fn tenant(&self, reference: &str) -> Option<Tenant> {
        self.tenants.get(reference)
    }

    /// Remembers what `reference` names.
    pub fn put_tenant(&self, reference: String, tenant: Tenant) {
        self.tenants.put(reference, tenant);
    }

    /// Drops every entry of a tenant (its mode, state or name changed here).
    pub fn forget_tenant(&self, tenant: &str) {
        self.holders.forget(|h| h.tenant.as_ref().is_some_and(|t| t.id.as_str() == tenant));
        self.tenants.forget(|t| t.id.as_str() == tenant);
    }

    /// Drops the entry of a credential (revoked here).
    pub fn forget_credential(&self, id: &str) {
        self.holders.forget(|h| h.id == id);
    }
}

/// When each credential's `last_used` was last written by this process.
#[derive(Debug, Default)]
pub struct LastUsed {
    written: Mutex<HashMap<String, Instant>>,
}

impl LastUsed {
    /// Whether `id`'s use now should be written (the first use, then at
    /// most once per [`LAST_USED_EVERY`]); records it if so.
    pub fn due(&self, id: &str) -> bool {
        let Ok(mut written) = self.written.lock() else { return false };
        if written.get(id).is_some_and(|at| at.elapsed() < LAST_USED_EVERY) {
            return false;
        }
        if written.len() >= CAPACITY {
            written.retain(|_, at| at.elapsed() < LAST_USED_EVERY);
        }
        written.insert(id.to_owned(), Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantId;
    use crate::store::credentials::HolderKind;
    use crate::store::tenants::{Mode, State};

    fn holder(id: &str, tenant: &str) -> Holder {
        let tenant = Tenant {
            id: TenantId::from_db(tenant.to_owned()),
            name: tenant.to_owned(),
            created_us: 0,
            mode: Mode::Lenient,
            state: State::Active,
        };
        Holder { id: id.to_owned(), kind: HolderKind::Token, tenant: Some(tenant), expires_us: None }
    }

    #[test]
    fn a_remembered_token_is_found_until_its_tenant_or_itself_is_forgotten() {
        let cache = AuthCache::default();
        cache.put("h1".into(), holder("tok_1", "t1"));
        cache.put("h2".into(), holder("tok_2", "t2"));
        cache.put("h3".into(), holder("tok_3", "t2"));
        assert_eq!(cache.get("h1").map(|h| h.id), Some("tok_1".to_owned()));
        cache.forget_tenant("t1");
        assert!(cache.get("h1").is_none());
        assert!(cache.get("h2").is_some());
        cache.forget_credential("tok_2");
        assert!(cache.get("h2").is_none());
        assert!(cache.get("h3").is_some());
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = AuthCache::default();
        for i in 0..CAPACITY + 10 {
            cache.put(format!("h{i}"), holder("tok", "t"));
        }
        assert!(cache.holders.entries.lock().map(|e| e.len()).unwrap_or(usize::MAX) <= CAPACITY);
    }

    #[test]
    fn last_use_is_written_once_a_minute_at_most() {
        let last = LastUsed::default();
        assert!(last.due("tok_1"));
        assert!(!last.due("tok_1"));
        assert!(last.due("tok_2"));
    }
}
