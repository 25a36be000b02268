//! The commit message of a ported fix: upstream's subject and body, then
//! where it came from, then its Change-Id and bug lines.

/// Trailer keys GlusterFS commits end with; they are rewritten, not copied.
const TRAILERS: [&str; 12] = [
    "change-id",
    "fixes",
    "updates",
    "bug",
    "signed-off-by",
    "reviewed-on",
    "reviewed-by",
    "tested-by",
    "smoke",
    "centos-regression",
    "netbsd-regression",
    "credits",
];

fn is_trailer(line: &str) -> bool {
    let l = line.trim();
    l.starts_with('>')
        || l.eq_ignore_ascii_case("backport of:")
        || l.starts_with("(cherry picked from commit")
        || l.split_once(':')
            .is_some_and(|(k, _)| TRAILERS.contains(&k.trim().to_ascii_lowercase().as_str()))
}

/// Builds the message. `signed_off` lines of the original are kept last.
/// `left_out` names the upstream files this port leaves out and `filter`
/// the options that did, so a partial port says so.
pub fn compose(
    original: &str,
    port: &str,
    change_id: Option<&str>,
    bugs: &[String],
    left_out: &[String],
    filter: &[String],
) -> String {
    let lines: Vec<&str> = original.trim_end().lines().collect();
    // The trailing block of trailers (and any quoted "Backport of" block) goes.
    let mut end = lines.len();
    while end > 0 && (lines[end - 1].trim().is_empty() || is_trailer(lines[end - 1])) {
        end -= 1;
    }
    let signed: Vec<&str> = lines[end..]
        .iter()
        .filter(|l| {
            l.trim_start()
                .to_ascii_lowercase()
                .starts_with("signed-off-by:")
                && !l.starts_with('>')
        })
        .copied()
        .collect();
    let mut out = lines[..end].join("\n");
    if !left_out.is_empty() {
        out.push_str(&format!(
            "\n\nLeft out of this backport ({}):\n",
            filter.join(" ")
        ));
        for p in left_out {
            out.push_str(&format!("  {p}\n"));
        }
        out.pop();
    }
    out.push_str(&format!("\n\n(cherry picked from commit {port})\n"));
    if let Some(id) = change_id {
        out.push_str(&format!("Change-Id: {id}\n"));
    }
    for bug in bugs {
        out.push_str(&format!("Fixes: {bug}\n"));
    }
    let mut seen = Vec::new();
    for s in signed {
        if !seen.contains(&s) {
            out.push_str(s.trim());
            out.push('\n');
            seen.push(s);
        }
    }
    out
}

/// The Change-Id a commit message carries, if any.
pub fn change_id(message: &str) -> Option<String> {
    message
        .lines()
        .rev()
        .filter(|l| !l.starts_with('>'))
        .find_map(|l| {
            l.trim()
                .strip_prefix("Change-Id:")
                .map(|v| v.trim().to_string())
        })
}

/// Bug references (`Fixes: bz#1`, `Updates: #2`) a commit message carries.
pub fn bugs(message: &str) -> Vec<String> {
    message
        .lines()
        .filter(|l| !l.starts_with('>'))
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(
                k.trim().to_ascii_lowercase().as_str(),
                "fixes" | "updates" | "bug"
            )
            .then(|| v.trim().to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_trailers_and_keeps_sign_off_last() {
        let orig = "gf-event: Handle unix volfile-servers\n\nProblem:\nx\n\nBackport of:\n> fixes: bz#1\n> Change-Id: I1\n\nfixes: bz#2\nChange-Id: I1\nSigned-off-by: A <a@x>\n";
        let m = compose(
            orig,
            "f4f24c8c",
            Some("I1"),
            &["bz#1".into(), "bz#2".into()],
            &[],
            &[],
        );
        assert_eq!(
            m,
            "gf-event: Handle unix volfile-servers\n\nProblem:\nx\n\n(cherry picked from commit f4f24c8c)\nChange-Id: I1\nFixes: bz#1\nFixes: bz#2\nSigned-off-by: A <a@x>\n"
        );
    }

    #[test]
    fn names_the_files_left_out() {
        let m = compose(
            "x: y\n\nChange-Id: I1\n",
            "abc",
            Some("I1"),
            &[],
            &["tests/a.t".into(), "tests/b.rc".into()],
            &["--exclude 'tests/**'".into()],
        );
        assert_eq!(
            m,
            "x: y\n\nLeft out of this backport (--exclude 'tests/**'):\n  tests/a.t\n  tests/b.rc\n\n(cherry picked from commit abc)\nChange-Id: I1\n"
        );
    }
}
