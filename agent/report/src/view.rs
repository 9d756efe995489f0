//! One vocabulary for every result ironprep shows people: host checks, checks across hosts,
//! BMC and ISO checks, lint findings, endpoint probes and certificate checks all become
//! [`Item`]s of [`Subject`]s in a [`View`], so the table, JUnit, SARIF and HTML sinks are
//! written once. A view is built from the versioned document (JSON goes out untouched) plus
//! what only people see (source excerpts of lint findings, section texts).

use std::collections::BTreeMap;

use ironprep_schema::certs::{CertificateReport, Comparison, ComparisonReport, WrittenFiles};
use ironprep_schema::lint::RuleList;
use ironprep_schema::listing::{CheckList, HostList};
use ironprep_schema::{
    AgentReport, CheckResult, FleetCheck, FleetReport, HostEntry, HostOutcome, ProbeReport, Status,
};

/// What kind of run a view shows; decides headings and the words for statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// One host's checks.
    Host,
    /// Many hosts and the checks across them.
    Fleet,
    /// Many BMCs (`bmc check`): a fleet view, named for what was asked.
    Bmc,
    /// Lint findings: compiler words (error, warning, info) and source locations.
    Lint,
    Probe,
    Certificates,
    /// Files a generator wrote.
    Files,
    Comparison,
    /// A catalogue of checks or rules (`--list`).
    Catalog,
    /// The hosts of a fleet as a run would reach them (`--list-hosts`): sections only.
    Hosts,
    /// Any other document of checks (an ISO, a registration).
    Checks,
    /// A file to apply (generated manifests): the table sink prints it as it is.
    Manifest,
}

impl ViewKind {
    /// Subjects × checks with results across them: hosts over SSH or BMCs over Redfish.
    pub fn is_fleet(self) -> bool {
        matches!(self, ViewKind::Fleet | ViewKind::Bmc)
    }
}

/// Everything a sink may show of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub kind: ViewKind,
    /// What the run was about, said before the results (host facts; fleet counts).
    pub headline: Vec<String>,
    pub subjects: Vec<Subject>,
    /// Checks across subjects (`fleet.*`).
    pub across: Vec<Item>,
    /// The connectivity matrix, when the network between hosts was measured.
    pub connectivity: Option<Connectivity>,
    /// Text that is not a result: files written, next steps.
    pub sections: Vec<Section>,
    /// The checks or rules that ran, for catalogues (SARIF's rules, the HTML legend).
    pub rules: Vec<RuleInfo>,
    /// The closing line with the verdict.
    pub summary: String,
}

/// A host, a BMC, a rule, an endpoint, a certificate: what results are about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub address: Option<String>,
    /// One line of facts (`Ubuntu 22.04 · kernel 5.15 · x86_64 · control-plane`).
    pub detail: Option<String>,
    pub roles: Vec<String>,
    /// How reaching it ended, for hosts and BMCs; `None` for other subjects.
    pub outcome: Option<HostOutcome>,
    /// Why there are no results, when `outcome` is not `reported`.
    pub error: Option<String>,
    pub items: Vec<Item>,
}

impl Subject {
    pub fn reached(&self) -> bool {
        self.outcome
            .is_none_or(|outcome| outcome == HostOutcome::Reported)
    }

    /// The worst status of its results, an unreached host counting as an error.
    pub fn worst(&self) -> Option<Status> {
        let items = self.items.iter().map(|item| item.status).max();
        if self.reached() {
            items
        } else {
            Some(Status::Error)
        }
    }
}

/// One result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Item {
    /// Check ID or lint rule.
    pub id: String,
    pub title: String,
    pub status: Status,
    pub observed: String,
    pub expected: String,
    /// The fix; `code spans` are commands shown on their own lines.
    pub fix: String,
    /// Why it was skipped or could not be evaluated.
    pub reason: Option<String>,
    /// Where in a file (lint findings, input errors).
    pub location: Option<Location>,
    /// One more line for people: the step timings of a probe.
    pub detail: Option<String>,
    /// The hosts a check across hosts names.
    pub hosts: Vec<String>,
}

