//! heal-info for operators against real clusters (Debian's 10.3, and the
//! legacy 3.12.15 build named by GLUSTER_LEGACY_PREFIX): `--all`,
//! `--summary` and `--split-brain` after files are made pending (a brick
//! killed, files written through gfapi, the brick restarted), then
//! `heal-info serve` scraped by Debian's real Prometheus server, its
//! textfile read by Debian's real node_exporter, and one volume hung under
//! the black-hole DNS. Everything runs inside the cluster's private
//! namespaces on loopback; Prometheus keeps its storage and config in the
//! cluster's temp dir, so nothing of the host's is read or written.

use heal_info::all::AllReport;
use heal_info::model::{Mode, Report, SummarySource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use tests::skip;
use verify::background::Background;
use verify::cluster::{self, Cluster, Flavor, HOST};
use verify::hung_volume::HungVolume;
use verify::netns_http::{get, query};
use verify::tools::heal_info_bin;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";
const SERVE: &str = "127.0.0.1:19713";
const PROM: &str = "127.0.0.1:9090";
const NODE: &str = "127.0.0.1:9100";
/// Prometheus's scrape timeout in this test: the exporter must answer
/// within it while a volume's glfsheal hangs for longer (`HUNG_DEADLINE`).
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(1);
const HUNG_DEADLINE: &str = "6";

/// Why this machine cannot run the scenario, if it cannot.
fn unavailable() -> Option<String> {
    if let Err(why) = cluster::available() {
        return Some(why);
    }
    for p in [PROMETHEUS, NODE_EXPORTER] {
        if !Path::new(p).exists() {
            return Some(format!(
                "{p} is not installed (cargo xtask test installs prometheus and prometheus-node-exporter as root)"
            ));
        }
    }
    None
}

#[test]
fn prometheus_scrapes_heal_counts_and_a_hung_volume_stalls_only_itself() {
    if let Some(why) = unavailable() {
        return skip(
            "prometheus_scrapes_heal_counts_and_a_hung_volume_stalls_only_itself",
            &why,
        );
    }
    scenario(Flavor::system());
}

/// The same against the legacy build the suite names in GLUSTER_LEGACY_PREFIX.
#[test]
fn prometheus_scrapes_heal_counts_on_a_legacy_build() {
    let name = "prometheus_scrapes_heal_counts_on_a_legacy_build";
    let Some(prefix) = std::env::var_os("GLUSTER_LEGACY_PREFIX") else {
        return skip(
            name,
            "GLUSTER_LEGACY_PREFIX is not set to an installed legacy build",
        );
    };
    if let Some(why) = unavailable() {
        return skip(name, &why);
    }
    scenario(Flavor::installed(std::path::Path::new(&prefix)).unwrap());
}

/// heal-info's argv inside the cluster, `--prefix` added for a legacy build
/// (after the subcommand, if any).
fn argv(c: &Cluster, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![heal_info_bin().display().to_string()];
    v.extend(args.iter().map(|s| s.to_string()));
    if let Some(p) = &c.flavor.prefix {
        let at = if matches!(args.first(), Some(&"probe") | Some(&"serve")) {
            2
        } else {
            1
        };
        v.splice(at..at, ["--prefix".to_string(), p.display().to_string()]);
    }
    v
}

/// heal-info's `--format json` document, read as its own type (`Report`,
/// or `AllReport` for `--all`).
fn json<T: DeserializeOwned>(c: &Cluster, args: &[&str]) -> (i32, T) {
    let a = argv(c, args);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = c.exec(&a).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: T = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not one heal-info document ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

/// brick path -> entries of a report's bricks.
fn entries_per_brick(report: &Report) -> BTreeMap<String, u64> {
    report
        .bricks
        .iter()
        .map(|b| (b.path.clone(), b.entries.unwrap_or(0)))
        .collect()
}

/// brick_path -> value of a Prometheus vector answer.
fn by_brick(result: &[Value]) -> BTreeMap<String, u64> {
    result
        .iter()
        .map(|s| {
            (
                s["metric"]["brick_path"].as_str().unwrap_or("").to_string(),
                s["value"][1].as_str().unwrap().parse::<f64>().unwrap() as u64,
            )
        })
        .collect()
}

/// One sample's value of an instant query, if there is exactly one.
fn one(ns: u32, promql: &str) -> Option<f64> {
    let r = query(ns, PROM, promql).ok()?;
    match r.as_slice() {
        [s] => s["value"][1].as_str()?.parse().ok(),
        _ => None,
    }
}

/// Host PIDs of the processes in `c`'s PID namespace whose parent is `ppid`,
/// each with its state letter, comm and first argument.
fn children_of(c: &Cluster, ppid: u32) -> Vec<(u32, char, String, String)> {
    let ours = std::fs::read_link(format!("/proc/{}/ns/pid", c.init_pid)).ok();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if std::fs::read_link(e.path().join("ns/pid")).ok() != ours {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // "pid (comm) S ppid ...": comm may hold spaces, so split after ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.get(1).and_then(|p| p.parse::<u32>().ok()) != Some(ppid) {
            continue;
        }
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_string();
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let arg1 = cmdline
            .split(|&b| b == 0)
            .nth(1)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default();
        let state = f.first().and_then(|s| s.chars().next()).unwrap_or('?');
        out.push((pid, state, comm, arg1));
    }
    out
}

/// The host PID of the program nsenter started (its only child).
fn program_pid(b: &Background) -> u32 {
    let n = b.nsenter_pid();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        let kids =
            std::fs::read_to_string(format!("/proc/{n}/task/{n}/children")).unwrap_or_default();
        if let Some(p) = kids.split_whitespace().next().and_then(|p| p.parse().ok()) {
            return p;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nsenter {n} started nothing");
}

/// The whole scenario on one cluster, in order: each step leaves the
/// cluster as the next one expects it.
fn scenario(flavor: Flavor) {
    assert!(
        heal_info_bin().exists(),
        "build heal-info first (cargo build --workspace --features heal-info/gfapi)"
    );
    let legacy = flavor.prefix.is_some();
    let c = Cluster::start_flavor(flavor).unwrap();
    c.create_volume("ec", "disperse-data 2 redundancy 1", 3)
        .unwrap();
    c.create_volume("rep", "replica 3", 3).unwrap();

    all_of_a_healthy_cluster(&c);
    make_rep_pending(&c);
    let pending = all_names_the_pending_volume(&c);
    summary_agrees_with_info(&c, legacy, &pending);
    split_brain_mode_finds_none(&c);

    // A third volume whose brick host resolves only through DNS, which is
    // a black hole for everything the exporter starts.
    let hung = HungVolume::create(&c, "dns").unwrap();
    let stack = Stack::start(&c, &hung);
    prometheus_sees_the_counts_and_the_stall(&stack, &hung, &pending);
    node_exporter_serves_the_textfile(&stack, &pending);
    scrapes_are_answered_at_once_while_dns_hangs(&stack);
    drop(stack);
    refreshes_never_overlap_nor_leave_zombies(&c, &hung);
    drop(hung);
}

/// The text of heal-info `args` inside the cluster.
fn text(c: &Cluster, args: &[&str]) -> String {
    let a = argv(c, args);
    let out = c
        .exec(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `--all`, healthy: one document, both volumes, each clean; the same run
/// as one table and as one exposition.
fn all_of_a_healthy_cluster(c: &Cluster) {
    let (code, all): (_, AllReport) = json(c, &["--all", "--format", "json", "--timeout", "30"]);
    assert_eq!(code, 0, "{all:?}");
    let names: Vec<&str> = all.volumes.iter().map(|v| v.volume.as_str()).collect();
    assert_eq!(names, ["ec", "rep"], "{all:?}");
    let table = text(c, &["--all"]);
    assert!(
        table.contains("2 volume(s), 0 entries pending heal"),
        "{table}"
    );
    let exposition = text(
        c,
        &["--all", "--format", "prometheus", "--cluster-id", "c1"],
    );
    let scrape =
        prometheus_parse::Scrape::parse(exposition.lines().map(|l| Ok(l.to_string()))).unwrap();
    let ok: Vec<&str> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "gluster_heal_info_success")
        .filter_map(|s| s.labels.get("volume"))
        .collect();
    assert_eq!(ok.len(), 2, "{exposition}");
}

/// Files made pending on rep: self-heal off, a brick killed, files written
/// through gfapi, the brick restarted.
fn make_rep_pending(c: &Cluster) {
    c.sh("gluster --mode=script volume heal rep disable")
        .unwrap();
    c.kill_brick("rep", 0).unwrap();
    let a = argv(c, &["probe", "rep", "--write-files", "20"]);
    let out = c
        .exec(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    assert!(
        out.status.success(),
        "gfapi writes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    c.sh("gluster --mode=script volume start rep force")
        .unwrap();
    c.wait_bricks_online("rep", 3).unwrap();
}

/// `--all` exits with the worst volume's code, rep's; returns rep's
/// entries per brick, which every later view must agree with.
fn all_names_the_pending_volume(c: &Cluster) -> BTreeMap<String, u64> {
    let (code, all): (_, AllReport) = json(c, &["--all", "--format", "json", "--timeout", "30"]);
    assert_eq!(code, 1, "the worst volume has entries pending: {all:?}");
    let rep_info = &all.volumes[1];
    assert_eq!(rep_info.exit, 1, "{all:?}");
    assert_eq!(all.volumes[0].exit, 0, "{all:?}");
    let pending = entries_per_brick(rep_info);
    assert!(pending.values().filter(|&&n| n > 0).count() >= 2, "{all:?}");
    pending
}

/// `--summary`: glfsheal's own on 10.3, computed from entries on 3.12;
/// either way its per-brick totals are info's.
fn summary_agrees_with_info(c: &Cluster, legacy: bool, pending: &BTreeMap<String, u64>) {
    let (_, summary): (_, Report) = json(c, &["rep", "--summary", "--format", "json"]);
    eprintln!("summary: {}", serde_json::to_string(&summary).unwrap());
    let want_source = if legacy {
        SummarySource::ComputedFromEntries
    } else {
        SummarySource::Glfsheal
    };
    assert_eq!(summary.summary_source, Some(want_source), "{summary:?}");
    assert_eq!(&entries_per_brick(&summary), pending, "{summary:?}");
    for b in &summary.bricks {
        let n = |f: &str, v: Option<u64>| v.unwrap_or_else(|| panic!("{f} in {b:?}"));
        assert_eq!(
            n("heal_pending", b.heal_pending)
                + n("split_brain", b.split_brain)
                + n("possibly_healing", b.possibly_healing),
            n("entries", b.entries),
            "{b:?}"
        );
    }
}

/// `--split-brain`: glfsheal's split-brain mode; nothing is in split-brain.
fn split_brain_mode_finds_none(c: &Cluster) {
    let (code, sb): (_, Report) = json(c, &["rep", "--split-brain", "--format", "json"]);
    eprintln!("split-brain: {}", serde_json::to_string(&sb).unwrap());
    assert_eq!(sb.mode, Mode::SplitBrain, "{sb:?}");
    assert_eq!(sb.bricks.len(), 3, "{sb:?}");
    assert_eq!(code, 0, "no entry is in split-brain: {sb:?}");
}

/// `heal-info serve` (its textfile read by node_exporter) and Prometheus
/// scraping both, in the cluster, with the hung volume's DNS a black hole.
struct Stack<'a> {
    c: &'a Cluster,
    // Dropped in this order, as the scenario always stopped them: the
    // scraper first, the exporter last.
    prom: Background,
    node: Background,
    serve: Background,
}

impl<'a> Stack<'a> {
    /// Starts the three and waits for Prometheus to be ready.
    fn start(c: &'a Cluster, hung: &HungVolume) -> Stack<'a> {
        let d = c.dir.path();
        let textdir = d.join("textfile");
        std::fs::create_dir_all(&textdir).unwrap();
        let serve_argv = hung.wrap(&argv(
            c,
            &[
                "serve",
                "--listen",
                SERVE,
                "--interval",
                "1",
                "--timeout",
                HUNG_DEADLINE,
                "--textfile",
                textdir.to_str().unwrap(),
                "--cluster-id",
                "test-cluster",
            ],
        ));
        let serve = Background::start(
            c,
            "serve",
            &serve_argv.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .unwrap();
        let node = Background::start(
            c,
            "node-exporter",
            &[
                NODE_EXPORTER,
                &format!("--web.listen-address={NODE}"),
                "--collector.disable-defaults",
                "--collector.textfile",
                &format!("--collector.textfile.directory={}", textdir.display()),
            ],
        )
        .unwrap();
        let config = d.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: {}s\nscrape_configs:\n  - job_name: heal-info\n    static_configs:\n      - targets: ['{SERVE}']\n  - job_name: node\n    static_configs:\n      - targets: ['{NODE}']\n",
                SCRAPE_TIMEOUT.as_secs()
            ),
        )
        .unwrap();
        let storage = d.join("prometheus-data");
        let prom = Background::start(
            c,
            "prometheus",
            &[
                PROMETHEUS,
                &format!("--config.file={}", config.display()),
                &format!("--storage.tsdb.path={}", storage.display()),
                &format!("--web.listen-address={PROM}"),
            ],
        )
        .unwrap();
        let stack = Stack {
            c,
            prom,
            node,
            serve,
        };
        let ready = Instant::now();
        while get(stack.ns(), PROM, "/-/ready", Duration::from_secs(2))
            .map_or(true, |a| a.status != 200)
        {
            assert!(
                ready.elapsed() < Duration::from_secs(60),
                "{}",
                stack.dump("Prometheus never became ready")
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        stack
    }

    fn ns(&self) -> u32 {
        self.c.init_pid
    }

    /// What a failed wait shows: Prometheus's `up`, the exporter's page,
    /// the processes and the three logs.
    fn dump(&self, what: &str) -> String {
        let ns = self.ns();
        format!(
            "{what}\n--- up: {:?}\n--- /metrics:\n{}\n--- processes:\n{}\n--- serve:\n{}\n--- prometheus:\n{}\n--- node_exporter:\n{}",
            query(ns, PROM, "up"),
            get(ns, SERVE, "/metrics", SCRAPE_TIMEOUT).map_or_else(|e| e.to_string(), |a| a.body),
            self.c.sh("ps -eLo pid,ppid,tid,stat,wchan:24,comm,args | grep -E 'heal-info|glfsheal|gdb'").unwrap_or_default(),
            self.serve.log_text(),
            self.prom.log_text(),
            self.node.log_text()
        )
    }
}

/// Prometheus has rep's counts, and the hung volume's stall and cause.
fn prometheus_sees_the_counts_and_the_stall(
    stack: &Stack,
    hung: &HungVolume,
    pending: &BTreeMap<String, u64>,
) {
    let ns = stack.ns();
    let stalled =
        "gluster_heal_info_stalled{job=\"heal-info\",volume=\"dns\",cause=\"brick-host-dns\"}";
    let t = Instant::now();
    while !(one(ns, stalled) == Some(1.0)
        && one(
            ns,
            "gluster_heal_info_success{job=\"heal-info\",volume=\"rep\"}",
        ) == Some(1.0)
        && one(ns, "gluster_heal_info_success{job=\"node\",volume=\"dns\"}") == Some(0.0))
    {
        assert!(
            // Two clusters may run at once in the suite, on two cores.
            t.elapsed() < Duration::from_secs(150),
            "{}",
            stack.dump("Prometheus never saw rep's counts and dns's stall")
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!(
        "Prometheus saw the stall after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let heal = query(
        ns,
        PROM,
        "gluster_volume_heal_count{job=\"heal-info\",volume=\"rep\"}",
    )
    .unwrap();
    eprintln!(
        "Prometheus query gluster_volume_heal_count{{job=\"heal-info\",volume=\"rep\"}}: {}",
        serde_json::to_string(&heal).unwrap()
    );
    assert_eq!(
        &by_brick(&heal),
        pending,
        "Prometheus's answer vs heal-info --all"
    );
    for s in &heal {
        assert_eq!(s["metric"]["host"], HOST);
        assert_eq!(s["metric"]["cluster_id"], "test-cluster");
    }
    // Only the hung volume failed; the stall gauge names no cause elsewhere.
    assert_eq!(
        one(
            ns,
            "gluster_heal_info_success{job=\"heal-info\",volume=\"ec\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        one(
            ns,
            "gluster_heal_info_success{job=\"heal-info\",volume=\"dns\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        one(
            ns,
            "gluster_heal_info_stalled{job=\"heal-info\",volume=\"rep\",cause=\"none\"}"
        ),
        Some(0.0)
    );
    assert!(one(
        ns,
        "gluster_heal_info_last_success_timestamp_seconds{job=\"heal-info\",volume=\"rep\"}"
    )
    .is_some_and(|t| t > 1.7e9));
    assert!(hung.hole.count() > 0, "the black hole saw no DNS query");
}

/// node_exporter serves the same numbers from the textfile, through
/// Prometheus and on its own /metrics.
fn node_exporter_serves_the_textfile(stack: &Stack, pending: &BTreeMap<String, u64>) {
    let ns = stack.ns();
    let node_heal = query(
        ns,
        PROM,
        "gluster_volume_heal_count{job=\"node\",volume=\"rep\"}",
    )
    .unwrap();
    assert_eq!(
        &by_brick(&node_heal),
        pending,
        "node_exporter via Prometheus"
    );
    let m = get(ns, NODE, "/metrics", Duration::from_secs(5)).unwrap();
    let scrape =
        prometheus_parse::Scrape::parse(m.body.lines().map(|l| Ok(l.to_string()))).unwrap();
    let direct: BTreeMap<String, u64> = scrape
        .samples
        .iter()
        .filter(|s| {
            s.metric == "gluster_volume_heal_count" && s.labels.get("volume") == Some("rep")
        })
        .map(|s| {
            let v = match s.value {
                prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
                _ => panic!("not a gauge: {s:?}"),
            };
            (s.labels.get("brick_path").unwrap().to_string(), v as u64)
        })
        .collect();
    assert_eq!(&direct, pending, "node_exporter's /metrics");
    let read_error = scrape
        .samples
        .iter()
        .find(|s| s.metric == "node_textfile_scrape_error")
        .map(|s| format!("{:?}", s.value));
    assert_eq!(
        read_error.as_deref(),
        Some("Gauge(0.0)"),
        "node_exporter could not read the textfile:\n{}",
        m.body
    );
}

/// Scrapes while dns's glfsheal hangs: each answered at once, by the
/// exporter and as Prometheus measured them.
fn scrapes_are_answered_at_once_while_dns_hangs(stack: &Stack) {
    let (c, ns) = (stack.c, stack.ns());
    let serve_pid = program_pid(&stack.serve);
    let (mut worst, mut during_hang, mut n) = (Duration::ZERO, 0, 0);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) && (during_hang < 10 || n < 20) {
        let hung = children_of(c, serve_pid)
            .iter()
            .any(|(_, _, comm, arg1)| comm == "glfsheal" && arg1 == "dns");
        let a = get(ns, SERVE, "/metrics", SCRAPE_TIMEOUT).unwrap();
        assert_eq!(a.status, 200);
        assert!(a.body.contains("gluster_volume_heal_count"));
        worst = worst.max(a.took);
        n += 1;
        during_hang += usize::from(hung);
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "scrape latency: worst {:.1} ms over {n} scrapes, {during_hang} while dns's glfsheal hung",
        worst.as_secs_f64() * 1e3
    );
    assert!(during_hang > 0, "no scrape fell while dns hung");
    assert!(worst < SCRAPE_TIMEOUT, "a scrape took {worst:?}");
    let prom_worst = one(
        ns,
        "max_over_time(scrape_duration_seconds{job=\"heal-info\"}[1m])",
    )
    .unwrap();
    let up_min = one(ns, "min_over_time(up{job=\"heal-info\"}[1m])").unwrap();
    eprintln!(
        "Prometheus: worst scrape_duration_seconds {prom_worst:.4} s over 1m, min up {up_min}"
    );
    assert!(prom_worst < SCRAPE_TIMEOUT.as_secs_f64());
    assert_eq!(up_min, 1.0);
}

/// 100 refreshes, dns hanging in most of them: never two glfsheals for
/// one volume, and no child left defunct.
fn refreshes_never_overlap_nor_leave_zombies(c: &Cluster, hung: &HungVolume) {
    let rounds_argv = hung.wrap(&argv(
        c,
        &[
            "serve",
            "--listen",
            "127.0.0.1:19714",
            "--interval",
            "0.3",
            "--timeout",
            "3",
            "--rounds",
            "100",
        ],
    ));
    let mut rounds = Background::start(
        c,
        "serve-rounds",
        &rounds_argv.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .unwrap();
    let pid = program_pid(&rounds);
    let (mut samples, mut zombie_sightings, mut lasting_zombies, mut most, mut most_per_volume) =
        (0, 0, 0, 0, 0);
    let mut last_zombies: Vec<u32> = vec![];
    let t = Instant::now();
    while rounds.running() {
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "100 rounds took too long"
        );
        let kids = children_of(c, pid);
        let zombies: Vec<u32> = kids.iter().filter(|k| k.1 == 'Z').map(|k| k.0).collect();
        zombie_sightings += zombies.len();
        lasting_zombies += zombies.iter().filter(|z| last_zombies.contains(z)).count();
        last_zombies = zombies;
        most = most.max(kids.len());
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for k in kids.iter().filter(|k| k.2 == "glfsheal" && k.1 != 'Z') {
            *per.entry(k.3.as_str()).or_default() += 1;
        }
        most_per_volume = most_per_volume.max(per.values().copied().max().unwrap_or(0));
        samples += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = rounds.wait_exit(Duration::from_secs(5));
    eprintln!(
        "100 refreshes in {:.1} s: {samples} samples, at most {most} children, at most {most_per_volume} glfsheal per volume, {zombie_sightings} defunct sightings, {lasting_zombies} defunct across two samples",
        t.elapsed().as_secs_f64()
    );
    assert!(status.is_some_and(|s| s.success()), "{}", rounds.log_text());
    assert_eq!(most_per_volume, 1, "two glfsheals ran for one volume");
    assert_eq!(lasting_zombies, 0, "a child stayed defunct");
    assert!(
        rounds.log_text().contains("skipped"),
        "no round met a busy volume"
    );
}
