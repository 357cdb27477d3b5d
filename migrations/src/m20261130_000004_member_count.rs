//! `groups.member_count`: the number of direct members, maintained with
//! every membership change so a group's size is read, never counted.
//! Expand-safe: a new column with a default; existing groups are counted
//! once here (a recount, so a re-run is harmless).

use sea_orm_migration::prelude::*;

use crate::ddl::add_column;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Groups {
    Table,
    MemberCount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Groups::Table,
            ColumnDef::new(Groups::MemberCount).big_integer().not_null().default(0).to_owned(),
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE `groups` SET member_count = (SELECT COUNT(*) FROM group_members gm \
                 WHERE gm.tenant_id = `groups`.tenant_id AND gm.group_id = `groups`.id)",
            )
            .await?;
        Ok(())
    }
}
