//! TenantService: who a token belongs to.

use proto::v1::tenant_service_server::TenantService;
use proto::v1::{CompatibilityMode, Tenant, WhoAmIRequest};
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::{Store, tenants as store};

pub struct Tenants {
    pub store: Store,
}

#[tonic::async_trait]
impl TenantService for Tenants {
    async fn who_am_i(&self, req: Request<WhoAmIRequest>) -> Result<Response<Tenant>, Status> {
        let header = req.metadata().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        let token = super::bearer_token(header).ok_or(Error::Unauthenticated)?;
        let t = store::authenticate(&self.store, token).await?;
        let mode = match t.mode {
            store::Mode::Lenient => CompatibilityMode::Lenient,
            store::Mode::Strict => CompatibilityMode::Strict,
        };
        Ok(Response::new(Tenant {
            id: t.id.to_string(),
            name: t.name,
            created: Some(crate::store::timestamp(t.created_us)),
            mode: mode as i32,
            schemas: crate::store::schemas::all(&self.store, &t.id).await?,
        }))
    }
}
