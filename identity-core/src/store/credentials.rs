//! Credentials: tenants' bearer tokens (for their SCIM clients) and service
//! accounts (for internal gRPC callers). Secrets are 256 random bits, shown
//! once, stored only as SHA-256 hashes (a fast hash suits random secrets);
//! each credential also has a public id ("tok_…", "sa_…") that listings,
//! revocation and the audit trail use.
//!
//! [`authenticate`] answers from the auth cache in steady state (no
//! statement); expiry is checked on every call, and `last_used` is written
//! off the request's path, at most once a minute per credential and process.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};

use super::entities::{api_tokens, service_accounts, tenants};
use super::tenants::Tenant;
use super::{Store, audit, in_tx, time};
use crate::domain::TenantId;
use crate::error::{Error, Result};

/// Prefix of tenant tokens (secret scanners can spot leaked ones).
const TOKEN_PREFIX: &str = "idt_";
/// Prefix of service-account secrets.
const ACCOUNT_PREFIX: &str = "idsa_";
/// Longest label or account name.
const MAX_NAME: usize = 255;

/// A tenant token's metadata (never its secret).
#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub id: String,
    pub tenant_id: TenantId,
    pub label: String,
    pub created_us: i64,
    pub expires_us: Option<i64>,
    pub last_used_us: Option<i64>,
    pub revoked_us: Option<i64>,
}

impl From<api_tokens::Model> for TokenInfo {
    fn from(m: api_tokens::Model) -> Self {
        Self {
            id: token_id(&m),
            tenant_id: TenantId::from_db(m.tenant_id),
            label: m.label,
            created_us: m.created_us,
            expires_us: m.expires_us,
            last_used_us: m.last_used_us,
            revoked_us: m.revoked_us,
        }
    }
}

/// A token's id: the stored one, or for a token the previous release
/// created (no id yet), the one the credentials migration derives from its
/// hash.
fn token_id(m: &api_tokens::Model) -> String {
    m.id.clone().unwrap_or_else(|| format!("tok_{}", &m.token_hash[..24.min(m.token_hash.len())]))
}

/// Gives the tenant's id-less tokens (created by the previous release
/// during a rollout) their derived ids, so they can be named and revoked.
async fn backfill_ids(store: &Store, tenant: &TenantId) -> Result<()> {
    let legacy = api_tokens::Entity::find()
        .filter(api_tokens::Column::TenantId.eq(tenant.as_str()))
        .filter(api_tokens::Column::Id.is_null())
        .all(store.conn())
        .await?;
    for m in legacy {
        api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::Id, Expr::value(token_id(&m)))
            .filter(api_tokens::Column::TokenHash.eq(m.token_hash.as_str()))
            .filter(api_tokens::Column::Id.is_null())
            .exec(store.conn())
            .await?;
    }
    Ok(())
}

/// A service account's metadata (never its secret).
#[derive(Clone, Debug)]
pub struct AccountInfo {
    pub id: String,
    pub name: String,
    /// read, write or admin.
    pub scope: String,
    /// None: bound to no tenant.
    pub tenant_id: Option<TenantId>,
    pub created_us: i64,
    pub last_used_us: Option<i64>,
    pub revoked_us: Option<i64>,
}

impl From<service_accounts::Model> for AccountInfo {
    fn from(m: service_accounts::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            scope: m.scope,
            tenant_id: m.tenant_id.map(TenantId::from_db),
            created_us: m.created_us,
            last_used_us: m.last_used_us,
            revoked_us: m.revoked_us,
        }
    }
}

/// What kind of credential a secret is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HolderKind {
    Token,
    /// With its scope: read, write or admin.
    ServiceAccount {
        scope: String,
    },
}

/// Who a valid secret belongs to (what the auth cache keeps).
#[derive(Clone, Debug)]
pub struct Holder {
    /// "tok_…" or "sa_…".
    pub id: String,
    pub kind: HolderKind,
    /// The credential's tenant (with its state as read); None for an
    /// unbound service account.
    pub tenant: Option<Tenant>,
    pub expires_us: Option<i64>,
}

