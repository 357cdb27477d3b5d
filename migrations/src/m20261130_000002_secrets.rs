//! `secrets`: server-side keys shared by every identity-core replica (the
//! key that signs page tokens). Created empty; identity-core inserts a
//! random key on first use.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, micros};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Secrets {
    Table,
    Name,
    Value,
    CreatedUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, Secrets::Table)
                    .col(ColumnDef::new(Secrets::Name).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Secrets::Value).string_len(255).not_null())
                    .col(micros(Secrets::CreatedUs))
                    .to_owned(),
            )
            .await
    }
}
