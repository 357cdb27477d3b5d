//! `tenant_limits`: a tenant's overrides of the server's default request
//! limits (`identity-core tenant set-limits`, AdminService.SetTenantLimits).
//! A NULL column keeps the server's default; a tenant without a row has
//! no overrides.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantLimits {
    Table,
    TenantId,
    Rps,
    Burst,
    Concurrency,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, TenantLimits::Table)
                    .col(uuid(TenantLimits::TenantId).primary_key())
                    .col(ColumnDef::new(TenantLimits::Rps).integer().null())
                    .col(ColumnDef::new(TenantLimits::Burst).integer().null())
                    .col(ColumnDef::new(TenantLimits::Concurrency).integer().null())
                    .to_owned(),
            )
            .await
    }
}
