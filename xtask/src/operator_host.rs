//! `cargo xtask operator-host`: the operator's 3.x host as it really is,
//! and the seed's own command on it. A minimal Debian root gets GlusterFS
//! 3.12 as EL7's packages lay it out (`build::rpm_layout`: /usr/sbin,
//! /usr/lib64, /etc, /var), Debian's libraries for it, and the kit's own
//! .debs from `cargo xtask dist`, installed with apt as an operator would.
//! A throwaway cluster runs in that root (chrooted, in private mount,
//! network, UTS and PID namespaces) with a k x (2+1) disperse volume, the
//! black-hole DNS as its resolver and the legacy-resolver layer in the
//! root's /etc/ld.so.preload, below every other line, where libc's own
//! resolver sits. Then six steps, each checked by what it prints:
//!
//! 1. `gluster volume heal VOL info` through the real CLI and the real
//!    /usr/sbin/glfsheal stalls, with k or more DNS queries; doctor says
//!    AT RISK;
//! 2. the shim turned on as the README's install section says: the same
//!    command answers at once with no query; doctor says protected;
//! 3. `heal-info VOL` with no flags finds /usr/sbin/glfsheal;
//! 4. `heal-info serve`, as the packaged unit's ExecStart runs it, answers
//!    a scrape;
//! 5. the shim turned off as the README says gives the stall back, and
//!    `apt purge` removes its files;
//! 6. the fork's fixed build installed over it, as an upgrade: the command
//!    is fast without the shim.
//!
//! Everything is in the root under the target dir and in the cluster's
//! namespaces: the host's /etc/ld.so.preload, /usr and gluster dirs are
//! never written (the suite's host check watches them).

use crate::build::rpm_layout;
use crate::chroot::{cache, ns};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verify::cluster::{Cluster, Flavor};
use verify::{Counter, Host, LOOKUP_STALL};

/// The release the root is made from: the one the kit's packages and the
/// legacy builds are proven on.
const SUITE: &str = "bookworm";
const VOLUME: &str = "vol0";
/// Where the kit's stand-in for glibc 2.17's resolver is put in the root.
const LEGACY_LAYER: &str = "/usr/local/lib/glk-legacy-resolv.so";
/// The .deb's library path (the RPM's is /usr/lib64/libgfresolv.so).
const SHIM: &str = "/usr/lib/x86_64-linux-gnu/libgfresolv.so";

pub struct Options {
    /// A GlusterFS repository with both revisions.
    pub repo: PathBuf,
    /// The unfixed release (v3.12.15).
    pub base: String,
    /// The fork's branch with the fix ported.
    pub branch: String,
    /// Disperse subvolumes of the volume.
    pub k: usize,
    pub jobs: usize,
}

/// One step's result: what it ran, what it saw, and whether that is what
/// the step claims.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub passed: bool,
    pub seconds: Option<f64>,
    pub dns_queries: Option<u64>,
    /// What was seen, for the report (a verdict line, an error).
    pub saw: String,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub base: String,
    pub branch: String,
    pub subvolumes: usize,
    pub steps: Vec<Step>,
    pub passed: bool,
}

/// Both revisions in the RPM layout, and the minimal release the root is
/// made from: what `run_on` needs that takes minutes (the suite makes it
/// while its tests run).
pub struct Builds {
    pub base: rpm_layout::Built,
    pub fixed: rpm_layout::Built,
}

/// Builds both revisions in the RPM layout (or reuses them) and caches
/// the root's release.
pub fn build(opts: &Options) -> Result<Builds> {
    crate::chroot::require_root("the operator's host")?;
    let base = rpm_layout::build(&opts.repo, &opts.base, opts.jobs)?;
    let fixed = rpm_layout::build(&opts.repo, &opts.branch, opts.jobs)?;
    cache::tarball(SUITE)?;
    Ok(Builds { base, fixed })
}

/// Builds both revisions in the RPM layout, makes the root, and runs the six steps.
pub fn run(opts: &Options) -> Result<Outcome> {
    let builds = build(opts)?;
    run_on(opts, &builds)
}