/// The holder of a bearer secret. UNAUTHENTICATED when it is unknown,
/// revoked or expired, or its tenant is gone. The tenant's state is the
/// caller's to check.
pub async fn authenticate(store: &Store, secret: &str) -> Result<Holder> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(Error::Unauthenticated);
    }
    let hash = hash_secret(secret);
    let holder = match store.auth_cache().get(&hash) {
        Some(h) => h,
        None => {
            let h = if secret.starts_with(ACCOUNT_PREFIX) {
                load_account(store, &hash).await?
            } else {
                load_token(store, &hash).await?
            };
            store.auth_cache().put(hash, h.clone());
            h
        }
    };
    if holder.expires_us.is_some_and(|at| at <= time::now_us()) {
        return Err(Error::Unauthenticated);
    }
    touch(store, &holder);
    Ok(holder)
}

/// One statement: the token and its tenant.
async fn load_token(store: &Store, hash: &str) -> Result<Holder> {
    let (token, tenant) = api_tokens::Entity::find_by_id(hash)
        .find_also_related(tenants::Entity)
        .one(store.conn())
        .await?
        .ok_or(Error::Unauthenticated)?;
    let tenant = tenant.ok_or(Error::Unauthenticated)?;
    if token.revoked_us.is_some() {
        return Err(Error::Unauthenticated);
    }
    Ok(Holder {
        id: token_id(&token),
        kind: HolderKind::Token,
        tenant: Some(Tenant::from(tenant)),
        expires_us: token.expires_us,
    })
}

/// One statement: the account and its tenant, if bound.
async fn load_account(store: &Store, hash: &str) -> Result<Holder> {
    let (account, tenant) = service_accounts::Entity::find()
        .filter(service_accounts::Column::SecretHash.eq(hash))
        .find_also_related(tenants::Entity)
        .one(store.conn())
        .await?
        .ok_or(Error::Unauthenticated)?;
    if account.revoked_us.is_some() || (account.tenant_id.is_some() && tenant.is_none()) {
        return Err(Error::Unauthenticated);
    }
    Ok(Holder {
        id: account.id,
        kind: HolderKind::ServiceAccount { scope: account.scope },
        tenant: tenant.map(Tenant::from),
        expires_us: None,
    })
}

/// Records a use of `holder`, at most once a minute per process, in a task
/// of its own (never on the request's path; a lost write only makes
/// `last_used` older).
fn touch(store: &Store, holder: &Holder) {
    if !store.last_used().due(&holder.id) {
        return;
    }
    let (store, id, kind) = (store.clone(), holder.id.clone(), holder.kind.clone());
    tokio::spawn(async move {
        let now = time::now_us();
        let done = match kind {
            HolderKind::Token => api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::LastUsedUs, Expr::value(now))
                .filter(api_tokens::Column::Id.eq(id.as_str()))
                .exec(store.conn())
                .await
                .map(|_| ()),
            HolderKind::ServiceAccount { .. } => service_accounts::Entity::update_many()
                .col_expr(service_accounts::Column::LastUsedUs, Expr::value(now))
                .filter(service_accounts::Column::Id.eq(id.as_str()))
                .exec(store.conn())
                .await
                .map(|_| ()),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, credential = %id, "cannot record the credential's last use");
        }
    });
}

/// A new token of `tenant`: its metadata, its secret and its row.
pub(super) fn new_token_row(
    tenant: &TenantId,
    label: &str,
    expires_in: Option<Duration>,
) -> Result<(TokenInfo, String, api_tokens::ActiveModel)> {
    let label = valid_label("label", label)?;
    let secret = new_secret(TOKEN_PREFIX)?;
    let now = time::now_us();
    let expires_us = match expires_in {
        None => None,
        Some(d) if d.is_zero() => None,
        Some(d) => Some(now.saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))),
    };
    let info = TokenInfo {
        id: new_id("tok_")?,
        tenant_id: tenant.clone(),
        label,
        created_us: now,
        expires_us,
        last_used_us: None,
        revoked_us: None,
    };
    let row = api_tokens::ActiveModel {
        token_hash: Set(hash_secret(&secret)),
        tenant_id: Set(tenant.as_str().to_owned()),
        created_us: Set(now),
        id: Set(Some(info.id.clone())),
        label: Set(info.label.clone()),
        expires_us: Set(expires_us),
        last_used_us: Set(None),
        revoked_us: Set(None),
    };
    Ok((info, secret, row))
}

