//! SCIM filter and PATCH path parser (RFC 7644 §3.4.2.2, §3.5.2).
//!
//! [`parse_filter`] turns `?filter=` text into a [`Filter`] tree and [`parse_patch_path`] turns a
//! PATCH operation's `path` into a [`PatchPath`]. Both are bounded ([`MAX_FILTER_LEN`],
//! [`MAX_DEPTH`], [`MAX_TERMS`]) so hostile input cannot exhaust the stack or the CPU. The
//! `Display` impls print canonical filter text that parses back to the same tree.
//!
//! This layer is purely syntactic: attribute names keep the client's spelling and are not checked
//! against a schema, and date-times are plain strings.

mod lexer;
mod parser;
mod path;
mod stream;

use std::fmt;

pub use parser::{parse_filter, parse_filter_lenient};
pub use path::parse_patch_path;

/// Longest accepted filter or path, in bytes.
pub const MAX_FILTER_LEN: usize = 8192;
/// Deepest accepted nesting; every `(`, `not (` and `[` opens one level.
pub const MAX_DEPTH: usize = 32;
/// Most comparison and `pr` terms accepted in one filter.
pub const MAX_TERMS: usize = 256;

/// An attribute reference: `[urn ":"] name ["." sub_attr]` (RFC 7644 §3.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URN prefix without the trailing `:`, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub urn: Option<String>,
    /// Attribute name as the client spelled it.
    pub name: String,
    /// Sub-attribute after the `.`, as the client spelled it.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A path with just an attribute name, no URN and no sub-attribute.
    pub fn new(name: impl Into<String>) -> Self {
        Self { urn: None, name: name.into(), sub_attr: None }
    }
}

/// A comparison operator (RFC 7644 §3.4.2.2, table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in RFC order.
    pub const ALL: [CompareOp; 9] =
        [Self::Eq, Self::Ne, Self::Co, Self::Sw, Self::Ew, Self::Gt, Self::Ge, Self::Lt, Self::Le];

    /// The canonical (lowercase) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// Parses an operator in any letter case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(text))
    }
}

/// A comparison value (RFC 7644 §3.4.2.2 `compValue`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A JSON string (also used for date-times and binary values).
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// A JSON integer that fits in an `i64`.
    Int(i64),
    /// Any other JSON number.
    Decimal(f64),
    /// `null`.
    Null,
}

/// A parsed filter (RFC 7644 §3.4.2.2).
///
/// Parsed `And`/`Or` nodes always have at least two operands; a chain `a and b and c` is one
/// node, while explicit parentheses keep their own node.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// All operands match.
    And(Vec<Filter>),
    /// At least one operand matches.
    Or(Vec<Filter>),
    /// The operand does not match.
    Not(Box<Filter>),
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value compared against.
        value: Value,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `attr[filter]`: some element of the multi-valued `attr` matches `filter`, whose paths are
    /// relative to the element. `attr[f].sub op v` is parsed as `attr[f and sub op v]`.
    ValuePath {
        /// The multi-valued attribute.
        attr: AttrPath,
        /// The condition on one element.
        filter: Box<Filter>,
    },
}

/// A PATCH operation's target (RFC 7644 §3.5.2): `attrPath` or `valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute addressed, e.g. `members` or `name.givenName`.
    pub attr: AttrPath,
    /// The element filter in `members[value eq "..."]`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the element filter, `value` in `emails[type eq "work"].value`.
    pub sub_attr: Option<String>,
}

/// Why a filter or path was rejected; `Display` says where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    position: usize,
    message: String,
}

impl FilterError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        Self { position, message: message.into() }
    }

    /// Character offset of the problem in the input (0 for whole-input problems).
    pub fn position(&self) -> usize {
        self.position
    }
}

/// `text` cut to a readable length for an error message.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 24;
    let mut short: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        short.push_str("...");
    }
    short
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => write_json_string(f, s),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            // `Debug` is the shortest round-tripping form and keeps a `.0` or exponent, so the
            // text parses back as a decimal rather than an integer.
            Self::Decimal(d) => write!(f, "{d:?}"),
            Self::Null => f.write_str("null"),
        }
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::And(items) => write_joined(f, items, " and "),
            Self::Or(items) => write_joined(f, items, " or "),
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::ValuePath { attr, filter } => write!(f, "{attr}[{filter}]"),
        }
    }
}

