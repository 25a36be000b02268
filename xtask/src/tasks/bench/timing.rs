//! Helpers the benches share, in a leaf that imports no bench and no task:
//! medians of repeated runs, a child's wall time and peak memory, and this
//! process's CPU time. Machines are noisy, so each figure a bench prints is
//! a median of several runs.

use anyhow::{bail, Context, Result};
use std::time::Instant;

/// The middle value of `xs` (the upper middle of an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Times `f` `runs` times and returns the median in seconds.
pub fn time_median(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut xs = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        xs.push(t.elapsed().as_secs_f64());
    }
    Ok(median(xs))
}

/// Runs `argv` and returns (seconds, max RSS in MiB), from wait4's rusage.
pub fn timed_rss(argv: &[&str]) -> Result<(f64, f64)> {
    let t = Instant::now();
    let child = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("running {}", argv[0]))?;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    if pid < 0 {
        bail!("wait4 failed");
    }
    Ok((t.elapsed().as_secs_f64(), usage.ru_maxrss as f64 / 1024.0))
}

/// CPU time (user + system) this process has used, in seconds: the part of
/// a wall-clock figure that does not depend on what else the machine runs.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_is_the_middle_run_whatever_the_order() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
    }
}
