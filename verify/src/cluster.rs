//! A throwaway GlusterFS cluster on loopback, for the end-to-end tests and
//! `cargo xtask verify`.
//!
//! It lives in private mount, network, UTS and PID namespaces
//! (`unshare -m -n -u -p --fork`), with its own /var/lib/glusterd,
//! /var/log/glusterfs, /run (so glfsheal's fixed socket path is the cluster's
//! own, and 3.x's brick sockets in /var/run/gluster stay private),
//! /etc/hosts and /etc/resolv.conf, bind-mounted from a temp dir; the
//! host's files and any glusterd it runs are never touched. The system's
//! paths are covered for every flavor, so even a build that ignored its
//! prefix could write nothing of the host's. A `--prefix` build runs its
//! own glusterd, gluster and bricks (PREFIX/sbin first in PATH), its state
//! dirs under PREFIX/var bind-mounted from the same temp dir, so the
//! installed build stays as it was too. A build made for another prefix
//! (`xtask build --run-at`, as the A/B's branch is for its base's) has its
//! install bound at that prefix first, so its programs load its own
//! libraries and xlators, whatever the host holds there. Commands run
//! inside with `nsenter`. Teardown kills the namespace's first process by
//! PID, which ends every process in it, then removes the directories; it
//! runs on drop, so also when a test fails or panics. When the tool dies
//! without dropping (SIGKILL, the OOM killer) the kernel does the same: the
//! holder `unshare` carries PR_SET_PDEATHSIG and `--kill-child`, so the
//! namespace's first process dies with it, and with it everything inside,
//! including what `nsenter -p` put there (the counters, `exec`'s commands).
//! Only the temp dir stays behind then. The holder's parent is the thread
//! that started the cluster: keep the cluster on that thread.

use crate::cell::Host;
use anyhow::{bail, Context, Result};
use die_with_parent::{namespace_holder, stale};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const HOST: &str = "gl-node1";
pub const HOST_ADDR: &str = "127.0.0.2";
/// For legacy builds, which refuse 127.x brick hosts: an address from the
/// benchmarking range, on the private network namespace's own `lo` (every
/// kernel has it; some have no `dummy` link type), so nothing can leave the
/// machine.
pub const LEGACY_ADDR: &str = "198.18.0.2";
/// The non-loopback IPv6 address of dual-stack and IPv6-only shapes, from
/// the documentation range, on `lo` (no duplicate detection to wait for).
pub const IPV6_ADDR: &str = "2001:db8::2";

/// Which GlusterFS build runs the cluster.
#[derive(Debug, Clone)]
pub struct Flavor {
    /// None: the system's (Debian 10.3); Some: an installed `--prefix`
    /// build, by the prefix its programs name.
    pub prefix: Option<PathBuf>,
    /// Where that build is installed when it is not `prefix`: bound at
    /// `prefix` inside the cluster.
    pub bound: Option<PathBuf>,
    /// A whole system root the cluster runs in (chrooted), its GlusterFS
    /// installed at the system paths as packages lay it out (an EL7 host's
    /// 3.12): `prefix` is None then, and every path is the root's.
    pub root: Option<PathBuf>,
}

impl Flavor {
    pub fn system() -> Self {
        Flavor {
            prefix: None,
            bound: None,
            root: None,
        }
    }

    /// The GlusterFS installed at the system paths of `root`, a directory
    /// the cluster chroots into; the kit's own tools (its target dir) are
    /// bound read-only at their own paths inside.
    pub fn rooted(root: &Path) -> Self {
        Flavor {
            prefix: None,
            bound: None,
            root: Some(root.to_path_buf()),
        }
    }

    /// A 3.x build (a prefix build or a rooted one), whose CLI refuses
    /// 127.x brick hosts; the system's 10.3 takes them.
    fn legacy(&self) -> bool {
        self.prefix.is_some() || self.root.is_some()
    }

    /// A path of the cluster's view, as the host sees it.
    fn on_host(&self, inside: &Path) -> PathBuf {
        match &self.root {
            Some(r) => r.join(inside.strip_prefix("/").unwrap_or(inside)),
            None => inside.to_path_buf(),
        }
    }

