//! The group store. A group is one `groups` row; each direct membership is
//! one `group_members` row, so adding or removing a member writes one row
//! (plus the group's version) whatever the size of the group. Member lists
//! are loaded only when asked for.

use std::collections::BTreeSet;

use proto::v1::{Group, Member, ResourceMeta, ResourceType};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{group_members, groups, users};
use super::filter::Resource;
use super::paging::{self, ListRequest, Listed};
use super::scoped::Scoped;
use super::{Store, counters, in_tx, nesting, schemas, time};
use crate::domain::{MemberKind, MemberRef, ResourceId, TenantId, ValidGroup, check_version, version_string};
use crate::error::{Error, Result};

const KIND: &str = "Group";
/// Groups with more members than this never have them loaded into a Group
/// (page them with ListGroupMembers / ListMemberships): a group response
/// stays small whatever the group's size.
pub const MAX_INLINE_MEMBERS: i64 = 1_000;
/// Rows per INSERT / DELETE when a change touches many members: keeps every
/// statement (and a Galera write-set) bounded.
const BATCH: usize = 500;

/// New values for a group's own attributes; `None` leaves one unchanged.
#[derive(Clone, Debug, Default)]
pub struct GroupFields {
    pub display_name: Option<String>,
    pub external_id: Option<Option<String>>,
    /// Replaces every extension value (Some(None): removes them all).
    pub extensions: Option<Option<prost_types::Struct>>,
}

impl From<ValidGroup> for GroupFields {
    fn from(g: ValidGroup) -> Self {
        Self { display_name: Some(g.display_name), external_id: Some(g.external_id), extensions: Some(g.extensions) }
    }
}

/// One step of a membership change.
#[derive(Clone, Debug)]
pub enum MemberChange {
    Add(Vec<MemberRef>),
    Remove(Vec<ResourceId>),
    ReplaceAll(Vec<MemberRef>),
}

/// Creates a group with its initial members.
pub async fn create(
    store: &Store,
    tenant: &TenantId,
    group: ValidGroup,
    members: Vec<MemberRef>,
    include_members: bool,
) -> Result<Group> {
    let id = ResourceId::generate();
    let now = time::now_us();
    in_tx(store, |txn| {
        let (tenant, id, group, members) = (tenant.clone(), id.clone(), group.clone(), members.clone());
        Box::pin(async move {
            groups::Entity::insert(groups::ActiveModel {
                tenant_id: Set(tenant.as_str().to_owned()),
                id: Set(id.as_str().to_owned()),
                display_name_lower: Set(group.display_name.to_lowercase()),
                display_name: Set(group.display_name),
                external_id: Set(group.external_id),
                version: Set(1),
                created_us: Set(now),
                modified_us: Set(now),
                member_count: Set(0),
            })
            .exec_without_returning(txn)
            .await?;
            let added = add_members(txn, &tenant, &id, &members, now).await?;
            count_members(txn, &tenant, &id, added).await?;
            counters::add(txn, &tenant, counters::GROUPS, 1).await?;
            schemas::insert(txn, &tenant, ResourceType::Group, id.as_str(), group.extensions.as_ref()).await?;
            load_one(txn, &tenant, &id, include_members).await
        })
    })
    .await
}

/// Reads one group.
pub async fn get(store: &Store, tenant: &TenantId, id: &ResourceId, include_members: bool) -> Result<Group> {
    load_one(store.conn(), tenant, id, include_members).await
}

/// One page of the groups matching `filter`, and the number of matches.
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    req: ListRequest<'_>,
    include_members: bool,
) -> Result<Listed<Group>> {
    let page =
        paging::page::<groups::Entity>(store, tenant, Resource::Group, req, groups::Column::Id, |r| &r.id).await?;
    let Listed { items: rows, total, next_token } = page;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut extensions = schemas::read(store.conn(), tenant, ResourceType::Group, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let members = if include_members && row.member_count <= MAX_INLINE_MEMBERS {
            members_of(store.conn(), tenant, &row.id, None).await?
        } else {
            Vec::new()
        };
        let ext = extensions.remove(&row.id);
        out.push(to_proto(row, members, ext));
    }
    Ok(Listed { items: out, total, next_token })
}

