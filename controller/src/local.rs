//! `ironprep check` on this machine: runs the agent binary here, reads its JSON report and
//! renders it exactly as the agent would, so one host and a fleet share one code path (the
//! agent's JSON contract) and one table. With `--inventory` or `--hosts` the same options go
//! to every host of a fleet over SSH (`crate::fleet`).

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use ironprep_report::event::{Event, NoteLevel};
use ironprep_report::{Format, View};
use ironprep_schema::listing::{CheckList, Selection};
use ironprep_schema::{
    AgentReport, Cni, ExitCode, FleetReport, HostEntry, HostOutcome, Profile, Role, UnknownValue,
};

use crate::fleet;
use crate::output::{Output, OutputArgs};

const AGENT_NAME: &str = "ironprep-agent";

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ironprep check                                   this machine as a control-plane node
  ironprep check --role installer --role control-plane
  ironprep check --profile immutable --with hw.tpm
  ironprep check --format json > report.json
  ironprep check -i inventory.ini --ssh-key ~/.ssh/id_ed25519   every host of an Ansible inventory
  ironprep check -i inventory.ini --list-hosts --limit 'etcd:!node1'   who would be checked, and how
  ironprep check --hosts root@10.0.0.5,10.0.0.6 --format junit --output preflight.xml")]
pub struct CheckArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// traditional (ACP on the installed OS) or immutable (re-imaged from the elemental ISO).
    #[arg(long, default_value = "traditional")]
    pub profile: String,

    /// Role of the host (control-plane, worker, installer, etcd); repeat for several. For a
    /// fleet: the roles of hosts whose inventory gives none [default: control-plane].
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,

    /// The CNI the cluster will use: kube-ovn or calico.
    #[arg(long, default_value = "kube-ovn")]
    pub cni: String,

    /// Run only these checks (comma-separated or repeated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Do not run these checks; they are reported as skipped (a check that runs but must not
    /// fail the run belongs in a waiver file).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Accepted failures: a YAML list of `{check: ID, hosts: [PATTERN], reason, expires:
    /// YYYY-MM-DD, owner}`. Waived checks still run and are reported as `waived`; an expired
    /// waiver or an unknown ID is an input error.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// List every host check with its title, when it applies and its fix, then exit.
    #[arg(long, conflicts_with = "explain")]
    pub list: bool,

    /// Explain one check: what it wants, when it applies, why it decides as it does, the fix.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,

    /// Also run these opt-in checks (disk.performance, hw.tpm, …).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub with: Vec<String>,

    /// Planned local storage (topolvm or rook): lvm2 is then required.
    #[arg(long)]
    pub storage: Option<String>,

    /// Where the installer package will be unpacked.
    #[arg(long, value_name = "DIR")]
    pub package_dir: Option<String>,

    /// The address this host will use in the cluster.
    #[arg(long, value_name = "IP")]
    pub node_ip: Option<IpAddr>,

    /// The MachineRegistration emulates a TPM (PoC only).
    #[arg(long)]
    pub emulated_tpm: bool,

    /// The agent binary to run [default: ironprep-agent next to this program, then PATH].
    /// On a fleet without --ca, FILE-lean beside it travels instead when it is there (the
    /// build without the TLS probe, half the bytes), and FILE.zst (FILE.xz to hosts without
    /// zstd) when it is exactly FILE compressed.
    #[arg(long, value_name = "FILE", env = "IRONPREP_AGENT")]
    pub agent: Option<PathBuf>,

    #[command(flatten)]
    pub cluster: crate::cluster_options::ClusterOptions,

    #[command(flatten)]
    pub reach: ReachArgs,

    #[command(flatten)]
    pub fleet: fleet::FleetArgs,
}

/// What every host must reach over verified TLS (SPEC §1 "Bare metal and elemental"): the
/// inputs of the agent's `reach.*` checks, which skip with the reason when they are absent.
#[derive(Debug, Args)]
#[command(next_help_heading = "Reachability from the hosts")]
pub struct ReachArgs {
    /// reach.platform: the platform URL (global.platformUrl), probed from every host.
    #[arg(long, value_name = "URL")]
    pub platform_url: Option<String>,

    /// reach.registry: the registry (global.registry.address); /v2/ must answer 200 or 401.
    #[arg(long, value_name = "HOST:PORT")]
    pub registry: Option<String>,

