//! AdminService: a tenant's extension schemas, over [`crate::admin::schemas`].

use proto::v1::*;
use tonic::{Request, Response, Status};

use super::super::principal;
use crate::admin::schemas as admin;
use crate::error::Error;
use crate::store::Store;

pub async fn add_schema(store: &Store, req: Request<AddSchemaRequest>) -> Result<Response<Schema>, Status> {
    let actor = principal(store, &req).await?;
    let r = req.into_inner();
    let schema = r.schema.ok_or(Error::MissingField { field: "schema" })?;
    Ok(Response::new(admin::add(store, &actor, &r.tenant, schema).await?))
}

pub async fn list_tenant_schemas(
    store: &Store,
    req: Request<ListTenantSchemasRequest>,
) -> Result<Response<ListSchemasResponse>, Status> {
    let actor = principal(store, &req).await?;
    let schemas = admin::list(store, &actor, &req.get_ref().tenant).await?;
    Ok(Response::new(ListSchemasResponse { schemas }))
}

pub async fn delete_schema(
    store: &Store,
    req: Request<DeleteSchemaRequest>,
) -> Result<Response<DeleteSchemaResponse>, Status> {
    let actor = principal(store, &req).await?;
    let r = req.get_ref();
    let values = admin::delete(store, &actor, &r.tenant, &r.schema_id).await?;
    Ok(Response::new(DeleteSchemaResponse { values_deleted: i64::try_from(values).unwrap_or(i64::MAX) }))
}
