//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`,
//! `/Schemas`, generated from the schema registry that also validates, so
//! they cannot disagree. Read-only: other methods answer 405.

use axum::extract::Path;
use serde_json::json;

use super::{bulk, list_response};
use crate::error::{ScimError, ScimResult};
use crate::extract::Ctx;
use crate::query::{DEFAULT_COUNT, MAX_COUNT};
use crate::response::Scim;
use crate::schema::{self, Capabilities, ResourceKind};
use crate::strict::Mode;

/// Minimum lifetime of a cursor, in seconds (identity-core's default page
/// token lifetime).
const CURSOR_TIMEOUT_SECS: u64 = 3600;

/// What this server really supports; every flag is backed by tests.
fn capabilities(mode: Mode) -> Capabilities {
    Capabilities {
        patch: true,
        bulk: Some((bulk::MAX_OPERATIONS, bulk::MAX_PAYLOAD_SIZE)),
        filter_max_results: MAX_COUNT,
        sort: true,
        etag: true,
        change_password: false,
        interop_profile_conformant: mode.is_strict(),
        documentation_uri: None,
    }
}

/// GET /ServiceProviderConfig (per tenant: a strict tenant claims the
/// interoperability profile).
pub async fn service_provider_config(ctx: Ctx) -> ScimResult<Scim> {
    let mut doc = schema::service_provider_config_json(&capabilities(ctx.mode()), &ctx.base);
    // RFC 9865 §4: both paging methods; cursors live at least an hour
    // (identity-core's page token lifetime).
    doc["pagination"] = json!({
        "cursor": true,
        "index": true,
        "defaultPaginationMethod": "index",
        "defaultPageSize": DEFAULT_COUNT,
        "maxPageSize": MAX_COUNT,
        "cursorTimeout": CURSOR_TIMEOUT_SECS,
    });
    Ok(Scim::ok(doc))
}

/// GET /ResourceTypes (with the tenant's extension schemas).
pub async fn resource_types(ctx: Ctx) -> ScimResult<Scim> {
    let all: Vec<_> =
        ctx.registry().kinds().into_iter().map(|k| schema::resource_type_json(ctx.scope(k), &ctx.base)).collect();
    Ok(Scim::ok(list_response(all.len() as u64, 1, all)))
}

/// GET /ResourceTypes/{id}.
pub async fn resource_type(ctx: Ctx, Path(id): Path<String>) -> ScimResult<Scim> {
    let kind = ResourceKind::from_name(&id)
        .filter(|k| ctx.registry().kinds().contains(k))
        .ok_or_else(|| ScimError::not_found(format!("resource type {id} not found")))?;
    Ok(Scim::ok(schema::resource_type_json(ctx.scope(kind), &ctx.base)))
}

/// GET /Schemas: RFC 7643's and the tenant's own.
pub async fn schemas(ctx: Ctx) -> ScimResult<Scim> {
    let all: Vec<_> = ctx.registry().all_schemas().iter().map(|d| schema::schema_json(d, &ctx.base)).collect();
    Ok(Scim::ok(list_response(all.len() as u64, 1, all)))
}

/// GET /Schemas/{urn}.
pub async fn schema_by_id(ctx: Ctx, Path(id): Path<String>) -> ScimResult<Scim> {
    let def = ctx.registry().find_schema(&id).ok_or_else(|| ScimError::not_found(format!("schema {id} not found")))?;
    Ok(Scim::ok(schema::schema_json(def, &ctx.base)))
}
