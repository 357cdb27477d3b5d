//! SchemaService: a tenant's extension schemas.

use prost::Message;
use proto::v1::schema_service_server::SchemaService;
use proto::v1::{CreateSchemaRequest, ListSchemasRequest, ListSchemasResponse, Mutability, Returned, Schema};
use tonic::{Request, Response, Status};

use super::{authenticate, once};
use crate::auth::Scope;
use crate::error::Error;
use crate::store::{Store, request_ids, schemas as store};

pub struct Schemas {
    pub store: Store,
}

#[tonic::async_trait]
impl SchemaService for Schemas {
    async fn create_schema(&self, req: Request<CreateSchemaRequest>) -> Result<Response<Schema>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let CreateSchemaRequest { schema, request_id } = req.into_inner();
        let mut schema = schema.ok_or(Error::MissingField { field: "schema" })?;
        // Unset mutability and returned take the RFC 7643 defaults, so
        // nothing unspecified is stored or sent back.
        for a in &mut schema.attributes {
            if a.mutability == Mutability::Unspecified as i32 {
                a.mutability = Mutability::ReadWrite as i32;
            }
            if a.returned == Returned::Unspecified as i32 {
                a.returned = Returned::Default as i32;
            }
        }
        let key = CreateSchemaRequest { schema: Some(schema.clone()), request_id: String::new() }.encode_to_vec();
        let created = request_ids::once(&self.store, once(&tenant, &request_id, "CreateSchema", &key), || {
            store::create(&self.store, &tenant, schema)
        })
        .await?;
        Ok(Response::new(created))
    }

    async fn list_schemas(&self, req: Request<ListSchemasRequest>) -> Result<Response<ListSchemasResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        Ok(Response::new(ListSchemasResponse { schemas: store::all(&self.store, &tenant).await? }))
    }
}
