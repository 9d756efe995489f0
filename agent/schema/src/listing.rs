//! `--list --format json`: the checks a binary knows, what each wants and when it applies —
//! the catalogue people skip and waive checks by.

use serde::{Deserialize, Serialize};

/// One check of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ListedCheck {
    pub id: String,
    pub title: String,
    /// When it applies, in words (`control-plane`, `traditional profile, kube-ovn`).
    pub when: String,
    /// Advisory checks warn instead of failing.
    pub advisory: bool,
    pub hint: String,
}

/// `ironprep-agent --list --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CheckList {
    pub schema_version: u32,
    pub checks: Vec<ListedCheck>,
}
