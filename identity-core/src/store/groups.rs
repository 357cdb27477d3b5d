//! The group store. A group is one `groups` row; each direct membership is
//! one `group_members` row, so adding or removing a member writes one row
//! (plus the group's version) whatever the size of the group. Member lists
//! are loaded only when asked for.

use proto::v1::{Group, Member, ResourceMeta, ResourceType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityName, EntityTrait, FromQueryResult, QueryFilter};

use super::entities::{custom_values, groups};
use super::filter::Resource;
use super::members::{self, of_group as members_of};
use super::paging::{self, ListRequest, Listed, Page};
use super::scoped::Scoped;
use super::{Store, audit, counters, in_tx, large_changes, schemas, time};
use crate::domain::{MemberRef, ResourceId, TenantId, ValidGroup, check_version, version_string};
use crate::error::{Error, Result};

const KIND: &str = "Group";
/// Groups with more members than this never have them loaded into a Group
/// (page them with ListGroupMembers / ListMemberships): a group response
/// stays small whatever the group's size.
pub const MAX_INLINE_MEMBERS: i64 = 1_000;
/// New values for a group's own attributes; `None` leaves one unchanged.
#[derive(Clone, Debug, Default)]
pub struct GroupFields {
    pub display_name: Option<String>,
    pub external_id: Option<Option<String>>,
    /// Replaces every extension value (Some(None): removes them all).
    pub extensions: Option<Option<prost_types::Struct>>,
    /// Rewrites only these extension attributes (`<urn>:<attr>`), from the
    /// values given (absent: cleared).
    pub extension_attrs: Vec<String>,
    /// The values for `extension_attrs`.
    pub extension_values: Option<prost_types::Struct>,
}

impl From<ValidGroup> for GroupFields {
    fn from(g: ValidGroup) -> Self {
        Self {
            display_name: Some(g.display_name),
            external_id: Some(g.external_id),
            extensions: Some(g.extensions),
            ..Self::default()
        }
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
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            let mut row = groups::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: id.as_str().to_owned(),
                display_name_lower: group.display_name.to_lowercase(),
                display_name: group.display_name.clone(),
                external_id: group.external_id.clone(),
                version: 1,
                created_us: now,
                modified_us: now,
                member_count: 0,
            };
            groups::Entity::insert(groups::ActiveModel::from(row.clone())).exec_without_returning(txn).await?;
            let added = members::add(txn, &tenant, &id, &members, now).await?;
            members::count(txn, &tenant, &id, added).await?;
            row.member_count = added;
            counters::add(txn, &tenant, counters::GROUPS, 1).await?;
            let ext = group.extensions.as_ref().filter(|e| !e.fields.is_empty());
            let ext = match ext {
                Some(_) => {
                    schemas::insert(txn, &tenant, ResourceType::Group, id.as_str(), ext).await?;
                    schemas::read(txn, &tenant, ResourceType::Group, std::slice::from_ref(&row.id))
                        .await?
                        .remove(&row.id)
                }
                None => None,
            };
            respond(txn, &tenant, row, ext, include_members).await
        })
    })
    .await
}

