//! Everything the kit spawns dies with it, whatever kills it (a crash, the
//! OOM killer, a CI runner's SIGKILL): a leaf crate that the spawners share
//! (`verify`'s cluster holder, the suite's test glusterd, `xtask`'s black
//! hole and make, `heal-info`'s glfsheal and probe), so there is one
//! mechanism and one place to read it.
//!
//! The mechanism: the child asks the kernel, between fork and exec, for
//! SIGKILL when its parent dies (`prctl(PR_SET_PDEATHSIG)`, as bubblewrap's
//! `--die-with-parent`). A namespace holder is also run as
//! `unshare --kill-child ... --fork` ([`UNSHARE_KILL_CHILD`]): unshare gives
//! the namespace's PID 1 the same signal for its own death, and when PID 1
//! of a PID namespace dies the kernel kills every process in it (glusterd,
//! bricks, the self-heal daemon, black holes entered with `nsenter -p`). So
//! one chain, tool → unshare → PID 1 → the namespace, holds by the kernel.
//!
//! Caveat: the "parent" of PR_SET_PDEATHSIG is the *thread* that forked the
//! child, not the process. A child spawned from a thread that ends (a
//! `std::thread::spawn` worker, a scoped thread) is killed then, even while
//! the process lives on. Spawn what must outlive a step from the thread that
//! owns it: a cluster is started and dropped on the same thread (each cargo
//! test's own thread; `verify::matrix::run` on its caller's).
//!
//! Should the chain fail all the same, every holder carries its owner's
//! marker, so the next run finds and ends what is left (`stale`).
//!
//! The signal is not inherited across fork: a child's own children (make's
//! sub-makes, glfsheal's helpers) are covered only by a PID namespace.

pub mod procs;
pub mod stale;

use std::os::unix::process::CommandExt;
use std::process::Command;

/// The unshare(1) flag that makes the namespace's first process die with
/// unshare; give it with `--fork` (and `-p` for a PID namespace).
pub const UNSHARE_KILL_CHILD: &str = "--kill-child";

/// A namespace holder: `unshare --kill-child NAMESPACES -p --fork
/// --mount-proc bash -c SCRIPT`, dying with the calling thread, so `script`
/// runs as PID 1 of a PID namespace that dies with the tool. `namespaces`
/// are unshare's other flags (`-m`, `-n`, `-u`).
pub fn namespace_holder(namespaces: &[&str], script: &str) -> Command {
    let mut cmd = Command::new("unshare");
    // The marker a later run reads if this chain ever fails (stale.rs).
    die_with_parent(&mut cmd)
        .env(stale::OWNER_ENV, stale::owner_mark())
        .arg(UNSHARE_KILL_CHILD)
        .args(namespaces)
        .args(["-p", "--fork", "--mount-proc", "bash", "-c", script]);
    cmd
}

/// Makes `cmd`'s child get SIGKILL when the thread spawning it ends (with
/// its process, or alone: see the module's caveat).
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure calls only async-signal-safe functions (prctl,
    // getppid) and does not allocate.
    unsafe {
        cmd.pre_exec(move || arm(parent));
    }
    cmd
}

/// What runs in the child between fork and exec. (duct's spawners reach it
/// through `Expression::before_spawn`, which hands over the `Command`.)
fn arm(parent: libc::pid_t) -> std::io::Result<()> {
    // SAFETY: plain system calls with integer arguments.
    unsafe {
        if libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        // The parent may have died between fork and prctl, before there was
        // anything to fire: then we were reparented already, so do not exec.
        if libc::getppid() != parent {
            return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn alive(pid: i32) -> bool {
        // A zombie still answers kill(0); read its state instead.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                let state = s.rsplit(')').next().unwrap_or("").trim_start();
                !state.starts_with('Z') && !state.starts_with('X')
            })
            .unwrap_or(false)
    }

    #[test]
    // Reaped below by waitpid, which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    fn child_dies_when_its_spawning_thread_ends() {
        // A thread stands in for the parent: its end fires the signal, as
        // the process's death would (and the test process lives on).
        let pid = std::thread::spawn(|| {
            let child = die_with_parent(&mut Command::new("sleep"))
                .arg("30")
                .spawn()
                .unwrap();
            child.id() as i32
        })
        .join()
        .unwrap();
        let t = Instant::now();
        while alive(pid) && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let gone = !alive(pid);
        // Reap it (it is our process's child) and never leave it running.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        assert!(gone, "the child outlived its spawning thread");
    }

    #[test]
    fn child_runs_normally_while_its_parent_lives() {
        let out = die_with_parent(&mut Command::new("true")).status().unwrap();
        assert!(out.success());
    }
}
