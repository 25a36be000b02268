//! Running a child process under a deadline, the one implementation
//! heal-info has (for glfsheal, the gluster CLI, `glusterfs --version` and
//! `EXE --version`, gdb; doctor's namespace probe and objdump run without
//! one, as before). The child's stdout is read on another thread as it
//! streams in; if the reading ends in time the caller gets what it read,
//! else the caller looks at the live child (glfsheal's diagnosis) and only
//! then is it killed and reaped, so a hung program leaves neither a
//! waiting caller nor a defunct child behind.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::Path;
use std::process::Output;
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How a child run under a deadline ended.
pub enum Ending<T, D> {
    /// The reading ended in time. `output` holds the exit status and any
    /// captured stderr when the child had exited by then (it has, once its
    /// stdout was read to the end: duct reaps it at that end).
    InTime { value: T, output: Option<Output> },
    /// The deadline passed: what `at_deadline` found in the live child,
    /// which was then killed and reaped.
    Late(D),
}

/// Starts `expression` (its stdin null, PR_SET_PDEATHSIG set, any exit
/// status accepted), hands its stdout to `read` on another thread, and
/// waits at most `limit` for `read` to return. Past the deadline
/// `at_deadline` gets the child's pid while it still runs, then the child
/// is killed. The child is spawned from the calling thread, whose exit
/// PR_SET_PDEATHSIG is tied to: it must outlive the child.
pub fn stream<T, D>(
    expression: duct::Expression,
    limit: Duration,
    read: impl FnOnce(&mut dyn Read) -> T + Send + 'static,
    at_deadline: impl FnOnce(Option<u32>) -> D,
) -> std::io::Result<Ending<T, D>>
where
    T: Send + 'static,
{
    let handle = expression
        .before_spawn(|cmd| {
            die_with_parent::die_with_parent(cmd);
            Ok(())
        })
        .stdin_null()
        .unchecked()
        .reader()?;
    let handle = Arc::new(handle);
    let pid = handle.pids().first().copied();
    let (tx, rx) = mpsc::channel();
    let reader = handle.clone();
    std::thread::spawn(move || {
        let value = read(&mut &*reader);
        let _ = tx.send(value);
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let output = handle.try_wait().ok().flatten().cloned();
            Ok(Ending::InTime { value, output })
        }
        Err(_) => {
            let found = at_deadline(pid);
            // duct's kill also reaps the child (not grandchildren holding
            // the pipe, which the reading thread is left to).
            let _ = handle.kill();
            Ok(Ending::Late(found))
        }
    }
}

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
pub fn run(program: &Path, args: &[&str], limit: Duration) -> Result<Output> {
    let command = || format!("`{} {}`", program.display(), args.join(" "));
    let ending = stream(
        duct::cmd(program, args).stderr_capture(),
        limit,
        |r| {
            let mut stdout = Vec::new();
            r.read_to_end(&mut stdout).map(|_| stdout)
        },
        |_| (),
    )
    .with_context(|| format!("cannot run {}", program.display()))?;
    match ending {
        Ending::InTime {
            value,
            output: Some(out),
        } => Ok(Output {
            stdout: value.with_context(command)?,
            ..out
        }),
        Ending::InTime { value, output: None } => {
            Err(value.err().map_or_else(
                || anyhow::anyhow!("{} ended its output but not itself", command()),
                |e| anyhow::Error::from(e).context(command()),
            ))
        }
        Ending::Late(()) => bail!(
            "{} did not answer within {:.0} s: is glusterd running and answering? (`systemctl status glusterd`)",
            command(),
            limit.as_secs_f64()
        ),
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

    #[test]
    fn the_live_child_is_seen_before_it_is_killed() {
        let ending = stream(
            duct::cmd!("/bin/sleep", "30"),
            Duration::from_millis(200),
            |r| r.read_to_end(&mut Vec::new()).is_ok(),
            |pid| {
                let pid = pid.unwrap();
                let alive = Path::new(&format!("/proc/{pid}")).exists();
                (pid, alive)
            },
        )
        .unwrap();
        let Ending::Late((pid, alive)) = ending else {
            panic!("sleep 30 ended within 200 ms")
        };
        assert!(alive, "at_deadline runs before the kill");
        // Killed and reaped: no /proc entry, not even a zombie.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(stat.is_empty(), "{stat}");
    }
}
