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

/// Something a test needs is not on this machine. Under scripts/test.sh (`CI=true`), whose
/// install-deps.sh provides every tool and input, that fails the test; elsewhere the test (or
/// the part of it `what` names) is skipped, saying why.
pub fn missing(what: &str, reason: &str) {
    assert!(
        !std::env::var("CI").is_ok_and(|ci| ci == "true"),
        "{what}: {reason}"
    );
    eprintln!("skipping {what}: {reason}");
}

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

/// A path of the repository (`controller/tests/lint-fixtures`, …), as a string for arguments.
pub fn repository(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .display()
        .to_string()
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

/// Where scripts/install-deps.sh keeps the JUnit XSDs Jenkins validates with
/// (jenkinsci/xunit-plugin `junit-10.xsd` at two commits), outside the repository.
fn junit_xsds() -> Vec<PathBuf> {
    let directory = std::env::var_os("IRONPREP_JUNIT_XSD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/ironprep-tests/junit-xsd"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(&directory)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("junit-10.xsd"))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    found
}

/// Fails the test unless `xml` is a JUnit report Jenkins accepts: valid against each
/// `junit-10.xsd` (with Debian's `xmllint`), and every `tests`, `failures`, `errors` and
/// `skipped` count equal to the cases and elements it counts — CI dashboards show the counts,
/// people open the cases. Without the XSDs or xmllint the schema half is skipped, saying so,
/// except under CI (`CI=true`), where scripts/install-deps.sh has installed both.
pub fn assert_junit(xml: &[u8], what: &str) {
    let xsds = junit_xsds();
    let xmllint = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    if xsds.is_empty() || !xmllint {
        missing(
            &format!("{what}: JUnit XSD validation"),
            "xmllint or the junit-10.xsd files are missing (scripts/install-deps.sh)",
        );
    }
    if xmllint {
        for xsd in &xsds {
            let mut child = std::process::Command::new("xmllint")
                .args(["--noout", "--schema"])
                .arg(xsd)
                .arg("-")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("xmllint starts");
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), xml).unwrap();
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{what}: not valid against {}:\n{}\n{}",
                xsd.display(),
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(xml)
            );
        }
    }
    assert_junit_counts(xml, what);
}

#[derive(Default, Debug, PartialEq)]
struct JunitCounts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn assert_junit_counts(xml: &[u8], what: &str) {
    use quick_xml::events::Event;
    let text = String::from_utf8_lossy(xml);
    let declared = |tag: &quick_xml::events::BytesStart<'_>, with_skipped: bool| {
        let number = |name: &str| -> usize {
            tag.try_get_attribute(name)
                .ok()
                .flatten()
                .and_then(|attribute| String::from_utf8(attribute.value.into_owned()).ok())
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("{what}: <{name}> count missing or not a number"))
        };
        JunitCounts {
            tests: number("tests"),
            failures: number("failures"),
            errors: number("errors"),
            skipped: if with_skipped { number("skipped") } else { 0 },
        }
    };
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut root: Option<JunitCounts> = None;
    let mut total = JunitCounts::default();
    let mut suite: Option<(JunitCounts, JunitCounts)> = None;
    let mut suites = 0;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|error| panic!("{what}: not well-formed XML: {error}\n{text}"));
        let (tag, closes) = match &event {
            Event::Start(tag) => (Some(tag), false),
            Event::Empty(tag) => (Some(tag), true),
            Event::End(end) if end.name().as_ref() == b"testsuite" => {
                let (declared, seen) = suite.take().expect("a suite closes after it opens");
                assert_eq!(declared, seen, "{what}: a testsuite's counts\n{text}");
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(tag) = tag else { continue };
        match tag.name().as_ref() {
            b"testsuites" => root = Some(declared(tag, false)),
            b"testsuite" => {
                suites += 1;
                let counts = declared(tag, true);
                total.tests += counts.tests;
                total.failures += counts.failures;
                total.errors += counts.errors;
                suite = Some((counts, JunitCounts::default()));
                if closes {
                    let (declared, seen) = suite.take().unwrap();
                    assert_eq!(
                        declared, seen,
                        "{what}: an empty testsuite's counts\n{text}"
                    );
                }
            }
            name => {
                let Some((_, seen)) = suite.as_mut() else {
                    continue;
                };
                match name {
                    b"testcase" => seen.tests += 1,
                    b"failure" => seen.failures += 1,
                    b"error" => seen.errors += 1,
                    b"skipped" => seen.skipped += 1,
                    _ => {}
                }
            }
        }
    }
    assert!(suites > 0, "{what}: no testsuite\n{text}");
    let root = root.unwrap_or_else(|| panic!("{what}: no <testsuites>\n{text}"));
    assert_eq!(
        root, total,
        "{what}: <testsuites> counts are not the suites' sum"
    );
}
