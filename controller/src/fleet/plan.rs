//! The first half of a fleet run: everything the command line names is read and checked here,
//! before any host is contacted — the inventory, the agent binary and the CA it ships with,
//! known_hosts, ssh_config, the private keys (a passphrase is asked once), each host's jump
//! chain — and becomes one
//! immutable [`Plan`] with every timeout computed once and named. A typo must fail in a second,
//! not on 300 hosts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ironprep_schema::{Cni, Role, stamp};

use super::AgentArguments;
use super::FleetArgs;
use super::inventory::{self, InventoryError, InventoryHost};
use super::known_hosts::{self, KnownHosts};
use super::network::{self, NetworkPlan};
use super::network_checks::NetworkInputs;
use super::remote::{AgentUpload, BecomePassword};
use super::ssh::{self, HostKeyPolicy, HostOptions, Identity, JumpPool, SshContext, Target};
use super::ssh_config::{self, HostConfig, SshConfig, SshConfigError, Strictness};

/// How long cleaning up a host that timed out or was interrupted may take.
pub const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);
/// How much later than the controller the host itself stops the agent: late enough that the
/// controller, which gives up first, cleans up over its own connection.
pub const HOST_GRACE: Duration = Duration::from_secs(10);

/// The most a host may take; larger values are typing errors, and a deadline that far out
/// overflows the clock arithmetic (`--timeout 18446744073709551606` once crashed every host
/// task and the run "passed").
pub const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;
/// Hosts at the same time: each holds a socket and an SSH session; beyond this the
/// controller's own file descriptors, not the hosts, would decide.
pub const MAX_CONCURRENCY: usize = 4096;
/// The agent binary is a few MiB; anything far larger is not it.
const MAX_AGENT_BYTES: u64 = 256 * 1024 * 1024;

/// A command line that cannot be run; nothing was contacted.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("--jump: '{0}' is not [USER@]HOST[:PORT]")]
    Jump(String),
    #[error(transparent)]
    SshConfig(#[from] SshConfigError),
    /// A ProxyJump chain that comes back to a host already on it, or never ends.
    #[error("ProxyJump loop: {chain} ({origin})")]
    JumpLoop { chain: String, origin: String },
    #[error("--ask-become-pass needs a terminal to ask on (/dev/tty cannot be opened)")]
    NoTerminal,
    #[error("host {host}: ansible ssh arguments: {message}")]
    SshArguments {
        host: String,
        message: ssh_config::Malformed,
    },
    #[error("cannot read the agent {}: {source}", path.display())]
    Agent {
        path: PathBuf,
        source: ironprep_input::ReadError,
    },
    #[error("cannot read the CA {}: {source}", path.display())]
    Ca {
        path: PathBuf,
        source: ironprep_input::ReadError,
    },
    /// A key given by --ssh-key could not be used; the error names the file.
    #[error(transparent)]
    Identity(#[from] ssh::IdentityError),
    #[error("cannot read the BECOME password: {0}")]
    BecomePrompt(std::io::Error),
    #[error(transparent)]
    KnownHosts(#[from] known_hosts::LoadError),
    /// A `--known-hosts` file given by name that is not there: strict checking against it
    /// would quietly refuse every host as unknown.
    #[error(
        "--known-hosts {}: no such file (a typing error?); give an existing file, or \
         --host-key-policy accept-new to create it",
        path.display()
    )]
    KnownHostsMissing { path: PathBuf },
    #[error("host {host}: {error}")]
    HostKey {
        host: String,
        error: ssh::IdentityError,
    },
    #[error(transparent)]
    Limit(#[from] super::limit::LimitError),
    /// An Ansible host in no role group: checking it as control-plane would be a guess.
    #[error(
        "host {host} has no role: its groups ({}) give none (role groups: kube_control_plane, \
         kube_node, etcd, installer, …); {advice}",
        if groups.is_empty() { "none".to_owned() } else { groups.join(", ") }
    )]
    NoRole {
        host: String,
        groups: Vec<String>,
        /// What to do: the advice for a group known to give no role (`calico_rr`), else to
        /// put the host in a role group or give `--role`.
        advice: String,
    },
}

