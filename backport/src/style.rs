//! The coding style of a C file, read off the file itself.
//!
//! GlusterFS has two: GNU-like before the 2018 reformat (8-space indents,
//! `name (args)`, aligned declaration blocks) and clang-format's after
//! (4 spaces, `name(args)`). Rather than know the two, the engine measures
//! what it needs from the file it writes into:
//! - the indent unit: the most common step in indentation after a line that
//!   opens a brace;
//! - tabs: whether indented lines start with a tab more often than not;
//! - call spacing: whether identifiers other than keywords are followed by
//!   ` (` more often than by `(`.
//!
//! Declaration alignment is not a setting; `align` reads it per block.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Style {
    pub indent_width: usize,
    pub tabs: bool,
    pub space_before_call_parens: bool,
}

const KEYWORDS: [&str; 8] = [
    "if", "for", "while", "switch", "return", "sizeof", "case", "do",
];

pub fn infer(src: &str) -> Style {
    let lines: Vec<&str> = src.lines().collect();
    let mut steps: HashMap<usize, usize> = HashMap::new();
    let mut tab_lines = 0;
    let mut space_lines = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('\t') {
            tab_lines += 1;
        } else if line.starts_with(' ') {
            space_lines += 1;
        }
        if !line.trim_end().ends_with('{') {
            continue;
        }
        let Some(next) = lines[i + 1..].iter().find(|l| !l.trim().is_empty()) else {
            continue;
        };
        let (a, b) = (width(line), width(next));
        if b > a && b - a <= 8 {
            *steps.entry(b - a).or_default() += 1;
        }
    }
    let indent_width = steps
        .into_iter()
        .max_by_key(|&(w, n)| (n, w))
        .map_or(8, |(w, _)| w);
    let (spaced, tight) = call_spacing(src);
    Style {
        indent_width,
        tabs: tab_lines > space_lines,
        space_before_call_parens: spaced > tight,
    }
}

fn width(line: &str) -> usize {
    let mut w = 0;
    for c in line.chars() {
        match c {
            ' ' => w += 1,
            '\t' => w = (w / 8 + 1) * 8,
            _ => break,
        }
    }
    w
}

fn call_spacing(src: &str) -> (usize, usize) {
    let b = src.as_bytes();
    let (mut spaced, mut tight) = (0, 0);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'_' || b[i].is_ascii_alphabetic() {
            let s = i;
            while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let word = &src[s..i];
            if KEYWORDS.contains(&word) {
                continue;
            }
            if b.get(i) == Some(&b'(') {
                tight += 1;
            } else if b.get(i) == Some(&b' ') && b.get(i + 1) == Some(&b'(') {
                spaced += 1;
            }
        } else {
            i += 1;
        }
    }
    (spaced, tight)
}

impl Style {
    /// A clang-format style for added lines, built on GlusterFS's own
    /// `.clang-format` (which both eras are close to apart from these keys).
    pub fn clang_format(&self) -> String {
        format!(
            "{{BasedOnStyle: Chromium, IndentWidth: {w}, TabWidth: 8, UseTab: {tabs}, \
             SpaceBeforeParens: {paren}, BreakBeforeBraces: Linux, ColumnLimit: 80, \
             AlignAfterOpenBracket: Align, AlignOperands: true, ContinuationIndentWidth: {w}, \
             AllowShortFunctionsOnASingleLine: None, AllowShortIfStatementsOnASingleLine: false, \
             AllowShortBlocksOnASingleLine: false, AllowShortLoopsOnASingleLine: false, \
             AlwaysBreakAfterReturnType: All, BinPackArguments: true, BinPackParameters: true, \
             PointerAlignment: Right, DerivePointerAlignment: false, SortIncludes: false, \
             IndentCaseLabels: true, SpaceAfterCStyleCast: false, MaxEmptyLinesToKeep: 2, \
             KeepEmptyLinesAtTheStartOfBlocks: true, ReflowComments: false, BreakStringLiterals: false, \
             SpacesBeforeTrailingComments: 1}}",
            w = self.indent_width,
            tabs = if self.tabs { "ForIndentation" } else { "Never" },
            paren = if self.space_before_call_parens {
                "Always"
            } else {
                "ControlStatements"
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gnu_and_clang_format_styles_apart() {
        let gnu = "int\nf (int a)\n{\n        if (a) {\n                g (a);\n        }\n        return h (a);\n}\n";
        let llvm = "int\nf(int a)\n{\n    if (a) {\n        g(a);\n    }\n    return h(a);\n}\n";
        let s = infer(gnu);
        assert_eq!(
            (s.indent_width, s.space_before_call_parens, s.tabs),
            (8, true, false)
        );
        let s = infer(llvm);
        assert_eq!(
            (s.indent_width, s.space_before_call_parens, s.tabs),
            (4, false, false)
        );
    }
}