/// Changes a group's fields and applies `changes` in order, in one
/// transaction; the group gets one new version.
pub async fn update(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    fields: GroupFields,
    changes: Vec<MemberChange>,
    expected: Option<i64>,
    include_members: bool,
) -> Result<Group> {
    in_tx(store, |txn| {
        let (tenant, id, fields, changes) = (tenant.clone(), id.clone(), fields.clone(), changes.clone());
        Box::pin(async move {
            let row = lock(txn, &tenant, &id).await?;
            check_version(expected, row.version)?;
            let now = time::now_us();
            let mut update = groups::Entity::update_in(&tenant)
                .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
                .col_expr(groups::Column::ModifiedUs, Expr::val(now))
                .filter(groups::Column::Id.eq(id.as_str()))
                .filter(groups::Column::Version.eq(row.version));
            if let Some(name) = &fields.display_name {
                update = update
                    .col_expr(groups::Column::DisplayName, Expr::val(name.clone()))
                    .col_expr(groups::Column::DisplayNameLower, Expr::val(name.to_lowercase()));
            }
            if let Some(ext) = &fields.external_id {
                update = update.col_expr(groups::Column::ExternalId, Expr::val(ext.clone()));
            }
            if update.exec(txn).await?.rows_affected == 0 {
                return Err(Error::Conflict);
            }
            if let Some(ext) = &fields.extensions {
                schemas::write(txn, &tenant, ResourceType::Group, id.as_str(), ext.as_ref()).await?;
            }
            let mut delta = 0;
            for change in &changes {
                delta += match change {
                    MemberChange::Add(members) => add_members(txn, &tenant, &id, members, now).await?,
                    MemberChange::Remove(ids) => remove_members(txn, &tenant, &id, ids).await?,
                    MemberChange::ReplaceAll(members) => replace_members(txn, &tenant, &id, members, now).await?,
                };
            }
            count_members(txn, &tenant, &id, delta).await?;
            load_one(txn, &tenant, &id, include_members).await
        })
    })
    .await
}

/// Deletes a group, its memberships and the memberships of it in others.
pub async fn delete(store: &Store, tenant: &TenantId, id: &ResourceId, expected: Option<i64>) -> Result<()> {
    in_tx(store, |txn| {
        let (tenant, id) = (tenant.clone(), id.clone());
        Box::pin(async move {
            if expected.is_some() {
                let row = lock(txn, &tenant, &id).await?;
                check_version(expected, row.version)?;
            }
            let deleted =
                groups::Entity::delete_in(&tenant).filter(groups::Column::Id.eq(id.as_str())).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(not_found(&id));
            }
            counters::add(txn, &tenant, counters::GROUPS, -1).await?;
            // Its memberships, in bounded batches (no single huge statement).
            replace_members(txn, &tenant, &id, &[], time::now_us()).await?;
            schemas::forget(txn, &tenant, id.as_str()).await?;
            forget_member(txn, &tenant, &id).await
        })
    })
    .await
}

/// A page of a group's members (ordered by member id) and their number.
pub async fn list_members(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Member>, u64)> {
    let exists = groups::Entity::find_in(tenant).filter(groups::Column::Id.eq(id.as_str())).count(store.conn()).await?;
    if exists == 0 {
        return Err(not_found(id));
    }
    let total = group_members::Entity::find_in(tenant)
        .filter(group_members::Column::GroupId.eq(id.as_str()))
        .count(store.conn())
        .await?;
    let members = members_of(store.conn(), tenant, id.as_str(), Some((offset, limit))).await?;
    Ok((members, total))
}

