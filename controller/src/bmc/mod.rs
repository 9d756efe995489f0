//! `ironprep bmc`: hosts that have no operating system yet, through their BMC's Redfish
//! service. `bmc check` reads each system's hardware facts and runs the checks those facts
//! decide — the agent's IDs where the fact is the same — plus the `bmc.*` checks and the
//! uniqueness of UUIDs and serials across hosts; `bmc boot` boots hosts from the registration
//! ISO (dry run unless `--yes`; see [`changes`]).
//!
//! As in `probe`, the command line becomes a plan first (every input error — URLs, inventory,
//! user, password, CA, known-hosts file — is found before any BMC is contacted), then every BMC
//! runs as one task bounded by `--timeout`, `--concurrency` at a time; one BMC failing never
//! stops another. Each host ends as an outcome value (`reported`, `unreachable`,
//! `auth-failed`, `tls-untrusted`, `timeout`, or `invalid-report` for answers that are not
//! Redfish), in the fleet report of the contract.

pub mod changes;
pub mod check;
pub mod checks;
pub mod client;
pub mod credentials;
pub mod danger;
pub mod facts;
pub mod isa;
pub mod known_hosts;
pub mod resources;
pub mod target;
pub mod tls;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use ironprep_report::View;
use ironprep_report::event::{Event, Observer};
use ironprep_report::view::{Section, ViewKind};
use ironprep_schema::bmc::{BmcBootHost, BmcBootReport, BmcFacts, BootResult};
use ironprep_schema::listing::{CheckList, ListedCheck};
use ironprep_schema::{
    AgentReport, Cni, ExitCode, FleetReport, HostEntry, HostFacts, HostOutcome, Profile, Role,
    SCHEMA_VERSION,
};
use tokio::sync::{Semaphore, watch};

use self::check::{Context, Selection};
use self::client::Client;
use self::credentials::Password;
use self::known_hosts::{HostKeyPolicy, KnownHosts};
use self::target::BmcTarget;
use self::tls::Trust;
use crate::fleet::cross_host::{self, Measured};
use crate::output::{Output, OutputArgs};

#[derive(Debug, Subcommand)]
pub enum BmcCommand {
    /// Check hosts through their BMC: identity, TPM, CPU, memory, disks, NICs, boot mode,
    /// virtual media.
    Check(Box<BmcCheckArgs>),
    /// Boot hosts from the registration ISO over virtual media (prints the plan; --yes does it).
    Boot(Box<BmcBootArgs>),
}

/// Which BMCs, as whom, trusting what: shared by `check` and `boot`.
#[derive(Debug, Args)]
#[command(next_help_heading = "BMCs")]
pub struct ConnectArgs {
    /// BMC URLs, comma-separated: https://HOST[:PORT][#SystemId] (the fragment picks one
    /// system of a BMC that has several).
    #[arg(long = "bmc", value_name = "URL", value_delimiter = ',')]
    pub bmcs: Vec<String>,

    /// An inventory whose hosts carry bmc=URL (and bmc_user=); groups give roles.
    #[arg(long, short = 'i', value_name = "FILE", conflicts_with = "bmcs")]
    pub inventory: Option<PathBuf>,

    /// The BMC login when the inventory gives no bmc_user.
    #[arg(long, value_name = "USER")]
    pub bmc_user: Option<String>,

    /// A file whose first line is the BMC password [default: the IRONPREP_BMC_PASSWORD
    /// environment variable]. There is no flag for the password itself.
    #[arg(long, value_name = "FILE")]
    pub bmc_password_file: Option<PathBuf>,

    /// Verify BMC certificates against this CA (PEM) instead of pinning them.
    #[arg(long, value_name = "FILE", conflicts_with = "bmc_insecure")]
    pub bmc_ca: Option<PathBuf>,

    /// The pinned BMC keys (HOST:PORT SHA256:…) [default:
    /// $XDG_CONFIG_HOME/ironprep/bmc_known_hosts, else ~/.config/ironprep/bmc_known_hosts].
    #[arg(long, value_name = "FILE")]
    pub bmc_known_hosts: Option<PathBuf>,

    /// strict: only pinned BMCs are trusted; accept-new: an unknown BMC's key is pinned on
    /// first contact (a changed key is still refused).
    #[arg(long, value_enum, default_value_t = HostKeyPolicy::Strict)]
    pub bmc_host_key_policy: HostKeyPolicy,

    /// Do not verify BMC certificates at all (anyone on the path can read the password).
    #[arg(long)]
    pub bmc_insecure: bool,

