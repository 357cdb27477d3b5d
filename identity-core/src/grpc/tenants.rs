//! TenantService: who a token belongs to.

use proto::v1::tenant_service_server::TenantService;
use proto::v1::{Caller, CompatibilityMode, CredentialKind, Scope, Tenant, TenantLimits, TenantState, WhoAmIRequest};
use tonic::{Request, Response, Status};

use crate::auth::{self, Principal};
use crate::limits::{Limiter, Limits};
use crate::store::{Store, tenants as store};

pub struct Tenants {
    pub store: Store,
}

#[tonic::async_trait]
impl TenantService for Tenants {
    async fn who_am_i(&self, req: Request<WhoAmIRequest>) -> Result<Response<Tenant>, Status> {
        let principal = super::principal(&self.store, &req).await?;
        let mut t = tenant_message(&self.store, principal.tenant()?).await?;
        t.caller = Some(caller(&principal));
        Ok(Response::new(t))
    }
}

/// A tenant for the wire, with its extension schemas.
pub(super) async fn tenant_message(store: &Store, t: &store::Tenant) -> crate::error::Result<Tenant> {
    let mode = match t.mode {
        store::Mode::Lenient => CompatibilityMode::Lenient,
        store::Mode::Strict => CompatibilityMode::Strict,
    };
    let state = match t.state {
        store::State::Suspended => TenantState::Suspended,
        // A tenant being deleted is never shown.
        store::State::Active | store::State::Deleting => TenantState::Active,
    };
    Ok(Tenant {
        id: t.id.to_string(),
        name: t.name.clone(),
        created: Some(crate::store::timestamp(t.created_us)),
        mode: mode as i32,
        schemas: crate::store::schemas::all(store, &t.id).await?,
        state: state as i32,
        limits: None,
        oauth: None,
        caller: None,
    })
}

/// [`tenant_message`] with the tenant's settings: its limits in force
/// (this server's defaults, from the call's limiter, with the tenant's
/// overrides) and its OAuth issuer, as AdminService answers show them.
pub(super) async fn tenant_settings_message(
    store: &Store,
    extensions: &tonic::Extensions,
    t: &store::Tenant,
) -> crate::error::Result<Tenant> {
    let defaults = match extensions.get::<std::sync::Arc<Limiter>>() {
        Some(l) => l.defaults(),
        None => Limits::defaults(&crate::config::LimitsConfig::default()),
    };
    let in_force = defaults.with(crate::store::limits::get(store, &t.id).await?);
    let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let oauth = crate::store::oauth::get(store, &t.id).await?;
    Ok(Tenant {
        limits: Some(TenantLimits {
            requests_per_second: int(in_force.rps),
            burst: int(in_force.burst),
            max_concurrent_requests: int(in_force.concurrency),
        }),
        oauth: oauth.as_ref().map(super::admin::oauth::oauth_config),
        ..tenant_message(store, t).await?
    })
}

/// The credential behind a call, for the wire.
pub(super) fn caller(p: &Principal) -> Caller {
    let kind = match p.kind {
        auth::CredentialKind::TenantToken => CredentialKind::TenantToken,
        auth::CredentialKind::OAuth => CredentialKind::Oauth,
        auth::CredentialKind::ServiceAccount => CredentialKind::ServiceAccount,
    };
    let scope = match p.scope {
        auth::Scope::Read => Scope::Read,
        auth::Scope::Write => Scope::Write,
        auth::Scope::Admin => Scope::Admin,
    };
    Caller { credential_id: p.credential_id.clone(), kind: kind as i32, scope: scope as i32 }
}