    /// reach.bootstrap: the installer host, whose https://IP:12443 every host must reach.
    #[arg(long, value_name = "IP")]
    pub bootstrap_host: Option<IpAddr>,

    /// The CA the hosts verify those endpoints against, and nothing else (strict agent TLS);
    /// shipped to every host beside the agent.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

impl ReachArgs {
    /// Unusable input, found here before any host is contacted: a URL that is not https, a
    /// registry that is not HOST[:PORT], a CA file that cannot be read or holds no certificate.
    pub fn problem(&self) -> Option<String> {
        use ironprep_certs::endpoint::{Target, Trust};
        if let Some(url) = &self.platform_url
            && let Err(error) = Target::ingress(url)
        {
            return Some(format!("--platform-url: {error}"));
        }
        if let Some(address) = &self.registry
            && let Err(error) = Target::registry(address)
        {
            return Some(format!("--registry: {error}"));
        }
        let ca = self.ca.as_ref()?;
        // The error names the file and its cause.
        match ironprep_certs::material::certificate_file(ca) {
            Ok(certificates) => Trust::from_certificates(&certificates)
                .err()
                .map(|error| format!("--ca {}: {error}", ca.display())),
            Err(error) => Some(format!("--ca {error}")),
        }
    }

    /// An endpoint was named but no CA: the checks will be skipped, which a person should know
    /// before waiting for 300 hosts.
    pub fn warning(&self) -> Option<&'static str> {
        let named =
            self.platform_url.is_some() || self.registry.is_some() || self.bootstrap_host.is_some();
        (named && self.ca.is_none()).then_some(
            "no --ca given: the reach.* checks will be skipped (strict TLS needs the CA the \
             hosts will trust)",
        )
    }

    /// The agent flags for the endpoints; `--ca` is added by the caller (a path here, a path
    /// in the host's private directory for a fleet).
    fn agent_arguments(&self) -> Vec<String> {
        let mut arguments = Vec::new();
        if let Some(url) = &self.platform_url {
            arguments.extend(["--platform-url".to_owned(), url.clone()]);
        }
        if let Some(registry) = &self.registry {
            arguments.extend(["--registry".to_owned(), registry.clone()]);
        }
        if let Some(ip) = self.bootstrap_host {
            arguments.extend(["--bootstrap-host".to_owned(), ip.to_string()]);
        }
        arguments
    }
}

impl CheckArgs {
    /// The agent's command line for these options on this machine (the agent validates the
    /// values).
    pub fn agent_arguments(&self) -> Vec<String> {
        let mut arguments = self.agent_arguments_with_roles(&self.roles);
        if let Some(ca) = &self.reach.ca {
            arguments.extend(["--ca".to_owned(), ca.display().to_string()]);
        }
        arguments
    }

