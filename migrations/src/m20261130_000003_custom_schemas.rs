//! Per-tenant extension schemas (Okta custom attributes) and their values,
//! one row per value so filters on them are indexed lookups.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, index, micros, short, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantSchemas {
    Table,
    TenantId,
    Urn,
    ResourceType,
    Definition,
    CreatedUs,
}

#[derive(DeriveIden)]
enum CustomValues {
    Table,
    TenantId,
    ResourceId,
    AttrKey,
    Ordinal,
    ValueJson,
    StrValue,
    StrLower,
    NumValue,
    BoolValue,
    TimeUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, TenantSchemas::Table)
                    .col(uuid(TenantSchemas::TenantId))
                    .col(ColumnDef::new(TenantSchemas::Urn).string_len(190).not_null())
                    .col(ColumnDef::new(TenantSchemas::ResourceType).string_len(8).not_null())
                    .col(ColumnDef::new(TenantSchemas::Definition).blob().not_null())
                    .col(micros(TenantSchemas::CreatedUs))
                    .primary_key(Index::create().col(TenantSchemas::TenantId).col(TenantSchemas::Urn))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                create(manager, CustomValues::Table)
                    .col(uuid(CustomValues::TenantId))
                    .col(uuid(CustomValues::ResourceId))
                    .col(ColumnDef::new(CustomValues::AttrKey).string_len(255).not_null())
                    .col(ColumnDef::new(CustomValues::Ordinal).integer().not_null())
                    .col(ColumnDef::new(CustomValues::ValueJson).text().not_null())
                    .col(text(CustomValues::StrValue))
                    .col(short(CustomValues::StrLower))
                    .col(ColumnDef::new(CustomValues::NumValue).double().null())
                    .col(ColumnDef::new(CustomValues::BoolValue).boolean().null())
                    .col(ColumnDef::new(CustomValues::TimeUs).big_integer().null())
                    .primary_key(
                        Index::create()
                            .col(CustomValues::TenantId)
                            .col(CustomValues::ResourceId)
                            .col(CustomValues::AttrKey)
                            .col(CustomValues::Ordinal),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_custom_values_str", CustomValues::StrLower),
            ("ix_custom_values_num", CustomValues::NumValue),
            ("ix_custom_values_time", CustomValues::TimeUs),
        ] {
            index(manager, name, CustomValues::Table, [CustomValues::TenantId, CustomValues::AttrKey, col], false)
                .await?;
        }
        Ok(())
    }
}
