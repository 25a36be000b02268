//! A volume that hangs heal info for one program only: its bricks are on a
//! host name (`gl-dns`) that glusterd resolves from the cluster's hosts
//! file, while what `wrap` starts runs in a nested mount namespace whose
//! hosts file lacks it and whose resolver waits long on the black hole.
//! So glfsheal hangs resolving a brick host (`brick-host-dns`) for that
//! volume alone, and every other volume answers.

use crate::cluster::{Cluster, HOST};
use crate::counter::Counter;
use anyhow::Result;

pub struct HungVolume {
    /// The black hole on 127.0.0.1:53, counting the queries it swallows.
    pub hole: Counter,
    dir: std::path::PathBuf,
}

impl HungVolume {
    /// Creates and starts disperse 2+1 volume `name` on `gl-dns` bricks.
    pub fn create(c: &Cluster, name: &str) -> Result<HungVolume> {
        c.set_hosts(&format!(
            "127.0.0.1 localhost\n{} {HOST}\n{} gl-dns\n",
            c.host_addr(),
            c.host_addr()
        ))?;
        let bricks: Vec<String> = (0..3)
            .map(|i| format!("gl-dns:{}", c.brick_dir(name, i).display()))
            .collect();
        c.sh(&format!(
            "gluster --mode=script volume create {name} disperse-data 2 redundancy 1 {} force && gluster --mode=script volume start {name}",
            bricks.join(" ")
        ))?;
        c.wait_bricks_online(name, 3)?;
        let dir = c.dir.path().to_path_buf();
        std::fs::write(
            dir.join("hosts-without-gl-dns"),
            format!("127.0.0.1 localhost\n{} {HOST}\n", c.host_addr()),
        )?;
        // A resolver that waits long, as a real unreachable DNS server makes it.
        std::fs::write(
            dir.join("resolv-slow.conf"),
            "nameserver 127.0.0.1\noptions timeout:10 attempts:3\n",
        )?;
        let hole = Counter::start(c, "127.0.0.1:53", "dns")?;
        Ok(HungVolume { hole, dir })
    }

    /// `argv` to run inside the cluster, in the namespace where gl-dns
    /// resolves only through the black hole.
    pub fn wrap(&self, argv: &[String]) -> Vec<String> {
        let script = format!(
            "mount --bind {d}/hosts-without-gl-dns /etc/hosts && mount --bind {d}/resolv-slow.conf /etc/resolv.conf && exec {}",
            argv.join(" "),
            d = self.dir.display()
        );
        ["unshare", "-m", "bash", "-c", &script]
            .map(String::from)
            .to_vec()
    }
}