    /// The agent's command line with these roles instead of `--role` (a fleet host's roles
    /// come from its inventory groups).
    pub fn agent_arguments_with_roles(&self, roles: &[String]) -> Vec<String> {
        let mut arguments = vec![
            "--format".to_owned(),
            "json".to_owned(),
            "--profile".to_owned(),
            self.profile.clone(),
            "--cni".to_owned(),
            self.cni.clone(),
        ];
        for role in roles {
            arguments.extend(["--role".to_owned(), role.clone()]);
        }
        for (flag, ids) in [
            ("--only", &self.only),
            ("--skip", &self.skip),
            ("--with", &self.with),
        ] {
            if !ids.is_empty() {
                arguments.extend([flag.to_owned(), ids.join(",")]);
            }
        }
        if let Some(storage) = &self.storage {
            arguments.extend(["--storage".to_owned(), storage.clone()]);
        }
        if let Some(directory) = &self.package_dir {
            arguments.extend(["--package-dir".to_owned(), directory.clone()]);
        }
        if let Some(ip) = self.node_ip {
            arguments.extend(["--node-ip".to_owned(), ip.to_string()]);
        }
        if self.emulated_tpm {
            arguments.push("--emulated-tpm".to_owned());
        }
        arguments.extend(self.cluster.agent_arguments());
        arguments.extend(self.reach.agent_arguments());
        arguments
    }
}

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    if let Some(problem) = args.reach.problem() {
        eprintln!("ironprep check: {problem}");
        return Ok(ExitCode::Usage);
    }
    if let Some(warning) = args.reach.warning() {
        output.observer().event(&Event::Note {
            level: NoteLevel::Warning,
            text: warning,
        });
    }
    if args.fleet.list_hosts {
        return list_hosts(args, output, out);
    }
    let agent = match &args.agent {
        Some(path) => path.clone(),
        None => find_agent().context(
            "cannot find ironprep-agent next to ironprep or on PATH (build it with \
             `cargo build --release`, or pass --agent FILE)",
        )?,
    };
    if args.list {
        return list(&agent, output, out);
    }
    if let Some(id) = &args.explain {
        return explain(&agent, id, out);
    }
    let waivers = match &args.waivers {
        Some(path) => match load_waivers(&agent, path) {
            Ok(waivers) => waivers,
            Err(error) => {
                eprintln!("ironprep check: --waivers {error:#}");
                return Ok(ExitCode::Usage);
            }
        },
        None => Vec::new(),
    };
    if args.fleet.is_fleet() {
        return run_fleet(args, &agent, &waivers, output, out);
    }
    let started = std::process::Command::new(&agent)
        .args(args.agent_arguments())
        .output()
        .with_context(|| format!("cannot run the agent {}", agent.display()))?;
    if started.status.code() == Some(ExitCode::Usage.code().into()) {
        // A usage error of the agent is a usage error of ours: show its words, not ours.
        let message = String::from_utf8_lossy(&started.stderr);
        eprint!("{}", message.replace("ironprep-agent:", "ironprep check:"));
        return Ok(ExitCode::Usage);
    }
    let entry = match serde_json::from_slice::<AgentReport>(&started.stdout) {
        Ok(report) => HostEntry {
            host: "localhost".to_owned(),
            address: "local".to_owned(),
            outcome: HostOutcome::Reported,
            error: None,
            report: Some(report),
        },
        Err(error) => HostEntry {
            host: "localhost".to_owned(),
            address: "local".to_owned(),
            outcome: if started.status.success() || started.status.code() == Some(1) {
                HostOutcome::InvalidReport
            } else {
                HostOutcome::AgentFailed
            },
            error: Some(format!(
                "the agent ({}, {}) did not print a report: {error}; stderr: {}",
                agent.display(),
                started.status,
                String::from_utf8_lossy(&started.stderr).trim()
            )),
            report: None,
        },
    };
    let report = crate::waivers::apply(&waivers, FleetReport::new(vec![entry], Vec::new()));
    output.finish(&report, &View::of_fleet(&report), out)?;
    Ok(report.exit_code())
}

/// The waiver file, checked against the agent's catalogue and the fleet checks, expired
/// waivers refused.
fn load_waivers(agent: &Path, path: &Path) -> anyhow::Result<Vec<crate::waivers::Waiver>> {
    use crate::waivers::{self, Catalog, Kind};
    let started = std::process::Command::new(agent)
        .args(["--list", "--format", "json"])
        .output()
        .with_context(|| format!("cannot run the agent {}", agent.display()))?;
    let list: CheckList = serde_json::from_slice(&started.stdout).with_context(|| {
        format!(
            "the agent ({}) did not print its check list",
            agent.display()
        )
    })?;
    let knows = |id: &str| {
        list.checks.iter().any(|check| check.id == id) || waivers::FLEET_CHECKS.contains(&id)
    };
    let catalog = Catalog {
        command: "ironprep check",
        waives: Kind::Checks,
        knows: &knows,
    };
    Ok(waivers::load_current(path, &catalog, waivers::today())?)
}

/// `--list`: the agent's catalogue (the agent is the one that knows its checks), rendered
/// through the same output options as a report.
fn list(agent: &Path, output: Output, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let started = std::process::Command::new(agent)
        .args(["--list", "--format", "json"])
        .output()
        .with_context(|| format!("cannot run the agent {}", agent.display()))?;
    let list: CheckList = serde_json::from_slice(&started.stdout).with_context(|| {
        format!(
            "the agent ({}, {}) did not print its check list: {}",
            agent.display(),
            started.status,
            String::from_utf8_lossy(&started.stderr).trim()
        )
    })?;
    output.finish(&list, &View::of_check_list(&list), out)?;
    Ok(ExitCode::Success)
}

