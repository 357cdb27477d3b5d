//! `api_tokens`: tenants' bearer tokens, stored as SHA-256 hashes, with a
//! public id, a label and their lifetime.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub tenant_id: String,
    pub created_us: i64,
    /// "tok_…": what `token revoke` and the audit trail name. NULL for a
    /// token the previous release created (see [`crate::store::credentials`]).
    pub id: Option<String>,
    pub label: String,
    pub expires_us: Option<i64>,
    /// Coarse: written at most once a minute per token and process.
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
