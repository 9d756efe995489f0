//! `ironprep registration names|pools`: every host's MachineInventory name known before the
//! ISO boots, and the MachineInventoryPools built from those names. Seed 001 has the user boot
//! every host, wait for the inventories, then copy their names from `kubectl get` into the
//! pools by hand; cloned or placeholder SMBIOS values make two hosts one inventory, and a
//! mistyped member leaves a pool short. Here the names come from the MachineRegistration's
//! `spec.machineName` and each host's SMBIOS facts in an ironprep fleet report (SSH or BMC),
//! with elemental's own rules ([`names`]); collisions are errors before anything boots.

pub mod names;
pub mod pools;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use ironprep_report::View;
use ironprep_report::view::{Section, ViewKind};
use ironprep_schema::registration::{HostName, NamesReport, RegistrationRef};
use ironprep_schema::{CheckResult, ExitCode, FleetReport, HostOutcome, SCHEMA_VERSION, Status};

use crate::lint::{Loaded, ManifestObject, load_bytes};
use crate::output::{Output, OutputArgs};
use names::{NameProblem, Template, TemplateError};

/// A fleet report is JSON of a few kilobytes per host; this allows a million hosts.
const MAX_REPORT_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum RegistrationCommand {
    /// Predict every host's MachineInventory name from spec.machineName and its SMBIOS facts.
    Names(NamesArgs),
    /// Write one MachineInventoryPool per role with the predicted names as members.
    Pools(PoolsArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
elemental-operator names each MachineInventory from spec.machineName: ${System Information/UUID}
and ${System Information/Serial Number} are filled from the host's SMBIOS data, then every
character outside [0-9a-zA-Z.] becomes -, runs of - collapse, the ends are trimmed to a letter or
digit, the name is cut to 58 bytes and lower-cased. Where elemental silently falls back to a
random m-<uuid> name (a value the host lacks), this is an error naming the host.

Exit codes: 0 every name known, valid and unique; 1 a host without a name, an invalid name, or
two hosts with one name; 2 unusable input (an unbalanced ${ in the template); 3 hosts that were
not reported (and nothing failed).

Examples:
  ironprep check --inventory hosts.yaml --format json > fleet.json
  ironprep registration names --registration 01-machineregistration-seedimage.yaml --report fleet.json")]
pub struct NamesArgs {
    #[command(flatten)]
    pub input: Input,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Roles come from the fleet report: control-plane hosts go to <cluster>-control-plane-pool, worker
hosts to <cluster>-worker-pool (namespace cpaas-system, spec.clusterName <cluster>); the installer
host belongs to no pool. Members are {name, hostname}: the predicted inventory name and the
host's hostname (left out when it is not a valid node name). Nothing is written when a name is
missing, invalid or shared.

Examples:
  ironprep registration pools --registration reg.yaml --report fleet.json --cluster global > pools.yaml
  ironprep lint --report fleet.json reg.yaml pools.yaml")]
pub struct PoolsArgs {
    #[command(flatten)]
    pub input: Input,

    /// The cluster the pools serve (`global`, or the workload cluster's name).
    #[arg(long, value_name = "NAME")]
    pub cluster: String,

    /// With --format table (the default) the output is the pools as YAML to apply; json is
    /// the versioned document.
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct Input {
    /// The MachineRegistration manifest (a file with one MachineRegistration; other kinds in
    /// it are ignored).
    #[arg(long, value_name = "REG.yaml")]
    pub registration: PathBuf,

    /// An ironprep fleet report: `ironprep check --format json` (SSH) or the BMC command's.
    #[arg(long, value_name = "FLEET.json")]
    pub report: PathBuf,
}

/// The MachineRegistration the names come from.
#[derive(Clone, Debug)]
pub struct Registration {
    /// `MachineRegistration/namespace/name`.
    pub object: String,
    pub machine_name: String,
    pub template: Template,
    /// `spec.config.elemental.registration.no-smbios`.
    pub no_smbios: bool,
}

impl Registration {
    fn reference(&self) -> RegistrationRef {
        RegistrationRef {
            object: self.object.clone(),
            machine_name: self.machine_name.clone(),
        }
    }
}

/// Why a MachineRegistration cannot give names at all.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(
        "no spec.machineName: elemental names every inventory m-<random uuid>, which no one \
         can know before boot; set machineName: \"<cluster>-${{System Information/UUID}}\""
    )]
    NoMachineName,
    #[error("spec.machineName: {0}")]
    Template(#[from] TemplateError),
}

/// Reads the registration of a lint object (the template's errors are its own).
pub fn registration_of(object: &ManifestObject) -> Result<Registration, RegistrationError> {
    let machine_name = object
        .str(&["spec", "machineName"])
        .filter(|name| !name.is_empty())
        .ok_or(RegistrationError::NoMachineName)?
        .to_owned();
    let template = Template::parse(&machine_name)?;
    let no_smbios = object
        .field(&["spec", "config", "elemental", "registration", "no-smbios"])
        .and_then(|field| field.node.bool())
        == Some(true);
    Ok(Registration {
        object: object.label(),
        machine_name,
        template,
        no_smbios,
    })
}

/// The one MachineRegistration in `path`; errors name the file, line and field.
pub fn read_registration(path: &Path) -> anyhow::Result<Registration> {
    let name = path.display().to_string();
    let bytes = ironprep_input::read(path, crate::lint::MAX_INPUT_BYTES)
        .with_context(|| format!("cannot read {name}"))?;
    let mut loaded = Loaded::default();
    load_bytes(&name, &bytes, &mut loaded);
    if let Some(error) = loaded.errors.first() {
        bail!("{error}");
    }
    let registrations: Vec<&ManifestObject> = loaded
        .objects
        .iter()
        .filter(|object| object.kind == "MachineRegistration")
        .collect();
    let object = match registrations.as_slice() {
        [one] => *one,
        [] => bail!("{name}: no MachineRegistration in it"),
        many => bail!(
            "{name}: {} MachineRegistrations ({}); give a file with one",
            many.len(),
            many.iter()
                .map(|object| object.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    registration_of(object).map_err(|error| {
        let pos = object
            .field(&["spec", "machineName"])
            .map_or(object.pos, |field| field.pos);
        anyhow::anyhow!(
            "{name}:{}:{}: {}: {error}",
            pos.line,
            pos.column,
            object.label()
        )
    })
}

/// Reads an ironprep fleet report (bounded; errors name the file and the JSON position).
pub fn read_fleet(path: &Path) -> anyhow::Result<FleetReport> {
    let name = path.display().to_string();
    let bytes = ironprep_input::read(path, MAX_REPORT_BYTES).map_err(|error| match error {
        ironprep_input::ReadError::TooLarge { .. } => anyhow::anyhow!(
            "{name}: larger than {}: not a fleet report",
            ironprep_input::size_text(MAX_REPORT_BYTES)
        ),
        other => anyhow::anyhow!("cannot read {name}: {other}"),
    })?;
    let report: FleetReport = serde_json::from_slice(&bytes).map_err(|error| {
        anyhow::anyhow!(
            "{name}:{}:{}: not an ironprep fleet report (ironprep check --format json): {error}",
            error.line(),
            error.column()
        )
    })?;
    Ok(report)
}

/// Every host's predicted name, and the checks that decide whether they can be trusted:
/// `registration.names-resolved`, `registration.names-valid`, `registration.names-unique`.
pub fn predict(
    registration: &Registration,
    fleet: &FleetReport,
) -> (Vec<HostName>, Vec<CheckResult>) {
    let mut hosts = Vec::new();
    let mut unresolved = Vec::new();
    let mut unreported = Vec::new();
    for entry in &fleet.hosts {
        let Some(report) = entry
            .report
            .as_ref()
            .filter(|_| entry.outcome == HostOutcome::Reported)
        else {
            unreported.push(format!("{} ({})", entry.host, outcome_text(entry.outcome)));
            hosts.push(HostName {
                host: entry.host.clone(),
                hostname: None,
                roles: Vec::new(),
                name: None,
                problem: Some(format!(
                    "not reported ({}): its SMBIOS facts are unknown",
                    outcome_text(entry.outcome)
                )),
            });
            continue;
        };
        let expanded = if registration.no_smbios && registration.template.uses_smbios() {
            Err(
                "no-smbios: true: elemental-register sends no SMBIOS data, so the name falls \
                 back to a random m-<uuid>"
                    .to_owned(),
            )
        } else {
            registration
                .template
                .expand(&report.host)
                .map_err(|problem: NameProblem| problem.to_string())
        };
        if let Err(problem) = &expanded {
            unresolved.push(format!("{}: {problem}", entry.host));
        }
        hosts.push(HostName {
            host: entry.host.clone(),
            hostname: Some(report.host.hostname.clone()),
            roles: report.roles.clone(),
            name: expanded.as_ref().ok().cloned(),
            problem: expanded.err(),
        });
    }
    let mut checks = Vec::new();
    let template = &registration.machine_name;
    let resolved = CheckResult {
        id: "registration.names-resolved".to_owned(),
        title: "every host's machineName template resolves from its SMBIOS facts".to_owned(),
        status: Status::Pass,
        observed: format!(
            "{} of {} hosts have a name",
            hosts.iter().filter(|host| host.name.is_some()).count(),
            hosts.len()
        ),
        expected: format!("`{template}` resolves on every host"),
        hint: String::new(),
        reason: None,
    };
    checks.push(if !unresolved.is_empty() {
        CheckResult {
            status: Status::Fail,
            observed: unresolved.join("; "),
            hint: "read the missing values on those hosts (ironprep check reads \
                   /sys/class/dmi/id as root), or build machineName from \
                   ${System Information/UUID} only"
                .to_owned(),
            ..resolved
        }
    } else if !unreported.is_empty() {
        CheckResult {
            status: Status::Error,
            reason: Some(format!("not reported: {}", unreported.join(", "))),
            hint: "reach those hosts (ironprep check) and run again".to_owned(),
            ..resolved
        }
    } else {
        resolved
    });
    let invalid: Vec<String> = hosts
        .iter()
        .filter_map(|host| {
            let name = host.name.as_ref()?;
            (!names::valid_object_name(name)).then(|| format!("{}: `{name}`", host.host))
        })
        .collect();
    let valid = CheckResult {
        id: "registration.names-valid".to_owned(),
        title: "every predicted name is a valid Kubernetes object name".to_owned(),
        status: Status::Pass,
        observed: "every name is lowercase letters, digits, `-` and `.`, starting and ending \
                   with a letter or digit"
            .to_owned(),
        expected: "a DNS-1123 subdomain (elemental cuts names to 58 bytes, which can leave a \
                   trailing `-` or `.`)"
            .to_owned(),
        hint: String::new(),
        reason: None,
    };
    checks.push(if invalid.is_empty() {
        valid
    } else {
        CheckResult {
            status: Status::Fail,
            observed: format!(
                "the API server refuses these inventories, so the hosts never register: {}",
                invalid.join("; ")
            ),
            hint: "shorten the constant part of machineName so the cut at 58 bytes does not \
                   end on `-` or `.`"
                .to_owned(),
            ..valid
        }
    });
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for host in &hosts {
        if let Some(name) = &host.name {
            by_name.entry(name).or_default().push(&host.host);
        }
    }
    let shared: Vec<String> = by_name
        .iter()
        .filter(|(_, hosts)| hosts.len() > 1)
        .map(|(name, hosts)| match hosts.as_slice() {
            [first, second] => format!("{first} and {second} both register as `{name}`"),
            [rest @ .., last] => format!("{} and {last} all register as `{name}`", rest.join(", ")),
            [] => String::new(),
        })
        .collect();
    let unique = CheckResult {
        id: "registration.names-unique".to_owned(),
        title: "no two hosts register as the same MachineInventory".to_owned(),
        status: Status::Pass,
        observed: format!("{} distinct names", by_name.len()),
        expected: "one name per host".to_owned(),
        hint: String::new(),
        reason: None,
    };
    checks.push(if shared.is_empty() {
        unique
    } else {
        CheckResult {
            status: Status::Fail,
            observed: format!(
                "{}: only the first registers; the others loop on `websocket: close 1006`",
                shared.join("; ")
            ),
            hint: "cloned VMs or boards share SMBIOS values: give each host a unique system \
                   UUID (the hypervisor's VM UUID, or the vendor's BIOS tool), or build \
                   machineName from a value that differs"
                .to_owned(),
            ..unique
        }
    });
    (hosts, checks)
}

fn outcome_text(outcome: HostOutcome) -> String {
    serde_json::to_value(outcome)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn run(command: &RegistrationCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        RegistrationCommand::Names(args) => {
            let output = Output::open(&args.output)?;
            let registration = read_registration(&args.input.registration)?;
            let fleet = read_fleet(&args.input.report)?;
            let (hosts, checks) = predict(&registration, &fleet);
            let report = NamesReport {
                schema_version: SCHEMA_VERSION,
                registration: registration.reference(),
                hosts,
                checks,
            };
            output.finish(&report, &names_view(&report), out)?;
            Ok(report.exit_code())
        }
        RegistrationCommand::Pools(args) => {
            let output = Output::open(&args.output)?;
            let registration = read_registration(&args.input.registration)?;
            let fleet = read_fleet(&args.input.report)?;
            let report = pools::build(&registration, &fleet, &args.cluster)?;
            output.finish(&report, &pools::view(&report), out)?;
            Ok(report.exit_code())
        }
    }
}

/// The registration's template, one line per host (host, name or problem), then the checks.
pub fn names_view(report: &NamesReport) -> View {
    let width = report
        .hosts
        .iter()
        .map(|host| host.host.len())
        .max()
        .unwrap_or(0);
    let headline = format!(
        "{}: machineName `{}`",
        report.registration.object, report.registration.machine_name
    );
    let mut view = View::of_checks(
        ViewKind::Checks,
        vec![headline],
        &report.registration.object,
        &report.checks,
    );
    view.sections.push(Section {
        heading: "MachineInventory names:".to_owned(),
        lines: report
            .hosts
            .iter()
            .filter_map(|host| match (&host.name, &host.problem) {
                (Some(name), _) => Some(format!("{:<width$}  {name}", host.host)),
                (None, Some(problem)) => Some(format!("{:<width$}  ✗ {problem}", host.host)),
                (None, None) => None,
            })
            .collect(),
    });
    view
}
