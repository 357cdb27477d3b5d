//! AdminService: tenants (create, get, list, update, suspend, resume,
//! delete), over [`crate::admin::tenants`].

use proto::v1::*;
use tonic::{Request, Response, Status};

use super::super::principal;
use super::super::tenants::tenant_settings_message as tenant_message;
use super::credentials::token_message;
use crate::admin::tenants as admin;
use crate::error::Error;
use crate::store::Store;
use crate::store::tenants::Mode;

pub async fn create_tenant(
    store: &Store,
    req: Request<CreateTenantRequest>,
) -> Result<Response<CreateTenantResponse>, Status> {
    let actor = principal(store, &req).await?;
    let (_, extensions, r) = req.into_parts();
    let (tenant, token, secret) = admin::create(store, &actor, &r.name, &r.token_label).await?;
    Ok(Response::new(CreateTenantResponse {
        tenant: Some(tenant_message(store, &extensions, &tenant).await?),
        token: Some(token_message(&token)),
        secret,
    }))
}

pub async fn get_tenant(store: &Store, req: Request<GetTenantRequest>) -> Result<Response<Tenant>, Status> {
    let actor = principal(store, &req).await?;
    let t = admin::get(store, &actor, &req.get_ref().tenant).await?;
    Ok(Response::new(tenant_message(store, req.extensions(), &t).await?))
}

pub async fn list_tenants(
    store: &Store,
    req: Request<ListTenantsRequest>,
) -> Result<Response<ListTenantsResponse>, Status> {
    let actor = principal(store, &req).await?;
    let r = req.get_ref();
    // The page token is the hex of the last name shown (not secret: the
    // caller may list every tenant anyway).
    let after = match r.page_token.as_str() {
        "" => None,
        t => Some(hex::decode(t).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(Error::InvalidPageToken)?),
    };
    let (page, next) = admin::list(store, &actor, r.page_size, after.as_deref()).await?;
    let mut tenants = Vec::with_capacity(page.len());
    for t in &page {
        tenants.push(tenant_message(store, req.extensions(), t).await?);
    }
    Ok(Response::new(ListTenantsResponse { tenants, next_page_token: next.map(hex::encode).unwrap_or_default() }))
}

pub async fn update_tenant(store: &Store, req: Request<UpdateTenantRequest>) -> Result<Response<Tenant>, Status> {
    let actor = principal(store, &req).await?;
    let (_, extensions, r) = req.into_parts();
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        return Err(Error::MissingField { field: "update_mask" }.into());
    }
    let (mut name, mut mode) = (None, None);
    for path in &paths {
        match path.as_str() {
            "name" => name = Some(r.name.as_str()),
            "mode" => {
                mode = Some(match CompatibilityMode::try_from(r.mode) {
                    Ok(CompatibilityMode::Lenient) => Mode::Lenient,
                    Ok(CompatibilityMode::Strict) => Mode::Strict,
                    _ => return Err(Error::invalid("mode", "is LENIENT or STRICT").into()),
                })
            }
            other => return Err(Error::invalid("update_mask", format!("{other:?} is neither name nor mode")).into()),
        }
    }
    let t = admin::update(store, &actor, &r.tenant, name, mode).await?;
    Ok(Response::new(tenant_message(store, &extensions, &t).await?))
}

pub async fn suspend_tenant(store: &Store, req: Request<SuspendTenantRequest>) -> Result<Response<Tenant>, Status> {
    let actor = principal(store, &req).await?;
    let t = admin::suspend(store, &actor, &req.get_ref().tenant).await?;
    Ok(Response::new(tenant_message(store, req.extensions(), &t).await?))
}

pub async fn resume_tenant(store: &Store, req: Request<ResumeTenantRequest>) -> Result<Response<Tenant>, Status> {
    let actor = principal(store, &req).await?;
    let t = admin::resume(store, &actor, &req.get_ref().tenant).await?;
    Ok(Response::new(tenant_message(store, req.extensions(), &t).await?))
}

pub async fn delete_tenant(
    store: &Store,
    req: Request<DeleteTenantRequest>,
) -> Result<Response<DeleteTenantResponse>, Status> {
    let actor = principal(store, &req).await?;
    let rows = admin::delete(store, &actor, &req.get_ref().tenant).await?;
    Ok(Response::new(DeleteTenantResponse { rows_deleted: i64::try_from(rows).unwrap_or(i64::MAX) }))
}