/// One host of the plan: where to log in, and the roles its agent checks.
#[derive(Clone, Debug)]
pub struct PlannedHost {
    pub target: Target,
    /// The inventory's roles, else the command line's.
    pub roles: Vec<Role>,
}

/// Every timeout of a run, computed once from `--timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Most one host may take, from connecting to its report (`--timeout`).
    pub host: Duration,
    /// When the host's own `timeout` stops the agent: `host` plus [`HOST_GRACE`].
    pub on_host: Duration,
    /// Most the removal of a cut-short host's directory may take.
    pub cleanup: Duration,
}

impl Timeouts {
    pub fn new(seconds: u64) -> Timeouts {
        let host = Duration::from_secs(seconds.clamp(1, MAX_TIMEOUT_SECS));
        Timeouts {
            host,
            on_host: host + HOST_GRACE,
            cleanup: CLEANUP_TIMEOUT,
        }
    }
}

/// A fleet run, resolved: nothing here is read from the command line again.
pub struct Plan {
    pub hosts: Vec<PlannedHost>,
    pub ssh: SshContext,
    pub upload: AgentUpload,
    /// The agent's arguments for a host with these roles.
    pub arguments: AgentArguments,
    pub timeouts: Timeouts,
    pub concurrency: usize,
    /// `--network` / `--vrid`: the sessions between hosts after the checks.
    pub network: Option<NetworkPlan>,
    pub network_inputs: NetworkInputs,
    /// Things ignored on the way (unknown inventory variables, unusable default keys).
    pub warnings: Vec<String>,
}

/// What `resolve` needs besides the fleet options: decided by `ironprep check` itself.
pub struct CheckInputs<'a> {
    pub agent: &'a Path,
    /// Shipped beside the agent for the `reach.*` checks.
    pub ca: Option<&'a Path>,
    /// `--role`: roles of hosts whose inventory gives none.
    pub default_roles: Vec<Role>,
    pub cni: Cni,
    pub arguments: AgentArguments,
}

/// The hosts of a run and how each is reached, from the inventory (or `--hosts`),
/// `--limit`, ssh_config, `--jump` and the bastion: local files only — no agent, key,
/// known_hosts or network — so `--list-hosts` shows them without contacting anything.
pub struct Targets {
    pub hosts: Vec<PlannedHost>,
    /// The inventory's groups of each host, in the order of `hosts` (`None`: no groups).
    pub groups: Vec<Option<Vec<String>>>,
    /// Things ignored on the way (unknown inventory variables, loose ssh_config settings).
    pub warnings: Vec<String>,
}

/// Resolves the hosts and their jump chains; `default_roles` is `--role`, the roles of hosts
/// whose inventory gives none.
pub fn resolve_targets(fleet: &FleetArgs, default_roles: &[Role]) -> Result<Targets, PlanError> {
    let mut inventory = match &fleet.inventory {
        Some(path) => inventory::load(&expand_home(path))?,
        None => inventory::from_list(&fleet.hosts)?,
    };
    if let Some(pattern) = &fleet.limit {
        inventory.hosts = super::limit::select(pattern, std::mem::take(&mut inventory.hosts))?;
    }
    if default_roles.is_empty()
        && let Some(host) = inventory.hosts.iter().find(|host| host.roles.is_empty())
        && let Some(groups) = &host.groups
    {
        let advice = inventory::ROLELESS_GROUPS
            .iter()
            .find(|(group, _)| groups.iter().any(|own| own == group))
            .map_or_else(
                || "put it in one, or give --role for such hosts".to_owned(),
                |(_, advice)| (*advice).to_owned(),
            );
        return Err(PlanError::NoRole {
            host: host.name.clone(),
            groups: groups.clone(),
            advice,
        });
    }
    let mut warnings = inventory.warnings.clone();
    let config = load_ssh_config(fleet)?;
    warnings.extend(config.warnings.iter().cloned());
    let default_user = std::env::var("USER")
        .ok()
        .filter(|user| !user.is_empty())
        .unwrap_or_else(|| "root".to_owned());
    let fleet_jump = match &fleet.jump {
        Some(spec) => {
            let hops: Vec<String> = spec.split(',').map(|hop| hop.trim().to_owned()).collect();
            if let Some(bad) = hops.iter().find(|hop| ssh_config::parse_hop(hop).is_none()) {
                return Err(PlanError::Jump(bad.clone()));
            }
            Some(hops)
        }
        // Kubespray's `[bastion]` host, unless the command line names another.
        None => inventory.bastion.as_ref().map(|host| {
            let address = if host.address.contains(':') {
                format!("[{}]", host.address)
            } else {
                host.address.clone()
            };
            let mut hop = match &host.user {
                Some(user) => format!("{user}@{address}"),
                None => address,
            };
            if let Some(port) = host.port {
                hop.push_str(&format!(":{port}"));
            }
            vec![hop]
        }),
    };
    let resolver = Resolver {
        config: &config,
        cli_user: fleet.user.as_deref(),
        default_user: &default_user,
        fleet_jump,
        warnings: std::cell::RefCell::new(Vec::new()),
    };
    let mut hosts = Vec::with_capacity(inventory.hosts.len());
    let mut groups = Vec::with_capacity(inventory.hosts.len());
    for host in &mut inventory.hosts {
        hosts.push(PlannedHost {
            target: resolver.host_target(host)?,
            roles: if host.roles.is_empty() {
                default_roles.to_vec()
            } else {
                host.roles.clone()
            },
        });
        groups.push(host.groups.take());
    }
    warnings.extend(resolver.warnings.into_inner());
    Ok(Targets {
        hosts,
        groups,
        warnings,
    })
}

