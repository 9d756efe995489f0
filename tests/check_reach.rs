//! `ironprep check` with the `reach.*` inputs: on this machine against an ingress on loopback,
//! and on a simulated fleet against an ingress on the lab network's gateway, where one host's
//! firewall drops what it sends to the platform port, so exactly that host fails.

mod support;

use std::net::IpAddr;
use std::process::Command;

use ironprep_certs::generate::KeyType;
use ironprep_schema::{FleetReport, HostOutcome, Status};
use support::{Fleet, can_run, ingress, read_report};

/// The platform (and registry) port of the fleet test; 12443 is the bootstrap endpoint.
const PLATFORM_PORT: u16 = 18443;

fn status_of(report: &FleetReport, host: &str, id: &str) -> (Status, String) {
    let entry = report
        .hosts
        .iter()
        .find(|entry| entry.host == host)
        .unwrap();
    let agent = entry
        .report
        .as_ref()
        .unwrap_or_else(|| panic!("{host} has no report: {:?}", entry.error));
    let check = agent.checks.iter().find(|check| check.id == id).unwrap();
    (check.status, check.observed.clone())
}

#[test]
fn this_machine_reaches_a_verified_ingress_on_loopback() {
    // Every kind of chain `ironprep certs dex-tls` makes: the agent verifies on its own crypto
    // provider (ring in the portable agent that scripts/test.sh hands these tests), not the
    // controller's.
    for key_type in KeyType::ALL {
        reaches_a_verified_ingress(key_type);
    }
}

fn reaches_a_verified_ingress(key_type: KeyType) {
    let directory = tempfile::tempdir().unwrap();
    let server = ingress::serve_with(
        IpAddr::from([127, 0, 0, 1]),
        &[0],
        directory.path(),
        key_type,
    );
    let url = format!("https://{}", server.address);
    let agent = support::agent();
    let output = Command::new(ironprep_e2e::ironprep())
        .args([
            "check",
            "--format",
            "json",
            "--only",
            "reach.platform,reach.registry",
        ])
        .args([
            "--platform-url",
            &url,
            "--registry",
            &server.address.to_string(),
        ])
        .arg("--ca")
        .arg(&server.ca_file)
        .arg("--agent")
        .arg(&agent)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{key_type:?} chain; stderr: {stderr}"
    );
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    for id in ["reach.platform", "reach.registry"] {
        let (status, observed) = status_of(&report, "localhost", id);
        assert_eq!(status, Status::Pass, "{key_type:?} chain, {id}: {observed}");
    }
    assert!(
        status_of(&report, "localhost", "reach.platform")
            .1
            .contains("401"),
        "{report:?}"
    );
}

#[test]
fn unusable_reach_input_is_a_usage_error_before_any_host() {
    let directory = tempfile::tempdir().unwrap();
    let not_a_ca = directory.path().join("ca.crt");
    std::fs::write(&not_a_ca, "hello\n").unwrap();
    let not_a_ca = not_a_ca.display().to_string();
    for (arguments, says) in [
        (
            vec!["--platform-url", "http://10.0.0.5", "--ca", &not_a_ca],
            "--platform-url",
        ),
        (
            vec![
                "--platform-url",
                "https://10.0.0.5",
                "--ca",
                "/nonexistent/ca.crt",
            ],
            "/nonexistent/ca.crt",
        ),
        (
            vec!["--platform-url", "https://10.0.0.5", "--ca", &not_a_ca],
            "ca.crt",
        ),
    ] {
        // An inventory that cannot be reached: the input must stop the run before it.
        let output = Command::new(ironprep_e2e::ironprep())
            .args(["check", "--agent", "/bin/true", "--hosts", "10.255.255.1"])
            .args(&arguments)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {stderr}");
        assert!(
            stderr.starts_with("ironprep check: ") && stderr.contains(says),
            "{arguments:?}: {stderr}"
        );
    }
}

