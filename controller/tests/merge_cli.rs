//! `ironprep merge` from the outside: shard reports join into one fleet report, the cross-host
//! checks see the union (a machine in two shards is caught), per-controller checks are kept
//! with their shard named, the output goes through the shared options, and anything that is
//! not a fleet report of this schema stops with exit 2 naming the file and writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ironprep_schema::{FleetReport, Status};
use serde_json::{Value, json};

fn ironprep(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .current_dir(directory)
        .args(args)
        .output()
        .unwrap()
}

/// A reported host as `ironprep check` writes it.
fn host(name: &str, hostname: &str, uuid: &str, role: &str) -> Value {
    json!({
        "host": name,
        "address": format!("{name}.example:22"),
        "outcome": "reported",
        "report": {
            "schema_version": 1,
            "agent_version": "0.1.0",
            "host": {
                "hostname": hostname,
                "os": "Rocky Linux 9.4",
                "kernel": "5.14.0",
                "arch": "x86_64",
                "system_uuid": uuid,
                "timezone": "Etc/UTC"
            },
            "profile": "traditional",
            "roles": [role],
            "cni": "kube-ovn",
            "duration_ms": 15,
            "checks": [{
                "id": "os.supported",
                "title": "supported operating system",
                "status": "pass",
                "observed": "Rocky Linux 9.4",
                "expected": "a supported OS",
                "hint": ""
            }]
        }
    })
}

fn fleet_check(id: &str, status: &str, observed: &str, reason: Option<&str>) -> Value {
    let mut check = json!({
        "id": id,
        "title": id,
        "status": status,
        "observed": observed,
        "expected": "",
        "hint": "",
        "hosts": []
    });
    if let Some(reason) = reason {
        check["reason"] = json!(reason);
    }
    check
}

/// A shard report: its hosts, a role-count of its own (failing: a shard has too few
/// control-plane hosts), and a clock-skew check only its controller could measure.
fn shard(directory: &Path, file: &str, hosts: Vec<Value>) -> PathBuf {
    let report = json!({
        "schema_version": 1,
        "hosts": hosts,
        "fleet": [
            fleet_check("fleet.role-count", "fail", "1 control-plane host(s)", None),
            fleet_check("fleet.clock-skew", "pass", "spread 0.2 s across 2 hosts", None),
        ],
        "summary": {"hosts": 0, "reported": 0, "hosts_failed": 0, "pass": 0, "warn": 0,
                    "fail": 0, "skip": 0, "error": 0}
    });
    let path = directory.join(file);
    std::fs::write(&path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    path
}

fn merged(directory: &Path, args: &[&str]) -> (Output, FleetReport) {
    let mut all = vec!["merge", "--format", "json"];
    all.extend_from_slice(args);
    let output = ironprep(directory, &all);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}",
            String::from_utf8_lossy(&output.stderr).into_owned()
        )
    });
    (output, report)
}

fn check<'a>(report: &'a FleetReport, id: &str) -> Vec<&'a ironprep_schema::FleetCheck> {
    report
        .fleet
        .iter()
        .filter(|check| check.result.id == id)
        .collect()
}

#[test]
fn disjoint_shards_merge_into_one_fleet_and_roles_count_across_shards() {
    let directory = tempfile::tempdir().unwrap();
    let a = "4c4c4544-0000-0000-0000-00000000000a";
    let b = "4c4c4544-0000-0000-0000-00000000000b";
    let c = "4c4c4544-0000-0000-0000-00000000000c";
    let d = "4c4c4544-0000-0000-0000-00000000000d";
    shard(
        directory.path(),
        "shard-0.json",
        vec![
            host("cp1", "cp1", a, "control-plane"),
            host("w1", "w1", b, "worker"),
        ],
    );
    shard(
        directory.path(),
        "shard-1.json",
        vec![
            host("cp2", "cp2", c, "control-plane"),
            host("cp3", "cp3", d, "control-plane"),
        ],
    );
    let (output, report) = merged(directory.path(), &["shard-0.json", "shard-1.json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names: Vec<&str> = report.hosts.iter().map(|host| host.host.as_str()).collect();
    assert_eq!(names, ["cp1", "w1", "cp2", "cp3"]);
    assert_eq!(report.summary.hosts, 4);
    assert_eq!(report.summary.reported, 4);
    for id in [
        "fleet.hostname-unique",
        "fleet.uuid-unique",
        "fleet.timezone",
        "fleet.shards-disjoint",
    ] {
        let found = check(&report, id);
        assert_eq!(found.len(), 1, "{id}");
        assert_eq!(found[0].result.status, Status::Pass, "{id}: {found:?}");
    }
    // Each shard alone had too few control-plane hosts; the union has three.
    let roles = check(&report, "fleet.role-count");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].result.status, Status::Pass, "{roles:?}");
    assert_eq!(roles[0].hosts, ["cp1", "cp2", "cp3"]);
    // What each controller measured is kept, once per shard, with the shard named.
    let clocks = check(&report, "fleet.clock-skew");
    assert_eq!(clocks.len(), 2);
    assert!(
        clocks[0]
            .result
            .observed
            .starts_with("shard shard-0.json: ")
    );
    assert!(
        clocks[1]
            .result
            .observed
            .starts_with("shard shard-1.json: ")
    );

    // The shared output pipeline: the fleet table for people, JUnit for CI.
    let table = ironprep(
        directory.path(),
        &["merge", "shard-0.json", "shard-1.json", "--color", "never"],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("fleet: 4 hosts · 4 reported"), "{text}");
    let junit = ironprep(
        directory.path(),
        &[
            "merge",
            "shard-0.json",
            "shard-1.json",
            "--format",
            "junit",
            "--output",
            "merged.xml",
        ],
    );
    assert_eq!(junit.status.code(), Some(0));
    let xml = std::fs::read_to_string(directory.path().join("merged.xml")).unwrap();
    assert!(xml.contains("<testsuite"), "{xml}");
    assert!(xml.contains("cp3"), "{xml}");
}