    /// BMCs talked to at the same time.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each system becomes a host of the fleet report: its facts (hosts[].report.host.bmc) and the
checks those facts decide, with the agent's IDs: memory.size, net.nics, cpu.isa-level,
cpu.cores, cpu.frequency, disk.ssd, hw.smbios-identity, hw.tpm; then bmc.boot-mode,
bmc.secure-boot (advisory), bmc.virtual-media; then fleet.uuid-unique, fleet.serial-unique
and fleet.role-count across hosts.

Outcomes: reported, unreachable, auth-failed, tls-untrusted, timeout, invalid-report (an
answer that is not Redfish, or an unknown #SystemId).
Exit codes: 0 nothing failed, 1 a check failed, 2 usage or input error, 3 a BMC could not
be read or a check not evaluated (and nothing failed), 130 interrupted.

Waivers (--waivers FILE) accept known failures; `hosts` patterns match the host names of the
report (the inventory name, else the URL's host, with :PORT when not 443; then /SystemId when
a BMC has several systems; `*` matches anything, quote a pattern that starts with it); a fleet
check is waived only by a waiver without `hosts`:
  - check: hw.tpm
    hosts: [edge-*]
    reason: TPM 1.2 on the edge rack until the board swap (CHG-1234)
    expires: 2026-06-30
    owner: dc-ops
  - check: fleet.serial-unique
    reason: the vendor left the same placeholder serial on every board

Examples:
  IRONPREP_BMC_PASSWORD=… ironprep bmc check --bmc https://10.0.0.21,https://10.0.0.22 \\
      --bmc-user root --bmc-host-key-policy accept-new
  ironprep bmc check -i hosts.ini --bmc-password-file ~/.bmc-pw --format json
  ironprep bmc check -i hosts.ini --waivers waivers.yaml --format junit --output bmc.xml")]
pub struct BmcCheckArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// traditional or immutable (hosts booted from the elemental ISO).
    #[arg(long, default_value = "immutable")]
    pub profile: String,

    /// Role of hosts the inventory gives none; repeat for several [default: control-plane].
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,

    /// The MachineRegistration emulates a TPM (PoC only): a missing TPM 2.0 warns.
    #[arg(long)]
    pub emulated_tpm: bool,

    /// Run only these checks (comma-separated or repeated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Do not run these checks; they are reported as skipped (a check that runs but must not
    /// fail the run belongs in a waiver file).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Accepted failures: a YAML list of `{check: ID, hosts: [PATTERN], reason, expires:
    /// YYYY-MM-DD, owner}` (see below). Waived checks still run and are reported as `waived`;
    /// an expired waiver or an ID this command does not report is an input error.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// Most seconds one BMC may take, all its systems together (1–3600).
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// List the checks and when they apply, then exit.
    #[arg(long)]
    pub list: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
For each system: insert the ISO into the BMC's virtual CD (after ejecting another image),
set a one-time UEFI boot override to the CD, then power on (host off) or ForceRestart
(host on). Without --yes only the plan is printed and nothing is sent. A host whose power
state or CD slot cannot be read is refused, and nothing is sent to it. A BMC with several
systems needs URL#SystemId.

Examples:
  ironprep bmc boot -i hosts.ini --iso https://10.0.0.5/seedimage.iso              the plan
  ironprep bmc boot -i hosts.ini --iso https://10.0.0.5/seedimage.iso --yes        do it
  ironprep bmc boot -i hosts.ini --eject --yes                   after registration")]
pub struct BmcBootArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// The registration ISO's URL, as the BMCs will download it (http or https).
    #[arg(long, value_name = "URL", required_unless_present = "eject")]
    pub iso: Option<String>,

    /// Eject the ISO from the virtual CD instead.
    #[arg(long, conflicts_with = "iso")]
    pub eject: bool,

    /// Do it. Without it, the plan is printed and nothing changes.
    #[arg(long)]
    pub yes: bool,

    /// Most seconds one BMC may take, its tasks included (1–3600).
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// How every BMC of a run is reached, resolved from [`ConnectArgs`].
pub struct Connection {
    pub targets: Vec<BmcTarget>,
    /// `--bmc-user`; each target's `bmc_user` wins.
    pub default_user: Option<String>,
    pub password: Arc<Password>,
    pub trust: Trust,
    /// The pin file, to save what accept-new learned.
    pub known_hosts: Option<Arc<KnownHosts>>,
    pub timeout: Duration,
    pub concurrency: usize,
}

pub fn run(command: &BmcCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        BmcCommand::Check(args) => run_check(args, out),
        BmcCommand::Boot(args) => run_boot(args, out),
    }
}

fn warn(message: String) {
    eprintln!("ironprep: warning: {message}");
}

/// Resolves targets, user, password and trust; every problem is a usage error.
pub fn connection(args: &ConnectArgs, timeout: u64) -> anyhow::Result<Connection> {
    if timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    let targets = match &args.inventory {
        Some(path) => target::from_inventory(path, &mut warn)?,
        None => target::from_urls(&args.bmcs)?,
    };
    if let Some(target) = targets
        .iter()
        .find(|target| target.user.is_none() && args.bmc_user.is_none())
    {
        bail!(
            "no BMC user for {}: give --bmc-user USER (or bmc_user= in the inventory)",
            target.name
        );
    }
    let password = credentials::password(
        args.bmc_password_file.as_deref(),
        std::env::var(credentials::PASSWORD_ENV).ok(),
        &mut warn,
    )?;
    let (trust, known_hosts) = if args.bmc_insecure {
        eprintln!("{}", danger::WARNING);
        (Trust::Insecure, None)
    } else if let Some(path) = &args.bmc_ca {
        let certificates = ironprep_certs::material::certificate_file(path)
            .map_err(|error| anyhow::anyhow!("--bmc-ca {error}"))?;
        let mut roots = rustls::RootCertStore::empty();
        for certificate in &certificates {
            roots
                .add(certificate.der.clone())
                .with_context(|| format!("--bmc-ca {}: {}", path.display(), certificate.subject))?;
        }
        (Trust::Ca(Arc::new(roots)), None)
    } else {
        let file = match &args.bmc_known_hosts {
            Some(file) => file.clone(),
            None => default_known_hosts()?,
        };
        let hosts = Arc::new(KnownHosts::load(&file, args.bmc_host_key_policy)?);
        (Trust::Pinned(hosts.clone()), Some(hosts))
    };
    Ok(Connection {
        targets,
        default_user: args.bmc_user.clone(),
        password: Arc::new(password),
        trust,
        known_hosts,
        timeout: Duration::from_secs(timeout),
        concurrency: args.concurrency.max(1),
    })
}

fn default_known_hosts() -> anyhow::Result<PathBuf> {
    let non_empty = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(config) = non_empty("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(config).join("ironprep/bmc_known_hosts"));
    }
    match non_empty("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".config/ironprep/bmc_known_hosts")),
        None => bail!("no HOME to keep bmc_known_hosts in: give --bmc-known-hosts FILE"),
    }
}

impl Connection {
    fn client(&self, target: &BmcTarget) -> Result<Client, client::RedfishError> {
        // Checked in `connection`: every target has a user from somewhere.
        let user = target
            .user
            .as_deref()
            .or(self.default_user.as_deref())
            .unwrap_or_default();
        Client::new(
            &target.url,
            user,
            self.password.clone(),
            &self.trust,
            self.timeout,
        )
    }

