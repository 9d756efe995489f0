//! The only door from a check to the machine: files under a root, a short allow-list of
//! read-only queries, and a few live system calls.
//!
//! The agent must never change the host. That is structural here, not a promise: `Host` has no
//! method that writes, creates, renames or deletes, and the only programs it can run are the
//! fixed argument vectors of [`Query`]. With `--root` the same checks read a fixture tree or a
//! mounted disk image, and everything that needs the running system reports that it cannot.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Files larger than this are not read whole: nothing a check needs comes close, and a stray
/// device node or a huge log must not make the agent hang or swell.
const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;

/// Symlinks followed while resolving one path under a root, as the kernel's own limit.
const MAX_SYMLINK_HOPS: u32 = 40;

/// A query that runs longer than this is stopped and reported as an error.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Directories searched for programs, in the order a root shell would search them. The user's
/// `PATH` is not used: the agent runs under sudo, often with a reset environment anyway.
pub const SYSTEM_PATH: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// A file could not be read: the path (as seen on the host, not under the root) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct HostError {
    pub path: String,
    pub reason: String,
}

impl HostError {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> HostError {
        HostError {
            path: path.into(),
            reason: reason.into(),
        }
    }

    fn io(path: &str, error: &io::Error) -> HostError {
        let reason = match error.kind() {
            io::ErrorKind::PermissionDenied => "permission denied (run as root)".to_owned(),
            io::ErrorKind::InvalidData => "not valid text".to_owned(),
            _ => error.to_string().to_lowercase(),
        };
        HostError::new(path, reason)
    }
}

/// Where the checks look.
#[derive(Clone, Debug)]
pub struct Host {
    root: PathBuf,
    live: bool,
}

impl Host {
    /// The running system: files under `/`, queries and system calls allowed.
    pub fn live() -> Host {
        Host {
            root: PathBuf::from("/"),
            live: true,
        }
    }

    /// A tree holding `proc/`, `sys/`, `etc/`… of another system. Only files are read.
    pub fn rooted(root: impl Into<PathBuf>) -> Host {
        Host {
            root: root.into(),
            live: false,
        }
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The live system calls, or `None` under `--root`, where a check must say it cannot tell.
    pub fn live_system(&self) -> Option<LiveSystem> {
        self.live.then_some(LiveSystem { _private: () })
    }

    /// Reads a whole text file. A missing file is an error: use [`Host::read_optional`] where
    /// absence is an answer.
    pub fn read(&self, path: &str) -> Result<String, HostError> {
        self.read_optional(path)?
            .ok_or_else(|| HostError::new(path, "no such file"))
    }

    /// Reads a whole text file, `None` when it does not exist. Invalid UTF-8 is replaced rather
    /// than refused: these files are configuration written by people and tools.
    pub fn read_optional(&self, path: &str) -> Result<Option<String>, HostError> {
        let resolved = self.resolve(path)?;
        // Regular files only: a FIFO planted under --root (or in /etc) would block the check
        // forever, a device would never end.
        match ironprep_input::read(&resolved, MAX_READ_BYTES) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(ironprep_input::ReadError::Io(error)) if is_absent(&error) => Ok(None),
            Err(ironprep_input::ReadError::Io(error)) => Err(HostError::io(path, &error)),
            Err(error) => Err(HostError::new(path, error.to_string())),
        }
    }

    /// Whether anything (file, directory, dangling symlink) exists at `path`.
    pub fn exists(&self, path: &str) -> Result<bool, HostError> {
        let resolved = self.resolve_parent(path)?;
        match fs::symlink_metadata(&resolved) {
            Ok(_) => Ok(true),
            Err(error) if is_absent(&error) => Ok(false),
            Err(error) => Err(HostError::io(path, &error)),
        }
    }

    pub fn is_dir(&self, path: &str) -> Result<bool, HostError> {
        let resolved = self.resolve(path)?;
        match fs::metadata(&resolved) {
            Ok(metadata) => Ok(metadata.is_dir()),
            Err(error) if is_absent(&error) => Ok(false),
            Err(error) => Err(HostError::io(path, &error)),
        }
    }

