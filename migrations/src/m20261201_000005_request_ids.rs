//! `request_ids`: the first result of each create that carried a request id
//! (AIP-155), per tenant, so a retry returns it instead of creating again.
//! Rows expire after a day; identity-core deletes a tenant's expired rows as
//! it adds new ones.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, index, micros, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestIds {
    Table,
    TenantId,
    RequestId,
    Method,
    Fingerprint,
    Response,
    CreatedUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, RequestIds::Table)
                    .col(uuid(RequestIds::TenantId))
                    .col(ColumnDef::new(RequestIds::RequestId).string_len(128).not_null())
                    .col(ColumnDef::new(RequestIds::Method).string_len(64).not_null())
                    .col(ColumnDef::new(RequestIds::Fingerprint).string_len(64).not_null())
                    // NULL while the first call runs.
                    .col(ColumnDef::new(RequestIds::Response).blob().null())
                    .col(micros(RequestIds::CreatedUs))
                    .primary_key(Index::create().col(RequestIds::TenantId).col(RequestIds::RequestId))
                    .to_owned(),
            )
            .await?;
        index(manager, "request_ids_expiry", RequestIds::Table, [RequestIds::TenantId, RequestIds::CreatedUs], false)
            .await
    }
}
