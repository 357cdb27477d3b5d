//! Membership changes too large for one transaction. A Galera cluster
//! replicates each transaction as one write set, certified and applied
//! whole on every node: a write set of a million membership rows (about
//! 140 MB) stalls the cluster for its whole apply and can exceed
//! `wsrep_max_ws_size` / `wsrep_max_ws_rows`
//! (<https://mariadb.com/kb/en/galera-cluster-system-variables/>). So a
//! change to more than [`WRITE_SET_ROWS`] memberships is applied in
//! transactions of at most that many rows, each one moving the group's
//! version and exact member count, before the call's final transaction
//! (which then finds at most the rows changed meanwhile).
//!
//! The price: a change that large is not atomic. Readers may see it half
//! done, and a call that fails midway (its deadline, a lost node) leaves it
//! half done; sending the same request again finishes it (adds, removes
//! and replaces are idempotent). Bad input is still refused before the
//! first write: every member is checked first.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, QueryFilter, QueryOrder, QuerySelect};

use super::entities::{group_members, groups, users};
use super::groups::MemberChange;
use super::retry::TxFuture;
use super::scoped::Scoped;
use super::{Store, in_tx, members, nesting, time};
use crate::domain::{MemberKind, MemberRef, ResourceId, TenantId, check_version};
use crate::error::{Error, Result};

/// Most membership rows one transaction writes (about 1.4 MB of write set).
pub const WRITE_SET_ROWS: usize = 10_000;

/// Applies, in bounded transactions, every change of `changes` up to the
/// last one that is too large for one transaction, after checking
/// `expected` against the group's version once; returns the changes left
/// for the call's own transaction and the version check still to make
/// there (None once it was made here).
pub async fn apply_large_prefix(
    store: &Store,
    tenant: &TenantId,
    group: &ResourceId,
    changes: Vec<MemberChange>,
    expected: Option<i64>,
) -> Result<(Vec<MemberChange>, Option<i64>)> {
    let count = |conn| member_count(conn, tenant, group);
    let current = match changes.iter().any(|c| matches!(c, MemberChange::ReplaceAll(_))) {
        true => Some(count(store).await?),
        false => None,
    };
    let large = |c: &MemberChange| match c {
        MemberChange::Add(list) => list.len() > WRITE_SET_ROWS,
        MemberChange::Remove(ids) => ids.len() > WRITE_SET_ROWS,
        MemberChange::ReplaceAll(list) => list.len() + current.unwrap_or(0) > WRITE_SET_ROWS,
    };
    let Some(last) = changes.iter().rposition(large) else {
        return Ok((changes, expected));
    };
    let (version, _) = version_and_count(store, tenant, group).await?;
    check_version(expected, version)?;
    let mut changes = changes;
    let rest = changes.split_off(last + 1);
    for change in changes {
        match change {
            MemberChange::Add(list) => add(store, tenant, group, &list).await?,
            MemberChange::Remove(ids) => {
                for chunk in ids.chunks(WRITE_SET_ROWS) {
                    step(store, tenant, group, &remove(tenant, group, chunk)).await?;
                }
            }
            MemberChange::ReplaceAll(list) => {
                check_members(store, tenant, group, &list).await?;
                let wanted: BTreeSet<&str> = list.iter().map(|m| m.id.as_str()).collect();
                let unwanted = current_members(store, tenant, group, |m| !wanted.contains(m)).await?;
                for chunk in unwanted.chunks(WRITE_SET_ROWS) {
                    step(store, tenant, group, &remove(tenant, group, chunk)).await?;
                }
                add(store, tenant, group, &list).await?;
            }
        }
    }
    Ok((rest, None))
}

/// Empties a group of more than [`WRITE_SET_ROWS`] members in bounded
/// transactions, after checking `expected`, before its deletion; returns
/// the version check still to make in the deleting transaction.
pub async fn empty_before_delete(
    store: &Store,
    tenant: &TenantId,
    group: &ResourceId,
    expected: Option<i64>,
) -> Result<Option<i64>> {
    let (version, count) = version_and_count(store, tenant, group).await?;
    if usize::try_from(count).unwrap_or(usize::MAX) <= WRITE_SET_ROWS {
        return Ok(expected);
    }
    check_version(expected, version)?;
    let (t, g) = (tenant.clone(), group.clone());
    let first_batch: Work = Box::new(move |txn| {
        let (tenant, group) = (t.clone(), g.clone());
        Box::pin(async move {
            let batch: Vec<String> = group_members::Entity::find_in(&tenant)
                .select_only()
                .column(group_members::Column::MemberId)
                .filter(group_members::Column::GroupId.eq(group.as_str()))
                .order_by_asc(group_members::Column::MemberId)
                .limit(WRITE_SET_ROWS as u64)
                .into_tuple()
                .all(txn)
                .await?;
            let ids: Vec<ResourceId> = batch.into_iter().map(ResourceId::from_db).collect();
            members::remove(txn, &tenant, &group, &ids).await
        })
    });
    while step(store, tenant, group, &first_batch).await? > 0 {}
    Ok(None)
}

