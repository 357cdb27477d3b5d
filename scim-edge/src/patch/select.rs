//! Evaluates a value-selection filter (`emails[type eq "work"]`) against the
//! elements of one resource's multi-valued attribute. This is PATCH target
//! selection inside a single resource, not list filtering (which is SQL).

use serde_json::{Map, Value};

use crate::convert::json::get;
use crate::filter::{CompareOp, Filter, Value as Lit};
use crate::schema::AttributeDef;

/// Whether `element` (of attribute `def`) matches `filter`.
pub fn matches(filter: &Filter, element: &Value, def: &AttributeDef) -> bool {
    let Some(o) = element.as_object() else {
        return false;
    };
    eval(filter, o, def)
}

fn eval(f: &Filter, o: &Map<String, Value>, def: &AttributeDef) -> bool {
    match f {
        Filter::And(list) => list.iter().all(|x| eval(x, o, def)),
        Filter::Or(list) => list.iter().any(|x| eval(x, o, def)),
        Filter::Not(inner) => !eval(inner, o, def),
        Filter::Present(p) => get(o, &p.name).is_some_and(|v| !matches!(v, Value::String(s) if s.is_empty())),
        Filter::Compare { path, op, value } => {
            let case_exact = def.sub_attribute(&path.name).is_some_and(|d| d.case_exact);
            compare(get(o, &path.name), *op, value, case_exact)
        }
        Filter::ValuePath { .. } => false,
    }
}

fn compare(actual: Option<&Value>, op: CompareOp, lit: &Lit, case_exact: bool) -> bool {
    let Some(actual) = actual else {
        return matches!((op, lit), (CompareOp::Eq, Lit::Null)) || (op == CompareOp::Ne && !matches!(lit, Lit::Null));
    };
    match (actual, lit) {
        (_, Lit::Null) => op == CompareOp::Ne,
        (Value::String(a), Lit::String(b)) => {
            let (a, b) = if case_exact { (a.clone(), b.clone()) } else { (a.to_lowercase(), b.to_lowercase()) };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
            }
        }
        (Value::Bool(a), Lit::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        (Value::String(a), Lit::Bool(b)) => {
            let a = a.eq_ignore_ascii_case("true");
            match op {
                CompareOp::Eq => a == *b,
                CompareOp::Ne => a != *b,
                _ => false,
            }
        }
        (Value::Number(a), Lit::Int(_) | Lit::Decimal(_)) => {
            let (Some(a), Some(b)) = (a.as_f64(), number(lit)) else {
                return false;
            };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
                _ => false,
            }
        }
        _ => op == CompareOp::Ne,
    }
}

fn number(l: &Lit) -> Option<f64> {
    match l {
        #[allow(clippy::cast_precision_loss)]
        Lit::Int(i) => Some(*i as f64),
        Lit::Decimal(d) => Some(*d),
        _ => None,
    }
}

/// The `eq` conditions of a filter that is a conjunction of them
/// (`type eq "work" and primary eq true`): what a new element created by
/// `add` on an unmatched value path must carry.
pub fn equalities(f: &Filter) -> Option<Vec<(String, Value)>> {
    match f {
        Filter::Compare { path, op: CompareOp::Eq, value } => Some(vec![(path.name.clone(), literal(value)?)]),
        Filter::And(list) => {
            let mut out = Vec::new();
            for x in list {
                out.extend(equalities(x)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// The ids named by a member filter made only of `value eq "<id>"` joined
/// by `or` (Okta's `members[value eq "id"]`).
pub fn member_ids(f: &Filter) -> Option<Vec<String>> {
    match f {
        Filter::Compare { path, op: CompareOp::Eq, value: Lit::String(id) }
            if path.name.eq_ignore_ascii_case("value") =>
        {
            Some(vec![id.clone()])
        }
        Filter::Or(list) => {
            let mut out = Vec::new();
            for x in list {
                out.extend(member_ids(x)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn literal(l: &Lit) -> Option<Value> {
    Some(match l {
        Lit::String(s) => Value::String(s.clone()),
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Int(i) => Value::from(*i),
        Lit::Decimal(d) => serde_json::Number::from_f64(*d).map(Value::Number)?,
        Lit::Null => return None,
    })
}
