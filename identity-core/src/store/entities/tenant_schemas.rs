//! `tenant_schemas`: a tenant's extension schemas (protobuf-encoded
//! `identity.v1.Schema`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_schemas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub urn: String,
    /// "User" or "Group".
    pub resource_type: String,
    pub definition: Vec<u8>,
    pub created_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
