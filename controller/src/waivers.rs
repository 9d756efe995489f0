//! `--waivers FILE` (SPEC §7): accepted failures with a reason. A waived check still runs and
//! is reported; the waiver only decides that its failure does not fail the run. This module
//! reads and validates the file for `check`, `bmc check` and `lint` alike (each command says
//! which IDs it knows); an unusable file is an input error naming file, line and field, never
//! a silently ignored waiver.

use std::path::Path;

use ironprep_schema::{CheckResult, FleetReport, Status};
use serde::Deserialize;
use time::{Date, Month};

/// A waiver file is a short hand-written list; anything larger is a mistake.
const MAX_BYTES: u64 = 1024 * 1024;

/// One waiver, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub target: Target,
    /// `hosts:` of a check waiver, `objects:` of a rule waiver (never the other), `*` matching
    /// any run of characters; empty: everywhere.
    pub patterns: Vec<String>,
    pub reason: String,
    pub expires: Option<Date>,
    pub owner: Option<String>,
    /// Line of the entry in the file, for messages.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Check(String),
    Rule(String),
}

impl Target {
    pub fn id(&self) -> &str {
        match self {
            Target::Check(id) | Target::Rule(id) => id,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        source: ironprep_input::ReadError,
    },
    #[error("{file}{}: {message}", line.map(|line| format!(":{line}")).unwrap_or_default())]
    Invalid {
        file: String,
        line: Option<usize>,
        message: String,
    },
}

/// What the waivers of one command may name.
pub struct Catalog<'a> {
    /// The command, for messages (`ironprep bmc check`).
    pub command: &'a str,
    /// Whether this command's waivers name checks (`check:`, `hosts:`) or lint rules
    /// (`rule:`, `objects:`).
    pub waives: Kind,
    /// Whether the ID is one this command reports: a waiver for a mistyped ID would never
    /// apply, so it is an error.
    pub knows: &'a dyn Fn(&str) -> bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Checks,
    Rules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    check: Option<String>,
    rule: Option<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    objects: Vec<String>,
    reason: Option<String>,
    expires: Option<String>,
    owner: Option<String>,
}

/// Reads and validates `path`, then refuses it if a waiver expired before `today`: what every
/// command does with `--waivers`.
pub fn load_current(
    path: &Path,
    catalog: &Catalog<'_>,
    today: Date,
) -> Result<Vec<Waiver>, WaiverError> {
    let waivers = load(path, catalog)?;
    refuse_expired(&path.display().to_string(), &waivers, today)?;
    Ok(waivers)
}

/// Reads and validates `path` against what `catalog` knows.
fn load(path: &Path, catalog: &Catalog<'_>) -> Result<Vec<Waiver>, WaiverError> {
    let file = path.display().to_string();
    let text =
        ironprep_input::read_to_string(path, MAX_BYTES).map_err(|source| WaiverError::Read {
            file: file.clone(),
            source,
        })?;
    parse(&file, &text, catalog)
}