/// Writes operands separated by `sep`, parenthesising nested `and`/`or`
/// (`not (…)` carries its own parentheses).
fn write_joined(f: &mut fmt::Formatter<'_>, items: &[Filter], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        match item {
            Filter::And(_) | Filter::Or(_) => write!(f, "({item})")?,
            _ => write!(f, "{item}")?,
        }
    }
    Ok(())
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn pr(name: &str) -> Filter {
        Filter::Present(AttrPath::new(name))
    }

    fn int(name: &str, i: i64) -> Filter {
        Filter::Compare { path: AttrPath::new(name), op: CompareOp::Eq, value: Value::Int(i) }
    }

    #[test]
    fn nested_and_or_are_parenthesised_and_not_carries_its_own() {
        let filter = Filter::Or(vec![int("a", 1), Filter::And(vec![int("b", 2), Filter::Not(Box::new(pr("c")))])]);
        assert_eq!(filter.to_string(), "a eq 1 or (b eq 2 and not (c pr))");
        let filter = Filter::Not(Box::new(Filter::Or(vec![pr("a"), pr("b")])));
        assert_eq!(filter.to_string(), "not (a pr or b pr)");
    }

    #[test]
    fn a_value_path_prints_its_filter_in_brackets() {
        let filter = Filter::ValuePath {
            attr: AttrPath::new("emails"),
            filter: Box::new(Filter::And(vec![pr("type"), pr("value")])),
        };
        assert_eq!(filter.to_string(), "emails[type pr and value pr]");
    }

    #[test]
    fn an_attribute_path_prints_its_urn_and_sub_attribute() {
        let path = AttrPath {
            urn: Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into()),
            name: "manager".into(),
            sub_attr: Some("value".into()),
        };
        assert_eq!(path.to_string(), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
    }

    #[test]
    fn values_print_as_json() {
        let s = Value::String("q\"b\\s/\n\r\t\u{8}\u{c}\u{1}é😀".into());
        assert_eq!(s.to_string(), r#""q\"b\\s/\n\r\t\b\f\u0001é😀""#);
        assert_eq!(Value::Bool(true).to_string(), "true");
        assert_eq!(Value::Null.to_string(), "null");
        assert_eq!(Value::Int(-3).to_string(), "-3");
        assert_eq!(Value::Decimal(2.0).to_string(), "2.0");
        assert_eq!(Value::Decimal(1e300).to_string(), "1e300");
        assert_eq!(Value::Decimal(-0.5).to_string(), "-0.5");
    }

    #[test]
    fn a_patch_path_prints_filter_and_sub_attribute() {
        let path = PatchPath {
            attr: AttrPath::new("members"),
            filter: Some(int("value", 1)),
            sub_attr: Some("display".into()),
        };
        assert_eq!(path.to_string(), "members[value eq 1].display");
        assert_eq!(parse_patch_path(&path.to_string()), Ok(path));
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-zA-Z][a-zA-Z0-9_-]{0,6}",
            1 => prop::sample::select(vec!["$ref", "not", "and", "or", "pr", "eq", "true"])
                .prop_map(String::from),
        ]
    }

    fn attr_path() -> impl Strategy<Value = AttrPath> {
        let urn = prop::option::of("urn:[a-z]{1,4}(:[A-Za-z0-9.~+%_-]{1,6}){1,3}");
        (urn, name(), prop::option::of(name())).prop_map(|(urn, name, sub_attr)| AttrPath { urn, name, sub_attr })
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            vec(any::<char>(), 0..12).prop_map(|c| Value::String(c.into_iter().collect())),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_filter("finite", |d| d.is_finite()).prop_map(Value::Decimal),
            Just(Value::Null),
        ]
    }

    fn term() -> impl Strategy<Value = Filter> {
        let op = prop::sample::select(CompareOp::ALL.to_vec());
        prop_oneof![
            (attr_path(), op, value()).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
            attr_path().prop_map(Filter::Present),
        ]
    }

    fn tree(leaf: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
        leaf.prop_recursive(3, 24, 3, |inner| {
            prop_oneof![
                vec(inner.clone(), 2..4).prop_map(Filter::And),
                vec(inner.clone(), 2..4).prop_map(Filter::Or),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
        .boxed()
    }

    fn filter() -> impl Strategy<Value = Filter> {
        let element = tree(term().boxed());
        let multi = attr_path().prop_map(|a| AttrPath { sub_attr: None, ..a });
        let value_path = (multi, element).prop_map(|(attr, f)| Filter::ValuePath { attr, filter: Box::new(f) });
        tree(prop_oneof![3 => term(), 1 => value_path].boxed())
    }

    fn filterish() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "a",
            "b.c",
            "emails",
            "urn:x:y:z",
            "eq",
            "PR",
            "and",
            "or",
            "not",
            "(",
            ")",
            "[",
            "]",
            "\"x\"",
            "\"\\",
            "\\u",
            "\"\\ud800",
            "1",
            "-1.5e3",
            "true",
            "null",
            ".v",
            " ",
            "\t",
            "\"",
        ]);
        vec(piece, 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn a_printed_filter_parses_back_to_the_same_tree(f in filter()) {
            let text = f.to_string();
            prop_assume!(text.len() <= MAX_FILTER_LEN);
            prop_assert_eq!(parse_filter(&text), Ok(f), "{}", text);
        }

        #[test]
        fn a_printed_patch_path_parses_back_to_the_same_path(
            attr in attr_path(),
            element in prop::option::of(tree(term().boxed())),
            sub in prop::option::of(name()),
        ) {
            let path = match element {
                Some(f) => PatchPath { attr: AttrPath { sub_attr: None, ..attr }, filter: Some(f), sub_attr: sub },
                None => PatchPath { attr, filter: None, sub_attr: None },
            };
            prop_assert_eq!(parse_patch_path(&path.to_string()), Ok(path));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            let _ = parse_filter(&s);
            let _ = parse_patch_path(&s);
        }

        #[test]
        fn filter_like_strings_never_panic_and_errors_point_inside_the_input(s in filterish()) {
            let errors = [parse_filter(&s).err(), parse_patch_path(&s).err()];
            for err in errors.into_iter().flatten() {
                prop_assert!(err.position() <= s.chars().count(), "{}: {}", s, err);
                prop_assert!(err.to_string().starts_with(|c: char| c.is_lowercase() || c == '"'));
            }
        }
    }
}