/// The agent hosts receive: `AGENT-lean` beside `agent` (`ironprep-agent-lean`, built without
/// the TLS probe) when no CA asks for the `reach.*` probes — every `reach.*` check then skips
/// alike in both builds, and the lean one is half the bytes on the wire — else `agent`.
/// The lean file must come from the same build as `agent` (the same build stamp, or neither
/// has one): one left from an older build is not sent, and the warning says why.
fn uploaded_agent(agent: &Path, probes_tls: bool) -> (PathBuf, Option<String>) {
    let lean = suffixed(agent, "-lean");
    if probes_tls || !lean.is_file() {
        return (agent.to_owned(), None);
    }
    let read = |path: &Path| ironprep_input::read(path, MAX_AGENT_BYTES).ok();
    // Unreadable, the agent itself is chosen and its read reports the error.
    let (Some(full), Some(lean_binary)) = (read(agent), read(&lean)) else {
        return (agent.to_owned(), None);
    };
    let (full_stamp, lean_stamp) = (stamp::find(&full), stamp::find(&lean_binary));
    if full_stamp == lean_stamp {
        return (lean, None);
    }
    let shown = |stamp: Option<&[u8]>| {
        stamp.map_or_else(
            || "none".to_owned(),
            |stamp| String::from_utf8_lossy(stamp).into_owned(),
        )
    };
    let warning = format!(
        "{} (build {}) is not from the build of {} (build {}): sending {} to every host; \
         scripts/build-agent.sh builds the pair",
        lean.display(),
        shown(lean_stamp),
        agent.display(),
        shown(full_stamp),
        agent.display()
    );
    (agent.to_owned(), Some(warning))
}

