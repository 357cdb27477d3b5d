//! The token stream a parser walks: lookahead, nesting and term limits, and error messages.

use super::lexer::{Token, TokenKind, Tokens, tokenize};
use super::{FilterError, MAX_DEPTH, MAX_FILTER_LEN, MAX_TERMS, shorten};

/// Parser state shared by filters and PATCH paths.
pub(super) struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    lex_error: Option<FilterError>,
    /// Index of the current token.
    pos: usize,
    /// Open `(`, `not (` and `[` levels.
    depth: usize,
    /// Comparison and `pr` terms seen so far.
    terms: usize,
    /// Inside `[...]`, where another `[` is not allowed.
    pub(super) in_value_filter: bool,
    /// "filter" or "path", for messages.
    subject: &'static str,
    /// Whether an unquoted word in a value position is a string (lenient
    /// tenants: `userName sw O`, `meta.created gt 2015-10-10T14:38:21Z`).
    pub(super) bare_values: bool,
}

impl<'a> Parser<'a> {
    /// Checks the length limit, tokenizes and rejects empty input.
    pub(super) fn new(input: &'a str, subject: &'static str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(FilterError::new(
                0,
                format!("the {subject} is too long ({} bytes, at most {MAX_FILTER_LEN} are allowed)", input.len()),
            ));
        }
        let Tokens { tokens, error } = tokenize(input);
        let parser = Self {
            tokens,
            lex_error: error,
            pos: 0,
            depth: 0,
            terms: 0,
            in_value_filter: false,
            subject,
            bare_values: false,
        };
        if parser.peek()?.kind == TokenKind::Eof {
            return Err(FilterError::new(0, format!("the {subject} is empty")));
        }
        Ok(parser)
    }

    /// The current token, or the lexing error that stopped tokenizing here.
    pub(super) fn peek(&self) -> Result<Token<'a>, FilterError> {
        match self.tokens.get(self.pos) {
            Some(token) => Ok(token.clone()),
            None => Err(self.lex_error.clone().unwrap_or_else(|| FilterError::new(0, "unexpected end of input"))),
        }
    }

    /// The token after the current one, if it was lexed.
    pub(super) fn peek_second(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos + 1)
    }

    /// Moves past the current token (never past the end of the input).
    pub(super) fn advance(&mut self) {
        if self.tokens.get(self.pos).is_some_and(|t| t.kind != TokenKind::Eof) {
            self.pos += 1;
        }
    }

    /// `expected {what} [after "{previous}"] at position N, found {token}`.
    pub(super) fn expected(&self, what: &str, found: &Token<'_>) -> FilterError {
        let after = match self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(prev) => format!(" after {}", self.describe(prev)),
            None => String::new(),
        };
        FilterError::new(
            found.start,
            format!("expected {what}{after} at position {}, found {}", found.start, self.describe(found)),
        )
    }

    /// A token quoted for a message, long text shortened (strings are shown as written).
    pub(super) fn describe(&self, token: &Token<'_>) -> String {
        match token.kind {
            TokenKind::Eof => format!("the end of the {}", self.subject),
            TokenKind::Str(_) => {
                let inner = token.text.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
                format!("\"{}\"", shorten(inner.unwrap_or(token.text)))
            }
            _ => format!("\"{}\"", shorten(token.text)),
        }
    }

    /// Requires the end of the input, naming a stray closing bracket specifically.
    pub(super) fn end(&self, what: &str) -> Result<(), FilterError> {
        let token = self.peek()?;
        let (open, close) = match token.kind {
            TokenKind::Eof => return Ok(()),
            TokenKind::RParen => ("(", ")"),
            TokenKind::RBracket => ("[", "]"),
            _ => return Err(self.expected(what, &token)),
        };
        Err(FilterError::new(
            token.start,
            format!("unexpected \"{close}\" at position {} without a matching \"{open}\"", token.start),
        ))
    }

    /// Opens one nesting level at `token`, enforcing [`MAX_DEPTH`].
    pub(super) fn enter(&mut self, token: &Token<'_>) -> Result<(), FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::new(
                token.start,
                format!(
                    "the {} is nested too deeply at position {} (at most {MAX_DEPTH} levels of \
                     parentheses, \"not\" and brackets are allowed)",
                    self.subject, token.start
                ),
            ));
        }
        self.depth += 1;
        self.advance();
        Ok(())
    }

    /// Closes the level opened by `open` with `close`, then leaves it.
    pub(super) fn close(&mut self, open: &Token<'_>, close: TokenKind) -> Result<(), FilterError> {
        let (open_text, close_text, kind) = match close {
            TokenKind::RBracket => ("[", "]", "brackets"),
            _ => ("(", ")", "parentheses"),
        };
        let token = self.peek()?;
        if token.kind == close {
            self.advance();
            self.depth -= 1;
            return Ok(());
        }
        if token.kind == TokenKind::Eof {
            return Err(FilterError::new(
                open.start,
                format!("unbalanced {kind}: the \"{open_text}\" at position {} is never closed", open.start),
            ));
        }
        Err(self.expected(&format!(r#""and", "or" or "{close_text}""#), &token))
    }

    /// Counts one comparison or presence term at `token`, enforcing [`MAX_TERMS`].
    pub(super) fn count_term(&mut self, token: &Token<'_>) -> Result<(), FilterError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(FilterError::new(
                token.start,
                format!(
                    "the {} has too many terms at position {} (at most {MAX_TERMS} comparisons \
                     are allowed)",
                    self.subject, token.start
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn at_keyword(&self, keyword: &str) -> Result<bool, FilterError> {
        let token = self.peek()?;
        Ok(token.kind == TokenKind::Word && token.text.eq_ignore_ascii_case(keyword))
    }
}

#[cfg(test)]
mod tests {
    use crate::filter::{AttrPath, Filter, MAX_DEPTH, MAX_FILTER_LEN, MAX_TERMS, parse_filter};

    fn pr(name: &str) -> Filter {
        Filter::Present(AttrPath::new(name))
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
    fn an_empty_filter_is_rejected() {
        assert_error("", "the filter is empty");
        assert_error(" \t ", "the filter is empty");
    }

    #[test]
    fn a_filter_with_unbalanced_parentheses_is_rejected() {
        assert_error("(a pr", r#"unbalanced parentheses: the "(" at position 0 is never closed"#);
        assert_error("a pr)", r#"unexpected ")" at position 4 without a matching "(""#);
        assert_error("(a pr]", r#"expected "and", "or" or ")" after "pr" at position 5, found "]""#);
        assert_error("not (a pr", r#"the "(" at position 4 is never closed"#);
    }

    #[test]
    fn a_filter_with_unbalanced_brackets_is_rejected() {
        assert_error("emails[type pr", r#"unbalanced brackets: the "[" at position 6 is never closed"#);
        assert_error("emails[type pr]]", r#"unexpected "]" at position 15 without a matching "[""#);
        assert_error("emails[type pr)", r#"expected "and", "or" or "]" after "pr" at position 14"#);
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        assert_error(
            r#"a eq "x" b"#,
            r#"expected "and", "or" or the end of the filter after "x" at position 9, found "b""#,
        );
        assert_error("a pr b pr", r#"found "b""#);
        assert_error("a pr and", r#"expected an attribute path, "not" or "(" after "and""#);
        assert_error("emails[type pr] x", r#"after "]" at position 16, found "x""#);
    }

    #[test]
    fn nesting_up_to_the_limit_is_accepted_and_beyond_it_rejected() {
        let nested = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(parse_filter(&nested(MAX_DEPTH)), Ok(pr("a")));
        assert_error(&nested(MAX_DEPTH + 1), "nested too deeply at position 32");
        assert_error(&nested(4000), "nested too deeply");
        let nots = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        assert!(parse_filter(&nots(MAX_DEPTH)).is_ok());
        assert_error(&nots(MAX_DEPTH + 1), "nested too deeply");
        let mixed = format!("{}x[a pr]{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
        assert!(parse_filter(&mixed).is_ok());
        let mixed = format!("{}x[a pr]{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_error(&mixed, "nested too deeply");
    }

    #[test]
    fn ten_thousand_nested_parentheses_are_rejected() {
        assert_error(&"(".repeat(10_000), "too long");
        let balanced = format!("{}a pr{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_error(&balanced, "the filter is too long (20004 bytes, at most 8192 are allowed)");
    }

    #[test]
    fn a_megabyte_or_chain_is_rejected() {
        let chain = vec!["a eq 1"; 1 << 17].join(" or ");
        assert!(chain.len() > 1 << 20);
        assert_error(&chain, "too long");
    }

    #[test]
    fn filters_at_the_length_limit_are_accepted() {
        let input = format!("a eq \"{}\"", "x".repeat(MAX_FILTER_LEN - 7));
        assert_eq!(input.len(), MAX_FILTER_LEN);
        assert!(parse_filter(&input).is_ok());
        assert_error(&format!("{input} "), "too long");
    }

    #[test]
    fn more_terms_than_the_limit_are_rejected() {
        let terms = |n: usize| vec!["a pr"; n].join(" or ");
        assert!(parse_filter(&terms(MAX_TERMS)).is_ok());
        assert_error(&terms(MAX_TERMS + 1), "too many terms at position 2050");
        assert_error(&vec!["a eq 1"; 400].join(" or "), "too many terms");
        let inner = vec!["a pr"; MAX_TERMS].join(" and ");
        assert_error(&format!("x[{inner}].b pr"), "too many terms");
    }
}
