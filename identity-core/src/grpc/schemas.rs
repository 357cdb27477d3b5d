//! SchemaService: a tenant's extension schemas.

use proto::v1::schema_service_server::SchemaService;
use proto::v1::{CreateSchemaRequest, ListSchemasRequest, ListSchemasResponse, Schema};
use tonic::{Request, Response, Status};

use super::authenticate;
use crate::error::Error;
use crate::store::{Store, schemas as store};

pub struct Schemas {
    pub store: Store,
}

#[tonic::async_trait]
impl SchemaService for Schemas {
    async fn create_schema(&self, req: Request<CreateSchemaRequest>) -> Result<Response<Schema>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let schema = req.into_inner().schema.ok_or(Error::MissingField { field: "schema" })?;
        Ok(Response::new(store::create(&self.store, &tenant, schema).await?))
    }

    async fn list_schemas(&self, req: Request<ListSchemasRequest>) -> Result<Response<ListSchemasResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        Ok(Response::new(ListSchemasResponse { schemas: store::all(&self.store, &tenant).await? }))
    }
}
