//! `--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub, GitLab, VS Code). Failures,
//! warnings and results that could not be evaluated become results; a result with a file
//! position points into the file — relative to `%SRCROOT%` when the input is under the working
//! directory, so a review tool resolves it in the checkout — and a host's result carries the
//! host as a logical location.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ironprep_schema::Status;
use serde_json::{Value, json};

use super::{Document, Sink};
use crate::view::{Item, RuleInfo, View};

/// The base the relative URIs of inputs under the working directory are resolved against.
pub const SOURCE_ROOT: &str = "%SRCROOT%";

pub struct Sarif {
    working_directory: Option<PathBuf>,
}

impl Sarif {
    pub fn new(working_directory: Option<PathBuf>) -> Sarif {
        Sarif { working_directory }
    }

    pub fn log(&self, view: &View) -> Value {
        let rules = rules(view);
        let index: BTreeMap<&str, usize> = rules
            .iter()
            .enumerate()
            .map(|(at, rule)| (rule.id.as_str(), at))
            .collect();
        let mut results = Vec::new();
        for subject in &view.subjects {
            for item in &subject.items {
                if let Some(result) = self.result(item, Some(&subject.name), &index) {
                    results.push(result);
                }
            }
            if !subject.reached() {
                results.push(json!({
                    "ruleId": "reach",
                    "level": "error",
                    "message": {"text": format!(
                        "{} was not checked: {}",
                        subject.name,
                        subject.error.as_deref().unwrap_or("no report")
                    )},
                    "locations": [{"logicalLocations": [{
                        "fullyQualifiedName": subject.name, "kind": "host",
                    }]}],
                }));
            }
        }
        for item in &view.across {
            if let Some(result) = self.result(item, None, &index) {
                results.push(result);
            }
        }
        let mut run = json!({
            "tool": {"driver": {
                "name": "ironprep",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|rule| json!({
                    "id": rule.id,
                    "shortDescription": {"text": rule.title},
                    "fullDescription": {"text": if rule.help.is_empty() { &rule.title } else { &rule.help }},
                    "defaultConfiguration": {"level": level(rule.level)},
                })).collect::<Vec<_>>(),
            }},
            "results": results,
        });
        if let Some(directory) = &self.working_directory {
            run["originalUriBaseIds"] = json!({
                SOURCE_ROOT: {"uri": directory_uri(directory)},
            });
        }
        json!({
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [run],
        })
    }

    fn result(
        &self,
        item: &Item,
        subject: Option<&str>,
        index: &BTreeMap<&str, usize>,
    ) -> Option<Value> {
        // Waived results too: SARIF says they are accepted (`suppressions`, below).
        if !matches!(
            item.status,
            Status::Fail | Status::Warn | Status::Error | Status::Waived
        ) {
            return None;
        }
        let mut text = item.seen().to_owned();
        if !item.expected.is_empty() && item.status != Status::Error {
            text.push_str(&format!(" (expected: {})", item.expected));
        }
        if !item.fix.is_empty() {
            text.push_str(&format!("\nFix: {}", item.fix));
        }
        let mut location = json!({});
        if let Some(at) = &item.location {
            let mut artifact = json!({"uri": file_uri(&at.file)});
            if let Some(relative) = self.relative(&at.file) {
                artifact = json!({"uri": relative, "uriBaseId": SOURCE_ROOT});
            }
            location["physicalLocation"] = json!({ "artifactLocation": artifact });
            // SARIF lines start at 1: an error with no position (an unreadable file) names
            // the file alone rather than inventing line 1.
            if at.line > 0 {
                location["physicalLocation"]["region"] =
                    json!({"startLine": at.line, "startColumn": at.column.max(1)});
            }
            if !at.object.is_empty() {
                location["logicalLocations"] = json!([{
                    "fullyQualifiedName": format!("{}#{}", at.object, at.field),
                    "kind": "object",
                }]);
            }
        } else if let Some(subject) = subject {
            location["logicalLocations"] = json!([{
                "fullyQualifiedName": format!("{subject}/{}", item.id),
                "kind": "host",
            }]);
        }
        let mut result = json!({
            "ruleId": item.id,
            "level": level(item.status),
            "message": {"text": text},
            "locations": [location],
        });
        if let Some(at) = index.get(item.id.as_str()) {
            result["ruleIndex"] = json!(at);
        }
        if item.status == Status::Waived {
            // SARIF's own word for an accepted result: viewers hide it and keep the reason.
            result["suppressions"] = json!([{
                "kind": "external",
                "justification": item.reason.as_deref().unwrap_or_default(),
            }]);
        }
        Some(result)
    }

    /// `manifests/kcp.yaml` for an input under the working directory.
    fn relative(&self, file: &str) -> Option<String> {
        let directory = self.working_directory.as_ref()?;
        let path = Path::new(file);
        let relative = if path.is_absolute() {
            path.strip_prefix(directory).ok()?
        } else if file.starts_with("..") || file == "-" || file.starts_with('<') {
            return None;
        } else {
            path
        };
        let text = relative.to_str()?.trim_start_matches("./");
        Some(percent_encode(text))
    }
}

