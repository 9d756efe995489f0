//! The first half of a fleet run: everything the command line names is read and checked here,
//! before any host is contacted — the inventory, the agent binary and the CA it ships with,
//! known_hosts, the private keys (a passphrase is asked once), the jump host — and becomes one
//! immutable [`Plan`] with every timeout computed once and named. A typo must fail in a second,
//! not on 300 hosts.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ironprep_schema::{Cni, Role};

use super::AgentArguments;
use super::FleetArgs;
use super::inventory::{self, Inventory, InventoryError, InventoryHost};
use super::known_hosts::{self, KnownHosts};
use super::network::{self, NetworkPlan};
use super::network_checks::NetworkInputs;
use super::remote::AgentUpload;
use super::ssh::{self, HostKeyPolicy, Identity, SshContext, Target};

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
    #[error("--jump: {0}")]
    Jump(InventoryError),
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
    /// known_hosts or a private key could not be used; the message names the file.
    #[error("{0}")]
    Credentials(String),
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
    #[error("host {host}: {message}")]
    HostKey { host: String, message: String },
    #[error(transparent)]
    Limit(#[from] super::limit::LimitError),
    /// An Ansible host in no role group: checking it as control-plane would be a guess.
    #[error(
        "host {host} has no role: its groups ({}) give none (role groups: kube_control_plane, \
         kube_node, installer, …); put it in one, or give --role for such hosts",
        if groups.is_empty() { "none".to_owned() } else { groups.join(", ") }
    )]
    NoRole { host: String, groups: Vec<String> },
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
    /// The bastion every host is reached through (`--jump`).
    pub jump: Option<Target>,
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

/// Reads and checks everything the fleet options name; prompts for a key's passphrase when a
/// terminal is there to answer.
pub fn resolve(fleet: &FleetArgs, inputs: CheckInputs<'_>) -> Result<Plan, PlanError> {
    let mut inventory = match &fleet.inventory {
        Some(path) => inventory::load(&expand_home(path))?,
        None => inventory::from_list(&fleet.hosts)?,
    };
    if let Some(pattern) = &fleet.limit {
        inventory.hosts = super::limit::select(pattern, std::mem::take(&mut inventory.hosts))?;
    }
    if inputs.default_roles.is_empty()
        && let Some(host) = inventory.hosts.iter().find(|host| host.roles.is_empty())
        && let Some(groups) = &host.groups
    {
        return Err(PlanError::NoRole {
            host: host.name.clone(),
            groups: groups.clone(),
        });
    }
    let mut warnings = inventory.warnings.clone();
    let binary =
        ironprep_input::read(inputs.agent, MAX_AGENT_BYTES).map_err(|source| PlanError::Agent {
            path: inputs.agent.to_owned(),
            source,
        })?;
    let mut upload = AgentUpload::new(&binary);
    drop(binary);
    if let Some(path) = inputs.ca {
        let pem = ironprep_input::read(path, ironprep_certs::material::MAX_PEM_BYTES).map_err(
            |source| PlanError::Ca {
                path: path.to_owned(),
                source,
            },
        )?;
        upload = upload.with_ca(pem);
    }
    let ssh = ssh_context(fleet, &inventory, &mut warnings)?;
    let default_user = fleet
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| "root".to_owned());
    let jump = match &fleet.jump {
        Some(spec) => inventory::from_list(std::slice::from_ref(spec))
            .map_err(PlanError::Jump)?
            .hosts
            .first()
            .map(|host| target_of(host, &default_user)),
        // Kubespray's `[bastion]` host, unless the command line names another.
        None => inventory
            .bastion
            .as_ref()
            .map(|host| target_of(host, &default_user)),
    };
    let hosts = inventory
        .hosts
        .iter()
        .map(|host| PlannedHost {
            target: target_of(host, &default_user),
            roles: if host.roles.is_empty() {
                inputs.default_roles.clone()
            } else {
                host.roles.clone()
            },
        })
        .collect();
    Ok(Plan {
        hosts,
        ssh,
        jump,
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
    inventory: &Inventory,
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
    let can_prompt = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
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
                ssh::load_identity(&expand_home(path), can_prompt)
                    .map_err(PlanError::Credentials)?,
            );
        }
    }
    let mut host_identities: HashMap<PathBuf, Identity> = HashMap::new();
    for host in &inventory.hosts {
        if let Some(path) = &host.key_file
            && !host_identities.contains_key(path)
        {
            let identity =
                ssh::load_identity(&expand_home(path), can_prompt).map_err(|message| {
                    PlanError::HostKey {
                        host: host.name.clone(),
                        message,
                    }
                })?;
            host_identities.insert(path.clone(), identity);
        }
    }
    Ok(SshContext {
        known_hosts: Arc::new(known_hosts),
        policy: fleet.host_key_policy,
        identities,
        host_identities,
        use_agent,
        jump: None,
    })
}

fn target_of(host: &InventoryHost, default_user: &str) -> Target {
    Target {
        name: host.name.clone(),
        address: host.address.clone(),
        port: host.port.unwrap_or(22),
        user: host.user.clone().unwrap_or_else(|| default_user.to_owned()),
        key_file: host.key_file.clone(),
    }
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
}
