//! `audit_events`: the audit trail, one row per write or admin action
//! (who, what, on which resource, with what outcome), written in the same
//! transaction as the write it records; a failed write's row is written
//! afterwards, on its own.
//!
//! Order: `id` is an auto-increment BIGINT. On one MariaDB server or SQLite
//! it increases with every insert. On a Galera cluster each node hands out
//! its own interleaved sequence (`auto_increment_increment` /
//! `auto_increment_offset`): ids stay unique and increase per node, but an
//! id taken on one node may commit after a higher one taken on another. The
//! listing is fine with that; a resuming consumer of a change stream is not
//! (it could skip a late commit below its position), so the outbox planned
//! next needs an order of its own (e.g. a sequence assigned at commit by
//! one writer), not this id.

use sea_orm_migration::prelude::*;

use crate::ddl::{create, index, micros};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TimeUs,
    TenantId,
    CredentialId,
    Operation,
    ResourceType,
    ResourceId,
    Outcome,
    RequestId,
}

/// A short not-null string ("" when unknown): indexed columns stay within
/// MySQL's key length.
fn label(col: AuditEvents, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().default("").to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, AuditEvents::Table)
                    .col(ColumnDef::new(AuditEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(micros(AuditEvents::TimeUs))
                    // "" for actions on no tenant.
                    .col(label(AuditEvents::TenantId, 36))
                    .col(label(AuditEvents::CredentialId, 255))
                    .col(label(AuditEvents::Operation, 128))
                    .col(label(AuditEvents::ResourceType, 32))
                    .col(label(AuditEvents::ResourceId, 255))
                    .col(label(AuditEvents::Outcome, 32))
                    .col(label(AuditEvents::RequestId, 128))
                    .to_owned(),
            )
            .await?;
        // A tenant's events, newest first (ListAuditEvents, `audit list`).
        index(manager, "audit_events_tenant", AuditEvents::Table, [AuditEvents::TenantId, AuditEvents::Id], false)
            .await?;
        // One resource's history.
        index(
            manager,
            "audit_events_resource",
            AuditEvents::Table,
            [AuditEvents::TenantId, AuditEvents::ResourceType, AuditEvents::ResourceId, AuditEvents::Id],
            false,
        )
        .await?;
        // Retention deletes by age.
        index(manager, "audit_events_time", AuditEvents::Table, [AuditEvents::TimeUs], false).await
    }
}