impl Item {
    pub fn from_check(check: &CheckResult) -> Item {
        Item {
            id: check.id.clone(),
            title: check.title.clone(),
            status: check.status,
            observed: check.observed.clone(),
            expected: check.expected.clone(),
            fix: check.hint.clone(),
            reason: check.reason.clone(),
            ..Item::default()
        }
    }

    /// What the item saw, or why it saw nothing.
    pub fn seen(&self) -> &str {
        match self.status {
            Status::Skip | Status::Error if self.observed.is_empty() || self.reason.is_some() => {
                self.reason.as_deref().unwrap_or(&self.observed)
            }
            // The waiver's words carry what was observed and why it is accepted.
            Status::Waived => self.reason.as_deref().unwrap_or(&self.observed),
            _ => &self.observed,
        }
    }
}

/// A position in an input file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `Kind/namespace/name`.
    pub object: String,
    /// Dotted path of the field.
    pub field: String,
    pub excerpt: Option<Excerpt>,
}

impl Location {
    /// `file:line:column` as compilers print it; `file:line` without a column; the file alone
    /// when the error has no position (an unreadable or oversized file), never `file:0:0`.
    pub fn position(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.file.clone(),
            (line, 0) => format!("{}:{line}", self.file),
            (line, column) => format!("{}:{line}:{column}", self.file),
        }
    }
}

/// The source line under a finding, or why it is not shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Excerpt {
    Source(String),
    /// The line looks like secret material (a key, a password, a Secret's data): only its
    /// position and key name are shown, in every format.
    Withheld {
        key: String,
    },
}

/// Which pairs of hosts reached each other, for a grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connectivity {
    /// The hosts that took part, in inventory order.
    pub hosts: Vec<String>,
    /// Every failing pair; every other pair of `hosts` connected.
    pub failing: Vec<Pair>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub from: String,
    pub to: String,
    /// `tcp/10250`.
    pub port: String,
    /// `dropped`, `refused`, …
    pub result: String,
}

/// Text for people that is not a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    /// Lines as they are; `code spans` are commands.
    pub lines: Vec<String>,
}

/// A check or rule of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// When it applies, or why it exists.
    pub help: String,
    /// What a violation is: `fail` (required, error) or `warn` (advisory, warning).
    pub level: Status,
}

/// Results counted by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
    pub waived: usize,
}

impl Counts {
    pub fn of<'a>(items: impl IntoIterator<Item = &'a Item>) -> Counts {
        let mut counts = Counts::default();
        for item in items {
            match item.status {
                Status::Pass => counts.pass += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
                Status::Error => counts.error += 1,
                Status::Waived => counts.waived += 1,
            }
        }
        counts
    }
}

impl View {
    fn new(kind: ViewKind) -> View {
        View {
            kind,
            headline: Vec::new(),
            subjects: Vec::new(),
            across: Vec::new(),
            connectivity: None,
            sections: Vec::new(),
            rules: Vec::new(),
            summary: String::new(),
        }
    }

