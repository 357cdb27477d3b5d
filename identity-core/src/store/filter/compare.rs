//! The SQL of one comparison or presence test on one column, by the
//! attribute's kind (case-insensitive or exact string, boolean, dateTime,
//! number); every condition yields TRUE or FALSE, never NULL.

use proto::v1::{CompareOp, filter_value::Kind as V};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, LikeExpr};

use super::Kind;
use crate::error::{Error, Result};
use crate::store::time;
use crate::store::users::rows::{VALUE_KEY_CHARS, value_key};

pub(super) fn element_compare(
    table: &'static str,
    col: &'static str,
    kind: Kind,
    op: CompareOp,
    value: &V,
    attribute: &str,
) -> Result<Expr> {
    // The lower-cased key column holds at most VALUE_KEY_CHARS characters:
    // an equality on a longer literal also checks the full value.
    if let (Kind::CiString { lower: Some(lc) }, V::StringValue(s), CompareOp::Eq | CompareOp::Ne) = (kind, value, op)
        && s.chars().count() > VALUE_KEY_CHARS
    {
        let full = Expr::expr(Func::lower(Expr::col((Alias::new(table), Alias::new(col))))).eq(s.to_lowercase());
        let eq = Condition::all().add(Expr::col((Alias::new(table), Alias::new(lc))).eq(value_key(s))).add(full);
        let eq: Expr = eq.into();
        return Ok(if op == CompareOp::Eq { eq } else { eq.not() });
    }
    compare_col(table, col, kind, op, value, attribute)
}

/// `col IS NOT NULL` (and non-empty for strings).
pub(super) fn present_col(table: &'static str, col: &'static str, kind: Kind) -> Expr {
    let c = Expr::col((Alias::new(table), Alias::new(col)));
    match kind {
        Kind::CiString { .. } | Kind::ExactString => c.clone().is_not_null().and(c.ne("")),
        Kind::Bool | Kind::DateTime | Kind::Number => c.is_not_null(),
    }
}

pub(super) fn compare_col(
    table: &'static str,
    col: &'static str,
    kind: Kind,
    op: CompareOp,
    value: &V,
    attribute: &str,
) -> Result<Expr> {
    let column = Expr::col((Alias::new(table), Alias::new(col)));
    if let V::NullValue(_) = value {
        return match op {
            CompareOp::Eq => Ok(column.is_null()),
            CompareOp::Ne => Ok(column.is_not_null()),
            _ => Err(Error::filter(attribute, "null can only be compared with eq or ne")),
        };
    }
    let (lhs, rhs): (Expr, sea_orm::Value) = match kind {
        Kind::CiString { lower } => {
            let s = string_literal(value, attribute)?.to_lowercase();
            // value_lower is cut to VALUE_KEY_CHARS: only eq, ne and sw may
            // use it; the other operators read the full value.
            let truncated_key = matches!(lower, Some("value_lower" | "str_lower"));
            let lhs = match lower {
                Some(lc) if !truncated_key || matches!(op, CompareOp::Eq | CompareOp::Ne | CompareOp::Sw) => {
                    Expr::col((Alias::new(table), Alias::new(lc)))
                }
                _ => Expr::expr(Func::lower(column.clone())),
            };
            (lhs, s.into())
        }
        Kind::ExactString => (column.clone(), string_literal(value, attribute)?.to_owned().into()),
        Kind::Bool => {
            let b = match value {
                V::BoolValue(b) => *b,
                V::StringValue(s) if s.eq_ignore_ascii_case("true") => true,
                V::StringValue(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(Error::filter(attribute, "expects true or false")),
            };
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(Error::filter(attribute, "a boolean supports only eq, ne and pr"));
            }
            (column.clone(), b.into())
        }
        Kind::DateTime => {
            let s = string_literal(value, attribute)?;
            let us = time::parse_rfc3339(s)
                .ok_or_else(|| Error::filter(attribute, format!("{s:?} is not an RFC 3339 dateTime")))?;
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(Error::filter(attribute, "a dateTime supports eq, ne, gt, ge, lt, le and pr"));
            }
            (column.clone(), us.into())
        }
        Kind::Number => {
            #[allow(clippy::cast_precision_loss)]
            let n = match value {
                V::IntValue(i) => *i as f64,
                V::DecimalValue(d) => *d,
                _ => return Err(Error::filter(attribute, "expects a number")),
            };
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(Error::filter(attribute, "a number supports eq, ne, gt, ge, lt, le and pr"));
            }
            (column.clone(), n.into())
        }
    };
    let not_null = column.is_not_null();
    let cmp = match op {
        CompareOp::Eq => lhs.eq(rhs),
        CompareOp::Ne => return Ok(not_null.clone().and(lhs.eq(rhs)).not()),
        CompareOp::Gt => lhs.gt(rhs),
        CompareOp::Ge => lhs.gte(rhs),
        CompareOp::Lt => lhs.lt(rhs),
        CompareOp::Le => lhs.lte(rhs),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            let sea_orm::Value::String(Some(s)) = rhs else {
                return Err(Error::filter(attribute, "co, sw and ew apply to strings"));
            };
            let esc = escape_like(&s);
            let pattern = match op {
                CompareOp::Co => format!("%{esc}%"),
                CompareOp::Sw => format!("{esc}%"),
                _ => format!("%{esc}"),
            };
            lhs.like(LikeExpr::new(pattern).escape('\\'))
        }
        CompareOp::Unspecified => {
            return Err(Error::filter(attribute, "missing comparison operator"));
        }
    };
    Ok(not_null.and(cmp))
}

pub(super) fn string_literal<'v>(value: &'v V, attribute: &str) -> Result<&'v str> {
    match value {
        V::StringValue(s) => Ok(s),
        _ => Err(Error::filter(attribute, "expects a string")),
    }
}

pub(super) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