/// The root made from `builds` and the kit's packages, and the six steps.
pub fn run_on(opts: &Options, builds: &Builds) -> Result<Outcome> {
    eprintln!("==> the kit's packages (cargo xtask dist)");
    let dist = crate::dist::run(&crate::dist::default_out_dir()?)?;
    let debs: Vec<PathBuf> = dist
        .artifacts
        .iter()
        .filter(|a| a.kind == crate::dist::report::Kind::Deb)
        .map(|a| a.path.clone())
        .collect();
    if debs.len() != 2 {
        bail!(
            "cargo xtask dist made {} .debs, not the kit's two",
            debs.len()
        );
    }
    let root = prepare_root(&builds.base.root, &debs)?;
    let steps = on_the_host(root.path(), &builds.fixed.root, opts.k)?;
    let passed = steps.iter().all(|s| s.passed);
    Ok(Outcome {
        base: opts.base.clone(),
        branch: opts.branch.clone(),
        subvolumes: opts.k,
        steps,
        passed,
    })
}

/// A minimal Debian root with the RPM-layout build, the libraries it
/// links, and the kit's .debs installed with apt.
fn prepare_root(build: &Path, debs: &[PathBuf]) -> Result<cache::Root> {
    let root = cache::unpack(SUITE)?;
    let r = root.path();
    eprintln!("==> the operator's host: {} ({SUITE} minbase)", r.display());
    cache::copy_machine_setup(r)?;
    let packages = runtime_packages(build)?;
    eprintln!(
        "    the build's libraries come from: {}",
        packages.join(" ")
    );
    let kit = r.join("tmp/kit");
    std::fs::create_dir_all(&kit)?;
    let mut names = Vec::new();
    for d in debs {
        let name = d.file_name().context("a .deb without a name")?;
        std::fs::copy(d, kit.join(name))?;
        names.push(format!("/tmp/kit/{}", name.to_string_lossy()));
    }
    install_build(build, r)?;
    // EL7's loader searches /usr/lib64; Debian's is told so, as the
    // packages' own libdir.
    std::fs::write(
        r.join("etc/ld.so.conf.d/glusterfs-lib64.conf"),
        "/usr/lib64\n",
    )?;
    let script = format!(
        "set -e\napt-get update -q\napt-get install -y -q --no-install-recommends {}\n\
         ldconfig\n\
         # The operator's step, as the README gives it.\n\
         apt-get install -y -q {}\n\
         rm -rf /tmp/kit\n\
         missing=$(ldd /usr/sbin/glusterd /usr/sbin/glusterfsd /usr/sbin/glfsheal /usr/sbin/gluster | grep 'not found' || true)\n\
         [ -z \"$missing\" ] || {{ echo \"libraries not found: $missing\" >&2; exit 1; }}\n",
        packages.join(" "),
        names.join(" ")
    );
    ns::run(
        r,
        &[],
        &ns::base_env("/root", ""),
        &["sh".into(), "-c".into(), script],
        "installing the build's libraries and the kit's .debs",
    )?;
    std::fs::copy(
        verify::tools::legacy_resolv_so(),
        r.join(&LEGACY_LAYER[1..]),
    )
    .context("copying the legacy-resolver layer into the root")?;
    std::fs::write(r.join("etc/ld.so.preload"), format!("{LEGACY_LAYER}\n"))?;
    Ok(root)
}

/// `build`'s files copied over `root`, as an RPM install (or upgrade)
/// writes them: the root's merged-/usr symlinks (/sbin, /lib) are kept.
/// The copy runs chrooted, so the root's absolute symlinks (/var/run is
/// `/run`) resolve inside it: unpacked from the host, a tar following
/// them wrote the host's /run/gluster.
fn install_build(build: &Path, root: &Path) -> Result<()> {
    const AT: &str = "/tmp/glk-rpm-layout";
    let (pack, unpack) = (PACK.join(" "), UNPACK.join(" "));
    ns::run(
        root,
        &[ns::Mount::Bind {
            host: build.to_path_buf(),
            at: AT.into(),
            writable: false,
        }],
        &ns::base_env("/root", ""),
        &[
            "sh".into(),
            "-c".into(),
            format!("{pack} -C {AT} . | {unpack}"),
        ],
        &format!("copying {} into the root", build.display()),
    )
}

