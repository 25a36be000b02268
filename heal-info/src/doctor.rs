//! `heal-info doctor`: a host check to run before and after the rollout.
//! Is this host exposed to the events.c stall, how long can it stall, and
//! is a remedy in place (a fixed build, the shim, or the /etc/hosts line)?
//! The builds that run (`running`) decide over the packaged glusterfs, which
//! counts only when no gluster process runs; how the shim is installed and
//! whether its files are safe comes from `shim_install`. Three steps:
//! `gather` reads the host into `Facts`, `decide` (pure) draws the
//! `Decision`, and the `Report` of both renders as text or `--json`.

use crate::version::Version;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PathProbe {
    /// Whether a socket-path "host name" reached the DNS server.
    pub sends_paths_to_dns: bool,
    pub queries: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub glibc: String,
    /// Measured in private namespaces against a DNS server that never answers.
    pub path_probe: Option<PathProbe>,
    pub path_probe_note: Option<String>,
    pub nsswitch_hosts: Option<String>,
    pub nameservers: Vec<String>,
    pub resolver_timeout: f64,
    pub resolver_attempts: f64,
    /// Worst case one subvolume can stall: timeout x attempts x servers x (A + AAAA).
    pub worst_stall_per_subvolume_seconds: f64,
    pub hosts_workaround: bool,
    pub ld_so_preload_has_shim: bool,
    /// How the shim is installed: ld.so.preload, drop-in, both, or none.
    pub shim_method: String,
    pub shim_dropins: Vec<String>,
    pub shim_config: Option<String>,
    /// Shim files (library, preload list, drop-ins, config) others than root can change.
    pub shim_files_writable: Vec<String>,
    /// Running gluster processes: their build, whether it has the fix, and
    /// whether libgfresolv.so is mapped.
    pub processes: Vec<crate::running::Process>,
    /// Whether every running gluster process has the fix (None: none runs, or unknown).
    pub running_has_fix: Option<bool>,
    /// The installed glusterfs (judged only when no gluster process runs).
    pub glusterfs_version: Option<String>,
    /// Whether that release line has the upstream fix (>= 6.8 on 6.x, >= 7.3 on 7.x, 8.0 on).
    pub glusterfs_has_fix: Option<bool>,
    /// Whether events reach glustereventsd on this host (issue 16).
    pub events_delivery: EventsDelivery,
    pub verdict: String,
    pub at_risk: bool,
    pub remedy: Option<String>,
}

/// Events on a host with IPv6: a build that makes its AF_INET socket before
/// getaddrinfo resolves the local host sends to ::1 over it, and loses them.
#[derive(Debug, Clone, Serialize)]
pub struct EventsDelivery {
    /// This host's IPv6 addresses other than ::1 and link-local fe80::/10
    /// (`/proc/net/if_inet6` of the doctor's network namespace).
    pub ipv6_addresses: Vec<String>,
    /// Whether the builds (as for the stall: the running ones, else the
    /// installed one) lose events on such a host; None: unknown.
    pub builds_lose_events: Option<bool>,
    /// Both: events are lost here.
    pub at_risk: bool,
}

