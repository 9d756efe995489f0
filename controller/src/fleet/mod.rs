//! `ironprep check --inventory FILE` (or `--hosts a,b,c`): the agent on every host of a fleet
//! over SSH. Each host is one bounded task — connect, verify the host key, log in, upload,
//! run, clean up — and its end is an outcome value; one host never cancels another. Then the
//! checks across hosts, and one report for people, machines and CI.

pub mod cross_host;
pub mod inventory;
pub mod known_hosts;
pub mod network;
pub mod network_checks;
pub mod progress;
pub mod remote;
pub mod render;
pub mod ssh;

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use ironprep_schema::{Cni, ExitCode, FleetReport, HostEntry, HostOutcome, Role};
use russh::client::Handle;
use tokio::sync::{Semaphore, watch};

use self::cross_host::Measured;
use self::inventory::{Inventory, InventoryHost};
use self::known_hosts::KnownHosts;
use self::network::{Cidr, NetHost, NetworkPlan};
use self::network_checks::{NetworkInputs, Node};
use self::progress::Progress;
use self::remote::AgentUpload;
use self::ssh::{Client, ConnectError, HostKeyPolicy, Identity, SshContext, Target};

/// The options of `ironprep check` that reach other hosts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Fleet over SSH")]
pub struct FleetArgs {
    /// Check the hosts of this inventory: Ansible INI or YAML (groups kube_control_plane,
    /// kube_node, installer, … give roles), ironprep's YAML, or one host per line.
    #[arg(long, short = 'i', value_name = "FILE", conflicts_with = "hosts")]
    pub inventory: Option<PathBuf>,

    /// Check these hosts (comma-separated: host, host:port, user@host).
    #[arg(long, value_name = "HOST", value_delimiter = ',')]
    pub hosts: Vec<String>,

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

    /// Reach the hosts through this bastion ([USER@]HOST[:PORT]).
    #[arg(long, value_name = "HOST")]
    pub jump: Option<String>,

    /// Hosts checked at the same time.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,

    /// Most seconds one host may take, from connecting to the report.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
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

/// How long cleaning up a host that timed out or was interrupted may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything a host task needs; built once per run.
struct Shared {
    ssh: SshContext,
    upload: AgentUpload,
    /// What every host reads on stdin: `upload.stream()`, built once.
    stream: Arc<Vec<u8>>,
    timeout: Duration,
    /// The agent's arguments for a host with these roles.
    arguments: AgentArguments,
    /// A reference pair to turn `Instant`s into wall-clock times.
    started: (Instant, SystemTime),
}

/// A host's in-flight state, so a controller that gives up can still clean up.
#[derive(Default)]
struct InFlight {
    handle: Option<Arc<Handle<Client>>>,
    directory: Option<String>,
}

/// The inputs of a run, resolved from the command line: what `run` checks before connecting.
pub struct Plan {
    pub inventory: Inventory,
    pub default_user: String,
    pub default_roles: Vec<Role>,
    /// `--network` / `--vrid`: the sessions between hosts after the checks.
    pub network: Option<NetworkPlan>,
    pub network_inputs: NetworkInputs,
}

/// Loads the inventory and the credentials, runs every host, renders. Input errors are
/// reported as `Usage` before any host is contacted. `ca` travels beside the agent.
pub fn run(
    fleet: &FleetArgs,
    agent: &Path,
    ca: Option<&Path>,
    default_roles: Vec<Role>,
    cni: Cni,
    arguments: AgentArguments,
) -> Result<(FleetReport, ExitCode), String> {
    let inventory = match &fleet.inventory {
        Some(path) => inventory::load(&expand_home(path)).map_err(|error| error.to_string())?,
        None => inventory::from_list(&fleet.hosts).map_err(|error| error.to_string())?,
    };
    for warning in &inventory.warnings {
        eprintln!("ironprep: warning: {warning}");
    }
    let binary = std::fs::read(agent)
        .map_err(|error| format!("cannot read the agent {}: {error}", agent.display()))?;
    let mut upload = AgentUpload::new(&binary);
    drop(binary);
    if let Some(path) = ca {
        let pem = std::fs::read(path)
            .map_err(|error| format!("cannot read the CA {}: {error}", path.display()))?;
        upload = upload.with_ca(pem);
    }

    let known_files = if fleet.known_hosts.is_empty() {
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
                Err(error) => eprintln!("ironprep: warning: skipping a default key: {error}"),
            }
        }
    } else {
        for path in &fleet.ssh_keys {
            identities.push(ssh::load_identity(&expand_home(path), can_prompt)?);
        }
    }
    let mut host_identities: HashMap<PathBuf, Identity> = HashMap::new();
    for host in &inventory.hosts {
        if let Some(path) = &host.key_file
            && !host_identities.contains_key(path)
        {
            let identity = ssh::load_identity(&expand_home(path), can_prompt)
                .map_err(|error| format!("host {}: {error}", host.name))?;
            host_identities.insert(path.clone(), identity);
        }
    }
    let default_user = fleet
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| "root".to_owned());
    let jump = match &fleet.jump {
        Some(spec) => Some(
            inventory::from_list(std::slice::from_ref(spec))
                .map_err(|error| format!("--jump: {}", error.message))?,
        ),
        None => None,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let stream = Arc::new(upload.stream());
    let shared = Shared {
        ssh: SshContext {
            known_hosts: Arc::new(known_hosts),
            policy: fleet.host_key_policy,
            identities,
            host_identities,
            use_agent,
            jump: None,
        },
        upload,
        stream,
        timeout: Duration::from_secs(fleet.timeout.max(1)),
        arguments,
        started: (Instant::now(), SystemTime::now()),
    };
    let plan = Plan {
        inventory,
        default_user,
        default_roles,
        network: (fleet.network || fleet.vrid.is_some()).then_some(NetworkPlan {
            ports: fleet.network,
            vrrp_seconds: if fleet.vrid.is_some() {
                network::VRRP_SECONDS
            } else {
                0
            },
            cni,
        }),
        network_inputs: NetworkInputs {
            cni: Some(cni),
            vip: fleet.vip,
            vrid: fleet.vrid,
            networks: fleet.cross_network.clone(),
        },
    };
    let concurrency = fleet.concurrency.max(1);
    Ok(runtime.block_on(run_fleet(shared, plan, jump, concurrency)))
}

