//! The fleet report for people (a host × failing-checks view: one line per host, one line per
//! failing check, not forty lines per host) and for CI systems (JUnit: a suite per host, a
//! case per check). JSON is the schema crate's `FleetReport`, serialised as it is.

use std::collections::BTreeMap;

use comfy_table::{Cell, Color};
use ironprep_report::{Palette, TableOptions, new_table};
use ironprep_schema::{FleetReport, HostOutcome, Status};
use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

pub fn table(report: &FleetReport, options: &TableOptions) -> String {
    let mut text = String::new();
    text.push_str(&headline(report));
    text.push_str("\n\n");

    let mut hosts = new_table(options);
    hosts.set_header(["HOST", "ADDRESS", "OUTCOME", "FAILED CHECKS / ERROR"]);
    for host in &report.hosts {
        let (outcome, detail) = match &host.report {
            Some(agent) => {
                let failed: Vec<&str> = agent
                    .checks
                    .iter()
                    .filter(|check| check.status == Status::Fail)
                    .map(|check| check.id.as_str())
                    .collect();
                let errors: Vec<&str> = agent
                    .checks
                    .iter()
                    .filter(|check| check.status == Status::Error)
                    .map(|check| check.id.as_str())
                    .collect();
                let mut parts = Vec::new();
                if !failed.is_empty() {
                    parts.push(failed.join(", "));
                }
                if !errors.is_empty() {
                    parts.push(format!("not evaluated: {}", errors.join(", ")));
                }
                let word = if failed.is_empty() { "ok" } else { "failed" };
                (
                    paint(
                        word,
                        if failed.is_empty() {
                            Color::Green
                        } else {
                            Color::Red
                        },
                        options,
                    ),
                    if parts.is_empty() {
                        "-".to_owned()
                    } else {
                        parts.join("; ")
                    },
                )
            }
            None => (
                paint(outcome_word(host.outcome), Color::Red, options),
                host.error.clone().unwrap_or_default(),
            ),
        };
        hosts.add_row(vec![
            Cell::new(&host.host),
            Cell::new(&host.address),
            outcome,
            Cell::new(detail),
        ]);
    }
    text.push_str(&hosts.to_string());
    text.push('\n');

    // Each failing check once, with the hosts it fails on.
    let mut failing: BTreeMap<&str, (Vec<&str>, &str, &str)> = BTreeMap::new();
    for host in &report.hosts {
        let Some(agent) = &host.report else { continue };
        for check in agent
            .checks
            .iter()
            .filter(|check| check.status == Status::Fail)
        {
            let entry = failing
                .entry(check.id.as_str())
                .or_insert_with(|| (Vec::new(), check.observed.as_str(), check.hint.as_str()));
            entry.0.push(host.host.as_str());
        }
    }
    if !failing.is_empty() {
        text.push_str("\nFailing checks\n");
        let mut checks = new_table(options);
        checks.set_header(["CHECK", "HOSTS", "OBSERVED (first host)", "FIX"]);
        for (id, (hosts, observed, hint)) in &failing {
            checks.add_row(vec![
                Cell::new(id),
                Cell::new(format!("{} ({})", hosts.len(), shorten(hosts))),
                Cell::new(observed),
                Cell::new(hint),
            ]);
        }
        text.push_str(&checks.to_string());
        text.push('\n');
    }

    if !report.fleet.is_empty() {
        text.push_str("\nAcross hosts\n");
        let mut fleet = new_table(options);
        fleet.set_header(["STATUS", "CHECK", "HOSTS", "OBSERVED", "FIX"]);
        for check in &report.fleet {
            let result = &check.result;
            let observed = match result.status {
                Status::Skip | Status::Error => result.reason.clone().unwrap_or_default(),
                _ => result.observed.clone(),
            };
            let hosts: Vec<&str> = check.hosts.iter().map(String::as_str).collect();
            fleet.add_row(vec![
                status_cell(result.status, options),
                Cell::new(&result.id),
                Cell::new(if matches!(result.status, Status::Fail | Status::Warn) {
                    shorten(&hosts)
                } else {
                    String::new()
                }),
                Cell::new(observed),
                Cell::new(&result.hint),
            ]);
        }
        text.push_str(&fleet.to_string());
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&summary_line(report));
    text.push('\n');
    text
}