/// The view's own catalogue, else one rule per distinct result ID.
fn rules(view: &View) -> Vec<RuleInfo> {
    if !view.rules.is_empty() {
        return view.rules.clone();
    }
    let mut seen = BTreeMap::new();
    for item in view.items() {
        seen.entry(item.id.clone()).or_insert_with(|| RuleInfo {
            id: item.id.clone(),
            title: item.title.clone(),
            help: String::new(),
            level: Status::Fail,
        });
    }
    seen.into_values().collect()
}

fn level(status: Status) -> &'static str {
    match status {
        Status::Fail | Status::Error => "error",
        Status::Warn => "warning",
        Status::Pass | Status::Skip => "note",
        // The result keeps a level; `suppressions` says it is accepted.
        Status::Waived => "warning",
    }
}

fn directory_uri(directory: &Path) -> String {
    let mut uri = file_uri(&directory.display().to_string());
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn file_uri(file: &str) -> String {
    if Path::new(file).is_absolute() {
        format!("file://{}", percent_encode(file))
    } else {
        percent_encode(file)
    }
}

/// RFC 3986: everything but unreserved characters and `/` percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

impl Sink for Sarif {
    fn write(&self, document: &Document<'_>, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.log(document.view))?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{Location, Subject, ViewKind};

    fn finding(file: &str) -> View {
        let mut view = View::empty(ViewKind::Lint);
        view.subjects.push(Subject {
            name: "kcp.replicas".to_owned(),
            items: vec![Item {
                id: "kcp.replicas".to_owned(),
                status: Status::Fail,
                observed: "1 replica".to_owned(),
                location: Some(Location {
                    file: file.to_owned(),
                    line: 12,
                    column: 3,
                    ..Location::default()
                }),
                ..Item::default()
            }],
            ..Subject::default()
        });
        view
    }

    #[test]
    fn inputs_under_the_working_directory_are_relative_to_srcroot() {
        let sarif = Sarif::new(Some(PathBuf::from("/work/repo")));
        for file in [
            "manifests/kcp yaml.yaml",
            "/work/repo/manifests/kcp yaml.yaml",
        ] {
            let log = sarif.log(&finding(file));
            let artifact = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(artifact["uri"], "manifests/kcp%20yaml.yaml");
            assert_eq!(artifact["uriBaseId"], SOURCE_ROOT);
        }
        let log = sarif.log(&finding("/etc/other.yaml"));
        let artifact =
            &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], "file:///etc/other.yaml");
        assert!(artifact.get("uriBaseId").is_none());
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"][SOURCE_ROOT]["uri"],
            "file:///work/repo/"
        );
    }

    #[test]
    fn a_waived_result_is_a_suppressed_result_with_the_waivers_words() {
        let mut view = finding("kcp.yaml");
        let item = &mut view.subjects[0].items[0];
        item.status = Status::Waived;
        item.reason = Some("waived (error: 1 replica): PoC".to_owned());
        let log = Sarif::new(None).log(&view);
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "kcp.replicas", "{log:#}");
        assert_eq!(
            result["suppressions"],
            json!([{"kind": "external", "justification": "waived (error: 1 replica): PoC"}])
        );
        assert_eq!(result["message"]["text"], "waived (error: 1 replica): PoC");
    }
}