async fn run_fleet(
    mut shared: Shared,
    plan: Plan,
    jump: Option<Inventory>,
    concurrency: usize,
) -> (FleetReport, ExitCode) {
    let targets: Vec<(Target, Vec<Role>)> = plan
        .inventory
        .hosts
        .iter()
        .map(|host| (target_of(host, &plan.default_user), host.roles.clone()))
        .collect();
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = cancel_tx.send(true);
            }
        });
    }

    let mut jump_error = None;
    if let Some(jump) = jump
        && let Some(host) = jump.hosts.first()
    {
        let target = target_of(host, &plan.default_user);
        match tokio::time::timeout(shared.timeout, ssh::connect(&shared.ssh, &target)).await {
            Ok(Ok(handle)) => shared.ssh.jump = Some(Arc::new(handle)),
            Ok(Err(error)) => {
                jump_error = Some(format!(
                    "the jump host {}: {}",
                    target.name,
                    describe(&error)
                ))
            }
            Err(_) => {
                jump_error = Some(format!(
                    "the jump host {} did not answer in time",
                    target.name
                ))
            }
        }
    }

    let progress = Arc::new(Progress::new(targets.len()));
    let shared = Arc::new(shared);
    let semaphore = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (target, roles)) in targets.iter().cloned().enumerate() {
        let roles = if roles.is_empty() {
            plan.default_roles.clone()
        } else {
            roles
        };
        if let Some(error) = &jump_error {
            let entry = entry(&target, HostOutcome::Unreachable, Some(error.clone()), None);
            progress.finished(&entry);
            tasks.spawn(async move {
                (
                    index,
                    entry,
                    Measured {
                        roles,
                        clock_offset_ms: None,
                    },
                )
            });
            continue;
        }
        let shared = shared.clone();
        let semaphore = semaphore.clone();
        let progress = progress.clone();
        let mut cancel = cancel_rx.clone();
        tasks.spawn(async move {
            let permit = tokio::select! {
                permit = semaphore.acquire_owned() => permit.ok(),
                _ = cancel.wait_for(|cancelled| *cancelled) => None,
            };
            let (entry, offset) = match permit {
                Some(_permit) => {
                    progress.started();
                    let result = check_host(&shared, &target, &roles, cancel).await;
                    progress.finished(&result.0);
                    result
                }
                None => {
                    let entry = entry(
                        &target,
                        HostOutcome::Timeout,
                        Some("not checked: interrupted (Ctrl-C) before this host started".into()),
                        None,
                    );
                    (entry, None)
                }
            };
            (
                index,
                entry,
                Measured {
                    roles,
                    clock_offset_ms: offset,
                },
            )
        });
    }
    let mut results = Vec::with_capacity(targets.len());
    while let Some(joined) = tasks.join_next().await {
        // A task only ends by returning: none of them panics on purpose, and a panic would be
        // a bug we want loud, so it is reported as an agent failure of an unknown host.
        if let Ok(result) = joined {
            results.push(result);
        }
    }
    progress.done();
    results.sort_by_key(|(index, _, _)| *index);
    let measured: BTreeMap<String, Measured> = results
        .iter()
        .map(|(_, entry, measured)| (entry.host.clone(), measured.clone()))
        .collect();
    let hosts: Vec<HostEntry> = results.into_iter().map(|(_, entry, _)| entry).collect();
    let mut fleet_checks = cross_host::run(&hosts, &measured);
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for ((target, _), host) in targets.iter().zip(&hosts) {
        nodes.insert(
            host.host.clone(),
            Node {
                address: node_address(&target.address).await,
                roles: measured
                    .get(&host.host)
                    .map(|known| known.roles.clone())
                    .unwrap_or_default(),
            },
        );
    }
    let interrupted_now = interrupted.load(std::sync::atomic::Ordering::SeqCst);
    let measurement = match plan.network.clone() {
        Some(network) if !interrupted_now => {
            let mut failed = BTreeMap::new();
            let mut taking_part = Vec::new();
            for ((target, _), host) in targets.iter().zip(&hosts) {
                let address = nodes.get(&host.host).and_then(|node| node.address);
                match (host.outcome, address) {
                    (HostOutcome::Reported, Some(address)) => taking_part.push(NetHost {
                        target: target.clone(),
                        roles: nodes[&host.host].roles.clone(),
                        address,
                    }),
                    (HostOutcome::Reported, None) => {
                        failed.insert(
                            host.host.clone(),
                            format!("{} does not resolve to an IP address", target.address),
                        );
                    }
                    _ => {
                        failed.insert(host.host.clone(), "not reached".to_owned());
                    }
                }
            }
            let count = taking_part.len();
            let (measurement, timing) =
                network::measure(shared.clone(), taking_part, network, concurrency, failed).await;
            eprintln!(
                "ironprep: network: {count} hosts, {} connections in {:.1} s (matrix {:.1} s)",
                timing.connections,
                timing.total.as_secs_f64(),
                timing.matrix.as_secs_f64()
            );
            Some(measurement)
        }
        _ => None,
    };
    fleet_checks.extend(network_checks::run(
        &hosts,
        &nodes,
        measurement.as_ref(),
        &plan.network_inputs,
    ));
    let report = FleetReport::new(hosts, fleet_checks);
    let code = if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        ExitCode::Interrupted
    } else {
        report.exit_code()
    };
    if let Some(jump) = &shared.ssh.jump {
        let _ = jump
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
    (report, code)
}

