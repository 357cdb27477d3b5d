//! The filter compiler: a protobuf `Filter` tree becomes one SQL condition
//! (sea-query), on MySQL and SQLite alike. Nothing is filtered in memory.
//!
//! - Singular attributes are columns of `users` / `groups`. Case-insensitive
//!   ones compare lower-cased: through the stored `*_lower` column where there
//!   is one (indexed: userName, group displayName), else `LOWER(col)`.
//! - Multi-valued attributes (`emails.value`, `emails[type eq "work"]`) become
//!   `id IN (SELECT user_id FROM user_values WHERE tenant_id = ? AND …)`
//!   sub-queries (indexed on tenant, attr, value); `members` of a group,
//!   `groups` of a user and a tenant's extension attributes likewise, on
//!   `group_members` and `custom_values`.
//! - Where each attribute lives is in [`targets`]; the SQL of one comparison
//!   in [`compare`].
//! - Every comparison yields TRUE or FALSE, never NULL, so `not (…)` means
//!   what it says on both backends.

use proto::v1::{AttributeType, CompareOp, Comparison, Filter, ValuePathFilter, filter::Expr as F};
use sea_orm::EntityName;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};

use super::entities::{custom_values, group_members, groups, user_values, users};

mod compare;
mod targets;

use super::schemas::Custom;
use crate::domain::TenantId;
use crate::error::{Error, Result};
use compare::{compare_col, element_compare, present_col};
use targets::{element_target, group_target, member_target, multi_valued, user_target};

/// Bound on the filter tree: identity-core serves internal callers too, so it
/// does not trust the edge to have bounded it.
const MAX_NODES: usize = 512;
const MAX_DEPTH: usize = 64;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:";

/// What a filter can be evaluated on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    /// The resource's own table.
    pub fn table(self) -> &'static str {
        match self {
            Self::User => users::Entity.table_name(),
            Self::Group => groups::Entity.table_name(),
        }
    }
}

/// The SQL type of a sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Str,
    Bool,
    Int,
}

/// The sort expression of a singular attribute: its column, lower-cased for
/// case-insensitive attributes (through the stored lower-case column where
/// there is one, so the sort can use its index).
pub fn sort_key(resource: Resource, attribute: &str) -> Result<(Expr, KeyKind)> {
    let none = Custom::default();
    let c = Compiler { resource, tenant: "", custom: &none, element: None };
    let Ok(Target::Column(col, kind)) = c.target(attribute) else {
        return Err(Error::invalid("sort", format!("cannot sort by {attribute:?}: sort by a singular attribute")));
    };
    let table = Alias::new(resource.table());
    Ok(match kind {
        Kind::CiString { lower: Some(lc) } => (Expr::col((table, Alias::new(lc))), KeyKind::Str),
        Kind::CiString { lower: None } => (Expr::expr(Func::lower(Expr::col((table, Alias::new(col))))), KeyKind::Str),
        Kind::ExactString => (Expr::col((table, Alias::new(col))), KeyKind::Str),
        Kind::Bool => (Expr::col((table, Alias::new(col))), KeyKind::Bool),
        Kind::DateTime => (Expr::col((table, Alias::new(col))), KeyKind::Int),
        Kind::Number => return Err(Error::invalid("sort", format!("cannot sort by {attribute:?}"))),
    })
}

/// How values of an attribute compare.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Case-insensitive string; `lower` is a column holding the lower-cased
    /// value, when there is one.
    CiString {
        lower: Option<&'static str>,
    },
    ExactString,
    Bool,
    /// Microseconds since the epoch; literals are RFC 3339 strings.
    DateTime,
    /// Integers and decimals (extension attributes).
    Number,
}

