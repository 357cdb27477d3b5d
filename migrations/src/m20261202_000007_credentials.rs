//! Credentials with identities and lifetimes, and tenant states.
//!
//! - `api_tokens` gains a public `id` ("tok_…", what `token revoke` and the
//!   audit trail name), a `label`, an optional expiry, a coarse last use
//!   and a revocation time. Existing tokens get ids derived from their
//!   hash's first 24 hex digits (not secret: the hash of 256 random bits);
//!   so do tokens the previous release still creates (identity-core
//!   derives the same id for a NULL one).
//! - `service_accounts`: credentials of internal gRPC callers, with a scope
//!   and an optional tenant.
//! - `tenants.state`: active, suspended or deleting.
//!
//! Expand-only (new nullable or defaulted columns, a new table), so the
//! previous release keeps running; every step is re-runnable.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::ddl::{add_column, create, index, micros};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Label,
    ExpiresUs,
    LastUsedUs,
    RevokedUs,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    State,
}

#[derive(DeriveIden)]
enum ServiceAccounts {
    Table,
    Id,
    Name,
    Scope,
    TenantId,
    SecretHash,
    CreatedUs,
    LastUsedUs,
    RevokedUs,
}

fn optional_micros(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Nullable, not defaulted: the previous release inserts tokens without
        // an id while this one is rolled out, and a unique index allows many
        // NULLs (never two equal defaults). identity-core gives such a token
        // the id this backfill would.
        add_column(manager, ApiTokens::Table, ColumnDef::new(ApiTokens::Id).string_len(40).null().to_owned()).await?;
        add_column(
            manager,
            ApiTokens::Table,
            ColumnDef::new(ApiTokens::Label).string_len(255).not_null().default("").to_owned(),
        )
        .await?;
        for col in [ApiTokens::ExpiresUs, ApiTokens::LastUsedUs, ApiTokens::RevokedUs] {
            add_column(manager, ApiTokens::Table, optional_micros(col)).await?;
        }
        let backfill = match manager.get_database_backend() {
            DbBackend::MySql => "UPDATE api_tokens SET id = CONCAT('tok_', LEFT(token_hash, 24)) WHERE id IS NULL",
            _ => "UPDATE api_tokens SET id = 'tok_' || substr(token_hash, 1, 24) WHERE id IS NULL",
        };
        manager.get_connection().execute_unprepared(backfill).await?;
        index(manager, "ux_api_tokens_id", ApiTokens::Table, [ApiTokens::Id], true).await?;

        add_column(
            manager,
            Tenants::Table,
            ColumnDef::new(Tenants::State).string_len(16).not_null().default("active").to_owned(),
        )
        .await?;

        manager
            .create_table(
                create(manager, ServiceAccounts::Table)
                    .col(ColumnDef::new(ServiceAccounts::Id).string_len(40).not_null().primary_key())
                    .col(ColumnDef::new(ServiceAccounts::Name).string_len(255).not_null())
                    .col(ColumnDef::new(ServiceAccounts::Scope).string_len(8).not_null())
                    .col(ColumnDef::new(ServiceAccounts::TenantId).string_len(36).null())
                    .col(ColumnDef::new(ServiceAccounts::SecretHash).string_len(64).not_null())
                    .col(micros(ServiceAccounts::CreatedUs))
                    .col(optional_micros(ServiceAccounts::LastUsedUs))
                    .col(optional_micros(ServiceAccounts::RevokedUs))
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_service_accounts_secret", ServiceAccounts::Table, [ServiceAccounts::SecretHash], true)
            .await?;
        index(manager, "ix_service_accounts_tenant", ServiceAccounts::Table, [ServiceAccounts::TenantId], false).await
    }
}
