//! `audit_events`: one row per write or admin action (see `store::audit`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Increasing (per node on Galera; see the migration).
    #[sea_orm(primary_key)]
    pub id: i64,
    pub time_us: i64,
    /// "" for actions on no tenant.
    pub tenant_id: String,
    pub credential_id: String,
    pub operation: String,
    pub resource_type: String,
    pub resource_id: String,
    pub outcome: String,
    pub request_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
