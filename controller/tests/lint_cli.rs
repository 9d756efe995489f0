//! `ironprep lint` end to end: the seed manifests and a complete global set lint clean, the
//! command-line features work, and broken inputs give a positioned error (exit 2), never a
//! panic or a hang.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lint-fixtures")
        .join(name)
}

struct Run {
    code: i32,
    stdout: String,
}

fn lint(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .arg("lint")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
    }
}

fn json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let run = lint(&all, None);
    (run.code, serde_json::from_str(&run.stdout).unwrap())
}

fn of_severity<'a>(report: &'a Value, severity: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == severity)
        .collect()
}

#[test]
fn the_complete_global_set_has_no_error_and_no_warning() {
    let path = fixture("global-baremetal");
    let (code, report) = json(&["--strict", path.to_str().unwrap()]);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn the_filled_seed_000_global_fragment_lints_clean() {
    let path = fixture("seed-000");
    let catalog = fixture("image-catalog.yaml");
    let (code, report) = json(&[
        "--image-catalog",
        catalog.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn the_filled_seed_001_workload_lints_clean_but_for_its_poc_tpm_warning() {
    let path = fixture("seed-001");
    let catalog = fixture("image-catalog.yaml");
    let (code, report) = json(&[
        "--image-catalog",
        catalog.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(of_severity(&report, "error").is_empty(), "{report:#}");
    let warnings = of_severity(&report, "warning");
    assert_eq!(warnings.len(), 1, "{report:#}");
    assert_eq!(warnings[0]["rule"], "registration.emulated-tpm");
    assert_eq!(warnings[0]["line"], 27);
    assert_eq!(code, 0);
    assert_eq!(
        lint(
            &[
                "--strict",
                "--image-catalog",
                catalog.to_str().unwrap(),
                path.to_str().unwrap()
            ],
            None
        )
        .code,
        1
    );
}

#[test]
fn missing_context_is_said_once_as_info() {
    let (code, report) = json(&[fixture("seed-001").to_str().unwrap()]);
    let infos: Vec<&str> = of_severity(&report, "info")
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(infos, ["seedimage.base-image", "kcp.version-in-catalog"]);
    assert_eq!(code, 0);
}

#[test]
fn errors_exit_1_and_human_output_shows_the_source_line() {
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    let run = lint(&["--color", "never", bad.to_str().unwrap()], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("error[kcp.replicas]: 1 control-plane replica(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("bad.yaml:8:3 KubeadmControlPlane/cpaas-system/global-kcp spec.replicas"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("8 |   replicas: 1\n  |   ^^^^^^^^"),
        "{}",
        run.stdout
    );
}

#[test]
fn disable_and_inline_ignore_silence_a_rule() {
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    // The fixture's template reference does not resolve either: silence both.
    let both = "kcp.replicas,reference.resolves";
    assert_eq!(
        lint(&["--disable", both, bad.to_str().unwrap()], None).code,
        0
    );
    let text = std::fs::read_to_string(&bad).unwrap();
    let ignored = format!("# ironprep: ignore kcp.replicas, reference.resolves\n{text}");
    assert_eq!(lint(&["-"], Some(ignored.as_bytes())).code, 0);
    assert_eq!(lint(&["-"], Some(text.as_bytes())).code, 1);
    // A mistyped rule would silence nothing: an input error at the name, exit 2.
    let typo = format!("# ironprep: ignore kcp.replica, reference.resolves\n{text}");
    let error = broken(typo.as_bytes());
    assert_eq!(
        (&error["file"], &error["line"], &error["column"]),
        (&Value::from("-"), &Value::from(1), &Value::from(20)),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("`# ironprep: ignore` names no rule `kcp.replica`"),
        "{error}"
    );
    assert_eq!(
        lint(&["--disable", "no.such-rule", bad.to_str().unwrap()], None).code,
        2
    );
}

#[test]
fn list_and_explain() {
    let run = lint(&["--list-rules"], None);
    assert_eq!(run.code, 0);
    assert!(run.stdout.lines().count() >= 40);
    let run = lint(&["--explain", "naming.global-prefix"], None);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("DR failover"), "{}", run.stdout);
    assert!(run.stdout.contains("Example fix:"));
    assert_eq!(lint(&["--explain", "nope.nope"], None).code, 2);
}

#[test]
fn junit_and_sarif_are_well_formed() {
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    let run = lint(&["--format", "junit", bad.to_str().unwrap()], None);
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    assert!(run.stdout.contains("<testsuite name=\"kcp.replicas\""));
    assert!(run.stdout.contains("<failure"));
    let run = lint(&["--format", "sarif", bad.to_str().unwrap()], None);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "kcp.replicas")
        .unwrap();
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        8
    );
}

#[test]
fn findings_in_the_embedded_resources_yaml_point_into_it() {
    let bad = fixture("rules/import.forbidden/bad.yaml");
    let (_, report) = json(&[bad.to_str().unwrap()]);
    let findings = report["findings"].as_array().unwrap();
    let finding = findings
        .iter()
        .find(|f| f["rule"] == "import.forbidden")
        .unwrap();
    assert_eq!(finding["line"], 10);
    assert_eq!(finding["column"], 7);
}

/// Broken inputs: a positioned error, exit 2, never a hang (the bound detects a hang — the
/// quadratic loader took minutes — and is far beyond what load can reach).
fn broken(bytes: &[u8]) -> Value {
    let start = Instant::now();
    let run = lint(&["--format", "json", "-"], Some(bytes));
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    report["errors"][0].clone()
}

#[test]
fn syntax_errors_duplicate_keys_tabs_and_binary_are_positioned_errors() {
    let error = broken(b"kind: Cluster\nmetadata:\n  name: [a, b\n");
    assert_eq!(error["file"], "-");
    assert!(error["line"].as_u64().unwrap() >= 3, "{error}");
    let error = broken(b"kind: Cluster\nmetadata:\n  name: a\n  name: b\n");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(4), Some(3)),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key `name`")
    );
    let error = broken(b"kind: Cluster\nmetadata:\n\tname: a\n");
    assert_eq!(error["line"], 3, "{error}");
    let error = broken(b"\x7fELF\x02\x01\x01\x00\x00\x00");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(1), Some(8)),
        "{error}"
    );
    let error = broken(b"kind: \xc3\x28\n");
    assert!(
        error["message"].as_str().unwrap().contains("UTF-8"),
        "{error}"
    );
}

