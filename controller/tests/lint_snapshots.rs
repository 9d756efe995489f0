//! Snapshots of what people read (`--color never` human output) for representative inputs, and
//! of the machine formats for one input. Fixture paths are passed relative to the package
//! directory (where cargo runs integration tests), so snapshots do not depend on the checkout.

use clap::Parser;
use ironprep::lint::{self, LintArgs};

#[derive(Parser)]
struct Harness {
    #[command(flatten)]
    args: LintArgs,
}

/// Runs `ironprep lint ARGS…` in-process and returns the exit code and standard output.
fn lint(args: &[&str]) -> (i32, String) {
    let argv = std::iter::once("lint").chain(args.iter().copied());
    let harness = Harness::try_parse_from(argv).unwrap();
    let mut out = Vec::new();
    let code = lint::run(&harness.args, &mut out).unwrap();
    (i32::from(code.code()), String::from_utf8(out).unwrap())
}

/// Relative fixture paths keep the output stable; the filter guards against an absolute one.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(env!("CARGO_MANIFEST_DIR")), "[controller]");
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

fn human(snapshot: &str, args: &[&str], expected_code: i32) {
    let mut all = vec!["--color", "never"];
    all.extend_from_slice(args);
    let (code, text) = lint(&all);
    assert_eq!(code, expected_code, "{text}");
    settings().bind(|| insta::assert_snapshot!(snapshot, text));
}

const PLACEHOLDER: &str = "tests/lint-fixtures/rules/placeholder.unreplaced/bad.yaml";

#[test]
fn human_placeholder_error() {
    human("human-placeholder", &[PLACEHOLDER], 1);
}

#[test]
fn human_naming_error_in_dr() {
    let bad = "tests/lint-fixtures/rules/naming.global-prefix/bad.yaml";
    human("human-naming-dr", &["--dr", bad], 1);
}

#[test]
fn human_finding_inside_the_embedded_resources_yaml() {
    let bad = "tests/lint-fixtures/rules/import.forbidden/bad.yaml";
    // The fixture lacks every required entry too; keep the snapshot on the embedded finding.
    human(
        "human-import-embedded",
        &["--disable", "import.required", bad],
        1,
    );
}

#[test]
fn human_yaml_syntax_error() {
    let broken = "tests/lint-fixtures/snapshots/syntax-error.yaml";
    human("human-syntax-error", &[broken], 2);
}

#[test]
fn json_report() {
    let (code, text) = lint(&["--format", "json", PLACEHOLDER]);
    assert_eq!(code, 1);
    // The text itself: field order and layout are part of the contract.
    serde_json::from_str::<serde_json::Value>(&text).unwrap();
    settings().bind(|| insta::assert_snapshot!("json-placeholder", text));
}

#[test]
fn sarif_report() {
    let (code, text) = lint(&["--format", "sarif", PLACEHOLDER]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The rule catalogue is long and churns with every rule's wording: assert its IDs exactly
    // and keep the snapshot on the results.
    let ids: Vec<&str> = report["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, lint::rule_ids());
    settings().bind(|| {
        insta::assert_json_snapshot!("sarif-placeholder", report, {
            ".runs[].tool.driver.version" => "[version]",
            ".runs[].tool.driver.rules" => "[rules]",
        });
    });
}
