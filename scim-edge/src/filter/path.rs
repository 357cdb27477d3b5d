//! Attribute paths (`[urn ":"] name ["." sub]`, RFC 7644 §3.10) and PATCH paths (RFC 7644 §3.5.2).

use super::lexer::TokenKind;
use super::stream::Parser;
use super::{AttrPath, FilterError, PatchPath, shorten};

/// Parses a PATCH operation's `path`: `attrPath` or `valuePath [subAttr]` (RFC 7644 §3.5.2).
///
/// `emails[type eq "work"].value` gives `attr = emails`, the element filter and
/// `sub_attr = Some("value")`; `name.givenName` puts the sub-attribute in `attr.sub_attr`.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, FilterError> {
    let mut parser = Parser::new(input, "path")?;
    let token = parser.peek()?;
    if token.kind != TokenKind::Word {
        return Err(parser.expected("an attribute path", &token));
    }
    let attr = parse_attr_path(token.text, token.start)?;
    parser.advance();
    let Some(filter) = parser.value_filter(&attr, &token)? else {
        parser.end(r#""[" or the end of the path"#)?;
        return Ok(PatchPath { attr, filter: None, sub_attr: None });
    };
    let next = parser.peek()?;
    let sub_attr = match next.text.strip_prefix('.') {
        Some(sub) if next.kind == TokenKind::Word => {
            let sub = parse_sub_attr(sub, next.start + 1)?;
            parser.advance();
            parser.end("the end of the path")?;
            Some(sub)
        }
        _ => {
            parser.end(r#"".subAttribute" or the end of the path"#)?;
            None
        }
    };
    Ok(PatchPath { attr, filter: Some(filter), sub_attr })
}

/// Parses one attribute path token that starts at character `start`.
///
/// A URN prefix is everything before the last `:`, so `urn:...:User:manager.value` has the
/// attribute `manager` and sub-attribute `value`.
pub(super) fn parse_attr_path(text: &str, start: usize) -> Result<AttrPath, FilterError> {
    let invalid = |why: &str| {
        FilterError::new(start, format!("invalid attribute path \"{}\" at position {start}: {why}", shorten(text)))
    };
    let (urn, rest) = match text.rfind(':') {
        Some(colon) => {
            let urn = &text[..colon];
            check_urn(urn).map_err(invalid)?;
            (Some(urn.to_owned()), &text[colon + 1..])
        }
        None => (None, text),
    };
    let (name, sub_attr) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    check_name(name).map_err(invalid)?;
    if let Some(sub) = sub_attr {
        if sub.contains('.') {
            return Err(invalid("only one level of sub-attribute is allowed"));
        }
        check_name(sub).map_err(invalid)?;
    }
    Ok(AttrPath { urn, name: name.to_owned(), sub_attr: sub_attr.map(str::to_owned) })
}

/// Parses the sub-attribute after `].`, starting at character `start`.
pub(super) fn parse_sub_attr(text: &str, start: usize) -> Result<String, FilterError> {
    check_name(text).map_err(|why| {
        FilterError::new(start, format!("invalid sub-attribute \"{}\" at position {start}: {why}", shorten(text)))
    })?;
    Ok(text.to_owned())
}

/// `ATTRNAME = ALPHA *("-" / "_" / DIGIT / ALPHA)`, plus `$ref` (RFC 7643 §2.1).
fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("an attribute name is missing");
    }
    if name.eq_ignore_ascii_case("$ref") {
        return Ok(());
    }
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err("attribute names start with a letter followed by letters, digits, \"-\" or \"_\"");
    }
    Ok(())
}

