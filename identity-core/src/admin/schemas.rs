//! A tenant's extension schemas: add, list, delete. Deleting a schema also
//! deletes every value stored under it, in bounded batches.

use proto::v1::Schema;

use super::tenants::visible;
use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::store::{Store, purge, schemas};

/// Declares `schema` for the tenant `tenant` (id or name).
pub async fn add(store: &Store, actor: &Principal, tenant: &str, schema: Schema) -> Result<Schema> {
    let t = visible(store, actor, tenant).await?;
    schemas::create(store, &t.id, schema).await
}

/// The tenant's extension schemas, by id.
pub async fn list(store: &Store, actor: &Principal, tenant: &str) -> Result<Vec<Schema>> {
    let t = visible(store, actor, tenant).await?;
    schemas::all(store, &t.id).await
}

/// Deletes the schema `urn` and its stored values; returns how many values
/// went. The declaration goes first (no new value can be written under it),
/// then the values; run again after an interruption, it purges what is
/// left (NOT_FOUND only when neither is left).
pub async fn delete(store: &Store, actor: &Principal, tenant: &str, urn: &str) -> Result<u64> {
    let t = visible(store, actor, tenant).await?;
    let urn = urn.trim();
    if urn.is_empty() {
        return Err(Error::MissingField { field: "schema_id" });
    }
    let declared = schemas::delete(store, &t.id, urn).await?;
    let values = purge::schema_values(store, &t.id, declared.as_deref().unwrap_or(urn)).await?;
    if declared.is_none() && values == 0 {
        return Err(Error::NotFound { kind: "Schema", id: urn.to_owned() });
    }
    Ok(values)
}
