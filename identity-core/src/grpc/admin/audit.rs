//! AdminService: the audit trail ([`crate::admin::audit`]).

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::admin::audit::{self, Listing};
use crate::store::Store;

pub async fn list_audit_events(
    store: &Store,
    req: Request<ListAuditEventsRequest>,
) -> Result<Response<ListAuditEventsResponse>, Status> {
    let actor = super::super::principal(store, &req).await?;
    let ListAuditEventsRequest { tenant, resource_type, resource_id, since, until, page_size, page_token } =
        req.into_inner();
    let page = super::super::page(page_size, &page_token, 0, false)?;
    let micros = |t: prost_types::Timestamp| {
        t.seconds.saturating_mul(1_000_000).saturating_add(i64::from(t.nanos.clamp(0, 999_999_999) / 1000))
    };
    let listing =
        Listing { tenant, resource_type, resource_id, since_us: since.map(micros), until_us: until.map(micros) };
    let listed = audit::list(store, &actor, listing, &page).await?;
    Ok(Response::new(ListAuditEventsResponse { events: listed.items, next_page_token: listed.next_token }))
}
