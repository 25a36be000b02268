//! Running a short command (the gluster CLI) under a deadline: its output
//! when it ends in time, else it is killed and reaped, so a hung glusterd
//! leaves neither a waiting caller nor a defunct child behind.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `program args`, returning its stdout if it exits 0 within `limit`.
pub fn output(program: &Path, args: &[&str], limit: Duration) -> Result<String> {
    let started = Instant::now();
    let handle = duct::cmd(program, args)
        .before_spawn(|cmd| {
            die_with_parent::die_with_parent(cmd);
            Ok(())
        })
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .start()
        .with_context(|| format!("cannot run {}", program.display()))?;
    loop {
        if let Some(out) = handle.try_wait()? {
            if !out.status.success() {
                bail!(
                    "`{} {}` failed ({}): {}{}",
                    program.display(),
                    args.join(" "),
                    out.status,
                    String::from_utf8_lossy(&out.stdout).trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        if started.elapsed() >= limit {
            // duct's kill also waits for the child: nothing is left defunct.
            let _ = handle.kill();
            bail!(
                "`{} {}` did not answer within {:.0} s: is glusterd running and answering? (`systemctl status glusterd`)",
                program.display(),
                args.join(" "),
                limit.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
