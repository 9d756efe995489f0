//! `ironprep lint --format json`: findings in the shape of the output contract (SPEC "Output
//! contract"), and the inputs that could not be read.

use serde::{Deserialize, Serialize};

/// Ordered from least to most serious, so `max()` gives the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context the rule needed was missing, or something worth knowing that is not wrong.
    Info,
    /// Works, but is fragile, PoC-only or against the documented convention.
    Warning,
    /// Breaks the installation, the handoff or disaster recovery.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding. `line` is the line of the offending field (or of the nearest existing parent
/// when the field is missing); `field` the dotted path of the field itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `Kind/namespace/name`.
    pub object: String,
    pub field: String,
    pub message: String,
    pub fix: String,
    /// The waiver (`ironprep lint --waivers`) that accepts this finding: it stays reported with
    /// its severity, and does not fail the run. Absent when no waiver covers it (and in reports
    /// of older releases), so a consumer counting errors without `waived` counts what fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waiver>,
}

/// Why a finding is accepted, as the waiver file says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Waiver {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The last day the waiver holds (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// An input that could not be read or parsed (exit code 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct InputError {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

/// What `ironprep lint --format json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct LintReport {
    pub schema_version: u32,
    pub findings: Vec<Finding>,
    /// Inputs that could not be read (exit code 2); empty when everything was read.
    pub errors: Vec<InputError>,
}

/// One rule of `ironprep lint --list-rules --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ListedRule {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    /// Why the rule exists, in a paragraph.
    pub why: String,
    /// A manifest fragment that satisfies the rule.
    pub example: String,
}

/// `ironprep lint --list-rules --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct RuleList {
    pub schema_version: u32,
    pub rules: Vec<ListedRule>,
}
