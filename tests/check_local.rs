//! `ironprep check` without an inventory: the real controller runs the real agent on this
//! machine. The agent binary is the one cargo built beside `ironprep` in the target directory.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use ironprep_schema::{FleetReport, HostOutcome, Status};

fn agent() -> PathBuf {
    ironprep_e2e::binary("ironprep-agent")
}

fn ironprep(arguments: &[&str]) -> Output {
    Command::new(ironprep_e2e::ironprep())
        .args(arguments)
        .env("IRONPREP_AGENT", agent())
        .output()
        .unwrap()
}

#[test]
fn json_is_a_fleet_report_of_this_machine() {
    let output = ironprep(&[
        "check",
        "--format",
        "json",
        "--only",
        "net.hostname,cpu.isa-level",
    ]);
    let report: FleetReport = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(report.hosts.len(), 1);
    let host = &report.hosts[0];
    assert_eq!(
        (host.host.as_str(), host.outcome),
        ("localhost", HostOutcome::Reported)
    );
    let agent_report = host.report.as_ref().unwrap();
    let ids: Vec<&str> = agent_report
        .checks
        .iter()
        .map(|check| check.id.as_str())
        .collect();
    assert_eq!(ids, ["net.hostname", "cpu.isa-level"]);
    assert_eq!(output.status.code(), Some(report.exit_code().code().into()));
    assert_eq!(report.summary.hosts, 1);
}