    /// Writes the pins accept-new learned, and says so. A file that cannot be written is a
    /// warning: the run's report is still worth printing.
    fn save_pins(&self) {
        let Some(hosts) = &self.known_hosts else {
            return;
        };
        let learned = hosts.learned();
        match hosts.save() {
            Ok(0) => {}
            Ok(_) => {
                for (host, fingerprint) in learned {
                    eprintln!(
                        "ironprep: pinned {host} {fingerprint} in {}",
                        hosts.file().display()
                    );
                }
            }
            Err(error) => warn(format!("the BMC keys learned were not saved: {error}")),
        }
    }

    /// Runs `work` for every target, `concurrency` at a time, each bounded by the timeout
    /// and by Ctrl-C or SIGTERM; results in target order. A task that panics is still its
    /// BMC's result (`agent-failed`, naming the panic), never dropped from the report.
    /// Progress goes to `observer`; `finished` turns a result into its events.
    fn for_each<T, F, Fut>(
        &self,
        work: F,
        cut_short: impl Fn(&BmcTarget, HostOutcome, String) -> T + Send + Sync + 'static,
        observer: &dyn Observer,
        finished: impl Fn(&T, &dyn Observer),
    ) -> anyhow::Result<(Vec<T>, bool)>
    where
        T: Send + 'static,
        F: Fn(Arc<Client>, BmcTarget) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let timeout = self.timeout;
        let clients: Vec<Result<Client, client::RedfishError>> = self
            .targets
            .iter()
            .map(|target| self.client(target))
            .collect();
        let targets = self.targets.clone();
        let concurrency = self.concurrency;
        observer.event(&Event::Started {
            subjects: targets.len(),
        });
        let results = runtime.block_on(async move {
            let (cancel_tx, cancel_rx) = watch::channel(false);
            let interrupted = Arc::new(AtomicBool::new(false));
            {
                let interrupted = interrupted.clone();
                tokio::spawn(async move {
                    if crate::fleet::runner::interruption().await {
                        interrupted.store(true, Ordering::SeqCst);
                        let _ = cancel_tx.send(true);
                    }
                });
            }
            let work = Arc::new(work);
            let cut_short = Arc::new(cut_short);
            let semaphore = Arc::new(Semaphore::new(concurrency));
            let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
            let mut tasks = tokio::task::JoinSet::new();
            let mut task_targets = HashMap::new();
            for (index, (target, client)) in targets.iter().cloned().zip(clients).enumerate() {
                let work = work.clone();
                let cut_short = cut_short.clone();
                let semaphore = semaphore.clone();
                let mut cancel = cancel_rx.clone();
                let started = started_tx.clone();
                let handle = tasks.spawn(async move {
                    let client = match client {
                        Ok(client) => Arc::new(client),
                        Err(error) => {
                            return cut_short(&target, error.outcome(), error.to_string());
                        }
                    };
                    let permit = tokio::select! {
                        permit = semaphore.acquire_owned() => permit.ok(),
                        _ = cancel.wait_for(|cancelled| *cancelled) => None,
                    };
                    let Some(_permit) = permit else {
                        let text = "not started: interrupted (Ctrl-C or SIGTERM)".to_owned();
                        return cut_short(&target, HostOutcome::Timeout, text);
                    };
                    let _ = started.send(index);
                    tokio::select! {
                        finished = tokio::time::timeout(timeout, work(client, target.clone())) => {
                            match finished {
                                Ok(result) => result,
                                Err(_) => cut_short(
                                    &target,
                                    HostOutcome::Timeout,
                                    format!("no result within {} s (--timeout)", timeout.as_secs()),
                                ),
                            }
                        }
                        _ = cancel.wait_for(|cancelled| *cancelled) => cut_short(
                            &target,
                            HostOutcome::Timeout,
                            "interrupted (Ctrl-C or SIGTERM) before this BMC finished".to_owned(),
                        ),
                    }
                });
                task_targets.insert(handle.id(), index);
            }
            drop(started_tx);
            let mut results: Vec<Option<T>> = std::iter::repeat_with(|| None)
                .take(targets.len())
                .collect();
            loop {
                tokio::select! {
                    Some(index) = started_rx.recv() => {
                        observer.event(&Event::SubjectStarted { name: &targets[index].name });
                    }
                    joined = tasks.join_next_with_id() => {
                        let Some(joined) = joined else { break };
                        let (index, result) = match joined {
                            Ok((id, result)) => (task_targets[&id], result),
                            Err(error) => {
                                let index = task_targets[&error.id()];
                                let reason = crate::fleet::runner::panic_message(error);
                                let text = format!(
                                    "internal error of ironprep while working on this BMC: {reason}"
                                );
                                (index, cut_short(&targets[index], HostOutcome::AgentFailed, text))
                            }
                        };
                        finished(&result, observer);
                        results[index] = Some(result);
                    }
                }
            }
            let results = results
                .into_iter()
                .zip(&targets)
                .map(|(result, target)| {
                    // Every index is filled by its task; kept total anyway.
                    result.unwrap_or_else(|| {
                        let text = "internal error of ironprep: the BMC's task never ended";
                        cut_short(target, HostOutcome::AgentFailed, text.to_owned())
                    })
                })
                .collect::<Vec<T>>();
            (results, interrupted.load(Ordering::SeqCst))
        });
        Ok(results)
    }
}