/// How a build's tree is read: as it is, owners by number (the build's
/// own, not names the root may map elsewhere). The directory comes after.
const PACK: [&str; 4] = ["tar", "--numeric-owner", "-cf", "-"];
/// How it is written over a root: its directory symlinks (/sbin, /lib in a
/// merged-/usr root) kept, not replaced by directories.
const UNPACK: [&str; 7] = [
    "tar",
    "--numeric-owner",
    "--keep-directory-symlink",
    "-C",
    "/",
    "-xf",
    "-",
];

/// `build`'s files copied over the running cluster's root, as an RPM
/// upgrade writes them under running daemons: read on the host, unpacked
/// inside the cluster (chrooted, so the root's own links are followed).
fn upgrade(c: &Cluster, build: &Path) -> Result<()> {
    let mut unpack = c
        .command(&UNPACK)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("starting tar in the cluster")?;
    let stdin = unpack.stdin.take().context("tar's stdin")?;
    let mut args: Vec<std::ffi::OsString> = PACK[1..].iter().map(Into::into).collect();
    args.extend(["-C".into(), build.into(), ".".into()]);
    let packed = duct::cmd(PACK[0], args).stdout_file(stdin).run();
    let unpacked = unpack.wait()?;
    packed.with_context(|| format!("reading {}", build.display()))?;
    if !unpacked.success() {
        bail!("unpacking {} in the root: tar {unpacked}", build.display());
    }
    Ok(())
}

/// The Debian packages that hold the libraries `build`'s programs and
/// libraries link, read with the host's ldd and dpkg (the host is the same
/// release as the root), plus what the root's own steps need.
fn runtime_packages(build: &Path) -> Result<Vec<String>> {
    let lib64 = build.join("usr/lib64");
    let mut libs = std::collections::BTreeSet::new();
    let elves = walkdir::WalkDir::new(build.join("usr/sbin"))
        .into_iter()
        .chain(walkdir::WalkDir::new(&lib64))
        .flatten()
        .filter(|e| e.file_type().is_file() && is_elf(e.path()));
    for e in elves {
        let out = duct::cmd!("ldd", e.path())
            .env("LD_LIBRARY_PATH", &lib64)
            .stderr_null()
            .unchecked()
            .read()
            .unwrap_or_default();
        for line in out.lines() {
            if let Some((_, rest)) = line.split_once("=> /") {
                let path = format!("/{}", rest.split_whitespace().next().unwrap_or(""));
                if !path.starts_with(&build.display().to_string()) {
                    libs.insert(path);
                }
            }
        }
    }
    let mut packages = std::collections::BTreeSet::from(["libc-bin".to_string()]);
    for lib in &libs {
        packages.insert(owner(lib).with_context(|| {
            format!("{lib}, which the build links, belongs to no Debian package here")
        })?);
    }
    Ok(packages.into_iter().collect())
}

