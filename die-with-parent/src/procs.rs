//! The live processes of this PID namespace's /proc, read once each: PID,
//! name, environment and PID namespace. Shared by the stale-run search
//! (`stale`) and the fault tests, which count the processes a run started
//! by a marker in their environment or by the run's PID namespaces, and
//! never look at others.

use std::path::PathBuf;

/// One live process (zombies and dead ones are left out: they hold
/// nothing but a PID).
pub struct Process {
    pub pid: u32,
    pub comm: String,
    environ: Vec<u8>,
    /// What /proc/PID/ns/pid links to (`pid:[INODE]`), if readable.
    pub pid_ns: Option<PathBuf>,
}

impl Process {
    /// The value of `name` in the process's environment.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.environ
            .split(|b| *b == 0)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .find_map(|v| v.strip_prefix(name)?.strip_prefix('='))
    }

    /// The process's resident memory (VmRSS), KiB; 0 once it is gone.
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

/// Whether PID is alive and not a zombie, with its stat line's fields
/// after the name (which may hold spaces or parentheses itself).
pub(crate) fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<String> = rest.split_whitespace().map(String::from).collect();
    match fields.first().map(String::as_str) {
        Some("Z") | Some("X") | None => None,
        _ => Some(fields),
    }
}

/// Every live process.
pub fn all() -> Vec<Process> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
            stat_fields(pid)?;
            let p = e.path();
            Some(Process {
                pid,
                comm: std::fs::read_to_string(p.join("comm"))
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                environ: std::fs::read(p.join("environ")).unwrap_or_default(),
                pid_ns: std::fs::read_link(p.join("ns/pid")).ok(),
            })
        })
        .collect()
}

/// The live processes in the PID namespace `ns` (`pid:[INODE]`).
pub fn in_pid_ns(ns: &std::path::Path) -> Vec<Process> {
    all()
        .into_iter()
        .filter(|p| p.pid_ns.as_deref() == Some(ns))
        .collect()
}

/// (PID, name) of the live processes whose environment has `name=value`,
/// or whose PID namespace is one of `ns`.
pub fn marked(name: &str, value: &str, ns: &[PathBuf]) -> Vec<(u32, String)> {
    all()
        .into_iter()
        .filter(|p| p.env(name) == Some(value) || p.pid_ns.as_ref().is_some_and(|n| ns.contains(n)))
        .map(|p| (p.pid, p.comm))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn this_process_is_in_its_own_pid_namespace_with_some_memory() {
        let ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
        let me = in_pid_ns(&ns)
            .into_iter()
            .find(|p| p.pid == std::process::id())
            .expect("this process is in its own namespace");
        assert!(me.rss_kib() > 0);
        assert!(in_pid_ns(std::path::Path::new("pid:[0]")).is_empty());
    }

    #[test]
    fn finds_a_child_by_its_marker_and_not_after_it_ends() {
        let mut child = Command::new("sleep")
            .arg("30")
            .env("GLK_PROCS_TEST", "m1")
            .spawn()
            .unwrap();
        let pid = child.id();
        // Until the child has exec'd, /proc shows the parent's environment.
        let t = std::time::Instant::now();
        let mut seen = marked("GLK_PROCS_TEST", "m1", &[]);
        while seen.is_empty() && t.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(10));
            seen = marked("GLK_PROCS_TEST", "m1", &[]);
        }
        assert_eq!(seen, vec![(pid, "sleep".to_string())]);
        assert!(
            marked("GLK_PROCS_TEST", "m", &[]).is_empty(),
            "a prefix matched"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(marked("GLK_PROCS_TEST", "m1", &[]).is_empty());
    }
}
