//! The JSON Schemas under `agent/schema/json/` are the ones `ironprep schema` generates from
//! the types that print each document, and every command's real `--format json` output is
//! valid against its schema (the fleet, ISO and registration tests validate theirs too).

use std::path::{Path, PathBuf};
use std::process::Command;

use ironprep_e2e::{assert_schema, binary, ironprep, published_schema, repository};
use serde_json::Value;

fn run(program: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let output = Command::new(program).args(args).output().unwrap();
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{args:?}: not JSON ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (value, output.status.code())
}

#[test]
fn the_published_schemas_are_the_generated_ones() {
    let listing = Command::new(ironprep()).arg("schema").output().unwrap();
    let names: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(names.len() >= 12, "{names:?}");
    let directory = PathBuf::from(repository("agent/schema/json"));
    let mut files: Vec<String> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = names
        .iter()
        .map(|name| format!("{name}.schema.json"))
        .collect();
    expected.sort();
    assert_eq!(
        files, expected,
        "run: ironprep schema --write agent/schema/json"
    );
    for name in &names {
        let generated = Command::new(ironprep())
            .args(["schema", name])
            .output()
            .unwrap();
        let published = std::fs::read(directory.join(format!("{name}.schema.json"))).unwrap();
        assert!(
            generated.stdout == published,
            "{name}.schema.json is stale: run ironprep schema --write agent/schema/json"
        );
    }
}

#[test]
fn every_command_prints_what_its_schema_promises() {
    let agent = binary("ironprep-agent");
    let (report, _) = run(
        &agent,
        &["--only", "net.hostname,cpu.isa-level", "--format", "json"],
    );
    assert_schema("agent-report", &report);
    let (list, code) = run(&agent, &["--list", "--format", "json"]);
    assert_eq!(code, Some(0));
    assert_schema("check-list", &list);

    let only = "net.hostname,cpu.isa-level,memory.swap";
    let (fleet, _) = run(&ironprep(), &["check", "--only", only, "--format", "json"]);
    assert_schema("fleet-report", &fleet);
    // The schemas have teeth: a report without its hosts, or with an unknown status, fails.
    let validator = jsonschema::validator_for(&published_schema("fleet-report")).unwrap();
    let mut broken = fleet.clone();
    broken.as_object_mut().unwrap().remove("hosts");
    assert!(!validator.is_valid(&broken));
    let mut broken = fleet.clone();
    broken["hosts"][0]["report"]["checks"][0]["status"] = Value::from("maybe");
    assert!(!validator.is_valid(&broken));

    let bad = repository("controller/tests/lint-fixtures/rules/kcp.replicas/bad.yaml");
    let (lint, code) = run(&ironprep(), &["lint", &bad, "--format", "json"]);
    assert_eq!(code, Some(1));
    assert_schema("lint-report", &lint);
    let directory = tempfile::tempdir().unwrap();
    let waivers = directory.path().join("lint-waivers.yaml");
    std::fs::write(
        &waivers,
        "- rule: kcp.replicas\n  reason: PoC\n  owner: ops\n  expires: 2999-01-01\n",
    )
    .unwrap();
    let waivers = waivers.to_str().unwrap();
    let (waived, _) = run(
        &ironprep(),
        &["lint", &bad, "--waivers", waivers, "--format", "json"],
    );
    assert_eq!(
        waived["findings"][0]["waived"]["owner"], "ops",
        "{waived:#}"
    );
    assert_schema("lint-report", &waived);
    // The schema has teeth there too: a waiver without its reason fails.
    let mut broken = waived.clone();
    broken["findings"][0]["waived"]
        .as_object_mut()
        .unwrap()
        .remove("reason");
    let validator = jsonschema::validator_for(&published_schema("lint-report")).unwrap();
    assert!(!validator.is_valid(&broken));
    let (rules, _) = run(&ironprep(), &["lint", "--list-rules", "--format", "json"]);
    assert_schema("rule-list", &rules);

    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("dex");
    let out = out.to_str().unwrap();
    let (written, code) = run(
        &ironprep(),
        &[
            "certs",
            "dex-tls",
            "--host-ip",
            "127.0.0.1",
            "--out",
            out,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0));
    assert_schema("written-files", &written);
    let file = |name: &str| format!("{out}/{name}");
    let (verified, code) = run(
        &ironprep(),
        &[
            "certs",
            "verify",
            "--ca",
            &file("ca.crt"),
            "--cert",
            &file("tls.crt"),
            "--key",
            &file("tls.key"),
            "--host-ip",
            "127.0.0.1",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{verified:#}");
    assert_schema("certificate-report", &verified);
    let (compared, _) = run(
        &ironprep(),
        &["certs", "compare", out, out, "--format", "json"],
    );
    assert_schema("comparison-report", &compared);

    // Port 1 on loopback: refused at once, a failed endpoint with its steps.
    let (probed, code) = run(
        &ironprep(),
        &[
            "probe",
            "--endpoint",
            "https://127.0.0.1:1",
            "--ca",
            &file("ca.crt"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(1));
    assert_schema("probe-report", &probed);
}