#[test]
fn the_fleet_reaches_the_platform_except_the_host_that_drops_it() {
    if !can_run("fleet_reach") {
        return;
    }
    let fleet = Fleet::up(
        "reach",
        &[
            "open",
            &format!("walled:drop-out=tcp:{PLATFORM_PORT}"),
            "sudoer:sudo",
        ],
    );
    let gateway: IpAddr = fleet.gateway().parse().unwrap();
    let server = ingress::serve(gateway, &[PLATFORM_PORT, 12443], &fleet.dir);
    let url = format!("https://{gateway}:{PLATFORM_PORT}");
    let registry = format!("{gateway}:{PLATFORM_PORT}");
    let output = fleet.ironprep(&[
        "--inventory",
        "inventory.yaml",
        "--only",
        "reach.platform,reach.registry,reach.bootstrap",
        "--platform-url",
        &url,
        "--registry",
        &registry,
        "--bootstrap-host",
        &gateway.to_string(),
        "--ca",
        server.ca_file.to_str().unwrap(),
        "--timeout",
        "30",
        "--format",
        "json",
        "--output",
        "report.json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let report = read_report(&fleet, "report.json");
    assert!(
        report
            .hosts
            .iter()
            .all(|host| host.outcome == HostOutcome::Reported),
        "{report:?}"
    );
    for host in ["open", "sudoer"] {
        for id in ["reach.platform", "reach.registry", "reach.bootstrap"] {
            let (status, observed) = status_of(&report, host, id);
            assert_eq!(status, Status::Pass, "{host} {id}: {observed}");
        }
    }
    let (status, observed) = status_of(&report, "walled", "reach.platform");
    assert_eq!(status, Status::Fail, "{observed}");
    assert!(observed.contains(&url), "{observed}");
    assert_eq!(
        status_of(&report, "walled", "reach.registry").0,
        Status::Fail
    );
    // Another port of the same server: the firewall, not the server, is at fault.
    assert_eq!(
        status_of(&report, "walled", "reach.bootstrap").0,
        Status::Pass
    );
    // The CA went in the private directory, which is gone with the agent.
    for host in ["open", "walled", "sudoer"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }
}

/// `ironprep-agent-lean` beside the agent the tests run (scripts/build-agent.sh makes the
/// pair; `ironprep check` uploads the lean one when no --ca is given), or `None` outside CI.
fn lean_agent(test: &str) -> Option<std::path::PathBuf> {
    let mut name = support::agent().into_os_string();
    name.push("-lean");
    let lean = std::path::PathBuf::from(name);
    if lean.is_file() {
        return Some(lean);
    }
    ironprep_e2e::missing(
        test,
        &format!("no {} (scripts/build-agent.sh builds it)", lean.display()),
    );
    None
}

fn agent_json(agent: &std::path::Path, arguments: &[&str]) -> serde_json::Value {
    let output = Command::new(agent)
        .args(["--format", "json"])
        .args(arguments)
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}: {}",
        agent.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn without_a_ca_the_lean_agent_says_exactly_what_the_agent_says() {
    let Some(lean) = lean_agent("lean_agent_same_report") else {
        return;
    };
    // Every check, the three reach.* with their endpoints but no CA, on a fixture tree (the
    // same files for both runs) as every role: check by check, the same result to the letter.
    let tree = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../agent/tests/fixtures/centos-7.9"
    );
    let arguments = [
        "--root",
        tree,
        "--profile",
        "traditional",
        "--role",
        "control-plane",
        "--role",
        "worker",
        "--platform-url",
        "https://10.0.0.5",
        "--registry",
        "10.0.0.5:11443",
        "--bootstrap-host",
        "10.0.0.2",
    ];
    let full = agent_json(&support::agent(), &arguments);
    let lean = agent_json(&lean, &arguments);
    let checks = full["checks"].as_array().unwrap();
    assert!(checks.len() > 40, "{full}");
    assert_eq!(full["checks"], lean["checks"]);
    assert_eq!(full["host"], lean["host"]);
    let skipped = checks
        .iter()
        .find(|check| check["id"] == "reach.platform")
        .unwrap();
    assert_eq!(skipped["status"], "skip", "{skipped}");
}

#[test]
fn the_lean_agent_refuses_a_ca_it_cannot_verify_with() {
    let Some(lean) = lean_agent("lean_agent_refuses_a_ca") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let server = ingress::serve(IpAddr::from([127, 0, 0, 1]), &[0], directory.path());
    let output = Command::new(&lean)
        .args(["--only", "reach.platform", "--platform-url"])
        .arg(format!("https://{}", server.address))
        .arg("--ca")
        .arg(&server.ca_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--ca") && stderr.contains("ironprep-agent-lean"),
        "{stderr}"
    );
}

#[test]
fn the_lean_agent_and_the_agent_are_one_build() {
    let Some(lean) = lean_agent("lean_agent_same_build") else {
        return;
    };
    // scripts/build-agent.sh stamps both builds of one run alike; `ironprep check` sends the
    // lean one only beside the agent with its stamp, so a pair that lost it would never travel.
    let full = std::fs::read(support::agent()).unwrap();
    let lean_binary = std::fs::read(&lean).unwrap();
    let stamp = ironprep_schema::stamp::find(&full).expect("the agent carries no build stamp");
    assert_eq!(ironprep_schema::stamp::find(&lean_binary), Some(stamp));
    let stamp = String::from_utf8_lossy(stamp);
    for binary in [support::agent(), lean] {
        let output = Command::new(&binary).arg("--version").output().unwrap();
        let version = String::from_utf8_lossy(&output.stdout);
        assert!(
            version.contains(&format!("(build {stamp})")),
            "{}: {version}",
            binary.display()
        );
    }
}