/// Issues another token for `tenant`, valid for `expires_in` (None or zero:
/// no expiry); returns its metadata and its secret (shown once).
pub async fn issue_token(
    store: &Store,
    tenant: &TenantId,
    label: &str,
    expires_in: Option<Duration>,
) -> Result<(TokenInfo, String)> {
    let (info, secret, row) = new_token_row(tenant, label, expires_in)?;
    in_tx(store, |txn| {
        let (row, id, tenant) = (row.clone(), info.id.clone(), tenant.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Token", &id).await?;
            api_tokens::Entity::insert(row).exec_without_returning(txn).await?;
            Ok(())
        })
    })
    .await?;
    Ok((info, secret))
}

/// A tenant's tokens, oldest first.
pub async fn list_tokens(store: &Store, tenant: &TenantId) -> Result<Vec<TokenInfo>> {
    backfill_ids(store, tenant).await?;
    let rows = api_tokens::Entity::find()
        .filter(api_tokens::Column::TenantId.eq(tenant.as_str()))
        .order_by_asc(api_tokens::Column::CreatedUs)
        .order_by_asc(api_tokens::Column::Id)
        .all(store.conn())
        .await?;
    Ok(rows.into_iter().map(TokenInfo::from).collect())
}

/// Revokes the token `id` of `tenant` (again: no change); NOT_FOUND when
/// the tenant has no such token.
pub async fn revoke_token(store: &Store, tenant: &TenantId, id: &str) -> Result<TokenInfo> {
    backfill_ids(store, tenant).await?;
    let row = in_tx(store, |txn| {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        Box::pin(async move {
            let of_tenant = || {
                sea_orm::Condition::all()
                    .add(api_tokens::Column::TenantId.eq(tenant.as_str()))
                    .add(api_tokens::Column::Id.eq(id.as_str()))
            };
            audit::wrote(txn, &tenant, "Token", &id).await?;
            api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::RevokedUs, Expr::value(time::now_us()))
                .filter(of_tenant())
                .filter(api_tokens::Column::RevokedUs.is_null())
                .exec(txn)
                .await?;
            // None rolls the event back with the (empty) update.
            let row = api_tokens::Entity::find().filter(of_tenant()).one(txn).await?;
            row.ok_or_else(|| Error::NotFound { kind: "Token", id: id.clone() })
        })
    })
    .await?;
    store.auth_cache().forget_credential(id);
    Ok(TokenInfo::from(row))
}

/// Creates a service account with `scope` (read, write or admin), bound to
/// `tenant` or to none; returns its metadata and its secret (shown once).
pub async fn create_account(
    store: &Store,
    name: &str,
    scope: &str,
    tenant: Option<&TenantId>,
) -> Result<(AccountInfo, String)> {
    let name = valid_label("name", name)?;
    if name.is_empty() {
        return Err(Error::MissingField { field: "name" });
    }
    let secret = new_secret(ACCOUNT_PREFIX)?;
    let info = AccountInfo {
        id: new_id("sa_")?,
        name,
        scope: scope.to_owned(),
        tenant_id: tenant.cloned(),
        created_us: time::now_us(),
        last_used_us: None,
        revoked_us: None,
    };
    let row = service_accounts::ActiveModel {
        id: Set(info.id.clone()),
        name: Set(info.name.clone()),
        scope: Set(info.scope.clone()),
        tenant_id: Set(tenant.map(|t| t.as_str().to_owned())),
        secret_hash: Set(hash_secret(&secret)),
        created_us: Set(info.created_us),
        last_used_us: Set(None),
        revoked_us: Set(None),
    };
    // An unbound account's event has the tenant "".
    let event_tenant = tenant.cloned().unwrap_or_else(|| TenantId::from_db(String::new()));
    in_tx(store, |txn| {
        let (row, id, event_tenant) = (row.clone(), info.id.clone(), event_tenant.clone());
        Box::pin(async move {
            audit::wrote(txn, &event_tenant, "ServiceAccount", &id).await?;
            service_accounts::Entity::insert(row).exec_without_returning(txn).await?;
            Ok(())
        })
    })
    .await?;
    Ok((info, secret))
}

