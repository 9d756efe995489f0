//! Parsers for the system files several checks share: os-release, the kernel release, the
//! kernel command line, cpuinfo, meminfo, modules, mounts and the TCP socket tables.
//!
//! Each takes a [`Host`] so it reads the live system or a fixture tree alike. procfs-core's
//! parsers are used where they are safe on any input; cpuinfo is parsed here because
//! procfs-core asserts (panics) on an empty file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::net::SocketAddr;

use procfs_core::{ExplicitSystemInfo, FromBufRead, FromBufReadSI};

use crate::host::{Host, HostError};

/// The parts of os-release the checks use, plus the vendor release file where os-release is
/// too coarse (CentOS 7 says `7`, not `7.9`; Kylin hides the service pack).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsRelease {
    pub id: String,
    pub id_like: Vec<String>,
    pub version_id: String,
    pub pretty_name: String,
    /// The first line of `/etc/centos-release`, `/etc/redhat-release` or `/etc/.productinfo`.
    pub vendor_release: Option<String>,
}

impl OsRelease {
    pub fn read(host: &Host) -> Result<OsRelease, HostError> {
        let (path, text) = match host.read_optional("/etc/os-release")? {
            Some(text) => ("/etc/os-release", text),
            None => ("/usr/lib/os-release", host.read("/usr/lib/os-release")?),
        };
        let mut release = OsRelease::parse(&text);
        if release.id.is_empty() {
            return Err(HostError::new(path, "no ID= line"));
        }
        for vendor_file in [
            "/etc/centos-release",
            "/etc/redhat-release",
            "/etc/.productinfo",
        ] {
            if let Some(text) = host.read_optional(vendor_file)?
                && let Some(line) = text.lines().map(str::trim).find(|line| !line.is_empty())
            {
                release.vendor_release = Some(line.to_owned());
                break;
            }
        }
        Ok(release)
    }

    pub fn parse(text: &str) -> OsRelease {
        let mut release = OsRelease::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            match key.trim() {
                "ID" => release.id = value.to_lowercase(),
                "ID_LIKE" => {
                    release.id_like = value.split_whitespace().map(str::to_lowercase).collect()
                }
                "VERSION_ID" => release.version_id = value,
                "PRETTY_NAME" => release.pretty_name = value,
                _ => {}
            }
        }
        release
    }

    /// Red Hat family by package manager: RHEL, CentOS, Rocky, Alma, Kylin, openEuler.
    pub fn is_rpm_family(&self) -> bool {
        const RPM: [&str; 7] = [
            "rhel",
            "centos",
            "fedora",
            "rocky",
            "almalinux",
            "kylin",
            "openeuler",
        ];
        RPM.contains(&self.id.as_str())
            || self.id_like.iter().any(|like| RPM.contains(&like.as_str()))
    }

    pub fn is_debian_family(&self) -> bool {
        self.id == "ubuntu"
            || self.id == "debian"
            || self
                .id_like
                .iter()
                .any(|like| like == "debian" || like == "ubuntu")
    }

    pub fn is_centos7(&self) -> bool {
        self.id == "centos" && (self.version_id == "7" || self.version_id.starts_with("7."))
    }
}

fn unquote(value: &str) -> String {
    let trimmed = value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .or_else(|| {
            value
                .strip_prefix('\'')
                .and_then(|inner| inner.strip_suffix('\''))
        })
        .unwrap_or(value);
    trimmed.replace("\\\"", "\"")
}

/// `uname -r` as the kernel publishes it in procfs.
pub fn kernel_release(host: &Host) -> Result<String, HostError> {
    let text = host.read("/proc/sys/kernel/osrelease")?;
    let release = text.trim();
    if release.is_empty() {
        return Err(HostError::new("/proc/sys/kernel/osrelease", "empty"));
    }
    Ok(release.to_owned())
}

/// The numeric `A.B.C` of a kernel release such as `4.18.0-372.9.1.el8.x86_64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelVersion(pub u32, pub u32, pub u32);

