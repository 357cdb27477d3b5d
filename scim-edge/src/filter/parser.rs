//! Recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2, figure 1).
//!
//! Grammar, loosest binding first (`not` > `and` > `or`):
//! ```text
//! or    = and *("or" and)
//! and   = unary *("and" unary)
//! unary = "not" "(" or ")" / "(" or ")" / attrExp / valuePath ["." subAttr (pr / op value)]
//! ```
//! Only `(`, `not (` and `[` recurse, and each of them first checks [`MAX_DEPTH`], so the native
//! stack stays shallow whatever the input.
//!
//! [`MAX_DEPTH`]: super::MAX_DEPTH

use super::lexer::{NotAValue, Token, TokenKind, word_value};
use super::path::{parse_attr_path, parse_sub_attr};
use super::stream::Parser;
use super::{AttrPath, CompareOp, Filter, FilterError, Value};

/// Parses a SCIM filter expression (RFC 7644 §3.4.2.2).
///
/// Operators and `true`/`false`/`null` are case-insensitive; attribute names keep their spelling.
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser::new(input, "filter")?;
    let filter = parser.or()?;
    parser.end(r#""and", "or" or the end of the filter"#)?;
    Ok(filter)
}

/// Like [`parse_filter`], but an unquoted compare value that is not a number, `true`, `false`
/// or `null` is taken as a string: `userName sw O`, `name.familyName eq Employee`, and a bare
/// RFC 3339 timestamp (`meta.created gt 2015-10-10T14:38:21.8617979-07:00`), which, like every
/// date-time at this layer, is a string the schema layer reads as a dateTime. Microsoft's
/// SCIMReferenceCode test collection sends these; lenient tenants accept them. `and`, `or` and
/// `not` are never values.
pub fn parse_filter_lenient(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser::new(input, "filter")?;
    parser.bare_values = true;
    let filter = parser.or()?;
    parser.end(r#""and", "or" or the end of the filter"#)?;
    Ok(filter)
}

impl Parser<'_> {
    /// `or = and *("or" and)`
    pub(super) fn or(&mut self) -> Result<Filter, FilterError> {
        let first = self.and()?;
        if !self.at_keyword("or")? {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.at_keyword("or")? {
            self.advance();
            items.push(self.and()?);
        }
        Ok(Filter::Or(items))
    }

    /// `and = unary *("and" unary)`
    fn and(&mut self) -> Result<Filter, FilterError> {
        let first = self.unary()?;
        if !self.at_keyword("and")? {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.at_keyword("and")? {
            self.advance();
            items.push(self.unary()?);
        }
        Ok(Filter::And(items))
    }

    /// `unary = "not" "(" or ")" / "(" or ")" / attribute expression`
    fn unary(&mut self) -> Result<Filter, FilterError> {
        let token = self.peek()?;
        match token.kind {
            TokenKind::LParen => {
                self.enter(&token)?;
                let inner = self.or()?;
                self.close(&token, TokenKind::RParen)?;
                Ok(inner)
            }
            TokenKind::Word if token.text.eq_ignore_ascii_case("not") => {
                match self.peek_second().map(|t| (&t.kind, t.text)) {
                    Some((TokenKind::LParen, _)) => {
                        self.enter(&token)?;
                        let open = self.peek()?;
                        self.advance();
                        let inner = self.or()?;
                        self.close(&open, TokenKind::RParen)?;
                        Ok(Filter::Not(Box::new(inner)))
                    }
                    // An attribute that happens to be called "not": `not pr`, `not eq 1`.
                    Some((TokenKind::LBracket, _)) => self.attr_expr(),
                    Some((TokenKind::Word, next))
                        if next.eq_ignore_ascii_case("pr") || CompareOp::parse(next).is_some() =>
                    {
                        self.attr_expr()
                    }
                    _ => {
                        self.advance();
                        let found = self.peek()?;
                        Err(self.expected(r#""(""#, &found))
                    }
                }
            }
            TokenKind::Word => self.attr_expr(),
            _ => Err(self.expected(r#"an attribute path, "not" or "(""#, &token)),
        }
    }

    /// `attrPath (pr / op value)` or `attrPath "[" filter "]" ["." subAttr (pr / op value)]`.
    fn attr_expr(&mut self) -> Result<Filter, FilterError> {
        let token = self.peek()?;
        let path = parse_attr_path(token.text, token.start)?;
        self.advance();
        let Some(filter) = self.value_filter(&path, &token)? else {
            return self.condition(path);
        };
        let next = self.peek()?;
        let filter = match next.text.strip_prefix('.') {
            Some(sub) if next.kind == TokenKind::Word => {
                // RFC 7644 §3.4.2.2: `emails[type eq "work"].value eq "x"` means the same
                // element must satisfy both conditions.
                let sub = parse_sub_attr(sub, next.start + 1)?;
                self.advance();
                let term = self.condition(AttrPath::new(sub))?;
                match filter {
                    Filter::And(mut items) => {
                        items.push(term);
                        Filter::And(items)
                    }
                    other => Filter::And(vec![other, term]),
                }
            }
            _ => filter,
        };
        Ok(Filter::ValuePath { attr: path, filter: Box::new(filter) })
    }

    /// Parses `"[" filter "]"` after `attr` if the current token is `[`.
    pub(super) fn value_filter(
        &mut self,
        attr: &AttrPath,
        attr_token: &Token<'_>,
    ) -> Result<Option<Filter>, FilterError> {
        let open = self.peek()?;
        if open.kind != TokenKind::LBracket {
            return Ok(None);
        }
        if self.in_value_filter {
            return Err(FilterError::new(
                open.start,
                format!("value filters cannot be nested, found \"[\" at position {}", open.start),
            ));
        }
        if attr.sub_attr.is_some() {
            return Err(FilterError::new(
                open.start,
                format!(
                    "a value filter applies to a multi-valued attribute, not to the \
                     sub-attribute {}, found \"[\" at position {}",
                    self.describe(attr_token),
                    open.start
                ),
            ));
        }
        self.enter(&open)?;
        self.in_value_filter = true;
        let filter = self.or()?;
        self.close(&open, TokenKind::RBracket)?;
        self.in_value_filter = false;
        Ok(Some(filter))
    }

    /// `pr` or `compareOp compValue` after `path`.
    fn condition(&mut self, path: AttrPath) -> Result<Filter, FilterError> {
        let token = self.peek()?;
        if token.kind == TokenKind::Word && token.text.eq_ignore_ascii_case("pr") {
            self.count_term(&token)?;
            self.advance();
            let next = self.peek()?;
            let has_value = match next.kind {
                TokenKind::Str(_) => true,
                TokenKind::Word => word_value(next.text).is_ok(),
                _ => false,
            };
            if has_value {
                return Err(FilterError::new(
                    next.start,
                    format!("\"pr\" takes no value, found {} at position {}", self.describe(&next), next.start),
                ));
            }
            return Ok(Filter::Present(path));
        }
        let op = match (&token.kind, CompareOp::parse(token.text)) {
            (TokenKind::Word, Some(op)) => op,
            _ => return Err(self.expected("a comparison operator", &token)),
        };
        self.count_term(&token)?;
        self.advance();
        let token = self.peek()?;
        let value = match &token.kind {
            TokenKind::Str(s) => Value::String(s.clone()),
            TokenKind::Word => match word_value(token.text) {
                Ok(value) => value,
                Err(NotAValue::OutOfRange) => {
                    return Err(FilterError::new(
                        token.start,
                        format!("the number {} at position {} is out of range", self.describe(&token), token.start),
                    ));
                }
                Err(NotAValue::Unknown) if self.bare_values && !is_keyword(token.text) => {
                    Value::String(token.text.to_owned())
                }
                Err(NotAValue::Unknown) => return Err(self.expected(VALUE, &token)),
            },
            _ => return Err(self.expected(VALUE, &token)),
        };
        self.advance();
        Ok(Filter::Compare { path, op, value })
    }
}

const VALUE: &str = "a value (a string, number, true, false or null)";

/// Words that join or negate terms, never a bare value.
fn is_keyword(word: &str) -> bool {
    ["and", "or", "not"].iter().any(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(name: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare { path: AttrPath::new(name), op, value }
    }

    fn eq(name: &str, value: &str) -> Filter {
        cmp(name, CompareOp::Eq, Value::String(value.into()))
    }

    fn int(name: &str, value: i64) -> Filter {
        cmp(name, CompareOp::Eq, Value::Int(value))
    }

    fn pr(name: &str) -> Filter {
        Filter::Present(AttrPath::new(name))
    }

    fn value_path(attr: &str, filter: Filter) -> Filter {
        Filter::ValuePath { attr: AttrPath::new(attr), filter: Box::new(filter) }
    }

    fn error(input: &str) -> String {
        match parse_filter(input) {
            Ok(filter) => panic!("{input:?} parsed as {filter:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[track_caller]
    fn assert_error(input: &str, message: &str) {
        let err = error(input);
        assert!(err.contains(message), "{input:?}: {err:?} does not contain {message:?}");
    }

    #[test]
    fn every_comparison_operator_is_parsed() -> Result<(), FilterError> {
        for op in CompareOp::ALL {
            let filter = parse_filter(&format!("a {op} 1"))?;
            assert_eq!(filter, cmp("a", op, Value::Int(1)));
            let upper = parse_filter(&format!("a {} 1", op.as_str().to_uppercase()))?;
            assert_eq!(upper, filter);
        }
        Ok(())
    }

    #[test]
    fn operators_and_keywords_are_case_insensitive() {
        let filter = parse_filter(r#"userName Eq "x" AnD title PR oR NoT (active eq TRUE)"#);
        let expected = Filter::Or(vec![
            Filter::And(vec![eq("userName", "x"), pr("title")]),
            Filter::Not(Box::new(cmp("active", CompareOp::Eq, Value::Bool(true)))),
        ]);
        assert_eq!(filter, Ok(expected));
    }

    #[test]
    fn attribute_names_keep_their_spelling() {
        assert_eq!(parse_filter("UserName pr"), Ok(pr("UserName")));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let (a, b, c) = (int("a", 1), int("b", 2), int("c", 3));
        let expected = Filter::Or(vec![a.clone(), Filter::And(vec![b.clone(), c.clone()])]);
        assert_eq!(parse_filter("a eq 1 or b eq 2 and c eq 3"), Ok(expected));
        let expected = Filter::Or(vec![Filter::And(vec![a, b]), c]);
        assert_eq!(parse_filter("a eq 1 and b eq 2 or c eq 3"), Ok(expected));
    }

    #[test]
    fn chains_of_the_same_operator_are_flattened() {
        let expected = Filter::And(vec![pr("a"), pr("b"), pr("c")]);
        assert_eq!(parse_filter("a pr and b pr and c pr"), Ok(expected));
        let expected = Filter::Or(vec![pr("a"), pr("b"), pr("c")]);
        assert_eq!(parse_filter("a pr or b pr or c pr"), Ok(expected));
    }

    #[test]
    fn parentheses_override_precedence_and_keep_their_own_node() {
        let expected = Filter::And(vec![Filter::Or(vec![pr("a"), pr("b")]), pr("c")]);
        assert_eq!(parse_filter("(a pr or b pr) and c pr"), Ok(expected));
        let expected = Filter::And(vec![Filter::And(vec![pr("a"), pr("b")]), pr("c")]);
        assert_eq!(parse_filter("(a pr and b pr) and c pr"), Ok(expected));
        assert_eq!(parse_filter("((a pr))"), Ok(pr("a")));
    }

    #[test]
    fn not_applies_to_a_parenthesised_filter() {
        let expected = Filter::And(vec![Filter::Not(Box::new(pr("a"))), pr("b")]);
        assert_eq!(parse_filter("not (a pr) and b pr"), Ok(expected));
        let expected = Filter::Not(Box::new(Filter::Or(vec![pr("a"), pr("b")])));
        assert_eq!(parse_filter("not(a pr or b pr)"), Ok(expected));
    }

    #[test]
    fn an_attribute_called_not_is_still_an_attribute() {
        assert_eq!(parse_filter("not pr"), Ok(pr("not")));
        assert_eq!(parse_filter("not eq 1"), Ok(int("not", 1)));
        assert_eq!(parse_filter("not[a pr]"), Ok(value_path("not", pr("a"))));
    }

    #[test]
    fn a_value_path_filters_the_elements_of_a_multi_valued_attribute() {
        let filter = parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#);
        let inner =
            Filter::And(vec![eq("type", "work"), cmp("value", CompareOp::Co, Value::String("@example.com".into()))]);
        assert_eq!(filter, Ok(value_path("emails", inner)));
        let filter = parse_filter(r#"userType eq "Employee" and emails[not (type pr)]"#);
        let expected =
            Filter::And(vec![eq("userType", "Employee"), value_path("emails", Filter::Not(Box::new(pr("type"))))]);
        assert_eq!(filter, Ok(expected));
    }

    #[test]
    fn a_sub_attribute_after_a_value_path_joins_the_element_filter() {
        let filter = parse_filter(r#"emails[type eq "work"].value eq "x""#);
        let expected = value_path("emails", Filter::And(vec![eq("type", "work"), eq("value", "x")]));
        assert_eq!(filter, Ok(expected));
        let filter = parse_filter(r#"emails[type eq "work"].value pr"#);
        let expected = value_path("emails", Filter::And(vec![eq("type", "work"), pr("value")]));
        assert_eq!(filter, Ok(expected));
    }

    #[test]
    fn desugaring_appends_to_an_and_and_wraps_an_or() {
        let filter = parse_filter("x[a pr and b pr].c pr");
        assert_eq!(filter, Ok(value_path("x", Filter::And(vec![pr("a"), pr("b"), pr("c")]))));
        let filter = parse_filter("x[a pr or b pr].c pr");
        let inner = Filter::And(vec![Filter::Or(vec![pr("a"), pr("b")]), pr("c")]);
        assert_eq!(filter, Ok(value_path("x", inner)));
    }

    #[test]
    fn urn_qualified_paths_are_parsed() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let Ok(Filter::Compare { path, .. }) = parse_filter(&format!("{urn}:manager.value eq \"x\"")) else {
            panic!("not a comparison");
        };
        assert_eq!(path.urn.as_deref(), Some(urn));
        assert_eq!((path.name.as_str(), path.sub_attr.as_deref()), ("manager", Some("value")));
    }

    #[test]
    fn the_rfc_examples_parse() {
        for input in [
            r#"userName Eq "john""#,
            r#"name.familyName co "O'Malley""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            assert!(parse_filter(input).is_ok(), "{input}");
        }
    }

    #[test]
    fn values_are_strings_numbers_booleans_or_null() {
        for (text, value) in [
            (r#""a\"b\\c\u00e9\ud83d\ude00""#, Value::String("a\"b\\cé😀".into())),
            ("42", Value::Int(42)),
            ("-7", Value::Int(-7)),
            ("1.25", Value::Decimal(1.25)),
            ("12345678901234567890", Value::Decimal(12345678901234567890.0)),
            ("false", Value::Bool(false)),
            ("Null", Value::Null),
        ] {
            assert_eq!(parse_filter(&format!("a eq {text}")), Ok(cmp("a", CompareOp::Eq, value)));
        }
    }

    #[test]
    fn whitespace_around_and_between_tokens_is_ignored() {
        assert_eq!(parse_filter(" \t a \t eq  \"x\" \t "), Ok(eq("a", "x")));
        assert_eq!(parse_filter("( a pr )"), Ok(pr("a")));
    }

    #[test]
    fn an_unknown_operator_is_rejected() {
        assert_eq!(
            error(r#"userName eqq "x""#),
            r#"expected a comparison operator after "userName" at position 9, found "eqq""#
        );
        assert_error("userName", "found the end of the filter");
        assert_error(r#"emails[type eq "work"].value"#, r#"after ".value" at position 28"#);
    }

    #[test]
    fn a_comparison_without_a_value_is_rejected() {
        assert_eq!(
            error("userName eq"),
            r#"expected a value (a string, number, true, false or null) after "eq" at position 11, found the end of the filter"#
        );
        assert_error("(userName eq)", r#"found ")""#);
        assert_error("a eq and b pr", r#"found "and""#);
        assert_error("a eq bob", r#"at position 5, found "bob""#);
        assert_error("a eq 1e999", r#"the number "1e999" at position 5 is out of range"#);
    }

    #[test]
    fn present_with_a_value_is_rejected() {
        assert_error(r#"title pr "x""#, r#""pr" takes no value, found "x" at position 9"#);
        assert_error("title pr true", r#""pr" takes no value, found "true""#);
    }

    #[test]
    fn a_bad_string_escape_is_rejected() {
        assert_error(r#"a eq "\x""#, r#"invalid escape "\x" in a string at position 6"#);
        assert_error(r#"a eq "abc"#, "unterminated string starting at position 5");
    }

    #[test]
    fn the_leftmost_error_is_reported() {
        assert_error(r#"a eqq "\x""#, "expected a comparison operator");
    }

    #[test]
    fn not_without_parentheses_is_rejected() {
        assert_error("not a pr", r#"expected "(" after "not" at position 4, found "a""#);
        assert_error("a pr and not", r#"expected "(" after "not" at position 12"#);
    }

    #[test]
    fn value_paths_may_not_nest_or_follow_a_sub_attribute() {
        assert_error("a[b[c eq 1]]", "value filters cannot be nested, found \"[\" at position 3");
        assert_error("a[(b[c eq 1])]", "value filters cannot be nested");
        assert_error("name.x[a pr]", "not to the sub-attribute \"name.x\"");
        assert_error("emails[a pr].b.c pr", r#"invalid sub-attribute "b.c""#);
    }

    #[test]
    fn lenient_parsing_takes_bare_words_and_timestamps_as_strings() -> Result<(), FilterError> {
        assert_eq!(parse_filter_lenient("userName sw O")?, cmp("userName", CompareOp::Sw, Value::String("O".into())));
        assert_eq!(parse_filter_lenient("name.familyName eq Employee and active eq true")?, {
            let family = Filter::Compare {
                path: AttrPath { urn: None, name: "name".into(), sub_attr: Some("familyName".into()) },
                op: CompareOp::Eq,
                value: Value::String("Employee".into()),
            };
            Filter::And(vec![family, cmp("active", CompareOp::Eq, Value::Bool(true))])
        });
        let stamp = "2015-10-10T14:38:21.8617979-07:00";
        assert_eq!(
            parse_filter_lenient(&format!("x gt {stamp}"))?,
            cmp("x", CompareOp::Gt, Value::String(stamp.into()))
        );
        assert_eq!(parse_filter_lenient("a eq 1")?, int("a", 1));
        Ok(())
    }

    #[test]
    fn lenient_parsing_still_refuses_keywords_as_values_and_strict_refuses_bare_words() {
        for text in ["a eq and", "a eq or", "a eq not", "a eq", "a eq (b)"] {
            assert!(parse_filter_lenient(text).is_err(), "{text}");
        }
        assert_error("userName sw O", "expected a value");
    }
}