/// Reads one group.
pub async fn get(store: &Store, tenant: &TenantId, id: &ResourceId, include_members: bool) -> Result<Group> {
    let (row, ext) = read(store.conn(), tenant, id, false).await?;
    respond(store.conn(), tenant, row, ext, include_members).await
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
/// transaction; the group gets one new version. A change to more than
/// [`large_changes::WRITE_SET_ROWS`] memberships is applied first in
/// bounded transactions (see [`large_changes`]).
pub async fn update(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    fields: GroupFields,
    changes: Vec<MemberChange>,
    expected: Option<i64>,
    include_members: bool,
) -> Result<Group> {
    let (changes, expected) = large_changes::apply_large_prefix(store, tenant, id, changes, expected).await?;
    in_tx(store, |txn| {
        let (tenant, id, fields, changes) = (tenant.clone(), id.clone(), fields.clone(), changes.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            let (mut row, mut ext) = read(txn, &tenant, &id, true).await?;
            check_version(expected, row.version)?;
            let now = time::now_us();
            let mut delta = 0;
            for change in &changes {
                delta += match change {
                    MemberChange::Add(list) => members::add(txn, &tenant, &id, list, now).await?,
                    MemberChange::Remove(ids) => members::remove(txn, &tenant, &id, ids).await?,
                    MemberChange::ReplaceAll(list) => members::replace(txn, &tenant, &id, list, now).await?,
                };
            }
            // One UPDATE: version, time, member count and the fields.
            let mut update = groups::Entity::update_in(&tenant)
                .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
                .col_expr(groups::Column::ModifiedUs, Expr::val(now))
                .filter(groups::Column::Id.eq(id.as_str()))
                .filter(groups::Column::Version.eq(row.version));
            if delta != 0 {
                update =
                    update.col_expr(groups::Column::MemberCount, Expr::col(groups::Column::MemberCount).add(delta));
            }
            if let Some(name) = &fields.display_name {
                update = update
                    .col_expr(groups::Column::DisplayName, Expr::val(name.clone()))
                    .col_expr(groups::Column::DisplayNameLower, Expr::val(name.to_lowercase()));
                row.display_name_lower = name.to_lowercase();
                row.display_name = name.clone();
            }
            if let Some(external) = &fields.external_id {
                update = update.col_expr(groups::Column::ExternalId, Expr::val(external.clone()));
                row.external_id = external.clone();
            }
            if update.exec(txn).await?.rows_affected == 0 {
                return Err(Error::Conflict);
            }
            row.version += 1;
            row.modified_us = now;
            row.member_count += delta;
            if let Some(new_ext) = &fields.extensions {
                schemas::write(txn, &tenant, ResourceType::Group, id.as_str(), new_ext.as_ref()).await?;
            }
            if !fields.extension_attrs.is_empty() {
                let (keys, values) = (&fields.extension_attrs, fields.extension_values.as_ref());
                schemas::write_attrs(txn, &tenant, ResourceType::Group, id.as_str(), keys, values).await?;
            }
            if fields.extensions.is_some() || !fields.extension_attrs.is_empty() {
                ext = schemas::read(txn, &tenant, ResourceType::Group, std::slice::from_ref(&row.id))
                    .await?
                    .remove(&row.id);
            }
            respond(txn, &tenant, row, ext, include_members).await
        })
    })
    .await
}

/// Deletes a group, its memberships and the memberships of it in others;
/// a group of more than [`large_changes::WRITE_SET_ROWS`] members is
/// emptied first in bounded transactions.
pub async fn delete(store: &Store, tenant: &TenantId, id: &ResourceId, expected: Option<i64>) -> Result<()> {
    let expected = large_changes::empty_before_delete(store, tenant, id, expected).await?;
    in_tx(store, |txn| {
        let (tenant, id) = (tenant.clone(), id.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            if expected.is_some() {
                let (row, _) = read(txn, &tenant, &id, true).await?;
                check_version(expected, row.version)?;
            }
            let deleted =
                groups::Entity::delete_in(&tenant).filter(groups::Column::Id.eq(id.as_str())).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(not_found(&id));
            }
            counters::add(txn, &tenant, counters::GROUPS, -1).await?;
            // Its memberships, in bounded batches (no single huge statement).
            members::replace(txn, &tenant, &id, &[], time::now_us()).await?;
            schemas::forget(txn, &tenant, id.as_str()).await?;
            members::forget_member(txn, &tenant, &id).await
        })
    })
    .await
}

