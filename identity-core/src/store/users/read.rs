//! Reading users: a page of `users` rows becomes Users with ONE more
//! statement, a `UNION ALL` of everything that hangs off them (their
//! multi-valued values, their direct groups, the groups containing those
//! groups, their extension values). Nested groups deeper than one level
//! cost a walk (see [`super::super::nesting`]) only when they exist.
//!
//! `groups` is bounded: a user shows at most [`MAX_GROUPS_PER_USER`]
//! entries, and a page of `n` users at most [`MAX_GROUP_REFS_PER_PAGE`] in
//! all (each user then gets `MAX_GROUP_REFS_PER_PAGE / n`). The attribute is
//! read-only (RFC 7643 §4.1.2), so the cut is deterministic and documented:
//! direct groups first, then indirect ones, each in group id order.

use std::collections::{BTreeSet, HashMap};

use proto::v1::{GroupRef, ResourceType, User};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityName, QueryFilter, QuerySelect};

use super::super::entities::{custom_values, group_members, groups, user_values, users};
use super::super::scoped::Scoped;
use super::super::{nesting, schemas};
use super::rows;
use crate::domain::limits::{IN_CHUNK, MAX_GROUP_REFS_PER_PAGE, MAX_GROUPS_PER_USER};
use crate::domain::{MemberKind, TenantId};
use crate::error::Result;

/// Tags of the union's branches.
const VALUE: &str = "v";
const GROUP: &str = "g";
const PARENT: &str = "p";
const CUSTOM: &str = "c";

