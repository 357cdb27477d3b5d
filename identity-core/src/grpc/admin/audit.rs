//! AdminService: the audit trail.

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::Store;

pub async fn list_audit_events(
    _store: &Store,
    _req: Request<ListAuditEventsRequest>,
) -> Result<Response<ListAuditEventsResponse>, Status> {
    Err(Error::Unimplemented("AdminService.ListAuditEvents").into())
}