/// The addresses in `/proc/net/if_inet6` text that make getaddrinfo
/// answer ::1 first: any but ::1 and link-local (fe80::/10).
pub fn routable_ipv6(if_inet6: &str) -> Vec<String> {
    let mut out: Vec<String> = if_inet6
        .lines()
        .filter_map(|l| {
            let hex = l.split_whitespace().next()?;
            let bits = u128::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.len() == 32)?;
            let a = std::net::Ipv6Addr::from(bits);
            let link_local = a.segments()[0] & 0xffc0 == 0xfe80;
            (!a.is_loopback() && !link_local && !a.is_unspecified()).then(|| a.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

const DELIVERY_REMEDY: &str = "port the delivery stage (cargo xtask backport BRANCH ports it with the series) and run the rebuilt build; or, instead of the stall series, run the unpatched build with the shim in loopback mode (mode = loopback in /etc/gfresolv.conf, or GFRESOLV_MODE=loopback), which answers the socket path with 127.0.0.1 first; or glusterfs >= 8.2, which has upstream's 0d79397fb1 (release-8 93d48622d9, \"Events: Socket creation after getaddrinfo\")";

pub fn glibc_version() -> String {
    extern "C" {
        fn gnu_get_libc_version() -> *const std::os::raw::c_char;
    }
    unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) }
        .to_string_lossy()
        .into_owned()
}

/// Runs the path probe in private mount and network namespaces (root only):
/// `heal-info __path-probe`, which sets up its own never-answering DNS server.
fn path_probe(exe: &Path, keep_preload: bool) -> Result<PathProbe, String> {
    let mut cmd = duct::cmd!("unshare", "-m", "-n", exe, "__path-probe").before_spawn(|cmd| {
        die_with_parent::die_with_parent(cmd);
        Ok(())
    });
    // Measure glibc itself, not a shim this process may have been given.
    if !keep_preload {
        cmd = cmd.env_remove("LD_PRELOAD");
    }
    let out = cmd
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "not measured: {} (needs root for private namespaces)",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("the probe printed no result: {e}"))
}

/// Inside the namespaces: loopback up, a resolv.conf naming our own socket
/// on 127.0.0.1:53, then the lookup 3.12's events.c makes, timed.
pub fn path_probe_inside() -> anyhow::Result<PathProbe> {
    use anyhow::Context;
    duct::cmd!("ip", "link", "set", "lo", "up")
        .run()
        .context("ip link set lo up")?;
    // Random and exclusive, not the PID, which repeats across PID namespaces.
    let dir = tempfile::Builder::new()
        .prefix("heal-info-doctor-")
        .tempdir()
        .context("creating a temp dir for the probe's resolv.conf")?;
    std::fs::write(
        dir.path().join("resolv.conf"),
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )?;
    duct::cmd!(
        "mount",
        "--bind",
        dir.path().join("resolv.conf"),
        "/etc/resolv.conf"
    )
    .run()
    .context("bind-mounting resolv.conf")?;
    let sock = std::net::UdpSocket::bind("127.0.0.1:53").context("binding 127.0.0.1:53")?;
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let counter = std::thread::spawn(move || {
        let (mut n, mut buf) = (0u64, [0u8; 1500]);
        // Count until the lookup returns, and a little after for late packets.
        let mut after: Option<Instant> = None;
        while after.is_none_or(|a| a.elapsed() < Duration::from_millis(200)) {
            if sock.recv_from(&mut buf).is_ok() {
                n += 1;
            }
            if after.is_none() && stop.load(std::sync::atomic::Ordering::Acquire) {
                after = Some(Instant::now());
            }
        }
        n
    });
    let t = Instant::now();
    // std's resolver is libc's getaddrinfo, the call 3.12's events.c makes.
    let _ = std::net::ToSocketAddrs::to_socket_addrs(&("/var/run/glusterd.socket", 0));
    let seconds = t.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Release);
    let queries = counter.join().unwrap_or(0);
    drop(dir);
    Ok(PathProbe {
        sends_paths_to_dns: queries > 0,
        queries,
        seconds,
    })
}

pub struct Inputs {
    pub etc: PathBuf,
    pub glusterfs: Option<PathBuf>,
    pub measure: bool,
    /// Keep LD_PRELOAD for the probe (tests stack the legacy resolver layer).
    pub probe_keeps_preload: bool,
    /// Where running processes are listed (/proc).
    pub proc: PathBuf,
}

