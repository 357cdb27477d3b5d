//! AdminService: a tenant's OAuth 2.0 issuer (see [`crate::admin::oauth`]).

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::admin::oauth::{self as admin, OauthChange};
use crate::auth::Scope;
use crate::store::oauth::{Jwks, OauthConfig as Stored};
use crate::store::tenants::{self, Tenant as StoredTenant};
use crate::store::{self, Store};

pub async fn set_tenant_oauth(store: &Store, req: Request<SetTenantOauthRequest>) -> Result<Response<Tenant>, Status> {
    let principal = crate::grpc::principal(store, &req).await?;
    principal.require(Scope::Admin)?;
    let r = req.into_inner();
    let change = OauthChange { issuer: r.issuer, audience: r.audience, jwks_url: r.jwks_url, jwks_json: r.jwks_json };
    let (tenant, config) = admin::set_tenant_oauth(store, &principal, &r.tenant, &change).await?;
    Ok(Response::new(to_proto(store, tenant, config.as_ref()).await?))
}

/// The Tenant message with its `oauth` field.
async fn to_proto(store: &Store, t: StoredTenant, oauth: Option<&Stored>) -> crate::error::Result<Tenant> {
    let mode = match t.mode {
        tenants::Mode::Lenient => CompatibilityMode::Lenient,
        tenants::Mode::Strict => CompatibilityMode::Strict,
    };
    Ok(Tenant {
        schemas: store::schemas::all(store, &t.id).await?,
        id: t.id.to_string(),
        name: t.name,
        created: Some(store::timestamp(t.created_us)),
        mode: mode as i32,
        state: TenantState::Active as i32,
        limits: None,
        oauth: oauth.map(oauth_config),
        caller: None,
    })
}

/// A stored issuer for the wire (the JWKS document itself is not echoed).
pub fn oauth_config(c: &Stored) -> OauthConfig {
    OauthConfig {
        issuer: c.issuer.clone(),
        audience: c.audience.clone(),
        jwks_url: match &c.jwks {
            Jwks::Url(u) => u.clone(),
            Jwks::Json(_) => String::new(),
        },
    }
}
