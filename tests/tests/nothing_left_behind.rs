//! A SIGKILLed run leaves nothing behind: a child process (this test binary,
//! re-run on `holds_a_cluster_until_killed`) brings up a real cluster with a
//! volume and a counter, and is then killed, alone, with SIGKILL, as a crash,
//! the OOM killer or a CI runner's timeout would. Its namespace holder dies
//! with it (die-with-parent), and the kernel ends the rest.
//!
//! Only the processes this test started are counted: those whose
//! environment carries a marker unique to the run, and those in the
//! cluster's PID namespace (bricks and the self-heal daemon are counted
//! whatever environment glusterd gives them). Nothing else is touched.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tests::skip;
use verify::cluster::{self, Cluster};
use verify::tools::heal_info_bin;
use verify::Counter;

const MARK: &str = "GLK_FAULT_MARK";
const READY: &str = "GLK_FAULT_READY";
const STAGE: &str = "GLK_FAULT_STAGE";
/// How long the killed run's processes may take to go.
const GRACE: Duration = Duration::from_secs(10);

/// The processes the marked run started: (host PID, name) of those alive
/// (zombies are gone already) with the marker in their environment or in the
/// PID namespace `ns` (what /proc/PID/ns/pid links to).
fn marked(mark: &str, ns: Option<&PathBuf>) -> Vec<(u32, String)> {
    let needle = format!("{MARK}={mark}\0").into_bytes();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let p = e.path();
        let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if stat.is_empty() || state.starts_with('Z') || state.starts_with('X') {
            continue;
        }
        let environ = std::fs::read(p.join("environ")).unwrap_or_default();
        let has_mark = environ.windows(needle.len()).any(|w| w == needle);
        let in_ns = ns.is_some() && std::fs::read_link(p.join("ns/pid")).ok().as_ref() == ns;
        if has_mark || in_ns {
            let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
            found.push((pid, comm.trim().to_string()));
        }
    }
    found
}

fn host_mounts() -> usize {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .count()
}

/// One fault: runs the holder to `stage`, SIGKILLs it, and returns the names
/// of its processes alive before, and how many are left after.
fn kill_once(stage: &str) -> (Vec<String>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let mark = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mounts_before = host_mounts();
    let exe = std::env::current_exe().unwrap();
    // This thread outlives the holder: PR_SET_PDEATHSIG on it is only a
    // guard in case the test itself dies.
    let mut holder = die_with_parent::die_with_parent(&mut Command::new(exe))
        .args([
            "--exact",
            "holds_a_cluster_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MARK, &mark)
        .env(READY, &ready)
        .env(STAGE, stage)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let init_pid: u32 = loop {
        if let Some(st) = holder.try_wait().unwrap() {
            panic!("the holder exited ({st}) before its cluster was up");
        }
        if let Some(pid) = std::fs::read_to_string(&ready)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "no cluster in 180 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // The namespace's identity (`pid:[inode]`), read while it lives.
    let ns = std::fs::read_link(format!("/proc/{init_pid}/ns/pid")).unwrap();
    let before = marked(&mark, Some(&ns));
    let names: Vec<&str> = before.iter().map(|(_, n)| n.as_str()).collect();
    eprintln!(
        "[{stage}] before the kill: {} processes of the run: {}",
        before.len(),
        names.join(" ")
    );

    // SIGKILL the holder alone: not its group, nothing else.
    unsafe { libc::kill(holder.id() as i32, libc::SIGKILL) };
    let _ = holder.wait();
    let t = Instant::now();
    let mut left = marked(&mark, Some(&ns));
    while !left.is_empty() && t.elapsed() < GRACE {
        std::thread::sleep(Duration::from_millis(100));
        left = marked(&mark, Some(&ns));
    }
    eprintln!(
        "[{stage}] {:.2} s after the kill: {} left {left:?}",
        t.elapsed().as_secs_f64(),
        left.len()
    );
    if !left.is_empty() {
        // Do not leave a failed run's cluster running: its namespace's
        // first process is ours, and its end ends the rest.
        unsafe { libc::kill(init_pid as i32, libc::SIGKILL) };
    }
    assert!(
        left.is_empty(),
        "{stage}: processes of the killed run left: {left:?}"
    );
    assert_eq!(
        host_mounts(),
        mounts_before,
        "{stage}: the host's mounts changed"
    );
    (before.into_iter().map(|(_, n)| n).collect(), left.len())
}

#[test]
fn a_sigkilled_run_leaves_no_process_and_no_mount() {
    if let Err(why) = cluster::available() {
        return skip("a_sigkilled_run_leaves_no_process_and_no_mount", &why);
    }
    assert!(
        heal_info_bin().exists(),
        "build heal-info first (cargo build --workspace --features heal-info/gfapi)"
    );
    let mut kills = 0;
    for stage in ["up", "heal-info"] {
        let (before, left) = kill_once(stage);
        kills += 1;
        assert!(before.len() >= 5, "{stage}: only {before:?} seen running");
        if stage == "heal-info" {
            assert!(before.iter().any(|n| n == "glfsheal"), "{before:?}");
        }
        assert_eq!(left, 0);
    }
    eprintln!("kills tried: {kills}, processes left: 0");
}

/// The run that is killed: only when the fault test runs it (its marker set).
/// Brings up a cluster, a replica 3 volume and a counter; at stage
/// `heal-info` it also stops glusterd and starts a heal-info run inside,
/// which then waits on it. Writes the namespace's init PID to the ready
/// file and waits to be killed.
#[test]
#[ignore = "run by a_sigkilled_run_leaves_no_process_and_no_mount, in a child process"]
fn holds_a_cluster_until_killed() {
    let (Some(ready), Some(stage)) = (std::env::var_os(READY), std::env::var(STAGE).ok()) else {
        return;
    };
    let c = Cluster::start().unwrap();
    c.create_volume("rep", "replica 3", 3).unwrap();
    let _dns = Counter::start(&c, "127.0.0.1:53", "dns").unwrap();
    let mut _heal = None;
    if stage == "heal-info" {
        let glusterd = c.glusterd_pid().unwrap();
        unsafe { libc::kill(glusterd as i32, libc::SIGSTOP) };
        let bin = heal_info_bin();
        let mut heal = c
            .command(&[bin.to_str().unwrap(), "rep", "--timeout", "120"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // In flight: glfsheal waits on the stopped glusterd.
        c.poll("glfsheal runs", Duration::from_secs(30), |c| {
            if let Some(st) = heal.try_wait()? {
                anyhow::bail!("heal-info ended ({st}) before glfsheal was seen");
            }
            Ok(c.exec(&["pgrep", "-x", "glfsheal"])?.status.success())
        })
        .unwrap();
        _heal = Some(heal);
    }
    std::fs::write(&ready, c.init_pid.to_string()).unwrap();
    // Killed long before this; the limit only bounds a lost parent.
    std::thread::sleep(Duration::from_secs(600));
}