/// What the doctor reads from the host, before anything is decided: the
/// resolver files under `--etc`, the installed glusterfs, the path probe,
/// the running gluster processes, the shim's install and the IPv6
/// addresses. Everything the verdict depends on is here, so `decide` can
/// be tested on crafted facts without a host.
#[derive(Debug, Clone)]
pub struct Facts {
    pub glibc: String,
    pub path_probe: Option<PathProbe>,
    pub path_probe_note: Option<String>,
    pub nsswitch_hosts: Option<String>,
    pub resolv_conf: crate::resolver::ResolvConf,
    pub hosts_workaround: bool,
    pub ld_so_preload_has_shim: bool,
    pub shim: crate::shim_install::ShimInstall,
    pub processes: Vec<crate::running::Process>,
    /// The installed glusterfs's version word (`--glusterfs`, else the
    /// system's).
    pub glusterfs_version: Option<String>,
    /// `routable_ipv6` of the doctor's `/proc/net/if_inet6`.
    pub ipv6_addresses: Vec<String>,
}

/// What the doctor concludes from `Facts`.
#[derive(Debug, Clone)]
pub struct Decision {
    pub running_has_fix: Option<bool>,
    pub glusterfs_has_fix: Option<bool>,
    pub events_delivery: EventsDelivery,
    pub verdict: String,
    pub at_risk: bool,
    pub remedy: Option<String>,
}

/// The host check: `gather`, `decide`, and the report both render from.
pub fn run(inputs: &Inputs) -> Report {
    let facts = gather(inputs);
    let decision = decide(&facts);
    Report::new(facts, decision)
}

/// Reads the host (or the files and /proc that `inputs` name instead).
pub fn gather(inputs: &Inputs) -> Facts {
    let read = |name: &str| std::fs::read_to_string(inputs.etc.join(name)).unwrap_or_default();
    let nsswitch_hosts = read("nsswitch.conf")
        .lines()
        .find(|l| l.trim_start().starts_with("hosts:"))
        .map(|l| l.trim().to_string());
    let hosts_workaround = read("hosts").lines().any(|l| {
        !l.trim_start().starts_with('#') && l.split_whitespace().skip(1).any(|n| n.contains('/'))
    });
    let glusterfs = inputs
        .glusterfs
        .clone()
        .or_else(crate::find::system_glusterfs);
    let (path_probe, path_probe_note) = if inputs.measure {
        match std::env::current_exe()
            .map_err(|e| e.to_string())
            .and_then(|exe| path_probe(&exe, inputs.probe_keeps_preload))
        {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, Some("not measured (--no-measure)".into()))
    };
    Facts {
        glibc: glibc_version(),
        path_probe,
        path_probe_note,
        nsswitch_hosts,
        resolv_conf: crate::resolver::parse(&read("resolv.conf")),
        hosts_workaround,
        ld_so_preload_has_shim: read("ld.so.preload").contains("libgfresolv"),
        shim: crate::shim_install::inspect(&inputs.etc),
        processes: crate::running::scan(&inputs.proc),
        glusterfs_version: glusterfs.as_deref().and_then(crate::find::version_word),
        ipv6_addresses: routable_ipv6(
            &std::fs::read_to_string(inputs.proc.join("net/if_inet6")).unwrap_or_default(),
        ),
    }
}

/// The verdict, and the remedy if any, from the facts alone: the stall's
/// verdict, then the events' on top of it.
pub fn decide(f: &Facts) -> Decision {
    let glusterfs_has_fix = f
        .glusterfs_version
        .as_deref()
        .and_then(Version::parse)
        .map(Version::has_stall_fix);
    let running_has_fix = running_has_fix(&f.processes);
    // What runs decides; the packaged glusterfs only when nothing runs.
    let has_fix = if f.processes.is_empty() {
        glusterfs_has_fix
    } else {
        running_has_fix
    };
    let builds_lose_events = builds_lose_events(f);
    let events_delivery = EventsDelivery {
        at_risk: !f.ipv6_addresses.is_empty() && builds_lose_events == Some(true),
        ipv6_addresses: f.ipv6_addresses.clone(),
        builds_lose_events,
    };
    let verdict = with_events(stall_verdict(f, has_fix), f, &events_delivery);
    Decision {
        running_has_fix,
        glusterfs_has_fix,
        events_delivery,
        verdict: verdict.text,
        at_risk: verdict.at_risk,
        remedy: verdict.remedy,
    }
}