#[test]
fn a_machine_in_two_shards_is_caught_by_hostname_uuid_and_name() {
    let directory = tempfile::tempdir().unwrap();
    let twin = "4c4c4544-0000-0000-0000-0000000000ee";
    shard(
        directory.path(),
        "east.json",
        vec![
            host("node-a", "node-a", twin, "worker"),
            host(
                "node-b",
                "node-b",
                "4c4c4544-0000-0000-0000-000000000001",
                "worker",
            ),
        ],
    );
    // The same machine under another inventory name, and node-b listed again.
    shard(
        directory.path(),
        "west.json",
        vec![
            host("10.0.0.7", "NODE-A", twin, "worker"),
            host(
                "node-b",
                "node-b2",
                "4c4c4544-0000-0000-0000-000000000002",
                "worker",
            ),
        ],
    );
    let (output, report) = merged(directory.path(), &["east.json", "west.json"]);
    assert_eq!(output.status.code(), Some(1));

    let hostnames = check(&report, "fleet.hostname-unique");
    assert_eq!(hostnames[0].result.status, Status::Fail);
    assert_eq!(hostnames[0].hosts, ["node-a", "10.0.0.7"]);
    let uuids = check(&report, "fleet.uuid-unique");
    assert_eq!(uuids[0].result.status, Status::Fail);
    assert!(uuids[0].result.observed.contains(twin), "{uuids:?}");
    let names = check(&report, "fleet.shards-disjoint");
    assert_eq!(names[0].result.status, Status::Fail);
    assert_eq!(names[0].hosts, ["node-b"]);
    assert_eq!(
        names[0].result.observed, "node-b in east.json, west.json",
        "{names:?}"
    );
}

#[test]
fn anything_but_a_fleet_report_of_this_schema_is_refused_naming_the_file() {
    let directory = tempfile::tempdir().unwrap();
    shard(
        directory.path(),
        "good.json",
        vec![host(
            "a",
            "a",
            "4c4c4544-0000-0000-0000-000000000001",
            "worker",
        )],
    );
    let write = |name: &str, text: &str| std::fs::write(directory.path().join(name), text).unwrap();
    write("notes.txt", "hosts: a, b\n");
    write(
        "agent.json",
        r#"{"schema_version": 1, "agent_version": "0.1.0", "checks": []}"#,
    );
    let mut future: Value =
        serde_json::from_slice(&std::fs::read(directory.path().join("good.json")).unwrap())
            .unwrap();
    future["schema_version"] = json!(2);
    write("future.json", &future.to_string());
    write(
        "broken.json",
        "{\"schema_version\": 1, \"hosts\": [{\"host\": 5}],\n \"fleet\": []}",
    );

    let cases = [
        (
            "notes.txt",
            "notes.txt: not an ironprep fleet report: not JSON",
        ),
        (
            "agent.json",
            "agent.json: not an ironprep fleet report: no hosts and fleet",
        ),
        (
            "future.json",
            "future.json: schema_version 2, but this ironprep reads schema_version 1",
        ),
        (
            "broken.json",
            "broken.json: not an ironprep fleet report: invalid type",
        ),
        ("missing.json", "missing.json: "),
        (".", ".: is a directory, not a regular file"),
    ];
    for (file, message) in cases {
        let output = ironprep(
            directory.path(),
            &["merge", "good.json", file, "--output", "merged.json"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(message), "{file}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            !directory.path().join("merged.json").exists(),
            "{file}: a partial report was written"
        );
    }
    // A wrong field is placed by line and column.
    let output = ironprep(directory.path(), &["merge", "broken.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 1 column"), "{stderr}");
    // No report at all is a usage error.
    assert_eq!(
        ironprep(directory.path(), &["merge"]).status.code(),
        Some(2)
    );
}
