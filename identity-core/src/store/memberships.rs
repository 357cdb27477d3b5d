//! Memberships one at a time (the GroupMember resource of
//! draft-zollner-scim-group-members): create, read, list, delete. Each is
//! one `group_members` row plus the group's version and member count, so
//! its cost does not depend on the size of the group.

use proto::v1::Membership;
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityName, PaginatorTrait, QueryFilter};

use super::entities::{group_members, groups};
use super::members::{self, rows, select};
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
            let added = members::add(txn, &tenant, &group, std::slice::from_ref(&member), time::now_us()).await?;
            if added == 0 {
                return Err(Error::Uniqueness { field: "membership" });
            }
            members::count(txn, &tenant, &group, 1).await?;
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
            members::count(txn, &tenant, &group, -1).await
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
