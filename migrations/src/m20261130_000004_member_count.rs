//! `groups.member_count`: the number of direct members, maintained with
//! every membership change so a group's size is read, never counted.
//! Expand-safe: a new column with a default; existing groups are counted
//! once here.

use sea_orm_migration::prelude::*;

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
        manager
            .alter_table(
                Table::alter()
                    .table(Groups::Table)
                    .add_column(ColumnDef::new(Groups::MemberCount).big_integer().not_null().default(0))
                    .to_owned(),
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