/// `path` with `suffix` appended to its file name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Reads and checks everything the fleet options name; prompts for a key's passphrase when a
/// terminal is there to answer.
pub fn resolve(fleet: &FleetArgs, inputs: CheckInputs<'_>) -> Result<Plan, PlanError> {
    let Targets {
        hosts,
        groups: _,
        mut warnings,
    } = resolve_targets(fleet, &inputs.default_roles)?;
    let (agent, stale_lean) = uploaded_agent(inputs.agent, inputs.ca.is_some());
    warnings.extend(stale_lean);
    let binary =
        ironprep_input::read(&agent, MAX_AGENT_BYTES).map_err(|source| PlanError::Agent {
            path: agent.clone(),
            source,
        })?;
    // The `.zst` and `.xz` are optimisations: unreadable or stale, the agent is compressed
    // here (zstd) or not sent that way (xz).
    let precompressed =
        |suffix: &str| ironprep_input::read(&suffixed(&agent, suffix), MAX_AGENT_BYTES).ok();
    let mut upload =
        AgentUpload::with_precompressed(binary, precompressed(".zst"), precompressed(".xz"));
    if let Some(path) = inputs.ca {
        let pem = ironprep_input::read(path, ironprep_certs::material::MAX_PEM_BYTES).map_err(
            |source| PlanError::Ca {
                path: path.to_owned(),
                source,
            },
        )?;
        upload = upload.with_ca(pem);
    }
    if fleet.ask_become_pass {
        if !ssh::terminal_available() {
            return Err(PlanError::NoTerminal);
        }
        let password =
            rpassword::prompt_password("BECOME password: ").map_err(PlanError::BecomePrompt)?;
        upload.become_password = Some(BecomePassword::new(password));
    }
    let ssh = ssh_context(fleet, &hosts, &mut warnings)?;
    Ok(Plan {
        hosts,
        ssh,
        upload,
        arguments: inputs.arguments,
        timeouts: Timeouts::new(fleet.timeout),
        concurrency: usize::try_from(fleet.concurrency)
            .unwrap_or(MAX_CONCURRENCY)
            .clamp(1, MAX_CONCURRENCY),
        network: (fleet.network || fleet.vrid.is_some()).then_some(NetworkPlan {
            ports: fleet.network,
            vrrp_seconds: if fleet.vrid.is_some() {
                network::VRRP_SECONDS
            } else {
                0
            },
            cni: inputs.cni,
        }),
        network_inputs: NetworkInputs {
            cni: Some(inputs.cni),
            vip: fleet.vip,
            vrid: fleet.vrid,
            networks: fleet.cross_network.clone(),
        },
        warnings,
    })
}

/// known_hosts, the keys to log in with (each decrypted once), ssh-agent.
fn ssh_context(
    fleet: &FleetArgs,
    hosts: &[PlannedHost],
    warnings: &mut Vec<String>,
) -> Result<SshContext, PlanError> {
    let known_files: Vec<PathBuf> = if fleet.known_hosts.is_empty() {
        let mut files = Vec::new();
        if let Some(home) = home_dir() {
            files.push(home.join(".ssh/known_hosts"));
        }
        files.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
        files
    } else {
        fleet
            .known_hosts
            .iter()
            .map(|path| expand_home(path))
            .collect()
    };
    if !fleet.known_hosts.is_empty() {
        // Only the first file is written by accept-new; every other must exist.
        let creatable = usize::from(fleet.host_key_policy == HostKeyPolicy::AcceptNew);
        if let Some(path) = known_files
            .iter()
            .skip(creatable)
            .find(|path| !path.exists())
        {
            return Err(PlanError::KnownHostsMissing { path: path.clone() });
        }
    }
    let known_hosts = KnownHosts::load(&known_files)?;
    // The prompt reads and writes /dev/tty: it works with stdout and stderr piped.
    let can_prompt = ssh::terminal_available();
    let use_agent = std::env::var_os("SSH_AUTH_SOCK").is_some_and(|sock| !sock.is_empty());
    let mut identities = Vec::new();
    if fleet.ssh_keys.is_empty() {
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let Some(path) = home_dir().map(|home| home.join(".ssh").join(name)) else {
                continue;
            };
            if !path.is_file() {
                continue;
            }
            match ssh::load_identity(&path, can_prompt && !use_agent) {
                Ok(identity) => identities.push(identity),
                Err(error) => warnings.push(format!("skipping a default key: {error}")),
            }
        }
    } else {
        for path in &fleet.ssh_keys {
            identities.push(
                ssh::load_identity(&expand_home(path), can_prompt).map_err(PlanError::Identity)?,
            );
        }
    }
    // Every target and every hop before it: each key and known_hosts list is read once.
    let targets: Vec<&Target> = hosts
        .iter()
        .flat_map(|host| host.target.options.jump.iter().chain([&host.target]))
        .collect();
    let mut host_identities: HashMap<PathBuf, Identity> = HashMap::new();
    let mut host_known_hosts = HashMap::new();
    for target in &targets {
        if let Some(path) = &target.key_file
            && !host_identities.contains_key(path)
        {
            let identity = ssh::load_identity(&expand_home(path), can_prompt).map_err(|error| {
                PlanError::HostKey {
                    host: target.name.clone(),
                    error,
                }
            })?;
            host_identities.insert(path.clone(), identity);
        }
        // ssh_config's IdentityFile: one that cannot be used is skipped, as ssh does.
        for path in &target.options.identity_files {
            if host_identities.contains_key(path) || !path.is_file() {
                continue;
            }
            match ssh::load_identity(path, can_prompt && !use_agent) {
                Ok(identity) => {
                    host_identities.insert(path.clone(), identity);
                }
                Err(error) => warnings.push(format!("ssh_config IdentityFile: {error}")),
            }
        }
        if let Some(files) = &target.options.known_hosts
            && !host_known_hosts.contains_key(files)
        {
            let mut with_global = files.clone();
            with_global.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
            host_known_hosts.insert(files.clone(), Arc::new(KnownHosts::load(&with_global)?));
        }
    }
    Ok(SshContext {
        known_hosts: Arc::new(known_hosts),
        policy: fleet.host_key_policy,
        identities,
        host_identities,
        use_agent,
        jumps: JumpPool::default(),
        host_known_hosts,
    })
}

