//! End-to-end tests of `ironprep registration names|pools` and of `ironprep lint --report`:
//! fleet reports in the shape `ironprep check --format json` writes (built here from the schema
//! crate's types), the seed's MachineRegistration, elemental's naming rules applied to them,
//! duplicates and missing values as errors, and generated pools that lint clean.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ironprep_schema::{
    AgentReport, Cni, FleetReport, HostEntry, HostFacts, HostOutcome, Profile, Role, SCHEMA_VERSION,
};
use serde_json::Value;

struct Host {
    name: &'static str,
    hostname: &'static str,
    uuid: Option<&'static str>,
    serial: Option<&'static str>,
    roles: &'static [Role],
}

const CP1: Host = Host {
    name: "cp-1",
    hostname: "cp-1",
    uuid: Some("4c4c4544-0042-3510-8052-b4c04f333731"),
    serial: Some("FX8Q9K1"),
    roles: &[Role::ControlPlane],
};
const CP2: Host = Host {
    name: "cp-2",
    hostname: "cp-2",
    uuid: Some("4c4c4544-0042-3510-8052-b4c04f333732"),
    serial: Some("FX8Q9K2"),
    roles: &[Role::ControlPlane, Role::Worker],
};
const CP3: Host = Host {
    name: "cp-3",
    hostname: "cp-3.dc1.example",
    uuid: Some("4c4c4544-0042-3510-8052-b4c04f333733"),
    serial: Some("FX8Q9K3"),
    roles: &[Role::ControlPlane],
};
const WORKER: Host = Host {
    name: "worker-1",
    hostname: "Worker_1",
    uuid: Some("4C4C4544-0042-3510-8052-B4C04F333734"),
    serial: None,
    roles: &[Role::Worker],
};
const INSTALLER: Host = Host {
    name: "installer",
    hostname: "installer",
    uuid: Some("4c4c4544-0042-3510-8052-b4c04f333735"),
    serial: Some("FX8Q9K5"),
    roles: &[Role::Installer],
};

fn entry(host: &Host) -> HostEntry {
    HostEntry {
        host: host.name.to_owned(),
        address: format!("10.0.0.{}:22", host.name.len()),
        outcome: HostOutcome::Reported,
        error: None,
        report: Some(AgentReport {
            schema_version: SCHEMA_VERSION,
            agent_version: "0.1.0".to_owned(),
            host: HostFacts {
                hostname: host.hostname.to_owned(),
                system_uuid: host.uuid.map(str::to_owned),
                system_serial: host.serial.map(str::to_owned),
                ..HostFacts::default()
            },
            profile: Profile::Immutable,
            roles: host.roles.to_vec(),
            cni: Cni::KubeOvn,
            duration_ms: 40,
            peak_rss_kib: None,
            checks: Vec::new(),
        }),
    }
}

