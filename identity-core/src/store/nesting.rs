//! Groups in groups: cycle checks when a group becomes a member, and the
//! groups a user belongs to indirectly. Both walk `group_members` one level
//! per query (indexed on (tenant, group) and (tenant, member)), bounded in
//! depth and breadth.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};

use super::entities::group_members;
use super::scoped::Scoped;
use crate::domain::{MemberKind, TenantId};
use crate::error::{Error, Result};

/// Deepest nesting walked.
const MAX_LEVELS: usize = 32;
/// Most groups visited in one walk.
const MAX_GROUPS: usize = 10_000;
/// Ids per `IN (...)` list.
const CHUNK: usize = 500;

/// Fails when adding `candidates` (groups) to `group` would make a cycle:
/// when `group` is one of them or inside one of them, at any depth.
pub async fn check_no_cycle<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    group: &str,
    candidates: &[String],
) -> Result<()> {
    let cycle = || Error::invalid("members", format!("adding these groups would put group {group} inside itself"));
    let mut seen: BTreeSet<String> = candidates.iter().cloned().collect();
    if seen.contains(group) {
        return Err(cycle());
    }
    let mut frontier: Vec<String> = candidates.to_vec();
    for _ in 0..MAX_LEVELS {
        if frontier.is_empty() {
            return Ok(());
        }
        let children = level(conn, tenant, &frontier, Direction::Down).await?;
        frontier = Vec::new();
        for (_, child) in children {
            if child == group {
                return Err(cycle());
            }
            if seen.insert(child.clone()) {
                frontier.push(child);
            }
        }
        if seen.len() > MAX_GROUPS {
            return Err(Error::invalid("members", format!("groups nest more than {MAX_GROUPS} groups deep or wide")));
        }
    }
    Err(Error::invalid("members", format!("groups nest more than {MAX_LEVELS} levels deep")))
}

/// For each of `groups`, the groups that contain it at any depth (not
/// itself).
pub async fn ancestors<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    groups: &[String],
) -> Result<HashMap<String, BTreeSet<String>>> {
    let mut parents: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen: BTreeSet<String> = groups.iter().cloned().collect();
    let mut frontier: Vec<String> = groups.to_vec();
    for _ in 0..MAX_LEVELS {
        if frontier.is_empty() || seen.len() > MAX_GROUPS {
            break;
        }
        let edges = level(conn, tenant, &frontier, Direction::Up).await?;
        frontier = Vec::new();
        for (child, parent) in edges {
            if seen.insert(parent.clone()) {
                frontier.push(parent.clone());
            }
            parents.entry(child).or_default().push(parent);
        }
    }
    let mut out = HashMap::new();
    for g in groups {
        let mut all = BTreeSet::new();
        let mut stack = vec![g.clone()];
        while let Some(x) = stack.pop() {
            for p in parents.get(&x).into_iter().flatten() {
                if p != g && all.insert(p.clone()) {
                    stack.push(p.clone());
                }
            }
        }
        out.insert(g.clone(), all);
    }
    Ok(out)
}

enum Direction {
    /// Member groups of the frontier: (parent, child).
    Down,
    /// Groups containing the frontier: (child, parent).
    Up,
}

/// One level of the walk: pairs (frontier group, neighbour group).
async fn level<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    frontier: &[String],
    dir: Direction,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in frontier.chunks(CHUNK) {
        let q = group_members::Entity::find_in(tenant)
            .select_only()
            .column(group_members::Column::GroupId)
            .column(group_members::Column::MemberId)
            .filter(group_members::Column::MemberType.eq(MemberKind::Group.as_str()));
        let q = match dir {
            Direction::Down => q.filter(group_members::Column::GroupId.is_in(chunk.iter().cloned())),
            Direction::Up => q.filter(group_members::Column::MemberId.is_in(chunk.iter().cloned())),
        };
        let rows: Vec<(String, String)> = q.into_tuple().all(conn).await?;
        out.extend(rows.into_iter().map(|(parent, child)| match dir {
            Direction::Down => (parent, child),
            Direction::Up => (child, parent),
        }));
    }
    Ok(out)
}