/// Parses the text of the file named `file`.
pub fn parse(file: &str, text: &str, catalog: &Catalog<'_>) -> Result<Vec<Waiver>, WaiverError> {
    let invalid = |line: Option<usize>, message: String| WaiverError::Invalid {
        file: file.to_owned(),
        line,
        message,
    };
    let raw: Option<Vec<RawWaiver>> = serde_saphyr::from_str(text).map_err(|error| {
        let line = error.location().map(|location| location.line() as usize);
        let message = error.to_string();
        invalid(
            line,
            message.lines().next().unwrap_or_default().trim().to_owned(),
        )
    })?;
    let lines = entry_lines(text);
    let mut waivers = Vec::new();
    for (index, entry) in raw.unwrap_or_default().into_iter().enumerate() {
        let line = lines.get(index).copied();
        let at = |message: String| invalid(line, format!("waiver {}: {message}", index + 1));
        let target = match (entry.check, entry.rule) {
            (Some(id), None) => Target::Check(id),
            (None, Some(rule)) => Target::Rule(rule),
            _ => return Err(at("needs exactly one of `check` or `rule`".to_owned())),
        };
        let command = catalog.command;
        let patterns = match (&target, catalog.waives) {
            (Target::Check(_), Kind::Rules) => {
                return Err(at(format!(
                    "`check`: {command} waives lint rules: write `rule: RULE`"
                )));
            }
            (Target::Rule(_), Kind::Checks) => {
                return Err(at(format!(
                    "`rule`: {command} waives checks: write `check: ID`"
                )));
            }
            (Target::Check(_), Kind::Checks) if !entry.objects.is_empty() => {
                return Err(at(
                    "`objects`: a check waiver names hosts: write `hosts: [PATTERN]`".to_owned(),
                ));
            }
            (Target::Rule(_), Kind::Rules) if !entry.hosts.is_empty() => {
                return Err(at(
                    "`hosts`: a rule waiver names objects: write `objects: [PATTERN]`".to_owned(),
                ));
            }
            (Target::Check(_), Kind::Checks) => entry.hosts,
            (Target::Rule(_), Kind::Rules) => entry.objects,
        };
        if !(catalog.knows)(target.id()) {
            let message = match &target {
                Target::Check(id) => {
                    format!("`check`: unknown check ID '{id}' (see {command} --list)")
                }
                Target::Rule(id) => {
                    format!("`rule`: unknown lint rule '{id}' (see {command} --list-rules)")
                }
            };
            return Err(at(message));
        }
        if let Some(pattern) = patterns.iter().find(|pattern| pattern.trim().is_empty()) {
            let field = match target {
                Target::Check(_) => "hosts",
                Target::Rule(_) => "objects",
            };
            return Err(at(format!(
                "`{field}`: an empty pattern ('{pattern}') matches nothing; use `*` for every one"
            )));
        }
        let reason = entry.reason.unwrap_or_default().trim().to_owned();
        if reason.is_empty() {
            return Err(at(
                "`reason` is required: say why the failure is accepted".to_owned()
            ));
        }
        let expires = match entry.expires {
            Some(text) => Some(
                parse_date(&text)
                    .ok_or_else(|| at(format!("`expires`: '{text}' is not a date YYYY-MM-DD")))?,
            ),
            None => None,
        };
        waivers.push(Waiver {
            target,
            patterns,
            reason,
            expires,
            owner: entry.owner,
            line: line.unwrap_or_default(),
        });
    }
    Ok(waivers)
}

/// The line of each top-level `- ` entry, in order: serde gives no positions for valid
/// values, and a message must point at the entry it is about.
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("- ") || *line == "-")
        .map(|(index, _)| index + 1)
        .collect()
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

impl Waiver {
    /// Expired on `today`: the waiver lasts through its `expires` day.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|expires| today > expires)
    }

    /// Applies to the check `id` on the host `name` (as the report names it).
    pub fn covers(&self, id: &str, name: &str) -> bool {
        self.target.id() == id
            && (self.patterns.is_empty()
                || self.patterns.iter().any(|pattern| matches(pattern, name)))
    }

    /// Applies to the lint `rule` on the object `label` (`Kind/namespace/name`, as findings
    /// name it): a pattern with a `/` is matched against the whole label
    /// (`KubeadmControlPlane/*`), one without against the name alone (`global-*`), the way
    /// people name an object in either case.
    pub fn covers_object(&self, rule: &str, label: &str) -> bool {
        // A label always has its three parts; the whole of it stands in for the name if not.
        let name = label.splitn(3, '/').nth(2).unwrap_or(label);
        self.target.id() == rule
            && (self.patterns.is_empty()
                || self.patterns.iter().any(|pattern| {
                    matches(pattern, if pattern.contains('/') { label } else { name })
                }))
    }
}

/// Today in UTC, the day expiry dates are compared with.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// `*` matches any run of characters, everything else itself.
fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Checks the controller runs across hosts (SPEC "Check IDs"), waivable without host patterns.
pub const FLEET_CHECKS: &[&str] = &[
    "fleet.hostname-unique",
    "fleet.uuid-unique",
    "fleet.serial-unique",
    "fleet.timezone",
    "fleet.clock-skew",
    "fleet.connectivity",
    "fleet.latency",
    "fleet.vip-subnet",
    "fleet.vrid",
    "fleet.mtu",
    "fleet.role-count",
];

