//! Bounded deletes: a tenant's rows (`tenant delete`) and the values of a
//! deleted extension schema, [`BATCH`] rows per statement, each statement
//! its own transaction, so a purge never holds long locks or one huge
//! transaction (Galera caps write-set size). An interrupted purge resumes
//! where it stopped when run again: every batch deletes whatever is left.
//!
//! SQLite has no `DELETE … LIMIT` in its default build: it deletes by the
//! rowids a `LIMIT`ed select names instead.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::{Store, in_tx};
use crate::domain::TenantId;
use crate::error::Result;

/// Rows per delete statement.
pub const BATCH: u64 = 1000;

/// Every table holding a tenant's rows, children before parents. A new
/// table with a `tenant_id` column belongs here (the purge test checks
/// every such table in the schema).
pub const TENANT_TABLES: &[&str] = &[
    "group_members",
    "custom_values",
    "user_values",
    "users",
    "groups",
    "tenant_schemas",
    "tenant_counters",
    "request_ids",
    "api_tokens",
    "service_accounts",
    "tenant_oauth",
    "tenant_limits",
];

/// Tables with a `tenant_id` column that a tenant delete leaves: the audit
/// trail outlives the tenant (its deletion included) until the retention
/// setting removes it.
pub const KEPT_TABLES: &[&str] = &["audit_events"];

/// Deletes every row of `tenant` in [`TENANT_TABLES`] (not the tenant row
/// itself); returns how many.
pub async fn tenant(store: &Store, tenant: &TenantId) -> Result<u64> {
    let mut total = 0;
    for table in TENANT_TABLES {
        total += batches(store, table, "tenant_id = ?", vec![tenant.as_str().into()]).await?;
    }
    Ok(total)
}

/// Deletes the values stored under the extension schema `urn` in `tenant`
/// (attribute keys `<urn>:<name>`); returns how many.
pub async fn schema_values(store: &Store, tenant: &TenantId, urn: &str) -> Result<u64> {
    // Keys from "<urn>:" up to "<urn>;" (';' follows ':'): an index range,
    // with no LIKE pattern to escape.
    let values = vec![tenant.as_str().into(), format!("{urn}:").into(), format!("{urn};").into()];
    batches(store, "custom_values", "tenant_id = ? AND attr_key >= ? AND attr_key < ?", values).await
}

/// Deletes the rows of `table` matching `condition`, [`BATCH`] at a time,
/// until none is left; returns how many.
async fn batches(store: &Store, table: &str, condition: &str, values: Vec<Value>) -> Result<u64> {
    let sql = match store.backend() {
        DbBackend::MySql => format!("DELETE FROM `{table}` WHERE {condition} LIMIT {BATCH}"),
        _ => format!(
            "DELETE FROM \"{table}\" WHERE rowid IN (SELECT rowid FROM \"{table}\" WHERE {condition} LIMIT {BATCH})"
        ),
    };
    let mut total = 0;
    loop {
        let stmt = Statement::from_sql_and_values(store.backend(), sql.clone(), values.clone());
        let deleted = in_tx(store, |txn| {
            let stmt = stmt.clone();
            Box::pin(async move { Ok(txn.execute_raw(stmt).await?.rows_affected()) })
        })
        .await?;
        total += deleted;
        if deleted < BATCH {
            return Ok(total);
        }
    }
}
