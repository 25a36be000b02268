//! How the resolver shim is installed on this host, and whether the files
//! that decide what every process loads are safe: `/etc/ld.so.preload` and
//! the library it names, systemd drop-ins that set `LD_PRELOAD`, and
//! `/etc/gfresolv.conf`. A library, preload list or drop-in that someone
//! other than root can write is a way into every process (or every
//! glusterd start) on the host; a config file like that is ignored by the
//! shim, so its settings silently do not apply. Which config file the shim
//! ignores is decided by the shim's own rules (`gfresolv_conf`).

use serde::Serialize;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct ShimInstall {
    /// "ld.so.preload", "drop-in", "ld.so.preload+drop-in" or "none".
    pub method: String,
    /// Drop-ins that preload the shim.
    pub dropins: Vec<String>,
    /// /etc/gfresolv.conf, when there is one.
    pub config: Option<String>,
    /// Files and directories others than root can change, each with why.
    pub writable: Vec<String>,
    /// Whether one of them lets others run code as root (the library, the
    /// preload list, a drop-in, or a directory holding one).
    #[serde(skip)]
    pub code_writable: bool,
}

fn shim_paths(text: &str) -> Vec<PathBuf> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '=' || c == '"')
        .filter(|w| w.starts_with('/') && w.contains("libgfresolv"))
        .map(PathBuf::from)
        .collect()
}

/// What is wrong with `path`'s ownership or mode, if anything.
fn problem(path: &Path) -> Option<String> {
    let m = std::fs::symlink_metadata(path).ok()?;
    let sticky = m.is_dir() && m.mode() & 0o1000 != 0;
    if m.uid() != 0 {
        Some(format!("{} is owned by uid {}", path.display(), m.uid()))
    } else if m.mode() & 0o022 != 0 && !sticky && !m.file_type().is_symlink() {
        Some(format!("{} is writable by group or others", path.display()))
    } else {
        None
    }
}

/// Why the shim would ignore a config file with this metadata, by the
/// shim's own rules; None when it counts.
fn config_refused(m: &std::fs::Metadata) -> Option<String> {
    let st = gfresolv_conf::Stat {
        mode: m.mode(),
        uid: m.uid(),
        size: m.size(),
    };
    match gfresolv_conf::judge(st).err()? {
        gfresolv_conf::Refusal::NotRootOwned => Some(format!("is owned by uid {}", m.uid())),
        why => Some(why.reason().to_string()),
    }
}

pub fn inspect(etc: &Path) -> ShimInstall {
    let preload_file = etc.join("ld.so.preload");
    let preloaded = shim_paths(&std::fs::read_to_string(&preload_file).unwrap_or_default());
    let mut dropins = Vec::new();
    let mut libs = preloaded.clone();
    let units = etc.join("systemd/system");
    for unit in std::fs::read_dir(&units).into_iter().flatten().flatten() {
        if !unit.file_name().to_string_lossy().ends_with(".d") {
            continue;
        }
        for f in std::fs::read_dir(unit.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            let found = shim_paths(&text);
            if !found.is_empty() {
                dropins.push(f.path());
                libs.extend(found);
            }
        }
    }
    let method = match (!preloaded.is_empty(), !dropins.is_empty()) {
        (true, true) => "ld.so.preload+drop-in",
        (true, false) => "ld.so.preload",
        (false, true) => "drop-in",
        (false, false) => "none",
    };
    libs.sort();
    libs.dedup();
    let mut code: Vec<PathBuf> = Vec::new();
    if !preloaded.is_empty() {
        code.push(preload_file);
    }
    code.extend(dropins.iter().cloned());
    for lib in &libs {
        code.push(lib.clone());
        if let Some(dir) = lib.parent() {
            code.push(dir.to_path_buf());
        }
    }
    code.dedup();
    let mut writable: Vec<String> = code.iter().filter_map(|p| problem(p)).collect();
    let code_writable = !writable.is_empty();
    let conf = etc.join("gfresolv.conf");
    let config = std::fs::symlink_metadata(&conf).ok().map(|m| {
        if let Some(why) = config_refused(&m) {
            writable.push(format!("{} {why} (the shim ignores it)", conf.display()));
        }
        conf.display().to_string()
    });
    ShimInstall {
        method: method.to_string(),
        dropins: dropins.iter().map(|p| p.display().to_string()).collect(),
        config,
        writable,
        code_writable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn finds_the_method_and_files_others_can_write() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        let lib = dir.path().join("lib64");
        std::fs::create_dir_all(etc.join("systemd/system/glusterd.service.d")).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        let so = lib.join("libgfresolv.so");
        std::fs::write(&so, "").unwrap();
        std::fs::set_permissions(&so, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(inspect(&etc).method, "none");
        std::fs::write(
            etc.join("systemd/system/glusterd.service.d/gfresolv.conf"),
            format!("[Service]\nEnvironment=LD_PRELOAD={}\n", so.display()),
        )
        .unwrap();
        assert_eq!(inspect(&etc).method, "drop-in");
        std::fs::write(etc.join("ld.so.preload"), format!("{}\n", so.display())).unwrap();
        let i = inspect(&etc);
        assert_eq!(i.method, "ld.so.preload+drop-in");
        if nix_root() {
            assert!(i.writable.is_empty(), "{:?}", i.writable);
            std::fs::set_permissions(&so, std::fs::Permissions::from_mode(0o775)).unwrap();
            let i = inspect(&etc);
            assert!(i.code_writable);
            assert_eq!(
                i.writable,
                vec![format!("{} is writable by group or others", so.display())]
            );
            std::fs::write(etc.join("gfresolv.conf"), "only = glfsheal\n").unwrap();
            std::fs::set_permissions(
                etc.join("gfresolv.conf"),
                std::fs::Permissions::from_mode(0o666),
            )
            .unwrap();
            assert!(inspect(&etc).writable[1]
                .ends_with("gfresolv.conf is writable by group or others (the shim ignores it)"));
        }
    }

    #[test]
    fn a_config_file_is_reported_ignored_by_the_shims_own_rules() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path();
        let conf = etc.join("gfresolv.conf");
        let said = |etc: &Path| inspect(etc).writable;
        std::fs::write(&conf, "mode = loopback\n").unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
        if !nix_root() {
            let uid = std::fs::metadata(&conf).unwrap().uid();
            assert_eq!(
                said(etc),
                vec![format!(
                    "{} is owned by uid {uid} (the shim ignores it)",
                    conf.display()
                )]
            );
            return;
        }
        assert!(said(etc).is_empty(), "{:?}", said(etc));
        std::fs::write(&conf, "#".repeat(gfresolv_conf::MAX + 1)).unwrap();
        assert_eq!(
            said(etc),
            vec![format!(
                "{} is larger than 4096 bytes (the shim ignores it)",
                conf.display()
            )]
        );
        std::fs::remove_file(&conf).unwrap();
        std::fs::create_dir(&conf).unwrap();
        assert_eq!(
            said(etc),
            vec![format!(
                "{} is not a regular file (the shim ignores it)",
                conf.display()
            )]
        );
        std::fs::remove_dir(&conf).unwrap();
        std::os::unix::fs::symlink("/dev/null", &conf).unwrap();
        assert_eq!(
            said(etc),
            vec![format!(
                "{} is a symlink (the shim ignores it)",
                conf.display()
            )]
        );
    }

    fn nix_root() -> bool {
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
}
