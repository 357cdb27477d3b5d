//! Tokenizer for SCIM filters and PATCH paths: brackets, JSON string literals and bare words.
//!
//! Positions are character offsets into the original input, so error messages point at what the
//! client typed. A lexing error does not abort tokenizing eagerly: the tokens before it are kept
//! and the parser reports the error only when it reaches that point, so the leftmost problem wins.

use super::{FilterError, Value};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// An attribute path, operator, keyword or number: everything up to whitespace, a bracket,
    /// a parenthesis or a quote.
    Word,
    /// A JSON string literal, already decoded.
    Str(String),
    /// The end of the input.
    Eof,
}

/// One token with its character span and raw source text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token<'a> {
    pub(super) kind: TokenKind,
    /// Character offset of the first character.
    pub(super) start: usize,
    /// The token as written (including quotes for strings; empty at the end of the input).
    pub(super) text: &'a str,
}

/// The tokens of an input, ending with [`TokenKind::Eof`] unless `error` is set, in which case
/// `error` describes the problem right after the last token.
pub(super) struct Tokens<'a> {
    pub(super) tokens: Vec<Token<'a>>,
    pub(super) error: Option<FilterError>,
}

/// Splits `src` into tokens, stopping at the first malformed string literal.
pub(super) fn tokenize(src: &str) -> Tokens<'_> {
    let mut cursor = Cursor { src, byte: 0, chr: 0 };
    let mut tokens = Vec::new();
    loop {
        while cursor.peek().is_some_and(is_space) {
            cursor.bump();
        }
        let (byte, start) = (cursor.byte, cursor.chr);
        let Some(c) = cursor.bump() else {
            tokens.push(Token { kind: TokenKind::Eof, start, text: "" });
            return Tokens { tokens, error: None };
        };
        let kind = match c {
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            '"' => match cursor.string(start) {
                Ok(s) => TokenKind::Str(s),
                Err(error) => {
                    return Tokens { tokens, error: Some(error) };
                }
            },
            _ => {
                while cursor.peek().is_some_and(|c| !is_space(c) && !is_delimiter(c)) {
                    cursor.bump();
                }
                TokenKind::Word
            }
        };
        let text = &src[byte..cursor.byte];
        tokens.push(Token { kind, start, text });
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_delimiter(c: char) -> bool {
    matches!(c, '(' | ')' | '[' | ']' | '"')
}

/// A position in the input, in bytes (for slicing) and characters (for messages).
struct Cursor<'a> {
    src: &'a str,
    byte: usize,
    chr: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.byte..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.byte += c.len_utf8();
        self.chr += 1;
        Some(c)
    }

    /// Reads the rest of a JSON string literal whose opening quote was at character `start`.
    fn string(&mut self, start: usize) -> Result<String, FilterError> {
        let mut out = String::new();
        loop {
            let at = self.chr;
            match self.bump() {
                None => {
                    return Err(FilterError::new(start, format!("unterminated string starting at position {start}")));
                }
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.escape(at)?),
                Some(c) if u32::from(c) < 0x20 => {
                    return Err(FilterError::new(
                        at,
                        format!("unescaped control character U+{:04X} in a string at position {at}", u32::from(c)),
                    ));
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// Reads one escape sequence after the backslash at character `at` (RFC 8259 §7).
    fn escape(&mut self, at: usize) -> Result<char, FilterError> {
        let c = match self.bump() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => return self.unicode_escape(at),
            Some(other) => {
                return Err(FilterError::new(
                    at,
                    format!(
                        "invalid escape \"\\{other}\" in a string at position {at}, \
                         expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"
                    ),
                ));
            }
            None => {
                return Err(FilterError::new(at, format!("unterminated escape in a string at position {at}")));
            }
        };
        Ok(c)
    }

    /// Reads `XXXX` (and a following `\uXXXX` low surrogate if needed) after `\u` at `at`.
    fn unicode_escape(&mut self, at: usize) -> Result<char, FilterError> {
        let high = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&high) {
            let low_at = self.chr;
            let low = if self.src.get(self.byte..).is_some_and(|s| s.starts_with("\\u")) {
                self.bump();
                self.bump();
                self.hex4(low_at)?
            } else {
                0
            };
            if !(0xDC00..0xE000).contains(&low) {
                return Err(FilterError::new(
                    at,
                    format!(
                        "unpaired surrogate \"\\u{high:04x}\" in a string at position {at}, \
                         expected a low surrogate \"\\udc00\"..\"\\udfff\" after it"
                    ),
                ));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| {
            FilterError::new(at, format!("unpaired surrogate \"\\u{code:04x}\" in a string at position {at}"))
        })
    }

    /// Reads exactly four hex digits of a `\u` escape that started at `at`.
    fn hex4(&mut self, at: usize) -> Result<u32, FilterError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|c| c.to_digit(16)).ok_or_else(|| {
                FilterError::new(
                    at,
                    format!(
                        "invalid unicode escape in a string at position {at}, \
                         expected four hex digits after \"\\u\""
                    ),
                )
            })?;
            self.bump();
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

/// Why a bare word is not a comparison value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NotAValue {
    /// Not `true`, `false`, `null` or a JSON number.
    Unknown,
    /// A JSON number too large for an `f64`.
    OutOfRange,
}

/// Interprets a bare word as `true`, `false`, `null` (any case) or a JSON number.
pub(super) fn word_value(text: &str) -> Result<Value, NotAValue> {
    if text.eq_ignore_ascii_case("true") {
        return Ok(Value::Bool(true));
    }
    if text.eq_ignore_ascii_case("false") {
        return Ok(Value::Bool(false));
    }
    if text.eq_ignore_ascii_case("null") {
        return Ok(Value::Null);
    }
    let integer = json_number_kind(text).ok_or(NotAValue::Unknown)?;
    if integer && let Ok(i) = text.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    match text.parse::<f64>() {
        Ok(d) if d.is_finite() => Ok(Value::Decimal(d)),
        _ => Err(NotAValue::OutOfRange),
    }
}

