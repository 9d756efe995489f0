//! End-to-end tests of ironprep: the `ironprep` controller and `ironprep-agent` together, on
//! this machine (`check_local`), against real TLS servers on loopback (`probe`, `check_reach`)
//! and against a simulated fleet of real sshd hosts in network namespaces (`fleet`,
//! `fleet_network`, `check_reach`; see `scripts/fleet-sim.sh`). They need root for the fleet.
//!
//! The binaries belong to other packages, so cargo's `CARGO_BIN_EXE_*` cannot name them: they
//! are found beside the test executable, where `cargo test --workspace` (and `scripts/test.sh`)
//! builds them.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A binary of the workspace, from the target directory this test was built in.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test executable lives in target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        path.display()
    );
    path
}

/// The JSON Schema ironprep publishes for a document (`agent/schema/json/NAME.schema.json`).
pub fn published_schema(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../agent/schema/json")
        .join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Fails the test unless `document` is valid against the published schema `name`: what
/// machines are promised is what they get.
pub fn assert_schema(name: &str, document: &serde_json::Value) {
    let schema = published_schema(name);
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|error| panic!("{name}.schema.json is not a valid schema: {error}"));
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the output does not match {name}.schema.json:\n{}\n{document:#}",
        errors.join("\n")
    );
}

/// The `ironprep` controller.
pub fn ironprep() -> PathBuf {
    binary("ironprep")
}

/// A rustls server configuration serving the PEM chain and key (as the certs crate writes them),
/// for the HTTPS servers the tests start on loopback.
pub fn tls_server_config(chain_pem: &str, key_pem: &str) -> Arc<rustls::ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("a PEM certificate chain");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("a PEM private key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("the provider's default protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("a usable certificate and key");
    Arc::new(config)
}
