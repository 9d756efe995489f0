//! One lint result, four sinks: compiler-like text for people, the versioned JSON of the output
//! contract, JUnit XML for CI and SARIF 2.1.0 for code review tools.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use super::finding::{Finding, InputError, Report, SCHEMA_VERSION, Severity};
use super::load::LoadError;
use super::object::Source;
use super::rule::Rule;

/// Everything a renderer may show.
pub struct Outcome<'a> {
    pub findings: &'a [Finding],
    pub errors: &'a [LoadError],
    pub sources: &'a [Arc<Source>],
    pub objects: usize,
    pub files: usize,
    /// The rules that ran, in registry order.
    pub rules: &'a [&'static dyn Rule],
}

pub fn json(outcome: &Outcome<'_>) -> String {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        findings: outcome.findings,
        errors: outcome
            .errors
            .iter()
            .map(|error| InputError {
                file: error.file.clone(),
                line: error.pos.map(|pos| pos.line),
                column: error.pos.map(|pos| pos.column),
                message: error.message.clone(),
            })
            .collect(),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// Lines of the sources, indexed once per file so many findings in a large file stay cheap.
struct Lines<'a> {
    by_file: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Lines<'a> {
    fn new(sources: &'a [Arc<Source>]) -> Lines<'a> {
        Lines {
            by_file: sources
                .iter()
                .map(|source| (source.name.as_str(), source.text.lines().collect()))
                .collect(),
        }
    }

    fn line(&self, file: &str, line: u32) -> Option<&'a str> {
        let lines = self.by_file.get(file)?;
        lines.get((line as usize).checked_sub(1)?).copied()
    }
}

#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, severity: Severity, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

pub fn human(outcome: &Outcome<'_>, style: Style) -> String {
    let lines = Lines::new(outcome.sources);
    let mut out = String::new();
    for error in outcome.errors {
        let _ = writeln!(
            out,
            "{}: {}",
            style.paint(Severity::Error, "error[input]"),
            error.message
        );
        match error.pos {
            Some(pos) => {
                let _ = writeln!(out, "  --> {}:{}:{}", error.file, pos.line, pos.column);
                snippet(
                    &mut out,
                    lines.line(&error.file, pos.line),
                    pos.line,
                    pos.column,
                );
            }
            None => {
                let _ = writeln!(out, "  --> {}", error.file);
            }
        }
        out.push('\n');
    }
    for finding in outcome.findings {
        let head = format!("{}[{}]", finding.severity.as_str(), finding.rule);
        let _ = writeln!(
            out,
            "{}: {}",
            style.paint(finding.severity, &head),
            finding.message
        );
        let _ = write!(
            out,
            "  --> {}:{}:{}",
            finding.file, finding.line, finding.column
        );
        let _ = writeln!(
            out,
            " {}{}{}",
            finding.object,
            if finding.field.is_empty() { "" } else { " " },
            finding.field
        );
        snippet(
            &mut out,
            lines.line(&finding.file, finding.line),
            finding.line,
            finding.column,
        );
        let _ = writeln!(out, "   = fix: {}\n", finding.fix);
    }
    let count = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "lint: {}, {}, {} info in {} from {}{}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info),
        plural(outcome.objects, "object"),
        plural(outcome.files, "file"),
        if outcome.errors.is_empty() {
            String::new()
        } else {
            format!("; {} unreadable", plural(outcome.errors.len(), "input"))
        }
    );
    out
}

/// The source line with a caret under the field, as compilers show it.
fn snippet(out: &mut String, text: Option<&str>, line: u32, column: u32) {
    let Some(text) = text else { return };
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let shown: String = text
        .chars()
        .take(160)
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let start = (column as usize)
        .saturating_sub(1)
        .min(shown.chars().count());
    let width = shown
        .chars()
        .skip(start)
        .take_while(|c| !c.is_whitespace() && *c != ':')
        .count()
        .max(1);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{number} | {shown}");
    let _ = writeln!(out, "{pad} | {}{}", " ".repeat(start), "^".repeat(width));
}