/// `-F FILE` alone (`-F none`: no config), else ~/.ssh/config and /etc/ssh/ssh_config when
/// they exist.
fn load_ssh_config(fleet: &FleetArgs) -> Result<SshConfig, SshConfigError> {
    match &fleet.ssh_config {
        Some(path) if path.as_os_str() == "none" => Ok(SshConfig::default()),
        Some(path) => SshConfig::load(&[expand_home(path)], false),
        None => {
            let mut files = Vec::new();
            if let Some(home) = home_dir() {
                files.push(home.join(".ssh/config"));
            }
            files.push(PathBuf::from("/etc/ssh/ssh_config"));
            SshConfig::load(&files, true)
        }
    }
}

/// Most hops on one chain; longer is a loop OpenSSH would follow until it ran out of
/// processes.
const MAX_JUMPS: usize = 16;

/// Turns inventory hosts and jump specs into targets, as `ssh` would: the command line and
/// the inventory first, then ssh_config (first value wins), then the defaults.
struct Resolver<'a> {
    config: &'a SshConfig,
    cli_user: Option<&'a str>,
    default_user: &'a str,
    /// `--jump`: every host's chain unless its inventory names one.
    fleet_jump: Option<Vec<String>>,
    /// Looser StrictHostKeyChecking values seen (reported once each).
    warnings: std::cell::RefCell<Vec<String>>,
}

