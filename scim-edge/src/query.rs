//! List and search requests: query parameters (RFC 7644 §3.4.2) or a
//! SearchRequest body (§3.4.3) become a structured `identity.v1.Filter`
//! (attribute names resolved case-insensitively against the schema
//! registry) plus paging and projection.

use proto::v1::{self as pb, filter::Expr as F, filter_value::Kind as V};
use serde_json::Value;

use crate::error::{ScimError, ScimResult, ScimType};
use crate::filter::{self, AttrPath, CompareOp, Filter};
use crate::projection::Projection;
use crate::schema::{self, Scope};

/// Default and largest page (ServiceProviderConfig `filter.maxResults`).
pub const DEFAULT_COUNT: u32 = 100;
pub const MAX_COUNT: u32 = 1000;

/// A parsed list request.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub filter: Option<pb::Filter>,
    /// Index paging: 1-based.
    pub start_index: u64,
    pub count: u32,
    /// Cursor paging (RFC 9865): `Some("")` for the first page.
    pub cursor: Option<String>,
    pub sort: Option<pb::Sort>,
    pub projection: Projection,
}

impl ListQuery {
    /// The paging fields for identity-core.
    pub fn page(&self) -> CorePage {
        CorePage::new(self.start_index, self.count, self.cursor.as_deref())
    }
}

/// The paging fields of an identity-core List request for a SCIM page.
/// Index paging (`startIndex`) skips `startIndex - 1` and asks for the
/// total (`totalResults`); cursor paging (RFC 9865) sends the cursor as the
/// page token and counts nothing. `count=0` asks for the total alone:
/// identity-core reads a page size of 0 as its default, so one result is
/// asked for and dropped (`keep` = 0).
#[derive(Debug, Clone)]
pub struct CorePage {
    pub page_size: i32,
    pub page_token: String,
    pub skip: i64,
    pub include_total_size: bool,
    /// How many of the returned resources the SCIM response shows.
    pub keep: usize,
}

impl CorePage {
    /// `start_index` is 1-based; `cursor`: Some for cursor paging.
    pub fn new(start_index: u64, count: u32, cursor: Option<&str>) -> Self {
        let page_size = i32::try_from(count.max(1)).unwrap_or(i32::MAX);
        let keep = usize::try_from(count).unwrap_or(usize::MAX);
        match cursor {
            Some(token) => Self { page_size, page_token: token.to_owned(), skip: 0, include_total_size: false, keep },
            None => Self {
                page_size,
                page_token: String::new(),
                skip: i64::try_from(start_index.saturating_sub(1)).unwrap_or(i64::MAX),
                include_total_size: true,
                keep,
            },
        }
    }
}

/// Raw list parameters, from the query string or a SearchRequest body.
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub cursor: Option<String>,
}

impl ListParams {
    /// From query pairs; parameter names are case-insensitive.
    pub fn from_query(pairs: &[(String, String)]) -> Self {
        let get = |name: &str| pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        Self {
            filter: get("filter"),
            start_index: get("startIndex"),
            count: get("count"),
            attributes: get("attributes"),
            excluded_attributes: get("excludedAttributes"),
            sort_by: get("sortBy"),
            sort_order: get("sortOrder"),
            cursor: get("cursor"),
        }
    }

