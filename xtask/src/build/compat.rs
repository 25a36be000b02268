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
            ccache: crate::paths::which("ccache").is_some(),
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
///
/// Proven on v3.12.15 from fresh minimal chroots (`cargo xtask
/// chroot-build`, `cargo xtask fresh`; times in BENCHMARKS.md), each on the
/// first try:
/// - VERSION, `PYTHON=python3` with `am_cv_python_version=2.7`,
///   `--disable-georeplication`, `--disable-glupy`: Debian 11 bullseye,
///   12 bookworm and 13 trixie.
/// - `-fcommon`: gcc 10.2.1 (bullseye), 12.2.0 (bookworm), 14.2.0 (trixie),
///   which needed nothing more.
/// - libtirpc: bookworm (glibc 2.36) and trixie (2.41); bullseye's glibc
///   2.31 still has Sun RPC, and the rule stays off there.
/// - Python 3 conversion: through python3-fissix (installed by the kit) on
///   all three; lib2to3 on this host's bookworm only.
///
/// v4.1.10 and v7.2 are proven on this host's bookworm only (BENCHMARKS.md,
/// "Which release lines").
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

    inside_prefix(&configure_ac, &mut p);

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
                    // Which 2to3 (lib2to3 or fissix) is the host's, chosen
                    // when the edit is applied and named in the build log.
                    "Python 3: {} converted (2to3{})",
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

/// The two places configure installs outside any prefix by default:
/// mount.glusterfs into /sbin and the init script into /etc/init.d, the
/// host's own (a build as root overwrote Debian's /sbin/mount.glusterfs).
/// `${prefix}` stays literal, as configure's own defaults are, so two
/// builds for different prefixes are still configured alike.
fn inside_prefix(configure_ac: &str, p: &mut Plan) {
    for (option, default, dir) in [
        ("mountutildir", "/sbin", "sbin"),
        ("initdir", "/etc/init.d", "etc/init.d"),
    ] {
        if configure_ac.contains(&format!("AC_ARG_WITH({option}"))
            || configure_ac.contains(&format!("AC_ARG_WITH([{option}]"))
        {
            p.configure_args
                .push(format!("--with-{option}=${{prefix}}/{dir}"));
            p.items.push(format!(
                "--with-{option}=${{prefix}}/{dir} (configure's default is the host's {default})"
            ));
        }
    }
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

/// The Python 2 to 3 converter the host has: lib2to3 (in Python's standard
/// library up to 3.12, a separate Debian package `python3-lib2to3`) or
/// Debian's maintained fork fissix (`python3-fissix`), whose output is the
/// same on GlusterFS's build scripts. Python 3.13 has no lib2to3 at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converter {
    /// The interpreter that imports `module` (conversion is file to file, so
    /// it need not be the `python3` that runs the build).
    pub python: String,
    pub module: &'static str,
}

/// (module, the Debian package that provides it), in order of preference.
const CONVERTERS: &[(&str, &str)] = &[("lib2to3", "python3-lib2to3"), ("fissix", "python3-fissix")];

/// The interpreters asked: the one on PATH, then Debian's own (apt installs
/// python3-fissix for it, and PATH may hold a pyenv shim instead).
const PYTHONS: &[&str] = &["python3", "/usr/bin/python3"];

/// The first converter some interpreter can import; `imports(python,
/// module)` says whether `python -c 'import module'` works.
pub fn choose_converter(imports: &dyn Fn(&str, &str) -> bool) -> Option<Converter> {
    CONVERTERS.iter().find_map(|(module, _)| {
        PYTHONS
            .iter()
            .find(|python| imports(python, module))
            .map(|python| Converter {
                python: python.to_string(),
                module,
            })
    })
}

