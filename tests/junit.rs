//! `--format junit` as a Jenkins job reads it: every command's report is valid against
//! jenkinsci/xunit-plugin's `junit-10.xsd` (checked with `xmllint`) and its counts are the
//! cases it holds; warnings are not failures and waived checks are skipped with their reason.
//! The fleet, BMC, probe and waiver tests validate their own JUnit with the same assertion.

use std::process::{Command, Output};

use ironprep_e2e::{assert_junit, ironprep, repository};

fn run(args: &[&str]) -> Output {
    Command::new(ironprep()).args(args).output().unwrap()
}

#[test]
fn this_machines_check_with_a_waiver_is_valid_junit() {
    let directory = tempfile::tempdir().unwrap();
    let waivers = directory.path().join("waivers.yaml");
    std::fs::write(
        &waivers,
        "- check: net.host-ip\n  reason: the VIP moves here at cutover\n  expires: 2999-12-31\n",
    )
    .unwrap();
    // 192.0.2.177 is on no interface of this machine: net.host-ip fails, and is waived.
    let output = run(&[
        "check",
        "--node-ip",
        "192.0.2.177",
        "--waivers",
        waivers.to_str().unwrap(),
        "--format",
        "junit",
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_junit(&output.stdout, "check --waivers --format junit");
    let xml = String::from_utf8_lossy(&output.stdout);
    let case = xml
        .split("<testcase ")
        .find(|case| case.starts_with("name=\"net.host-ip\""))
        .unwrap_or_else(|| panic!("no net.host-ip case: {xml}"));
    assert!(
        case.contains("<skipped message=\"waived") && !case.contains("<failure"),
        "{case}"
    );
    // A warning is shown to the job in system-out, never as a failure.
    for case in xml
        .split("<testcase ")
        .filter(|case| case.contains("<system-out>warning:"))
    {
        let case = case.split("</testcase>").next().unwrap();
        assert!(
            !case.contains("<failure") && !case.contains("<error"),
            "{case}"
        );
    }
}

#[test]
fn a_lint_with_findings_is_valid_junit() {
    let output = run(&[
        "lint",
        "--format",
        "junit",
        &repository("controller/tests/lint-fixtures/rules"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_junit(&output.stdout, "lint --format junit");
    let xml = String::from_utf8_lossy(&output.stdout);
    assert!(xml.contains("<failure"), "{xml}");
}

#[test]
fn a_lint_with_a_waived_finding_is_valid_junit() {
    let directory = tempfile::tempdir().unwrap();
    let waivers = directory.path().join("lint-waivers.yaml");
    std::fs::write(
        &waivers,
        "- rule: kcp.replicas\n  objects: [global-kcp]\n  reason: one-node PoC\n",
    )
    .unwrap();
    let output = run(&[
        "lint",
        "--waivers",
        waivers.to_str().unwrap(),
        "--format",
        "junit",
        &repository("controller/tests/lint-fixtures/rules/kcp.replicas/bad.yaml"),
    ]);
    // reference.resolves still fails the fixture.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_junit(&output.stdout, "lint --waivers --format junit");
    let xml = String::from_utf8_lossy(&output.stdout);
    let suite = xml
        .split("<testsuite ")
        .find(|suite| suite.starts_with("name=\"kcp.replicas\""))
        .unwrap_or_else(|| panic!("no kcp.replicas suite: {xml}"));
    let suite = suite.split("</testsuite>").next().unwrap();
    assert!(
        suite.contains("<skipped message=\"waived (error: 1 control-plane replica(s)")
            && suite.contains("one-node PoC")
            && !suite.contains("<failure"),
        "{suite}"
    );
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
}

#[test]
fn a_certificate_verification_is_valid_junit() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("dex");
    let made = run(&[
        "certs",
        "dex-tls",
        "--host-ip",
        "127.0.0.1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        made.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let file = |name: &str| out.join(name).display().to_string();
    // Verified for an IP it was not made for: one failure among passes.
    let output = run(&[
        "certs",
        "verify",
        "--ca",
        &file("ca.crt"),
        "--cert",
        &file("tls.crt"),
        "--key",
        &file("tls.key"),
        "--host-ip",
        "192.0.2.9",
        "--format",
        "junit",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_junit(&output.stdout, "certs verify --format junit");
    let xml = String::from_utf8_lossy(&output.stdout);
    assert!(
        xml.contains("cert.ip-san") && xml.contains("<failure"),
        "{xml}"
    );
}
