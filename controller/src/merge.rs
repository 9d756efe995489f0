//! `ironprep merge`: a fleet too large for one controller is checked in shards (inventory
//! files, `--limit`, one Kubernetes Indexed Job per shard); this joins the shards' JSON
//! reports into one fleet report and reruns the cross-host checks on the union, so a hostname
//! or SMBIOS UUID that appears in two shards is caught as it would be in one run.
//!
//! What a shard measured against its own controller (clock offsets, the connectivity matrix)
//! cannot be recomputed across controllers: those checks are kept per shard, each naming the
//! report it came from.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use ironprep_input::ReadError;
use ironprep_report::View;
use ironprep_schema::{ExitCode, FleetCheck, FleetReport, HostEntry, SCHEMA_VERSION, Status};

use crate::fleet::cross_host::{self, Measured};
use crate::output::{Output, OutputArgs};

/// The largest shard report read: about 20,000 hosts' full reports, far beyond one shard.
const MAX_REPORT_BYTES: u64 = 1024 * 1024 * 1024;

/// The checks `merge` recomputes on the union: they need nothing but the hosts' reports.
const RECOMPUTED: [&str; 4] = [
    "fleet.hostname-unique",
    "fleet.uuid-unique",
    "fleet.timezone",
    "fleet.role-count",
];

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Fleet reports written by `ironprep check --format json`, one per shard.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// A shard report that cannot be merged; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: ReadError },
    #[error("{}: not an ironprep fleet report: {reason}", path.display())]
    NotAReport { path: PathBuf, reason: String },
    #[error(
        "{}: schema_version {found}, but this ironprep reads schema_version {}: merge with the \
         ironprep version that wrote it",
        path.display(),
        SCHEMA_VERSION
    )]
    Version { path: PathBuf, found: u64 },
}

pub fn run(args: &MergeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let shards = args
        .reports
        .iter()
        .map(|path| Ok((path.clone(), load(path)?)))
        .collect::<Result<Vec<_>, MergeError>>()?;
    let report = merge(&shards);
    output.finish(&report, &View::of_fleet(&report), out)?;
    Ok(report.exit_code())
}

/// One shard report, its version checked before its shape so an old or future report says so
/// rather than failing on a field.
pub fn load(path: &Path) -> Result<FleetReport, MergeError> {
    let bytes =
        ironprep_input::read(path, MAX_REPORT_BYTES).map_err(|source| MergeError::Read {
            path: path.to_owned(),
            source,
        })?;
    let not_a_report = |reason: String| MergeError::NotAReport {
        path: path.to_owned(),
        reason,
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|error| not_a_report(format!("not JSON ({error})")))?;
    let object = value
        .as_object()
        .ok_or_else(|| not_a_report("not a JSON object".to_owned()))?;
    let found = object
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| not_a_report("no schema_version".to_owned()))?;
    if found != u64::from(SCHEMA_VERSION) {
        return Err(MergeError::Version {
            path: path.to_owned(),
            found,
        });
    }
    if !object.contains_key("hosts") || !object.contains_key("fleet") {
        return Err(not_a_report(
            "no hosts and fleet fields (a single host's agent report, or another document?)"
                .to_owned(),
        ));
    }
    // Parsed again from the bytes so a wrong field is reported with its line and column.
    serde_json::from_slice(&bytes).map_err(|error| not_a_report(error.to_string()))
}

/// The union of the shards: every host entry in shard order, the cross-host checks rerun on
/// all of them, and the per-controller checks kept from each shard.
pub fn merge(shards: &[(PathBuf, FleetReport)]) -> FleetReport {
    let hosts: Vec<HostEntry> = shards
        .iter()
        .flat_map(|(_, report)| report.hosts.iter().cloned())
        .collect();
    // Roles count only where a shard's run was given them: its role-count check was not
    // skipped for want of roles (the agent reports control-plane by default).
    let roles_stated = shards.iter().any(|(_, report)| {
        report.fleet.iter().any(|check| {
            check.result.id == "fleet.role-count"
                && !(check.result.status == Status::Skip
                    && check
                        .result
                        .reason
                        .as_deref()
                        .is_some_and(|reason| reason.starts_with("no roles given")))
        })
    });
    let measured: BTreeMap<String, Measured> = hosts
        .iter()
        .filter(|_| roles_stated)
        .filter_map(|host| {
            let roles = host.report.as_ref()?.roles.clone();
            Some((
                host.host.clone(),
                Measured {
                    roles,
                    clock_offset_ms: None,
                },
            ))
        })
        .collect();
    let mut fleet: Vec<FleetCheck> = cross_host::run(&hosts, &measured)
        .into_iter()
        .filter(|check| RECOMPUTED.contains(&check.result.id.as_str()))
        .collect();
    fleet.push(shards_disjoint(shards));
    for (path, report) in shards {
        for check in &report.fleet {
            if RECOMPUTED.contains(&check.result.id.as_str()) {
                continue;
            }
            let mut check = check.clone();
            let shard = path.display();
            check.result.observed = if check.result.observed.is_empty() {
                format!("shard {shard}")
            } else {
                format!("shard {shard}: {}", check.result.observed)
            };
            fleet.push(check);
        }
    }
    FleetReport::new(hosts, fleet)
}

/// The same inventory name in two shards: one host checked twice, or two hosts under one name;
/// either way the shards were not cut cleanly.
fn shards_disjoint(shards: &[(PathBuf, FleetReport)]) -> FleetCheck {
    let mut by_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (path, report) in shards {
        for host in &report.hosts {
            by_name
                .entry(host.host.as_str())
                .or_default()
                .push(path.display().to_string());
        }
    }
    let repeated: Vec<(&str, &Vec<String>)> = by_name
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| (*name, files))
        .collect();
    let title = "every host is in one shard";
    let expected = "each inventory name in exactly one shard report".to_owned();
    if repeated.is_empty() {
        let mut check = cross_host_check(title, Status::Pass, Vec::new());
        check.result.observed = format!(
            "{} hosts in {} shard reports, no name twice",
            by_name.len(),
            shards.len()
        );
        check.result.expected = expected;
        return check;
    }
    let mut check = cross_host_check(
        title,
        Status::Fail,
        repeated
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect(),
    );
    check.result.observed = repeated
        .iter()
        .map(|(name, files)| format!("{name} in {}", files.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    check.result.expected = expected;
    check.result.hint = "split the inventory so every host is in one shard (disjoint --limit \
                         patterns or one inventory file per shard), then merge again"
        .to_owned();
    check
}

fn cross_host_check(title: &str, status: Status, hosts: Vec<String>) -> FleetCheck {
    FleetCheck {
        result: ironprep_schema::CheckResult {
            id: "fleet.shards-disjoint".to_owned(),
            title: title.to_owned(),
            status,
            observed: String::new(),
            expected: String::new(),
            hint: String::new(),
            reason: None,
        },
        hosts,
        pairs: Vec::new(),
    }
}