/// Adds `list` in bounded transactions, after checking every member.
async fn add(store: &Store, tenant: &TenantId, group: &ResourceId, list: &[MemberRef]) -> Result<()> {
    check_members(store, tenant, group, list).await?;
    for chunk in list.chunks(WRITE_SET_ROWS) {
        let (t, g, chunk, now) = (tenant.clone(), group.clone(), chunk.to_vec(), time::now_us());
        let work: Work = Box::new(move |txn| {
            let (tenant, group, chunk) = (t.clone(), g.clone(), chunk.clone());
            Box::pin(async move { members::add(txn, &tenant, &group, &chunk, now).await })
        });
        step(store, tenant, group, &work).await?;
    }
    Ok(())
}

/// What one bounded transaction does to a group's memberships: returns the
/// change of its member count.
type Work = Box<dyn for<'c> Fn(&'c DatabaseTransaction) -> TxFuture<'c, i64> + Send + Sync>;

/// One bounded transaction: the group's row is locked (and its version
/// moved) first, then `work` changes memberships, then the count moves by
/// what it really wrote. Returns how many rows changed.
async fn step(store: &Store, tenant: &TenantId, group: &ResourceId, work: &Work) -> Result<i64> {
    in_tx(store, |txn| {
        let (tenant, group) = (tenant.clone(), group.clone());
        // Lazy: runs when awaited, after the version moved.
        let work = work(txn);
        Box::pin(async move {
            let bumped = groups::Entity::update_in(&tenant)
                .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
                .col_expr(groups::Column::ModifiedUs, Expr::val(time::now_us()))
                .filter(groups::Column::Id.eq(group.as_str()))
                .exec(txn)
                .await?;
            if bumped.rows_affected == 0 {
                return Err(Error::NotFound { kind: "Group", id: group.as_str().to_owned() });
            }
            let delta = work.await?;
            members::count(txn, &tenant, &group, delta).await?;
            Ok(delta.abs())
        })
    })
    .await
}

/// Removes `ids` from the group, one bounded transaction.
fn remove(tenant: &TenantId, group: &ResourceId, ids: &[ResourceId]) -> Work {
    let (tenant, group, ids) = (tenant.clone(), group.clone(), ids.to_vec());
    Box::new(move |txn| {
        let (tenant, group, ids) = (tenant.clone(), group.clone(), ids.clone());
        Box::pin(async move { members::remove(txn, &tenant, &group, &ids).await })
    })
}

/// Refuses the whole change before its first write when a member does not
/// exist in the tenant, or would put the group inside itself.
async fn check_members(store: &Store, tenant: &TenantId, group: &ResourceId, list: &[MemberRef]) -> Result<()> {
    for chunk in list.chunks(WRITE_SET_ROWS) {
        for kind in [MemberKind::User, MemberKind::Group] {
            let ids: Vec<String> = chunk.iter().filter(|m| m.kind == kind).map(|m| m.id.as_str().to_owned()).collect();
            if ids.is_empty() {
                continue;
            }
            let mut found = BTreeSet::new();
            for part in ids.chunks(members::BATCH) {
                let part = part.iter().cloned();
                let rows: Vec<String> = match kind {
                    MemberKind::User => {
                        let q = users::Entity::find_in(tenant).select_only().column(users::Column::Id);
                        q.filter(users::Column::Id.is_in(part)).into_tuple().all(store.conn()).await?
                    }
                    MemberKind::Group => {
                        let q = groups::Entity::find_in(tenant).select_only().column(groups::Column::Id);
                        q.filter(groups::Column::Id.is_in(part)).into_tuple().all(store.conn()).await?
                    }
                };
                found.extend(rows);
            }
            if let Some(missing) = ids.iter().find(|i| !found.contains(*i) || *i == group.as_str()) {
                return Err(Error::MemberNotFound { id: missing.clone() });
            }
            if kind == MemberKind::Group {
                nesting::check_no_cycle(store.conn(), tenant, group.as_str(), &ids).await?;
            }
        }
    }
    Ok(())
}

/// The group's current member ids that `keep` selects, walked in bounded
/// pages.
async fn current_members(
    store: &Store,
    tenant: &TenantId,
    group: &ResourceId,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<ResourceId>> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page: Vec<String> = group_members::Entity::find_in(tenant)
            .select_only()
            .column(group_members::Column::MemberId)
            .filter(group_members::Column::GroupId.eq(group.as_str()))
            .filter(group_members::Column::MemberId.gt(after.as_str()))
            .order_by_asc(group_members::Column::MemberId)
            .limit(WRITE_SET_ROWS as u64)
            .into_tuple()
            .all(store.conn())
            .await?;
        let Some(last) = page.last().cloned() else {
            return Ok(out);
        };
        out.extend(page.into_iter().filter(|m| keep(m)).map(ResourceId::from_db));
        after = last;
    }
}

async fn member_count(store: &Store, tenant: &TenantId, group: &ResourceId) -> Result<usize> {
    Ok(usize::try_from(version_and_count(store, tenant, group).await?.1).unwrap_or(usize::MAX))
}

/// The group's version and member count; NOT_FOUND when it does not exist.
async fn version_and_count(store: &Store, tenant: &TenantId, group: &ResourceId) -> Result<(i64, i64)> {
    let row: Option<(i64, i64)> = groups::Entity::find_in(tenant)
        .select_only()
        .column(groups::Column::Version)
        .column(groups::Column::MemberCount)
        .filter(groups::Column::Id.eq(group.as_str()))
        .into_tuple()
        .one(store.conn())
        .await?;
    row.ok_or_else(|| Error::NotFound { kind: "Group", id: group.as_str().to_owned() })
}
