//! Fuzzes `scim_edge::filter::parse_filter`, `parse_filter_lenient` and `scim_edge::query::compile`.
//!
//! For every valid UTF-8 input that parses:
//! - the canonical `Display` text must parse back to the same tree (round trip), except for a
//!   filter holding a non-finite decimal (NaN never equals itself, and NaN/inf have no JSON text);
//! - resolving the filter against the User and Group schemas must not panic.
//!
//! The lenient parser (unquoted compare values, `userName sw O`) must accept whatever the strict
//! one accepts, as the same tree; and what it accepts alone prints as quoted text that the
//! STRICT parser reads back to the same tree (limits aside, as below).
//!
//! Neither parser nor resolver may panic on any input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_edge::filter::{Filter, Value, parse_filter, parse_filter_lenient};
use scim_edge::query::compile;
use scim_edge::schema::ResourceKind;

/// True if any comparison value in `f` is a NaN or infinite decimal.
fn has_non_finite(f: &Filter) -> bool {
    match f {
        Filter::And(items) | Filter::Or(items) => items.iter().any(has_non_finite),
        Filter::Not(inner) => has_non_finite(inner),
        Filter::Compare { value: Value::Decimal(d), .. } => !d.is_finite(),
        Filter::Compare { .. } | Filter::Present(_) => false,
        Filter::ValuePath { filter, .. } => has_non_finite(filter),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = parse_filter(text);
    let lenient = parse_filter_lenient(text);
    if let Ok(f) = &strict {
        assert!(
            lenient.as_ref() == Ok(f),
            "lenient parse differs from strict\n input:   {text:?}\n strict:  {f:?}\n lenient: {lenient:?}"
        );
    }
    // The strict tree when there is one, else the lenient one (bare values).
    let Ok(filter) = strict.or(lenient) else {
        return;
    };
    // compile() parses `text` again itself; only worth running on input that parses.
    // `.into()`: compile takes a `ResourceKind` at f3dfbcd and a `schema::Scope` (which has
    // `From<ResourceKind>`) in later work; this line builds against both.
    #[allow(clippy::useless_conversion)]
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let _ = compile(kind.into(), text);
    }
    if has_non_finite(&filter) {
        return;
    }
    let printed = filter.to_string();
    let reparsed = parse_filter(&printed);
    // Printing can legitimately grow a filter that sits at a limit (a
    // decimal printed longer than written, parentheses a desugared value
    // path gains): then the reprint is refused by the same limit, which is
    // the limit working, not a parser fault.
    if reparsed.as_ref().is_err_and(|e| {
        let m = e.to_string();
        m.contains("too long") || m.contains("too deeply") || m.contains("too many")
    }) {
        return;
    }
    assert!(
        reparsed.as_ref() == Ok(&filter),
        "filter round trip failed\n input:    {text:?}\n parsed:   {filter:?}\n printed:  {printed:?}\n reparsed: {reparsed:?}"
    );
});