/// A verdict's three parts, as the report carries them.
struct Verdict {
    text: String,
    at_risk: bool,
    remedy: Option<String>,
}

impl Verdict {
    fn ok(text: impl Into<String>) -> Verdict {
        Verdict {
            text: text.into(),
            at_risk: false,
            remedy: None,
        }
    }
}

/// Whether every running gluster process has the fix: no when one lacks
/// it, yes when all have it, unknown otherwise (or when none runs).
fn running_has_fix(processes: &[crate::running::Process]) -> Option<bool> {
    if processes.is_empty() {
        None
    } else if processes.iter().any(|p| p.has_fix == Some(false)) {
        Some(false)
    } else if processes.iter().all(|p| p.has_fix == Some(true)) {
        Some(true)
    } else {
        None
    }
}

/// Whether the builds (the running ones, else the installed one) lose
/// events on a host with IPv6.
fn builds_lose_events(f: &Facts) -> Option<bool> {
    let processes = &f.processes;
    if processes.is_empty() {
        // Only the version speaks for an installed build: 8.2 has the fix;
        // before it, 3.x as released loses nothing and the stall series'
        // code does, which a version cannot tell apart.
        f.glusterfs_version
            .as_deref()
            .and_then(Version::parse)
            .filter(|v| v.has_delivery_fix())
            .map(|_| false)
    } else if processes
        .iter()
        .any(|p| p.loses_events_on_ipv6 == Some(true))
    {
        Some(true)
    } else if processes
        .iter()
        .all(|p| p.loses_events_on_ipv6 == Some(false))
    {
        Some(false)
    } else {
        None
    }
}

/// The builds a verdict is about, in its words: the installed glusterfs
/// when nothing runs, else the running processes without the fix.
fn builds_named(f: &Facts) -> String {
    let unfixed: Vec<String> = f
        .processes
        .iter()
        .filter(|p| p.has_fix == Some(false))
        .map(described)
        .collect();
    if f.processes.is_empty() {
        f.glusterfs_version
            .as_deref()
            .map_or("glusterfs (version unknown)".to_string(), |v| {
                format!("glusterfs {v}")
            })
    } else if unfixed.is_empty() {
        "the running gluster processes (fix unknown)".to_string()
    } else {
        let mut named = unfixed;
        named.dedup();
        format!("running {}", named.join(", "))
    }
}

/// The events.c stall: unsafe shim files first (they are a risk whatever
/// else holds), then each remedy in turn, else at risk for the worst stall.
fn stall_verdict(f: &Facts, has_fix: Option<bool>) -> Verdict {
    let shim_active = f.ld_so_preload_has_shim || f.processes.iter().any(|p| p.shim_mapped);
    let sends = f.path_probe.as_ref().map(|p| p.sends_paths_to_dns);
    match (has_fix, sends) {
        _ if f.shim.code_writable => Verdict {
            text: format!(
                "AT RISK: shim files others than root can change: {}; any local user could run code in the processes that load it",
                f.shim.writable.join("; ")
            ),
            at_risk: true,
            remedy: Some("make the library, /etc/ld.so.preload and the drop-ins root-owned and not group- or world-writable (chown root:root, chmod 755/644)".into()),
        },
        (Some(true), _) if f.processes.is_empty() => {
            Verdict::ok(format!("ok: {} has the upstream fix", builds_named(f)))
        }
        (Some(true), _) => Verdict::ok("ok: every running gluster build has the upstream fix"),
        (_, Some(false)) => Verdict::ok("ok: this glibc does not send socket paths to DNS"),
        _ if shim_active => Verdict::ok("ok: the resolver shim is in place"),
        _ if f.hosts_workaround => Verdict::ok("ok: the /etc/hosts workaround is in place"),
        _ => Verdict {
            text: format!(
                "AT RISK: {} without the events.c fix; a socket-path lookup can stall up to {:.0} s per disperse subvolume{}",
                builds_named(f),
                f.resolv_conf.worst_case(),
                if sends == Some(true) { " (measured: this glibc sends the path to DNS)" } else { "" }
            ),
            at_risk: true,
            remedy: Some("port the fix (cargo xtask backport BRANCH) and run the rebuilt build, or install the shim: a systemd drop-in or LD_PRELOAD with /usr/lib64/libgfresolv.so (/etc/ld.so.preload with /etc/gfresolv.conf for every glfsheal)".into()),
        },
    }
}