pub fn junit(outcome: &Outcome<'_>) -> String {
    let mut report = JunitReport::new("ironprep lint");
    if !outcome.errors.is_empty() {
        let mut suite = TestSuite::new("input");
        for error in outcome.errors {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.to_string());
            let mut case = TestCase::new(error.file.clone(), status);
            case.set_classname("input");
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    for rule in outcome.rules {
        let mut suite = TestSuite::new(rule.id());
        let mut any = false;
        for finding in outcome
            .findings
            .iter()
            .filter(|finding| finding.rule == rule.id())
        {
            any = true;
            let name = format!("{} {}", finding.object, finding.field);
            let status = if finding.severity == Severity::Info {
                TestCaseStatus::success()
            } else {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(finding.message.clone())
                    .set_type(finding.severity.as_str())
                    .set_description(format!(
                        "{}:{}:{}: {}\nfix: {}",
                        finding.file, finding.line, finding.column, finding.message, finding.fix
                    ));
                status
            };
            let mut case = TestCase::new(name, status);
            case.set_classname(rule.id());
            if finding.severity == Severity::Info {
                case.set_system_out(finding.message.clone());
            }
            suite.add_test_case(case);
        }
        if !any {
            let mut case = TestCase::new(rule.title(), TestCaseStatus::success());
            case.set_classname(rule.id());
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().unwrap_or_default()
}

pub fn sarif(outcome: &Outcome<'_>) -> String {
    let rules: Vec<_> = outcome
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id(),
                "shortDescription": {"text": rule.title()},
                "fullDescription": {"text": rule.why()},
                "help": {"text": format!("{}\n\nExample:\n{}", rule.why(), rule.example())},
                "defaultConfiguration": {"level": level(rule.severity())},
            })
        })
        .collect();
    let index: HashMap<&str, usize> = outcome
        .rules
        .iter()
        .enumerate()
        .map(|(at, rule)| (rule.id(), at))
        .collect();
    let results: Vec<_> = outcome
        .findings
        .iter()
        .map(|finding| {
            let mut result = json!({
                "ruleId": finding.rule,
                "level": level(finding.severity),
                "message": {"text": format!("{}.\nFix: {}", finding.message, finding.fix)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.file},
                        "region": {"startLine": finding.line.max(1), "startColumn": finding.column.max(1)},
                    },
                    "logicalLocations": [{
                        "fullyQualifiedName": format!("{}#{}", finding.object, finding.field),
                        "kind": "object",
                    }],
                }],
            });
            if let Some(at) = index.get(finding.rule.as_str()) {
                result["ruleIndex"] = json!(at);
            }
            result
        })
        .chain(outcome.errors.iter().map(|error| {
            json!({
                "ruleId": "input",
                "level": "error",
                "message": {"text": error.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": error.file},
                        "region": {
                            "startLine": error.pos.map_or(1, |pos| pos.line),
                            "startColumn": error.pos.map_or(1, |pos| pos.column),
                        },
                    },
                }],
            })
        }))
        .collect();
    let log = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "ironprep",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `--list-rules`.
pub fn rule_list(rules: &[&'static dyn Rule]) -> String {
    let width = rules.iter().map(|rule| rule.id().len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in rules {
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {}",
            rule.id(),
            rule.severity().as_str(),
            rule.title()
        );
    }
    out
}

/// `--explain RULE`.
pub fn explanation(rule: &dyn Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})\n", rule.id(), rule.severity().as_str());
    let _ = writeln!(out, "What: {}\n", rule.title());
    let _ = writeln!(out, "Why: {}\n", rule.why());
    let _ = writeln!(out, "Example fix:\n");
    for line in rule.example().lines() {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(
        out,
        "\nSilence it for one document with `# ironprep: ignore {}`,",
        rule.id()
    );
    let _ = writeln!(out, "or for the run with `--disable {}`.", rule.id());
    out
}
