//! What an old GlusterFS tree needs to build with this machine's toolchain
//! (gcc 10+, glibc without Sun RPC, Python 3 only). `plan` reads the
//! exported tree and the toolchain and decides; `apply` writes the edits
//! into the export only. Each decision carries a one-line item for the
//! report, so a user sees everything that differs from a plain build.
//! The facts behind each rule are in ../shared/glusterfs/BUILDING.md.

use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::{Path, PathBuf};

/// The parts of the host toolchain the rules depend on.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub gcc_major: u32,
    /// glibc still ships <rpc/rpc.h> (removed in glibc 2.32).
    pub glibc_rpc: bool,
    pub python2: bool,
    pub ccache: bool,
}

impl Toolchain {
    pub fn detect() -> Result<Self> {
        let version = cmd!("gcc", "-dumpversion")
            .read()
            .context("running gcc -dumpversion (is build-essential installed?)")?;
        let gcc_major = version
            .trim()
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .with_context(|| format!("gcc -dumpversion gave {version:?}"))?;
        Ok(Toolchain {
            gcc_major,
            glibc_rpc: Path::new("/usr/include/rpc/rpc.h").exists(),
            python2: runs_python2(),
            ccache: crate::host::which("ccache").is_some(),
        })
    }
}

/// Whether a working `python2` is on PATH (a pyenv shim can be there
/// without any Python 2 behind it).
fn runs_python2() -> bool {
    cmd!("python2", "-c", "import sys; print(sys.version_info[0])")
        .stderr_null()
        .unchecked()
        .read()
        .is_ok_and(|v| v.trim() == "2")
}

/// A change to one file of the export.
#[derive(Debug, PartialEq)]
pub enum Edit {
    /// Replace the file's text.
    Write { path: PathBuf, text: String },
    /// Convert a Python 2 build script to Python 3 (lib2to3, then what
    /// lib2to3 leaves: `string.join`, mixed tabs and spaces).
    Python3 { path: PathBuf, string_join: bool },
}

/// Everything the build does differently from a plain upstream build.
#[derive(Debug, Default)]
pub struct Plan {
    /// One line per decision, for the report.
    pub items: Vec<String>,
    /// Variables for configure (and make, which inherits them).
    pub env: Vec<(String, String)>,
    pub configure_args: Vec<String>,
    pub edits: Vec<Edit>,
}

impl Plan {
    fn add_env(&mut self, key: &str, value: &str) {
        match self.env.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => {
                v.push(' ');
                v.push_str(value);
            }
            None => self.env.push((key.into(), value.into())),
        }
    }
}

/// Decides what the tree at `src` needs on `tc`. `describe` is `git describe`
/// of the commit, which the export lacks the .git to compute.
pub fn plan(src: &Path, tc: &Toolchain, describe: &str) -> Result<Plan> {
    let configure_ac = std::fs::read_to_string(src.join("configure.ac"))
        .with_context(|| format!("reading {}/configure.ac", src.display()))?;
    let mut p = Plan::default();

    if !src.join("VERSION").exists() {
        p.edits.push(Edit::Write {
            path: "VERSION".into(),
            text: format!("{describe}\n"),
        });
        p.items.push(format!(
            "VERSION file {describe} (build-aux/pkg-version asks git, and an export has no .git)"
        ));
    }

    if tc.ccache {
        p.env.push(("CC".into(), "ccache gcc".into()));
    }
    p.add_env("CFLAGS", "-g -O2");
    if tc.gcc_major >= 10 {
        p.add_env("CFLAGS", "-fcommon");
        p.items.push(format!(
            "-fcommon (gcc {} defaults to -fno-common; old headers define globals)",
            tc.gcc_major
        ));
    }

    if !tc.glibc_rpc {
        p.add_env("CPPFLAGS", "-I/usr/include/tirpc");
        p.add_env("LIBS", "-ltirpc");
        p.items.push(
            "libtirpc: CPPFLAGS=-I/usr/include/tirpc LIBS=-ltirpc (glibc has no Sun RPC)".into(),
        );
    }

    if !tc.python2 {
        python3_configure(&configure_ac, &mut p);
        georeplication(src, &configure_ac, &mut p)?;
        for script in build_scripts(src)? {
            let text = std::fs::read_to_string(src.join(&script))?;
            if is_python2(&text) {
                p.items.push(format!(
                    "Python 3: {} converted (lib2to3{})",
                    script.display(),
                    if text.contains("string.join") {
                        ", string.join"
                    } else {
                        ""
                    }
                ));
                p.edits.push(Edit::Python3 {
                    string_join: text.contains("string.join"),
                    path: script,
                });
            }
        }
    }
    Ok(p)
}

