//! `tenant_counters`: how many users and groups each tenant has, kept in
//! the same transaction as every create and delete, so an unfiltered list
//! reads its total instead of counting a million rows. A tenant's count is
//! spread over a few shard rows (summed on read) so concurrent creates do
//! not all queue on, or conflict over, one row (InnoDB row locks, Galera
//! certification).
//!
//! Also recomputes `groups.member_count`: on MySQL / MariaDB, re-adding an
//! existing member used to count it again.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantCounters {
    Table,
    TenantId,
    Resource,
    Shard,
    N,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, TenantCounters::Table)
                    .if_not_exists()
                    .col(uuid(TenantCounters::TenantId))
                    .col(ColumnDef::new(TenantCounters::Resource).string_len(16).not_null())
                    .col(ColumnDef::new(TenantCounters::Shard).integer().not_null())
                    .col(ColumnDef::new(TenantCounters::N).big_integer().not_null().default(0))
                    .primary_key(
                        Index::create()
                            .col(TenantCounters::TenantId)
                            .col(TenantCounters::Resource)
                            .col(TenantCounters::Shard),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Idempotent: a rerun after a crash starts the counts over.
        db.execute_unprepared("DELETE FROM tenant_counters").await?;
        db.execute_unprepared(
            "INSERT INTO tenant_counters (tenant_id, resource, shard, n) \
             SELECT tenant_id, 'users', 0, COUNT(*) FROM users GROUP BY tenant_id",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO tenant_counters (tenant_id, resource, shard, n) \
             SELECT tenant_id, 'groups', 0, COUNT(*) FROM `groups` GROUP BY tenant_id",
        )
        .await?;
        db.execute_unprepared(crate::RECOUNT_MEMBERS).await?;
        Ok(())
    }
}
