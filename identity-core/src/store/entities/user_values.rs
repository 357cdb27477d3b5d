//! `user_values`: one row per element of a user's multi-valued attributes
//! (emails, phoneNumbers, ims, photos, addresses, entitlements, roles,
//! x509Certificates), so filters on them are indexed lookups.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// The SCIM attribute name, e.g. "emails".
    #[sea_orm(primary_key, auto_increment = false)]
    pub attr: String,
    /// Position within the collection, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub ordinal: i32,
    pub value: Option<String>,
    /// Lower-cased `value`, cut to 255 characters: the indexed lookup key.
    pub value_lower: Option<String>,
    /// The `type` sub-attribute.
    pub kind: Option<String>,
    pub display: Option<String>,
    pub is_primary: bool,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