/// configure.ac's Python handling on a host with Python 3 only.
fn python3_configure(configure_ac: &str, p: &mut Plan) {
    if hard_coded_python2(configure_ac) {
        // 4.1 sets PYTHON=/usr/bin/python2 itself, overriding the caller.
        let text = configure_ac
            .lines()
            .map(|l| {
                if is_python2_assignment(l) {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    let value = l.trim().trim_start_matches("PYTHON=");
                    format!("{indent}PYTHON=${{PYTHON:-{value}}}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        p.edits.push(Edit::Write {
            path: "configure.ac".into(),
            text,
        });
        p.env.push(("PYTHON".into(), "/usr/bin/python3".into()));
        p.items.push(
            "configure.ac: PYTHON=/usr/bin/python2 made overridable; PYTHON=/usr/bin/python3"
                .into(),
        );
    } else {
        p.env.push(("PYTHON".into(), "python3".into()));
        p.items
            .push("PYTHON=python3 (no Python 2 on this host)".into());
    }
    if configure_ac.contains("have_python2") {
        // 3.x turns events off (silently) unless configure believes its
        // Python is 2.x; the build-time scripts are converted below.
        p.env.push(("am_cv_python_version".into(), "2.7".into()));
        p.items
            .push("am_cv_python_version=2.7 (configure turns events off without Python 2)".into());
        if configure_ac.contains("[georeplication]") {
            p.configure_args.push("--disable-georeplication".into());
            p.items
                .push("--disable-georeplication (its daemon is Python 2 only)".into());
        }
    }
    if configure_ac.contains("enable-glupy") || configure_ac.contains("[glupy]") {
        p.configure_args.push("--disable-glupy".into());
        p.items
            .push("--disable-glupy (built against the Python 2 C API)".into());
    }
}

/// Geo-replication whose daemon is still Python 2 (4.1's is: its
/// syncdaemon has `0644`-style octal literals and `iteritems`). Built, it
/// is worse than absent: glusterd's init runs `gsyncd --version` and, when
/// that fails, refuses to start at all.
fn georeplication(src: &Path, configure_ac: &str, p: &mut Plan) -> Result<()> {
    const FLAG: &str = "--disable-georeplication";
    if !configure_ac.contains("[georeplication]") || p.configure_args.iter().any(|a| a == FLAG) {
        return Ok(());
    }
    let dir = src.join("geo-replication/syncdaemon");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.extension().is_some_and(|x| x == "py"))
        .collect();
    files.sort();
    let mut python2 = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        if is_python2(&text) || compiles(f).is_err() {
            python2.push(
                f.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    if !python2.is_empty() {
        p.configure_args.push(FLAG.into());
        p.items.push(format!(
            "{FLAG} (geo-replication/syncdaemon is Python 2: {}; glusterd will not start when gsyncd fails)",
            python2.join(", ")
        ));
    }
    Ok(())
}

fn is_python2_assignment(line: &str) -> bool {
    matches!(
        line.trim(),
        "PYTHON=/usr/bin/python2" | "PYTHON=/usr/local/bin/python2"
    )
}

fn hard_coded_python2(configure_ac: &str) -> bool {
    configure_ac.lines().any(is_python2_assignment)
}

/// The Python scripts make runs (`$(PYTHON) path/x.py` in a Makefile.am),
/// with the modules beside them that they import, relative to `src`.
pub fn build_scripts(src: &Path) -> Result<Vec<PathBuf>> {
    let mut scripts = Vec::new();
    for am in makefile_ams(src)? {
        let dir = am.parent().unwrap_or(Path::new("")).to_path_buf();
        let text = std::fs::read_to_string(src.join(&am))?;
        let vars = make_vars(&text);
        for line in text.lines().filter(|l| l.contains("$(PYTHON)")) {
            for word in line.split_whitespace().filter(|w| w.ends_with(".py")) {
                let word = expand(word, &vars);
                let path = if let Some(rest) = word
                    .strip_prefix("$(top_srcdir)/")
                    .or_else(|| word.strip_prefix("$(top_builddir)/"))
                {
                    PathBuf::from(rest)
                } else {
                    let rest = word
                        .strip_prefix("$(srcdir)/")
                        .or_else(|| word.strip_prefix("$(builddir)/"))
                        .unwrap_or(&word);
                    dir.join(rest)
                };
                if src.join(&path).is_file() && !scripts.contains(&path) {
                    scripts.push(path);
                }
            }
        }
    }
    let mut i = 0;
    while i < scripts.len() {
        let script = scripts[i].clone();
        let text = std::fs::read_to_string(src.join(&script))?;
        let dir = script.parent().unwrap_or(Path::new(""));
        for module in imports(&text) {
            let path = dir.join(format!("{module}.py"));
            if src.join(&path).is_file() && !scripts.contains(&path) {
                scripts.push(path);
            }
        }
        i += 1;
    }
    Ok(scripts)
}

/// `NAME = value` definitions of a Makefile.am (4.1 writes
/// `$(PYTHON) $(UTIME_SRC)/utime-gen-fops-c.py`).
fn make_vars(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (name, value) = l.split_once('=')?;
            let name = name.trim();
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| (name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// `word` with the Makefile.am's own variables substituted (a few rounds,
/// for variables defined through others).
fn expand(word: &str, vars: &[(String, String)]) -> String {
    let mut w = word.to_string();
    for _ in 0..4 {
        let before = w.clone();
        for (name, value) in vars {
            w = w.replace(&format!("$({name})"), value);
        }
        if w == before {
            break;
        }
    }
    w
}

fn makefile_ams(src: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(src.join(&dir))? {
            let entry = entry?;
            let rel = dir.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                dirs.push(rel);
            } else if entry.file_name() == "Makefile.am" {
                found.push(rel);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Top-level module names of `import x` and `from x import y` lines.
fn imports(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix("from ")
                .or_else(|| l.strip_prefix("import "))?;
            Some(
                rest.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|w| !w.is_empty())
                    .take(if l.starts_with("from ") {
                        1
                    } else {
                        usize::MAX
                    })
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .filter(|m| m != "import" && !m.contains('.'))
        .collect()
}

/// Whether `text` uses Python 2 only idioms.
pub fn is_python2(text: &str) -> bool {
    text.lines().any(|l| {
        let code = l.split('#').next().unwrap_or("");
        let t = code.trim_start();
        [
            ".iteritems()",
            ".iterkeys()",
            ".itervalues()",
            ".has_key(",
            "string.join(",
        ]
        .iter()
        .any(|idiom| code.contains(idiom))
            || t == "print"
            || t.strip_prefix("print ")
                .is_some_and(|rest| !rest.trim_start().starts_with('('))
    })
}

/// Writes the plan's edits into the export at `src`.
pub fn apply(plan: &Plan, src: &Path) -> Result<()> {
    for edit in &plan.edits {
        match edit {
            Edit::Write { path, text } => std::fs::write(src.join(path), text)
                .with_context(|| format!("writing {}", path.display()))?,
            Edit::Python3 { path, string_join } => {
                to_python3(&src.join(path), *string_join)?;
            }
        }
    }
    Ok(())
}

/// lib2to3 (Python 3.11's own) does the syntax; what it leaves is done
/// here: `string.join` gets a definition after `import string`, and tabs in
/// indentation become spaces when Python 3 rejects the mix (Python 2 read a
/// tab as up to 8 columns, so expanding them keeps the meaning).
fn to_python3(file: &Path, string_join: bool) -> Result<()> {
    let out = cmd!("python3", "-W", "ignore", "-m", "lib2to3", "-w", "-n", file)
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    if !out.status.success() {
        bail!(
            "lib2to3 could not convert {}:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let mut text = std::fs::read_to_string(file)?;
    if string_join && text.lines().any(|l| l.trim_end() == "import string") {
        text = text
            .lines()
            .flat_map(|l| {
                let mut v = vec![l.to_string()];
                if l.trim_end() == "import string" {
                    v.push(
                        "if not hasattr(string, \"join\"):  # Python 3 (gluster-legacy-kit)".into(),
                    );
                    v.push("    string.join = lambda words, sep=\" \": sep.join(words)".into());
                }
                v
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        std::fs::write(file, &text)?;
    }
    if let Err(e) = compiles(file) {
        if !e.contains("TabError") && !e.contains("inconsistent use of tabs") {
            bail!(
                "{} is still not Python 3 after conversion:\n{e}",
                file.display()
            );
        }
        let expanded = text
            .lines()
            .map(|l| {
                let body = l.trim_start_matches([' ', '\t']);
                let indent = &l[..l.len() - body.len()];
                let mut col = 0;
                for c in indent.chars() {
                    col = if c == '\t' {
                        (col / 8 + 1) * 8
                    } else {
                        col + 1
                    };
                }
                format!("{}{}", " ".repeat(col), body)
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        std::fs::write(file, expanded)?;
        compiles(file).map_err(|e| {
            anyhow::anyhow!(
                "{} is still not Python 3 after conversion:\n{e}",
                file.display()
            )
        })?;
    }
    Ok(())
}

fn compiles(file: &Path) -> std::result::Result<(), String> {
    let out = cmd!(
        "python3",
        "-c",
        "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
        file
    )
    .stderr_to_stdout()
    .stdout_capture()
    .unchecked()
    .run()
    .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
