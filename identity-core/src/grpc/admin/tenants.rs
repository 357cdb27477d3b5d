//! AdminService: tenants (create, get, list, update, suspend, resume, delete).

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::Store;

pub async fn create_tenant(
    _store: &Store,
    _req: Request<CreateTenantRequest>,
) -> Result<Response<CreateTenantResponse>, Status> {
    Err(Error::Unimplemented("AdminService.CreateTenant").into())
}

pub async fn get_tenant(_store: &Store, _req: Request<GetTenantRequest>) -> Result<Response<Tenant>, Status> {
    Err(Error::Unimplemented("AdminService.GetTenant").into())
}

pub async fn list_tenants(
    _store: &Store,
    _req: Request<ListTenantsRequest>,
) -> Result<Response<ListTenantsResponse>, Status> {
    Err(Error::Unimplemented("AdminService.ListTenants").into())
}

pub async fn update_tenant(_store: &Store, _req: Request<UpdateTenantRequest>) -> Result<Response<Tenant>, Status> {
    Err(Error::Unimplemented("AdminService.UpdateTenant").into())
}

pub async fn suspend_tenant(_store: &Store, _req: Request<SuspendTenantRequest>) -> Result<Response<Tenant>, Status> {
    Err(Error::Unimplemented("AdminService.SuspendTenant").into())
}

pub async fn resume_tenant(_store: &Store, _req: Request<ResumeTenantRequest>) -> Result<Response<Tenant>, Status> {
    Err(Error::Unimplemented("AdminService.ResumeTenant").into())
}

pub async fn delete_tenant(
    _store: &Store,
    _req: Request<DeleteTenantRequest>,
) -> Result<Response<DeleteTenantResponse>, Status> {
    Err(Error::Unimplemented("AdminService.DeleteTenant").into())
}