/// The package that installed `path` (tried as /usr/... too: Debian 12
/// registers some libraries under /lib, some under /usr/lib).
fn owner(path: &str) -> Option<String> {
    let canon = std::fs::canonicalize(path).ok()?;
    let tries = [
        path.to_string(),
        canon.display().to_string(),
        canon
            .display()
            .to_string()
            .trim_start_matches("/usr")
            .to_string(),
    ];
    tries.iter().find_map(|p| {
        let out = duct::cmd!("dpkg", "-S", p)
            .stderr_null()
            .unchecked()
            .read()
            .ok()?;
        let pkg = out.lines().next()?.split(':').next()?.trim().to_string();
        (!pkg.is_empty() && !pkg.contains(' ')).then_some(pkg)
    })
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// The six steps in a cluster chrooted into `root`.
fn on_the_host(root: &Path, fixed: &Path, k: usize) -> Result<Vec<Step>> {
    let c = Cluster::start_shaped(Flavor::rooted(root), Host::Ipv4)?;
    let dns = Counter::start(&c, "127.0.0.1:53", "dns")?;
    c.create_volume(VOLUME, "disperse 3 redundancy 1", 3 * k)?;
    // The judge's lower bound for a stall: k lookups, up to OVERLAP of
    // them at once (the subvolumes come up on more than one thread).
    let stall = 0.8 * k as f64 * LOOKUP_STALL / verify::judge::OVERLAP;
    let mut steps = Vec::new();

    let mut s = seed_command(&c, &dns, "1. gluster volume heal info, unfixed, no shim")?;
    s.passed &= stalled(&s, k, stall);
    steps.push(s);
    steps.push(doctor(&c, "1. heal-info doctor, no shim", "AT RISK")?);

    // The README's install section, line for line (the .deb's path).
    c.sh(&format!(
        "echo {SHIM} >> /etc/ld.so.preload\n\
         sed -i 's/^#only = .*/only = glfsheal,gluster/' /etc/gfresolv.conf"
    ))?;
    legacy_layer_last(root)?;
    let mut s = seed_command(&c, &dns, "2. gluster volume heal info, shim on")?;
    s.passed &= fast(&s);
    steps.push(s);
    steps.push(doctor(
        &c,
        "2. heal-info doctor, shim on",
        "ok: the resolver shim is in place",
    )?);

    steps.push(heal_info_no_flags(&c)?);
    steps.push(serve_as_the_unit(&c)?);

    // The README's way off: the line out of /etc/ld.so.preload.
    c.sh(&format!("sed -i '\\|{SHIM}|d' /etc/ld.so.preload"))?;
    let mut s = seed_command(&c, &dns, "5. gluster volume heal info, shim off")?;
    s.passed &= stalled(&s, k, stall);
    steps.push(s);
    steps.push(purge(&c, root)?);

    eprintln!("==> the fork's fixed build installed over it");
    upgrade(&c, fixed)?;
    c.sh("ldconfig")?;
    let mut s = seed_command(
        &c,
        &dns,
        "6. gluster volume heal info, fixed build, no shim",
    )?;
    s.passed &= fast(&s);
    steps.push(s);
    Ok(steps)
}

/// Keeps the stand-in for libc's resolver the last preload: an
/// interposer above it (the shim) must see a lookup first, as it would
/// above glibc 2.17 itself.
fn legacy_layer_last(root: &Path) -> Result<()> {
    let path = root.join("etc/ld.so.preload");
    let text = std::fs::read_to_string(&path)?;
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| l.trim() != LEGACY_LAYER && !l.trim().is_empty())
        .collect();
    lines.push(LEGACY_LAYER);
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(())
}