/// Turns `users` rows into Users.
pub async fn assemble<C: ConnectionTrait>(conn: &C, tenant: &TenantId, page: Vec<users::Model>) -> Result<Vec<User>> {
    if page.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
    let mut values: HashMap<String, Vec<user_values::Model>> = HashMap::new();
    let mut direct: HashMap<String, Vec<GroupRef>> = HashMap::new();
    let mut nested = false;
    let mut custom = Vec::new();
    for row in conn.query_all(&related(tenant, &ids)).await? {
        let tag: String = row.try_get_by_index(0)?;
        let owner: String = row.try_get_by_index(1)?;
        let s1: String = row.try_get_by_index(2)?;
        let n1: i64 = row.try_get_by_index(3)?;
        let s2: Option<String> = row.try_get_by_index(4)?;
        let text = |i: usize| row.try_get_by_index::<Option<String>>(i);
        match tag.as_str() {
            VALUE => {
                let is_primary: i64 = row.try_get_by_index(7)?;
                let v = user_values::Model {
                    tenant_id: tenant.as_str().to_owned(),
                    user_id: owner.clone(),
                    attr: s1,
                    ordinal: i32::try_from(n1).unwrap_or(i32::MAX),
                    value_lower: None,
                    value: s2,
                    kind: text(5)?,
                    display: text(6)?,
                    is_primary: is_primary != 0,
                    formatted: text(8)?,
                    street_address: text(9)?,
                    locality: text(10)?,
                    region: text(11)?,
                    postal_code: text(12)?,
                    country: text(13)?,
                };
                values.entry(owner).or_default().push(v);
            }
            GROUP => direct.entry(owner).or_default().push(GroupRef {
                value: s1,
                display: s2.unwrap_or_default(),
                r#type: "direct".to_owned(),
            }),
            PARENT => nested = true,
            CUSTOM => custom.push((owner, s1, n1, s2.unwrap_or_default())),
            _ => {}
        }
    }
    let budget = groups_per_user(page.len());
    if nested {
        add_indirect(conn, tenant, &mut direct, budget).await?;
    }
    let mut extensions = schemas::from_rows(conn, tenant, ResourceType::User, custom).await?;
    Ok(page
        .into_iter()
        .map(|row| {
            let mut v = values.remove(&row.id).unwrap_or_default();
            v.sort_by(|a, b| (&a.attr, a.ordinal).cmp(&(&b.attr, b.ordinal)));
            let mut g = direct.remove(&row.id).unwrap_or_default();
            g.sort_by(|a, b| (a.r#type.as_str(), &a.value).cmp(&(b.r#type.as_str(), &b.value)));
            g.truncate(budget);
            let e = extensions.remove(&row.id);
            rows::to_proto(row, v, g, e)
        })
        .collect())
}

/// How many `groups` entries each user of a page of `users` may show.
pub fn groups_per_user(users: usize) -> usize {
    MAX_GROUPS_PER_USER.min(MAX_GROUP_REFS_PER_PAGE / users.max(1))
}

/// The union of everything a page of users needs, one statement. Columns:
/// tag, owner (user id), then per branch: (attr, ordinal, value, type,
/// display, primary, address parts) for values; (group id, 0, displayName)
/// for direct groups; (parent id, 0, displayName) for the groups containing
/// a direct group; (attribute key, ordinal, JSON) for extension values.
fn related(tenant: &TenantId, ids: &[String]) -> SelectStatement {
    let null = || Expr::cust("NULL");
    let t = tenant.as_str();
    let uv = Alias::new(user_values::Entity.table_name());
    let mut values = Query::select();
    values
        .expr(Expr::val(VALUE))
        .column((uv.clone(), user_values::Column::UserId))
        .column((uv.clone(), user_values::Column::Attr))
        .column((uv.clone(), user_values::Column::Ordinal))
        .column((uv.clone(), user_values::Column::Value))
        .column((uv.clone(), user_values::Column::Kind))
        .column((uv.clone(), user_values::Column::Display))
        .expr(Expr::cust("CASE WHEN is_primary THEN 1 ELSE 0 END"))
        .column((uv.clone(), user_values::Column::Formatted))
        .column((uv.clone(), user_values::Column::StreetAddress))
        .column((uv.clone(), user_values::Column::Locality))
        .column((uv.clone(), user_values::Column::Region))
        .column((uv.clone(), user_values::Column::PostalCode))
        .column((uv.clone(), user_values::Column::Country))
        .from(uv.clone())
        .and_where(Expr::col((uv.clone(), user_values::Column::TenantId)).eq(t))
        .and_where(Expr::col((uv, user_values::Column::UserId)).is_in(ids.iter().cloned()));

    let gm = Alias::new(group_members::Entity.table_name());
    let g = Alias::new(groups::Entity.table_name());
    let join_group = |gm: &Alias| {
        Expr::col((g.clone(), groups::Column::TenantId))
            .equals((gm.clone(), group_members::Column::TenantId))
            .and(Expr::col((g.clone(), groups::Column::Id)).equals((gm.clone(), group_members::Column::GroupId)))
    };
    let mut direct = Query::select();
    direct
        .expr(Expr::val(GROUP))
        .column((gm.clone(), group_members::Column::MemberId))
        .column((g.clone(), groups::Column::Id))
        .expr(Expr::val(0))
        .column((g.clone(), groups::Column::DisplayName));
    pad(&mut direct, 9, &null);
    direct
        .from(gm.clone())
        .inner_join(g.clone(), join_group(&gm))
        .and_where(Expr::col((gm.clone(), group_members::Column::TenantId)).eq(t))
        .and_where(Expr::col((gm.clone(), group_members::Column::MemberId)).is_in(ids.iter().cloned()));

    // Groups containing one of those groups: present only with nesting.
    let their_groups = Query::select()
        .column(group_members::Column::GroupId)
        .from(group_members::Entity)
        .and_where(Expr::col(group_members::Column::TenantId).eq(t))
        .and_where(Expr::col(group_members::Column::MemberId).is_in(ids.iter().cloned()))
        .to_owned();
    let mut parents = Query::select();
    parents
        .expr(Expr::val(PARENT))
        .column((gm.clone(), group_members::Column::MemberId))
        .column((gm.clone(), group_members::Column::GroupId))
        .expr(Expr::val(0))
        .expr(null());
    pad(&mut parents, 9, &null);
    parents
        .from(gm.clone())
        .and_where(Expr::col((gm.clone(), group_members::Column::TenantId)).eq(t))
        .and_where(Expr::col((gm.clone(), group_members::Column::MemberType)).eq(MemberKind::Group.as_str()))
        .and_where(Expr::col((gm, group_members::Column::MemberId)).in_subquery(their_groups));

    let cv = Alias::new(custom_values::Entity.table_name());
    let mut custom = Query::select();
    custom
        .expr(Expr::val(CUSTOM))
        .column((cv.clone(), custom_values::Column::ResourceId))
        .column((cv.clone(), custom_values::Column::AttrKey))
        .column((cv.clone(), custom_values::Column::Ordinal))
        .column((cv.clone(), custom_values::Column::ValueJson));
    pad(&mut custom, 9, &null);
    custom
        .from(cv.clone())
        .and_where(Expr::col((cv.clone(), custom_values::Column::TenantId)).eq(t))
        .and_where(Expr::col((cv, custom_values::Column::ResourceId)).is_in(ids.iter().cloned()));

    values.union(UnionType::All, direct).union(UnionType::All, parents).union(UnionType::All, custom).to_owned()
}

fn pad(select: &mut SelectStatement, n: usize, null: &impl Fn() -> Expr) {
    for _ in 0..n {
        select.expr(null());
    }
}

/// Adds each user's indirect groups (those containing a direct group, at
/// any depth), walking the nesting level by level; at most `budget` refs
/// per user in all (the lowest group ids: what is kept is deterministic).
async fn add_indirect<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    direct: &mut HashMap<String, Vec<GroupRef>>,
    budget: usize,
) -> Result<()> {
    let mut names: HashMap<String, String> =
        direct.values().flatten().map(|r| (r.value.clone(), r.display.clone())).collect();
    let groups_of_users: Vec<String> = names.keys().cloned().collect();
    let ancestors = nesting::ancestors(conn, tenant, &groups_of_users).await?;
    // Each user's indirect groups, cut to what the budget leaves (kept
    // bounded while collected: a BTreeSet whose largest id is dropped).
    let mut indirect_of: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (user, refs) in direct.iter() {
        let room = budget.saturating_sub(refs.len());
        let mine: BTreeSet<&String> = refs.iter().map(|r| &r.value).collect();
        let mut indirect = BTreeSet::new();
        for g in mine.iter().filter_map(|g| ancestors.get(*g)).flatten().filter(|g| !mine.contains(g)) {
            if indirect.insert(g.clone()) && indirect.len() > room {
                indirect.pop_last();
            }
        }
        indirect_of.insert(user.clone(), indirect);
    }
    let mut unnamed: Vec<String> =
        indirect_of.values().flatten().filter(|g| !names.contains_key(*g)).cloned().collect();
    unnamed.sort();
    unnamed.dedup();
    for part in unnamed.chunks(IN_CHUNK) {
        let rows: Vec<(String, String)> = groups::Entity::find_in(tenant)
            .select_only()
            .column(groups::Column::Id)
            .column(groups::Column::DisplayName)
            .filter(groups::Column::Id.is_in(part.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        names.extend(rows);
    }
    for (user, refs) in direct.iter_mut() {
        for g in indirect_of.remove(user).unwrap_or_default() {
            let display = names.get(&g).cloned().unwrap_or_default();
            refs.push(GroupRef { value: g, display, r#type: "indirect".to_owned() });
        }
    }
    Ok(())
}