    /// The names in a directory, sorted; `None` when the directory does not exist.
    pub fn list_dir(&self, path: &str) -> Result<Option<Vec<String>>, HostError> {
        let resolved = self.resolve(path)?;
        let entries = match fs::read_dir(&resolved) {
            Ok(entries) => entries,
            Err(error) if is_absent(&error) => return Ok(None),
            Err(error) => return Err(HostError::io(path, &error)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| HostError::io(path, &error))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(Some(names))
    }

    /// The target of a symlink as written (not resolved), `None` when `path` is not a symlink.
    pub fn read_link(&self, path: &str) -> Result<Option<String>, HostError> {
        let resolved = self.resolve_parent(path)?;
        match fs::read_link(&resolved) {
            Ok(target) => Ok(Some(target.to_string_lossy().into_owned())),
            Err(error) if is_absent(&error) || error.kind() == io::ErrorKind::InvalidInput => {
                Ok(None)
            }
            Err(error) => Err(HostError::io(path, &error)),
        }
    }

    /// The path of an executable named `name` in the system directories, as seen on the host.
    pub fn find_executable(&self, name: &str) -> Result<Option<String>, HostError> {
        use std::os::unix::fs::PermissionsExt;
        for directory in SYSTEM_PATH {
            let path = format!("{directory}/{name}");
            let resolved = self.resolve(&path)?;
            if let Ok(metadata) = fs::metadata(&resolved)
                && metadata.is_file()
                && metadata.permissions().mode() & 0o111 != 0
            {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }

    /// Runs one of the allow-listed read-only queries.
    pub fn query(&self, query: Query) -> Result<QueryOutput, QueryError> {
        if !self.live {
            return Err(QueryError::NotLive);
        }
        let (program, arguments) = query.argv();
        let Some(executable) = self.find_executable(program).map_err(QueryError::Host)? else {
            return Err(QueryError::NotInstalled(program));
        };
        run_with_timeout(&executable, arguments, QUERY_TIMEOUT).map_err(|reason| {
            QueryError::Failed {
                command: query.command_line(),
                reason,
            }
        })
    }

    /// Maps a host path to the path to open, following symlinks without leaving the root.
    fn resolve(&self, path: &str) -> Result<PathBuf, HostError> {
        self.resolve_with(path, true)
    }

    /// Like `resolve`, but leaves the last component alone so it can be inspected itself.
    fn resolve_parent(&self, path: &str) -> Result<PathBuf, HostError> {
        self.resolve_with(path, false)
    }

    fn resolve_with(&self, path: &str, follow_last: bool) -> Result<PathBuf, HostError> {
        if !path.starts_with('/') {
            return Err(HostError::new(path, "not an absolute path"));
        }
        if self.live {
            // The kernel follows links on the live system, exactly as every other tool sees it.
            return Ok(PathBuf::from(path));
        }
        // Under a root an absolute link such as /etc/resolv.conf -> /run/systemd/... must stay
        // inside the tree: following it naively would read the machine running the agent.
        let mut pending: VecDeque<PathBuf> = Path::new(path)
            .components()
            .filter_map(normal_component)
            .collect();
        let mut resolved = PathBuf::new();
        let mut hops = 0;
        while let Some(component) = pending.pop_front() {
            if component.as_os_str() == OsStr::new("..") {
                resolved.pop();
                continue;
            }
            let candidate = self.root.join(&resolved).join(&component);
            let is_last = pending.is_empty();
            let is_link = fs::symlink_metadata(&candidate)
                .map(|metadata| metadata.file_type().is_symlink())
                .unwrap_or(false);
            if !is_link || (is_last && !follow_last) {
                resolved.push(component);
                continue;
            }
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return Err(HostError::new(path, "too many levels of symbolic links"));
            }
            let target = fs::read_link(&candidate).map_err(|error| HostError::io(path, &error))?;
            if target.is_absolute() {
                resolved.clear();
            }
            for (index, part) in target.components().filter_map(normal_component).enumerate() {
                pending.insert(index, part);
            }
        }
        Ok(self.root.join(resolved))
    }
}

/// `..` is kept as a marker (handled by the resolver); `/` and `.` vanish.
fn normal_component(component: Component<'_>) -> Option<PathBuf> {
    match component {
        Component::Normal(name) => Some(PathBuf::from(name)),
        Component::ParentDir => Some(PathBuf::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    }
}

fn is_absent(error: &io::Error) -> bool {
    // ENOTDIR: a path through a regular file, which for our purposes simply is not there.
    error.kind() == io::ErrorKind::NotFound || error.raw_os_error() == Some(nix::libc::ENOTDIR)
}

/// The complete list of programs the agent may run. Each is read-only and has a fixed argument
/// vector: no check can compose a command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// `systemctl show --property=DefaultTasksMax`
    SystemdDefaultTasksMax,
    /// `sshd -T`: the effective sshd configuration, includes and defaults applied.
    SshdEffectiveConfig,
    /// Every installed RPM package name.
    RpmPackages,
    /// `snap list`
    SnapPackages,
    /// `sudo -n true`: whether the invoking user may use sudo without a password.
    SudoWithoutPassword,
    /// `ip -o addr show`: addresses with their `dynamic` (DHCP) flag.
    IpAddresses,
    /// `nft list ruleset`: the live nftables ruleset (also iptables-nft rules). Listing loads no
    /// module; run only where nf_tables is loaded or built in.
    NftRuleset,
    /// `iptables-legacy-save -t filter` / `iptables-save -t filter` and the ip6tables pair:
    /// legacy iptables filter rules. Run only when `/proc/net/ip*_tables_names` lists the
    /// filter table: for an absent table the program would modprobe it.
    IptablesLegacySave,
    IptablesSave,
    Ip6tablesLegacySave,
    Ip6tablesSave,
}

impl Query {
    pub const ALL: [Query; 11] = [
        Query::SystemdDefaultTasksMax,
        Query::SshdEffectiveConfig,
        Query::RpmPackages,
        Query::SnapPackages,
        Query::SudoWithoutPassword,
        Query::IpAddresses,
        Query::NftRuleset,
        Query::IptablesLegacySave,
        Query::IptablesSave,
        Query::Ip6tablesLegacySave,
        Query::Ip6tablesSave,
    ];

    pub fn argv(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Query::SystemdDefaultTasksMax => ("systemctl", &["show", "--property=DefaultTasksMax"]),
            Query::SshdEffectiveConfig => ("sshd", &["-T"]),
            Query::RpmPackages => ("rpm", &["-qa", "--queryformat", "%{NAME}\\n"]),
            Query::SnapPackages => ("snap", &["list"]),
            Query::SudoWithoutPassword => ("sudo", &["-n", "true"]),
            Query::IpAddresses => ("ip", &["-o", "addr", "show"]),
            Query::NftRuleset => ("nft", &["list", "ruleset"]),
            Query::IptablesLegacySave => ("iptables-legacy-save", &["-t", "filter"]),
            Query::IptablesSave => ("iptables-save", &["-t", "filter"]),
            Query::Ip6tablesLegacySave => ("ip6tables-legacy-save", &["-t", "filter"]),
            Query::Ip6tablesSave => ("ip6tables-save", &["-t", "filter"]),
        }
    }

    pub fn command_line(self) -> String {
        let (program, arguments) = self.argv();
        std::iter::once(program)
            .chain(arguments.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOutput {
    /// `None` when the program was killed by a signal.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl QueryOutput {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("needs the running system (not available with --root)")]
    NotLive,
    #[error("{0} is not installed")]
    NotInstalled(&'static str),
    #[error("`{command}`: {reason}")]
    Failed { command: String, reason: RunFailure },
    #[error(transparent)]
    Host(HostError),
}

/// Why a query program gave no output. The OS's words are kept as text (lower-cased, as the
/// report shows them) so the error stays comparable and cloneable like the rest of a report.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunFailure {
    #[error("{0}")]
    Spawn(String),
    #[error("{0}")]
    Wait(String),
    #[error("did not finish within {} s", .0.as_secs())]
    TimedOut(Duration),
}

fn run_with_timeout(
    executable: &str,
    arguments: &[&str],
    timeout: Duration,
) -> Result<QueryOutput, RunFailure> {
    let mut child = Command::new(executable)
        .args(arguments)
        .env_clear()
        .env("PATH", SYSTEM_PATH.join(":"))
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| RunFailure::Spawn(error.to_string().to_lowercase()))?;
    // Both pipes are drained on their own threads so a chatty program cannot block on a full
    // pipe while we wait for it to exit.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child
            .try_wait()
            .map_err(|error| RunFailure::Wait(error.to_string().to_lowercase()))?
        {
            Some(status) => break status,
            None if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunFailure::TimedOut(timeout));
            }
            None => thread::sleep(Duration::from_millis(2)),
        }
    };
    Ok(QueryOutput {
        exit_code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.by_ref().take(MAX_READ_BYTES).read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// System calls that only make sense on the running system. Obtained from
/// [`Host::live_system`], so a check cannot reach them under `--root`.
#[derive(Clone, Copy, Debug)]
pub struct LiveSystem {
    _private: (),
}

impl LiveSystem {
    pub fn effective_uid(&self) -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    /// The login name behind `uid`, from `/etc/passwd` only: NSS is avoided so that the
    /// portable agent never loads the host's libnss modules.
    pub fn user_name(&self, host: &Host, uid: u32) -> Option<String> {
        let passwd = host.read_optional("/etc/passwd").ok()??;
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id: u32 = fields.nth(1)?.parse().ok()?;
            (id == uid).then(|| name.to_owned())
        })
    }

    /// Listening TCP sockets (local address, inode) from the kernel's sock_diag interface.
    pub fn tcp_listeners(&self) -> std::io::Result<Vec<(std::net::SocketAddr, u64)>> {
        crate::sock_diag::tcp_listeners()
    }

    /// Free and total bytes of the filesystem holding `path` (statvfs never writes).
    pub fn filesystem_space(&self, path: &str) -> Result<(u64, u64), HostError> {
        let stats = nix::sys::statvfs::statvfs(path)
            .map_err(|errno| HostError::new(path, errno.desc().to_lowercase()))?;
        let fragment = stats.fragment_size() as u64;
        Ok((
            stats.blocks_available() as u64 * fragment,
            stats.blocks() as u64 * fragment,
        ))
    }

    /// Every address on every interface, as the kernel reports them now.
    pub fn interface_addresses(&self) -> Result<Vec<LiveAddress>, HostError> {
        let addresses = nix::ifaddrs::getifaddrs()
            .map_err(|errno| HostError::new("getifaddrs", errno.desc().to_lowercase()))?;
        let mut found = Vec::new();
        for entry in addresses {
            let Some(address) = entry.address else {
                continue;
            };
            let netmask = entry.netmask;
            let (ip, prefix_len) = if let Some(v4) = address.as_sockaddr_in() {
                let prefix = netmask
                    .and_then(|mask| mask.as_sockaddr_in().map(|m| m.ip().to_bits().count_ones()))
                    .unwrap_or(32);
                (std::net::IpAddr::V4(v4.ip()), prefix as u8)
            } else if let Some(v6) = address.as_sockaddr_in6() {
                let prefix = netmask
                    .and_then(|mask| {
                        mask.as_sockaddr_in6()
                            .map(|m| m.ip().to_bits().count_ones())
                    })
                    .unwrap_or(128);
                (std::net::IpAddr::V6(v6.ip()), prefix as u8)
            } else {
                continue;
            };
            found.push(LiveAddress {
                interface: entry.interface_name.clone(),
                ip,
                prefix_len,
            });
        }
        Ok(found)
    }

    /// x86 CPUID feature names (in `/proc/cpuinfo` spelling) of the CPU the agent runs on.
    pub fn cpuid_flags(&self) -> Option<Vec<&'static str>> {
        crate::cpuid::flags()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveAddress {
    pub interface: String,
    pub ip: std::net::IpAddr,
    pub prefix_len: u8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tree;

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let tree = Tree::new()
            .file(
                "run/systemd/resolve/stub-resolv.conf",
                "nameserver 127.0.0.53\n",
            )
            .symlink("etc/resolv.conf", "/run/systemd/resolve/stub-resolv.conf")
            .symlink("etc/escape", "/../../../etc/hostname-that-is-not-here");
        let host = tree.host();
        assert_eq!(
            host.read("/etc/resolv.conf").unwrap(),
            "nameserver 127.0.0.53\n"
        );
        assert_eq!(host.read_optional("/etc/escape").unwrap(), None);
        assert_eq!(
            host.read_link("/etc/resolv.conf").unwrap().as_deref(),
            Some("/run/systemd/resolve/stub-resolv.conf")
        );
    }

    #[test]
    fn a_fifo_or_a_device_under_the_root_is_an_error_not_a_hang() {
        let tree = Tree::new()
            .file("etc/hostname", "node1\n")
            .symlink("etc/machine-id", "/dev/zero");
        let fifo = tree.path().join("etc/fstab");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let host = tree.host();
        let error = host.read("/etc/fstab").unwrap_err();
        assert_eq!(error.path, "/etc/fstab");
        assert!(error.reason.contains("FIFO"), "{error}");
        // A symlink out to /dev/zero stays inside the root: there is no dev/zero there.
        assert_eq!(host.read_optional("/etc/machine-id").unwrap(), None);
        assert_eq!(host.read("/etc/hostname").unwrap(), "node1\n");
    }

    #[test]
    fn relative_symlinks_resolve_like_sysfs() {
        let tree = Tree::new()
            .file("sys/devices/pci0000:00/net/eth0/speed", "10000\n")
            .symlink("sys/class/net/eth0", "../../devices/pci0000:00/net/eth0");
        let host = tree.host();
        assert_eq!(host.read("/sys/class/net/eth0/speed").unwrap(), "10000\n");
        assert_eq!(host.list_dir("/sys/class/net").unwrap().unwrap(), ["eth0"]);
        assert!(host.is_dir("/sys/class/net/eth0").unwrap());
    }

    #[test]
    fn symlink_loops_are_an_error_not_a_hang() {
        let tree = Tree::new()
            .symlink("etc/a", "/etc/b")
            .symlink("etc/b", "/etc/a");
        let error = tree.host().read("/etc/a").unwrap_err();
        assert_eq!(
            error.to_string(),
            "/etc/a: too many levels of symbolic links"
        );
    }

    #[test]
    fn missing_files_are_none_or_named_errors() {
        let host = Tree::new()
            .file("etc/hosts", "127.0.0.1 localhost\n")
            .host();
        assert_eq!(host.read_optional("/etc/absent").unwrap(), None);
        assert_eq!(
            host.read("/etc/absent").unwrap_err().to_string(),
            "/etc/absent: no such file"
        );
        assert_eq!(host.read_optional("/etc/hosts/inner").unwrap(), None);
        assert!(!host.exists("/var/lib/docker").unwrap());
        assert_eq!(host.list_dir("/nope").unwrap(), None);
    }

    #[test]
    fn queries_and_system_calls_are_refused_under_a_root() {
        let host = Tree::new().host();
        assert!(host.live_system().is_none());
        assert_eq!(
            host.query(Query::RpmPackages).unwrap_err(),
            QueryError::NotLive
        );
    }

    #[test]
    fn executables_are_found_only_in_system_directories() {
        let host = Tree::new()
            .executable("usr/sbin/modprobe")
            .file("usr/bin/not-executable", "")
            .executable("opt/bin/ss")
            .host();
        assert_eq!(
            host.find_executable("modprobe").unwrap().as_deref(),
            Some("/usr/sbin/modprobe")
        );
        assert_eq!(host.find_executable("not-executable").unwrap(), None);
        assert_eq!(host.find_executable("ss").unwrap(), None);
    }

    #[test]
    fn the_allow_list_has_no_program_that_writes() {
        // A tripwire for reviewers: adding a query means extending this list consciously.
        let programs: Vec<&str> = Query::ALL.iter().map(|query| query.argv().0).collect();
        assert_eq!(
            programs,
            [
                "systemctl",
                "sshd",
                "rpm",
                "snap",
                "sudo",
                "ip",
                "nft",
                "iptables-legacy-save",
                "iptables-save",
                "ip6tables-legacy-save",
                "ip6tables-save"
            ]
        );
        assert_eq!(Query::SudoWithoutPassword.command_line(), "sudo -n true");
    }

    #[test]
    fn a_live_query_runs_and_reports_exit_codes() {
        let host = Host::live();
        if host.find_executable("ip").unwrap().is_some() {
            let output = host.query(Query::IpAddresses).unwrap();
            assert!(output.success(), "{output:?}");
            assert!(
                output.stdout.contains("lo"),
                "loopback is always listed: {output:?}"
            );
        }
    }
}
