//! The user store: create, read, list (filtered in SQL), replace, modify,
//! delete. A user is one `users` row plus its `user_values` rows.

mod read;
pub(crate) mod rows;
mod update;

pub use update::{Field, update};

use read::assemble;

use proto::v1::{ResourceType, User};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, SqlErr, TryIntoModel,
};

use super::entities::{user_values, users};
use super::filter::Resource;
use super::paging::{self, ListRequest, Listed};
use super::scoped::Scoped;
use super::{Store, audit, counters, in_tx, schemas, time};
use crate::domain::{ResourceId, TenantId, ValidUser, check_version};
use crate::error::{Error, Result};

const KIND: &str = "User";

/// Creates a user; `ALREADY_EXISTS` when its userName is taken.
pub async fn create(store: &Store, tenant: &TenantId, user: ValidUser) -> Result<User> {
    let id = ResourceId::generate();
    let now = time::now_us();
    in_tx(store, |txn| {
        let (tenant, id, user) = (tenant.clone(), id.clone(), user.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            let row = rows::user_row(tenant.as_str(), id.as_str(), &user, 1, now, now);
            users::Entity::insert(row.clone()).exec_without_returning(txn).await.map_err(unique_user_name)?;
            let values = insert_values(txn, tenant.as_str(), id.as_str(), &user).await?;
            counters::add(txn, &tenant, counters::USERS, 1).await?;
            let extensions = user.get().extensions.as_ref().filter(|e| !e.fields.is_empty());
            if extensions.is_some() {
                schemas::insert(txn, &tenant, ResourceType::User, id.as_str(), extensions).await?;
                return load_one(txn, &tenant, &id).await;
            }
            // What was written is what a read would return: no read back.
            let row = row.try_into_model()?;
            let values = values.into_iter().map(|v| v.try_into_model()).collect::<Result<Vec<_>, _>>()?;
            Ok(rows::to_proto(row, values, Vec::new(), None))
        })
    })
    .await
}

/// Most users one import may create.
pub const MAX_IMPORT: usize = 10_000;
/// Users per batch of an import (their rows go through [`super::batch`]).
const INSERT_BATCH: usize = 500;

/// Creates many users in one transaction, in bounded multi-row INSERTs;
/// returns their ids in order.
pub async fn import(store: &Store, tenant: &TenantId, users: Vec<ValidUser>) -> Result<Vec<ResourceId>> {
    if users.len() > MAX_IMPORT {
        return Err(Error::invalid("users", format!("at most {MAX_IMPORT} users per import")));
    }
    let ids: Vec<ResourceId> = users.iter().map(|_| ResourceId::generate()).collect();
    let now = time::now_us();
    let users = std::sync::Arc::new(users);
    in_tx(store, |txn| {
        let (tenant, ids, users) = (tenant.clone(), ids.clone(), users.clone());
        Box::pin(async move {
            audit::wrote_all(txn, &tenant, KIND, &ids.iter().map(ResourceId::as_str).collect::<Vec<_>>()).await?;
            let needs_custom = users.iter().any(|u| u.get().extensions.as_ref().is_some_and(|e| !e.fields.is_empty()));
            let custom = if needs_custom {
                schemas::Custom::load(txn, &tenant, ResourceType::User).await?
            } else {
                schemas::Custom::default()
            };
            let pairs: Vec<(&ResourceId, &ValidUser)> = ids.iter().zip(users.iter()).collect();
            for chunk in pairs.chunks(INSERT_BATCH) {
                let rows = chunk.iter().map(|(id, u)| rows::user_row(tenant.as_str(), id.as_str(), u, 1, now, now));
                users::Entity::insert_many(rows).exec_without_returning(txn).await.map_err(unique_user_name)?;
                let mut values = Vec::new();
                let mut custom_rows = Vec::new();
                for (id, u) in chunk {
                    values.extend(rows::value_rows(tenant.as_str(), id.as_str(), u));
                    custom_rows.extend(custom.rows(&tenant, id.as_str(), u.get().extensions.as_ref(), true)?);
                }
                super::batch::insert(txn, &values).await?;
                super::batch::insert(txn, &custom_rows).await?;
            }
            counters::add(txn, &tenant, counters::USERS, i64::try_from(ids.len()).unwrap_or(0)).await?;
            Ok(ids)
        })
    })
    .await
}

/// Reads one user.
pub async fn get(store: &Store, tenant: &TenantId, id: &ResourceId) -> Result<User> {
    load_one(store.conn(), tenant, id).await
}