/// Chooses a converter, installing one when none imports and `root`:
/// python3-fissix first (packaged from Debian 11 on, and the only one for
/// Python 3.13), then python3-lib2to3. `install(package)` runs apt-get.
pub fn resolve_converter(
    imports: &dyn Fn(&str, &str) -> bool,
    root: bool,
    install: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Converter> {
    if let Some(c) = choose_converter(imports) {
        return Ok(c);
    }
    let mut failures = Vec::new();
    if root {
        for package in ["python3-fissix", "python3-lib2to3"] {
            match install(package) {
                Ok(()) => {
                    if let Some(c) = choose_converter(imports) {
                        return Ok(c);
                    }
                    failures.push(format!("{package} installed, yet neither module imports"));
                }
                Err(e) => failures.push(format!("{package}: {e:#}")),
            }
        }
    }
    bail!(
        "no Python 2 to 3 converter: {} imports neither lib2to3 nor fissix{}; {}",
        PYTHONS.join(" nor "),
        if failures.is_empty() {
            String::new()
        } else {
            format!(" ({})", failures.join("; "))
        },
        if root {
            "install python3-fissix (apt-get install python3-fissix), or python3-lib2to3 where Python is 3.12 or older"
        } else {
            "run as root (the kit then installs python3-fissix) or `apt-get install python3-fissix` \
             (python3-lib2to3 also works where Python is 3.12 or older)"
        }
    )
}

/// Whether `python -c 'import module'` works on this host.
fn python_imports(python: &str, module: &str) -> bool {
    cmd!(python, "-W", "ignore", "-c", format!("import {module}"))
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()
        .is_ok_and(|o| o.status.success())
}

/// The host's converter, installed with apt-get when missing and root.
pub fn host_converter() -> Result<Converter> {
    resolve_converter(&python_imports, crate::host::is_root(), &mut |package| {
        crate::host::apt_install(&[package])
    })
}

/// Writes the plan's edits into the export at `src`. The Python 2 to 3
/// converter is looked for (and installed) only when a script needs it.
pub fn apply(plan: &Plan, src: &Path) -> Result<()> {
    let mut converter = None;
    for edit in &plan.edits {
        match edit {
            Edit::Write { path, text } => std::fs::write(src.join(path), text)
                .with_context(|| format!("writing {}", path.display()))?,
            Edit::Python3 { path, string_join } => {
                if converter.is_none() {
                    let c = host_converter()?;
                    eprintln!(
                        "    compat: Python 3 conversion with {} -m {}",
                        c.python, c.module
                    );
                    converter = Some(c);
                }
                let c = converter.as_ref().expect("set above");
                to_python3(c, &src.join(path), *string_join)?;
            }
        }
    }
    Ok(())
}

/// The converter (lib2to3 or fissix) does the syntax; what it leaves is done
/// here: `string.join` gets a definition after `import string`, and tabs in
/// indentation become spaces when Python 3 rejects the mix (Python 2 read a
/// tab as up to 8 columns, so expanding them keeps the meaning).
fn to_python3(converter: &Converter, file: &Path, string_join: bool) -> Result<()> {
    let out = cmd!(
        &converter.python,
        "-W",
        "ignore",
        "-m",
        converter.module,
        "-w",
        "-n",
        file
    )
    .stderr_to_stdout()
    .stdout_capture()
    .unchecked()
    .run()?;
    if !out.status.success() {
        bail!(
            "{} ({}) could not convert {}:\n{}",
            converter.module,
            converter.python,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// An `imports` over a set of (python, module) pairs that can grow.
    fn importable(pairs: &RefCell<Vec<(String, String)>>) -> impl Fn(&str, &str) -> bool + '_ {
        move |python, module| {
            pairs
                .borrow()
                .iter()
                .any(|(p, m)| p == python && m == module)
        }
    }

    fn set(pairs: &[(&str, &str)]) -> RefCell<Vec<(String, String)>> {
        RefCell::new(
            pairs
                .iter()
                .map(|(p, m)| (p.to_string(), m.to_string()))
                .collect(),
        )
    }

    fn no_install(package: &str) -> Result<()> {
        panic!("installed {package} although a converter imports");
    }

    #[test]
    fn mount_helper_and_init_script_go_into_the_prefix() {
        // 3.12's configure.ac, as it declares them.
        let ac = "AC_ARG_WITH(mountutildir,\n  [...], [mountutildir='/sbin'])\n\
                  AC_ARG_WITH(initdir,\n  [...], [initdir='/etc/init.d'])\n";
        let mut p = Plan::default();
        inside_prefix(ac, &mut p);
        assert_eq!(
            p.configure_args,
            [
                "--with-mountutildir=${prefix}/sbin",
                "--with-initdir=${prefix}/etc/init.d"
            ]
        );
        let mut none = Plan::default();
        inside_prefix("AC_INIT([glusterfs])\n", &mut none);
        assert!(none.configure_args.is_empty());
    }

    #[test]
    fn uses_lib2to3_where_it_imports_and_installs_nothing() {
        let pairs = set(&[("python3", "lib2to3"), ("python3", "fissix")]);
        let c = resolve_converter(&importable(&pairs), true, &mut no_install).unwrap();
        assert_eq!((c.python.as_str(), c.module), ("python3", "lib2to3"));
    }

    #[test]
    fn uses_fissix_where_lib2to3_is_gone_even_from_debians_own_python() {
        // Python 3.13 (Debian 13), or a pyenv python3 on PATH beside
        // /usr/bin/python3 with python3-fissix.
        let pairs = set(&[("/usr/bin/python3", "fissix")]);
        let c = resolve_converter(&importable(&pairs), false, &mut no_install).unwrap();
        assert_eq!(
            (c.python.as_str(), c.module),
            ("/usr/bin/python3", "fissix")
        );
    }

    #[test]
    fn as_root_installs_python3_fissix_then_uses_it() {
        let pairs = set(&[]);
        let mut installed = Vec::new();
        let c = resolve_converter(&importable(&pairs), true, &mut |package| {
            installed.push(package.to_string());
            pairs
                .borrow_mut()
                .push(("/usr/bin/python3".into(), "fissix".into()));
            Ok(())
        })
        .unwrap();
        assert_eq!(installed, ["python3-fissix"]);
        assert_eq!(c.module, "fissix");
    }

    #[test]
    fn as_root_falls_back_to_python3_lib2to3_where_fissix_is_not_packaged() {
        let pairs = set(&[]);
        let mut tried = Vec::new();
        let c = resolve_converter(&importable(&pairs), true, &mut |package| {
            tried.push(package.to_string());
            if package == "python3-fissix" {
                bail!("E: Unable to locate package python3-fissix");
            }
            pairs
                .borrow_mut()
                .push(("python3".into(), "lib2to3".into()));
            Ok(())
        })
        .unwrap();
        assert_eq!(tried, ["python3-fissix", "python3-lib2to3"]);
        assert_eq!(c.module, "lib2to3");
    }

    #[test]
    fn without_root_or_converter_the_error_names_the_package() {
        let pairs = set(&[]);
        let e = resolve_converter(&importable(&pairs), false, &mut no_install)
            .unwrap_err()
            .to_string();
        assert!(e.contains("apt-get install python3-fissix"), "{e}");
        assert!(e.contains("neither lib2to3 nor fissix"), "{e}");
    }

    #[test]
    fn as_root_when_every_install_fails_the_error_says_why() {
        let pairs = set(&[]);
        let e = resolve_converter(&importable(&pairs), true, &mut |p| bail!("no {p} here"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no python3-fissix here"), "{e}");
        assert!(e.contains("no python3-lib2to3 here"), "{e}");
        assert!(e.contains("apt-get install python3-fissix"), "{e}");
    }

    const PYTHON2: &str = "import string\n\
        d = {'a': 1}\n\
        for k, v in d.iteritems():\n\
        \x20   print k, v\n\
        if d.has_key('a'):\n\
        \x20   print string.join(['x', 'y'], '-')\n";

    /// Converts a Python 2 file with `module` through `to_python3`, when
    /// some host interpreter imports it; otherwise says SKIPPED.
    fn converts_for_real_with(module: &str) {
        let Some(c) = choose_converter(&|python, m| m == module && python_imports(python, m))
        else {
            eprintln!("SKIPPED: no python3 here imports {module}");
            return;
        };
        assert_eq!(c.module, module);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gen.py");
        std::fs::write(&file, PYTHON2).unwrap();
        assert!(is_python2(PYTHON2));
        to_python3(&c, &file, true).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        // string.join( stays (is_python2 still sees it), defined after the import.
        assert!(text.contains("print(k, v)"), "{text}");
        assert!(text.contains("for k, v in d.items():"), "{text}");
        assert!(text.contains("string.join = lambda"), "{text}");
        compiles(&file).unwrap();
        let run = cmd!("python3", &file).read().unwrap();
        assert_eq!(run, "a 1\nx-y");
    }

    #[test]
    fn converts_a_python2_script_with_fissix_when_importable() {
        converts_for_real_with("fissix");
    }

    #[test]
    fn converts_a_python2_script_with_lib2to3_when_importable() {
        converts_for_real_with("lib2to3");
    }
}