impl KernelVersion {
    pub fn parse(release: &str) -> Option<KernelVersion> {
        let numeric = release.split(['-', '+', '_', ' ']).next()?;
        let mut parts = numeric.split('.').map(|part| part.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next()?.ok()?;
        let patch = match parts.next() {
            Some(Ok(patch)) => patch,
            Some(Err(_)) => return None,
            None => 0,
        };
        Some(KernelVersion(major, minor, patch))
    }
}

impl std::fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The kernel command line split like the kernel does: on spaces, keeping double-quoted values
/// together (procfs's own split ignores quotes and keeps the trailing newline).
pub fn kernel_cmdline(host: &Host) -> Result<Vec<String>, HostError> {
    Ok(split_cmdline(&host.read("/proc/cmdline")?))
}

pub fn split_cmdline(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for character in text.trim().chars() {
        match character {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// One block of `/proc/cpuinfo` (one logical CPU), keys as the kernel spells them.
pub type CpuBlock = BTreeMap<String, String>;

pub fn cpuinfo(host: &Host) -> Result<Vec<CpuBlock>, HostError> {
    let blocks = parse_cpuinfo(&host.read("/proc/cpuinfo")?);
    if blocks.is_empty() {
        return Err(HostError::new("/proc/cpuinfo", "no processor entries"));
    }
    Ok(blocks)
}

pub fn parse_cpuinfo(text: &str) -> Vec<CpuBlock> {
    let mut blocks = Vec::new();
    let mut current = CpuBlock::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if current.contains_key("processor") {
                blocks.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        current.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    if current.contains_key("processor") {
        blocks.push(current);
    }
    blocks
}

/// CPU feature flags: x86 `flags`, or aarch64 `Features`.
pub fn cpu_flags(block: &CpuBlock) -> BTreeSet<&str> {
    block
        .get("flags")
        .or_else(|| block.get("Features"))
        .map(|flags| flags.split_whitespace().collect())
        .unwrap_or_default()
}

/// Loaded modules from `/proc/modules`. Built-in modules are not listed there; see
/// [`module_enabled`].
pub fn loaded_modules(host: &Host) -> Result<BTreeSet<String>, HostError> {
    let text = host.read("/proc/modules")?;
    let modules = procfs_core::KernelModules::from_buf_read(Cursor::new(text.as_bytes()))
        .map_err(|error| HostError::new("/proc/modules", format!("malformed: {error}")))?;
    Ok(modules.0.into_keys().collect())
}

/// Whether a module is available to the running kernel without loading anything: loaded
/// (`/proc/modules`), or built in (`/sys/module/NAME` without a `refcnt`, or listed in
/// `modules.builtin`).
pub fn module_enabled(
    host: &Host,
    loaded: &BTreeSet<String>,
    kernel_release: &str,
    name: &str,
) -> Result<ModuleState, HostError> {
    if loaded.contains(name) {
        return Ok(ModuleState::Loaded);
    }
    if host.is_dir(&format!("/sys/module/{name}"))?
        && !host.exists(&format!("/sys/module/{name}/refcnt"))?
    {
        return Ok(ModuleState::BuiltIn);
    }
    if let Some(builtin) =
        host.read_optional(&format!("/lib/modules/{kernel_release}/modules.builtin"))?
        && builtin.lines().any(|line| {
            line.rsplit('/')
                .next()
                .and_then(|file| file.strip_suffix(".ko"))
                == Some(name)
        })
    {
        return Ok(ModuleState::BuiltIn);
    }
    Ok(ModuleState::Missing)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleState {
    Loaded,
    BuiltIn,
    Missing,
}

/// `/proc/meminfo` total and swap, in bytes.
pub struct Memory {
    pub total_bytes: u64,
    pub swap_total_bytes: u64,
}

pub fn memory(host: &Host) -> Result<Memory, HostError> {
    // Parsed here rather than with procfs-core, whose Meminfo demands fields that trimmed-down
    // kernels and containers omit; only two keys matter.
    let text = host.read("/proc/meminfo")?;
    let field = |name: &str| -> Result<u64, HostError> {
        let line = text
            .lines()
            .find(|line| line.split(':').next() == Some(name))
            .ok_or_else(|| HostError::new("/proc/meminfo", format!("no {name} line")))?;
        let value = line.split(':').nth(1).unwrap_or("").trim();
        let kibibytes = value
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .map_err(|_| {
                HostError::new("/proc/meminfo", format!("malformed {name} value '{value}'"))
            })?;
        Ok(kibibytes * 1024)
    };
    Ok(Memory {
        total_bytes: field("MemTotal")?,
        swap_total_bytes: field("SwapTotal")?,
    })
}

/// One mount as the kernel reports it in `/proc/self/mountinfo` (or `/proc/mounts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
    pub options: BTreeSet<String>,
}

pub fn mounts(host: &Host) -> Result<Vec<Mount>, HostError> {
    if let Some(text) = host.read_optional("/proc/self/mountinfo")? {
        let infos = procfs_core::process::MountInfos::from_buf_read(Cursor::new(text.as_bytes()))
            .map_err(|error| {
            HostError::new("/proc/self/mountinfo", format!("malformed: {error}"))
        })?;
        return Ok(infos
            .into_iter()
            .map(|info| {
                let mut options: BTreeSet<String> = info.mount_options.into_keys().collect();
                options.extend(info.super_options.into_keys());
                Mount {
                    mount_point: info.mount_point.to_string_lossy().into_owned(),
                    fs_type: info.fs_type,
                    source: info.mount_source.unwrap_or_default(),
                    options,
                }
            })
            .collect());
    }
    let text = host.read("/proc/mounts")?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [source, mount_point, fs_type, options, ..] = fields.as_slice() else {
                return None;
            };
            Some(Mount {
                mount_point: mount_point.replace("\\040", " "),
                fs_type: (*fs_type).to_owned(),
                source: (*source).to_owned(),
                options: options.split(',').map(str::to_owned).collect(),
            })
        })
        .collect())
}

/// The mount that holds `path`: the longest mount point that is a prefix of it. The last
/// such mount wins, as over-mounts hide earlier ones.
pub fn mount_of<'m>(mounts: &'m [Mount], path: &str) -> Option<&'m Mount> {
    mounts
        .iter()
        .enumerate()
        .filter(|(_, mount)| {
            let point = mount.mount_point.trim_end_matches('/');
            path == mount.mount_point
                || path.starts_with(&format!("{point}/"))
                || mount.mount_point == "/"
        })
        .max_by_key(|(index, mount)| (mount.mount_point.trim_end_matches('/').len(), *index))
        .map(|(_, mount)| mount)
}

