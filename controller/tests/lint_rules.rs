//! One fixture pair per lint rule: `bad.yaml` must trigger the rule at the line and field its
//! `# expect: LINE FIELD` header names, `good.yaml` must not trigger it at all. Extra flags come
//! from an `# args:` header. Every registered rule must have both fixtures; further cases of a
//! rule are `bad-CASE.yaml` and `good-CASE.yaml` beside them.

use std::path::{Path, PathBuf};

use clap::Parser;
use ironprep::lint::{self, LintArgs};
use serde_json::Value;

#[derive(Parser)]
struct Harness {
    #[command(flatten)]
    args: LintArgs,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-fixtures/rules")
}

/// `bad.yaml` (which must exist) and every `bad-CASE.yaml` of a rule; likewise for `good`.
fn cases(id: &str, kind: &str) -> Vec<PathBuf> {
    let dir = fixtures().join(id);
    let first = dir.join(format!("{kind}.yaml"));
    assert!(first.exists(), "{id}: no {kind}.yaml");
    let mut more: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("{kind}-")) && name.ends_with(".yaml")
        })
        .collect();
    more.sort();
    std::iter::once(first).chain(more).collect()
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|line| line.starts_with('#'))
        .find_map(|line| line.strip_prefix(&format!("# {key}:")))
        .map(str::trim)
}

/// Lints one fixture through the command line path and returns its JSON findings.
fn findings(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut argv = vec!["lint".to_owned(), "--format".to_owned(), "json".to_owned()];
    if let Some(args) = header(&text, "args") {
        argv.extend(args.split_whitespace().map(str::to_owned));
    }
    argv.push(path.display().to_string());
    let harness = Harness::try_parse_from(&argv).unwrap();
    let mut out = Vec::new();
    lint::run(&harness.args, &mut out).unwrap();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        0,
        "{}: {report}",
        path.display()
    );
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn every_rule_triggers_on_its_bad_fixture_at_the_expected_field() {
    let mut failures = Vec::new();
    for id in lint::rule_ids() {
        for bad in cases(id, "bad") {
            let text = std::fs::read_to_string(&bad).unwrap();
            let expect =
                header(&text, "expect").unwrap_or_else(|| panic!("{}: no # expect", bad.display()));
            let (line, field) = expect.split_once(' ').unwrap_or((expect, ""));
            let line: u64 = line.parse().unwrap();
            let found = findings(&bad);
            let of_rule: Vec<&Value> = found.iter().filter(|f| f["rule"] == id).collect();
            let hit = of_rule.iter().any(|f| {
                f["line"] == line
                    && f["field"] == field
                    && f["severity"] != "info"
                    && f["file"] == bad.display().to_string()
            });
            if !hit {
                failures.push(format!(
                    "{}: wanted line {line} field {field:?}, got {of_rule:#?}",
                    bad.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_rule_triggers_on_its_good_fixture() {
    let mut failures = Vec::new();
    for id in lint::rule_ids() {
        for good in cases(id, "good") {
            // `# allow-info: WHY` lets a case state that the rule lacks some context on purpose.
            let text = std::fs::read_to_string(&good).unwrap();
            let allow_info = header(&text, "allow-info").is_some();
            let found: Vec<Value> = findings(&good)
                .into_iter()
                .filter(|f| f["rule"] == id && !(allow_info && f["severity"] == "info"))
                .collect();
            if !found.is_empty() {
                failures.push(format!("{}: {found:#?}", good.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_directory_is_a_registered_rule() {
    let ids = lint::rule_ids();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            ids.contains(&name.as_str()),
            "fixture for unknown rule {name}"
        );
    }
}
