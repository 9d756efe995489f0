//! The documents of `ironprep certs`: the checks of `verify`, `probe` and `dr-check`, the files
//! the generators wrote, and the fingerprints `compare` compared. Key material never appears
//! here — only names, modes and SHA-256 fingerprints.

use serde::{Deserialize, Serialize};

use crate::CheckResult;

/// The certificate an endpoint served (`certs probe`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ServedCertificate {
    pub subject: String,
    /// The SANs in one line (`IP 10.0.0.5, DNS global-alb2`).
    pub san: String,
    /// RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER certificate, hex.
    pub fingerprint: String,
}

/// `ironprep certs verify|probe|dr-check --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CertificateReport {
    pub schema_version: u32,
    /// What was checked: the certificate file or the endpoint.
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served: Option<ServedCertificate>,
    pub checks: Vec<CheckResult>,
}

/// One file a generator wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct WrittenFile {
    pub name: String,
    /// Unix permission bits (0600 for keys).
    pub mode: u32,
    pub description: String,
}

/// `ironprep certs dex-tls|sa-key|encryption-config --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct WrittenFiles {
    pub schema_version: u32,
    pub directory: String,
    /// Whether the directory was created by this run.
    pub created: bool,
    pub files: Vec<WrittenFile>,
    /// Remarks about what was generated (a reused CA, a shortened validity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The commands to run next, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<String>,
}

/// How one name compared between the two sides of `certs compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    Same,
    /// The same key in another encoding (PKCS#1 and PKCS#8 PEM): equivalent.
    SameKeyDifferentEncoding,
    Different,
    OnlyInFirst,
    OnlyInSecond,
}

/// One file of `certs compare`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ComparedFile {
    pub name: String,
    pub result: Comparison,
    /// SHA-256 of the first side's file, hex; absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_sha256: Option<String>,
}

/// `ironprep certs compare --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ComparisonReport {
    pub schema_version: u32,
    pub first: String,
    pub second: String,
    pub files: Vec<ComparedFile>,
}
