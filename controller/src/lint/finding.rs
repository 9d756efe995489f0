//! What lint reports: findings in the shape of the output contract, and the versioned JSON
//! document that carries them.

use serde::Serialize;

/// Ordered from least to most serious, so `max()` gives the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
}

/// Bumped on incompatible changes of [`Report`]; additive fields do not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// `ironprep lint --format json`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub findings: &'a [Finding],
    /// Inputs that could not be read (exit code 2); empty when everything was read.
    pub errors: Vec<InputError>,
}

#[derive(Debug, Serialize)]
pub struct InputError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}