// ---------------------------------------------------------------- bmc check

/// The inputs of `bmc check`, resolved before any BMC is contacted.
pub struct CheckPlan {
    pub connection: Connection,
    pub settings: Arc<CheckSettings>,
    /// `--role`: for hosts the inventory gives no role (`fleet.role-count` counts only these
    /// and the inventory's).
    pub stated_roles: Vec<Role>,
    /// `--waivers`, validated and none expired.
    pub waivers: Vec<crate::waivers::Waiver>,
}

/// The checks across hosts that `bmc check` reports (a test holds this to what
/// `execute_check` builds): with the BMC checks, what a waiver may name.
pub const FLEET_CHECKS: &[&str] = &[
    "fleet.uuid-unique",
    "fleet.serial-unique",
    "fleet.role-count",
];

/// What every system is checked with.
pub struct CheckSettings {
    pub profile: Profile,
    /// What hosts without a stated role are checked as (control-plane by default).
    pub default_roles: Vec<Role>,
    pub emulated_tpm: bool,
    pub selection: Selection,
}

impl CheckSettings {
    fn context(&self, target: &BmcTarget) -> Context {
        Context {
            profile: self.profile,
            roles: if target.roles.is_empty() {
                self.default_roles.clone()
            } else {
                target.roles.clone()
            },
            emulated_tpm: self.emulated_tpm,
        }
    }
}