/// The first expired waiver, as an input error: an expiry is a promise to look again, and a
/// run that quietly went back to failing (or kept passing) would break it either way.
fn refuse_expired(file: &str, waivers: &[Waiver], today: Date) -> Result<(), WaiverError> {
    match waivers.iter().find(|waiver| waiver.expired(today)) {
        Some(waiver) => Err(WaiverError::Invalid {
            file: file.to_owned(),
            line: Some(waiver.line),
            message: format!(
                "the waiver of {} expired on {}{}: renew it with a new date or remove it",
                waiver.target.id(),
                waiver
                    .expires
                    .map(|date| date.to_string())
                    .unwrap_or_default(),
                waiver
                    .owner
                    .as_ref()
                    .map(|owner| format!(" (owner {owner})"))
                    .unwrap_or_default()
            ),
        }),
        None => Ok(()),
    }
}

/// Turns each failing, warning or unevaluated result a waiver covers into `waived`, its words
/// saying what was seen and why it is accepted, and recounts the summary.
pub fn apply(waivers: &[Waiver], report: FleetReport) -> FleetReport {
    let FleetReport {
        mut hosts,
        mut fleet,
        ..
    } = report;
    for host in &mut hosts {
        let name = host.host.clone();
        for check in host
            .report
            .iter_mut()
            .flat_map(|report| report.checks.iter_mut())
        {
            waive(waivers, &name, check);
        }
    }
    for check in &mut fleet {
        // A fleet check is about many hosts: only a waiver without host patterns covers it.
        if let Some(waiver) = waivers
            .iter()
            .find(|waiver| waiver.patterns.is_empty() && waiver.target.id() == check.result.id)
        {
            mark(waiver, &mut check.result);
        }
    }
    FleetReport::new(hosts, fleet)
}

fn waive(waivers: &[Waiver], host: &str, check: &mut CheckResult) {
    if let Some(waiver) = waivers.iter().find(|waiver| waiver.covers(&check.id, host)) {
        mark(waiver, check);
    }
}

fn mark(waiver: &Waiver, check: &mut CheckResult) {
    if !matches!(check.status, Status::Fail | Status::Warn | Status::Error) {
        return;
    }
    let seen = check.reason.as_deref().unwrap_or(&check.observed);
    let expires = waiver.expires.map(|date| date.to_string());
    check.reason = Some(words(
        check.status.as_str(),
        seen,
        &waiver.reason,
        waiver.owner.as_deref(),
        expires.as_deref(),
    ));
    check.status = Status::Waived;
}

