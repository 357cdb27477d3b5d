//! `service_accounts`: credentials of internal gRPC callers (SHA-256 of the
//! secret), with a scope and an optional tenant.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_accounts")]
pub struct Model {
    /// "sa_…".
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// read, write or admin.
    pub scope: String,
    /// None: names its tenant per call (`x-tenant-id`).
    pub tenant_id: Option<String>,
    pub secret_hash: String,
    pub created_us: i64,
    pub last_used_us: Option<i64>,
    pub revoked_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::tenants::Entity", from = "Column::TenantId", to = "super::tenants::Column::Id")]
    Tenant,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