/// One page of the users matching the request's filter, in its order (id,
/// that is creation, order by default), and the number of matches.
pub async fn list(store: &Store, tenant: &TenantId, req: ListRequest<'_>) -> Result<Listed<User>> {
    let page = paging::page::<users::Entity>(store, tenant, Resource::User, req, users::Column::Id, |r| &r.id).await?;
    let Listed { items, total, next_token } = page;
    Ok(Listed { items: assemble(store.conn(), tenant, items).await?, total, next_token })
}

/// Replaces every writable attribute of a user (SCIM PUT).
pub async fn replace(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    user: ValidUser,
    expected: Option<i64>,
) -> Result<User> {
    rewrite(store, tenant, id, expected, Box::new(user)).await
}

async fn rewrite(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    expected: Option<i64>,
    user: Box<ValidUser>,
) -> Result<User> {
    in_tx(store, |txn| {
        let (tenant, id, user) = (tenant.clone(), id.clone(), user.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            let row = lock(txn, &tenant, &id).await?;
            check_version(expected, row.version)?;
            let (version, created) = (row.version, row.created_us);
            let next = user.as_ref().clone();
            let new_row = rows::user_row(tenant.as_str(), id.as_str(), &next, version + 1, created, time::now_us());
            write_row(txn, &tenant, &id, version, new_row).await?;
            user_values::Entity::delete_in(&tenant)
                .filter(user_values::Column::UserId.eq(id.as_str()))
                .exec(txn)
                .await?;
            insert_values(txn, tenant.as_str(), id.as_str(), &next).await?;
            schemas::write(txn, &tenant, ResourceType::User, id.as_str(), next.get().extensions.as_ref()).await?;
            load_one(txn, &tenant, &id).await
        })
    })
    .await
}

/// Deletes a user, its values and its memberships; the groups it left get a
/// new version.
pub async fn delete(store: &Store, tenant: &TenantId, id: &ResourceId, expected: Option<i64>) -> Result<()> {
    in_tx(store, |txn| {
        let (tenant, id) = (tenant.clone(), id.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            if expected.is_some() {
                let row = lock(txn, &tenant, &id).await?;
                check_version(expected, row.version)?;
            }
            let deleted = users::Entity::delete_in(&tenant).filter(users::Column::Id.eq(id.as_str())).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(not_found(&id));
            }
            counters::add(txn, &tenant, counters::USERS, -1).await?;
            super::members::forget_member(txn, &tenant, &id).await?;
            schemas::forget(txn, &tenant, id.as_str()).await?;
            user_values::Entity::delete_in(&tenant)
                .filter(user_values::Column::UserId.eq(id.as_str()))
                .exec(txn)
                .await?;
            Ok(())
        })
    })
    .await
}

/// Writes a user's new row over the version read: CONFLICT when another
/// write got there first (the transaction is then retried).
pub(super) async fn write_row(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    id: &ResourceId,
    version: i64,
    row: users::ActiveModel,
) -> Result<()> {
    let updated = users::Entity::update_in(tenant)
        .set(row)
        .filter(users::Column::Id.eq(id.as_str()))
        .filter(users::Column::Version.eq(version))
        .exec(txn)
        .await
        .map_err(unique_user_name)?;
    if updated.rows_affected == 0 {
        return Err(Error::Conflict);
    }
    Ok(())
}

/// Reads a row for update: locked until the transaction ends on MySQL
/// (SQLite serialises writers anyway).
pub(super) async fn lock(txn: &DatabaseTransaction, tenant: &TenantId, id: &ResourceId) -> Result<users::Model> {
    users::Entity::find_in(tenant)
        .filter(users::Column::Id.eq(id.as_str()))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: &ResourceId) -> Error {
    Error::NotFound { kind: KIND, id: id.as_str().to_owned() }
}

/// The only unique key a user write can break (the id is ours) is userName.
pub(super) fn unique_user_name(e: sea_orm::DbErr) -> Error {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "userName" },
        _ => Error::Database(e),
    }
}

/// Inserts the user's multi-valued rows (bounded multi-row INSERTs);
/// returns them.
pub(super) async fn insert_values(
    txn: &DatabaseTransaction,
    tenant: &str,
    id: &str,
    user: &ValidUser,
) -> Result<Vec<user_values::ActiveModel>> {
    let values = rows::value_rows(tenant, id, user);
    super::batch::insert(txn, &values).await?;
    Ok(values)
}

async fn load_one<C: ConnectionTrait>(conn: &C, tenant: &TenantId, id: &ResourceId) -> Result<User> {
    let row = users::Entity::find_in(tenant)
        .filter(users::Column::Id.eq(id.as_str()))
        .one(conn)
        .await?
        .ok_or_else(|| not_found(id))?;
    assemble(conn, tenant, vec![row]).await?.pop().ok_or_else(|| not_found(id))
}