fn headline(report: &FleetReport) -> String {
    let summary = &report.summary;
    format!(
        "fleet: {} hosts · {} reported · {} not reached · {} with failed checks",
        summary.hosts,
        summary.reported,
        summary.hosts - summary.reported,
        summary.hosts_failed
    )
}

pub fn summary_line(report: &FleetReport) -> String {
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
        "summary: hosts {outcomes}; checks {} pass, {} warn, {} fail, {} skip, {} error — {verdict}",
        summary.pass, summary.warn, summary.fail, summary.skip, summary.error
    )
}

pub fn outcome_word(outcome: HostOutcome) -> &'static str {
    match outcome {
        HostOutcome::Reported => "reported",
        HostOutcome::Unreachable => "unreachable",
        HostOutcome::AuthFailed => "auth-failed",
        HostOutcome::HostKeyMismatch => "host-key-mismatch",
        HostOutcome::AgentFailed => "agent-failed",
        HostOutcome::InvalidReport => "invalid-report",
        HostOutcome::Timeout => "timeout",
        HostOutcome::TlsUntrusted => "tls-untrusted",
    }
}

/// `a, b, c and 12 more`: a fleet of 300 must not make one cell 300 names long.
fn shorten(hosts: &[&str]) -> String {
    const SHOWN: usize = 6;
    if hosts.len() <= SHOWN {
        hosts.join(", ")
    } else {
        format!(
            "{} and {} more",
            hosts[..SHOWN].join(", "),
            hosts.len() - SHOWN
        )
    }
}

fn paint(word: &str, color: Color, options: &TableOptions) -> Cell {
    let cell = Cell::new(word);
    match options.palette {
        Palette::Plain => cell,
        Palette::Ansi => cell.fg(color),
    }
}

fn status_cell(status: Status, options: &TableOptions) -> Cell {
    let color = match status {
        Status::Pass => Color::Green,
        Status::Warn => Color::Yellow,
        Status::Fail | Status::Error => Color::Red,
        Status::Skip => Color::DarkGrey,
    };
    paint(&status.as_str().to_uppercase(), color, options)
}

/// JUnit XML: one suite per host (a host that was not reached is one errored case, so CI
/// shows it), one suite `fleet` for the checks across hosts.
pub fn junit(report: &FleetReport) -> String {
    let mut junit = JunitReport::new("ironprep check");
    for host in &report.hosts {
        let mut suite = TestSuite::new(host.host.clone());
        match &host.report {
            Some(agent) => {
                for check in &agent.checks {
                    let mut case = TestCase::new(
                        check.id.clone(),
                        case_status(
                            check.status,
                            &check.observed,
                            &check.expected,
                            &check.hint,
                            check.reason.as_deref(),
                        ),
                    );
                    case.set_classname(host.host.clone());
                    suite.add_test_case(case);
                }
            }
            None => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status
                    .set_message(host.error.clone().unwrap_or_default())
                    .set_type(outcome_word(host.outcome));
                let mut case = TestCase::new("ssh", status);
                case.set_classname(host.host.clone());
                suite.add_test_case(case);
            }
        }
        junit.add_test_suite(suite);
    }
    if !report.fleet.is_empty() {
        let mut suite = TestSuite::new("fleet");
        for check in &report.fleet {
            let result = &check.result;
            let mut case = TestCase::new(
                result.id.clone(),
                case_status(
                    result.status,
                    &result.observed,
                    &result.expected,
                    &result.hint,
                    result.reason.as_deref(),
                ),
            );
            case.set_classname("fleet");
            if !check.hosts.is_empty() {
                case.set_system_out(format!("hosts: {}", check.hosts.join(", ")));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_default()
}

fn case_status(
    status: Status,
    observed: &str,
    expected: &str,
    hint: &str,
    reason: Option<&str>,
) -> TestCaseStatus {
    match status {
        Status::Pass | Status::Warn => TestCaseStatus::success(),
        Status::Skip => {
            let mut skipped = TestCaseStatus::skipped();
            if let Some(reason) = reason {
                skipped.set_message(reason.to_owned());
            }
            skipped
        }
        Status::Fail | Status::Error => {
            let kind = if status == Status::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut failed = TestCaseStatus::non_success(kind);
            failed
                .set_message(if status == Status::Error {
                    reason.unwrap_or(observed).to_owned()
                } else {
                    observed.to_owned()
                })
                .set_type(status.as_str())
                .set_description(format!(
                    "observed: {observed}\nexpected: {expected}\nfix: {hint}"
                ));
            failed
        }
    }
}