/// The address the cluster will use for a host: its inventory address when it is an IP,
/// else what that name resolves to here.
async fn node_address(address: &str) -> Option<std::net::IpAddr> {
    if let Ok(ip) = address.parse() {
        return Some(ip);
    }
    tokio::net::lookup_host((address, 22))
        .await
        .ok()?
        .next()
        .map(|socket| socket.ip())
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

fn entry(
    target: &Target,
    outcome: HostOutcome,
    error: Option<String>,
    report: Option<ironprep_schema::AgentReport>,
) -> HostEntry {
    HostEntry {
        host: target.name.clone(),
        address: target.display_address(),
        outcome,
        error,
        report,
    }
}

fn describe(error: &ConnectError) -> String {
    match error {
        ConnectError::Unreachable(message)
        | ConnectError::HostKey(message)
        | ConnectError::Auth(message) => message.clone(),
    }
}

/// One host, bounded by the timeout and by Ctrl-C; when it is cut short, whatever it left on
/// the host is removed over the same connection.
async fn check_host(
    shared: &Shared,
    target: &Target,
    roles: &[Role],
    mut cancel: watch::Receiver<bool>,
) -> (HostEntry, Option<(i64, u64)>) {
    let state = Arc::new(Mutex::new(InFlight::default()));
    let work = attempt(shared, target, roles, state.clone());
    let cut_short = tokio::select! {
        finished = tokio::time::timeout(shared.timeout, work) => match finished {
            Ok(result) => return result,
            Err(_) => format!("no result within {} s", shared.timeout.as_secs()),
        },
        _ = cancel.wait_for(|cancelled| *cancelled) => {
            "interrupted (Ctrl-C) before this host finished".to_owned()
        }
    };
    let (handle, directory) = match state.lock() {
        Ok(mut state) => (state.handle.take(), state.directory.take()),
        Err(_) => (None, None),
    };
    let mut message = cut_short;
    if let Some(handle) = handle {
        if let Some(command) = directory.as_deref().and_then(remote::cleanup_command) {
            let removed =
                tokio::time::timeout(CLEANUP_TIMEOUT, ssh::run(&handle, &command, None, |_| {}))
                    .await;
            if !matches!(removed, Ok(Ok(ref output)) if output.exit == ssh::Exit::Status(0)) {
                message.push_str(&format!(
                    "; could not confirm the removal of {} on the host",
                    directory.as_deref().unwrap_or_default()
                ));
            }
        }
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
    (
        entry(target, HostOutcome::Timeout, Some(message), None),
        None,
    )
}

async fn attempt(
    shared: &Shared,
    target: &Target,
    roles: &[Role],
    state: Arc<Mutex<InFlight>>,
) -> (HostEntry, Option<(i64, u64)>) {
    let handle = match ssh::connect(&shared.ssh, target).await {
        Ok(handle) => Arc::new(handle),
        Err(error) => {
            let outcome = match error {
                ConnectError::Unreachable(_) => HostOutcome::Unreachable,
                ConnectError::HostKey(_) => HostOutcome::HostKeyMismatch,
                ConnectError::Auth(_) => HostOutcome::AuthFailed,
            };
            return (entry(target, outcome, Some(describe(&error)), None), None);
        }
    };
    if let Ok(mut state) = state.lock() {
        state.handle = Some(handle.clone());
    }
    // The host bounds the agent too (a controller that vanishes leaves nothing running for
    // long), a little later than the controller gives up so the controller cleans up first.
    let host_limit = shared.timeout + Duration::from_secs(10);
    let arguments = (shared.arguments)(roles);
    let command = remote::command(&shared.upload, &arguments, host_limit);
    let mut seen = Vec::new();
    let announce = |bytes: &[u8]| {
        seen.extend_from_slice(bytes);
        if let Some(directory) = remote::announced_directory(&seen)
            && let Ok(mut state) = state.lock()
        {
            state.directory = Some(directory);
        }
    };
    let mut output = ssh::run(&handle, &command, Some(shared.stream.clone()), announce).await;
    if matches!(&output, Ok(first) if remote::needs_tty(first)) {
        output = staged_run(&handle, shared, &arguments, host_limit, &state).await;
    }
    let received = SystemTime::now();
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            return (
                entry(target, HostOutcome::AgentFailed, Some(error), None),
                None,
            );
        }
    };
    let classified = remote::classify(&output, &target.user);
    let offset = match (&classified.report, output.stdin_done) {
        (Some(report), Some(done)) => {
            let (instant, wall) = shared.started;
            let done_wall = wall + done.saturating_duration_since(instant);
            remote::clock_offset(report, done_wall, received)
        }
        _ => None,
    };
    (
        entry(
            target,
            classified.outcome,
            classified.error,
            classified.report,
        ),
        offset,
    )
}

