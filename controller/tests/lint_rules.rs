//! One fixture pair per lint rule: `bad.yaml` must trigger the rule at the line and field its
//! `# expect: LINE FIELD` header names, `good.yaml` must not trigger it at all. Extra flags come
//! from an `# args:` header. Every registered rule must have both fixtures.

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
        let bad = fixtures().join(id).join("bad.yaml");
        let text = std::fs::read_to_string(&bad).unwrap_or_else(|_| panic!("{id}: no bad.yaml"));
        let expect = header(&text, "expect").unwrap_or_else(|| panic!("{id}: no # expect"));
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
                "{id}: wanted line {line} field {field:?}, got {of_rule:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_rule_triggers_on_its_good_fixture() {
    let mut failures = Vec::new();
    for id in lint::rule_ids() {
        let good = fixtures().join(id).join("good.yaml");
        assert!(good.exists(), "{id}: no good.yaml");
        let found: Vec<Value> = findings(&good)
            .into_iter()
            .filter(|f| f["rule"] == id)
            .collect();
        if !found.is_empty() {
            failures.push(format!("{id}: {found:#?}"));
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