/// A page of a group's direct members (by member id), the group's member
/// count when `page.total` asks for it (read from the group row, free), and
/// the next page's token (the last member id: the next page seeks).
pub async fn list_members(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    page: &Page<'_>,
) -> Result<Listed<Member>> {
    let group = groups::Entity::find_in(tenant)
        .filter(groups::Column::Id.eq(id.as_str()))
        .one(store.conn())
        .await?
        .ok_or_else(|| not_found(id))?;
    let fingerprint = paging::fingerprint_of(&["group_members", id.as_str()]);
    let after = match page.token {
        "" => None,
        token => Some(paging::position_of(store, tenant, &fingerprint, token, false).await?.into_parts().1),
    };
    let limit = page.size + 1;
    let range = members::MemberPage { after: after.as_deref(), skip: page.skip, limit };
    let mut items = members_of(store.conn(), tenant, id.as_str(), Some(range)).await?;
    let mut next_token = String::new();
    let size = usize::try_from(page.size).unwrap_or(usize::MAX);
    if items.len() > size {
        items.truncate(size);
        if let Some(last) = items.last() {
            let pos = paging::Position::new(None, last.value.clone());
            next_token = paging::token_for(store, tenant, &fingerprint, &pos).await?;
        }
    }
    let total = page.total.then(|| u64::try_from(group.member_count).unwrap_or_default());
    Ok(Listed { items, total, next_token })
}

fn not_found(id: &ResourceId) -> Error {
    Error::NotFound { kind: KIND, id: id.as_str().to_owned() }
}

/// A group row and its extension values, in one statement (a LEFT JOIN of
/// `custom_values`); with `lock`, the rows stay locked until the
/// transaction ends (MySQL; SQLite serialises writers anyway).
async fn read<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    id: &ResourceId,
    lock: bool,
) -> Result<(groups::Model, Option<prost_types::Struct>)> {
    let g = Alias::new(groups::Entity.table_name());
    let cv = Alias::new(custom_values::Entity.table_name());
    let mut stmt = Query::select();
    for col in [
        groups::Column::TenantId,
        groups::Column::Id,
        groups::Column::DisplayName,
        groups::Column::DisplayNameLower,
        groups::Column::ExternalId,
        groups::Column::Version,
        groups::Column::CreatedUs,
        groups::Column::ModifiedUs,
        groups::Column::MemberCount,
    ] {
        stmt.column((g.clone(), col));
    }
    stmt.expr_as(Expr::col((cv.clone(), custom_values::Column::AttrKey)), Alias::new("cv_key"))
        .expr_as(Expr::col((cv.clone(), custom_values::Column::Ordinal)), Alias::new("cv_ordinal"))
        .expr_as(Expr::col((cv.clone(), custom_values::Column::ValueJson)), Alias::new("cv_json"))
        .from(g.clone())
        .left_join(
            cv.clone(),
            Expr::col((cv.clone(), custom_values::Column::TenantId))
                .equals((g.clone(), groups::Column::TenantId))
                .and(Expr::col((cv, custom_values::Column::ResourceId)).equals((g.clone(), groups::Column::Id))),
        )
        .and_where(Expr::col((g.clone(), groups::Column::TenantId)).eq(tenant.as_str()))
        .and_where(Expr::col((g, groups::Column::Id)).eq(id.as_str()));
    if lock {
        stmt.lock(LockType::Update);
    }
    let rows = conn.query_all(&stmt).await?;
    let first = rows.first().ok_or_else(|| not_found(id))?;
    let row = groups::Model::from_query_result(first, "")?;
    let mut values = Vec::new();
    for r in &rows {
        let key: Option<String> = r.try_get("", "cv_key")?;
        if let Some(key) = key {
            let ordinal: i32 = r.try_get("", "cv_ordinal")?;
            let json: String = r.try_get("", "cv_json")?;
            values.push((row.id.clone(), key, i64::from(ordinal), json));
        }
    }
    let ext = schemas::from_rows(conn, tenant, ResourceType::Group, values).await?.remove(&row.id);
    Ok((row, ext))
}

/// The Group for a row: members loaded only when asked for and the group
/// is small enough.
async fn respond<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    row: groups::Model,
    ext: Option<prost_types::Struct>,
    include_members: bool,
) -> Result<Group> {
    let members = if include_members && row.member_count <= MAX_INLINE_MEMBERS && row.member_count > 0 {
        members_of(conn, tenant, &row.id, None).await?
    } else {
        Vec::new()
    };
    Ok(to_proto(row, members, ext))
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
