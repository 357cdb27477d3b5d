//! Per-tenant resource counts, written in the same transaction as every
//! create and delete: the total of an unfiltered list is read here (at most
//! [`SHARDS`] primary-key rows), never counted over the table.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::entities::tenant_counters;
use crate::domain::TenantId;
use crate::error::Result;

pub const USERS: &str = "users";
pub const GROUPS: &str = "groups";
/// Rows a count is spread over: concurrent writers of one tenant rarely
/// touch the same row (no queue on one InnoDB row lock, few Galera
/// certification conflicts). With 8, creates through two Galera nodes at
/// once collided on a shard in about one transaction of nine
/// (`wsrep_log_conflicts` named this upsert in every conflict); 64 makes
/// that about eight times rarer, and a read sums at most 64 rows of one
/// primary-key range. Older replicas writing shards 0-7 stay compatible.
const SHARDS: u32 = 64;

/// Adds `delta` to the tenant's count of `resource` (one upsert).
pub async fn add(txn: &DatabaseTransaction, tenant: &TenantId, resource: &'static str, delta: i64) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let shard = i32::try_from(getrandom::u32().unwrap_or(0) % SHARDS).unwrap_or(0);
    tenant_counters::Entity::insert(tenant_counters::ActiveModel {
        tenant_id: Set(tenant.as_str().to_owned()),
        resource: Set(resource.to_owned()),
        shard: Set(shard),
        n: Set(delta),
    })
    .on_conflict(
        OnConflict::columns([
            tenant_counters::Column::TenantId,
            tenant_counters::Column::Resource,
            tenant_counters::Column::Shard,
        ])
        .value(tenant_counters::Column::N, Expr::col(tenant_counters::Column::N).add(delta))
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The tenant's number of `resource`.
pub async fn total<C: ConnectionTrait>(conn: &C, tenant: &TenantId, resource: &str) -> Result<u64> {
    let rows: Vec<i64> = tenant_counters::Entity::find()
        .select_only()
        .column(tenant_counters::Column::N)
        .filter(tenant_counters::Column::TenantId.eq(tenant.as_str()))
        .filter(tenant_counters::Column::Resource.eq(resource))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(u64::try_from(rows.iter().sum::<i64>()).unwrap_or(0))
}