/// What people read of a waived result, in every format: what it was and saw, then why that
/// is accepted — `waived (fail: TPM1_2): edge rack until the swap; owner ops; until 2027-01-31`.
pub fn words(
    was: &str,
    seen: &str,
    reason: &str,
    owner: Option<&str>,
    expires: Option<&str>,
) -> String {
    let mut words = format!("waived ({was}: {seen}): {reason}");
    if let Some(owner) = owner {
        words.push_str(&format!("; owner {owner}"));
    }
    if let Some(expires) = expires {
        words.push_str(&format!("; until {expires}"));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKS: Catalog<'static> = Catalog {
        command: "ironprep check",
        waives: Kind::Checks,
        knows: &|id| ["memory.swap", "memory.size"].contains(&id),
    };

    const RULES: Catalog<'static> = Catalog {
        command: "ironprep lint",
        waives: Kind::Rules,
        knows: &|id| id == "naming.global-prefix",
    };

    fn error(text: &str) -> String {
        parse("w.yaml", text, &CHECKS).unwrap_err().to_string()
    }

    fn rule_error(text: &str) -> String {
        parse("w.yaml", text, &RULES).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_file_gives_each_waiver_with_its_line() {
        let waivers = parse(
            "w.yaml",
            "# accepted\n- check: memory.swap\n  hosts: [node-*]\n  reason: zram on edge\n  \
             expires: 2027-01-31\n  owner: ops\n- check: memory.size\n  reason: lab\n",
            &CHECKS,
        )
        .unwrap();
        assert_eq!(waivers.len(), 2);
        assert_eq!(waivers[0].line, 2);
        assert_eq!(waivers[1].line, 7);
        assert!(waivers[0].covers("memory.swap", "node-7"));
        assert!(!waivers[0].covers("memory.swap", "cp-1"));
        assert!(!waivers[0].covers("memory.size", "node-7"));
        assert!(waivers[1].covers("memory.size", "anything"));
        let expiry = Date::from_calendar_date(2027, Month::January, 31).unwrap();
        assert!(!waivers[0].expired(expiry));
        assert!(waivers[0].expired(expiry.next_day().unwrap()));
        assert!(!waivers[1].expired(expiry));
    }

    #[test]
    fn object_patterns_match_the_name_or_with_a_slash_the_whole_label() {
        let waivers = parse(
            "w.yaml",
            "- rule: naming.global-prefix\n  objects: [global-*]\n  reason: a\n\
             - rule: naming.global-prefix\n  objects: ['Cluster/*']\n  reason: b\n\
             - rule: naming.global-prefix\n  reason: c\n",
            &RULES,
        )
        .unwrap();
        let rule = "naming.global-prefix";
        let (by_name, by_label, everywhere) = (&waivers[0], &waivers[1], &waivers[2]);
        assert!(by_name.covers_object(rule, "KubeadmControlPlane/cpaas-system/global-kcp"));
        assert!(!by_name.covers_object(rule, "KubeadmControlPlane/global-ns/kcp"));
        assert!(by_label.covers_object(rule, "Cluster/cpaas-system/anything"));
        assert!(!by_label.covers_object(rule, "MachineDeployment/cpaas-system/Cluster"));
        assert!(everywhere.covers_object(rule, "Secret//x"));
        assert!(!everywhere.covers_object("kcp.replicas", "Secret//x"));
    }

    #[test]
    fn each_command_takes_only_its_own_kind_of_waiver() {
        let rule = error("- rule: naming.global-prefix\n  reason: a\n");
        assert!(
            rule.starts_with("w.yaml:1:") && rule.contains("`rule`: ironprep check waives checks"),
            "{rule}"
        );
        let check = rule_error("- check: memory.swap\n  reason: a\n");
        assert!(
            check.contains("`check`: ironprep lint waives lint rules"),
            "{check}"
        );
        let objects = error("- check: memory.swap\n  objects: [a]\n  reason: a\n");
        assert!(
            objects.contains("`objects`") && objects.contains("`hosts:"),
            "{objects}"
        );
        let hosts = rule_error("- rule: naming.global-prefix\n  hosts: [a]\n  reason: a\n");
        assert!(
            hosts.contains("`hosts`") && hosts.contains("`objects:"),
            "{hosts}"
        );
        let empty = error("- check: memory.swap\n  hosts: ['']\n  reason: a\n");
        assert!(empty.contains("`hosts`: an empty pattern"), "{empty}");
    }

    #[test]
    fn bad_entries_name_file_line_and_field() {
        let unknown =
            error("- check: memory.swap\n  reason: a\n- check: memroy.swap\n  reason: b\n");
        assert!(
            unknown.starts_with("w.yaml:3:")
                && unknown.contains("`check`: unknown check ID 'memroy.swap'"),
            "{unknown}"
        );
        assert!(unknown.contains("see ironprep check --list"), "{unknown}");
        let rule = rule_error("- rule: no.such\n  reason: a\n");
        assert!(
            rule.contains("`rule`: unknown lint rule 'no.such'")
                && rule.contains("ironprep lint --list-rules"),
            "{rule}"
        );
        let reason = error("- check: memory.swap\n");
        assert!(
            reason.starts_with("w.yaml:1:") && reason.contains("`reason`"),
            "{reason}"
        );
        let date = error("- check: memory.swap\n  reason: a\n  expires: 31.01.2027\n");
        assert!(
            date.contains("`expires`") && date.contains("31.01.2027"),
            "{date}"
        );
        let both = error("- check: memory.swap\n  rule: memory.size\n  reason: a\n");
        assert!(both.contains("exactly one of"), "{both}");
        let field = error("- check: memory.swap\n  reason: a\n  expiry: 2027-01-01\n");
        assert!(
            field.starts_with("w.yaml:") && field.contains("expiry"),
            "{field}"
        );
        let shape = error("check: memory.swap\n");
        assert!(shape.starts_with("w.yaml"), "{shape}");
    }

    #[test]
    fn patterns_match_with_stars_only() {
        assert!(matches("node-*", "node-12"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "aXbY"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exact1"));
        assert!(!matches("ab*ba", "aba"));
    }
}