    /// The build installed at `dir`. Its stamp may say it was made for
    /// another prefix (`run_at`): then it runs there, with `dir` bound over
    /// it, and that prefix must exist to be bound over. Without a stamp (a
    /// build of the user's own) it runs where it is.
    pub fn installed(dir: &Path) -> Result<Flavor> {
        let stamp = crate::stamp::path(dir);
        let report = crate::stamp::load(dir);
        // Unread, a stamp's run_at would be lost, and the build would run
        // unbound, on whatever libraries its prefix's path holds.
        if report.is_none() && stamp.exists() {
            bail!(
                "{} cannot be read as a build stamp: rebuild {} with cargo xtask build (--force)",
                stamp.display(),
                dir.display()
            );
        }
        let run_at = report.and_then(|r| r.run_at);
        Ok(match run_at {
            Some(at) => {
                if !at.is_dir() {
                    bail!(
                        "{} was built for the prefix {} (--run-at) and runs only bound there, \
                         but {1} is gone: build the base there again, or rebuild {0} without --run-at",
                        dir.display(),
                        at.display()
                    );
                }
                Flavor {
                    prefix: Some(at),
                    bound: Some(dir.to_path_buf()),
                    root: None,
                }
            }
            None => Flavor {
                prefix: Some(dir.to_path_buf()),
                bound: None,
                root: None,
            },
        })
    }

    /// Where the build keeps state: its localstatedir is PREFIX/var.
    fn var(&self) -> PathBuf {
        self.prefix
            .as_ref()
            .map_or(PathBuf::from("/var"), |p| p.join("var"))
    }

    pub fn socket(&self) -> PathBuf {
        self.var().join("run/glusterd.socket")
    }

    pub fn log_dir_inside(&self) -> PathBuf {
        self.var().join("log/glusterfs")
    }

    /// PATH inside the cluster: the build's own programs first.
    pub fn path_env(&self) -> String {
        let system = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        match &self.prefix {
            None => system.to_string(),
            Some(p) => format!(
                "{}:{}:{system}",
                p.join("sbin").display(),
                p.join("bin").display()
            ),
        }
    }

    /// The directories a glusterd of this flavor writes, each with the
    /// cluster's private stand-in (a subdirectory of its temp dir): the
    /// system's always, and the prefix's when there is one.
    fn private_dirs(&self) -> Vec<(&'static str, PathBuf)> {
        let mut dirs = vec![
            ("lib", PathBuf::from("/var/lib/glusterd")),
            ("log", PathBuf::from("/var/log/glusterfs")),
        ];
        if let Some(p) = &self.prefix {
            let var = p.join("var");
            dirs.push(("lib", var.join("lib/glusterd")));
            dirs.push(("log", var.join("log/glusterfs")));
            dirs.push(("run", var.join("run")));
        }
        dirs
    }
}

pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub flavor: Flavor,
    pub host: Host,
    holder: Child,
    /// Host PID of the namespace's first process.
    pub init_pid: u32,
    started: Instant,
}

fn progress(started: Instant, what: &str) {
    eprintln!("[cluster {:>6.2}s] {what}", started.elapsed().as_secs_f64());
}

/// What every cluster's run directory (in the temp dir) is named after.
pub const RUN_DIR_PREFIX: &str = "gl-cluster-";

/// Ends what a killed earlier run left (its namespaces' processes, then its
/// run directory), as every cluster start does first. Directories of
/// unknown owner are named once per process, not at every start.
pub fn clean_stale() -> stale::Cleaned {
    static NAMED_UNKNOWN: std::sync::Once = std::sync::Once::new();
    let mut c = stale::clean(
        &std::env::temp_dir(),
        RUN_DIR_PREFIX,
        Duration::from_secs(5),
    );
    let mut first = false;
    NAMED_UNKNOWN.call_once(|| first = true);
    if !first {
        c.unknown_dirs.clear();
    }
    c
}