/// Where an attribute lives.
#[derive(Clone, Debug)]
enum Target {
    /// A column of the resource's own table.
    Column(&'static str, Kind),
    /// A sub-attribute of a multi-valued user attribute (`user_values`).
    Element { attr: &'static str, col: &'static str, kind: Kind },
    /// A group's members (`group_members.member_id` / `member_type`).
    Member { col: &'static str },
    /// The groups a user is a direct member of.
    UserGroup,
    /// A complex attribute as a whole (`name`, `manager`): only `pr`.
    Complex(&'static [&'static str]),
    /// An attribute of a tenant's extension schema (`custom_values`).
    Custom { key: String, col: &'static str, kind: Kind },
}

const CI: Kind = Kind::CiString { lower: None };

/// Whether `filter` names an attribute of an extension schema other than
/// the enterprise one (so the tenant's schemas are needed to compile it).
/// Iterative: the tree's depth is bounded by `compile`, not here.
pub fn mentions_custom(filter: &Filter) -> bool {
    let custom = |a: &str| a.starts_with("urn:") && !a.starts_with(ENTERPRISE);
    let mut stack = vec![filter];
    while let Some(f) = stack.pop() {
        match &f.expr {
            Some(F::And(l) | F::Or(l)) => stack.extend(l.operands.iter()),
            Some(F::Not(inner)) => stack.push(inner),
            Some(F::Compare(c)) if custom(&c.attribute) => return true,
            Some(F::Present(a)) if custom(a) => return true,
            Some(F::ValuePath(vp)) => {
                if custom(&vp.attribute) {
                    return true;
                }
                stack.extend(vp.filter.as_deref());
            }
            _ => {}
        }
    }
    false
}

/// Compiles `filter` for `resource` into a condition on its table.
pub fn compile(resource: Resource, tenant: &TenantId, custom: &Custom, filter: &Filter) -> Result<Condition> {
    let mut budget = MAX_NODES;
    let c = Compiler { resource, tenant: tenant.as_str(), custom, element: None };
    Ok(Condition::all().add(c.node(filter, 0, &mut budget)?))
}

struct Compiler<'t> {
    resource: Resource,
    /// Sub-queries name the tenant themselves, so they need no correlation
    /// and the database can drive them from their own index.
    tenant: &'t str,
    /// The tenant's extension schemas for this resource.
    custom: &'t Custom,
    /// Inside a value path: the multi-valued attribute the names are relative to.
    element: Option<&'static str>,
}

impl Compiler<'_> {
    fn node(&self, f: &Filter, depth: usize, budget: &mut usize) -> Result<Expr> {
        if depth > MAX_DEPTH {
            return Err(Error::filter("", "the filter is nested too deeply"));
        }
        *budget = budget.checked_sub(1).ok_or_else(|| Error::filter("", "the filter has too many terms"))?;
        let Some(expr) = &f.expr else {
            return Err(Error::filter("", "empty filter expression"));
        };
        match expr {
            F::And(list) | F::Or(list) => {
                if list.operands.is_empty() {
                    return Err(Error::filter("", "and/or needs operands"));
                }
                let mut cond = if matches!(expr, F::And(_)) { Condition::all() } else { Condition::any() };
                for op in &list.operands {
                    cond = cond.add(self.node(op, depth + 1, budget)?);
                }
                Ok(cond.into())
            }
            F::Not(inner) => Ok(self.node(inner, depth + 1, budget)?.not()),
            F::Compare(c) => self.compare(c),
            F::Present(attr) => self.present(attr),
            F::ValuePath(vp) => self.value_path(vp, depth, budget),
        }
    }

    fn value_path(&self, vp: &ValuePathFilter, depth: usize, budget: &mut usize) -> Result<Expr> {
        if self.element.is_some() {
            return Err(Error::filter(&vp.attribute, "value paths cannot nest"));
        }
        let inner = vp.filter.as_ref().ok_or_else(|| Error::filter(&vp.attribute, "empty value filter"))?;
        match (self.resource, vp.attribute.as_str()) {
            (Resource::User, attr) => {
                let attr = multi_valued(attr).ok_or_else(|| unknown(&vp.attribute))?;
                let sub =
                    Compiler { resource: self.resource, tenant: self.tenant, custom: self.custom, element: Some(attr) };
                let cond = sub.node(inner, depth + 1, budget)?;
                Ok(self.users_with(attr, Some(cond)))
            }
            (Resource::Group, "members") => {
                let sub = Compiler {
                    resource: self.resource,
                    tenant: self.tenant,
                    custom: self.custom,
                    element: Some("members"),
                };
                let cond = sub.node(inner, depth + 1, budget)?;
                Ok(self.groups_with(Some(cond)))
            }
            _ => Err(unknown(&vp.attribute)),
        }
    }

