//! Tenants: create, get, list, update (name, mode), suspend, resume and
//! delete. Only an unbound admin principal creates, lists and deletes
//! tenants; a tenant-bound admin sees only its own tenant (any other
//! answers NOT_FOUND, as an unknown one does).

use std::time::Duration;

use crate::auth::{Principal, Scope};
use crate::error::{Error, Result};
use crate::store::credentials::TokenInfo;
use crate::store::tenants::{self, Mode, State, Tenant};
use crate::store::{Store, purge};

/// Most tenants one ListTenants page holds (and its default size).
pub const MAX_PAGE: u64 = 1000;
const DEFAULT_PAGE: u64 = 100;
/// How long `delete` waits between refusing the tenant's credentials and
/// purging: every replica's authentication cache has forgotten them by
/// then, so no new write of the tenant can land behind the purge.
const SETTLE: Duration = Duration::from_millis(2500);

/// The tenant `reference` (id or name) names, as `actor` may see it:
/// NOT_FOUND when unknown, being deleted, or another tenant than a bound
/// actor's own. Needs admin scope.
pub async fn visible(store: &Store, actor: &Principal, reference: &str) -> Result<Tenant> {
    actor.require(Scope::Admin)?;
    let tenant = tenants::resolve(store, reference, false).await?;
    own(actor, tenant, reference)
}

/// `tenant`, unless a bound actor belongs to another one.
fn own(actor: &Principal, tenant: Tenant, reference: &str) -> Result<Tenant> {
    let mine = actor.tenant.as_ref().is_some_and(|t| t.id == tenant.id);
    if actor.bound && !mine {
        return Err(Error::NotFound { kind: "Tenant", id: reference.trim().to_owned() });
    }
    Ok(tenant)
}

/// PERMISSION_DENIED unless `actor` is an unbound admin.
pub fn require_unbound(actor: &Principal) -> Result<()> {
    actor.require(Scope::Admin)?;
    if actor.bound {
        return Err(Error::PermissionDenied("only an admin bound to no tenant may do this".to_owned()));
    }
    Ok(())
}

/// Creates a tenant and its first token (labelled `token_label`); the
/// secret is returned once.
pub async fn create(
    store: &Store,
    actor: &Principal,
    name: &str,
    token_label: &str,
) -> Result<(Tenant, TokenInfo, String)> {
    require_unbound(actor)?;
    tenants::create_labelled(store, name, token_label).await
}

/// One tenant.
pub async fn get(store: &Store, actor: &Principal, reference: &str) -> Result<Tenant> {
    visible(store, actor, reference).await
}

/// Tenants by name: at most `page_size` (0: 100) after the name
/// `after`; with the name to continue after when there may be more.
pub async fn list(
    store: &Store,
    actor: &Principal,
    page_size: i32,
    after: Option<&str>,
) -> Result<(Vec<Tenant>, Option<String>)> {
    require_unbound(actor)?;
    let size = match u64::try_from(page_size) {
        Ok(0) => DEFAULT_PAGE,
        Ok(n) => n.min(MAX_PAGE),
        Err(_) => return Err(Error::InvalidPage { field: "page_size", reason: "must not be negative" }),
    };
    let page = tenants::page(store, after, size).await?;
    let next = (page.len() as u64 == size).then(|| page.last().map(|t| t.name.clone())).flatten();
    Ok((page, next))
}

/// Renames a tenant and/or changes its mode (None: unchanged).
pub async fn update(
    store: &Store,
    actor: &Principal,
    reference: &str,
    name: Option<&str>,
    mode: Option<Mode>,
) -> Result<Tenant> {
    let t = visible(store, actor, reference).await?;
    tenants::update(store, &t.id, name, mode).await?;
    tenants::resolve(store, t.id.as_str(), false).await
}

/// Refuses every credential of the tenant until [`resume`]. A bound admin
/// may suspend its own tenant (and then no longer use its credential).
pub async fn suspend(store: &Store, actor: &Principal, reference: &str) -> Result<Tenant> {
    let t = visible(store, actor, reference).await?;
    tenants::set_state(store, &t.id, State::Suspended).await?;
    Ok(Tenant { state: State::Suspended, ..t })
}

/// Lifts a suspension.
pub async fn resume(store: &Store, actor: &Principal, reference: &str) -> Result<Tenant> {
    let t = visible(store, actor, reference).await?;
    tenants::set_state(store, &t.id, State::Active).await?;
    Ok(Tenant { state: State::Active, ..t })
}

/// Deletes a tenant: marks it deleting (its credentials are refused at
/// once here, within the cache TTL elsewhere), waits for every replica to
/// notice, purges its rows in bounded batches, then removes the tenant.
/// Run again after an interruption, it finishes the purge. Returns the rows
/// deleted.
pub async fn delete(store: &Store, actor: &Principal, reference: &str) -> Result<u64> {
    require_unbound(actor)?;
    let t = tenants::resolve(store, reference, true).await?;
    if t.state != State::Deleting {
        tenants::set_state(store, &t.id, State::Deleting).await?;
        tokio::time::sleep(SETTLE).await;
    }
    let rows = purge::tenant(store, &t.id).await?;
    Ok(rows + tenants::delete_row(store, &t.id).await?)
}