    /// Every item, of subjects and across them.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.subjects
            .iter()
            .flat_map(|subject| subject.items.iter())
            .chain(&self.across)
    }

    pub fn counts(&self) -> Counts {
        Counts::of(self.items())
    }

    /// A view of checks about one thing (an ISO, a certificate, a registration).
    pub fn of_checks(
        kind: ViewKind,
        headline: Vec<String>,
        subject: &str,
        checks: &[CheckResult],
    ) -> View {
        let mut view = View::new(kind);
        view.headline = headline;
        view.subjects.push(Subject {
            name: subject.to_owned(),
            items: checks.iter().map(Item::from_check).collect(),
            ..Subject::default()
        });
        view.summary = summary_line(&Counts::of(&view.subjects[0].items));
        view
    }

    /// One host: the agent's own view of its report.
    pub fn of_agent(report: &AgentReport) -> View {
        let mut view = View::new(ViewKind::Host);
        view.headline.push(host_header(report));
        view.subjects.push(Subject {
            name: report.host.hostname.clone(),
            detail: Some(host_header(report)),
            roles: report.roles.iter().map(ToString::to_string).collect(),
            outcome: Some(HostOutcome::Reported),
            items: report.checks.iter().map(Item::from_check).collect(),
            ..Subject::default()
        });
        view.summary = summary_line(&view.counts());
        view
    }

    /// A fleet report; one host checked on this machine reads like the agent's own view.
    pub fn of_fleet(report: &FleetReport) -> View {
        if let [host] = report.hosts.as_slice()
            && host.address == "local"
            && report.fleet.is_empty()
        {
            if let Some(agent) = &host.report {
                return View::of_agent(agent);
            }
            let mut view = View::new(ViewKind::Host);
            view.subjects.push(subject_of(host));
            view.summary = format!(
                "summary: {} could not be checked — {}",
                host.host,
                host.error.as_deref().unwrap_or("no report")
            );
            return view;
        }
        let mut view = View::new(ViewKind::Fleet);
        let summary = &report.summary;
        view.headline.push(format!(
            "fleet: {} hosts · {} reported · {} not reached · {} with failed checks",
            summary.hosts,
            summary.reported,
            summary.hosts - summary.reported,
            summary.hosts_failed
        ));
        view.subjects = report.hosts.iter().map(subject_of).collect();
        view.across = report.fleet.iter().map(across_item).collect();
        view.connectivity = connectivity(report);
        view.summary = fleet_summary(report);
        view
    }

    pub fn of_probe(report: &ProbeReport) -> View {
        let mut view = View::new(ViewKind::Probe);
        view.subjects.push(Subject {
            name: "endpoints".to_owned(),
            items: report
                .endpoints
                .iter()
                .map(|endpoint| {
                    let mut item = Item::from_check(&endpoint.result);
                    if let Some(url) = &endpoint.url {
                        item.title = format!("{} ({url})", item.title);
                    }
                    if !endpoint.steps.is_empty() {
                        item.detail = Some(
                            endpoint
                                .steps
                                .iter()
                                .map(|step| {
                                    format!(
                                        "{} {} ms{}",
                                        step.step,
                                        step.ms,
                                        if step.ok { "" } else { " ✗" }
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" · "),
                        );
                    }
                    item
                })
                .collect(),
            ..Subject::default()
        });
        view.summary = format!(
            "{} (in {} ms)",
            summary_line(&view.counts()),
            report.duration_ms
        );
        view
    }

    pub fn of_certificate(report: &CertificateReport, headline: &str) -> View {
        View::of_checks(
            ViewKind::Certificates,
            vec![headline.to_owned()],
            &report.subject,
            &report.checks,
        )
    }

    pub fn of_written(files: &WrittenFiles) -> View {
        let mut view = View::new(ViewKind::Files);
        let width = files
            .files
            .iter()
            .map(|file| file.name.len())
            .max()
            .unwrap_or(0);
        view.sections.push(Section {
            heading: format!(
                "Wrote {} ({}):",
                files.directory,
                if files.created {
                    "new directory"
                } else {
                    "existing directory"
                }
            ),
            lines: files
                .files
                .iter()
                .map(|file| {
                    format!(
                        "{:<width$}  {:04o}  {}",
                        file.name, file.mode, file.description
                    )
                })
                .collect(),
        });
        if !files.notes.is_empty() {
            view.sections.push(Section {
                heading: "Notes:".to_owned(),
                lines: files.notes.clone(),
            });
        }
        if !files.next.is_empty() {
            view.sections.push(Section {
                heading: "Next:".to_owned(),
                lines: files.next.iter().map(|step| format!("`{step}`")).collect(),
            });
        }
        view
    }

    pub fn of_comparison(report: &ComparisonReport) -> View {
        let items = report
            .files
            .iter()
            .map(|file| {
                let short = |hash: &Option<String>| {
                    hash.as_deref().map_or_else(
                        || "missing".to_owned(),
                        |hash| hash.chars().take(16).collect(),
                    )
                };
                let (status, observed) = match file.result {
                    Comparison::Same => (
                        Status::Pass,
                        format!("same SHA-256 {}", short(&file.first_sha256)),
                    ),
                    Comparison::SameKeyDifferentEncoding => (
                        Status::Pass,
                        "the same key, encoded differently (PKCS#1 and PKCS#8)".to_owned(),
                    ),
                    Comparison::Different => (
                        Status::Fail,
                        format!(
                            "differs: {} vs {}",
                            short(&file.first_sha256),
                            short(&file.second_sha256)
                        ),
                    ),
                    Comparison::OnlyInFirst => (Status::Fail, format!("only in {}", report.first)),
                    Comparison::OnlyInSecond => {
                        (Status::Fail, format!("only in {}", report.second))
                    }
                };
                Item {
                    id: file.name.clone(),
                    title: format!("{} is the same on both sides", file.name),
                    status,
                    observed,
                    expected: "byte-identical files on both sides".to_owned(),
                    fix: format!(
                        "copy {} from one side to the other (both DR sides must hold the same \
                         key material)",
                        file.name
                    ),
                    ..Item::default()
                }
            })
            .collect();
        let mut view = View::new(ViewKind::Comparison);
        view.headline
            .push(format!("{} ⇄ {}", report.first, report.second));
        view.subjects.push(Subject {
            name: format!("{} ⇄ {}", report.first, report.second),
            items,
            ..Subject::default()
        });
        view.summary = summary_line(&view.counts());
        view
    }

    pub fn of_check_list(list: &CheckList) -> View {
        let mut view = View::new(ViewKind::Catalog);
        view.rules = list
            .checks
            .iter()
            .map(|check| RuleInfo {
                id: check.id.clone(),
                title: check.title.clone(),
                help: check.when.clone(),
                level: if check.advisory {
                    Status::Warn
                } else {
                    Status::Fail
                },
            })
            .collect();
        view.summary = format!("{} checks", list.checks.len());
        view
    }

    /// `--list-hosts`: one aligned line per host (where, as whom, roles, jump chain, how many
    /// checks and those not every host runs), then the checks every host runs. The JSON
    /// document lists each host's checks in full.
    pub fn of_host_list(list: &HostList) -> View {
        let mut view = View::new(ViewKind::Hosts);
        view.headline.push(format!(
            "{} host{} · {} profile · {} · nothing was contacted",
            list.hosts.len(),
            if list.hosts.len() == 1 { "" } else { "s" },
            list.profile,
            list.cni
        ));
        let common: Vec<&String> = match list.hosts.split_first() {
            Some((first, rest)) => first
                .checks
                .iter()
                .filter(|id| rest.iter().all(|host| host.checks.contains(id)))
                .collect(),
            None => Vec::new(),
        };
        let mut rows = vec![[
            "HOST".to_owned(),
            "ADDRESS".to_owned(),
            "USER".to_owned(),
            "ROLES".to_owned(),
            "JUMP".to_owned(),
            "CHECKS".to_owned(),
        ]];
        for host in &list.hosts {
            let jump = if host.jump.is_empty() {
                "-".to_owned()
            } else {
                host.jump
                    .iter()
                    .map(|hop| format!("{}@{}", hop.user, socket(&hop.address, hop.port)))
                    .collect::<Vec<_>>()
                    .join(" → ")
            };
            let mut checks = host.checks.len().to_string();
            for extra in host.checks.iter().filter(|id| !common.contains(id)) {
                checks.push_str(" +");
                checks.push_str(extra);
            }
            rows.push([
                host.host.clone(),
                socket(&host.address, host.port),
                host.user.clone(),
                host.roles
                    .iter()
                    .map(|role| role.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                jump,
                checks,
            ]);
        }
        let mut widths = [0_usize; 6];
        for row in &rows {
            for (column, cell) in row.iter().enumerate() {
                // As the sink will show it: a control character takes four columns then.
                widths[column] = widths[column].max(crate::text::width(&crate::text::escape(cell)));
            }
        }
        let lines = rows
            .iter()
            .map(|row| {
                let mut line = String::new();
                for (column, cell) in row.iter().enumerate() {
                    line.push_str(cell);
                    if column + 1 < row.len() {
                        let pad =
                            widths[column] - crate::text::width(&crate::text::escape(cell)) + 2;
                        line.push_str(&" ".repeat(pad));
                    }
                }
                line
            })
            .collect();
        view.sections.push(Section {
            heading: "Hosts (CHECKS: how many run, and the ones not every host runs):".to_owned(),
            lines,
        });
        // Runs of IDs short enough for the narrowest table (100 columns when piped).
        let mut lines: Vec<String> = Vec::new();
        for id in &common {
            match lines.last_mut() {
                Some(line) if line.len() + id.len() + 2 <= 90 => {
                    line.push_str(", ");
                    line.push_str(id);
                }
                _ => lines.push((*id).clone()),
            }
        }
        view.sections.push(Section {
            heading: format!("Checks every host runs ({}):", common.len()),
            lines,
        });
        view.summary = "--format json lists every host's checks in full".to_owned();
        view
    }

    pub fn of_rule_list(list: &RuleList) -> View {
        let mut view = View::new(ViewKind::Catalog);
        view.rules = list
            .rules
            .iter()
            .map(|rule| RuleInfo {
                id: rule.id.clone(),
                title: rule.title.clone(),
                help: rule.why.clone(),
                level: match rule.severity {
                    ironprep_schema::lint::Severity::Error => Status::Fail,
                    ironprep_schema::lint::Severity::Warning => Status::Warn,
                    ironprep_schema::lint::Severity::Info => Status::Skip,
                },
            })
            .collect();
        view.summary = format!("{} rules", list.rules.len());
        view
    }

    /// Generated text to apply (`registration pools` YAML): printed as it is, nothing added.
    pub fn manifest(text: String) -> View {
        let mut view = View::new(ViewKind::Manifest);
        view.sections.push(Section {
            heading: String::new(),
            lines: text.lines().map(str::to_owned).collect(),
        });
        view
    }

    /// An empty view of `kind` for callers that assemble their own (lint).
    pub fn empty(kind: ViewKind) -> View {
        View::new(kind)
    }
}

fn subject_of(host: &HostEntry) -> Subject {
    let detail = host.report.as_ref().map(host_header);
    Subject {
        name: host.host.clone(),
        address: Some(host.address.clone()),
        detail,
        roles: host
            .report
            .as_ref()
            .map(|report| report.roles.iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        outcome: Some(host.outcome),
        error: host.error.clone(),
        items: host
            .report
            .as_ref()
            .map(|report| report.checks.iter().map(Item::from_check).collect())
            .unwrap_or_default(),
    }
}

fn across_item(check: &FleetCheck) -> Item {
    let mut item = Item::from_check(&check.result);
    item.hosts = check.hosts.clone();
    item
}

fn connectivity(report: &FleetReport) -> Option<Connectivity> {
    let check = report
        .fleet
        .iter()
        .find(|check| check.result.id == "fleet.connectivity")?;
    if !matches!(check.result.status, Status::Pass | Status::Fail) {
        return None;
    }
    let hosts = report
        .hosts
        .iter()
        .filter(|host| host.outcome == HostOutcome::Reported)
        .map(|host| host.host.clone())
        .collect();
    Some(Connectivity {
        hosts,
        failing: check
            .pairs
            .iter()
            .map(|pair| Pair {
                from: pair.from.clone(),
                to: pair.to.clone(),
                port: pair.port.to_string(),
                result: pair.result.clone(),
            })
            .collect(),
    })
}

/// `node-1 · Ubuntu 22.04.1 LTS · kernel 5.15.0-56-generic · x86_64 · profile traditional · …`
pub fn host_header(report: &AgentReport) -> String {
    let host = &report.host;
    let mut parts = vec![if host.hostname.is_empty() {
        "(no hostname)".to_owned()
    } else {
        host.hostname.clone()
    }];
    if !host.os.is_empty() {
        parts.push(host.os.clone());
    }
    if !host.kernel.is_empty() {
        parts.push(format!("kernel {}", host.kernel));
    }
    if !host.arch.is_empty() {
        parts.push(host.arch.clone());
    }
    parts.push(format!("profile {}", report.profile));
    let roles: Vec<&str> = report.roles.iter().map(|role| role.as_str()).collect();
    parts.push(format!("roles {}", roles.join(",")));
    parts.push(format!("cni {}", report.cni));
    parts.join(" · ")
}

/// `summary: 30 pass, 2 warn, 1 fail, 6 skip, 0 error — fix the 1 failed check(s) …`
pub fn summary_line(counts: &Counts) -> String {
    let verdict = match (counts.fail, counts.error) {
        (0, 0) => "nothing blocks the installation".to_owned(),
        (0, errors) => format!("{errors} check(s) could not be evaluated; see the reasons above"),
        (failures, _) => format!("fix the {failures} failed check(s) before installing"),
    };
    format!(
        "summary: {} pass, {} warn, {} fail, {} skip, {} error{} — {verdict}",
        counts.pass,
        counts.warn,
        counts.fail,
        counts.skip,
        counts.error,
        waived(counts.waived)
    )
}

/// `, 2 waived` when a waiver accepted something; nothing otherwise.
fn waived(count: usize) -> String {
    if count == 0 {
        String::new()
    } else {
        format!(", {count} waived")
    }
}

fn fleet_summary(report: &FleetReport) -> String {
    let summary = &report.summary;
    let mut outcomes: BTreeMap<HostOutcome, usize> = BTreeMap::new();
    for host in &report.hosts {
        *outcomes.entry(host.outcome).or_default() += 1;
    }
    let outcomes = outcomes
        .iter()
        .map(|(outcome, count)| format!("{count} {}", outcome_word(*outcome)))
        .collect::<Vec<_>>()
        .join(", ");
    let verdict = if summary.fail > 0 {
        format!(
            "fix the failed checks on {} host(s) before installing",
            summary.hosts_failed.max(1)
        )
    } else if summary.reported < summary.hosts {
        "some hosts could not be checked; see the errors above".to_owned()
    } else if summary.error > 0 {
        "some checks could not be evaluated; see the reasons above".to_owned()
    } else {
        "nothing blocks the installation".to_owned()
    };
    format!(
        "summary: hosts {outcomes}; checks {} pass, {} warn, {} fail, {} skip, {} error{} — {verdict}",
        summary.pass,
        summary.warn,
        summary.fail,
        summary.skip,
        summary.error,
        waived(summary.waived)
    )
}

/// The outcome as the JSON spells it.
pub fn outcome_word(outcome: HostOutcome) -> &'static str {
    match outcome {
        HostOutcome::Reported => "reported",
        HostOutcome::Unreachable => "unreachable",
        HostOutcome::AuthFailed => "auth-failed",
        HostOutcome::HostKeyMismatch => "host-key-mismatch",
        HostOutcome::HostKeyUnknown => "host-key-unknown",
        HostOutcome::AgentFailed => "agent-failed",
        HostOutcome::InvalidReport => "invalid-report",
        HostOutcome::Timeout => "timeout",
        HostOutcome::TlsUntrusted => "tls-untrusted",
    }
}

/// `10.0.0.5:22`, `[fd00::5]:22`.
fn socket(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}
