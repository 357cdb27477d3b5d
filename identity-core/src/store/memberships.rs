//! Memberships one at a time (the GroupMember resource of
//! draft-zollner-scim-group-members): create, read, list, delete. Each is
//! one `group_members` row plus the group's version and member count, so
//! its cost does not depend on the size of the group.

use proto::v1::Membership;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityName, PaginatorTrait, QueryFilter};

use super::entities::{group_members, groups};
use super::members::{self, rows, select};
use super::paging::{self, Listed, Page, Position};
use super::scoped::Scoped;
use super::{Store, audit, in_tx, time};
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
            audit::wrote(txn, &tenant, "Group", group.as_str()).await?;
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

/// A page of memberships (by group id, then member id), their number when
/// `page.total` asks for it, and the next page's token. The token holds
/// the last (group id, member id): the next page seeks from there.
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    q: &MembershipQuery,
    page: &Page<'_>,
) -> Result<Listed<Membership>> {
    let kind = q.kind.map(MemberKind::as_str);
    let fingerprint = paging::fingerprint_of(&[
        "memberships",
        q.group.as_ref().map_or("", ResourceId::as_str),
        q.member.as_ref().map_or("", ResourceId::as_str),
        kind.unwrap_or(""),
    ]);
    let after = match page.token {
        "" => None,
        token => Some(paging::position_of(store, tenant, &fingerprint, token, true).await?.into_parts()),
    };
    let total = if page.total {
        if after.is_some() {
            return Err(Error::InvalidPage {
                field: "include_total_size",
                reason: "is only supported on the first page (without page_token)",
            });
        }
        let mut count = group_members::Entity::find_in(tenant);
        if let Some(g) = &q.group {
            count = count.filter(group_members::Column::GroupId.eq(g.as_str()));
        }
        if let Some(m) = &q.member {
            count = count.filter(group_members::Column::MemberId.eq(m.as_str()));
        }
        if let Some(k) = kind {
            count = count.filter(group_members::Column::MemberType.eq(k));
        }
        Some(count.count(store.conn()).await?)
    } else {
        None
    };
    let mut stmt = select(tenant);
    let gm = Alias::new(group_members::Entity.table_name());
    let (group_col, member_col) = (
        Expr::col((gm.clone(), group_members::Column::GroupId)),
        Expr::col((gm.clone(), group_members::Column::MemberId)),
    );
    if let Some(g) = &q.group {
        stmt.and_where(group_col.clone().eq(g.as_str()));
    }
    if let Some(m) = &q.member {
        stmt.and_where(member_col.clone().eq(m.as_str()));
    }
    if let Some(k) = kind {
        stmt.and_where(Expr::col((gm.clone(), group_members::Column::MemberType)).eq(k));
    }
    if let Some((group, member)) = &after {
        let group = group.clone().unwrap_or_default();
        stmt.cond_where(
            Condition::any()
                .add(group_col.clone().gt(group.clone()))
                .add(Condition::all().add(group_col.eq(group)).add(member_col.gt(member.clone()))),
        );
    }
    stmt.order_by((gm.clone(), group_members::Column::GroupId), sea_orm::Order::Asc)
        .order_by((gm, group_members::Column::MemberId), sea_orm::Order::Asc)
        .limit(page.size + 1);
    if page.skip > 0 {
        stmt.offset(page.skip);
    }
    let mut items = rows(store.conn(), &stmt).await?;
    let mut next_token = String::new();
    if items.len() > usize::try_from(page.size).unwrap_or(usize::MAX) {
        items.truncate(usize::try_from(page.size).unwrap_or(usize::MAX));
        if let Some(last) = items.last() {
            let member = last.member.as_ref().map(|m| m.value.clone()).unwrap_or_default();
            let pos = Position::new(Some(last.group_id.clone()), member);
            next_token = paging::token_for(store, tenant, &fingerprint, &pos).await?;
        }
    }
    Ok(Listed { items, total, next_token })
}

/// Removes `member` from `group`; NOT_FOUND when it is not a member.
pub async fn delete(store: &Store, tenant: &TenantId, group: &ResourceId, member: &ResourceId) -> Result<()> {
    in_tx(store, |txn| {
        let (tenant, group, member) = (tenant.clone(), group.clone(), member.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Group", group.as_str()).await?;
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