/// Just under the 16 MiB cap (a few times the largest real input): linted whole. Larger
/// files are refused (tests/hostile_files.rs); how long this takes is a benchmark's business
/// (scripts/bench-lint.sh), not this test's.
#[test]
fn a_file_just_under_the_cap_is_linted_without_trouble() {
    let document = std::fs::read_to_string(fixture("global-baremetal/02-new-global.yaml")).unwrap();
    let mut text = String::new();
    let mut copy = 0;
    while text.len() + document.len() + 200 < 16 * 1024 * 1024 {
        text.push_str(&document.replace("global-", &format!("global-c{copy}-")));
        text.push_str("\n---\n");
        copy += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    std::fs::write(&path, &text).unwrap();
    let run = lint(&["--format", "json", path.to_str().unwrap()], None);
    assert!(
        run.code == 0 || run.code == 1,
        "{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report["errors"].as_array().unwrap().is_empty());
}

#[test]
fn unreadable_paths_exit_2_and_directories_are_walked() {
    assert_eq!(lint(&["/nonexistent/manifests.yaml"], None).code, 2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    std::fs::copy(
        fixture("rules/kcp.replicas/bad.yaml"),
        dir.path().join("nested/kcp.yml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not yaml: [").unwrap();
    let (code, report) = json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        report["findings"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("nested/kcp.yml")
    );
}

#[test]
fn both_dr_sides_lint_clean_together_and_a_diverging_issuer_is_caught_on_the_standby() {
    let catalog = fixture("image-catalog.yaml");
    let primary = fixture("dr-pair/primary");
    let standby = fixture("dr-pair/standby");
    let (code, report) = json(&[
        "--strict",
        "--image-catalog",
        catalog.to_str().unwrap(),
        "--primary",
        primary.to_str().unwrap(),
        "--standby",
        standby.to_str().unwrap(),
    ]);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);

    // The same two directories as one set: every side's VIP, inventories and pools collide.
    let (code, merged) = json(&[
        "--dr",
        "--image-catalog",
        catalog.to_str().unwrap(),
        primary.to_str().unwrap(),
        standby.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(!of_severity(&merged, "error").is_empty(), "{merged:#}");

    let changed = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&standby).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().replace(
            "service-account-issuer: https://kubernetes.default.svc.cluster.local",
            "service-account-issuer: https://standby.platform.example.com",
        );
        std::fs::write(changed.path().join(path.file_name().unwrap()), text).unwrap();
    }
    let (code, report) = json(&[
        "--image-catalog",
        catalog.to_str().unwrap(),
        "--primary",
        primary.to_str().unwrap(),
        "--standby",
        changed.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let finding = &findings[0];
    assert_eq!(finding["rule"], "dr.service-account-issuer");
    assert!(
        finding["file"]
            .as_str()
            .unwrap()
            .ends_with("02-new-global.yaml")
            && finding["file"]
                .as_str()
                .unwrap()
                .starts_with(changed.path().to_str().unwrap()),
        "{finding:#}"
    );
    assert_eq!(
        finding["field"],
        "spec.kubeadmConfigSpec.clusterConfiguration.apiServer.extraArgs.service-account-issuer"
    );
    let line = std::fs::read_to_string(changed.path().join("02-new-global.yaml"))
        .unwrap()
        .lines()
        .position(|line| line.contains("standby.platform.example.com"))
        .unwrap()
        + 1;
    assert_eq!(finding["line"], line);

    // The pair's comparison findings are waived like any other.
    let (code, stdout, stderr) = lint_waived(
        "- rule: dr.service-account-issuer\n  objects: [global-*]\n  reason: cut over in March\n",
        &[
            "--format",
            "json",
            "--image-catalog",
            catalog.to_str().unwrap(),
            "--primary",
            primary.to_str().unwrap(),
            "--standby",
            changed.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["findings"][0]["waived"]["reason"], "cut over in March",
        "{report:#}"
    );
}

/// `ironprep lint --waivers FILE ARGS…` with the file's text; exit code, stdout, stderr.
fn lint_waived(waivers: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lint-waivers.yaml");
    std::fs::write(&file, waivers).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .args([
            "lint",
            "--color",
            "never",
            "--waivers",
            file.to_str().unwrap(),
        ])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Both errors of the kcp.replicas fixture: one by the object's name, one by its whole label.
const LINT_WAIVERS: &str = "\
- rule: kcp.replicas
  objects: [global-*]
  reason: the PoC global cluster has one control-plane node
  owner: platform-team
  expires: 2999-12-31
- rule: reference.resolves
  objects: ['KubeadmControlPlane/cpaas-system/*']
  reason: the template ships in the next change
";

#[test]
fn waived_findings_stay_in_every_format_and_fail_nothing() {
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    let bad = bad.to_str().unwrap();
    let (code, stdout, stderr) = lint_waived(LINT_WAIVERS, &["--format", "json", bad]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let finding = |rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule}: {report:#}"))
            .clone()
    };
    let replicas = finding("kcp.replicas");
    // Still there as found, with its severity: the waiver is an addition.
    assert_eq!(replicas["severity"], "error");
    assert_eq!(replicas["line"], 8);
    assert_eq!(
        replicas["waived"],
        serde_json::json!({
            "reason": "the PoC global cluster has one control-plane node",
            "owner": "platform-team",
            "expires": "2999-12-31",
        })
    );
    assert_eq!(
        finding("reference.resolves")["waived"]["reason"],
        "the template ships in the next change"
    );
    // An info finding fails nothing and is never marked.
    assert!(finding("kcp.version-in-catalog").get("waived").is_none());

    let (code, table, _) = lint_waived(LINT_WAIVERS, &[bad]);
    assert_eq!(code, 0);
    assert!(
        table.contains("waived[kcp.replicas]: waived (error: 1 control-plane replica(s)"),
        "{table}"
    );
    assert!(
        table.contains("bad.yaml:8:3 KubeadmControlPlane/cpaas-system/global-kcp spec.replicas"),
        "{table}"
    );
    assert!(
        table.contains("lint: 0 errors, 0 warnings, 1 info, 2 waived in 1 object from 1 file"),
        "{table}"
    );

    let (code, sarif, _) = lint_waived(LINT_WAIVERS, &["--format", "sarif", bad]);
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "kcp.replicas")
        .unwrap()
        .clone();
    let justification = result["suppressions"][0]["justification"].as_str().unwrap();
    assert!(
        justification.contains("the PoC global cluster has one control-plane node"),
        "{result:#}"
    );

    // Patterns decide: another object name, or another kind, leaves the error failing.
    for (from, to) in [
        ("[global-*]", "[business-*]"),
        ("'KubeadmControlPlane/cpaas-system/*'", "'Cluster/*'"),
    ] {
        let (code, report, _) =
            lint_waived(&LINT_WAIVERS.replace(from, to), &["--format", "json", bad]);
        assert_eq!(code, 1, "{to}: {report}");
    }
    // A waived warning does not fail under --strict either.
    let seed = fixture("seed-001");
    let seed = seed.to_str().unwrap();
    let (code, _, _) = lint_waived(LINT_WAIVERS, &["--strict", seed]);
    assert_eq!(code, 1, "seed 001 warns about its PoC TPM emulation");
    let tpm = "- rule: registration.emulated-tpm\n  reason: PoC\n";
    let (code, stdout, stderr) = lint_waived(tpm, &["--strict", seed]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn expired_unknown_and_misplaced_lint_waivers_are_input_errors() {
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    let bad = bad.to_str().unwrap();
    for format in ["table", "json", "junit"] {
        let expired = LINT_WAIVERS.replace("2999-12-31", "2022-06-30");
        let (code, stdout, stderr) = lint_waived(&expired, &["--format", format, bad]);
        assert_eq!(code, 2, "{format}");
        assert!(stdout.is_empty(), "{format}: {stdout}");
        assert!(
            stderr.contains("--waivers: ")
                && stderr.contains("lint-waivers.yaml:1: the waiver of kcp.replicas expired on 2022-06-30 (owner platform-team)"),
            "{format}: {stderr}"
        );
    }
    let (code, _, stderr) = lint_waived(
        &format!("{LINT_WAIVERS}- rule: kcp.replica\n  reason: typo\n"),
        &[bad],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "lint-waivers.yaml:9: waiver 3: `rule`: unknown lint rule 'kcp.replica' (see \
             ironprep lint --list-rules)"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = lint_waived("- check: hw.tpm\n  reason: wrong file\n", &[bad]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("lint-waivers.yaml:1: waiver 1: `check`: ironprep lint waives lint rules"),
        "{stderr}"
    );
    let (code, _, stderr) = lint_waived(
        "- rule: kcp.replicas\n  hosts: [cp-*]\n  reason: hosts are not objects\n",
        &[bad],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`hosts`: a rule waiver names objects"),
        "{stderr}"
    );
}
