//! AdminService: a tenant's OAuth 2.0 issuer.

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::Store;

pub async fn set_tenant_oauth(
    _store: &Store,
    _req: Request<SetTenantOauthRequest>,
) -> Result<Response<Tenant>, Status> {
    Err(Error::Unimplemented("AdminService.SetTenantOauth").into())
}
