//! Memberships one at a time (the GroupMember resource of
//! draft-zollner-scim-group-members): create, read, list, delete. Each is
//! one `group_members` row plus the group's version and member count, so
//! its cost does not depend on the size of the group.

use proto::v1::{Member, MemberType, Membership};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityName, EntityTrait, PaginatorTrait, QueryFilter, SqlErr,
};

use super::entities::{group_members, groups, users};
use super::groups::{check_exist, count_members};
use super::scoped::Scoped;
use super::{Store, in_tx, time};
use crate::domain::{MemberKind, MemberRef, ResourceId, TenantId};
use crate::error::{Error, Result};

/// Which memberships a list shows.
#[derive(Clone, Debug, Default)]
pub struct MembershipQuery {
    pub group: Option<ResourceId>,
    pub member: Option<ResourceId>,
    pub kind: Option<MemberKind>,
}

/// Adds `member` to `group`; ALREADY_EXISTS when it is a member already.
pub async fn create(store: &Store, tenant: &TenantId, group: &ResourceId, member: MemberRef) -> Result<Membership> {
    in_tx(store, |txn| {
        let (tenant, group, member) = (tenant.clone(), group.clone(), member.clone());
        Box::pin(async move {
            let bumped = bump(txn, &tenant, &group).await?;
            if bumped == 0 {
                return Err(Error::invalid("group.value", format!("group {} does not exist", group.as_str())));
            }
            check_exist(txn, &tenant, &group, &[&member]).await?;
            group_members::Entity::insert(group_members::ActiveModel {
                tenant_id: Set(tenant.as_str().to_owned()),
                group_id: Set(group.as_str().to_owned()),
                member_id: Set(member.id.as_str().to_owned()),
                member_type: Set(member.kind.as_str().to_owned()),
                created_us: Set(time::now_us()),
            })
            .exec_without_returning(txn)
            .await
            .map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "membership" },
                _ => Error::Database(e),
            })?;
            count_members(txn, &tenant, &group, 1).await?;
            one(txn, &tenant, &group, &member.id).await
        })
    })
    .await
}

/// One direct membership.
pub async fn get(store: &Store, tenant: &TenantId, group: &ResourceId, member: &ResourceId) -> Result<Membership> {
    one(store.conn(), tenant, group, member).await
}

/// A page of memberships (by group id, then member id) and their number.
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    q: &MembershipQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Membership>, u64)> {
    let mut count = group_members::Entity::find_in(tenant);
    if let Some(g) = &q.group {
        count = count.filter(group_members::Column::GroupId.eq(g.as_str()));
    }
    if let Some(m) = &q.member {
        count = count.filter(group_members::Column::MemberId.eq(m.as_str()));
    }
    if let Some(k) = q.kind {
        count = count.filter(group_members::Column::MemberType.eq(k.as_str()));
    }
    let total = count.count(store.conn()).await?;
    if limit == 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    let mut stmt = select(tenant);
    let gm = Alias::new(group_members::Entity.table_name());
    if let Some(g) = &q.group {
        stmt.and_where(Expr::col((gm.clone(), group_members::Column::GroupId)).eq(g.as_str()));
    }
    if let Some(m) = &q.member {
        stmt.and_where(Expr::col((gm.clone(), group_members::Column::MemberId)).eq(m.as_str()));
    }
    if let Some(k) = q.kind {
        stmt.and_where(Expr::col((gm.clone(), group_members::Column::MemberType)).eq(k.as_str()));
    }
    stmt.order_by((gm.clone(), group_members::Column::GroupId), sea_orm::Order::Asc)
        .order_by((gm, group_members::Column::MemberId), sea_orm::Order::Asc)
        .offset(offset)
        .limit(limit);
    Ok((rows(store.conn(), &stmt).await?, total))
}

/// A group's direct members (userName or displayName as `display`), by
/// member id; `page` = (offset, limit).
pub(super) async fn of_group<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group: &str,
    page: Option<(u64, u64)>,
) -> Result<Vec<Member>> {
    let gm = Alias::new(group_members::Entity.table_name());
    let mut stmt = select(tenant);
    stmt.and_where(Expr::col((gm.clone(), group_members::Column::GroupId)).eq(group))
        .order_by((gm, group_members::Column::MemberId), sea_orm::Order::Asc);
    if let Some((offset, limit)) = page {
        stmt.offset(offset).limit(limit);
    }
    Ok(rows(conn, &stmt).await?.into_iter().filter_map(|m| m.member).collect())
}

/// Removes `member` from `group`; NOT_FOUND when it is not a member.
pub async fn delete(store: &Store, tenant: &TenantId, group: &ResourceId, member: &ResourceId) -> Result<()> {
    in_tx(store, |txn| {
        let (tenant, group, member) = (tenant.clone(), group.clone(), member.clone());
        Box::pin(async move {
            let deleted = group_members::Entity::delete_in(&tenant)
                .filter(group_members::Column::GroupId.eq(group.as_str()))
                .filter(group_members::Column::MemberId.eq(member.as_str()))
                .exec(txn)
                .await?;
            if deleted.rows_affected == 0 {
                return Err(not_found(&group, &member));
            }
            bump(txn, &tenant, &group).await?;
            count_members(txn, &tenant, &group, -1).await
        })
    })
    .await
}

fn not_found(group: &ResourceId, member: &ResourceId) -> Error {
    Error::NotFound { kind: "GroupMember", id: format!("{}.{}", group.as_str(), member.as_str()) }
}

/// A new version for the group (rows touched: 0 when it does not exist).
async fn bump<C: ConnectionTrait>(conn: &C, tenant: &TenantId, group: &ResourceId) -> Result<u64> {
    let r = groups::Entity::update_in(tenant)
        .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
        .col_expr(groups::Column::ModifiedUs, Expr::val(time::now_us()))
        .filter(groups::Column::Id.eq(group.as_str()))
        .exec(conn)
        .await?;
    Ok(r.rows_affected)
}

async fn one<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group: &ResourceId,
    member: &ResourceId,
) -> Result<Membership> {
    let gm = Alias::new(group_members::Entity.table_name());
    let mut stmt = select(tenant);
    stmt.and_where(Expr::col((gm.clone(), group_members::Column::GroupId)).eq(group.as_str()))
        .and_where(Expr::col((gm, group_members::Column::MemberId)).eq(member.as_str()));
    rows(conn, &stmt).await?.pop().ok_or_else(|| not_found(group, member))
}

/// Memberships with the group's displayName and the member's userName or
/// displayName.
fn select(tenant: &TenantId) -> SelectStatement {
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

async fn rows<C: ConnectionTrait>(conn: &C, stmt: &SelectStatement) -> Result<Vec<Membership>> {
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