/// Service accounts, those bound to `tenant` when given, oldest first.
pub async fn list_accounts(store: &Store, tenant: Option<&TenantId>) -> Result<Vec<AccountInfo>> {
    let mut q = service_accounts::Entity::find();
    if let Some(t) = tenant {
        q = q.filter(service_accounts::Column::TenantId.eq(t.as_str()));
    }
    let rows = q
        .order_by_asc(service_accounts::Column::CreatedUs)
        .order_by_asc(service_accounts::Column::Id)
        .all(store.conn())
        .await?;
    Ok(rows.into_iter().map(AccountInfo::from).collect())
}

/// The service account `id`.
pub async fn find_account(store: &Store, id: &str) -> Result<AccountInfo> {
    let row = service_accounts::Entity::find_by_id(id).one(store.conn()).await?;
    row.map(AccountInfo::from).ok_or_else(|| Error::NotFound { kind: "ServiceAccount", id: id.to_owned() })
}

/// Revokes the service account `id` (again: no change), in a transaction
/// with its audit event (tenant "" for an unbound account).
pub async fn revoke_account(store: &Store, id: &str) -> Result<AccountInfo> {
    let row = in_tx(store, |txn| {
        let id = id.to_owned();
        Box::pin(async move {
            let not_found = || Error::NotFound { kind: "ServiceAccount", id: id.clone() };
            let id = id.as_str();
            let before = service_accounts::Entity::find_by_id(id).one(txn).await?.ok_or_else(not_found)?;
            let event_tenant = TenantId::from_db(before.tenant_id.clone().unwrap_or_default());
            audit::wrote(txn, &event_tenant, "ServiceAccount", id).await?;
            service_accounts::Entity::update_many()
                .col_expr(service_accounts::Column::RevokedUs, Expr::value(time::now_us()))
                .filter(service_accounts::Column::Id.eq(id))
                .filter(service_accounts::Column::RevokedUs.is_null())
                .exec(txn)
                .await?;
            service_accounts::Entity::find_by_id(id).one(txn).await?.ok_or_else(not_found)
        })
    })
    .await?;
    store.auth_cache().forget_credential(id);
    Ok(AccountInfo::from(row))
}

/// A label or name: trimmed, at most 255 characters.
fn valid_label(field: &'static str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > MAX_NAME {
        return Err(Error::invalid(field, format!("has more than {MAX_NAME} characters")));
    }
    Ok(s.to_owned())
}

/// 256 random bits, hex-encoded, after `prefix`.
fn new_secret(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}{}", random_hex::<32>()?))
}

/// A public id: `prefix` and 96 random bits.
fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}{}", random_hex::<12>()?))
}

fn random_hex<const N: usize>() -> Result<String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| Error::Internal("the system has no randomness"))?;
    Ok(hex::encode(bytes))
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_256_random_bits_and_ids_none_of_them() {
        let (a, b) = (new_secret(TOKEN_PREFIX).ok(), new_secret(TOKEN_PREFIX).ok());
        assert_eq!(a.as_ref().map(String::len), Some(4 + 64));
        assert_ne!(a, b);
        let id = new_id("tok_").ok().unwrap_or_default();
        assert_eq!(id.len(), 4 + 24);
    }

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