/// Removes `member` from every group it belongs to, bumping their versions.
/// Called when a user or group is deleted.
pub(crate) async fn forget_member(txn: &DatabaseTransaction, tenant: &TenantId, member: &ResourceId) -> Result<()> {
    let containing = Query::select()
        .column(group_members::Column::GroupId)
        .from(group_members::Entity)
        .and_where(Expr::col(group_members::Column::TenantId).eq(tenant.as_str()))
        .and_where(Expr::col(group_members::Column::MemberId).eq(member.as_str()))
        .to_owned();
    groups::Entity::update_in(tenant)
        .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
        .col_expr(groups::Column::ModifiedUs, Expr::val(time::now_us()))
        .col_expr(groups::Column::MemberCount, Expr::col(groups::Column::MemberCount).sub(1))
        .filter(groups::Column::Id.in_subquery(containing))
        .exec(txn)
        .await?;
    group_members::Entity::delete_in(tenant)
        .filter(group_members::Column::MemberId.eq(member.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Reads a row for update: locked until the transaction ends on MySQL
/// (SQLite serialises writers anyway).
async fn lock(txn: &DatabaseTransaction, tenant: &TenantId, id: &ResourceId) -> Result<groups::Model> {
    groups::Entity::find_in(tenant)
        .filter(groups::Column::Id.eq(id.as_str()))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: &ResourceId) -> Error {
    Error::NotFound { kind: KIND, id: id.as_str().to_owned() }
}

/// Adds `delta` to a group's member count (kept with every change, so a
/// group's size is read, never counted).
pub(super) async fn count_members(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    group: &ResourceId,
    delta: i64,
) -> Result<()> {
    if delta != 0 {
        groups::Entity::update_in(tenant)
            .col_expr(groups::Column::MemberCount, Expr::col(groups::Column::MemberCount).add(delta))
            .filter(groups::Column::Id.eq(group.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Inserts memberships that do not exist yet, after checking that every
/// member exists in the tenant; returns how many were new.
async fn add_members(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    group: &ResourceId,
    members: &[MemberRef],
    now: i64,
) -> Result<i64> {
    let mut added = 0;
    let mut seen = BTreeSet::new();
    let members: Vec<&MemberRef> = members.iter().filter(|m| seen.insert(m.id.clone())).collect();
    for chunk in members.chunks(BATCH) {
        check_exist(txn, tenant, group, chunk).await?;
        let rows = chunk.iter().map(|m| group_members::ActiveModel {
            tenant_id: Set(tenant.as_str().to_owned()),
            group_id: Set(group.as_str().to_owned()),
            member_id: Set(m.id.as_str().to_owned()),
            member_type: Set(m.kind.as_str().to_owned()),
            created_us: Set(now),
        });
        let inserted =
            group_members::Entity::insert_many(rows).on_conflict_do_nothing().exec_without_returning(txn).await?;
        if let sea_orm::TryInsertResult::Inserted(n) = inserted {
            added += i64::try_from(n).unwrap_or(0);
        }
    }
    Ok(added)
}

async fn remove_members(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    group: &ResourceId,
    ids: &[ResourceId],
) -> Result<i64> {
    let mut removed = 0;
    for chunk in ids.chunks(BATCH) {
        let deleted = group_members::Entity::delete_in(tenant)
            .filter(group_members::Column::GroupId.eq(group.as_str()))
            .filter(group_members::Column::MemberId.is_in(chunk.iter().map(|i| i.as_str().to_owned())))
            .exec(txn)
            .await?;
        removed += i64::try_from(deleted.rows_affected).unwrap_or(0);
    }
    Ok(-removed)
}

/// Makes the member list exactly `members`: removes the others, adds the
/// missing ones. Only rows that change are written.
async fn replace_members(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    group: &ResourceId,
    members: &[MemberRef],
    now: i64,
) -> Result<i64> {
    let mut delta = 0;
    let wanted: BTreeSet<String> = members.iter().map(|m| m.id.as_str().to_owned()).collect();
    // Walk the current members in bounded pages (keyset on member id) and
    // delete the unwanted ones page by page.
    let mut after = String::new();
    loop {
        let page: Vec<String> = group_members::Entity::find_in(tenant)
            .select_only()
            .column(group_members::Column::MemberId)
            .filter(group_members::Column::GroupId.eq(group.as_str()))
            .filter(group_members::Column::MemberId.gt(after.as_str()))
            .order_by_asc(group_members::Column::MemberId)
            .limit(BATCH as u64)
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = page.last().cloned() else {
            break;
        };
        let unwanted: Vec<String> = page.into_iter().filter(|m| !wanted.contains(m)).collect();
        if !unwanted.is_empty() {
            let deleted = group_members::Entity::delete_in(tenant)
                .filter(group_members::Column::GroupId.eq(group.as_str()))
                .filter(group_members::Column::MemberId.is_in(unwanted))
                .exec(txn)
                .await?;
            delta -= i64::try_from(deleted.rows_affected).unwrap_or(0);
        }
        after = last;
    }
    Ok(delta + add_members(txn, tenant, group, members, now).await?)
}

/// Fails with MEMBER_NOT_FOUND unless every member exists in the tenant as
/// the kind it claims; a group cannot contain itself.
pub(super) async fn check_exist(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    group: &ResourceId,
    members: &[&MemberRef],
) -> Result<()> {
    let wanted = |kind: MemberKind| -> Vec<String> {
        members.iter().filter(|m| m.kind == kind).map(|m| m.id.as_str().to_owned()).collect()
    };
    let (user_ids, group_ids) = (wanted(MemberKind::User), wanted(MemberKind::Group));
    let mut found = BTreeSet::new();
    if !user_ids.is_empty() {
        let ids: Vec<String> = users::Entity::find_in(tenant)
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in(user_ids))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(ids);
    }
    if !group_ids.is_empty() {
        let ids: Vec<String> = groups::Entity::find_in(tenant)
            .select_only()
            .column(groups::Column::Id)
            .filter(groups::Column::Id.is_in(group_ids.clone()))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(ids);
        nesting::check_no_cycle(txn, tenant, group.as_str(), &group_ids).await?;
    }
    for m in members {
        if m.id == *group || !found.contains(m.id.as_str()) {
            return Err(Error::MemberNotFound { id: m.id.as_str().to_owned() });
        }
    }
    Ok(())
}

async fn load_one<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    id: &ResourceId,
    include_members: bool,
) -> Result<Group> {
    let row = groups::Entity::find_in(tenant)
        .filter(groups::Column::Id.eq(id.as_str()))
        .one(conn)
        .await?
        .ok_or_else(|| not_found(id))?;
    let members = if include_members && row.member_count <= MAX_INLINE_MEMBERS {
        members_of(conn, tenant, id.as_str(), None).await?
    } else {
        Vec::new()
    };
    let ext = schemas::read(conn, tenant, ResourceType::Group, std::slice::from_ref(&row.id)).await?.remove(&row.id);
    Ok(to_proto(row, members, ext))
}

/// Members of a group with their display names, ordered by member id;
/// `page` = (offset, limit).
async fn members_of<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group: &str,
    page: Option<(u64, u64)>,
) -> Result<Vec<Member>> {
    super::memberships::of_group(conn, tenant, group, page).await
}

fn to_proto(row: groups::Model, members: Vec<Member>, extensions: Option<prost_types::Struct>) -> Group {
    let groups::Model {
        tenant_id: _,
        id,
        display_name,
        display_name_lower: _,
        external_id,
        version,
        created_us,
        modified_us,
        member_count,
    } = row;
    Group {
        id,
        external_id,
        display_name,
        members,
        extensions,
        member_count: u64::try_from(member_count).unwrap_or(0),
        meta: Some(ResourceMeta {
            created: Some(time::to_proto(created_us)),
            last_modified: Some(time::to_proto(modified_us)),
            version: version_string(version),
        }),
    }
}