/// `--explain ID`: the agent's explanation, or its usage error in our name.
fn explain(agent: &Path, id: &str, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let started = std::process::Command::new(agent)
        .args(["--explain", id])
        .output()
        .with_context(|| format!("cannot run the agent {}", agent.display()))?;
    if !started.status.success() {
        let message = String::from_utf8_lossy(&started.stderr);
        eprint!("{}", message.replace("ironprep-agent:", "ironprep check:"));
        return Ok(ExitCode::Usage);
    }
    out.write_all(&started.stdout)?;
    Ok(ExitCode::Success)
}

/// `--profile`, `--cni` and `--role`, checked here for a fleet (a typo must not fail on 300
/// hosts); the agent checks them itself on this machine.
fn fleet_options(args: &CheckArgs) -> Result<(Profile, Cni, Vec<Role>), UnknownValue> {
    let profile = args.profile.parse::<Profile>()?;
    let cni = args.cni.parse::<Cni>()?;
    let roles = args
        .roles
        .iter()
        .map(|role| role.parse::<Role>())
        .collect::<Result<Vec<Role>, _>>()?;
    Ok((profile, cni, roles))
}

/// `--list-hosts`: the hosts as the run would reach them and the checks each would run,
/// rendered like any document; nothing is contacted.
fn list_hosts(args: &CheckArgs, output: Output, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if !args.fleet.is_fleet() {
        eprintln!("ironprep check: --list-hosts lists the hosts of --inventory or --hosts");
        return Ok(ExitCode::Usage);
    }
    if !matches!(output.format(), Format::Table | Format::Json) {
        eprintln!(
            "ironprep check: --list-hosts prints --format table or json, not {}",
            output.format().as_str()
        );
        return Ok(ExitCode::Usage);
    }
    let (profile, cni, default_roles) = match fleet_options(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("ironprep check: {error}");
            return Ok(ExitCode::Usage);
        }
    };
    let catalogue = fleet::listing::catalogue();
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
        with: args.with.clone(),
    };
    let unknown = fleet::listing::unknown_ids(&catalogue, &selection);
    if !unknown.is_empty() {
        eprintln!(
            "ironprep check: unknown check ID{} {} (see ironprep check --list)",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", ")
        );
        return Ok(ExitCode::Usage);
    }
    let targets = match fleet::resolve_targets(&args.fleet, &default_roles) {
        Ok(targets) => targets,
        Err(error) => {
            eprintln!("ironprep: {error}");
            return Ok(ExitCode::Usage);
        }
    };
    for warning in &targets.warnings {
        output.observer().event(&Event::Note {
            level: NoteLevel::Warning,
            text: warning,
        });
    }
    let list = fleet::listing::host_list(&targets, &catalogue, profile, cni, &selection);
    output.finish(&list, &View::of_host_list(&list), out)?;
    Ok(ExitCode::Success)
}

/// `--inventory` / `--hosts`: validates the check options here (a typo must not fail on 300
/// hosts), then runs the fleet and renders its report.
fn run_fleet(
    args: &CheckArgs,
    agent: &Path,
    waivers: &[crate::waivers::Waiver],
    output: Output,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let (_, cni, default_roles) = match fleet_options(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("ironprep check: {error}");
            return Ok(ExitCode::Usage);
        }
    };
    let base = args.agent_arguments_with_roles(&[]);
    let arguments = move |roles: &[Role]| {
        let mut arguments = base.clone();
        for role in roles {
            arguments.extend(["--role".to_owned(), role.as_str().to_owned()]);
        }
        arguments
    };
    let plan = match fleet::resolve(
        &args.fleet,
        fleet::CheckInputs {
            agent,
            ca: args.reach.ca.as_deref(),
            default_roles,
            cni,
            arguments: Box::new(arguments),
        },
    ) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("ironprep: {error}");
            return Ok(ExitCode::Usage);
        }
    };
    let finished =
        fleet::execute(plan, output.observer()).context("cannot start the async runtime")?;
    let report = crate::waivers::apply(waivers, finished.report);
    let code = if finished.interrupted {
        ExitCode::Interrupted
    } else {
        report.exit_code()
    };
    output.finish(&report, &View::of_fleet(&report), out)?;
    Ok(code)
}

/// `ironprep-agent` beside the running `ironprep` (how releases and `cargo build` lay them
/// out), then on `PATH`.
fn find_agent() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()?
        .parent()
        .map(|dir| dir.join(AGENT_NAME));
    if let Some(path) = beside.filter(|path| path.is_file()) {
        return Some(path);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(AGENT_NAME))
            .find(|path| is_file(path))
    })
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|metadata| metadata.is_file())
}