/// A listening TCP socket from `/proc/net/tcp` or `tcp6`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub address: SocketAddr,
    pub inode: u64,
}

/// Every TCP socket in the LISTEN state, IPv4 and IPv6: asked of the kernel over netlink on
/// the running system (see [`crate::sock_diag`] for why), read from `/proc/net/tcp{,6}` under
/// `--root` or when netlink is refused (a seccomp profile, a kernel without sock_diag).
pub fn tcp_listeners(host: &Host) -> Result<Vec<Listener>, HostError> {
    if let Some(live) = host.live_system()
        && let Ok(listeners) = live.tcp_listeners()
    {
        return Ok(listeners
            .into_iter()
            .map(|(address, inode)| Listener { address, inode })
            .collect());
    }
    tcp_listeners_from_files(host)
}

/// [`tcp_listeners`] from the files alone.
pub fn tcp_listeners_from_files(host: &Host) -> Result<Vec<Listener>, HostError> {
    // Only addresses, ports, states and inodes are read; the values below feed procfs-core's
    // conversions of timers and queue sizes, which we never look at.
    let system = ExplicitSystemInfo {
        boot_time_secs: 0,
        ticks_per_second: 100,
        page_size: 4096,
        is_little_endian: cfg!(target_endian = "little"),
    };
    let mut listeners = Vec::new();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Some(text) = host.read_optional(path)? else {
            continue;
        };
        let entries =
            procfs_core::net::TcpNetEntries::from_buf_read(Cursor::new(text.as_bytes()), &system)
                .map_err(|error| HostError::new(path, format!("malformed: {error}")))?;
        listeners.extend(
            entries
                .0
                .into_iter()
                .filter(|entry| entry.state == procfs_core::net::TcpState::Listen)
                .map(|entry| Listener {
                    address: entry.local_address,
                    inode: entry.inode,
                }),
        );
    }
    Ok(listeners)
}