    fn compare(&self, c: &Comparison) -> Result<Expr> {
        let op = CompareOp::try_from(c.op).unwrap_or(CompareOp::Unspecified);
        if op == CompareOp::Unspecified {
            return Err(Error::filter(&c.attribute, "missing comparison operator"));
        }
        let value = c
            .value
            .as_ref()
            .and_then(|v| v.kind.clone())
            .ok_or_else(|| Error::filter(&c.attribute, "missing value"))?;
        match self.target(&c.attribute)? {
            Target::Column(col, kind) => compare_col(self.table(), col, kind, op, &value, &c.attribute),
            Target::Element { attr, col, kind } => {
                let cond = element_compare(user_values::Entity.table_name(), col, kind, op, &value, &c.attribute)?;
                Ok(match self.element {
                    Some(_) => cond,
                    None => self.users_with(attr, Some(cond)),
                })
            }
            Target::Member { col } => {
                let cond =
                    compare_col(group_members::Entity.table_name(), col, Kind::ExactString, op, &value, &c.attribute)?;
                Ok(match self.element {
                    Some(_) => cond,
                    None => self.groups_with(Some(cond)),
                })
            }
            Target::UserGroup => {
                let cond = compare_col(
                    group_members::Entity.table_name(),
                    "group_id",
                    Kind::ExactString,
                    op,
                    &value,
                    &c.attribute,
                )?;
                Ok(self.users_in_groups(Some(cond)))
            }
            Target::Complex(_) => {
                Err(Error::filter(&c.attribute, "a complex attribute supports only pr; compare a sub-attribute"))
            }
            Target::Custom { key, col, kind } => {
                let cond = element_compare(custom_values::Entity.table_name(), col, kind, op, &value, &c.attribute)?;
                Ok(self.with_custom(&key, Some(cond)))
            }
        }
    }

    fn present(&self, attribute: &str) -> Result<Expr> {
        // A multi-valued attribute without sub-attribute is present when it has an element.
        if self.element.is_none() {
            if let (Resource::User, Some(attr)) = (self.resource, multi_valued(attribute)) {
                return Ok(self.users_with(attr, None));
            }
            if self.resource == Resource::Group && attribute == "members" {
                return Ok(self.groups_with(None));
            }
            if self.resource == Resource::User && attribute == "groups" {
                return Ok(self.users_in_groups(None));
            }
        }
        match self.target(attribute)? {
            Target::Column(col, kind) => Ok(present_col(self.table(), col, kind)),
            Target::Element { attr, col, kind } => {
                let cond = present_col(user_values::Entity.table_name(), col, kind);
                Ok(match self.element {
                    Some(_) => cond,
                    None => self.users_with(attr, Some(cond)),
                })
            }
            Target::Member { .. } => Ok(match self.element {
                Some(_) => Expr::val(true).eq(true),
                None => self.groups_with(None),
            }),
            Target::UserGroup => Ok(self.users_in_groups(None)),
            Target::Custom { key, col, kind } => {
                Ok(self.with_custom(&key, Some(present_col(custom_values::Entity.table_name(), col, kind))))
            }
            Target::Complex(cols) => {
                let mut any = Condition::any();
                for col in cols {
                    any = any.add(present_col(self.table(), col, CI));
                }
                Ok(any.into())
            }
        }
    }