/// Whether this machine can run the cluster, or why not.
pub fn available() -> Result<(), String> {
    crate::tools::can_unshare()?;
    if !Path::new("/usr/sbin/glusterd").exists() {
        return Err(
            "glusterd is not installed (cargo xtask test installs glusterfs-server as root)".into(),
        );
    }
    Ok(())
}

impl Cluster {
    /// Brings up the system's glusterd in fresh namespaces.
    pub fn start() -> Result<Cluster> {
        Self::start_flavor(Flavor::system())
    }

    /// Brings up `flavor`'s glusterd in fresh namespaces and waits until it answers.
    pub fn start_flavor(flavor: Flavor) -> Result<Cluster> {
        Self::start_shaped(flavor, Host::Ipv4)
    }

    /// The brick host's address on a `host`-shaped namespace: on an
    /// IPv6-only one, 127.0.0.1 (which AI_ADDRCONFIG does not count as
    /// IPv4; 3.x's CLI refuses only the literal name), else a non-loopback
    /// IPv4 address (3.x's CLI refuses 127.x for legacy builds).
    fn brick_addr(flavor: &Flavor, host: Host) -> &'static str {
        match host {
            Host::Ipv6 => "127.0.0.1",
            _ if flavor.legacy() => LEGACY_ADDR,
            _ => HOST_ADDR,
        }
    }

    /// The `ip addr` lines that give the namespace its shape.
    fn address_lines(flavor: &Flavor, host: Host) -> String {
        let v4 = match Self::brick_addr(flavor, host) {
            "127.0.0.1" => String::new(),
            // 127.0.0.2 is inside lo's 127/8 already, but only an address
            // of its own counts for AI_ADDRCONFIG.
            a if a.starts_with("127.") => format!("ip addr add {a}/8 dev lo\n"),
            a => format!("ip addr add {a}/32 dev lo\n"),
        };
        let v6 = match host {
            Host::Ipv4 => String::new(),
            Host::DualStack | Host::Ipv6 => {
                format!("ip addr add {IPV6_ADDR}/128 dev lo nodad\n")
            }
        };
        format!("{v4}{v6}")
    }

    /// Brings up `flavor`'s glusterd in fresh namespaces shaped like `host`
    /// and waits until it answers.
    pub fn start_shaped(flavor: Flavor, host: Host) -> Result<Cluster> {
        let started = Instant::now();
        // The cluster binds its own over these, and a bind needs a target.
        for f in ["/etc/hosts", "/etc/resolv.conf"] {
            if !Path::new(f).exists() {
                bail!(
                    "{f} is missing (every installed Debian has one; a bare chroot may not): create it, e.g. `echo 127.0.0.1 localhost > /etc/hosts` or `touch /etc/resolv.conf`, and run again"
                );
            }
        }
        for line in clean_stale().lines() {
            progress(started, &line);
        }
        let dir = tempfile::Builder::new().prefix(RUN_DIR_PREFIX).tempdir()?;
        let d = dir.path();
        // Read by a later run should this one be killed (clean_stale).
        std::fs::write(d.join(stale::OWNER_FILE), stale::owner_mark())?;
        for sub in ["lib", "log", "bricks"] {
            std::fs::create_dir_all(d.join(sub))?;
        }
        // No nameserver that answers: a healthy cluster never needs DNS.
        std::fs::write(
            d.join("resolv.conf"),
            "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        )?;
        std::fs::create_dir_all(d.join("run"))?;
        let addr = Self::brick_addr(&flavor, host);
        let extra_addr = Self::address_lines(&flavor, host);
        std::fs::write(
            d.join("hosts"),
            format!(
                "127.0.0.1 localhost\n{addr} {HOST}\n{}",
                // On an IPv6-only host the node's name has its IPv6 address,
                // which AI_ADDRCONFIG lookups (the events' own) find; the
                // bricks keep 127.0.0.1, which IPv4 lookups find.
                if host == Host::Ipv6 {
                    format!("{IPV6_ADDR} {HOST}\n")
                } else {
                    String::new()
                }
            ),
        )?;
        // The install first: the private dirs below are inside it. Then
        // /run: the prefix's run dir may be reached through it.
        let mut mounts = match (&flavor.bound, &flavor.prefix) {
            (Some(from), Some(at)) => {
                format!("mount --bind {} {}\n", from.display(), at.display())
            }
            _ => String::new(),
        };
        if let Some(r) = &flavor.root {
            mounts.push_str(&root_mounts(r, d)?);
        }
        let run = flavor.on_host(Path::new("/run"));
        mounts.push_str(&format!(
            "mount -t tmpfs tmpfs {r}\nmkdir -p {r}/gluster\n",
            r = run.display()
        ));
        if flavor.prefix.is_none() && flavor.root.is_none() {
            mounts.push_str(&system_libexec_private(d));
        }
        for (sub, target) in flavor.private_dirs() {
            mounts.push_str(&format!(
                "mkdir -p {t} && mount --bind {d}/{sub} {t}\n",
                t = flavor.on_host(&target).display(),
                d = d.display()
            ));
        }
        let (hosts, resolv) = (
            flavor.on_host(Path::new("/etc/hosts")),
            flavor.on_host(Path::new("/etc/resolv.conf")),
        );
        // PID 1 must reap orphans: a killed brick left as a zombie still
        // looks alive to glusterd, which then will not restart it. bash
        // reaps any child on SIGCHLD, and each sleep ending raises one.
        // Inside a root, PID 1 chroots first, so every command nsenter runs
        // (it keeps the target's root) is the root's.
        let reap = "while :; do sleep 1; done";
        let reap = match &flavor.root {
            Some(r) => format!("exec chroot {} bash -c '{reap}'", r.display()),
            None => reap.to_string(),
        };
        let init = format!(
            r#"set -e
ip link set lo up
{extra_addr}{mounts}mount --bind {d}/hosts {hosts}
mount --bind {d}/resolv.conf {resolv}
hostname {HOST}
touch {d}/ready
{reap}
"#,
            d = d.display(),
            hosts = hosts.display(),
            resolv = resolv.display(),
        );
        progress(
            started,
            &format!("making namespaces (mount, net, uts, pid), host shape {host}"),
        );
        // The holder dies with the thread that spawns it (PR_SET_PDEATHSIG),
        // and the namespace's PID 1 with the holder (--kill-child), so a
        // SIGKILLed tool leaves nothing: see the die-with-parent crate. Start
        // and drop a cluster on one thread.
        let holder = namespace_holder(&["-m", "-n", "-u"], &init)
            .stdin(Stdio::null())
            .spawn()
            .context("running unshare")?;
        let mut c = Cluster {
            dir,
            flavor,
            host,
            holder,
            init_pid: 0,
            started,
        };
        c.init_pid = c.wait_for_init()?;
        progress(started, "starting glusterd");
        c.sh(&format!(
            "glusterd -p {}/run/glusterd.pid --log-level INFO",
            c.flavor.var().display()
        ))?;
        c.poll("glusterd answers", Duration::from_secs(30), |c| {
            Ok(c.exec(&["gluster", "--mode=script", "pool", "list"])?
                .status
                .success())
        })?;
        progress(started, "glusterd is up");
        Ok(c)
    }

    fn wait_for_init(&mut self) -> Result<u32> {
        let ready = self.dir.path().join("ready");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(st) = self.holder.try_wait()? {
                bail!("unshare exited early ({st})");
            }
            let children =
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.holder.id()))
                    .unwrap_or_default();
            if let (Some(pid), true) = (
                children
                    .split_whitespace()
                    .next()
                    .and_then(|p| p.parse().ok()),
                ready.exists(),
            ) {
                return Ok(pid);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("the namespace did not come up")
    }

    /// Runs `argv` inside the cluster's namespaces.
    pub fn exec(&self, argv: &[&str]) -> Result<Output> {
        self.command(argv).output().context("running nsenter")
    }

    /// A command inside the cluster's namespaces, to adjust before running.
    pub fn command(&self, argv: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "-t",
            &self.init_pid.to_string(),
            "-m",
            "-n",
            "-u",
            "-p",
            // Entering a mount namespace resets the root to the namespace's
            // own: made inside a chroot, that is the host's /, where none of
            // the cluster's private mounts are. The target's root keeps us
            // in the chroot (and is / everywhere else).
            "--root",
            "--",
        ])
        .args(argv)
        .env("PATH", self.flavor.path_env());
        cmd
    }

    /// Runs a shell script inside; fails with its output if it fails.
    pub fn sh(&self, script: &str) -> Result<String> {
        let out = self.exec(&["bash", "-c", script])?;
        if !out.status.success() {
            bail!(
                "`{script}` failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Polls `check` until it holds or `limit` passes.
    pub fn poll(
        &self,
        what: &str,
        limit: Duration,
        mut check: impl FnMut(&Self) -> Result<bool>,
    ) -> Result<()> {
        let t = Instant::now();
        while t.elapsed() < limit {
            if check(self)? {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("timed out after {:?} waiting until {what}", limit)
    }

    pub fn brick_dir(&self, volume: &str, i: usize) -> PathBuf {
        self.dir.path().join("bricks").join(format!("{volume}-{i}"))
    }

    /// Creates and starts a volume; `layout` is e.g. `disperse-data 2 redundancy 1`.
    pub fn create_volume(&self, volume: &str, layout: &str, bricks: usize) -> Result<Vec<PathBuf>> {
        let dirs: Vec<PathBuf> = (0..bricks).map(|i| self.brick_dir(volume, i)).collect();
        let list: Vec<String> = dirs
            .iter()
            .map(|d| format!("{HOST}:{}", d.display()))
            .collect();
        progress(
            self.started,
            &format!("creating {volume}: {layout}, {bricks} bricks"),
        );
        self.sh(&format!(
            "gluster --mode=script volume create {volume} {layout} {} force",
            list.join(" ")
        ))?;
        self.sh(&format!("gluster --mode=script volume start {volume}"))?;
        self.wait_bricks_online(volume, bricks)?;
        progress(
            self.started,
            &format!("{volume} started, {bricks} bricks online"),
        );
        Ok(dirs)
    }

    /// Brick PIDs from `gluster volume status`, in brick order (0 if offline).
    pub fn brick_pids(&self, volume: &str) -> Result<Vec<u32>> {
        let out = self.sh(&format!("gluster volume status {volume} --xml"))?;
        let mut pids = Vec::new();
        for node in out.split("<node>").skip(1) {
            let field = |name: &str| {
                node.split(&format!("<{name}>"))
                    .nth(1)
                    .and_then(|s| s.split('<').next())
                    .unwrap_or("")
            };
            if field("path").starts_with('/') {
                let online = field("status") == "1";
                pids.push(if online {
                    field("pid").parse().unwrap_or(0)
                } else {
                    0
                });
            }
        }
        Ok(pids)
    }

    pub fn wait_bricks_online(&self, volume: &str, n: usize) -> Result<()> {
        self.poll(&format!("{n} bricks of {volume} are online"), Duration::from_secs(60), |c| {
            let p = c.brick_pids(volume)?;
            Ok(p.len() >= n && p.iter().take(n).all(|&x| x > 0))
        })
        .map_err(|e| {
            let status = self.sh(&format!("gluster volume status {volume}")).unwrap_or_else(|e| e.to_string());
            let logs = self.sh("tail -n 8 /var/log/glusterfs/glusterd.log; tail -n 8 /var/log/glusterfs/bricks/*-0.log").unwrap_or_default();
            e.context(format!("{status}\n{logs}"))
        })
    }

    /// Kills brick `i` of `volume` (by its PID, inside the namespace).
    pub fn kill_brick(&self, volume: &str, i: usize) -> Result<()> {
        let pid = self.brick_pids(volume)?[i];
        self.sh(&format!("kill -9 {pid}"))?;
        self.poll("the brick is offline", Duration::from_secs(30), |c| {
            Ok(c.brick_pids(volume)?[i] == 0)
        })
    }

    /// The host PID of glusterd, for SIGSTOP/SIGCONT.
    pub fn glusterd_pid(&self) -> Result<u32> {
        let inner: u32 = self
            .sh(&format!(
                "cat {}/run/glusterd.pid",
                self.flavor.var().display()
            ))?
            .trim()
            .parse()?;
        // /proc/<host pid>/status has NSpid: host-pid ns-pid. Only this
        // cluster's PID namespace counts: the same ns-pid is glusterd's in
        // every other cluster running beside it.
        let ours = std::fs::read_link(format!("/proc/{}/ns/pid", self.init_pid))?;
        for e in std::fs::read_dir("/proc")?.flatten() {
            if std::fs::read_link(e.path().join("ns/pid")).ok().as_ref() != Some(&ours) {
                continue;
            }
            let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
            if let Some(line) = status.lines().find(|l| l.starts_with("NSpid:")) {
                let ids: Vec<u32> = line
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                if ids.len() == 2 && ids[1] == inner && status.contains("glusterd") {
                    return Ok(ids[0]);
                }
            }
        }
        bail!("glusterd (pid {inner} in the namespace) not found from the host")
    }

    /// Replaces the cluster's /etc/resolv.conf contents (in place: it is bind-mounted).
    pub fn set_resolv_conf(&self, text: &str) -> Result<()> {
        Ok(std::fs::write(self.dir.path().join("resolv.conf"), text)?)
    }

    pub fn set_hosts(&self, text: &str) -> Result<()> {
        Ok(std::fs::write(self.dir.path().join("hosts"), text)?)
    }

    /// The address the cluster's host name resolves to.
    pub fn host_addr(&self) -> &'static str {
        Self::brick_addr(&self.flavor, self.host)
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

/// The system GlusterFS's libexec dirs, where disperse's dynamic code
/// (ec-code.c, `ec_code_space_create`) makes and unlinks a temp file for
/// each subvolume it sets up: seen by the suite's host check, every
/// cluster of Debian's 10.3 changed /usr/lib/x86_64-linux-gnu/glusterfs.
/// Inside the cluster each is an overlay whose writes land in its own dir;
/// where the kernel has no overlayfs, a read-only bind (disperse then
/// falls back to its C code).
pub const SYSTEM_LIBEXEC: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/glusterfs",
    "/usr/libexec/glusterfs",
    "/usr/lib64/glusterfs",
];

/// The mount lines that make [`SYSTEM_LIBEXEC`] private, their writes
/// landing under `dir`: for every namespace that runs the system's glusterd
/// (a cluster here, the doctor tests' lone glusterd), which at start runs
/// geo-replication's `gsyncd.py --version`, whose Python writes
/// `gfevents/__pycache__` where it may.
pub fn system_libexec_private(dir: &Path) -> String {
    let mut s = String::new();
    for (i, lib) in SYSTEM_LIBEXEC.iter().enumerate() {
        if !Path::new(lib).is_dir() {
            continue;
        }
        let (up, work) = (
            dir.join(format!("libexec-{i}/up")),
            dir.join(format!("libexec-{i}/work")),
        );
        s.push_str(&format!(
            "mkdir -p {up} {work}
             mount -t overlay overlay -o lowerdir={lib},upperdir={up},workdir={work} {lib} 2>/dev/null              || {{ mount --bind {lib} {lib} && mount -o remount,bind,ro {lib}; }}
",
            up = up.display(),
            work = work.display(),
        ));
    }
    s
}

/// What a cluster in `root` mounts before it chroots: the root bound onto
/// itself (so `unshare -m` inside can set its propagation), its own /proc,
/// a read-only /sys, a private /dev with the usual nodes, the cluster's
/// dir and the kit's tools (read-only) at their own paths, and files to
/// bind /etc/hosts and /etc/resolv.conf over. The root is the kit's own
/// throwaway copy, so the two files may be made there.
fn root_mounts(root: &Path, dir: &Path) -> Result<String> {
    let tools = crate::tools::target_dir();
    for f in ["etc/hosts", "etc/resolv.conf"] {
        let p = root.join(f);
        // debootstrap may leave resolv.conf a symlink into the host's /run.
        if p.is_symlink() || !p.exists() {
            let _ = std::fs::remove_file(&p);
            std::fs::write(&p, "")
                .with_context(|| format!("making {} to bind over", p.display()))?;
        }
    }
    Ok(format!(
        "R={r}\n\
         mount --bind \"$R\" \"$R\"\n\
         mount -t proc proc \"$R/proc\"\n\
         mount -t sysfs -o ro sysfs \"$R/sys\"\n\
         mount -t tmpfs -o mode=755,size=16m tmpfs \"$R/dev\"\n\
         for n in null zero full random urandom tty; do touch \"$R/dev/$n\"; mount --bind /dev/$n \"$R/dev/$n\"; done\n\
         mkdir \"$R/dev/shm\" && mount -t tmpfs tmpfs \"$R/dev/shm\"\n\
         ln -s /proc/self/fd \"$R/dev/fd\"\n\
         mkdir -p \"$R\"{d} \"$R\"{t}\n\
         mount --bind {d} \"$R\"{d}\n\
         mount --bind -o ro {t} \"$R\"{t}\n",
        r = root.display(),
        d = dir.display(),
        t = tools.display(),
    ))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let t = Instant::now();
        // The namespace's first process: its death ends every process in it.
        if self.init_pid > 0 {
            unsafe { libc::kill(self.init_pid as i32, libc::SIGKILL) };
        }
        let _ = self.holder.kill();
        let _ = self.holder.wait();
        eprintln!("[cluster] torn down in {:.2}s", t.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(dir: &Path, run_at: Option<&Path>) {
        let path = crate::stamp::path(dir);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let report = serde_json::json!({
            "rev": "release-3.12", "commit": "0".repeat(40), "prefix": dir,
            "run_at": run_at, "version": "3.12.15", "events": true,
            "glfsheal": dir.join("sbin/glfsheal"), "compat": [], "reused": false,
            "seconds": crate::stamp::Seconds::default(),
        });
        std::fs::write(path, report.to_string()).unwrap();
    }

    #[test]
    fn a_build_made_for_another_prefix_runs_there_with_its_install_bound_over_it() {
        let d = tempfile::tempdir().unwrap();
        let (base, branch) = (d.path().join("base"), d.path().join("branch"));
        std::fs::create_dir_all(&base).unwrap();
        stamp(&branch, Some(&base));
        let f = Flavor::installed(&branch).unwrap();
        assert_eq!(
            (f.prefix.as_deref(), f.bound.as_deref()),
            (Some(base.as_path()), Some(branch.as_path()))
        );
        assert_eq!(f.socket(), base.join("var/run/glusterd.socket"));
        assert!(f
            .path_env()
            .starts_with(&format!("{}/sbin:", base.display())));

        // Its own stamp without run_at, or none: it runs where it is.
        stamp(&base, None);
        let f = Flavor::installed(&base).unwrap();
        assert_eq!((f.prefix.as_deref(), f.bound), (Some(base.as_path()), None));
        let bare = d.path().join("users-own");
        assert_eq!(Flavor::installed(&bare).unwrap().prefix, Some(bare));
    }

    #[test]
    fn a_stamp_that_cannot_be_read_is_refused_not_taken_for_none() {
        let d = tempfile::tempdir().unwrap();
        let branch = d.path().join("branch");
        stamp(&branch, Some(d.path()));
        let path = crate::stamp::path(&branch);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let err = Flavor::installed(&branch).unwrap_err().to_string();
        assert!(err.contains("cannot be read as a build stamp"), "{err}");
        assert!(err.contains("--force"), "{err}");
    }

    #[test]
    fn a_build_whose_run_prefix_is_gone_is_refused_saying_what_to_do() {
        let d = tempfile::tempdir().unwrap();
        let branch = d.path().join("branch");
        stamp(&branch, Some(&d.path().join("gone")));
        let err = Flavor::installed(&branch).unwrap_err().to_string();
        assert!(err.contains("runs only bound there"), "{err}");
        assert!(err.contains("gone: build the base there again"), "{err}");
    }
}