/// The processes (pid, command name) holding each socket inode, from `/proc/PID/fd`. Without
/// root only the agent's own processes are visible; an empty map then means "unknown".
pub fn socket_owners(host: &Host) -> Result<BTreeMap<u64, (u32, String)>, HostError> {
    let mut owners = BTreeMap::new();
    for entry in host.list_dir("/proc")?.unwrap_or_default() {
        let Ok(pid) = entry.parse::<u32>() else {
            continue;
        };
        // Processes come and go while we look, and many are unreadable without root.
        let Ok(Some(descriptors)) = host.list_dir(&format!("/proc/{pid}/fd")) else {
            continue;
        };
        for descriptor in descriptors {
            let Ok(Some(target)) = host.read_link(&format!("/proc/{pid}/fd/{descriptor}")) else {
                continue;
            };
            let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inode| inode.parse::<u64>().ok())
            else {
                continue;
            };
            owners.entry(inode).or_insert_with(|| {
                let name = host
                    .read_optional(&format!("/proc/{pid}/comm"))
                    .ok()
                    .flatten()
                    .map(|comm| comm.trim().to_owned())
                    .unwrap_or_else(|| "?".to_owned());
                (pid, name)
            });
        }
    }
    Ok(owners)
}

/// Command names of running processes, from `/proc/PID/comm`.
pub fn process_names(host: &Host) -> Result<BTreeSet<String>, HostError> {
    let mut names = BTreeSet::new();
    for entry in host.list_dir("/proc")?.unwrap_or_default() {
        if entry.parse::<u32>().is_err() {
            continue;
        }
        if let Ok(Some(comm)) = host.read_optional(&format!("/proc/{entry}/comm")) {
            names.insert(comm.trim().to_owned());
        }
    }
    Ok(names)
}