    fn table(&self) -> &'static str {
        match self.resource {
            Resource::User => users::Entity.table_name(),
            Resource::Group => groups::Entity.table_name(),
        }
    }

    /// Maps a canonical attribute name to where it is stored.
    fn target(&self, attribute: &str) -> Result<Target> {
        let found = match (self.resource, self.element) {
            (Resource::User, Some(attr)) => element_target(attr, attribute),
            (Resource::Group, Some(_)) => member_target(attribute),
            (Resource::User, None) => user_target(attribute),
            (Resource::Group, None) => group_target(attribute),
        };
        if let Some(t) = found {
            return Ok(t);
        }
        // A tenant's extension attribute.
        let (key, def) =
            self.custom.lookup(attribute).filter(|_| self.element.is_none()).ok_or_else(|| unknown(attribute))?;
        let (col, kind) = match AttributeType::try_from(def.r#type).unwrap_or(AttributeType::Unspecified) {
            AttributeType::Boolean => ("bool_value", Kind::Bool),
            AttributeType::Integer | AttributeType::Decimal => ("num_value", Kind::Number),
            AttributeType::DateTime => ("time_us", Kind::DateTime),
            _ if def.case_exact => ("str_value", Kind::ExactString),
            _ => ("str_value", Kind::CiString { lower: Some("str_lower") }),
        };
        Ok(Target::Custom { key, col, kind })
    }
}

fn unknown(attribute: &str) -> Error {
    Error::filter(attribute, "unknown or unfilterable attribute")
}

