//! Membership rows (`group_members`), the one module that writes them: one
//! row per direct membership, so adding or removing a member writes one row
//! whatever the size of the group. Counts are exact on every backend: a
//! member is inserted only when it is not one already, and the number of
//! rows really inserted or deleted is what moves `groups.member_count`.

use std::collections::BTreeSet;

use proto::v1::{Member, MemberType, Membership};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityName, QueryFilter, QueryOrder, QuerySelect};

use super::entities::{group_members, groups, users};
use super::scoped::Scoped;
use super::{nesting, time};
use crate::domain::{MemberKind, MemberRef, ResourceId, TenantId};
use crate::error::{Error, Result};

/// Rows per INSERT / DELETE when a change touches many members: keeps every
/// statement (and a Galera write-set) bounded.
pub(super) const BATCH: usize = 500;

/// Inserts the memberships of `members` that do not exist yet, each only
/// when the member exists in the tenant as the kind it claims; returns how
/// many rows were inserted. One `INSERT … SELECT … WHERE NOT EXISTS` per
/// kind and batch: the existence check, the duplicate check and the insert
/// in one statement, and its row count is exact (no `ON DUPLICATE KEY`
/// whose "affected rows" would count a re-add). Callers hold the group's
/// row lock, so no concurrent insert of the same membership can slip in.
pub async fn add(
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
        for kind in [MemberKind::User, MemberKind::Group] {
            let ids: Vec<String> = chunk.iter().filter(|m| m.kind == kind).map(|m| m.id.as_str().to_owned()).collect();
            if ids.is_empty() {
                continue;
            }
            if kind == MemberKind::Group {
                if ids.iter().any(|i| i == group.as_str()) {
                    return Err(Error::MemberNotFound { id: group.as_str().to_owned() });
                }
                nesting::check_no_cycle(txn, tenant, group.as_str(), &ids).await?;
            }
            let inserted = txn.execute(&insert_new(tenant, group, kind, &ids, now)).await?.rows_affected();
            added += i64::try_from(inserted).unwrap_or(0);
            if usize::try_from(inserted).unwrap_or(0) < ids.len() {
                // Some were members already, or do not exist (rare: one
                // more statement to tell which).
                let present: BTreeSet<String> = group_members::Entity::find_in(tenant)
                    .select_only()
                    .column(group_members::Column::MemberId)
                    .filter(group_members::Column::GroupId.eq(group.as_str()))
                    .filter(group_members::Column::MemberType.eq(kind.as_str()))
                    .filter(group_members::Column::MemberId.is_in(ids.clone()))
                    .into_tuple()
                    .all(txn)
                    .await?
                    .into_iter()
                    .collect();
                if let Some(missing) = ids.iter().find(|i| !present.contains(*i)) {
                    return Err(Error::MemberNotFound { id: missing.clone() });
                }
            }
        }
    }
    Ok(added)
}

/// `INSERT INTO group_members … SELECT … FROM users|groups src WHERE
/// src.id IN (ids) AND NOT EXISTS (that membership)`.
fn insert_new(
    tenant: &TenantId,
    group: &ResourceId,
    kind: MemberKind,
    ids: &[String],
    now: i64,
) -> sea_orm::sea_query::InsertStatement {
    let src = Alias::new("src");
    let existing = Alias::new("existing");
    let t = tenant.as_str();
    let already = Query::select()
        .expr(Expr::val(1))
        .from_as(group_members::Entity, existing.clone())
        .and_where(Expr::col((existing.clone(), group_members::Column::TenantId)).eq(t))
        .and_where(Expr::col((existing.clone(), group_members::Column::GroupId)).eq(group.as_str()))
        .and_where(Expr::col((existing, group_members::Column::MemberId)).equals((src.clone(), Alias::new("id"))))
        .to_owned();
    let mut select = Query::select();
    select
        .expr(Expr::val(t))
        .expr(Expr::val(group.as_str()))
        .column((src.clone(), Alias::new("id")))
        .expr(Expr::val(kind.as_str()))
        .expr(Expr::val(now))
        .and_where(Expr::col((src.clone(), Alias::new("tenant_id"))).eq(t))
        .and_where(Expr::col((src.clone(), Alias::new("id"))).is_in(ids.iter().cloned()))
        .and_where(Expr::exists(already).not());
    match kind {
        MemberKind::User => select.from_as(users::Entity, src),
        MemberKind::Group => select.from_as(groups::Entity, src),
    };
    Query::insert()
        .into_table(group_members::Entity)
        .columns([
            group_members::Column::TenantId,
            group_members::Column::GroupId,
            group_members::Column::MemberId,
            group_members::Column::MemberType,
            group_members::Column::CreatedUs,
        ])
        .select_from(select)
        .map(|q| q.to_owned())
        .unwrap_or_else(|_| Query::insert())
}

