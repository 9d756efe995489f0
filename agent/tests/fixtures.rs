//! The agent binary run with `--root` against trees that reproduce real systems
//! (`tests/fixtures/<name>/`, described in its README): exact assertions for what machines and
//! people rely on, snapshots of the JSON and of the table for everything else.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use ironprep_agent::checks;
use ironprep_schema::{AgentReport, CheckResult, Status};

/// Every fixture tree; each is run with the default context and snapshotted.
const TREES: [&str; 6] = [
    "centos-7.9",
    "rhel-8.6",
    "ubuntu-22.04",
    "kylin-v10-sp3",
    "qemu64-vm",
    "kunpeng-920",
];

fn tree(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs the agent on a tree and returns its exit code and standard output.
fn agent(name: &str, arguments: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ironprep-agent"))
        .arg("--root")
        .arg(tree(name))
        .args(arguments)
        .env_remove("NO_COLOR")
        .output()
        .expect("the agent binary runs");
    assert!(
        output.stderr.is_empty(),
        "{name} {arguments:?}: unexpected stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output.status.code().expect("the agent exits, not killed");
    (
        code,
        String::from_utf8(output.stdout).expect("UTF-8 output"),
    )
}

struct Run {
    code: i32,
    report: AgentReport,
    json: serde_json::Value,
}

fn json_run(name: &str, arguments: &[&str]) -> Run {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(arguments);
    let (code, stdout) = agent(name, &all);
    let report: AgentReport = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("{name}: not an agent report ({error}):\n{stdout}"));
    let json = serde_json::from_str(&stdout).expect("valid JSON");
    Run { code, report, json }
}

impl Run {
    fn check(&self, id: &str) -> &CheckResult {
        self.report
            .checks
            .iter()
            .find(|check| check.id == id)
            .unwrap_or_else(|| panic!("no {id} in the report"))
    }

    fn status(&self, id: &str) -> Status {
        self.check(id).status
    }

    /// `id → status` of every check, for readable assertion failures.
    fn statuses(&self) -> BTreeMap<&str, Status> {
        self.report
            .checks
            .iter()
            .map(|check| (check.id.as_str(), check.status))
            .collect()
    }

    fn with(&self, status: Status) -> Vec<&CheckResult> {
        self.report
            .checks
            .iter()
            .filter(|check| check.status == status)
            .collect()
    }
}

/// The documented exit codes: 1 when a check failed, else 3 when one could not be evaluated.
fn expected_exit_code(report: &AgentReport) -> i32 {
    let has = |status: Status| report.checks.iter().any(|check| check.status == status);
    if has(Status::Fail) {
        1
    } else if has(Status::Error) {
        3
    } else {
        0
    }
}

fn assert_contract(name: &str, run: &Run) {
    let mut ids: Vec<&str> = run.report.checks.iter().map(|c| c.id.as_str()).collect();
    let registered: Vec<&str> = checks::ALL.iter().map(|check| check.id()).collect();
    assert_eq!(
        ids, registered,
        "{name}: every registered check once, in order"
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), registered.len(), "{name}: duplicate IDs");
    assert_eq!(
        run.code,
        expected_exit_code(&run.report),
        "{name}: exit code vs statuses {:#?}",
        run.statuses()
    );
    for check in &run.report.checks {
        let needs_reason = matches!(check.status, Status::Skip | Status::Error);
        assert_eq!(
            check.reason.is_some(),
            needs_reason,
            "{name}: {} {:?} reason {:?}",
            check.id,
            check.status,
            check.reason
        );
    }
}

fn snapshot_json(snapshot: &str, run: &Run) {
    insta::assert_json_snapshot!(snapshot, run.json, {
        ".duration_ms" => "[duration]",
        ".agent_version" => "[version]",
        ".peak_rss_kib" => "[rss]",
    });
}

fn snapshot_table(snapshot: &str, name: &str, arguments: &[&str]) {
    let mut all = vec!["--format", "table", "--color", "never", "--verbose"];
    all.extend_from_slice(arguments);
    let (code, table) = agent(name, &all);
    let (json_code, _) = agent(name, &[&["--format", "json"], arguments].concat());
    assert_eq!(
        code, json_code,
        "{name}: the format does not change the exit code"
    );
    insta::assert_snapshot!(snapshot, table);
}

#[test]
fn every_tree_reports_every_check_once_with_a_matching_exit_code() {
    for name in TREES {
        let run = json_run(name, &[]);
        assert_contract(name, &run);
        assert_eq!(run.report.profile.to_string(), "traditional");
    }
}

