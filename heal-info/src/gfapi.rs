//! Native libgfapi access (feature `gfapi`): mount a volume the way glfsheal
//! does, with the volfile from glusterd's unix socket, inside this process.
//! `heal-info probe` times `glfs_init` and the subvolumes coming up, which
//! runs the same ec_up -> gf_event path against any build; the tests use it
//! to write files into a volume without a FUSE mount.

#![allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    clippy::all
)]
mod sys {
    include!(concat!(env!("OUT_DIR"), "/gfapi.rs"));
}

use anyhow::{bail, Context, Result};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where libgfapi is: under `prefix`, or the system's.
pub fn library(prefix: Option<&Path>) -> PathBuf {
    match prefix {
        Some(p) => [
            "lib/libgfapi.so.0",
            "lib64/libgfapi.so.0",
            "lib/x86_64-linux-gnu/libgfapi.so.0",
        ]
        .iter()
        .map(|l| p.join(l))
        .find(|l| l.exists())
        .unwrap_or_else(|| p.join("lib/libgfapi.so.0")),
        None => PathBuf::from("libgfapi.so.0"),
    }
}

/// glfs_init failed: the only step that talks to glusterd and the bricks,
/// and so the only one whose reason is in gfapi's log.
#[derive(Debug)]
pub struct InitFailed {
    pub volume: String,
}

impl std::fmt::Display for InitFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "glfs_init for {} failed", self.volume)
    }
}

impl std::error::Error for InitFailed {}

pub struct Mount {
    api: sys::Gfapi,
    fs: *mut sys::glfs_t,
    pub init_seconds: f64,
}

impl Mount {
    /// Mounts `volume` through `socket` (glusterd's unix socket), logging to `log`.
    pub fn new(lib: &Path, volume: &str, socket: &Path, log: &Path) -> Result<Mount> {
        let api = unsafe { sys::Gfapi::new(lib) }
            .with_context(|| format!("loading {}", lib.display()))?;
        let c = |s: &str| CString::new(s).expect("no NUL in names");
        let vol = c(volume);
        let fs = unsafe { api.glfs_new(vol.as_ptr()) };
        if fs.is_null() {
            bail!("glfs_new({volume}) failed");
        }
        let (unix, sock) = (c("unix"), c(&socket.to_string_lossy()));
        let logc = c(&log.to_string_lossy());
        unsafe {
            if api.glfs_set_volfile_server(fs, unix.as_ptr(), sock.as_ptr(), 0) != 0 {
                bail!("glfs_set_volfile_server(unix, {}) failed", socket.display());
            }
            api.glfs_set_logging(fs, logc.as_ptr(), 7);
        }
        let t = Instant::now();
        let rc = unsafe { api.glfs_init(fs) };
        let init_seconds = t.elapsed().as_secs_f64();
        if rc != 0 {
            unsafe { api.glfs_fini(fs) };
            return Err(InitFailed {
                volume: volume.to_string(),
            }
            .into());
        }
        Ok(Mount {
            api,
            fs,
            init_seconds,
        })
    }

    /// Creates `path` with `data`.
    pub fn write_file(&self, path: &str, data: &[u8]) -> Result<()> {
        let p = CString::new(path)?;
        unsafe {
            let fd = self
                .api
                .glfs_creat(self.fs, p.as_ptr(), libc_flags(), 0o644);
            if fd.is_null() {
                bail!("glfs_creat({path}) failed");
            }
            let n = self.api.glfs_write(fd, data.as_ptr().cast(), data.len(), 0);
            self.api.glfs_close(fd);
            if n < 0 || n as usize != data.len() {
                bail!("glfs_write({path}) wrote {n} of {} bytes", data.len());
            }
        }
        Ok(())
    }
}

fn libc_flags() -> std::os::raw::c_int {
    0o1 | 0o100 | 0o1000 // O_WRONLY | O_CREAT | O_TRUNC
}

impl Drop for Mount {
    fn drop(&mut self) {
        unsafe { self.api.glfs_fini(self.fs) };
    }
}