/// Adds `delta` to a group's member count (kept with every change, so a
/// group's size is read, never counted).
pub async fn count(txn: &DatabaseTransaction, tenant: &TenantId, group: &ResourceId, delta: i64) -> Result<()> {
    if delta != 0 {
        groups::Entity::update_in(tenant)
            .col_expr(groups::Column::MemberCount, Expr::col(groups::Column::MemberCount).add(delta))
            .filter(groups::Column::Id.eq(group.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

pub async fn remove(
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
pub async fn replace(
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
    Ok(delta + add(txn, tenant, group, members, now).await?)
}

/// Removes `member` from every group it belongs to, bumping their versions.
/// Called when a user or group is deleted.
pub async fn forget_member(txn: &DatabaseTransaction, tenant: &TenantId, member: &ResourceId) -> Result<()> {
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

/// Where a page of a group's members starts and how long it is.
#[derive(Clone, Copy, Debug)]
pub struct MemberPage<'a> {
    /// The last member id of the previous page.
    pub after: Option<&'a str>,
    pub skip: u64,
    pub limit: u64,
}

/// A group's direct members (userName or displayName as `display`), by
/// member id; all of them, or one page.
pub async fn of_group<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group: &str,
    page: Option<MemberPage<'_>>,
) -> Result<Vec<Member>> {
    let gm = Alias::new(group_members::Entity.table_name());
    let mut stmt = select(tenant);
    stmt.and_where(Expr::col((gm.clone(), group_members::Column::GroupId)).eq(group))
        .order_by((gm.clone(), group_members::Column::MemberId), sea_orm::Order::Asc);
    if let Some(MemberPage { after, skip, limit }) = page {
        if let Some(after) = after {
            stmt.and_where(Expr::col((gm, group_members::Column::MemberId)).gt(after));
        }
        if skip > 0 {
            stmt.offset(skip);
        }
        stmt.limit(limit);
    }
    Ok(rows(conn, &stmt).await?.into_iter().filter_map(|m| m.member).collect())
}

/// Memberships with the group's displayName and the member's userName or
/// displayName.
pub fn select(tenant: &TenantId) -> SelectStatement {
    let gm = Alias::new(group_members::Entity.table_name());
    let g = Alias::new("the_group");
    let u = Alias::new("member_user");
    let mg = Alias::new("member_group");
    let on = |t: &Alias, col_t: groups::Column, col_gm: group_members::Column| {
        Expr::col((t.clone(), groups::Column::TenantId))
            .equals((gm.clone(), group_members::Column::TenantId))
            .and(Expr::col((t.clone(), col_t)).equals((gm.clone(), col_gm)))
    };
    Query::select()
        .column((gm.clone(), group_members::Column::GroupId))
        .expr(Expr::col((g.clone(), groups::Column::DisplayName)))
        .column((gm.clone(), group_members::Column::MemberId))
        .column((gm.clone(), group_members::Column::MemberType))
        .expr(Expr::col((u.clone(), users::Column::UserName)))
        .expr(Expr::col((mg.clone(), groups::Column::DisplayName)))
        .column((gm.clone(), group_members::Column::CreatedUs))
        .from(gm.clone())
        .join_as(
            sea_orm::JoinType::InnerJoin,
            groups::Entity,
            g.clone(),
            on(&g, groups::Column::Id, group_members::Column::GroupId),
        )
        .join_as(
            sea_orm::JoinType::LeftJoin,
            users::Entity,
            u.clone(),
            Expr::col((u.clone(), users::Column::TenantId))
                .equals((gm.clone(), group_members::Column::TenantId))
                .and(Expr::col((u.clone(), users::Column::Id)).equals((gm.clone(), group_members::Column::MemberId))),
        )
        .join_as(
            sea_orm::JoinType::LeftJoin,
            groups::Entity,
            mg.clone(),
            on(&mg, groups::Column::Id, group_members::Column::MemberId),
        )
        .and_where(Expr::col((gm, group_members::Column::TenantId)).eq(tenant.as_str()))
        .to_owned()
}

pub async fn rows<C: ConnectionTrait>(conn: &C, stmt: &SelectStatement) -> Result<Vec<Membership>> {
    let mut out = Vec::new();
    for row in conn.query_all(stmt).await? {
        let group_id: String = row.try_get_by_index(0)?;
        let group_display: Option<String> = row.try_get_by_index(1)?;
        let member_id: String = row.try_get_by_index(2)?;
        let kind: String = row.try_get_by_index(3)?;
        let user_name: Option<String> = row.try_get_by_index(4)?;
        let member_group: Option<String> = row.try_get_by_index(5)?;
        let created: i64 = row.try_get_by_index(6)?;
        let r#type = match MemberKind::from_db(&kind) {
            MemberKind::User => MemberType::User,
            MemberKind::Group => MemberType::Group,
        };
        out.push(Membership {
            group_id,
            group_display: group_display.unwrap_or_default(),
            member: Some(Member {
                value: member_id,
                display: user_name.or(member_group).unwrap_or_default(),
                r#type: r#type as i32,
            }),
            created: Some(time::to_proto(created)),
        });
    }
    Ok(out)
}
