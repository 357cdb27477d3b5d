//! A tenant's overrides of the default request limits, one primary-key row
//! (`tenant_limits`). Read by [`crate::limits`] at most once per tenant per
//! cache period, written by [`crate::admin::limits`].

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait};

use super::entities::tenant_limits;
use super::{Store, audit, in_tx};
use crate::domain::TenantId;
use crate::error::Result;

/// A tenant's overrides; `None`: the server's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub rps: Option<u32>,
    pub burst: Option<u32>,
    pub concurrency: Option<u32>,
}

impl Overrides {
    fn from_row(row: tenant_limits::Model) -> Self {
        let positive = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0);
        Self { rps: positive(row.rps), burst: positive(row.burst), concurrency: positive(row.concurrency) }
    }
}

/// The tenant's overrides (all `None` when it has none).
pub async fn get(store: &Store, tenant: &TenantId) -> Result<Overrides> {
    let row = tenant_limits::Entity::find_by_id(tenant.as_str().to_owned()).one(store.conn()).await?;
    Ok(row.map(Overrides::from_row).unwrap_or_default())
}

/// Replaces the tenant's overrides (one upsert, in a transaction with its
/// audit event).
pub async fn set(store: &Store, tenant: &TenantId, o: Overrides) -> Result<()> {
    in_tx(store, |txn| {
        let tenant = tenant.clone();
        Box::pin(async move { upsert(txn, &tenant, o).await })
    })
    .await
}

async fn upsert(txn: &DatabaseTransaction, tenant: &TenantId, o: Overrides) -> Result<()> {
    audit::wrote(txn, tenant, "Tenant", tenant.as_str()).await?;
    let db = |v: Option<u32>| v.and_then(|v| i32::try_from(v).ok());
    tenant_limits::Entity::insert(tenant_limits::ActiveModel {
        tenant_id: Set(tenant.as_str().to_owned()),
        rps: Set(db(o.rps)),
        burst: Set(db(o.burst)),
        concurrency: Set(db(o.concurrency)),
    })
    .on_conflict(
        OnConflict::column(tenant_limits::Column::TenantId)
            .update_columns([
                tenant_limits::Column::Rps,
                tenant_limits::Column::Burst,
                tenant_limits::Column::Concurrency,
            ])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
