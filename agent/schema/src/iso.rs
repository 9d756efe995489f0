//! What `ironprep iso check --format json` prints: the SeedImage ISO that was opened, the
//! registration configuration elemental-operator embedded in it (secrets redacted), and the
//! `iso.*` checks in the common result shape. Versioned by `schema_version` like every report.

use serde::{Deserialize, Serialize};

use crate::{CheckResult, ExitCode};

/// The document of `ironprep iso check --format json`.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsoReport {
    pub schema_version: u32,
    pub duration_ms: u64,
    pub image: IsoImage,
    /// Absent when the configuration could not be parsed (`iso.registration-config` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RegistrationConfig>,
    pub checks: Vec<CheckResult>,
}

impl IsoReport {
    /// 1 when a check failed; 3 when one could not be evaluated and nothing failed.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from_statuses(self.checks.iter().map(|check| check.status))
    }
}

/// The image as opened.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsoImage {
    /// The file path or URL as given.
    pub path_or_url: String,
    /// Bytes.
    pub size: u64,
    /// The primary volume descriptor's volume identifier (`COS_LIVE` for elemental ISOs).
    pub volume_id: String,
    /// Where the registration configuration was found, as the directory record names it
    /// (`/livecd-cloud-config.yaml` with Rock Ridge or Joliet, `/LIVECD_CLOUD_CONFIG.YAML;1`
    /// without).
    pub config_path: String,
    /// `rock-ridge`, `joliet` or `iso9660`: which names the image carries.
    pub names: String,
    /// Lower-case hex SHA-256 of the whole image; only computed for `--checksum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Bytes read to answer: without `--checksum`, the directory records and the config only.
    pub bytes_read: u64,
}

/// `elemental.registration` of the embedded configuration, as the hosts will read it.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationConfig {
    /// The registration URL with its token shortened to four characters: the token lets
    /// anyone register a machine, so it is never printed whole.
    pub url: String,
    /// The URL's host (an IP address or a DNS name) and port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The certificates of `ca-cert`, in order; empty when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_certificates: Vec<EmbeddedCertificate>,
    pub emulate_tpm: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emulated_tpm_seed: Option<i64>,
    pub no_smbios: bool,
    /// `tpm` (the default when absent), `mac` or `sys-uuid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
}

/// One certificate of the embedded `ca-cert`.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedCertificate {
    pub subject: String,
    /// SHA-256 of the DER, `AB:CD:…`.
    pub fingerprint: String,
    /// RFC 3339, UTC.
    pub not_after: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SCHEMA_VERSION, Status};

    #[test]
    fn an_iso_report_round_trips_and_omits_what_was_not_computed() {
        let report = IsoReport {
            schema_version: SCHEMA_VERSION,
            duration_ms: 3,
            image: IsoImage {
                path_or_url: "seed.iso".to_owned(),
                size: 2048 * 40,
                volume_id: "COS_LIVE".to_owned(),
                config_path: "/livecd-cloud-config.yaml".to_owned(),
                names: "rock-ridge".to_owned(),
                sha256: None,
                bytes_read: 12_288,
            },
            config: Some(RegistrationConfig {
                url: "https://10.0.0.5:12443/elemental/registration/abcd…".to_owned(),
                host: Some("10.0.0.5".to_owned()),
                port: Some(12443),
                ..RegistrationConfig::default()
            }),
            checks: vec![CheckResult {
                id: "iso.tpm".to_owned(),
                title: "t".to_owned(),
                status: Status::Fail,
                observed: String::new(),
                expected: String::new(),
                hint: String::new(),
                reason: None,
            }],
        };
        let text = serde_json::to_string(&report).unwrap();
        assert!(!text.contains("sha256"), "{text}");
        assert!(!text.contains("ca_certificates"), "{text}");
        let back: IsoReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.exit_code(), ExitCode::Failed);
    }
}
