//! Running a command where DNS is a black hole: a private mount namespace
//! whose /etc/resolv.conf (bind-mounted, never edited) names 127.0.0.1 with
//! `timeout:1 attempts:1`, and a private network namespace where 127.0.0.1:53
//! is the `blackhole` binary, which counts queries and never answers. The
//! namespaces include a PID one held by `unshare --kill-child` under
//! PR_SET_PDEATHSIG (die-with-parent), so a killed caller leaves nothing.

use die_with_parent::namespace_holder;
use std::path::Path;
use std::time::Instant;

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
    /// Queries the black hole received.
    pub queries: u64,
    /// Each query, in order: `TYPE NAME` (`A /var/run/glusterd.socket`).
    pub asked: Vec<String>,
    pub seconds: f64,
}

/// The resolver settings inside the namespace.
pub const RESOLV_CONF: &str = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";

/// Runs `argv` (with `env`) in the black-hole namespace. `blackhole_bin` is
/// the path of the blackhole executable.
pub fn run(blackhole_bin: &Path, argv: &[&str], env: &[(&str, &str)]) -> Run {
    run_with(blackhole_bin, RESOLV_CONF, argv, env)
}

/// [`run`] with `resolv_conf` as /etc/resolv.conf in the namespace (a
/// `search` line, other timeouts); its nameserver must be 127.0.0.1.
pub fn run_with(
    blackhole_bin: &Path,
    resolv_conf: &str,
    argv: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    std::fs::write(d.join("resolv.conf"), resolv_conf).unwrap();
    let quoted: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
    let exports: String = env
        .iter()
        .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
        .collect();
    let script = format!(
        r#"set -e
ip link set lo up
mount --bind {dir}/resolv.conf /etc/resolv.conf
{bh} 127.0.0.1:53 {dir}/count {dir}/ready 600 &
bh=$!
for i in $(seq 200); do [ -e {dir}/ready ] && break; sleep 0.05; done
[ -e {dir}/ready ] || {{ echo "black hole did not start" >&2; exit 97; }}
{exports}set +e
start=$(date +%s.%N)
{cmd}
rc=$?
end=$(date +%s.%N)
kill $bh 2>/dev/null
echo "$start $end" > {dir}/time
exit $rc
"#,
        dir = d.display(),
        bh = shell_quote(&blackhole_bin.display().to_string()),
        cmd = quoted.join(" "),
    );
    let t = Instant::now();
    // A PID namespace too, so the black hole and the command die with its
    // first process, and that with unshare, and unshare with us.
    let out = namespace_holder(&["-m", "-n"], &script)
        .output()
        .expect("running unshare");
    let elapsed = t.elapsed();
    let queries = std::fs::read_to_string(d.join("count"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let asked = std::fs::read_to_string(d.join("count.queries"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let seconds = std::fs::read_to_string(d.join("time"))
        .ok()
        .and_then(|s| {
            let v: Vec<f64> = s
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            (v.len() == 2).then(|| v[1] - v[0])
        })
        .unwrap_or(elapsed.as_secs_f64());
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
        queries,
        asked,
        seconds,
    }
}

/// The `blackhole` program cargo built for this workspace, built now if it
/// is missing (`cargo run -p xtask` builds only the xtask binary).
pub fn built() -> anyhow::Result<std::path::PathBuf> {
    let bh = crate::paths::built("debug", "blackhole")?;
    if !bh.exists() {
        duct::cmd!(
            "cargo",
            "build",
            "--quiet",
            "-p",
            "xtask",
            "--bin",
            "blackhole"
        )
        .dir(crate::paths::root())
        .run()?;
    }
    Ok(bh)
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
