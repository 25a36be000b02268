//! The files the packages take, staged where their metadata looks
//! (`package-files/` beside the dist build): the stripped programs, man pages
//! (heal-info's rendered from its clap definition by its `dist-docs`
//! example, the shim's written by hand in `shim/dist/`), gzipped without
//! names or times so they are the same bytes every run, the bash completion,
//! the config file, the glusterd drop-in example with each format's
//! library directory, and heal-info serve's systemd unit with its example
//! drop-in, its Prometheus alerting rules and Grafana dashboard. Every
//! staged file gets the time SOURCE_DATE_EPOCH.
//! `publish` copies the bare files into the output directory beside the
//! packages.

use super::build::Built;
use super::report::Kind;
use anyhow::{Context, Result};
use duct::cmd;
use std::path::{Path, PathBuf};

/// Where each package format installs the library.
pub const LIBDIRS: &[(&str, &str)] = &[("rpm", "/usr/lib64"), ("deb", "/usr/lib/x86_64-linux-gnu")];

/// Where the drop-in example is installed (both formats).
pub const DROPIN_EXAMPLE: &str = "/usr/share/gfresolv/glusterd-gfresolv.conf";

/// Staged files that are artifacts on their own too, with their kind and
/// their path relative to the staging directory.
pub struct Staged {
    pub dir: PathBuf,
    pub files: Vec<(String, Kind)>,
}

pub fn stage(built: &Built, dir: &Path, epoch: u64) -> Result<Staged> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    for sub in [
        "man1",
        "man8",
        "completions",
        "rpm",
        "deb",
        "systemd",
        "prometheus",
    ] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let mut files = vec![
        ("libgfresolv.so".to_string(), Kind::So),
        ("heal-info".to_string(), Kind::Bin),
    ];
    strip(&built.shim, &dir.join("libgfresolv.so"), "--strip-unneeded")?;
    strip(&built.heal_info, &dir.join("heal-info"), "--strip-all")?;

    let docs = tempfile::tempdir()?;
    eprintln!("==> heal-info man pages and bash completion (clap_mangen, clap_complete)");
    cmd!(
        "cargo",
        "run",
        "--quiet",
        "-p",
        "heal-info",
        "--features",
        "gfapi",
        "--example",
        "dist-docs",
        "--",
        docs.path()
    )
    .dir(crate::paths::root())
    .stdout_to_stderr()
    .run()
    .context("rendering heal-info's man pages")?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(docs.path().join("man1"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    pages.sort();
    for page in pages {
        let name = format!("man1/{}.gz", file_name(&page));
        gzip(&page, &dir.join(&name))?;
        files.push((name, Kind::Man));
    }
    let shim_page = crate::paths::root().join("shim/dist/gfresolv.8");
    gzip(&shim_page, &dir.join("man8/gfresolv.8.gz"))?;
    files.push(("man8/gfresolv.8.gz".into(), Kind::Man));
    std::fs::copy(
        docs.path().join("completions/heal-info"),
        dir.join("completions/heal-info"),
    )?;
    files.push(("completions/heal-info".into(), Kind::Completion));

    let example =
        std::fs::read_to_string(crate::paths::root().join("shim/dist/glusterd-gfresolv.conf"))?;
    for (format, libdir) in LIBDIRS {
        let text = example
            .replace("@LIBDIR@", libdir)
            .replace("@EXAMPLE@", DROPIN_EXAMPLE);
        std::fs::write(dir.join(format).join("glusterd-gfresolv.conf"), text)?;
    }
    std::fs::copy(
        crate::paths::root().join("shim/gfresolv.conf"),
        dir.join("gfresolv.conf"),
    )?;
    // heal-info serve's unit (not enabled by any script) and its example drop-in.
    for unit in ["heal-info.service", "heal-info-textfile.conf"] {
        std::fs::copy(
            crate::paths::root().join("heal-info/dist").join(unit),
            dir.join("systemd").join(unit),
        )?;
    }
    // Its Prometheus alerting rules and Grafana dashboard.
    for file in [
        "gluster-heal-info-alerts.yml",
        "gluster-heal-info-dashboard.json",
    ] {
        std::fs::copy(
            crate::paths::root().join("heal-info/dist").join(file),
            dir.join("prometheus").join(file),
        )?;
    }
    set_times(dir, epoch)?;
    Ok(Staged {
        dir: dir.to_path_buf(),
        files,
    })
}

/// Gives every staged file the time `epoch`. cargo-generate-rpm only clamps
/// times later than SOURCE_DATE_EPOCH, so a file older than the commit (a
/// checkout's own mtime) would otherwise go into the package as it is, and
/// two checkouts of one commit would differ.
fn set_times(dir: &Path, epoch: u64) -> Result<()> {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch);
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry?;
        if entry.file_type().is_file() {
            std::fs::File::options()
                .write(true)
                .open(entry.path())?
                .set_modified(time)
                .with_context(|| format!("setting the time of {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Copies the bare artifacts into `out`, keeping their relative paths, and
/// returns those paths with their kinds.
pub fn publish(staged: &Staged, out: &Path) -> Result<Vec<(PathBuf, Kind)>> {
    staged
        .files
        .iter()
        .map(|(rel, kind)| {
            let dest = out.join(rel);
            std::fs::create_dir_all(dest.parent().expect("a file in out"))?;
            std::fs::copy(staged.dir.join(rel), &dest)?;
            Ok((PathBuf::from(rel), *kind))
        })
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .expect("a file")
        .to_string_lossy()
        .into_owned()
}

fn strip(from: &Path, to: &Path, how: &str) -> Result<()> {
    cmd!("strip", how, "-o", to, from)
        .run()
        .with_context(|| format!("strip {} (binutils)", from.display()))?;
    Ok(())
}

/// gzip -9n: no file name or time in the header, so equal input gives
/// equal bytes.
fn gzip(from: &Path, to: &Path) -> Result<()> {
    cmd!("gzip", "-9nc", from)
        .stdout_path(to)
        .run()
        .with_context(|| format!("gzip {}", from.display()))?;
    Ok(())
}