/// A `requiretty` host: the agent is uploaded and verified on a channel without PTY (binary
/// stdin must pass untouched), run under sudo on a PTY channel with its output into the private
/// directory, and read back (and the directory removed) on a third channel. The directory is
/// announced to `state` as soon as it exists, so a timeout or Ctrl-C still removes it.
async fn staged_run(
    handle: &Handle<Client>,
    shared: &Shared,
    arguments: &[String],
    host_limit: Duration,
    state: &Mutex<InFlight>,
) -> Result<ssh::CommandOutput, String> {
    let prepare = remote::prepare_command(&shared.upload, arguments, host_limit);
    let mut seen = Vec::new();
    let announce = |bytes: &[u8]| {
        seen.extend_from_slice(bytes);
        if let Some(directory) = remote::announced_directory(&seen)
            && let Ok(mut state) = state.lock()
        {
            state.directory = Some(directory);
        }
    };
    let prepared = ssh::run(handle, &prepare, Some(shared.stream.clone()), announce).await?;
    if prepared.exit != ssh::Exit::Status(0) {
        // The script's own failures (no exec directory, corrupted upload) classify as usual.
        return Ok(prepared);
    }
    let directory = remote::announced_directory(&prepared.stderr)
        .ok_or_else(|| "the host did not announce its private directory".to_owned())?;
    let run = remote::tty_run_command(&shared.upload, arguments, host_limit, &directory)
        .ok_or_else(|| format!("the host announced an unexpected directory {directory}"))?;
    let collect = remote::collect_command(&directory)
        .ok_or_else(|| format!("the host announced an unexpected directory {directory}"))?;
    let ran = ssh::run_on_pty(handle, &run).await;
    // Whatever the PTY run did, read back and remove the directory.
    let collected = ssh::run(handle, &collect, None, |_| {}).await;
    if matches!(&collected, Ok(output) if output.exit == ssh::Exit::Status(0))
        && let Ok(mut state) = state.lock()
    {
        state.directory = None;
    }
    Ok(remote::combine_staged(ran?, collected?))
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_owned(),
    }
}
