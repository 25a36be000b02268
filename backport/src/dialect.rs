//! The language a file is written in, as far as porting needs to know it,
//! and the Python 2 names a legacy branch still uses.
//!
//! GlusterFS 3.x ships Python 2 daemons (`events/src/glustereventsd.py`
//! imports `SocketServer`); upstream's later fixes to the same files are
//! written for Python 3 (`socketserver`, behind a try/except import). A
//! module renamed between the two is the same code: before anchoring, the
//! upstream sides are written with the target's names, so the hunk finds
//! its place and the ported lines call what the branch imports. Nothing
//! else is translated: a hunk that needs more than a rename is refused as
//! any other misfit is.
//!
//! C files are re-rendered by `render` (clang-format); Python files keep
//! upstream's lines as they are, since their indentation is their syntax and
//! every GlusterFS line writes Python with 4-space indents.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    C,
    Python,
}

/// Python 2 module names and their Python 3 spelling (one name each way).
const PY2_MODULES: [(&str, &str); 3] = [
    ("SocketServer", "socketserver"),
    ("ConfigParser", "configparser"),
    ("Queue", "queue"),
];

impl Lang {
    /// Read off the text: a Python shebang, or more lines that only Python
    /// writes (imports, defs, `#` comments that are no preprocessor
    /// directive) than lines that only C writes (directives, statements
    /// ending in `;`, blocks opening with `{`).
    pub fn of(text: &str) -> Lang {
        let first = text.lines().next().unwrap_or("");
        if first.starts_with("#!") && first.contains("python") {
            return Lang::Python;
        }
        let (mut python, mut c) = (0, 0);
        for line in text.lines() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix('#') {
                let word = rest
                    .trim_start()
                    .split(|ch: char| !ch.is_ascii_alphabetic())
                    .next();
                if word.is_some_and(|w| DIRECTIVES.contains(&w)) && !rest.starts_with("!") {
                    c += 1;
                } else {
                    python += 1;
                }
            } else if line.starts_with("import ")
                || line.starts_with("from ") && l.contains(" import ")
                || line.starts_with("def ")
                || line.starts_with("class ") && l.ends_with(':')
            {
                python += 1;
            } else if l.ends_with(';') || l.ends_with('{') || l.starts_with("/*") {
                c += 1;
            }
        }
        if python > c {
            Lang::Python
        } else {
            Lang::C
        }
    }
}

const DIRECTIVES: [&str; 12] = [
    "include", "define", "undef", "if", "ifdef", "ifndef", "elif", "else", "endif", "pragma",
    "error", "line",
];

/// The Python 3 module names `target` writes in their Python 2 spelling:
/// it imports the old name and never the new one.
fn renames(target: &str) -> Vec<(&'static str, &'static str)> {
    let imports = |name: &str| {
        target.lines().any(|l| {
            let l = l.trim();
            l == format!("import {name}")
                || l.starts_with(&format!("import {name} "))
                || l.starts_with(&format!("from {name} import"))
        })
    };
    PY2_MODULES
        .iter()
        .filter(|(py2, py3)| imports(py2) && !imports(py3))
        .map(|&(py2, py3)| (py3, py2))
        .collect()
}

/// `text` with each whole identifier `from` replaced by `to`.
fn rename_identifier(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Upstream's two sides of a file change, written in the target's dialect:
/// unchanged for C, and for a Python 2 target, with the renamed modules
/// under their Python 2 names.
pub fn adapt<'a>(old: &'a str, new: &'a str, target: &str) -> (Cow<'a, str>, Cow<'a, str>) {
    if Lang::of(target) != Lang::Python {
        return (Cow::Borrowed(old), Cow::Borrowed(new));
    }
    let renames = renames(target);
    if renames.is_empty() {
        return (Cow::Borrowed(old), Cow::Borrowed(new));
    }
    let apply = |s: &str| {
        renames.iter().fold(s.to_string(), |acc, (from, to)| {
            rename_identifier(&acc, from, to)
        })
    };
    (Cow::Owned(apply(old)), Cow::Owned(apply(new)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY2: &str = "#!/usr/bin/env python\nimport sys\nimport SocketServer\n\nclass H(SocketServer.BaseRequestHandler):\n    pass\n";
    const PY3: &str = "import sys\ntry:\n    import socketserver\nexcept ImportError:\n    import SocketServer as socketserver\n\nclass H(socketserver.BaseRequestHandler):\n    pass\n";

    #[test]
    fn tells_python_from_c() {
        assert_eq!(Lang::of(PY2), Lang::Python);
        assert_eq!(Lang::of(PY3), Lang::Python);
        assert_eq!(
            Lang::of("SERVER_ADDRESS = \"0.0.0.0\"\nfrom x import y\n"),
            Lang::Python
        );
        assert_eq!(
            Lang::of("#include <stdio.h>\nint\nmain (void)\n{\n}\n"),
            Lang::C
        );
        // A C comment that reads like Python is still C.
        assert_eq!(
            Lang::of("/* import x */\n#define A 1\nimport x\nint a;\n"),
            Lang::C
        );
        // A Python file of assignments and comments (eventsapiconf.py.in on 3.x).
        assert_eq!(
            Lang::of("# -*- coding: utf-8 -*-\n#\n#  Copyright\n#\n\nA = \"0.0.0.0\"\nB = 1\n"),
            Lang::Python
        );
    }

    #[test]
    fn writes_python3_module_names_as_a_python2_target_does() {
        let (old, new) = adapt(PY3, "x = socketserver.UDPServer\n", PY2);
        assert!(old.contains("class H(SocketServer.BaseRequestHandler)"));
        assert_eq!(new, "x = SocketServer.UDPServer\n");
        // Whole names only.
        assert_eq!(
            rename_identifier(
                "mysocketserver socketserver_x socketserver.",
                "socketserver",
                "S"
            ),
            "mysocketserver socketserver_x S."
        );
    }

    #[test]
    fn leaves_python3_targets_and_c_alone() {
        let (old, new) = adapt(PY2, PY3, PY3);
        assert_eq!((old.as_ref(), new.as_ref()), (PY2, PY3));
        let c = "#include <x.h>\nint SocketServer;\n";
        let (old, _) = adapt("socketserver", "", c);
        assert_eq!(old, "socketserver");
    }
}
