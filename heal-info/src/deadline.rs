//! Running a short command (the gluster CLI) under a deadline: its output
//! when it ends in time, else it is killed and reaped, so a hung glusterd
//! leaves neither a waiting caller nor a defunct child behind.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Duration;

/// Runs `program args`, returning its stdout if it exits 0 within `limit`.
pub fn output(program: &Path, args: &[&str], limit: Duration) -> Result<String> {
    let command = || format!("`{} {}`", program.display(), args.join(" "));
    let out = run(program, args, limit)?;
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}{}",
            command(),
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `program args` and returns its output, whatever its exit status,
/// if it ends within `limit`.
pub fn run(program: &Path, args: &[&str], limit: Duration) -> Result<std::process::Output> {
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
    let handle = std::sync::Arc::new(handle);
    // A blocking wait on another thread reaps the child the moment it
    // exits (polling would leave it defunct between polls).
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = handle.clone();
    std::thread::spawn(move || {
        let _ = tx.send(waiter.wait().cloned());
    });
    let command = || format!("`{} {}`", program.display(), args.join(" "));
    match rx.recv_timeout(limit) {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(anyhow::Error::from(e).context(command())),
        Err(_) => {
            // duct's kill also waits for the child: nothing is left defunct.
            let _ = handle.kill();
            bail!(
                "{} did not answer within {:.0} s: is glusterd running and answering? (`systemctl status glusterd`)",
                command(),
                limit.as_secs_f64()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_deadline_is_killed_and_named() {
        let t = std::time::Instant::now();
        let e = output(Path::new("/bin/sleep"), &["30"], Duration::from_millis(200)).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(e.to_string().contains("did not answer"), "{e}");
        assert_eq!(
            output(Path::new("/bin/echo"), &["hi"], Duration::from_secs(10)).unwrap(),
            "hi\n"
        );
        let e = output(Path::new("/bin/false"), &[], Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("failed"), "{e}");
    }
}