/// Formats a byte count the way people read memory and disk sizes (GiB with one decimal).
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tree;

    #[test]
    fn kernel_versions_keep_only_a_b_c() {
        assert_eq!(
            KernelVersion::parse("4.18.0-372.9.1.el8.x86_64"),
            Some(KernelVersion(4, 18, 0))
        );
        assert_eq!(
            KernelVersion::parse("3.10.0-1160.el7.x86_64"),
            Some(KernelVersion(3, 10, 0))
        );
        assert_eq!(KernelVersion::parse("6.1"), Some(KernelVersion(6, 1, 0)));
        assert_eq!(
            KernelVersion::parse("5.15.0-56-generic"),
            Some(KernelVersion(5, 15, 0))
        );
        assert_eq!(KernelVersion::parse("garbage"), None);
        assert!(KernelVersion(4, 18, 0) < KernelVersion(4, 19, 0));
    }

    #[test]
    fn cmdline_keeps_quoted_values_together_and_drops_the_newline() {
        let tokens = split_cmdline(
            "BOOT_IMAGE=/vmlinuz ro dyndbg=\"file a.c +p\" transparent_hugepage=never\n",
        );
        assert_eq!(
            tokens,
            [
                "BOOT_IMAGE=/vmlinuz",
                "ro",
                "dyndbg=file a.c +p",
                "transparent_hugepage=never"
            ]
        );
    }

    #[test]
    fn os_release_and_vendor_release() {
        let host = Tree::new()
            .file("etc/os-release", "NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n")
            .file("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n")
            .host();
        let release = OsRelease::read(&host).unwrap();
        assert_eq!(release.id, "centos");
        assert_eq!(release.id_like, ["rhel", "fedora"]);
        assert!(release.is_centos7() && release.is_rpm_family() && !release.is_debian_family());
        assert_eq!(
            release.vendor_release.as_deref(),
            Some("CentOS Linux release 7.9.2009 (Core)")
        );
    }

    #[test]
    fn os_release_without_id_is_an_error_naming_the_file() {
        let host = Tree::new().file("etc/os-release", "NAME=thing\n").host();
        assert_eq!(
            OsRelease::read(&host).unwrap_err().to_string(),
            "/etc/os-release: no ID= line"
        );
    }

    #[test]
    fn empty_cpuinfo_is_an_error_not_a_panic() {
        let host = Tree::new().file("proc/cpuinfo", "").host();
        assert_eq!(
            cpuinfo(&host).unwrap_err().to_string(),
            "/proc/cpuinfo: no processor entries"
        );
    }

    #[test]
    fn mount_of_picks_the_longest_and_latest_mount() {
        let mounts = vec![
            Mount {
                mount_point: "/".into(),
                fs_type: "xfs".into(),
                source: "/dev/sda1".into(),
                options: BTreeSet::new(),
            },
            Mount {
                mount_point: "/tmp".into(),
                fs_type: "tmpfs".into(),
                source: "tmpfs".into(),
                options: ["noexec".to_owned()].into(),
            },
            Mount {
                mount_point: "/tmpfoo".into(),
                fs_type: "tmpfs".into(),
                source: "tmpfs".into(),
                options: BTreeSet::new(),
            },
        ];
        assert_eq!(mount_of(&mounts, "/tmp/x").unwrap().fs_type, "tmpfs");
        assert_eq!(mount_of(&mounts, "/tmp").unwrap().mount_point, "/tmp");
        assert_eq!(mount_of(&mounts, "/var").unwrap().mount_point, "/");
    }

    #[test]
    fn malformed_modules_is_an_error() {
        let host = Tree::new()
            .file("proc/modules", "ip_vs notanumber\n")
            .host();
        assert!(
            loaded_modules(&host)
                .unwrap_err()
                .to_string()
                .starts_with("/proc/modules: malformed")
        );
    }

    #[test]
    fn the_live_kernel_and_the_files_agree_on_this_machine_s_listeners() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = Host::live();
        let mut from_kernel = tcp_listeners(&host).unwrap();
        let mut from_files = tcp_listeners_from_files(&host).unwrap();
        for listeners in [&mut from_kernel, &mut from_files] {
            listeners.sort_by_key(|listener| (listener.address, listener.inode));
            listeners.dedup();
        }
        let address = held.local_addr().unwrap();
        assert!(
            from_kernel
                .iter()
                .any(|listener| listener.address == address)
        );
        // Other processes may open or close listeners between the two reads: compare ours,
        // and require that most of the rest agree.
        let common = from_kernel
            .iter()
            .filter(|listener| from_files.contains(listener))
            .count();
        assert!(
            common * 2 >= from_kernel.len().max(from_files.len()),
            "kernel {from_kernel:?}\nfiles {from_files:?}"
        );
    }

    #[test]
    fn listeners_and_their_owners() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:1A0B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:0016 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0\n";
        let tree = Tree::new()
            .file("proc/net/tcp", tcp)
            .file("proc/731/comm", "kube-apiserver\n")
            .symlink("proc/731/fd/7", "socket:[4242]");
        let host = tree.host();
        let listeners = tcp_listeners(&host).unwrap();
        assert_eq!(
            listeners,
            [Listener {
                address: "0.0.0.0:6667".parse().unwrap(),
                inode: 4242
            }]
        );
        let owners = socket_owners(&host).unwrap();
        assert_eq!(owners.get(&4242), Some(&(731, "kube-apiserver".to_owned())));
    }
}
