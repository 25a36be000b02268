//! C tokens with their place in the source text.
//!
//! Anchoring works on tokens, not characters, so that `inet_addr (host)` in a
//! 2016 GNU-style file and `inet_addr(host)` in a 2019 clang-formatted file are
//! the same code. Whitespace, comments and backslash-newlines carry no meaning
//! here and are skipped.

/// One token: its text is `src[start..end]`, on 0-based `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub line: usize,
}

/// Punctuators, longest first so that `>>=` wins over `>>` and `>`.
const PUNCTUATORS: [&str; 22] = [
    "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=",
    "-=", "*=", "/=", "%=", "&=", "|=", "^=",
];

/// Splits C source into tokens. Never fails: unknown bytes become one-byte
/// tokens, and an unterminated comment or literal runs to the end of the file.
pub fn tokenize(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() || (c == b'\\' && b.get(i + 1) == Some(&b'\n')) {
            i += 1;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            line += count_newlines(&b[i..end]);
            i = end;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            i = find(b, i, b"\n").unwrap_or(b.len());
        } else {
            let end = token_end(b, i);
            out.push(Token {
                start: i,
                end,
                line,
            });
            line += count_newlines(&b[i..end]);
            i = end;
        }
    }
    out
}

fn token_end(b: &[u8], i: usize) -> usize {
    let c = b[i];
    if c == b'_' || c.is_ascii_alphabetic() {
        let mut j = i + 1;
        while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
            j += 1;
        }
        // A string or char literal prefix such as L"..." belongs to the literal.
        if j < b.len() && (b[j] == b'"' || b[j] == b'\'') && j - i <= 2 {
            return quoted_end(b, j);
        }
        return j;
    }
    if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
        let mut j = i + 1;
        while j < b.len() {
            let d = b[j];
            let exponent_sign =
                (d == b'+' || d == b'-') && matches!(b[j - 1], b'e' | b'E' | b'p' | b'P');
            if d.is_ascii_alphanumeric() || d == b'.' || d == b'_' || exponent_sign {
                j += 1;
            } else {
                break;
            }
        }
        return j;
    }
    if c == b'"' || c == b'\'' {
        return quoted_end(b, i);
    }
    for p in PUNCTUATORS {
        if b[i..].starts_with(p.as_bytes()) {
            return i + p.len();
        }
    }
    // Keep multi-byte UTF-8 characters whole so slicing stays on boundaries.
    let mut j = i + 1;
    while j < b.len() && (b[j] & 0xC0) == 0x80 {
        j += 1;
    }
    j
}

fn quoted_end(b: &[u8], open: usize) -> usize {
    let quote = b[open];
    let mut j = open + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            d if d == quote => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn count_newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// The token texts of `src`, for comparisons that ignore layout.
pub fn texts<'a>(src: &'a str, toks: &[Token]) -> Vec<&'a str> {
    toks.iter().map(|t| &src[t.start..t.end]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<&str> {
        texts(src, &tokenize(src))
    }

    #[test]
    fn layout_and_comments_do_not_change_tokens() {
        let gnu = "        if ((getaddrinfo (ctx->host,\n                          NULL, &h, &r)) != 0) { /* x */";
        let llvm = "    if ((getaddrinfo(ctx->host, NULL, &h,\n                     &r)) != 0) {";
        assert_eq!(words(gnu), words(llvm));
    }

    #[test]
    fn keeps_literals_and_long_punctuators_whole() {
        assert_eq!(
            words(r#"x >>= 2; s = "a \"b\" /* c */"; p->q ... 1.5e-3"#),
            vec![
                "x",
                ">>=",
                "2",
                ";",
                "s",
                "=",
                r#""a \"b\" /* c */""#,
                ";",
                "p",
                "->",
                "q",
                "...",
                "1.5e-3"
            ]
        );
    }

    #[test]
    fn counts_lines_across_comments_and_continuations() {
        let src = "a /* one\ntwo */ b\n#define X \\\n  c\n";
        let lines: Vec<usize> = tokenize(src).iter().map(|t| t.line).collect();
        assert_eq!(lines, vec![0, 1, 2, 2, 2, 3]);
    }
}