impl Compiler<'_> {
    /// `users.id IN (SELECT user_id FROM user_values WHERE tenant_id = ? AND
    /// attr = ? [AND cond])`: driven by the (tenant, attr, value) index.
    fn users_with(&self, attr: &str, cond: Option<Expr>) -> Expr {
        let mut q = Query::select();
        q.column(user_values::Column::UserId)
            .from(user_values::Entity)
            .and_where(Expr::col((user_values::Entity, user_values::Column::TenantId)).eq(self.tenant))
            .and_where(Expr::col((user_values::Entity, user_values::Column::Attr)).eq(attr));
        if let Some(c) = cond {
            q.and_where(c);
        }
        Expr::col((users::Entity, users::Column::Id)).in_subquery(q)
    }

    /// `<resource>.id IN (SELECT resource_id FROM custom_values WHERE
    /// tenant_id = ? AND attr_key = ? [AND cond])`.
    fn with_custom(&self, key: &str, cond: Option<Expr>) -> Expr {
        let mut q = Query::select();
        q.column(custom_values::Column::ResourceId)
            .from(custom_values::Entity)
            .and_where(Expr::col((custom_values::Entity, custom_values::Column::TenantId)).eq(self.tenant))
            .and_where(Expr::col((custom_values::Entity, custom_values::Column::AttrKey)).eq(key));
        if let Some(c) = cond {
            q.and_where(c);
        }
        Expr::col((Alias::new(self.table()), Alias::new("id"))).in_subquery(q)
    }

    /// `groups.id IN (SELECT group_id FROM group_members WHERE tenant_id = ?
    /// [AND cond])`: driven by the (tenant, member) index.
    fn groups_with(&self, cond: Option<Expr>) -> Expr {
        let mut q = Query::select();
        q.column(group_members::Column::GroupId)
            .from(group_members::Entity)
            .and_where(Expr::col((group_members::Entity, group_members::Column::TenantId)).eq(self.tenant));
        if let Some(c) = cond {
            q.and_where(c);
        }
        Expr::col((groups::Entity, groups::Column::Id)).in_subquery(q)
    }

    /// `users.id IN (SELECT member_id FROM group_members WHERE tenant_id = ?
    /// [AND cond])`.
    fn users_in_groups(&self, cond: Option<Expr>) -> Expr {
        let mut q = Query::select();
        q.column(group_members::Column::MemberId)
            .from(group_members::Entity)
            .and_where(Expr::col((group_members::Entity, group_members::Column::TenantId)).eq(self.tenant));
        if let Some(c) = cond {
            q.and_where(c);
        }
        Expr::col((users::Entity, users::Column::Id)).in_subquery(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::v1::filter_value::Kind as V;
    use proto::v1::{FilterList, FilterValue};
    use sea_orm::sea_query::{MysqlQueryBuilder, SqliteQueryBuilder};

    fn t() -> TenantId {
        TenantId::from_db("t1".to_owned())
    }

    fn string_value(s: &str) -> FilterValue {
        FilterValue { kind: Some(V::StringValue(s.to_owned())) }
    }

    fn cmp(attr: &str, op: CompareOp, v: &str) -> Filter {
        Filter {
            expr: Some(F::Compare(Comparison { attribute: attr.into(), op: op as i32, value: Some(string_value(v)) })),
        }
    }

    fn sql(resource: Resource, f: &Filter) -> (String, String) {
        let cond = compile(resource, &t(), &Custom::default(), f).unwrap_or_else(|e| panic!("{e}"));
        let q = Query::select().expr(Expr::val(1)).from(Alias::new("users")).cond_where(cond).to_owned();
        (q.to_string(MysqlQueryBuilder), q.to_string(SqliteQueryBuilder))
    }

    #[test]
    fn user_name_eq_uses_the_lower_cased_column() {
        let (my, _) = sql(Resource::User, &cmp("userName", CompareOp::Eq, "JANE@X.COM"));
        assert!(my.contains("`users`.`user_name_lower` = 'jane@x.com'"), "{my}");
    }

    #[test]
    fn a_value_path_becomes_one_indexed_sub_query_on_user_values() {
        let inner = Filter {
            expr: Some(F::And(FilterList {
                operands: vec![cmp("type", CompareOp::Eq, "work"), cmp("value", CompareOp::Eq, "A@x.com")],
            })),
        };
        let f = Filter {
            expr: Some(F::ValuePath(Box::new(ValuePathFilter {
                attribute: "emails".into(),
                filter: Some(Box::new(inner)),
            }))),
        };
        let (my, lite) = sql(Resource::User, &f);
        assert_eq!(my.matches("IN (SELECT").count(), 1, "{my}");
        assert!(my.contains("`user_values`.`tenant_id` = 't1'"), "{my}");
        assert!(my.contains("`user_values`.`value_lower` = 'a@x.com'"), "{my}");
        assert!(lite.contains("\"user_values\".\"attr\" = 'emails'"), "{lite}");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        let (my, lite) = sql(Resource::User, &cmp("externalId", CompareOp::Co, "50%_off"));
        assert!(my.contains("LIKE '%50\\\\%\\\\_off%' ESCAPE"), "{my}");
        assert!(lite.contains("ESCAPE '\\'"), "{lite}");
    }

    #[test]
    fn unknown_attributes_are_invalid_filters() {
        assert!(matches!(
            compile(Resource::User, &t(), &Custom::default(), &cmp("nope", CompareOp::Eq, "x")),
            Err(Error::InvalidFilter { .. })
        ));
        assert!(matches!(
            compile(Resource::Group, &t(), &Custom::default(), &cmp("userName", CompareOp::Eq, "x")),
            Err(Error::InvalidFilter { .. })
        ));
    }

    #[test]
    fn ordering_a_boolean_is_an_invalid_filter() {
        let f = Filter {
            expr: Some(F::Compare(Comparison {
                attribute: "active".into(),
                op: CompareOp::Gt as i32,
                value: Some(FilterValue { kind: Some(V::BoolValue(true)) }),
            })),
        };
        assert!(matches!(compile(Resource::User, &t(), &Custom::default(), &f), Err(Error::InvalidFilter { .. })));
    }

    #[test]
    fn a_deep_tree_is_rejected_without_overflowing() {
        let mut f = cmp("userName", CompareOp::Eq, "x");
        for _ in 0..10_000 {
            f = Filter { expr: Some(F::Not(Box::new(f))) };
        }
        assert!(matches!(compile(Resource::User, &t(), &Custom::default(), &f), Err(Error::InvalidFilter { .. })));
    }
}