/// The stall's verdict with lost events added: alone when the stall is
/// no risk, after it (remedies joined) when it is.
fn with_events(stall: Verdict, f: &Facts, events: &EventsDelivery) -> Verdict {
    if !events.at_risk {
        return stall;
    }
    let losing: Vec<String> = f
        .processes
        .iter()
        .filter(|p| p.loses_events_on_ipv6 == Some(true))
        .map(described)
        .collect();
    let lost = format!(
        "AT RISK: events lost: {} makes its AF_INET events socket before getaddrinfo, which answers ::1 first on this host (IPv6 {}); every event sent there fails",
        losing.join(", "),
        events.ipv6_addresses.join(", ")
    );
    if stall.at_risk {
        Verdict {
            text: format!("{}; {lost}", stall.text),
            at_risk: true,
            remedy: Some(format!(
                "{}; and for the events: {DELIVERY_REMEDY}",
                stall.remedy.unwrap_or_default()
            )),
        }
    } else {
        Verdict {
            text: lost,
            at_risk: true,
            remedy: Some(DELIVERY_REMEDY.to_string()),
        }
    }
}

impl Report {
    /// The facts and the decision as one document, `--json`'s shape.
    pub fn new(f: Facts, d: Decision) -> Report {
        Report {
            glibc: f.glibc,
            path_probe: f.path_probe,
            path_probe_note: f.path_probe_note,
            nsswitch_hosts: f.nsswitch_hosts,
            worst_stall_per_subvolume_seconds: f.resolv_conf.worst_case(),
            nameservers: f.resolv_conf.nameservers,
            resolver_timeout: f.resolv_conf.timeout,
            resolver_attempts: f.resolv_conf.attempts,
            hosts_workaround: f.hosts_workaround,
            ld_so_preload_has_shim: f.ld_so_preload_has_shim,
            shim_method: f.shim.method,
            shim_dropins: f.shim.dropins,
            shim_config: f.shim.config,
            shim_files_writable: f.shim.writable,
            processes: f.processes,
            running_has_fix: d.running_has_fix,
            glusterfs_version: f.glusterfs_version,
            glusterfs_has_fix: d.glusterfs_has_fix,
            events_delivery: d.events_delivery,
            verdict: d.verdict,
            at_risk: d.at_risk,
            remedy: d.remedy,
        }
    }

