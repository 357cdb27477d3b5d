//! AdminService: a tenant's extension schemas.

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::Store;

pub async fn add_schema(_store: &Store, _req: Request<AddSchemaRequest>) -> Result<Response<Schema>, Status> {
    Err(Error::Unimplemented("AdminService.AddSchema").into())
}

pub async fn list_tenant_schemas(
    _store: &Store,
    _req: Request<ListTenantSchemasRequest>,
) -> Result<Response<ListSchemasResponse>, Status> {
    Err(Error::Unimplemented("AdminService.ListTenantSchemas").into())
}

pub async fn delete_schema(
    _store: &Store,
    _req: Request<DeleteSchemaRequest>,
) -> Result<Response<DeleteSchemaResponse>, Status> {
    Err(Error::Unimplemented("AdminService.DeleteSchema").into())
}
