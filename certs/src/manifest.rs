//! Kubernetes Secret manifests: written for `kubectl apply -f`, and read back (YAML or JSON,
//! `data` or `stringData`) so that `certs verify --secret` checks what will be applied.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use crate::{Error, InputProblem, NAMESPACE};

/// The bootstrap serving certificate Secret that elemental-operator mounts (seed 000).
pub const DEX_TLS_SECRET: &str = "dex.tls";
/// The DR ServiceAccount signing key Secret (seed 000, Bare Metal DR).
pub const SA_KEY_SECRET: &str = "global-sa-signing-key";
/// The DR encryption provider Secret referenced by `BaremetalCluster.spec.encryptionProviderConfigRef`.
pub const ENCRYPTION_SECRET: &str = "global-encryption-provider-config";
/// The key of the encryption configuration inside its Secret.
pub const ENCRYPTION_KEY: &str = "encryption-provider.conf";

/// A Secret to be written: `data` values are base64-encoded when rendered.
#[derive(Clone, Debug)]
pub struct SecretManifest {
    pub name: String,
    pub namespace: String,
    /// `kubernetes.io/tls` or `Opaque`.
    pub secret_type: String,
    /// Key → raw (not yet base64) value, in the order written.
    pub data: Vec<(String, Vec<u8>)>,
}

impl SecretManifest {
    /// A `kubernetes.io/tls` Secret in `cpaas-system`.
    pub fn tls(name: &str, entries: Vec<(String, Vec<u8>)>) -> SecretManifest {
        SecretManifest {
            name: name.to_owned(),
            namespace: NAMESPACE.to_owned(),
            secret_type: "kubernetes.io/tls".to_owned(),
            data: entries,
        }
    }

    /// An `Opaque` Secret in `cpaas-system`.
    pub fn opaque(name: &str, entries: Vec<(String, Vec<u8>)>) -> SecretManifest {
        SecretManifest {
            name: name.to_owned(),
            namespace: NAMESPACE.to_owned(),
            secret_type: "Opaque".to_owned(),
            data: entries,
        }
    }

    /// The YAML, with a comment saying how it was made and how to apply it.
    pub fn render(&self, made_by: &str, file_name: &str) -> String {
        let mut text = format!(
            "# Made by `{made_by}`.\n# Apply with: kubectl apply -f {file_name}\n\
             apiVersion: v1\nkind: Secret\nmetadata:\n  name: {}\n  namespace: {}\n\
             type: {}\ndata:\n",
            self.name, self.namespace, self.secret_type
        );
        for (key, value) in &self.data {
            text.push_str(&format!("  {key}: {}\n", BASE64.encode(value)));
        }
        text
    }
}

/// A Secret read from a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedSecret {
    pub name: String,
    pub namespace: Option<String>,
    pub secret_type: Option<String>,
    /// Key → decoded value (`data` decoded from base64, `stringData` as is).
    pub data: BTreeMap<String, Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSecret {
    kind: Option<String>,
    metadata: Option<RawMetadata>,
    #[serde(rename = "type")]
    secret_type: Option<String>,
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(default)]
    string_data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawMetadata {
    name: Option<String>,
    namespace: Option<String>,
}

/// Reads a Secret manifest (one YAML document or a JSON object).
pub fn parse_secret(path: &Path, text: &str) -> Result<ParsedSecret, Error> {
    let not_secret = |problem: String| Error::input(path, InputProblem::NotSecret(problem));
    let raw: RawSecret =
        serde_saphyr::from_str(text).map_err(|error| not_secret(error.to_string()))?;
    if raw.kind.as_deref() != Some("Secret") {
        return Err(not_secret(format!(
            "kind is {}",
            raw.kind.as_deref().unwrap_or("missing")
        )));
    }
    let metadata = raw
        .metadata
        .ok_or_else(|| not_secret("no metadata".to_owned()))?;
    let name = metadata
        .name
        .ok_or_else(|| not_secret("no metadata.name".to_owned()))?;
    let mut data = BTreeMap::new();
    for (key, value) in raw.data {
        let compact: String = value.split_whitespace().collect();
        let decoded = BASE64
            .decode(compact)
            .map_err(|error| not_secret(format!("data.{key} is not base64: {error}")))?;
        data.insert(key, decoded);
    }
    for (key, value) in raw.string_data {
        data.insert(key, value.into_bytes());
    }
    Ok(ParsedSecret {
        name,
        namespace: metadata.namespace,
        secret_type: raw.secret_type,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_secret_reads_back() {
        let secret = SecretManifest::tls(
            DEX_TLS_SECRET,
            vec![
                ("tls.crt".to_owned(), b"cert".to_vec()),
                ("tls.key".to_owned(), b"key".to_vec()),
            ],
        );
        let text = secret.render("ironprep certs dex-tls", "dex-tls-secret.yaml");
        assert!(
            text.contains("  name: dex.tls\n  namespace: cpaas-system\ntype: kubernetes.io/tls\n")
        );
        let parsed = parse_secret(Path::new("s.yaml"), &text).unwrap();
        assert_eq!(parsed.name, "dex.tls");
        assert_eq!(parsed.namespace.as_deref(), Some("cpaas-system"));
        assert_eq!(parsed.data["tls.key"], b"key");
    }

    #[test]
    fn json_and_string_data_are_accepted_and_other_kinds_refused() {
        let json = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},
            "stringData":{"ca.crt":"pem"}}"#;
        let parsed = parse_secret(Path::new("s.json"), json).unwrap();
        assert_eq!(parsed.data["ca.crt"], b"pem");
        let error = parse_secret(
            Path::new("c.yaml"),
            "kind: ConfigMap\nmetadata: {name: x}\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "c.yaml: is not a Secret manifest: kind is ConfigMap"
        );
        let error = parse_secret(
            Path::new("b.yaml"),
            "kind: Secret\nmetadata: {name: x}\ndata: {a: '!'}\n",
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("data.a is not base64"),
            "{error}"
        );
    }
}