    /// `--json`: the report as one pretty-printed document.
    pub fn json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// The text report: one line per fact, then the verdict and remedy.
    pub fn text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("glibc                 {}\n", self.glibc));
        match &self.path_probe {
            Some(p) => s.push_str(&format!(
                "socket path to DNS    {} ({} queries, {:.3} s against a never-answering server)\n",
                if p.sends_paths_to_dns { "yes" } else { "no" },
                p.queries,
                p.seconds
            )),
            None => s.push_str(&format!(
                "socket path to DNS    {}\n",
                self.path_probe_note.as_deref().unwrap_or("unknown")
            )),
        }
        s.push_str(&format!(
            "nsswitch              {}\n",
            self.nsswitch_hosts.as_deref().unwrap_or("(no hosts line)")
        ));
        s.push_str(&format!(
            "resolv.conf           {} (timeout {} s, attempts {}): worst stall {:.0} s per subvolume\n",
            if self.nameservers.is_empty() { "no nameserver".into() } else { self.nameservers.join(", ") },
            self.resolver_timeout,
            self.resolver_attempts,
            self.worst_stall_per_subvolume_seconds
        ));
        s.push_str(&format!(
            "/etc/hosts workaround {}\n",
            if self.hosts_workaround {
                "present"
            } else {
                "absent"
            }
        ));
        s.push_str(&format!(
            "ld.so.preload shim    {}\n",
            if self.ld_so_preload_has_shim {
                "yes"
            } else {
                "no"
            }
        ));
        s.push_str(&format!(
            "shim method           {}{}\n",
            self.shim_method,
            self.shim_config
                .as_deref()
                .map_or(String::new(), |c| format!(" (config {c})"))
        ));
        for w in &self.shim_files_writable {
            s.push_str(&format!("shim file WARNING     {w}\n"));
        }
        for p in &self.processes {
            s.push_str(&format!(
                "process {:<13} pid {:<7} {} {}: {}; shim {}\n",
                p.name,
                p.pid,
                p.exe,
                match p.has_fix {
                    Some(true) => "has the fix",
                    Some(false) => "NO FIX",
                    None => "fix unknown",
                },
                p.evidence,
                if p.shim_mapped {
                    "mapped"
                } else {
                    "not mapped"
                }
            ));
        }
        s.push_str(&format!(
            "installed glusterfs   {} ({})\n",
            self.glusterfs_version.as_deref().unwrap_or("not found"),
            match self.glusterfs_has_fix {
                Some(true) => "has the fix",
                Some(false) => "no fix on this release line",
                None => "unknown",
            }
        ));
        let d = &self.events_delivery;
        s.push_str(&format!(
            "events on IPv6        {}: {}\n",
            if d.ipv6_addresses.is_empty() {
                "no IPv6 address but ::1 and link-local".to_string()
            } else {
                format!("IPv6 {}", d.ipv6_addresses.join(", "))
            },
            match (d.at_risk, d.builds_lose_events) {
                (true, _) => "EVENTS LOST (socket made before getaddrinfo)",
                (false, Some(true)) => "the build would lose them on a host with IPv6",
                (false, Some(false)) => "delivered",
                (false, None) => "build unknown",
            }
        ));
        for p in &self.processes {
            s.push_str(&format!(
                "process {:<13} pid {:<7} events: {}\n",
                p.name, p.pid, p.delivery_evidence
            ));
        }
        s.push_str(&format!("verdict: {}\n", self.verdict));
        if let Some(r) = &self.remedy {
            s.push_str(&format!("remedy: {r}\n"));
        }
        s
    }
}