fn fleet(directory: &Path, entries: Vec<HostEntry>) -> PathBuf {
    let path = directory.join("fleet.json");
    let report = FleetReport::new(entries, Vec::new());
    fs::write(&path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    path
}

/// The seed 001 MachineRegistration for `cluster`, with its SeedImage in the same file.
fn registration(directory: &Path, cluster: &str, machine_name: &str) -> PathBuf {
    let path = directory.join("01-machineregistration-seedimage.yaml");
    fs::write(
        &path,
        format!(
            "apiVersion: elemental.cattle.io/v1beta1
kind: MachineRegistration
metadata:
  name: {cluster}-registration
  namespace: cpaas-system
spec:
  machineName: \"{machine_name}\"
  machineInventoryLabels:
    elemental.cattle.io/serial-number: \"${{System Information/Serial Number}}\"
  config:
    elemental:
      install:
        reboot: false
---
apiVersion: elemental.cattle.io/v1beta1
kind: SeedImage
metadata:
  name: {cluster}-registration-iso
  namespace: cpaas-system
spec:
  type: iso
  baseImage: https://artifacts.example/baremetal-base-image.iso
  registrationRef:
    apiVersion: elemental.cattle.io/v1beta1
    kind: MachineRegistration
    name: {cluster}-registration
    namespace: cpaas-system
"
        ),
    )
    .unwrap();
    path
}

fn ironprep(args: &[&str]) -> Output {
    Command::new(ironprep_e2e::ironprep())
        .args(args)
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> (Value, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = ironprep(&all);
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    match args.get(1).copied() {
        Some("names") => ironprep_e2e::assert_schema("names-report", &value),
        Some("pools") => ironprep_e2e::assert_schema("pools-report", &value),
        _ => {}
    }
    (value, output.status.code().unwrap())
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

fn names_of(report: &Value) -> Vec<(String, Value)> {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| {
            (
                host["host"].as_str().unwrap().to_owned(),
                host["name"].clone(),
            )
        })
        .collect()
}

#[test]
fn names_follow_elementals_rules_for_every_host() {
    let directory = tempfile::tempdir().unwrap();
    let report = fleet(directory.path(), vec![entry(&CP1), entry(&WORKER)]);
    let reg = registration(
        directory.path(),
        "global",
        "global-${System Information/UUID}",
    );
    let (names, code) = json(&[
        "registration",
        "names",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{names:#}");
    assert_eq!(names["schema_version"], 1);
    assert_eq!(
        names["registration"]["object"],
        "MachineRegistration/cpaas-system/global-registration"
    );
    assert_eq!(
        names_of(&names),
        [
            (
                "cp-1".to_owned(),
                "global-4c4c4544-0042-3510-8052-b4c04f333731".into()
            ),
            // dmidecode's upper case, lower-cased by elemental.
            (
                "worker-1".to_owned(),
                "global-4c4c4544-0042-3510-8052-b4c04f333734".into()
            ),
        ]
    );
    for id in [
        "registration.names-resolved",
        "registration.names-valid",
        "registration.names-unique",
    ] {
        assert_eq!(check(&names, id)["status"], "pass", "{id}: {names:#}");
    }
    // A long constant part with spaces and brackets: sanitised, then cut to 58 bytes — which
    // drops the UUIDs' distinguishing tail, so both hosts become one inventory
    // (rancher/elemental-operator#144).
    let reg = registration(
        directory.path(),
        "global",
        "Global Control Plane (rack 07) ${System Information/UUID}",
    );
    let (names, code) = json(&[
        "registration",
        "names",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let cut = names["hosts"][0]["name"].as_str().unwrap();
    assert_eq!(
        cut,
        "global-control-plane-rack-07-4c4c4544-0042-3510-8052-b4c04"
    );
    assert_eq!(cut.len(), 58);
    assert_eq!(code, 1, "{names:#}");
    let unique = check(&names, "registration.names-unique");
    assert_eq!(
        unique["observed"].as_str().unwrap(),
        format!(
            "cp-1 and worker-1 both register as `{cut}`: only the first registers; the others \
             loop on `websocket: close 1006`"
        )
    );
}

#[test]
fn two_hosts_with_one_name_fail_naming_both() {
    let directory = tempfile::tempdir().unwrap();
    let clone = Host {
        name: "cp-1-clone",
        uuid: CP1.uuid,
        ..CP2
    };
    let report = fleet(
        directory.path(),
        vec![entry(&CP1), entry(&clone), entry(&CP3)],
    );
    let reg = registration(
        directory.path(),
        "global",
        "global-${System Information/UUID}",
    );
    let args = [
        "registration",
        "names",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    let (names, code) = json(&args);
    assert_eq!(code, 1, "{names:#}");
    let unique = check(&names, "registration.names-unique");
    assert_eq!(unique["status"], "fail");
    let observed = unique["observed"].as_str().unwrap();
    assert!(
        observed.contains(
            "cp-1 and cp-1-clone both register as `global-4c4c4544-0042-3510-8052-b4c04f333731`"
        ),
        "{observed}"
    );
    let table = ironprep(&args);
    assert_eq!(table.status.code(), Some(1));
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("FAIL  registration.names-unique"), "{text}");
}

#[test]
fn a_value_the_host_lacks_is_an_error_and_an_unbalanced_template_exit_2() {
    let directory = tempfile::tempdir().unwrap();
    let report = fleet(directory.path(), vec![entry(&CP1), entry(&WORKER)]);
    let reg = registration(
        directory.path(),
        "global",
        "global-${System Information/Serial Number}",
    );
    let (names, code) = json(&[
        "registration",
        "names",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{names:#}");
    let resolved = check(&names, "registration.names-resolved");
    assert_eq!(resolved["status"], "fail");
    assert!(
        resolved["observed"]
            .as_str()
            .unwrap()
            .starts_with("worker-1: no value for `${System Information/Serial Number}`"),
        "{resolved:#}"
    );
    assert!(names["hosts"][1]["name"].is_null());

    let reg = registration(
        directory.path(),
        "global",
        "global-${System Information/UUID",
    );
    let output = ironprep(&[
        "registration",
        "names",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("01-machineregistration-seedimage.yaml:7:3: MachineRegistration/cpaas-system/global-registration: spec.machineName: unbalanced `${` at character 8"),
        "{stderr}"
    );
}

#[test]
fn generated_pools_lint_clean_and_refuse_untrusted_names() {
    let directory = tempfile::tempdir().unwrap();
    let report = fleet(
        directory.path(),
        vec![
            entry(&CP1),
            entry(&CP2),
            entry(&CP3),
            entry(&WORKER),
            entry(&INSTALLER),
        ],
    );
    let reg = registration(
        directory.path(),
        "global",
        "global-${System Information/UUID}",
    );
    let args = [
        "registration",
        "pools",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--cluster",
        "global",
    ];
    let output = ironprep(&args);
    assert_eq!(output.status.code(), Some(0));
    let yaml = String::from_utf8(output.stdout).unwrap();
    assert!(yaml.contains("name: global-control-plane-pool\n"), "{yaml}");
    assert!(yaml.contains("name: global-worker-pool\n"), "{yaml}");
    assert!(
        yaml.contains(
            "  - name: \"global-4c4c4544-0042-3510-8052-b4c04f333732\"\n    hostname: \"cp-2\"\n"
        ),
        "{yaml}"
    );
    // Worker_1 is no node name: the member falls back to its inventory name.
    assert!(
        yaml.contains("  - name: \"global-4c4c4544-0042-3510-8052-b4c04f333734\"\n---")
            || yaml.ends_with("  - name: \"global-4c4c4544-0042-3510-8052-b4c04f333734\"\n"),
        "{yaml}"
    );
    assert!(yaml.contains("# in no pool (neither control plane nor worker): installer"));
    let pools = directory.path().join("02-machineinventorypool.yaml");
    fs::write(&pools, &yaml).unwrap();
    let lint = ironprep(&[
        "lint",
        "--strict",
        "--format",
        "json",
        reg.to_str().unwrap(),
        pools.to_str().unwrap(),
    ]);
    let findings: Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(findings["findings"], serde_json::json!([]), "{findings:#}");
    assert_eq!(lint.status.code(), Some(0));

    let (json_report, code) = json(&args);
    assert_eq!(code, 0);
    assert_eq!(json_report["pools"][0]["role"], "control-plane");
    assert_eq!(
        json_report["pools"][0]["members"].as_array().unwrap().len(),
        3
    );
    assert_eq!(json_report["pools"][1]["members"][0].get("hostname"), None);
    assert_eq!(json_report["unpooled"], serde_json::json!(["installer"]));
    assert_eq!(
        check(&json_report, "registration.pool-hostnames")["status"],
        "warn"
    );

    // Two hosts with one name: no pools at all.
    let clone = Host {
        name: "cp-3-clone",
        uuid: CP3.uuid,
        ..CP1
    };
    let report = fleet(
        directory.path(),
        vec![entry(&CP1), entry(&CP3), entry(&clone)],
    );
    let mut args = args.to_vec();
    args[5] = report.to_str().unwrap();
    let output = ironprep(&args);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains("kind: MachineInventoryPool"), "{text}");
    assert!(text.contains("cp-3 and cp-3-clone"), "{text}");
    let output = ironprep(&[
        "registration",
        "pools",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--cluster",
        "Global",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("registration-fixtures")
        .join(name)
}

/// `kubectl get … -o yaml | ironprep lint --phase installed -`, on Lists recorded in the
/// shape of the CRDs' status (elemental-operator's `config/crd/bases` at commit 57608bff; the
/// pool's counters as seed 001 describes them).
fn lint_stdin(list: &Path, extra: &[&str]) -> (Value, i32) {
    use std::io::Write as _;
    let mut child = Command::new(ironprep_e2e::ironprep())
        .args([
            "lint",
            "--format",
            "json",
            "--phase",
            "installed",
            "--vip",
            "192.168.10.100",
        ])
        .args(extra)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&fs::read(list).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        serde_json::from_slice(&output.stdout).unwrap(),
        output.status.code().unwrap(),
    )
}

#[test]
fn live_status_lists_lint_clean_when_registration_is_confirmed() {
    let (report, code) = lint_stdin(&fixture("installed-global.yaml"), &["--strict"]);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn live_status_rules_report_what_is_not_confirmed() {
    let (report, code) = lint_stdin(&fixture("installed-global-broken.yaml"), &[]);
    assert_eq!(code, 1, "{report:#}");
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["rule"].as_str().unwrap().to_owned(),
                finding["severity"].as_str().unwrap().to_owned(),
                finding["object"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    let inventory = |uuid: &str| format!("MachineInventory/cpaas-system/global-{uuid}");
    assert_eq!(
        found,
        [
            (
                "inventory.plan-secret".to_owned(),
                "error".to_owned(),
                inventory("4c4c4544-0042-3510-8052-b4c04f333732")
            ),
            (
                "inventory.pool".to_owned(),
                "warning".to_owned(),
                inventory("4c4c4544-0042-3510-8052-b4c04f333733")
            ),
            (
                "inventory.ready".to_owned(),
                "error".to_owned(),
                inventory("4c4c4544-0042-3510-8052-b4c04f333732")
            ),
            (
                "registration.status-url".to_owned(),
                "error".to_owned(),
                "MachineRegistration/cpaas-system/global-registration".to_owned()
            ),
            (
                "seedimage.completed".to_owned(),
                "error".to_owned(),
                "SeedImage/cpaas-system/global-registration-iso".to_owned()
            ),
        ]
    );
    // The registration token in the URL is never echoed.
    assert!(
        !report.to_string().contains("jf8s9c2lq7x4m1n6"),
        "{report:#}"
    );
}

#[test]
fn lint_report_cross_checks_pools_against_the_fleet() {
    let directory = tempfile::tempdir().unwrap();
    let report = fleet(
        directory.path(),
        vec![entry(&CP1), entry(&CP2), entry(&CP3)],
    );
    let reg = registration(
        directory.path(),
        "global",
        "global-${System Information/UUID}",
    );
    let output = ironprep(&[
        "registration",
        "pools",
        "--registration",
        reg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--cluster",
        "global",
    ]);
    let yaml = String::from_utf8(output.stdout).unwrap();
    let pools = directory.path().join("pools.yaml");
    fs::write(&pools, &yaml).unwrap();
    let lint = |pools: &Path| {
        let output = ironprep(&[
            "lint",
            "--format",
            "json",
            "--report",
            report.to_str().unwrap(),
            reg.to_str().unwrap(),
            pools.to_str().unwrap(),
        ]);
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        (value, output.status.code().unwrap())
    };
    let (clean, code) = lint(&pools);
    assert_eq!(clean["findings"], serde_json::json!([]), "{clean:#}");
    assert_eq!(code, 0);
    // A member typed by hand with a wrong digit, and a hostname swapped with another host's.
    let typo = yaml
        .replace("b4c04f333733\"", "b4c04f333783\"")
        .replace("hostname: \"cp-1\"", "hostname: \"cp-2\"");
    fs::write(&pools, &typo).unwrap();
    let (findings, code) = lint(&pools);
    assert_eq!(code, 1, "{findings:#}");
    let messages: Vec<&str> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule"] == "pool.fleet-members")
        .map(|finding| finding["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{findings:#}");
    assert!(
        messages[0].contains("cp-1, whose hostname is cp-1, not cp-2"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with(
            "no host of the fleet report registers as global-4c4c4544-0042-3510-8052-b4c04f333783"
        ),
        "{messages:?}"
    );
}
