//! `tenant_oauth`: the OAuth 2.0 issuer whose JWT access tokens (RFC 9068)
//! a tenant accepts, with the audience they must carry and where its JWKS
//! (RFC 7517) is: a URL, or a document given by hand. `(issuer, audience)`
//! is unique, so a token's `iss` and `aud` name exactly one tenant.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, index, micros, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantOauth {
    Table,
    TenantId,
    Issuer,
    Audience,
    JwksUrl,
    JwksJson,
    UpdatedUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, TenantOauth::Table)
                    .col(uuid(TenantOauth::TenantId).primary_key())
                    // 255 characters each: the unique key stays within
                    // InnoDB's 3072-byte limit in utf8mb4.
                    .col(ColumnDef::new(TenantOauth::Issuer).string_len(255).not_null())
                    .col(ColumnDef::new(TenantOauth::Audience).string_len(255).not_null())
                    .col(text(TenantOauth::JwksUrl))
                    .col(text(TenantOauth::JwksJson))
                    .col(micros(TenantOauth::UpdatedUs))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "tenant_oauth_issuer_audience",
            TenantOauth::Table,
            [TenantOauth::Issuer, TenantOauth::Audience],
            true,
        )
        .await
    }
}