/// `Some(true)` for a JSON integer, `Some(false)` for a JSON number with a fraction or
/// exponent, `None` if `text` is not a JSON number (RFC 8259 §6).
fn json_number_kind(text: &str) -> Option<bool> {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return None,
    }
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        integer = false;
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        integer = false;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    (i == b.len()).then_some(integer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(src: &str) -> Result<String, FilterError> {
        let Tokens { tokens, error } = tokenize(src);
        if let Some(e) = error {
            return Err(e);
        }
        match &tokens[0].kind {
            TokenKind::Str(s) => Ok(s.clone()),
            other => panic!("expected a string token, got {other:?}"),
        }
    }

    fn string_error(src: &str) -> FilterError {
        match string(src) {
            Ok(s) => panic!("{src:?} lexed as {s:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn words_brackets_and_strings_are_split_with_character_positions() {
        let Tokens { tokens, error } = tokenize("  é[ab eq \"x y\"].c)(");
        assert!(error.is_none());
        let got: Vec<_> = tokens.iter().map(|t| (t.start, t.text)).collect();
        assert_eq!(
            got,
            vec![
                (2, "é"),
                (3, "["),
                (4, "ab"),
                (7, "eq"),
                (10, "\"x y\""),
                (15, "]"),
                (16, ".c"),
                (18, ")"),
                (19, "("),
                (20, ""),
            ]
        );
    }

    #[test]
    fn tabs_and_newlines_separate_tokens() {
        let Tokens { tokens, .. } = tokenize("a\t\tpr\r\n");
        let texts: Vec<_> = tokens.iter().map(|t| t.text).collect();
        assert_eq!(texts, vec!["a", "pr", ""]);
    }

    #[test]
    fn every_json_escape_is_decoded() {
        assert_eq!(
            string(r#""\" \\ \/ \b \f \n \r \t \u0041 \u00e9""#).as_deref(),
            Ok("\" \\ / \u{8} \u{c} \n \r \t A é")
        );
    }

    #[test]
    fn a_surrogate_pair_is_decoded_into_one_character() {
        assert_eq!(string(r#""\ud83d\ude00""#).as_deref(), Ok("😀"));
        assert_eq!(string(r#""\uD83D\uDE00x""#).as_deref(), Ok("😀x"));
    }

    #[test]
    fn an_unpaired_surrogate_is_rejected() {
        for src in [r#""\ud83d""#, r#""\ud83dx""#, r#""\ud83d\u0041""#, r#""\ude00""#] {
            let err = string_error(src);
            assert!(err.to_string().contains("unpaired surrogate"), "{src}: {err}");
            assert_eq!(err.position(), 1);
        }
    }

    #[test]
    fn a_bad_escape_is_rejected_with_its_position() {
        let err = string_error(r#""ab\qc""#);
        assert_eq!(err.position(), 3);
        assert!(err.to_string().starts_with(r#"invalid escape "\q" in a string at position 3"#));
        let err = string_error(r#""\u12g4""#);
        assert!(err.to_string().contains("expected four hex digits"), "{err}");
    }

    #[test]
    fn an_unterminated_string_is_rejected() {
        let err = string_error("  \"abc");
        assert_eq!(err.to_string(), "unterminated string starting at position 2");
        let err = string_error("\"abc\\");
        assert!(err.to_string().contains("unterminated escape"), "{err}");
    }

    #[test]
    fn a_raw_control_character_in_a_string_is_rejected() {
        let err = string_error("\"a\nb\"");
        assert!(err.to_string().contains("control character U+000A"), "{err}");
    }

    #[test]
    fn tokens_before_a_lexing_error_are_kept() {
        let Tokens { tokens, error } = tokenize("a eq \"\\x\"");
        assert_eq!(tokens.len(), 2);
        assert_eq!(error.map(|e| e.position()), Some(6));
    }

    #[test]
    fn keywords_are_values_in_any_case() {
        assert_eq!(word_value("TRUE"), Ok(Value::Bool(true)));
        assert_eq!(word_value("False"), Ok(Value::Bool(false)));
        assert_eq!(word_value("nULL"), Ok(Value::Null));
    }

    #[test]
    fn integers_that_fit_are_ints_and_others_are_decimals() {
        assert_eq!(word_value("0"), Ok(Value::Int(0)));
        assert_eq!(word_value("-42"), Ok(Value::Int(-42)));
        assert_eq!(word_value("9223372036854775807"), Ok(Value::Int(i64::MAX)));
        assert_eq!(word_value("-9223372036854775808"), Ok(Value::Int(i64::MIN)));
        assert_eq!(word_value("9223372036854775808"), Ok(Value::Decimal(9.223372036854776e18)));
        assert_eq!(word_value("1.5"), Ok(Value::Decimal(1.5)));
        assert_eq!(word_value("-0.25e2"), Ok(Value::Decimal(-25.0)));
        assert_eq!(word_value("1E+3"), Ok(Value::Decimal(1000.0)));
        assert_eq!(word_value("2e-1"), Ok(Value::Decimal(0.2)));
    }

    #[test]
    fn malformed_numbers_are_not_values() {
        for text in ["01", "+1", "1.", ".5", "1e", "1e+", "--1", "-", "1.5.2", "0x10", "1_000", "abc"] {
            assert_eq!(word_value(text), Err(NotAValue::Unknown), "{text}");
        }
    }

    #[test]
    fn a_number_beyond_f64_is_out_of_range() {
        assert_eq!(word_value("1e400"), Err(NotAValue::OutOfRange));
    }
}
