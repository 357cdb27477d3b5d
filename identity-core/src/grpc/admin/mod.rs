//! AdminService (admin scope): the gRPC face of [`crate::admin`], which the
//! `identity-core` CLI commands run too. One file per area.

mod audit;
mod credentials;
mod limits;
pub(in crate::grpc) mod oauth;
mod schemas;
mod tenants;

use proto::v1::admin_service_server::AdminService;
use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::store::Store;

pub struct Admin {
    pub store: Store,
}

#[tonic::async_trait]
impl AdminService for Admin {
    async fn create_tenant(&self, req: Request<CreateTenantRequest>) -> Result<Response<CreateTenantResponse>, Status> {
        tenants::create_tenant(&self.store, req).await
    }

    async fn get_tenant(&self, req: Request<GetTenantRequest>) -> Result<Response<Tenant>, Status> {
        tenants::get_tenant(&self.store, req).await
    }

    async fn list_tenants(&self, req: Request<ListTenantsRequest>) -> Result<Response<ListTenantsResponse>, Status> {
        tenants::list_tenants(&self.store, req).await
    }

    async fn update_tenant(&self, req: Request<UpdateTenantRequest>) -> Result<Response<Tenant>, Status> {
        tenants::update_tenant(&self.store, req).await
    }

    async fn suspend_tenant(&self, req: Request<SuspendTenantRequest>) -> Result<Response<Tenant>, Status> {
        tenants::suspend_tenant(&self.store, req).await
    }

    async fn resume_tenant(&self, req: Request<ResumeTenantRequest>) -> Result<Response<Tenant>, Status> {
        tenants::resume_tenant(&self.store, req).await
    }

    async fn delete_tenant(&self, req: Request<DeleteTenantRequest>) -> Result<Response<DeleteTenantResponse>, Status> {
        tenants::delete_tenant(&self.store, req).await
    }

    async fn issue_token(&self, req: Request<IssueTokenRequest>) -> Result<Response<IssueTokenResponse>, Status> {
        credentials::issue_token(&self.store, req).await
    }

    async fn list_tokens(&self, req: Request<ListTokensRequest>) -> Result<Response<ListTokensResponse>, Status> {
        credentials::list_tokens(&self.store, req).await
    }

    async fn revoke_token(&self, req: Request<RevokeTokenRequest>) -> Result<Response<Token>, Status> {
        credentials::revoke_token(&self.store, req).await
    }

    async fn create_service_account(
        &self,
        req: Request<CreateServiceAccountRequest>,
    ) -> Result<Response<CreateServiceAccountResponse>, Status> {
        credentials::create_service_account(&self.store, req).await
    }

    async fn list_service_accounts(
        &self,
        req: Request<ListServiceAccountsRequest>,
    ) -> Result<Response<ListServiceAccountsResponse>, Status> {
        credentials::list_service_accounts(&self.store, req).await
    }

    async fn revoke_service_account(
        &self,
        req: Request<RevokeServiceAccountRequest>,
    ) -> Result<Response<ServiceAccount>, Status> {
        credentials::revoke_service_account(&self.store, req).await
    }

    async fn set_tenant_oauth(&self, req: Request<SetTenantOauthRequest>) -> Result<Response<Tenant>, Status> {
        oauth::set_tenant_oauth(&self.store, req).await
    }

    async fn set_tenant_limits(&self, req: Request<SetTenantLimitsRequest>) -> Result<Response<Tenant>, Status> {
        limits::set_tenant_limits(&self.store, req).await
    }

    async fn add_schema(&self, req: Request<AddSchemaRequest>) -> Result<Response<Schema>, Status> {
        schemas::add_schema(&self.store, req).await
    }

    async fn list_tenant_schemas(
        &self,
        req: Request<ListTenantSchemasRequest>,
    ) -> Result<Response<ListSchemasResponse>, Status> {
        schemas::list_tenant_schemas(&self.store, req).await
    }

    async fn delete_schema(&self, req: Request<DeleteSchemaRequest>) -> Result<Response<DeleteSchemaResponse>, Status> {
        schemas::delete_schema(&self.store, req).await
    }

    async fn list_audit_events(
        &self,
        req: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        audit::list_audit_events(&self.store, req).await
    }
}
