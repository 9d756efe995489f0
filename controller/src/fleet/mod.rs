//! `ironprep check --inventory FILE` (or `--hosts a,b,c`): the agent on every host of a fleet
//! over SSH: the options resolve into a [`Plan`] (`plan.rs`: every input checked before any
//! host is contacted), the plan is executed (`runner.rs`: one bounded task per host, then the
//! checks across hosts), and the report goes to the output pipeline like every command's.

pub mod cross_host;
pub mod inventory;
pub mod known_hosts;
pub mod limit;
pub mod listing;
pub mod measurement;
pub mod network;
pub mod network_checks;
pub mod plan;
pub mod remote;
pub mod runner;
pub mod ssh;
pub mod ssh_config;

use std::path::PathBuf;

use clap::Args;
use ironprep_schema::Role;

use self::measurement::Cidr;
use self::plan::{MAX_CONCURRENCY, MAX_TIMEOUT_SECS};
use self::ssh::HostKeyPolicy;

/// The options of `ironprep check` that reach other hosts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Fleet over SSH")]
pub struct FleetArgs {
    /// Check the hosts of this inventory: Ansible INI or YAML, ironprep's YAML, or one host
    /// per line. Ansible groups give roles: kube_control_plane (control-plane), kube_node
    /// (worker), etcd (etcd: an etcd-only host is checked for etcd's ports 2379-2380 and disk,
    /// not the API server's), installer; Kubespray's [bastion] host is the jump host and is not
    /// checked; calico_rr (route reflectors) gives no role: put such hosts in kube_node or give
    /// --role. A host whose groups give no role is an error unless --role gives one.
    #[arg(long, short = 'i', value_name = "FILE", conflicts_with = "hosts")]
    pub inventory: Option<PathBuf>,

    /// Check these hosts (comma-separated: host, host:port, user@host).
    #[arg(long, value_name = "HOST", value_delimiter = ',')]
    pub hosts: Vec<String>,

    /// Check only the inventory hosts this Ansible host pattern selects: names, groups, `*`
    /// wildcards, `~REGEX`; `a:b` either, `a:&b` both, `a:!b` a but not b.
    #[arg(long, value_name = "PATTERN")]
    pub limit: Option<String>,

    /// Print every host as the run would reach it (address, port, user, roles, jump chain)
    /// and the checks it would run, then exit. Nothing is contacted, and no agent, key or
    /// known_hosts is needed; --format table or json.
    #[arg(long, conflicts_with_all = ["list", "explain"])]
    pub list_hosts: bool,

    /// Log in as this user when the inventory names none [default: $USER].
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Private key to log in with; repeat for several (encrypted keys ask once)
    /// [default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa; and ssh-agent when SSH_AUTH_SOCK is set].
    #[arg(long = "ssh-key", value_name = "FILE")]
    pub ssh_keys: Vec<PathBuf>,

    /// known_hosts files to verify host keys against; repeat for several
    /// [default: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts].
    #[arg(long = "known-hosts", value_name = "FILE")]
    pub known_hosts: Vec<PathBuf>,

    /// strict: unknown or changed host keys stop the host; accept-new: unknown keys are
    /// added to known_hosts (changed keys still stop the host).
    #[arg(long, value_enum, default_value_t = HostKeyPolicy::Strict)]
    pub host_key_policy: HostKeyPolicy,

    /// Reach the hosts through these jump hosts, comma-separated ([USER@]HOST[:PORT],…), as
    /// `ssh -J`: wins over ssh_config's ProxyJump; an inventory's ansible_ssh_common_args
    /// (`-J`, `-o ProxyJump=`) wins over it.
    #[arg(long, short = 'J', value_name = "HOSTS")]
    pub jump: Option<String>,

    /// OpenSSH client config to read instead of ~/.ssh/config and /etc/ssh/ssh_config
    /// (`none`: no config). Host/Match host blocks give HostName, Port, User, IdentityFile,
    /// IdentitiesOnly, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking (only to tighten),
    /// ConnectTimeout; the inventory and the command line win over it.
    #[arg(short = 'F', long = "ssh-config", value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,

    /// Ask once on the terminal (/dev/tty) for the password sudo wants on hosts logged in to as
    /// a user other than root; it is sent on each such host's SSH channel stdin to `sudo -S`,
    /// never on a command line, never shown. (ansible_become_password from a vault is not
    /// read: ironprep does not decrypt Ansible vaults.)
    #[arg(long, short = 'K')]
    pub ask_become_pass: bool,

    /// Hosts checked at the same time (1–4096).
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u64).range(1..=MAX_CONCURRENCY as u64))]
    pub concurrency: u64,

    /// Most seconds one host may take, from connecting to the report (1–86400).
    #[arg(long, value_name = "SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS))]
    pub timeout: u64,

    /// Also measure the network between the hosts: every pair connects on the ports its
    /// roles need (fleet.connectivity) and times the connects (fleet.latency). The agents
    /// listen for seconds on free ports only.
    #[arg(long, help_heading = "Network between hosts")]
    pub network: bool,

    /// The control-plane VIP: it must be in the control-plane hosts' subnet (fleet.vip-subnet).
    #[arg(long, value_name = "IP", help_heading = "Network between hosts")]
    pub vip: Option<std::net::IpAddr>,

    /// The VIP's VRRP vrid: control-plane hosts listen 3 s for routers already using it
    /// (fleet.vrid; needs root on the hosts).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=255),
          help_heading = "Network between hosts")]
    pub vrid: Option<u8>,

    /// The hosts span networks: each CIDR is one (≤ 2 ms inside, ≤ 30 ms across); without
    /// it every host is held to 2 ms. Comma-separated or repeated.
    #[arg(
        long,
        value_name = "CIDR",
        value_delimiter = ',',
        help_heading = "Network between hosts"
    )]
    pub cross_network: Vec<Cidr>,
}

impl FleetArgs {
    pub fn is_fleet(&self) -> bool {
        self.inventory.is_some() || !self.hosts.is_empty()
    }
}

/// The agent's command line for a host with these roles (empty: the command line's default).
pub type AgentArguments = Box<dyn Fn(&[Role]) -> Vec<String> + Send + Sync>;

pub use self::plan::{CheckInputs, Plan, PlanError, Targets, resolve, resolve_targets};
pub use self::runner::{Finished, execute};