/// A process as the verdicts name it: `glusterd (pid 1, /usr/sbin/glusterfsd 3.12.15)`.
fn described(p: &crate::running::Process) -> String {
    format!(
        "{} (pid {}, {} {})",
        p.name,
        p.pid,
        p.exe,
        p.version.as_deref().unwrap_or("version unknown")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::running::Process;
    use crate::shim_install::ShimInstall;

    /// A 3.12 host on a glibc that sends paths to DNS, two nameservers,
    /// nothing running and no remedy: the at-risk baseline each test
    /// changes one fact of.
    fn facts() -> Facts {
        Facts {
            glibc: "2.17".into(),
            path_probe: Some(PathProbe {
                sends_paths_to_dns: true,
                queries: 4,
                seconds: 4.0,
            }),
            path_probe_note: None,
            nsswitch_hosts: Some("hosts: files dns".into()),
            resolv_conf: crate::resolver::parse(
                "nameserver 10.0.0.53\nnameserver 10.0.1.53\noptions timeout:3 attempts:2\n",
            ),
            hosts_workaround: false,
            ld_so_preload_has_shim: false,
            shim: ShimInstall {
                method: "none".into(),
                dropins: vec![],
                config: None,
                writable: vec![],
                code_writable: false,
            },
            processes: vec![],
            glusterfs_version: Some("3.12.15".into()),
            ipv6_addresses: vec![],
        }
    }

    fn process(has_fix: Option<bool>, loses_events: Option<bool>) -> Process {
        Process {
            pid: 7,
            name: "glusterd".into(),
            exe: "/usr/sbin/glusterfsd".into(),
            exe_deleted: false,
            libglusterfs: None,
            version: Some("3.12.15".into()),
            has_fix,
            evidence: "test".into(),
            loses_events_on_ipv6: loses_events,
            delivery_evidence: "test".into(),
            shim_mapped: false,
        }
    }

    #[test]
    fn an_unfixed_build_with_no_remedy_is_at_risk_for_the_worst_stall() {
        let d = decide(&facts());
        assert!(d.at_risk);
        assert_eq!(d.glusterfs_has_fix, Some(false));
        assert_eq!(d.running_has_fix, None);
        assert!(d.verdict.starts_with("AT RISK: glusterfs 3.12.15 without the events.c fix; a socket-path lookup can stall up to 24 s"), "{}", d.verdict);
        assert!(d
            .verdict
            .ends_with("(measured: this glibc sends the path to DNS)"));
        assert!(d.remedy.unwrap().contains("libgfresolv.so"));
        let unmeasured = decide(&Facts {
            path_probe: None,
            ..facts()
        });
        assert!(unmeasured.at_risk && !unmeasured.verdict.contains("measured"));
    }

    #[test]
    fn shim_files_others_can_change_are_at_risk_whatever_else_holds() {
        let f = Facts {
            shim: ShimInstall {
                writable: vec!["/etc/ld.so.preload is group-writable".into()],
                code_writable: true,
                ..facts().shim
            },
            glusterfs_version: Some("10.3".into()),
            ..facts()
        };
        let d = decide(&f);
        assert!(d.at_risk);
        assert!(d.verdict.contains(
            "shim files others than root can change: /etc/ld.so.preload is group-writable"
        ));
        assert!(d.remedy.unwrap().contains("chown root:root"));
    }

    #[test]
    fn an_installed_build_with_the_fix_is_ok_when_nothing_runs() {
        let d = decide(&Facts {
            glusterfs_version: Some("10.3".into()),
            ..facts()
        });
        assert_eq!(
            (d.at_risk, d.verdict.as_str(), d.remedy),
            (false, "ok: glusterfs 10.3 has the upstream fix", None)
        );
        assert_eq!(d.glusterfs_has_fix, Some(true));
        assert_eq!(d.events_delivery.builds_lose_events, Some(false));
    }

    #[test]
    fn running_builds_decide_over_the_installed_one() {
        let fixed = decide(&Facts {
            processes: vec![process(Some(true), Some(false))],
            ..facts()
        });
        assert_eq!(fixed.running_has_fix, Some(true));
        assert_eq!(
            (fixed.at_risk, fixed.verdict.as_str()),
            (
                false,
                "ok: every running gluster build has the upstream fix"
            )
        );
        let unfixed = decide(&Facts {
            processes: vec![process(Some(true), None), process(Some(false), None)],
            glusterfs_version: Some("10.3".into()),
            ..facts()
        });
        assert_eq!(unfixed.running_has_fix, Some(false));
        assert!(unfixed.at_risk);
        assert!(
            unfixed.verdict.starts_with(
                "AT RISK: running glusterd (pid 7, /usr/sbin/glusterfsd 3.12.15) without"
            ),
            "{}",
            unfixed.verdict
        );
        let unknown = decide(&Facts {
            processes: vec![process(None, None)],
            ..facts()
        });
        assert_eq!(unknown.running_has_fix, None);
        assert!(unknown
            .verdict
            .starts_with("AT RISK: the running gluster processes (fix unknown) without"));
    }

    #[test]
    fn a_glibc_that_keeps_paths_from_dns_is_ok() {
        let d = decide(&Facts {
            path_probe: Some(PathProbe {
                sends_paths_to_dns: false,
                queries: 0,
                seconds: 0.0,
            }),
            ..facts()
        });
        assert_eq!(
            (d.at_risk, d.verdict.as_str()),
            (false, "ok: this glibc does not send socket paths to DNS")
        );
    }

    #[test]
    fn the_shim_preloaded_or_mapped_is_ok() {
        let preloaded = decide(&Facts {
            ld_so_preload_has_shim: true,
            ..facts()
        });
        let mut mapped = process(Some(false), None);
        mapped.shim_mapped = true;
        let mapped = decide(&Facts {
            processes: vec![mapped],
            ..facts()
        });
        for d in [preloaded, mapped] {
            assert_eq!(
                (d.at_risk, d.verdict.as_str()),
                (false, "ok: the resolver shim is in place")
            );
        }
    }

    #[test]
    fn the_hosts_line_is_ok() {
        let d = decide(&Facts {
            hosts_workaround: true,
            ..facts()
        });
        assert_eq!(
            (d.at_risk, d.verdict.as_str()),
            (false, "ok: the /etc/hosts workaround is in place")
        );
    }

    #[test]
    fn events_lost_on_ipv6_are_at_risk_alone_or_beside_the_stall() {
        let ipv6 = vec!["2001:db8::2".to_string()];
        let alone = decide(&Facts {
            processes: vec![process(Some(true), Some(true))],
            ipv6_addresses: ipv6.clone(),
            ..facts()
        });
        assert!(alone.at_risk && alone.events_delivery.at_risk);
        assert!(
            alone
                .verdict
                .starts_with("AT RISK: events lost: glusterd (pid 7"),
            "{}",
            alone.verdict
        );
        assert!(alone.verdict.contains("(IPv6 2001:db8::2)"));
        assert_eq!(alone.remedy.as_deref(), Some(DELIVERY_REMEDY));
        let both = decide(&Facts {
            processes: vec![process(Some(false), Some(true))],
            ipv6_addresses: ipv6,
            ..facts()
        });
        assert!(both.verdict.starts_with("AT RISK: running glusterd"));
        assert!(both.verdict.contains("; AT RISK: events lost: "));
        let remedy = both.remedy.unwrap();
        assert!(remedy.contains("libgfresolv.so") && remedy.contains("; and for the events: "));
        // The same build on a host without IPv6 loses nothing.
        let v4 = decide(&Facts {
            processes: vec![process(Some(true), Some(true))],
            ..facts()
        });
        assert!(!v4.at_risk && !v4.events_delivery.at_risk);
        assert_eq!(v4.events_delivery.builds_lose_events, Some(true));
    }

    #[test]
    fn the_report_carries_the_facts_and_the_decision() {
        let f = facts();
        let d = decide(&f);
        let r = Report::new(f, d);
        assert_eq!(r.worst_stall_per_subvolume_seconds, 24.0);
        assert_eq!(r.nameservers, ["10.0.0.53", "10.0.1.53"]);
        assert_eq!((r.resolver_timeout, r.resolver_attempts), (3.0, 2.0));
        assert!(r.at_risk && r.text().contains("\nverdict: AT RISK: glusterfs 3.12.15"));
        let v: serde_json::Value = serde_json::from_str(&r.json().unwrap()).unwrap();
        assert_eq!(v["glusterfs_has_fix"], false);
    }

    #[test]
    fn only_ipv6_addresses_beyond_loopback_and_link_local_count() {
        let text = "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n\
                    fd000000000000000000000000000002 04 40 00 82     eth0\n\
                    00000000000000000000000000000001 01 80 10 80       lo\n\
                    20010db8000000000000000000000007 05 40 00 80     eth1\n\
                    garbage\n";
        assert_eq!(routable_ipv6(text), vec!["2001:db8::7", "fd00::2"]);
        let v4_only = "00000000000000000000000000000001 01 80 10 80       lo\n\
                       fe800000000000000000000000000001 02 40 20 80     eth0\n";
        assert!(routable_ipv6(v4_only).is_empty());
        assert!(routable_ipv6("").is_empty());
    }
}
