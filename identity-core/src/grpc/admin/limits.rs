//! AdminService: a tenant's request limits.

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::Store;

pub async fn set_tenant_limits(
    _store: &Store,
    _req: Request<SetTenantLimitsRequest>,
) -> Result<Response<Tenant>, Status> {
    Err(Error::Unimplemented("AdminService.SetTenantLimits").into())
}
