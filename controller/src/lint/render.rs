//! Lint results for the output pipeline: the versioned JSON document, and the shared view in
//! which each finding is an item with its file position and source line — except a line that
//! may hold secret material, which is named, never shown (see [`secret`]).

use std::collections::HashMap;
use std::sync::Arc;

use ironprep_report::View;
use ironprep_report::view::{Excerpt, Item, Location, RuleInfo, Subject, ViewKind};
use ironprep_schema::Status;
use ironprep_schema::lint::{ListedRule, RuleList};

use super::finding::{Finding, InputError, LintReport, SCHEMA_VERSION, Severity};
use super::load::LoadError;
use super::object::Source;
use super::rule::Rule;
use super::secret;

/// Everything the outputs may show.
pub struct Outcome<'a> {
    pub findings: &'a [Finding],
    pub errors: &'a [LoadError],
    pub sources: &'a [Arc<Source>],
    pub objects: usize,
    pub files: usize,
    /// The rules that ran, in registry order.
    pub rules: &'a [&'static dyn Rule],
}

/// `--format json`.
pub fn document(outcome: &Outcome<'_>) -> LintReport {
    LintReport {
        schema_version: SCHEMA_VERSION,
        findings: outcome.findings.to_vec(),
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
    }
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

    /// The line under a position, or the key it belongs to when it may hold a secret.
    fn excerpt(&self, file: &str, line: u32) -> Option<Excerpt> {
        let lines = self.by_file.get(file)?;
        let index = (line as usize).checked_sub(1)?;
        let text = lines.get(index)?;
        Some(match secret::sensitive_key(lines, index) {
            Some(key) => Excerpt::Withheld { key },
            None => Excerpt::Source((*text).to_owned()),
        })
    }
}

fn status(severity: Severity) -> Status {
    match severity {
        Severity::Error => Status::Fail,
        Severity::Warning => Status::Warn,
        Severity::Info => Status::Skip,
    }
}

/// A waived finding is `waived` with the waiver's words, in every format; any other keeps the
/// status of its severity (the reason of an `info` is its message).
fn status_and_reason(finding: &Finding) -> (Status, Option<String>) {
    match &finding.waived {
        Some(waiver) => {
            let words = crate::waivers::words(
                finding.severity.as_str(),
                &finding.message,
                &waiver.reason,
                waiver.owner.as_deref(),
                waiver.expires.as_deref(),
            );
            (Status::Waived, Some(words))
        }
        None => (
            status(finding.severity),
            (finding.severity == Severity::Info).then(|| finding.message.clone()),
        ),
    }
}

/// The findings as the shared view: a subject per rule (a rule without findings passes), one
/// for inputs that could not be read.
pub fn view(outcome: &Outcome<'_>) -> View {
    let lines = Lines::new(outcome.sources);
    let mut view = View::empty(ViewKind::Lint);
    if !outcome.errors.is_empty() {
        view.subjects.push(Subject {
            name: "input".to_owned(),
            items: outcome
                .errors
                .iter()
                .map(|error| Item {
                    id: "input".to_owned(),
                    title: "the input can be read".to_owned(),
                    status: Status::Error,
                    observed: error.message.clone(),
                    location: Some(Location {
                        file: error.file.clone(),
                        line: error.pos.map_or(0, |pos| pos.line),
                        column: error.pos.map_or(0, |pos| pos.column),
                        excerpt: error
                            .pos
                            .and_then(|pos| lines.excerpt(&error.file, pos.line)),
                        ..Location::default()
                    }),
                    ..Item::default()
                })
                .collect(),
            ..Subject::default()
        });
    }
    for rule in outcome.rules {
        let mut items: Vec<Item> = outcome
            .findings
            .iter()
            .filter(|finding| finding.rule == rule.id())
            .map(|finding| {
                let (status, reason) = status_and_reason(finding);
                Item {
                    id: finding.rule.clone(),
                    title: rule.title().to_owned(),
                    status,
                    observed: finding.message.clone(),
                    reason,
                    fix: finding.fix.clone(),
                    location: Some(Location {
                        file: finding.file.clone(),
                        line: finding.line,
                        column: finding.column,
                        object: finding.object.clone(),
                        field: finding.field.clone(),
                        excerpt: lines.excerpt(&finding.file, finding.line),
                    }),
                    ..Item::default()
                }
            })
            .collect();
        if items.is_empty() {
            items.push(Item {
                id: rule.id().to_owned(),
                title: rule.title().to_owned(),
                status: Status::Pass,
                ..Item::default()
            });
        }
        view.subjects.push(Subject {
            name: rule.id().to_owned(),
            items,
            ..Subject::default()
        });
    }
    view.rules = outcome.rules.iter().map(|rule| rule_info(*rule)).collect();
    view.summary = summary(outcome);
    view
}

fn rule_info(rule: &dyn Rule) -> RuleInfo {
    RuleInfo {
        id: rule.id().to_owned(),
        title: rule.title().to_owned(),
        help: format!("{}\n\nExample:\n{}", rule.why(), rule.example()),
        level: status(rule.severity()),
    }
}

/// `lint: 2 errors, 1 warning, 0 info, 1 waived in 14 objects from 3 files`; the waived
/// count only when a waiver accepted something, and counted apart from the severities.
fn summary(outcome: &Outcome<'_>) -> String {
    let count = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity && f.waived.is_none())
            .count()
    };
    let waived = outcome
        .findings
        .iter()
        .filter(|f| f.waived.is_some())
        .count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "lint: {}, {}, {} info{} in {} from {}{}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info),
        if waived > 0 {
            format!(", {waived} waived")
        } else {
            String::new()
        },
        plural(outcome.objects, "object"),
        plural(outcome.files, "file"),
        if outcome.errors.is_empty() {
            String::new()
        } else {
            format!("; {} unreadable", plural(outcome.errors.len(), "input"))
        }
    )
}

/// `--list-rules --format json`.
pub fn rule_list(rules: &[&'static dyn Rule]) -> RuleList {
    RuleList {
        schema_version: SCHEMA_VERSION,
        rules: rules
            .iter()
            .map(|rule| ListedRule {
                id: rule.id().to_owned(),
                severity: rule.severity(),
                title: rule.title().to_owned(),
                why: rule.why().to_owned(),
                example: rule.example().to_owned(),
            })
            .collect(),
    }
}

/// `--explain RULE`.
pub fn explanation(rule: &dyn Rule) -> String {
    use std::fmt::Write as _;
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