    /// From a SearchRequest body (RFC 7644 §3.4.3).
    pub fn from_search(body: &Value) -> ScimResult<Self> {
        let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
        let text = |k: &str| -> ScimResult<Option<String>> {
            match crate::convert::json::get(obj, k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(Value::Array(a)) => Ok(Some(a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))),
                Some(_) => Err(ScimError::invalid_syntax(format!("{k} has the wrong type"))),
            }
        };
        Ok(Self {
            filter: text("filter")?,
            start_index: text("startIndex")?,
            count: text("count")?,
            attributes: text("attributes")?,
            excluded_attributes: text("excludedAttributes")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            cursor: text("cursor")?,
        })
    }

    /// Validates and resolves the parameters for `kind`.
    pub fn parse(&self, scope: Scope<'_>) -> ScimResult<ListQuery> {
        let (start_index, count) = match &self.cursor {
            None => self.paging()?,
            Some(_) => {
                if self.start_index.is_some() {
                    return Err(ScimError::invalid_value("use either startIndex or cursor, not both"));
                }
                (1, self.cursor_count()?)
            }
        };
        let filter = self.filter(scope)?;
        let sort = self.sort(scope)?;
        let projection = Projection::parse(scope, self.attributes.as_deref(), self.excluded_attributes.as_deref())?;
        Ok(ListQuery { filter, start_index, count, cursor: self.cursor.clone(), sort, projection })
    }

    /// `count` with a cursor (RFC 9865 §2): a non-negative integer, else
    /// `invalidCount`; above the maximum, fewer are returned.
    fn cursor_count(&self) -> ScimResult<u32> {
        match &self.count {
            None => Ok(DEFAULT_COUNT),
            Some(s) => match s.trim().parse::<i64>() {
                Ok(n) if n >= 0 => Ok(u32::try_from(n.min(i64::from(MAX_COUNT))).unwrap_or(MAX_COUNT)),
                _ => Err(ScimError::bad_request(
                    ScimType::InvalidCount,
                    format!("count {s:?} is not a non-negative integer"),
                )),
            },
        }
    }

    /// `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3): a singular attribute (or
    /// sub-attribute); `ascending` by default.
    pub fn sort(&self, scope: Scope<'_>) -> ScimResult<Option<pb::Sort>> {
        let descending = match self.sort_order.as_deref().map(str::trim) {
            None | Some("") => false,
            Some(o) if o.eq_ignore_ascii_case("ascending") => false,
            Some(o) if o.eq_ignore_ascii_case("descending") => true,
            Some(o) => {
                return Err(ScimError::invalid_value(format!("sortOrder {o:?} is neither ascending nor descending")));
            }
        };
        let Some(by) = self.sort_by.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        let r = schema::resolve_path(scope, by)
            .ok_or_else(|| ScimError::invalid_value(format!("cannot sort by unknown attribute {by:?}")))?;
        let def = r.def();
        if def.multi_valued || r.attr.multi_valued || def.kind == schema::AttrType::Complex {
            return Err(ScimError::invalid_value(format!("cannot sort by {by:?}: sort by a singular attribute")));
        }
        Ok(Some(pb::Sort { attribute: r.canonical, descending }))
    }

    /// (startIndex, count): RFC 7644 §3.4.2.4 treats startIndex < 1 as 1 and
    /// a negative count as 0; counts over [`MAX_COUNT`] are clamped.
    pub fn paging(&self) -> ScimResult<(u64, u32)> {
        let integer = |name: &str, s: &str| {
            s.trim().parse::<i64>().map_err(|_| ScimError::invalid_value(format!("{name} {s:?} is not an integer")))
        };
        let start_index = match &self.start_index {
            None => 1,
            Some(s) => integer("startIndex", s)?.max(1),
        };
        let count = match &self.count {
            None => DEFAULT_COUNT,
            Some(s) => u32::try_from(integer("count", s)?.clamp(0, i64::from(MAX_COUNT))).unwrap_or(MAX_COUNT),
        };
        Ok((u64::try_from(start_index).unwrap_or(1), count))
    }

    /// The filter, resolved for `kind` (None when absent or blank).
    pub fn filter(&self, scope: Scope<'_>) -> ScimResult<Option<pb::Filter>> {
        match self.filter.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => compile(scope, text).map(Some),
        }
    }
}

/// Parses a SCIM filter and resolves it against `kind`'s schemas.
pub fn compile(scope: Scope<'_>, text: &str) -> ScimResult<pb::Filter> {
    to_proto(scope, &parse(scope, text)?, None)
}

/// The filter's syntax tree: lenient tenants accept unquoted string and
/// dateTime values (`userName sw O`), strict ones need RFC 7644's quotes.
pub fn parse(scope: Scope<'_>, text: &str) -> ScimResult<Filter> {
    let parsed = if scope.is_strict() { filter::parse_filter(text) } else { filter::parse_filter_lenient(text) };
    parsed.map_err(|e| ScimError::bad_request(ScimType::InvalidFilter, e.to_string()))
}

/// The filter tree with canonical attribute names. Inside a value path
/// (`parent`), names are relative to the element ("type", "value").
fn to_proto(scope: Scope<'_>, f: &Filter, parent: Option<&schema::Resolved>) -> ScimResult<pb::Filter> {
    let expr = match f {
        Filter::And(list) => F::And(pb::FilterList {
            operands: list.iter().map(|x| to_proto(scope, x, parent)).collect::<ScimResult<_>>()?,
        }),
        Filter::Or(list) => F::Or(pb::FilterList {
            operands: list.iter().map(|x| to_proto(scope, x, parent)).collect::<ScimResult<_>>()?,
        }),
        Filter::Not(inner) => F::Not(Box::new(to_proto(scope, inner, parent)?)),
        Filter::Present(path) => F::Present(attribute(scope, path, parent)?),
        Filter::Compare { path, op, value } => F::Compare(pb::Comparison {
            attribute: attribute(scope, path, parent)?,
            op: compare_op(*op) as i32,
            value: Some(pb::FilterValue { kind: Some(literal(value)) }),
        }),
        Filter::ValuePath { attr, filter: inner } => {
            let resolved = resolve(scope, attr)?;
            if resolved.sub.is_some() || !resolved.attr.multi_valued {
                return Err(invalid(format!("{attr} is not a multi-valued attribute; [..] needs one")));
            }
            F::ValuePath(Box::new(pb::ValuePathFilter {
                attribute: resolved.canonical.clone(),
                filter: Some(Box::new(to_proto(scope, inner, Some(&resolved))?)),
            }))
        }
    };
    Ok(pb::Filter { expr: Some(expr) })
}

