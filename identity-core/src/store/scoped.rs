//! Tenant-scoped query constructors. Every read and write of tenant data
//! starts here, so a query without its tenant filter is hard to write.

use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};

use super::entities::{custom_values, group_members, groups, request_ids, user_values, users};
use crate::domain::TenantId;

/// The per-tenant tables and their tenant column.
pub trait Scoped: EntityTrait {
    fn tenant_col() -> Self::Column;

    /// `SELECT … WHERE tenant_id = ?`.
    fn find_in(tenant: &TenantId) -> Select<Self> {
        Self::find().filter(Self::tenant_col().eq(tenant.as_str()))
    }

    /// `DELETE … WHERE tenant_id = ?`.
    fn delete_in(tenant: &TenantId) -> DeleteMany<Self> {
        Self::delete_many().filter(Self::tenant_col().eq(tenant.as_str()))
    }

    /// `UPDATE … WHERE tenant_id = ?`.
    fn update_in(tenant: &TenantId) -> UpdateMany<Self> {
        Self::update_many().filter(Self::tenant_col().eq(tenant.as_str()))
    }
}

impl Scoped for users::Entity {
    fn tenant_col() -> users::Column {
        users::Column::TenantId
    }
}

impl Scoped for user_values::Entity {
    fn tenant_col() -> user_values::Column {
        user_values::Column::TenantId
    }
}

impl Scoped for groups::Entity {
    fn tenant_col() -> groups::Column {
        groups::Column::TenantId
    }
}

impl Scoped for group_members::Entity {
    fn tenant_col() -> group_members::Column {
        group_members::Column::TenantId
    }
}

impl Scoped for custom_values::Entity {
    fn tenant_col() -> custom_values::Column {
        custom_values::Column::TenantId
    }
}

impl Scoped for request_ids::Entity {
    fn tenant_col() -> request_ids::Column {
        request_ids::Column::TenantId
    }
}
