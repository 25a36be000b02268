//! The git binary, for what git2 does not do or does not do as git does:
//! clones, `git archive`, cherry-picks, work trees, `git cherry`. Every
//! failure names the command, the directory and git's own words.

use super::Repository;
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// git, run in one directory, optionally with a fixed identity (for commits
/// made in a scratch repository on a machine that has none).
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    identity: Option<(String, String)>,
}

/// git in `dir`.
pub fn at(dir: &Path) -> Git {
    Git {
        dir: dir.to_path_buf(),
        identity: None,
    }
}

impl Git {
    /// Commits made by this runner are by `name <email>`.
    pub fn with_identity(mut self, name: &str, email: &str) -> Self {
        self.identity = Some((name.into(), email.into()));
        self
    }

    /// The command, not yet run: for pipes (`git archive | tar -x`) and for
    /// callers that read the exit status themselves.
    pub fn command<I, S>(&self, args: I) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut all: Vec<OsString> = Vec::new();
        if let Some((name, email)) = &self.identity {
            for kv in [format!("user.name={name}"), format!("user.email={email}")] {
                all.push("-c".into());
                all.push(kv.into());
            }
        }
        all.extend(args.into_iter().map(Into::into));
        duct::cmd("git", all).dir(&self.dir)
    }

    /// Runs git; its stdout, trimmed at the end. An error carries git's
    /// stderr.
    pub fn read<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let shown = args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let out = self
            .command(args)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .with_context(|| self.why_not_started(&shown))?;
        if !out.status.success() {
            bail!(
                "git {shown} failed in {}: {}",
                self.dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// What to say when git could not even start: the folder it was to run
    /// in is gone, or there is no git.
    fn why_not_started(&self, shown: &str) -> String {
        if self.dir.is_dir() {
            format!("running git {shown} (is git installed?)")
        } else {
            format!(
                "running git {shown}: the folder to run it in, {}, does not exist",
                self.dir.display()
            )
        }
    }

    /// Runs git for its effect.
    pub fn run<I, S>(&self, args: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.read(args).map(drop)
    }

    /// Whether git succeeds; its output is discarded. For commands whose
    /// failure is an answer (a cherry-pick that conflicts).
    pub fn succeeds<I, S>(&self, args: I) -> Result<bool>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Ok(self
            .command(args)
            .stdout_null()
            .stderr_null()
            .unchecked()
            .run()
            .with_context(|| self.why_not_started("(a check)"))?
            .status
            .success())
    }
}

/// `git clone [FLAGS] SRC DEST`.
pub fn clone(src: &Path, dest: &Path, flags: &[&str]) -> Result<()> {
    // Run where the caller is, not in dest's parent: git makes the leading
    // directories of dest itself, which may not exist yet (a chroot's
    // /work), and relative paths keep the caller's meaning.
    let mut args: Vec<OsString> = vec!["clone".into(), "--quiet".into()];
    args.extend(flags.iter().map(OsString::from));
    args.push(src.into());
    args.push(dest.into());
    at(Path::new("."))
        .run(args)
        .with_context(|| format!("cloning {} to {}", src.display(), dest.display()))
}

/// Writes the tree of `commit` in `repo` to `dest` (`git archive | tar -x`):
/// a clean copy, with nothing of the repository's work tree or index.
pub fn archive_into(repo: &Path, commit: &str, dest: &Path) -> Result<()> {
    at(repo)
        .command(["archive", "--format=tar", commit])
        .pipe(duct::cmd!("tar", "-x", "-C", dest))
        .stdout_null()
        .run()
        .with_context(|| {
            format!(
                "exporting {commit} of {} to {}",
                repo.display(),
                dest.display()
            )
        })?;
    Ok(())
}

/// Gives `repo` a local identity when git has none for it (a fresh
/// machine, a CI runner), so the commits made in it can be written.
pub fn ensure_identity(repo: &Repository, name: &str, email: &str) -> Result<()> {
    if repo.signature().is_err() {
        let mut cfg = repo.config()?.open_level(git2::ConfigLevel::Local)?;
        cfg.set_str("user.name", name)?;
        cfg.set_str("user.email", email)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_the_command_and_gits_words() {
        let dir = tempfile::tempdir().unwrap();
        // A ref no repository has: the temp dir may sit inside one (the
        // suite's TMPDIR is under the target dir).
        let e = at(dir.path())
            .read(["rev-parse", "--verify", "--quiet", "refs/no/such/ref"])
            .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("git rev-parse --verify --quiet refs/no/such/ref failed in"),
            "{msg}"
        );
        let e = at(dir.path()).read(["no-such-subcommand"]).unwrap_err();
        assert!(format!("{e:#}").contains("is not a git command"), "{e:#}");
    }

    #[test]
    fn clone_makes_the_leading_directories_of_its_destination() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let g = at(dir.path()).with_identity("Kit Test", "kit@example.org");
        g.run(["init", "-q", "src"]).unwrap();
        at(&src)
            .with_identity("Kit Test", "kit@example.org")
            .run(["commit", "-q", "--allow-empty", "-m", "x"])
            .unwrap();
        let dest = dir.path().join("not/yet/there/kit");
        clone(&src, &dest, &["--no-hardlinks"]).unwrap();
        assert_eq!(at(&dest).read(["log", "-1", "--format=%s"]).unwrap(), "x");
    }

    #[test]
    fn a_missing_folder_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let msg = format!("{:#}", at(&gone).read(["status"]).unwrap_err());
        assert!(msg.contains("does not exist"), "{msg}");
        assert!(msg.contains(&gone.display().to_string()), "{msg}");
    }

    #[test]
    fn commits_with_the_given_identity() {
        let dir = tempfile::tempdir().unwrap();
        let g = at(dir.path()).with_identity("Kit Test", "kit@example.org");
        g.run(["init", "-q"]).unwrap();
        g.run(["commit", "-q", "--allow-empty", "-m", "x"]).unwrap();
        assert_eq!(
            g.read(["log", "-1", "--format=%an <%ae>"]).unwrap(),
            "Kit Test <kit@example.org>"
        );
        assert!(!g.succeeds(["rev-parse", "no-such-ref"]).unwrap());
    }
}