#[test]
fn ubuntu_22_04_prepared_has_no_failure_and_no_error() {
    let run = json_run("ubuntu-22.04", &[]);
    assert!(
        run.with(Status::Fail).is_empty() && run.with(Status::Error).is_empty(),
        "{:#?}",
        run.report.checks
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.report.host.arch, "x86_64");
    assert_eq!(run.report.host.os_id, "ubuntu");
    assert_eq!(run.report.host.kernel, "5.15.0-56-generic");
    assert_eq!(run.status("cpu.isa-level"), Status::Pass);
}

#[test]
fn qemu64_fails_the_x86_64_v2_baseline_and_names_what_is_missing() {
    let run = json_run("qemu64-vm", &[]);
    let isa = run.check("cpu.isa-level");
    assert_eq!(isa.status, Status::Fail, "{isa:#?}");
    for feature in ["SSE4.2", "POPCNT"] {
        assert!(
            isa.observed.contains(feature),
            "{feature} not named: {}",
            isa.observed
        );
    }
    assert_eq!(run.code, 1);
}

#[test]
fn kunpeng_920_is_aarch64_and_skips_the_x86_levels() {
    let run = json_run("kunpeng-920", &[]);
    assert_eq!(run.report.host.arch, "aarch64");
    assert_eq!(run.status("cpu.isa-level"), Status::Skip);
}

#[test]
fn centos_7_9_unprepared_fails_what_the_guide_requires() {
    let run = json_run("centos-7.9", &[]);
    for id in [
        "kernel.cmdline-nokmem",
        "memory.swap",
        "security.selinux",
        "security.firewall",
    ] {
        assert_eq!(run.status(id), Status::Fail, "{id}: {:#?}", run.check(id));
    }
    assert_eq!(run.code, 1);
}

#[test]
fn kylin_v10_sp3_is_supported() {
    let run = json_run("kylin-v10-sp3", &[]);
    assert_eq!(
        run.status("os.support"),
        Status::Pass,
        "{:#?}",
        run.check("os.support")
    );
}

#[test]
fn immutable_profile_skips_os_checks_and_keeps_hardware_checks() {
    let run = json_run("ubuntu-22.04", &["--profile", "immutable"]);
    assert_contract("ubuntu-22.04 immutable", &run);
    assert_eq!(run.report.profile.to_string(), "immutable");
    for id in ["os.support", "memory.swap", "security.apparmor"] {
        assert_eq!(run.status(id), Status::Skip, "{id}");
    }
    assert_eq!(run.status("cpu.isa-level"), Status::Pass);
    assert!(
        run.with(Status::Fail).is_empty() && run.with(Status::Error).is_empty(),
        "{:#?}",
        run.report.checks
    );
}

#[test]
fn a_calico_worker_does_not_need_the_control_plane_ports() {
    let control_plane = json_run("kylin-v10-sp3", &[]);
    assert_eq!(
        control_plane.status("net.ports-free"),
        Status::Fail,
        "the stray etcd holds 2379: {:#?}",
        control_plane.check("net.ports-free")
    );
    let worker = json_run("kylin-v10-sp3", &["--role", "worker", "--cni", "calico"]);
    assert_contract("kylin-v10-sp3 worker calico", &worker);
    assert_eq!(
        worker.status("net.ports-free"),
        Status::Pass,
        "{:#?}",
        worker.check("net.ports-free")
    );
    assert_eq!(worker.status("kernel.modules-cni"), Status::Skip);
}

#[test]
fn snapshots_of_every_tree() {
    for name in TREES {
        snapshot_json(&format!("{name}.json"), &json_run(name, &[]));
        snapshot_table(&format!("{name}.table"), name, &[]);
    }
}

#[test]
fn snapshots_of_other_profiles_and_roles() {
    let immutable = ["--profile", "immutable"];
    snapshot_json(
        "ubuntu-22.04.immutable.json",
        &json_run("ubuntu-22.04", &immutable),
    );
    snapshot_table("ubuntu-22.04.immutable.table", "ubuntu-22.04", &immutable);
    let worker = ["--role", "worker", "--cni", "calico"];
    snapshot_json(
        "kylin-v10-sp3.worker-calico.json",
        &json_run("kylin-v10-sp3", &worker),
    );
    snapshot_table(
        "kylin-v10-sp3.worker-calico.table",
        "kylin-v10-sp3",
        &worker,
    );
}