pub fn plan_check(args: &BmcCheckArgs) -> anyhow::Result<CheckPlan> {
    let profile: Profile = args.profile.parse()?;
    let stated_roles = args
        .roles
        .iter()
        .map(|role| role.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()?;
    let default_roles = if stated_roles.is_empty() {
        vec![Role::ControlPlane]
    } else {
        stated_roles.clone()
    };
    let unknown: Vec<&String> = args
        .only
        .iter()
        .chain(&args.skip)
        .filter(|id| checks::find(id).is_none())
        .collect();
    if !unknown.is_empty() {
        bail!(
            "unknown check ID {} (valid: {})",
            unknown
                .iter()
                .map(|id| id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            checks::ALL
                .iter()
                .map(|check| check.id())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let waivers = match &args.waivers {
        Some(path) => {
            let knows = |id: &str| checks::find(id).is_some() || FLEET_CHECKS.contains(&id);
            let catalog = crate::waivers::Catalog {
                command: "ironprep bmc check",
                waives: crate::waivers::Kind::Checks,
                knows: &knows,
            };
            crate::waivers::load_current(path, &catalog, crate::waivers::today())
                .context("--waivers")?
        }
        None => Vec::new(),
    };
    Ok(CheckPlan {
        connection: connection(&args.connect, args.timeout)?,
        settings: Arc::new(CheckSettings {
            profile,
            default_roles,
            emulated_tpm: args.emulated_tpm,
            selection: Selection {
                only: args.only.clone(),
                skip: args.skip.clone(),
            },
        }),
        stated_roles,
        waivers,
    })
}

/// Checks every BMC; the report and the exit code (130 when interrupted).
pub fn execute_check(
    plan: &CheckPlan,
    observer: &dyn Observer,
) -> anyhow::Result<(FleetReport, ExitCode)> {
    let settings = plan.settings.clone();
    let (per_bmc, interrupted) = plan.connection.for_each(
        move |client, target| {
            let settings = settings.clone();
            async move {
                let context = settings.context(&target);
                check_bmc(&client, &target, &context, &settings.selection).await
            }
        },
        |target, outcome, error| vec![failed_entry(target, outcome, error)],
        observer,
        |entries, observer| {
            for entry in entries {
                observer.event(&Event::HostFinished { entry });
            }
        },
    )?;
    plan.connection.save_pins();
    // Only roles someone stated count for fleet.role-count, as for `ironprep check`.
    let mut measured: BTreeMap<String, Measured> = BTreeMap::new();
    for (target, entries) in plan.connection.targets.iter().zip(&per_bmc) {
        let stated = if target.roles.is_empty() {
            plan.stated_roles.clone()
        } else {
            target.roles.clone()
        };
        for entry in entries {
            let known = Measured {
                roles: stated.clone(),
                clock_offset_ms: None,
            };
            measured.insert(entry.host.clone(), known);
        }
    }
    let hosts: Vec<HostEntry> = per_bmc.into_iter().flatten().collect();
    let fleet = vec![
        cross_host::uuid_unique(&hosts),
        cross_host::serial_unique(&hosts),
        cross_host::role_count(&hosts, &measured),
    ];
    let report = crate::waivers::apply(&plan.waivers, FleetReport::new(hosts, fleet));
    let code = if interrupted {
        ExitCode::Interrupted
    } else {
        report.exit_code()
    };
    Ok((report, code))
}

fn failed_entry(target: &BmcTarget, outcome: HostOutcome, error: String) -> HostEntry {
    HostEntry {
        host: target.name.clone(),
        address: target.url.origin(),
        outcome,
        error: Some(error),
        report: None,
    }
}

/// One BMC: its systems, each one host of the report.
async fn check_bmc(
    client: &Client,
    target: &BmcTarget,
    context: &Context,
    selection: &Selection,
) -> Vec<HostEntry> {
    let started = Instant::now();
    let systems = match facts::systems(client, target.system.as_deref()).await {
        Ok(systems) => systems,
        Err(error) => return vec![failed_entry(target, error.outcome(), error.to_string())],
    };
    let several = systems.len() > 1;
    let mut entries = Vec::new();
    for reference in &systems {
        let name = if several {
            format!("{}/{}", target.name, facts::system_id(reference))
        } else {
            target.name.clone()
        };
        match facts::gather(client, &target.url.origin(), reference).await {
            Ok(facts) => {
                let checks = checks::ALL
                    .iter()
                    .filter_map(|check| check::evaluate(*check, &facts, context, selection))
                    .collect();
                entries.push(HostEntry {
                    host: name,
                    address: target.url.origin(),
                    outcome: HostOutcome::Reported,
                    error: None,
                    report: Some(agent_report(facts, context, checks, started)),
                });
            }
            Err(error) => entries.push(HostEntry {
                host: name,
                address: target.url.origin(),
                outcome: error.outcome(),
                error: Some(error.to_string()),
                report: None,
            }),
        }
    }
    entries
}

/// The agent-shaped report of a system: its facts where the agent has the same ones, all of
/// them under `host.bmc`.
fn agent_report(
    facts: BmcFacts,
    context: &Context,
    checks: Vec<ironprep_schema::CheckResult>,
    started: Instant,
) -> AgentReport {
    let first = facts.processors.first();
    let arch = match first.and_then(|cpu| cpu.instruction_set.as_deref()) {
        Some(set) if set.starts_with("x86") => "x86_64",
        Some(set) if set.to_uppercase().starts_with("ARM") => "aarch64",
        _ => "",
    };
    let logical: u32 = facts
        .processors
        .iter()
        .filter_map(|cpu| cpu.threads.or(cpu.cores))
        .sum();
    AgentReport {
        schema_version: SCHEMA_VERSION,
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
        host: HostFacts {
            arch: arch.to_owned(),
            cpu_model: first.and_then(|cpu| cpu.model.clone()),
            logical_cpus: (logical > 0).then_some(logical),
            memory_bytes: facts.memory_mib.map(|mib| mib << 20),
            system_uuid: facts.uuid.as_ref().map(|uuid| uuid.to_lowercase()),
            system_serial: facts.smbios_serial.clone(),
            bmc: Some(Box::new(facts)),
            ..HostFacts::default()
        },
        profile: context.profile,
        roles: context.roles.clone(),
        // No check of a BMC depends on the CNI; the default is recorded.
        cni: Cni::KubeOvn,
        duration_ms: started.elapsed().as_millis() as u64,
        peak_rss_kib: None,
        checks,
    }
}

fn run_check(args: &BmcCheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    if args.list {
        let list = CheckList {
            schema_version: SCHEMA_VERSION,
            checks: checks::ALL
                .iter()
                .map(|check| ListedCheck {
                    id: check.id().to_owned(),
                    title: check.title().to_owned(),
                    when: check.scope().describe(),
                    advisory: check.severity() == check::Severity::Advisory,
                    hint: check.hint().to_owned(),
                    applies: Some(check.scope().applicability()),
                })
                .collect(),
        };
        output.finish(&list, &View::of_check_list(&list), out)?;
        return Ok(ExitCode::Success);
    }
    let plan = plan_check(args)?;
    let (report, code) = execute_check(&plan, output.observer())?;
    output.finish(&report, &check_view(&report), out)?;
    Ok(code)
}

/// The fleet view of the report, with one line of facts per system first.
pub fn check_view(report: &FleetReport) -> View {
    let mut view = View::of_fleet(report);
    view.kind = ViewKind::Bmc;
    let lines: Vec<String> = report
        .hosts
        .iter()
        .filter_map(|host| {
            let facts = host.report.as_ref()?.host.bmc.as_deref()?;
            let text = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
            let cpus = facts
                .processors
                .first()
                .and_then(|cpu| cpu.model.clone())
                .map(|model| format!("{}× {model}", facts.processors.len()))
                .unwrap_or_else(|| "-".to_owned());
            let memory = facts
                .memory_mib
                .map(|mib| format!("{} GiB", mib / 1024))
                .unwrap_or_else(|| "-".to_owned());
            let model = [&facts.manufacturer, &facts.model]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            Some(format!(
                "{} (system {}): {} · serial {} · UUID {} · {cpus} · {memory} · power {}",
                host.host,
                facts.system_id,
                if model.is_empty() { "-" } else { &model },
                text(&facts.smbios_serial),
                text(&facts.uuid),
                text(&facts.power_state)
            ))
        })
        .collect();
    if !lines.is_empty() {
        view.headline.extend(lines);
    }
    view
}

// ---------------------------------------------------------------- bmc boot

pub struct BootPlan {
    pub connection: Connection,
    pub request: changes::Request,
    pub apply: bool,
}

pub fn plan_boot(args: &BmcBootArgs) -> anyhow::Result<BootPlan> {
    let request = match (&args.iso, args.eject) {
        (Some(iso), false) => changes::Request::Boot {
            iso: check_iso(iso)?,
        },
        (None, true) => changes::Request::Eject,
        _ => bail!("give --iso URL, or --eject"),
    };
    Ok(BootPlan {
        connection: connection(&args.connect, args.timeout)?,
        request,
        apply: args.yes,
    })
}

/// The ISO URL is fetched by the BMCs and printed in reports: http(s), a host, and no
/// credentials in it.
fn check_iso(text: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|error| anyhow::anyhow!("--iso: not a URL ({error})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("--iso: the BMCs download the ISO: give an http:// or https:// URL with a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        bail!("--iso: the URL holds credentials, which would be printed in every report");
    }
    Ok(url.to_string())
}

pub fn execute_boot(
    plan: &BootPlan,
    observer: &dyn Observer,
) -> anyhow::Result<(BmcBootReport, ExitCode)> {
    let started = Instant::now();
    let request = Arc::new(plan.request.clone());
    let apply = plan.apply;
    let (per_bmc, interrupted) = plan.connection.for_each(
        move |client, target| {
            let request = request.clone();
            async move { boot_bmc(&client, &target, &request, apply).await }
        },
        |target, outcome, error| {
            vec![boot_entry(
                target,
                None,
                outcome,
                BootResult::NotReached,
                Some(error),
            )]
        },
        observer,
        // The boot report is not a fleet report: the bar counts BMCs started, no verdicts.
        |_, _| {},
    )?;
    plan.connection.save_pins();
    let report = BmcBootReport {
        schema_version: SCHEMA_VERSION,
        dry_run: !plan.apply,
        iso: match &plan.request {
            changes::Request::Boot { iso } => Some(iso.clone()),
            changes::Request::Eject => None,
        },
        duration_ms: started.elapsed().as_millis() as u64,
        hosts: per_bmc.into_iter().flatten().collect(),
    };
    let code = if interrupted {
        ExitCode::Interrupted
    } else {
        report.exit_code()
    };
    Ok((report, code))
}

fn boot_entry(
    target: &BmcTarget,
    system_id: Option<String>,
    outcome: HostOutcome,
    result: BootResult,
    error: Option<String>,
) -> BmcBootHost {
    BmcBootHost {
        host: target.name.clone(),
        address: target.url.origin(),
        system_id,
        outcome,
        result,
        error,
        steps: Vec::new(),
    }
}

async fn boot_bmc(
    client: &Client,
    target: &BmcTarget,
    request: &changes::Request,
    apply: bool,
) -> Vec<BmcBootHost> {
    let systems = match facts::systems(client, target.system.as_deref()).await {
        Ok(systems) => systems,
        Err(error) => {
            let result = if error.outcome() == HostOutcome::InvalidReport {
                BootResult::Refused
            } else {
                BootResult::NotReached
            };
            return vec![boot_entry(
                target,
                None,
                error.outcome(),
                result,
                Some(error.to_string()),
            )];
        }
    };
    if systems.len() > 1 {
        let ids: Vec<String> = systems.iter().map(facts::system_id).collect();
        return vec![boot_entry(
            target,
            None,
            HostOutcome::Reported,
            BootResult::Refused,
            Some(format!(
                "the BMC has {} systems ({}): name one with {}#SystemId",
                ids.len(),
                ids.join(", "),
                target.url.origin()
            )),
        )];
    }
    let mut hosts = Vec::new();
    for reference in &systems {
        let system_id = Some(facts::system_id(reference));
        let host = match changes::boot(client, reference, request, apply).await {
            Ok(done) => BmcBootHost {
                steps: done.steps,
                ..boot_entry(
                    target,
                    system_id,
                    HostOutcome::Reported,
                    done.result,
                    done.error,
                )
            },
            Err(error) => boot_entry(
                target,
                system_id,
                error.outcome(),
                BootResult::NotReached,
                Some(error.to_string()),
            ),
        };
        hosts.push(host);
    }
    hosts
}

fn run_boot(args: &BmcBootArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let plan = plan_boot(args)?;
    let (report, code) = execute_boot(&plan, output.observer())?;
    output.finish(&report, &boot_view(&report), out)?;
    Ok(code)
}

/// `bmc boot` for people: per host its result and its steps, then a summary line that says
/// whether anything was changed.
pub fn boot_view(report: &BmcBootReport) -> View {
    let mut view = View::empty(ViewKind::Checks);
    view.sections.push(Section {
        heading: if report.dry_run {
            "The plan (nothing was sent):".to_owned()
        } else {
            "What was done:".to_owned()
        },
        lines: render_boot(report).lines().map(str::to_owned).collect(),
    });
    view.summary = boot_summary(report);
    view
}

/// Per host its result, then its steps.
fn render_boot(report: &BmcBootReport) -> String {
    let mut text = String::new();
    let width = report
        .hosts
        .iter()
        .flat_map(|host| host.steps.iter().map(|step| step.action.as_str().len()))
        .max()
        .unwrap_or(0);
    for host in &report.hosts {
        let result = result_word(host.result);
        let system = host
            .system_id
            .as_deref()
            .map(|id| format!(", system {id}"))
            .unwrap_or_default();
        let mut line = format!("{} ({}{system}): {result}", host.host, host.address);
        if host.outcome != HostOutcome::Reported {
            line.push_str(&format!(
                " [{}]",
                ironprep_report::view::outcome_word(host.outcome)
            ));
        }
        if let Some(error) = &host.error {
            line.push_str(&format!(" — {error}"));
        }
        text.push_str(&line);
        text.push('\n');
        for step in &host.steps {
            let status = serde_json::to_value(step.status)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default();
            text.push_str(&format!(
                "  {:<width$}  {:<8}  {}{}\n",
                step.action.as_str(),
                status,
                step.detail,
                step.error
                    .as_deref()
                    .map(|error| format!(": {error}"))
                    .unwrap_or_default()
            ));
        }
    }
    text
}

fn boot_summary(report: &BmcBootReport) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for host in &report.hosts {
        *counts.entry(result_word(host.result)).or_default() += 1;
    }
    let counts = counts
        .iter()
        .map(|(word, count)| format!("{count} {word}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let verdict = if report.dry_run {
        "dry run: nothing was changed on any BMC; run again with --yes to do it"
    } else {
        "done where it says done; see the errors above for the others"
    };
    format!(
        "summary: {} host(s) · {counts} — {verdict} (in {} ms)",
        report.hosts.len(),
        report.duration_ms
    )
}

fn result_word(result: BootResult) -> &'static str {
    match result {
        BootResult::Planned => "planned",
        BootResult::Done => "done",
        BootResult::Refused => "refused",
        BootResult::Failed => "failed",
        BootResult::NotReached => "not reached",
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(subcommand)]
        command: BmcCommand,
    }

    fn parse(argv: &[&str]) -> BmcCommand {
        let mut full = vec!["bmc"];
        full.extend_from_slice(argv);
        Wrapper::try_parse_from(full).unwrap().command
    }

    fn check_args(argv: &[&str]) -> BmcCheckArgs {
        let mut full = vec!["check"];
        full.extend_from_slice(argv);
        match parse(&full) {
            BmcCommand::Check(args) => *args,
            BmcCommand::Boot(_) => unreachable!(),
        }
    }

    /// Records what a run reports as it goes.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<String>>);

    impl Observer for Recorder {
        fn event(&self, event: &Event<'_>) {
            let line = match event {
                Event::Started { subjects } => format!("started {subjects}"),
                Event::SubjectStarted { name } => format!("begin {name}"),
                Event::HostFinished { entry } => format!("end {} {:?}", entry.host, entry.outcome),
                Event::Note { text, .. } => format!("note {text}"),
            };
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn a_bmc_whose_task_panics_is_still_in_the_report_and_progress_is_reported() {
        let targets = ["https://127.0.0.1:9/", "https://127.0.0.2:9/"]
            .iter()
            .map(|url| {
                let (url, system) = target::parse_url(url, "--bmc").unwrap();
                BmcTarget {
                    name: url.host.clone(),
                    url,
                    system,
                    user: None,
                    roles: Vec::new(),
                }
            })
            .collect();
        let connection = Connection {
            targets,
            default_user: Some("root".to_owned()),
            password: Arc::new(Password::for_tests("secret")),
            trust: Trust::Insecure,
            known_hosts: None,
            timeout: Duration::from_secs(600),
            concurrency: 2,
        };
        let recorder = Recorder::default();
        let (entries, interrupted) = connection
            .for_each(
                |_client, target| async move {
                    if target.name == "127.0.0.2" {
                        panic!("index out of bounds");
                    }
                    vec![failed_entry(&target, HostOutcome::Reported, String::new())]
                },
                |target, outcome, error| vec![failed_entry(target, outcome, error)],
                &recorder,
                |entries, observer| {
                    for entry in entries {
                        observer.event(&Event::HostFinished { entry });
                    }
                },
            )
            .unwrap();
        assert!(!interrupted);
        let entries: Vec<HostEntry> = entries.into_iter().flatten().collect();
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0].outcome, HostOutcome::Reported);
        assert_eq!(entries[1].host, "127.0.0.2");
        assert_eq!(entries[1].outcome, HostOutcome::AgentFailed);
        let error = entries[1].error.as_deref().unwrap_or_default();
        assert!(error.contains("a panic: index out of bounds"), "{error}");
        let events = recorder.0.lock().unwrap().clone();
        assert_eq!(events[0], "started 2");
        for name in ["127.0.0.1", "127.0.0.2"] {
            assert!(events.contains(&format!("begin {name}")), "{events:?}");
        }
        assert!(
            events.contains(&"end 127.0.0.2 AgentFailed".to_owned()),
            "{events:?}"
        );
    }

    #[test]
    fn input_errors_are_found_before_any_bmc_is_contacted() {
        let directory = tempfile::tempdir().unwrap();
        let pins = directory.path().join("pins");
        let pins = pins.to_str().unwrap();
        let error = plan_check(&check_args(&[
            "--bmc",
            "https://10.0.0.21",
            "--bmc-known-hosts",
            pins,
        ]))
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "no BMC user for 10.0.0.21: give --bmc-user USER (or bmc_user= in the inventory)"
        );
        let error = plan_check(&check_args(&[
            "--bmc",
            "http://10.0.0.21",
            "--bmc-user",
            "root",
        ]))
        .err()
        .unwrap();
        assert!(error.to_string().contains("is not https"), "{error}");
        let error = plan_check(&check_args(&[
            "--bmc",
            "https://10.0.0.21",
            "--bmc-user",
            "root",
            "--only",
            "memory.swap",
        ]))
        .err()
        .unwrap();
        assert!(
            error
                .to_string()
                .starts_with("unknown check ID memory.swap (valid: memory.size"),
            "{error}"
        );
        // Out-of-range numbers never reach the plan: the command line refuses them.
        let parsed = Wrapper::try_parse_from([
            "bmc",
            "check",
            "--bmc",
            "https://10.0.0.21",
            "--timeout",
            "0",
        ]);
        assert!(parsed.is_err());
    }

    #[test]
    fn a_bad_waiver_file_is_refused_before_anything_else_is_resolved() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("waivers.yaml");
        // No --bmc-user either: the waiver file is read first, so its error is the one shown.
        let plan = |text: &str| {
            std::fs::write(&file, text).unwrap();
            plan_check(&check_args(&[
                "--bmc",
                "https://10.0.0.21",
                "--waivers",
                file.to_str().unwrap(),
            ]))
            .err()
            .map(|error| format!("{error:#}"))
            .unwrap_or_default()
        };
        // memory.swap is the agent's: a BMC never reports it.
        let error = plan("- check: hw.tpm\n  reason: a\n- check: memory.swap\n  reason: b\n");
        assert!(
            error.starts_with("--waivers: ")
                && error.contains(
                    "waivers.yaml:3: waiver 2: `check`: unknown check ID \
                                   'memory.swap' (see ironprep bmc check --list)"
                ),
            "{error}"
        );
        let error = plan("- check: hw.tpm\n  reason: a\n  expires: 2020-02-29\n");
        assert!(
            error.contains("waivers.yaml:1: the waiver of hw.tpm expired on 2020-02-29"),
            "{error}"
        );
        // Every check this command reports, fleet checks too, may be waived.
        let mut text = String::new();
        for id in checks::ALL
            .iter()
            .map(|check| check.id())
            .chain(FLEET_CHECKS.iter().copied())
        {
            text.push_str(&format!("- check: {id}\n  reason: accepted\n"));
        }
        let error = plan(&text);
        assert!(error.starts_with("no BMC user"), "{error}");
    }

    /// What a waiver may name is what `execute_check` reports across hosts.
    #[test]
    fn the_waivable_fleet_checks_are_the_ones_reported() {
        let reported = [
            cross_host::uuid_unique(&[]),
            cross_host::serial_unique(&[]),
            cross_host::role_count(&[], &BTreeMap::new()),
        ];
        let ids: Vec<&str> = reported
            .iter()
            .map(|check| check.result.id.as_str())
            .collect();
        assert_eq!(ids, FLEET_CHECKS);
        for id in FLEET_CHECKS {
            assert!(crate::waivers::FLEET_CHECKS.contains(id), "{id}");
        }
    }

    #[test]
    fn iso_urls_are_checked() {
        assert_eq!(
            check_iso("http://10.0.0.5/seed.iso").unwrap(),
            "http://10.0.0.5/seed.iso"
        );
        for bad in [
            "ftp://10.0.0.5/seed.iso",
            "seed.iso",
            "https://u:secret@h/seed.iso",
        ] {
            let error = check_iso(bad).unwrap_err().to_string();
            assert!(!error.contains("secret"), "{error}");
        }
        assert!(
            Wrapper::try_parse_from(["bmc", "boot", "--bmc", "h"]).is_err(),
            "--iso or --eject"
        );
        assert!(
            Wrapper::try_parse_from([
                "bmc",
                "boot",
                "--bmc",
                "h",
                "--iso",
                "http://x/i.iso",
                "--eject"
            ])
            .is_err()
        );
    }

    #[test]
    fn there_is_no_password_flag() {
        for flag in ["--bmc-password", "--password"] {
            assert!(
                Wrapper::try_parse_from(["bmc", "check", "--bmc", "h", flag, "x"]).is_err(),
                "{flag}"
            );
        }
    }

    #[test]
    fn boot_reports_render_their_steps_and_whether_anything_changed() {
        let report = BmcBootReport {
            schema_version: SCHEMA_VERSION,
            dry_run: true,
            iso: Some("http://10.0.0.5/seed.iso".to_owned()),
            duration_ms: 12,
            hosts: vec![
                BmcBootHost {
                    host: "node-1".to_owned(),
                    address: "https://10.0.0.21".to_owned(),
                    system_id: Some("1".to_owned()),
                    outcome: HostOutcome::Reported,
                    result: BootResult::Planned,
                    error: None,
                    steps: vec![ironprep_schema::bmc::BmcBootStep {
                        action: ironprep_schema::bmc::BootAction::PowerOn,
                        detail: "On (the host is Off)".to_owned(),
                        status: ironprep_schema::bmc::StepStatus::Planned,
                        error: None,
                    }],
                },
                BmcBootHost {
                    host: "node-2".to_owned(),
                    address: "https://10.0.0.22".to_owned(),
                    system_id: None,
                    outcome: HostOutcome::AuthFailed,
                    result: BootResult::NotReached,
                    error: Some("the BMC refused the login".to_owned()),
                    steps: Vec::new(),
                },
            ],
        };
        let text = ironprep_report::sinks::table::Table::new(Default::default())
            .render(&boot_view(&report));
        assert_eq!(
            text,
            "The plan (nothing was sent):\n  \
             node-1 (https://10.0.0.21, system 1): planned\n    \
             power-on  planned   On (the host is Off)\n  \
             node-2 (https://10.0.0.22): not reached [auth-failed] — the BMC refused the login\n\
             summary: 2 host(s) · 1 not reached · 1 planned — dry run: nothing was changed on \
             any BMC; run again with --yes to do it (in 12 ms)\n"
        );
    }

    #[test]
    fn known_hosts_default_lives_in_the_config_directory() {
        let path = default_known_hosts().unwrap();
        assert!(
            path.ends_with("ironprep/bmc_known_hosts"),
            "{}",
            path.display()
        );
    }
}