impl Resolver<'_> {
    fn host_target(&self, host: &InventoryHost) -> Result<Target, PlanError> {
        let inventory_jump = match &host.ssh_args {
            Some(arguments) => ssh_config::jump_from_ssh_args(arguments).map_err(|message| {
                PlanError::SshArguments {
                    host: host.name.clone(),
                    message,
                }
            })?,
            None => None,
        };
        let jump = inventory_jump.or_else(|| self.fleet_jump.clone().map(Some));
        let mut visiting = vec![host.address.to_ascii_lowercase()];
        self.target(
            &host.name,
            &host.address,
            host.port,
            host.user.as_deref(),
            host.key_file.clone(),
            jump,
            &mut visiting,
        )
    }

    /// `jump`: the chain given outside ssh_config (`Some(None)`: none).
    #[expect(clippy::too_many_arguments, reason = "one call per kind of target")]
    fn target(
        &self,
        name: &str,
        lookup: &str,
        port: Option<u16>,
        user: Option<&str>,
        key_file: Option<PathBuf>,
        jump: Option<Option<Vec<String>>>,
        visiting: &mut Vec<String>,
    ) -> Result<Target, PlanError> {
        let found: HostConfig = self.config.lookup(lookup);
        let address = found.host_name.clone().unwrap_or_else(|| lookup.to_owned());
        let user = user
            .or(self.cli_user)
            .or(found.user.as_deref())
            .unwrap_or(self.default_user)
            .to_owned();
        let port = port.or(found.port).unwrap_or(22);
        let (hops, origin) = match jump {
            Some(hops) => (hops, "the command line or inventory".to_owned()),
            None => match &found.proxy_jump {
                Some((hops, origin)) => (hops.clone(), origin.to_string()),
                None => (None, String::new()),
            },
        };
        let mut chain = Vec::new();
        for (index, spec) in hops.iter().flatten().enumerate() {
            let hop = ssh_config::parse_hop(spec).ok_or_else(|| PlanError::Jump(spec.clone()))?;
            let key = hop.host.to_ascii_lowercase();
            if visiting.contains(&key) || visiting.len() > MAX_JUMPS {
                let mut names = visiting.clone();
                names.push(key);
                return Err(PlanError::JumpLoop {
                    chain: names.join(" → "),
                    origin,
                });
            }
            visiting.push(key);
            // The first hop is reached as its own config says (its ProxyJump too); the
            // later ones through the hops before them.
            let hop_jump = if index == 0 { None } else { Some(None) };
            let mut hop_target = self.target(
                spec,
                &hop.host,
                hop.port,
                hop.user.as_deref(),
                None,
                hop_jump,
                visiting,
            )?;
            visiting.pop();
            chain.append(&mut hop_target.options.jump);
            chain.push(hop_target);
            if chain.len() > MAX_JUMPS {
                return Err(PlanError::JumpLoop {
                    chain: format!("more than {MAX_JUMPS} hops to {name}"),
                    origin,
                });
            }
        }
        let strict = match found.strict {
            Some(Strictness::Strict) => true,
            Some(Strictness::Looser) => {
                let warning = format!(
                    "ssh_config: StrictHostKeyChecking for {lookup} is looser than \
                     --host-key-policy and is ignored (pass --host-key-policy accept-new)"
                );
                let mut warnings = self.warnings.borrow_mut();
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
                false
            }
            None => false,
        };
        Ok(Target {
            name: name.to_owned(),
            port,
            key_file,
            options: HostOptions {
                jump: chain,
                identity_files: found
                    .identity_files
                    .iter()
                    .map(|file| expand_tokens(file, &address, &user))
                    .collect(),
                identities_only: found.identities_only.unwrap_or(false),
                known_hosts: found.user_known_hosts.as_ref().map(|files| {
                    files
                        .iter()
                        .map(|file| expand_tokens(file, &address, &user))
                        .collect()
                }),
                strict,
                connect_timeout: found.connect_timeout,
            },
            address,
            user,
        })
    }
}

/// `~`, `%d` (home), `%h` (host), `%r` (remote user), `%u` (local user), `%%` in an
/// ssh_config path.
fn expand_tokens(path: &Path, host: &str, user: &str) -> PathBuf {
    let text = path.to_string_lossy();
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&home_dir().unwrap_or_default().to_string_lossy()),
            Some('h') => out.push_str(host),
            Some('r') => out.push_str(user),
            Some('u') => out.push_str(&std::env::var("USER").unwrap_or_default()),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    expand_home(Path::new(&out))
}

pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