fn invalid(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidFilter, detail)
}

fn resolve(scope: Scope<'_>, path: &AttrPath) -> ScimResult<schema::Resolved> {
    schema::resolve(scope, path.urn.as_deref(), &path.name, path.sub_attr.as_deref())
        .ok_or_else(|| invalid(format!("unknown attribute {path} for {}", scope.kind.name())))
}

/// The canonical name of `path`, relative to `parent` inside a value path.
fn attribute(scope: Scope<'_>, path: &AttrPath, parent: Option<&schema::Resolved>) -> ScimResult<String> {
    match parent {
        None => Ok(resolve(scope, path)?.canonical),
        Some(p) => {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return Err(invalid(format!("{path} inside {}[...] must be a plain sub-attribute", p.canonical)));
            }
            schema::resolve_sub(p, &path.name)
                .and_then(|r| r.sub.map(|s| s.name.to_owned()))
                .ok_or_else(|| invalid(format!("{} has no sub-attribute {}", p.canonical, path.name)))
        }
    }
}

fn compare_op(op: CompareOp) -> pb::CompareOp {
    match op {
        CompareOp::Eq => pb::CompareOp::Eq,
        CompareOp::Ne => pb::CompareOp::Ne,
        CompareOp::Co => pb::CompareOp::Co,
        CompareOp::Sw => pb::CompareOp::Sw,
        CompareOp::Ew => pb::CompareOp::Ew,
        CompareOp::Gt => pb::CompareOp::Gt,
        CompareOp::Ge => pb::CompareOp::Ge,
        CompareOp::Lt => pb::CompareOp::Lt,
        CompareOp::Le => pb::CompareOp::Le,
    }
}

fn literal(v: &filter::Value) -> V {
    match v {
        filter::Value::String(s) => V::StringValue(s.clone()),
        filter::Value::Bool(b) => V::BoolValue(*b),
        filter::Value::Int(i) => V::IntValue(*i),
        filter::Value::Decimal(d) => V::DecimalValue(*d),
        filter::Value::Null => V::NullValue(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ResourceKind;

    fn compiled(kind: ResourceKind, text: &str) -> ScimResult<pb::Filter> {
        compile(kind.into(), text)
    }

    #[test]
    fn attribute_names_become_canonical() -> Result<(), String> {
        let f = compiled(ResourceKind::User, "USERNAME eq \"x\" and name.FAMILYNAME sw \"D\"").map_err(|e| e.detail)?;
        let Some(F::And(list)) = f.expr else {
            return Err("not an and".into());
        };
        let names: Vec<String> = list
            .operands
            .iter()
            .filter_map(|o| match &o.expr {
                Some(F::Compare(c)) => Some(c.attribute.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["userName", "name.familyName"]);
        Ok(())
    }

    #[test]
    fn entra_email_lookup_becomes_a_value_path_with_relative_names() -> Result<(), String> {
        let f = compiled(ResourceKind::User, "emails[type eq \"work\"].value eq \"a@x.com\"").map_err(|e| e.detail)?;
        let Some(F::ValuePath(vp)) = f.expr else {
            return Err("not a value path".into());
        };
        assert_eq!(vp.attribute, "emails");
        let text = format!("{:?}", vp.filter);
        assert!(text.contains("attribute: \"type\"") && text.contains("attribute: \"value\""), "{text}");
        Ok(())
    }

    #[test]
    fn unknown_attributes_and_bad_syntax_are_invalid_filters() {
        for text in ["nope eq 1", "userName eqq \"x\"", "(userName eq \"x\"", "emails[nope eq 1]"] {
            let e = compiled(ResourceKind::User, text).err().and_then(|e| e.scim_type);
            assert_eq!(e, Some(ScimType::InvalidFilter), "{text}");
        }
    }

    #[test]
    fn paging_parameters_are_clamped_as_rfc_7644_says() -> Result<(), String> {
        let p = ListParams { start_index: Some("0".into()), count: Some("-5".into()), ..Default::default() };
        let q = p.parse(ResourceKind::User.into()).map_err(|e| e.detail)?;
        assert_eq!((q.start_index, q.count), (1, 0));
        let p = ListParams { count: Some("100000".into()), ..Default::default() };
        assert_eq!(p.parse(ResourceKind::User.into()).map_err(|e| e.detail)?.count, MAX_COUNT);
        Ok(())
    }
}
