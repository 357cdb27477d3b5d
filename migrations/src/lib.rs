//! SeaORM migrations of identity-core's database, one `Migrator` for MySQL /
//! MariaDB and SQLite. Forward-only; each step must be safe to deploy while
//! the previous release still runs (expand, then contract in a later step).
//!
//! Rules every table follows (so the schema runs on a Galera cluster):
//! a primary key, InnoDB, utf8mb4 with binary collation on MySQL (string
//! comparisons mean the same on both backends; case-insensitive matching uses
//! the `*_lower` columns, which identity-core fills), and timestamps as
//! microseconds since the Unix epoch in BIGINT columns.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod ddl;
mod m20261129_000001_foundation;
mod m20261130_000002_secrets;
mod m20261130_000003_custom_schemas;
mod m20261130_000004_member_count;
mod m20261201_000004_counters;
mod m20261201_000005_request_ids;
mod m20261201_000006_schema_enum_numbers;
mod m20261202_000007_credentials;
mod m20261202_000008_oauth;
mod m20261202_000009_limits;
mod m20261202_000010_audit;

/// Recomputes every group's `member_count` from its memberships (the
/// migration that fixed re-added members runs it, and so does
/// `identity-core repair member-counts`).
pub const RECOUNT_MEMBERS: &str = "UPDATE `groups` SET member_count = (SELECT COUNT(*) FROM group_members gm \
     WHERE gm.tenant_id = `groups`.tenant_id AND gm.group_id = `groups`.id)";

/// Applies the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261130_000002_secrets::Migration),
            Box::new(m20261130_000003_custom_schemas::Migration),
            Box::new(m20261130_000004_member_count::Migration),
            Box::new(m20261201_000004_counters::Migration),
            Box::new(m20261201_000005_request_ids::Migration),
            Box::new(m20261201_000006_schema_enum_numbers::Migration),
            Box::new(m20261202_000007_credentials::Migration),
            Box::new(m20261202_000008_oauth::Migration),
            Box::new(m20261202_000009_limits::Migration),
            Box::new(m20261202_000010_audit::Migration),
        ]
    }
}
