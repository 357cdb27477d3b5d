//! Which OAuth 2.0 issuer a tenant accepts JWT access tokens (RFC 9068)
//! from: the issuer (`iss`), the audience (`aud`) and where the issuer's keys
//! are (a JWKS URL or document, RFC 7517). `(issuer, audience)` names at most
//! one tenant, so a token's own claims find its tenant.
//!
//! The lookup by issuer is remembered for [`TTL`] in an [`IssuerCache`]
//! (misses too), so a request in steady state costs no statement; a change
//! made through this process is seen at once, one made elsewhere (another
//! replica, the CLI) within the TTL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, SqlErr};

use super::entities::{tenant_oauth, tenants};
use super::tenants::Tenant;
use super::{Store, audit, in_tx, time};
use crate::domain::TenantId;
use crate::error::{Error, Result};

/// How long an issuer lookup is remembered.
pub const TTL: Duration = Duration::from_secs(2);
/// Most lookups remembered at once.
const CAPACITY: usize = 10_000;
/// Most audiences of one token considered (RFC 7519 §4.1.3 allows an array).
pub const MAX_AUDIENCES: usize = 8;

/// Where an issuer's signing keys are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Jwks {
    /// Fetched, and fetched again when a token names an unknown `kid`.
    Url(String),
    /// A JWKS document configured by hand.
    Json(String),
}

/// A tenant's OAuth 2.0 issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OauthConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks: Jwks,
}

/// A tenant and the issuer it trusts, as the token check needs them.
#[derive(Clone, Debug)]
pub struct Trust {
    pub tenant: Tenant,
    pub config: OauthConfig,
}

impl From<tenant_oauth::Model> for OauthConfig {
    fn from(m: tenant_oauth::Model) -> Self {
        let jwks = match (m.jwks_url, m.jwks_json) {
            (Some(url), _) => Jwks::Url(url),
            (None, json) => Jwks::Json(json.unwrap_or_default()),
        };
        Self { issuer: m.issuer, audience: m.audience, jwks }
    }
}

/// Makes `tenant` accept tokens from `config`'s issuer (replacing the one it
/// had). UNIQUENESS when another tenant already has this issuer and audience.
pub async fn set(store: &Store, tenant: &TenantId, config: &OauthConfig) -> Result<()> {
    let now = time::now_us();
    let row = tenant_oauth::ActiveModel {
        tenant_id: Set(tenant.as_str().to_owned()),
        issuer: Set(config.issuer.clone()),
        audience: Set(config.audience.clone()),
        jwks_url: Set(match &config.jwks {
            Jwks::Url(u) => Some(u.clone()),
            Jwks::Json(_) => None,
        }),
        jwks_json: Set(match &config.jwks {
            Jwks::Json(j) => Some(j.clone()),
            Jwks::Url(_) => None,
        }),
        updated_us: Set(now),
    };
    // Delete, then insert: an upsert would, on MySQL, update whichever row
    // the unique (issuer, audience) key hits, even another tenant's.
    in_tx(store, |txn| {
        let (row, id, tenant) = (row.clone(), tenant.as_str().to_owned(), tenant.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Tenant", tenant.as_str()).await?;
            tenant_oauth::Entity::delete_by_id(id).exec(txn).await?;
            tenant_oauth::Entity::insert(row).exec_without_returning(txn).await.map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "issuer and audience" },
                _ => Error::Database(e),
            })?;
            Ok(())
        })
    })
    .await?;
    store.oauth_cache().clear();
    Ok(())
}

/// Stops `tenant` accepting OAuth tokens; whether it did.
pub async fn clear(store: &Store, tenant: &TenantId) -> Result<bool> {
    let deleted = in_tx(store, |txn| {
        let tenant = tenant.clone();
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Tenant", tenant.as_str()).await?;
            Ok(tenant_oauth::Entity::delete_by_id(tenant.as_str().to_owned()).exec(txn).await?)
        })
    })
    .await?;
    store.oauth_cache().clear();
    Ok(deleted.rows_affected > 0)
}

/// The issuer `tenant` accepts tokens from, if any.
pub async fn get(store: &Store, tenant: &TenantId) -> Result<Option<OauthConfig>> {
    let row = tenant_oauth::Entity::find_by_id(tenant.as_str().to_owned()).one(store.conn()).await?;
    Ok(row.map(OauthConfig::from))
}

/// The tenant whose issuer is `issuer` with one of `audiences`; None when
/// none, or when the audiences name more than one tenant. Remembered for
/// [`TTL`].
pub async fn trust(store: &Store, issuer: &str, audiences: &[String]) -> Result<Option<Trust>> {
    if issuer.is_empty() || audiences.is_empty() || audiences.len() > MAX_AUDIENCES {
        return Ok(None);
    }
    let key = (issuer.to_owned(), audiences.to_vec());
    if let Some(hit) = store.oauth_cache().get(&key) {
        return Ok(hit);
    }
    let rows = tenant_oauth::Entity::find()
        .filter(tenant_oauth::Column::Issuer.eq(issuer))
        .filter(tenant_oauth::Column::Audience.is_in(audiences.iter().cloned()))
        .limit(2)
        .all(store.conn())
        .await?;
    let found = match <[_; 1]>::try_from(rows) {
        Ok([row]) => tenants::Entity::find_by_id(row.tenant_id.clone())
            .one(store.conn())
            .await?
            .map(|t| Trust { tenant: Tenant::from(t), config: OauthConfig::from(row) }),
        Err(_) => None,
    };
    store.oauth_cache().put(key, found.clone());
    Ok(found)
}

/// A token's (issuer, audiences).
type Key = (String, Vec<String>);

/// Issuer lookups (hits and misses), each for at most [`TTL`]. Bounded: when
/// full, expired entries go, and if that is not enough, all of them.
#[derive(Debug, Default)]
pub struct IssuerCache {
    entries: Mutex<HashMap<Key, (Option<Trust>, Instant)>>,
}

impl IssuerCache {
    fn get(&self, key: &Key) -> Option<Option<Trust>> {
        let entries = self.entries.lock().ok()?;
        let (found, at) = entries.get(key)?;
        (at.elapsed() < TTL).then(|| found.clone())
    }

    fn put(&self, key: Key, found: Option<Trust>) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (found, Instant::now()));
    }

    /// Forgets every lookup (a tenant's issuer changed here).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_remembers_misses_and_forgets_on_clear() {
        let cache = IssuerCache::default();
        let key = ("https://idp".to_owned(), vec!["aud".to_owned()]);
        assert!(cache.get(&key).is_none());
        cache.put(key.clone(), None);
        assert!(matches!(cache.get(&key), Some(None)));
        cache.clear();
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = IssuerCache::default();
        for i in 0..CAPACITY + 10 {
            cache.put((format!("i{i}"), vec![]), None);
        }
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(usize::MAX) <= CAPACITY);
    }
}