/// The seed's command through the real CLI (which runs /usr/sbin/glfsheal),
/// timed, with the DNS queries it sent; passes when it printed every brick.
fn seed_command(c: &Cluster, dns: &Counter, name: &str) -> Result<Step> {
    eprintln!("==> {name}");
    let before = dns.count();
    let t = Instant::now();
    let out = c.exec(&["gluster", "volume", "heal", VOLUME, "info"])?;
    let seconds = t.elapsed().as_secs_f64();
    // Let the last datagrams land.
    std::thread::sleep(Duration::from_millis(300));
    let queries = dns.count() - before;
    let text = String::from_utf8_lossy(&out.stdout);
    let bricks = text.lines().filter(|l| l.starts_with("Brick ")).count();
    let entries = text
        .lines()
        .filter(|l| l.starts_with("Number of entries:"))
        .count();
    let whole = out.status.success() && bricks > 0 && entries == bricks;
    eprintln!("    {seconds:.2} s, {queries} DNS queries, {bricks} bricks listed");
    Ok(Step {
        name: name.into(),
        passed: whole,
        seconds: Some(seconds),
        dns_queries: Some(queries),
        saw: if whole {
            format!("{bricks} bricks, each with its number of entries")
        } else {
            format!(
                "exit {:?}, {bricks} bricks, {entries} entry counts: {}{}",
                out.status.code(),
                text.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        },
    })
}

fn stalled(s: &Step, k: usize, stall: f64) -> bool {
    s.seconds.unwrap_or(0.0) >= stall && s.dns_queries.unwrap_or(0) >= k as u64
}

/// Well under one lookup's wait, with no query sent.
fn fast(s: &Step) -> bool {
    s.seconds.unwrap_or(f64::MAX) < LOOKUP_STALL && s.dns_queries == Some(0)
}

/// `heal-info doctor` in the root: passes when its verdict has `want`.
fn doctor(c: &Cluster, name: &str, want: &str) -> Result<Step> {
    eprintln!("==> {name}");
    let out = c.exec(&["heal-info", "doctor"])?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let verdict = text
        .lines()
        .find_map(|l| l.strip_prefix("verdict: "))
        .unwrap_or("")
        .to_string();
    Ok(Step {
        name: name.into(),
        passed: verdict.contains(want),
        seconds: None,
        dns_queries: None,
        saw: if verdict.is_empty() {
            format!(
                "no verdict line: {}{}",
                text.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        } else {
            verdict
        },
    })
}

/// `heal-info VOL` as an operator types it, no flags: it must find the
/// RPM layout's /usr/sbin/glfsheal and read every brick.
fn heal_info_no_flags(c: &Cluster) -> Result<Step> {
    eprintln!("==> 3. heal-info {VOLUME} (no flags)");
    let out = c.exec(&["heal-info", VOLUME, "--format", "json"])?;
    let v: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
    let glfsheal = v
        .as_ref()
        .and_then(|v| v["glfsheal"].as_str())
        .unwrap_or("")
        .to_string();
    let passed = out.status.code() == Some(0) && glfsheal == "/usr/sbin/glfsheal";
    Ok(Step {
        name: format!("3. heal-info {VOLUME}, no flags"),
        passed,
        seconds: v.as_ref().and_then(|v| v["duration_seconds"].as_f64()),
        dns_queries: None,
        saw: if passed {
            format!("ran {glfsheal}, exit 0")
        } else {
            format!(
                "exit {:?}, glfsheal {glfsheal:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        },
    })
}

/// `heal-info serve` started as the installed unit's ExecStart, with the
/// unit's own Environment= values; passes when a scrape has the volume's
/// heal count.
fn serve_as_the_unit(c: &Cluster) -> Result<Step> {
    eprintln!("==> 4. heal-info serve, as heal-info.service runs it");
    let unit = c.sh("cat /usr/lib/systemd/system/heal-info.service 2>/dev/null || cat /lib/systemd/system/heal-info.service")?;
    let argv = exec_start(&unit)?;
    let listen = argv
        .windows(2)
        .find(|w| w[0] == "--listen")
        .map(|w| w[1].clone())
        .context("the unit's ExecStart has no --listen")?;
    let args: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut serve = verify::background::Background::start(c, "serve", &args)?;
    let t = Instant::now();
    let mut last = String::new();
    while t.elapsed() < Duration::from_secs(60) {
        match verify::netns_http::get(c.init_pid, &listen, "/metrics", Duration::from_secs(10)) {
            Ok(a) if a.status == 200 && heal_count(&a.body).is_some() => {
                return Ok(Step {
                    name: "4. heal-info serve (the unit's ExecStart)".into(),
                    passed: true,
                    seconds: Some(a.took.as_secs_f64()),
                    dns_queries: None,
                    saw: format!(
                        "{listen}/metrics: {}",
                        heal_count(&a.body).unwrap_or_default()
                    ),
                });
            }
            Ok(a) => last = format!("HTTP {}: {}", a.status, a.body.trim()),
            Err(e) => last = format!("{e:#}"),
        }
        if !serve.running() {
            last = format!("serve exited: {}", tail(&serve.log_text(), 3));
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(Step {
        name: "4. heal-info serve (the unit's ExecStart)".into(),
        passed: false,
        seconds: None,
        dns_queries: None,
        saw: format!("no heal count for {VOLUME}: {last}"),
    })
}

/// The last `n` lines of `text`, on one line.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// The first `gluster_volume_heal_count` line naming the volume.
fn heal_count(body: &str) -> Option<String> {
    body.lines()
        .find(|l| l.starts_with("gluster_volume_heal_count") && l.contains(VOLUME))
        .map(String::from)
}

/// The unit's ExecStart with its Environment= values put in, as systemd
/// expands `${VAR}` (one word) and `$VAR` (split at spaces).
pub fn exec_start(unit: &str) -> Result<Vec<String>> {
    let mut env = std::collections::BTreeMap::new();
    for line in unit.lines() {
        if let Some(assign) = line.trim().strip_prefix("Environment=") {
            let assign = assign.trim_matches('"');
            if let Some((k, v)) = assign.split_once('=') {
                env.insert(k.to_string(), v.to_string());
            }
        }
    }
    let line = unit
        .lines()
        .find_map(|l| l.trim().strip_prefix("ExecStart="))
        .context("the unit has no ExecStart")?;
    let mut argv = Vec::new();
    for word in line.split_whitespace() {
        if let Some(name) = word.strip_prefix("${").and_then(|w| w.strip_suffix('}')) {
            argv.push(env.get(name).cloned().unwrap_or_default());
        } else if let Some(name) = word.strip_prefix('$') {
            argv.extend(
                env.get(name)
                    .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
        } else {
            argv.push(word.to_string());
        }
    }
    Ok(argv)
}

/// `apt purge gfresolv` in the root: passes when the library and its
/// config are gone and dpkg no longer knows the package.
fn purge(c: &Cluster, root: &Path) -> Result<Step> {
    eprintln!("==> 5. apt purge gfresolv");
    let out = c.exec(&["apt-get", "purge", "-y", "-q", "gfresolv"])?;
    let left: Vec<&str> = [SHIM, "/etc/gfresolv.conf"]
        .into_iter()
        .filter(|f| root.join(&f[1..]).exists())
        .collect();
    let known = c
        .exec(&["dpkg-query", "-W", "-f", "${Status}", "gfresolv"])?
        .stdout;
    let known = String::from_utf8_lossy(&known).contains("installed");
    let passed = out.status.success() && left.is_empty() && !known;
    Ok(Step {
        name: "5. apt purge gfresolv".into(),
        passed,
        seconds: None,
        dns_queries: None,
        saw: if passed {
            format!("{SHIM} and /etc/gfresolv.conf removed")
        } else {
            format!(
                "exit {:?}, left: {left:?}, still installed: {known}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        },
    })
}

/// The steps as a table.
pub fn text(o: &Outcome) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_header(["step", "seconds", "DNS", "result", "saw"]);
    for s in &o.steps {
        t.add_row([
            s.name.clone(),
            s.seconds.map_or("-".into(), |x| format!("{x:.2}")),
            s.dns_queries.map_or("-".into(), |x| x.to_string()),
            if s.passed { "ok" } else { "FAILED" }.into(),
            // The whole of it is in --json; a table row stays readable.
            if s.saw.chars().count() > 160 {
                format!("{}...", s.saw.chars().take(157).collect::<String>())
            } else {
                s.saw.clone()
            },
        ]);
    }
    format!(
        "operator's host: {} in the RPM layout, {} x (2+1) disperse, then {}\n{t}\n",
        o.base, o.subvolumes, o.branch
    )
}

#[cfg(test)]
mod tests {
    use super::{exec_start, legacy_layer_last, LEGACY_LAYER, SHIM};

    #[test]
    fn the_legacy_layer_goes_below_a_shim_the_readme_appended() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        let preload = root.path().join("etc/ld.so.preload");
        // What `echo SHIM >> /etc/ld.so.preload` leaves after the kit's line.
        std::fs::write(&preload, format!("{LEGACY_LAYER}\n{SHIM}\n\n")).unwrap();
        legacy_layer_last(root.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&preload).unwrap(),
            format!("{SHIM}\n{LEGACY_LAYER}\n")
        );
        // Taking the shim's line out leaves the layer alone.
        std::fs::write(&preload, format!("{LEGACY_LAYER}\n")).unwrap();
        legacy_layer_last(root.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&preload).unwrap(),
            format!("{LEGACY_LAYER}\n")
        );
    }

    #[test]
    fn exec_start_expands_the_units_environment_as_systemd_does() {
        let unit = "[Service]\nEnvironment=HEAL_INFO_LISTEN=127.0.0.1:9999\n\
                    Environment=\"HEAL_INFO_ARGS=--jobs 2 --all\"\nEnvironment=EMPTY=\n\
                    ExecStart=/usr/bin/heal-info serve --listen ${HEAL_INFO_LISTEN} $HEAL_INFO_ARGS $EMPTY\n";
        assert_eq!(
            exec_start(unit).unwrap(),
            [
                "/usr/bin/heal-info",
                "serve",
                "--listen",
                "127.0.0.1:9999",
                "--jobs",
                "2",
                "--all"
            ]
        );
    }
}
