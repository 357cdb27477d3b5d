//! Tenant tokens (issue, list, revoke) and service accounts (create, list,
//! revoke). Rotation: issue a token, switch the client to it, revoke the
//! old one; every replica refuses a revoked token within 5 seconds (the
//! authentication caches live 2 s at the core, 2 s at the edge).

use std::time::Duration;

use super::tenants::{require_unbound, visible};
use crate::auth::{Principal, Scope};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::credentials::{self, AccountInfo, TokenInfo};

/// Issues a token for the tenant `tenant` (id or name), valid for
/// `expires_in` (None: no expiry); the secret is returned once.
pub async fn issue_token(
    store: &Store,
    actor: &Principal,
    tenant: &str,
    label: &str,
    expires_in: Option<Duration>,
) -> Result<(TokenInfo, String)> {
    let t = visible(store, actor, tenant).await?;
    credentials::issue_token(store, &t.id, label, expires_in).await
}

/// The tenant's tokens, oldest first; never a secret.
pub async fn list_tokens(store: &Store, actor: &Principal, tenant: &str) -> Result<Vec<TokenInfo>> {
    let t = visible(store, actor, tenant).await?;
    credentials::list_tokens(store, &t.id).await
}

/// Revokes the tenant's token `token_id`.
pub async fn revoke_token(store: &Store, actor: &Principal, tenant: &str, token_id: &str) -> Result<TokenInfo> {
    let t = visible(store, actor, tenant).await?;
    if token_id.trim().is_empty() {
        return Err(Error::MissingField { field: "token_id" });
    }
    credentials::revoke_token(store, &t.id, token_id.trim()).await
}

/// Creates a service account with `scope`, bound to `tenant` (id or name)
/// or, when None, to no tenant (unbound admins only); the secret is
/// returned once.
pub async fn create_service_account(
    store: &Store,
    actor: &Principal,
    name: &str,
    scope: Scope,
    tenant: Option<&str>,
) -> Result<(AccountInfo, String)> {
    let tenant = match tenant.map(str::trim).filter(|t| !t.is_empty()) {
        Some(reference) => Some(visible(store, actor, reference).await?.id),
        None => {
            require_unbound(actor)?;
            None
        }
    };
    credentials::create_account(store, name, scope.as_str(), tenant.as_ref()).await
}

/// Service accounts: those bound to `tenant` when given, else every one
/// (unbound admins only).
pub async fn list_service_accounts(store: &Store, actor: &Principal, tenant: Option<&str>) -> Result<Vec<AccountInfo>> {
    let tenant = match tenant.map(str::trim).filter(|t| !t.is_empty()) {
        Some(reference) => Some(visible(store, actor, reference).await?.id),
        None => {
            require_unbound(actor)?;
            None
        }
    };
    credentials::list_accounts(store, tenant.as_ref()).await
}

/// Revokes a service account. A bound admin may revoke only its tenant's
/// accounts (others answer NOT_FOUND, as unknown ones do).
pub async fn revoke_service_account(store: &Store, actor: &Principal, id: &str) -> Result<AccountInfo> {
    actor.require(Scope::Admin)?;
    let not_found = || Error::NotFound { kind: "ServiceAccount", id: id.trim().to_owned() };
    let account = credentials::find_account(store, id.trim()).await?;
    if actor.bound {
        let mine = actor.tenant.as_ref().map(|t| &t.id);
        if account.tenant_id.as_ref() != mine || mine.is_none() {
            return Err(not_found());
        }
    }
    credentials::revoke_account(store, &account.id).await
}

/// Parses a lifetime such as `90d`, `12h`, `30m` or `2s` (a bare number is
/// seconds; `0` means no expiry).
pub fn parse_lifetime(s: &str) -> Result<Option<Duration>> {
    let s = s.trim();
    let bad = || Error::invalid("expires-in", format!("{s:?} is not a lifetime such as 90d, 12h, 30m or 2s"));
    let (digits, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, ""), |i| s.split_at(i));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let total = n.checked_mul(secs).ok_or_else(bad)?;
    Ok((total > 0).then(|| Duration::from_secs(total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_take_seconds_minutes_hours_and_days() {
        assert_eq!(parse_lifetime("90d").ok().flatten(), Some(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_lifetime("12h").ok().flatten(), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_lifetime("30m").ok().flatten(), Some(Duration::from_secs(1800)));
        assert_eq!(parse_lifetime("2s").ok().flatten(), Some(Duration::from_secs(2)));
        assert_eq!(parse_lifetime("45").ok().flatten(), Some(Duration::from_secs(45)));
        assert!(parse_lifetime("0").is_ok_and(|d| d.is_none()));
        for bad in ["", "d", "3w", "-1d", "1.5h", "99999999999999999999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