/// `urn:` followed by at least two non-empty colon-separated segments.
fn check_urn(urn: &str) -> Result<(), &'static str> {
    let mut segments = urn.split(':');
    if !segments.next().is_some_and(|s| s.eq_ignore_ascii_case("urn")) {
        return Err("a schema prefix must be a urn (\"urn:...\")");
    }
    let mut count = 0;
    for segment in segments {
        let valid = !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || "-._~+%".contains(c));
        if !valid {
            return Err("the urn prefix has an empty or invalid segment");
        }
        count += 1;
    }
    if count < 2 {
        return Err("the urn prefix is incomplete");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{CompareOp, Filter, Value};

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn attr(name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath { urn: None, name: name.into(), sub_attr: sub.map(Into::into) }
    }

    fn eq(name: &str, value: &str) -> Filter {
        Filter::Compare { path: AttrPath::new(name), op: CompareOp::Eq, value: Value::String(value.into()) }
    }

    fn failure(result: Result<PatchPath, FilterError>) -> String {
        match result {
            Ok(path) => panic!("parsed as {path:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_plain_and_a_dotted_attribute_path_are_parsed() {
        assert_eq!(parse_attr_path("userName", 0), Ok(attr("userName", None)));
        assert_eq!(parse_attr_path("name.familyName", 0), Ok(attr("name", Some("familyName"))));
        assert_eq!(parse_attr_path("members.$ref", 0), Ok(attr("members", Some("$ref"))));
        assert_eq!(parse_attr_path("x-y_z9", 0), Ok(attr("x-y_z9", None)));
    }

    #[test]
    fn a_urn_prefix_ends_at_the_last_colon() -> Result<(), FilterError> {
        let path = parse_attr_path(&format!("{ENTERPRISE}:department"), 0)?;
        assert_eq!(path.urn.as_deref(), Some(ENTERPRISE));
        assert_eq!((path.name.as_str(), path.sub_attr), ("department", None));
        let path = parse_attr_path(&format!("{ENTERPRISE}:manager.value"), 0)?;
        assert_eq!(path.urn.as_deref(), Some(ENTERPRISE));
        assert_eq!((path.name.as_str(), path.sub_attr.as_deref()), ("manager", Some("value")));
        Ok(())
    }

    #[test]
    fn invalid_attribute_paths_are_rejected_with_a_reason() {
        for (text, why) in [
            ("1abc", "start with a letter"),
            ("a.b.c", "one level of sub-attribute"),
            ("a..b", "one level of sub-attribute"),
            ("a.", "name is missing"),
            ("foo:bar", "must be a urn"),
            ("urn:x", "incomplete"),
            ("urn::x:y", "empty or invalid segment"),
            ("urn:a:b:", "name is missing"),
            ("na!me", "start with a letter"),
        ] {
            let err = parse_attr_path(text, 3).err().unwrap_or_else(|| panic!("{text:?} parsed"));
            assert_eq!(err.position(), 3);
            assert!(err.to_string().contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn a_patch_path_may_be_a_plain_or_dotted_attribute() -> Result<(), FilterError> {
        let path = parse_patch_path("name.givenName")?;
        assert_eq!(path, PatchPath { attr: attr("name", Some("givenName")), filter: None, sub_attr: None });
        assert_eq!(parse_patch_path("  userName\t")?.attr, attr("userName", None));
        Ok(())
    }

    #[test]
    fn a_patch_path_may_carry_a_urn() -> Result<(), FilterError> {
        let path = parse_patch_path(&format!("{ENTERPRISE}:manager"))?;
        assert_eq!(path.attr.urn.as_deref(), Some(ENTERPRISE));
        assert_eq!(path.attr.name, "manager");
        Ok(())
    }

    #[test]
    fn a_patch_path_may_filter_the_elements_of_a_multi_valued_attribute() -> Result<(), FilterError> {
        let path = parse_patch_path(r#"members[value eq "2819c223"]"#)?;
        assert_eq!(
            path,
            PatchPath { attr: attr("members", None), filter: Some(eq("value", "2819c223")), sub_attr: None }
        );
        Ok(())
    }

    #[test]
    fn a_patch_path_may_name_a_sub_attribute_after_the_filter() -> Result<(), FilterError> {
        let path = parse_patch_path(r#"emails[type eq "work"].value"#)?;
        assert_eq!(path.filter, Some(eq("type", "work")));
        assert_eq!(path.sub_attr.as_deref(), Some("value"));
        assert_eq!(path.to_string(), r#"emails[type eq "work"].value"#);
        Ok(())
    }

    #[test]
    fn malformed_patch_paths_are_rejected() {
        for (input, message) in [
            ("", "the path is empty"),
            ("   ", "the path is empty"),
            ("[a eq 1]", r#"expected an attribute path at position 0, found "[""#),
            ("members x", r#"expected "[" or the end of the path after "members" at position 8"#),
            ("members[value eq 1", r#"the "[" at position 7 is never closed"#),
            ("members[value eq 1]]", r#"unexpected "]" at position 19 without a matching "[""#),
            ("members[value eq 1] x", r#"expected ".subAttribute" or the end of the path"#),
            ("emails[type eq 1].value.x", r#"invalid sub-attribute "value.x" at position 18"#),
            ("emails[type eq 1].", r#"invalid sub-attribute "" at position 18"#),
            ("emails[type eq 1].value x", r#"expected the end of the path after ".value""#),
            ("name.givenName[a pr]", "not to the sub-attribute \"name.givenName\""),
            ("members[value[a eq 1]]", "value filters cannot be nested"),
            ("members[]", r#"expected an attribute path, "not" or "(" after "[" at position 8"#),
        ] {
            let err = failure(parse_patch_path(input));
            assert!(err.contains(message), "{input:?}: {err}");
        }
    }

    #[test]
    fn a_patch_path_over_the_length_limit_is_rejected() {
        let input = format!("a{}", "b".repeat(crate::filter::MAX_FILTER_LEN));
        assert!(failure(parse_patch_path(&input)).contains("too long"));
    }
}