pub(crate) fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_computed_once_and_bounded() {
        let timeouts = Timeouts::new(120);
        assert_eq!(timeouts.host, Duration::from_secs(120));
        assert_eq!(timeouts.on_host, Duration::from_secs(130));
        // Out-of-range values never reach the clock arithmetic (clap refuses them first).
        let huge = Timeouts::new(u64::MAX - 9);
        assert_eq!(huge.host, Duration::from_secs(MAX_TIMEOUT_SECS));
        assert_eq!(Timeouts::new(0).host, Duration::from_secs(1));
    }

    #[test]
    fn the_lean_agent_beside_the_agent_travels_unless_a_ca_asks_for_the_tls_probes() {
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("ironprep-agent");
        std::fs::write(&agent, b"full").unwrap();
        let chosen = |agent: &Path, probes_tls| uploaded_agent(agent, probes_tls).0;
        // Without a lean build beside it, the agent itself travels either way.
        assert_eq!(chosen(&agent, false), agent);
        let lean = dir.path().join("ironprep-agent-lean");
        std::fs::write(&lean, b"lean").unwrap();
        assert_eq!(uploaded_agent(&agent, false), (lean.clone(), None));
        assert_eq!(chosen(&agent, true), agent);
        // The pair is bound by name: `--agent my-agent` looks for `my-agent-lean` only.
        let mine = dir.path().join("my-agent");
        std::fs::write(&mine, b"mine").unwrap();
        assert_eq!(chosen(&mine, false), mine);
        // A directory of that name is not an agent.
        let other = dir.path().join("other");
        std::fs::create_dir(dir.path().join("other-lean")).unwrap();
        assert_eq!(chosen(&other, false), other);
    }

    #[test]
    fn a_lean_agent_from_another_build_is_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("ironprep-agent");
        let lean = dir.path().join("ironprep-agent-lean");
        let binary = |stamp: Option<&str>| {
            let mut bytes = b"\x7fELF code".to_vec();
            bytes.extend_from_slice(&stamp::embed(stamp));
            bytes.extend_from_slice(b"more code");
            bytes
        };
        // One build: the same stamp in both.
        std::fs::write(&agent, binary(Some("abc123.20261204T0700.77"))).unwrap();
        std::fs::write(&lean, binary(Some("abc123.20261204T0700.77"))).unwrap();
        assert_eq!(uploaded_agent(&agent, false), (lean.clone(), None));
        // The agent rebuilt, the lean file left from before: the agent travels, and says why.
        std::fs::write(&agent, binary(Some("def456.20261205T0900.12"))).unwrap();
        let (chosen, warning) = uploaded_agent(&agent, false);
        assert_eq!(chosen, agent);
        let warning = warning.unwrap();
        assert!(
            warning.contains("ironprep-agent-lean (build abc123.20261204T0700.77) is not from")
                && warning.contains("ironprep-agent (build def456.20261205T0900.12): sending"),
            "{warning}"
        );
        // A stamped agent beside an unstamped lean file (or the reverse) is not a pair either.
        std::fs::write(&lean, binary(None)).unwrap();
        let (chosen, warning) = uploaded_agent(&agent, false);
        assert_eq!(chosen, agent);
        assert!(warning.unwrap().contains("-lean (build none) is not from"));
    }

    fn resolver<'a>(config: &'a SshConfig, jump: Option<&str>) -> Resolver<'a> {
        Resolver {
            config,
            cli_user: None,
            default_user: "me",
            fleet_jump: jump.map(|jump| jump.split(',').map(str::to_owned).collect()),
            warnings: std::cell::RefCell::new(Vec::new()),
        }
    }

    #[test]
    fn the_inventory_and_command_line_win_over_ssh_config() {
        let config = SshConfig::parse(
            Path::new("/cfg"),
            "Host web\n HostName 10.0.0.5\n Port 2200\n User ops\n ProxyJump bastion\n\
             Host bastion\n HostName 10.0.0.1\n User jumper\n StrictHostKeyChecking no\n\
             Host *\n ConnectTimeout 7\n StrictHostKeyChecking yes\n",
        )
        .unwrap();
        let plain = resolver(&config, None);
        let web = plain.host_target(&InventoryHost::named("web")).unwrap();
        assert_eq!(
            (web.address.as_str(), web.port, web.user.as_str()),
            ("10.0.0.5", 2200, "ops")
        );
        assert_eq!(web.options.connect_timeout, Some(Duration::from_secs(7)));
        assert!(web.options.strict);
        let hops: Vec<(&str, &str)> = web
            .options
            .jump
            .iter()
            .map(|hop| (hop.address.as_str(), hop.user.as_str()))
            .collect();
        assert_eq!(hops, [("10.0.0.1", "jumper")]);
        // `no` never loosens the policy; it is reported.
        assert!(!web.options.jump[0].options.strict);
        assert_eq!(plain.warnings.borrow().len(), 1);

        let mut host = InventoryHost::named("web");
        host.port = Some(22);
        host.user = Some("root".to_owned());
        host.ssh_args = Some("-o ProxyJump=none".to_owned());
        let web = resolver(&config, Some("other")).host_target(&host).unwrap();
        assert_eq!((web.port, web.user.as_str()), (22, "root"));
        assert!(web.options.jump.is_empty());
        // --jump wins over the config's ProxyJump; the hop is looked up in the config.
        let web = resolver(&config, Some("bastion:2022"))
            .host_target(&InventoryHost::named("web"))
            .unwrap();
        assert_eq!(web.options.jump[0].port, 2022);
        assert_eq!(web.options.jump[0].address, "10.0.0.1");
    }
}