#[test]
fn the_table_shows_each_check_and_a_summary() {
    let output = ironprep(&["check", "--only", "cpu.isa-level", "--color", "never", "-v"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("cpu.isa-level") && text.contains("x86-64-v"),
        "{text}"
    );
    assert!(
        text.lines().any(|line| line.starts_with("summary: ")),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn usage_errors_of_the_agent_are_usage_errors_naming_the_value() {
    let output = ironprep(&["check", "--only", "no.such-check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'no.such-check'") && stderr.contains("memory.swap"),
        "{stderr}"
    );
    let output = ironprep(&["check", "--profile", "container"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("traditional, immutable"));
}

#[test]
fn a_missing_agent_is_a_clear_error() {
    let output = Command::new(ironprep_e2e::ironprep())
        .args(["check", "--agent", "/nonexistent/ironprep-agent"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/ironprep-agent"), "{stderr}");
}

#[test]
fn an_agent_that_prints_garbage_is_an_invalid_report() {
    let directory = tempfile::tempdir().unwrap();
    let fake = directory.path().join("ironprep-agent");
    std::fs::write(&fake, "#!/bin/sh\necho 'this is not json'\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new(ironprep_e2e::ironprep())
        .args(["check", "--format", "json"])
        .env("IRONPREP_AGENT", &fake)
        .output()
        .unwrap();
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts[0].outcome, HostOutcome::InvalidReport);
    assert!(
        report.hosts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("did not print a report")
    );
    assert_eq!(output.status.code(), Some(3));
    let statuses: Vec<Status> = report
        .fleet
        .iter()
        .map(|check| check.result.status)
        .collect();
    assert!(statuses.is_empty());
}

#[test]
fn the_ip_family_and_the_topology_reach_the_agent() {
    let output = ironprep(&[
        "check",
        "--format",
        "json",
        "--only",
        "net.default-route,cpu.cores",
        "--ip-family",
        "dual",
        "--topology",
        "single-node",
    ]);
    let report: FleetReport = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)));
    let checks = &report.hosts[0].report.as_ref().unwrap().checks;
    let route = checks
        .iter()
        .find(|check| check.id == "net.default-route")
        .unwrap();
    assert!(
        route.expected.ends_with("(--ip-family dual)"),
        "{}",
        route.expected
    );
    let cores = checks.iter().find(|check| check.id == "cpu.cores").unwrap();
    assert!(
        cores.expected.contains("single-node PoC"),
        "{}",
        cores.expected
    );
}

#[test]
fn list_names_every_check_the_agent_knows_and_explain_describes_one() {
    let output = ironprep(&["check", "--list", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let list: ironprep_schema::listing::CheckList = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stdout)));
    let ids: Vec<&str> = list.checks.iter().map(|check| check.id.as_str()).collect();
    for id in [
        "os.support",
        "memory.swap",
        "disk.performance",
        "reach.platform",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let table = ironprep(&["check", "--list", "--color", "never"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("memory.swap") && text.contains("swap is off"),
        "{text}"
    );

    let explained = ironprep(&["check", "--explain", "memory.swap"]);
    assert_eq!(explained.status.code(), Some(0));
    let text = String::from_utf8(explained.stdout).unwrap();
    for part in ["memory.swap", "applies:", "fix:", "swapoff"] {
        assert!(text.contains(part), "{part} not in {text}");
    }
}

#[test]
fn the_usage_error_for_an_unknown_id_points_to_a_list_that_exists() {
    let output = ironprep(&["check", "--explain", "no.such-check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'no.such-check'") && stderr.contains("see --list"),
        "{stderr}"
    );
    // The hint is true: `check --list` is accepted.
    assert_eq!(ironprep(&["check", "--list"]).status.code(), Some(0));
}

/// `net.host-ip` fails for an address no interface has (TEST-NET-1 here, never assigned).
fn waived_run(waivers: &str, format: &str) -> (Output, tempfile::TempDir) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("waivers.yaml");
    std::fs::write(&path, waivers).unwrap();
    let output = ironprep(&[
        "check",
        "--only",
        "net.host-ip",
        "--node-ip",
        "192.0.2.177",
        "--color",
        "never",
        "--format",
        format,
        "--waivers",
        path.to_str().unwrap(),
    ]);
    (output, directory)
}

const ACTIVE: &str = "- check: net.host-ip\n  hosts: [local*]\n  reason: the VIP moves here at cutover\n  owner: netops\n  expires: 2999-12-31\n";

#[test]
fn an_active_waiver_keeps_the_check_visible_and_the_run_passing() {
    let (json, _dir) = waived_run(ACTIVE, "json");
    assert_eq!(
        json.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let report: FleetReport = serde_json::from_slice(&json.stdout).unwrap();
    let check = &report.hosts[0].report.as_ref().unwrap().checks[0];
    assert_eq!(
        (check.id.as_str(), check.status),
        ("net.host-ip", Status::Waived)
    );
    let words = check.reason.as_deref().unwrap();
    assert!(
        words.contains("the VIP moves here at cutover") && words.contains("192.0.2.177"),
        "{words}"
    );
    assert_eq!((report.summary.fail, report.summary.waived), (0, 1));

    let (table, _dir) = waived_run(ACTIVE, "table");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("WAIVED net.host-ip") && text.contains("1 waived"),
        "{text}"
    );
    assert_eq!(table.status.code(), Some(0));

    let (junit, _dir) = waived_run(ACTIVE, "junit");
    ironprep_e2e::assert_junit(&junit.stdout, "a waived check as JUnit");
    let xml = String::from_utf8(junit.stdout).unwrap();
    assert!(
        xml.contains("<skipped message=\"waived (fail:") && !xml.contains("<failure"),
        "{xml}"
    );

    // A waiver for another host leaves the failure alone.
    let (other, _dir) = waived_run(&ACTIVE.replace("local*", "node-*"), "json");
    assert_eq!(other.status.code(), Some(1));
}

#[test]
fn expired_unknown_and_malformed_waivers_are_input_errors() {
    let expired = ACTIVE.replace("2999-12-31", "2020-01-31");
    let (output, _dir) = waived_run(&expired, "json");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("waivers.yaml:1")
            && stderr.contains("expired on 2020-01-31")
            && stderr.contains("netops"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let (output, _dir) = waived_run(
        &format!("{ACTIVE}- check: net.host-iq\n  reason: typo\n"),
        "table",
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("waivers.yaml:6") && stderr.contains("unknown check ID 'net.host-iq'"),
        "{stderr}"
    );

    let (output, _dir) = waived_run("- check: net.host-ip\n  reason: [unclosed\n", "junit");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("waivers.yaml:2"), "{stderr}");

    let (output, _dir) = waived_run("- check: net.host-ip\n", "json");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`reason` is required"));
}
