//! Interoperability with the real thing: every certificate the crate makes verifies with
//! `openssl verify -x509_strict`, is accepted by `openssl s_client -verify_return_error` from an
//! `openssl s_server` serving it on loopback, and by the crate's own probe; the bad leaves (no IP
//! SAN, expired, not yet valid, another CA, CN only) are rejected by `verify` and `probe` with
//! the reason.

use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use ironprep_certs::certificate::{CertificateFacts, now_unix};
use ironprep_certs::generate::{Authority, DexTlsRequest, KeyType, ServerRequest};
use ironprep_certs::material;
use ironprep_certs::probe::{ProbeRequest, probe};
use ironprep_certs::verify::{VerifyInput, verify};
use ironprep_schema::Status;
use time::{Duration as Span, OffsetDateTime};

const LOOPBACK: &str = "127.0.0.1";

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pki")
        .join(name)
}

/// An `openssl s_server` on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(cert: &Path, key: &Path) -> Server {
        let port = TcpListener::bind((LOOPBACK, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("{LOOPBACK}:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is installed");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((LOOPBACK, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "s_server did not listen on {port}"
            );
            sleep(Duration::from_millis(50));
        }
        server
    }

    fn url(&self) -> String {
        format!("https://{LOOPBACK}:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl_verify(ca: &Path, cert: &Path) -> (bool, String) {
    let output = Command::new("openssl")
        .args(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile"])
        .arg(ca)
        .arg(cert)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

fn openssl_client(ca: &Path, port: u16) -> (bool, String) {
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-verify_return_error",
            "-verify_ip",
            LOOPBACK,
            "-connect",
        ])
        .arg(format!("{LOOPBACK}:{port}"))
        .arg("-CAfile")
        .arg(ca)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (
        output.status.success() && text.contains("Verify return code: 0 (ok)"),
        text,
    )
}

fn probe_reason(ca: &Path, server: &Server) -> Result<(), String> {
    let outcome = probe(&ProbeRequest {
        target: server.url(),
        ca: material::certificate_file(ca).unwrap(),
        server_name: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    assert!(
        !outcome.served.is_empty(),
        "the served chain is always shown"
    );
    outcome.verdict.map_err(|rejection| rejection.to_string())
}

fn verify_files(ca: &Path, cert: &Path, key: Option<&Path>) -> Vec<ironprep_schema::CheckResult> {
    let ca_facts = material::certificate_file(ca).unwrap();
    let chain = material::certificate_file(cert).unwrap();
    let key = key.map(|key| material::private_key_file(key).unwrap());
    let host_ips: Vec<IpAddr> = vec![LOOPBACK.parse().unwrap()];
    verify(&VerifyInput {
        ca: &ca_facts,
        ca_name: "ca.crt",
        chain: &chain,
        chain_name: "tls.crt",
        key: key.as_ref().map(|key| (key, "tls.key")),
        host_ips: &host_ips,
        dns_names: &[],
        now: now_unix(),
    })
}

fn check<'a>(
    results: &'a [ironprep_schema::CheckResult],
    id: &str,
) -> &'a ironprep_schema::CheckResult {
    results.iter().find(|result| result.id == id).unwrap()
}

/// Writes a dex-tls bundle of the given key type into a temporary directory.
fn dex_tls(key_type: KeyType) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let bundle = DexTlsRequest {
        host_ip: LOOPBACK.parse().unwrap(),
        extra_ips: Vec::new(),
        extra_dns: vec!["bootstrap.example".to_owned()],
        days: 3650,
        key_type,
    }
    .generate(None)
    .unwrap();
    let write = |name: &str, text: &str| std::fs::write(directory.path().join(name), text).unwrap();
    write("ca.crt", &bundle.ca_pem);
    write("tls.crt", &bundle.leaf.certificate_pem);
    write("tls.key", &bundle.leaf.key_pem);
    directory
}

#[test]
fn generated_certificates_pass_openssl_strict_s_client_and_the_probe() {
    for key_type in KeyType::ALL {
        let directory = dex_tls(key_type);
        let (ca, cert, key) = (
            directory.path().join("ca.crt"),
            directory.path().join("tls.crt"),
            directory.path().join("tls.key"),
        );
        let (ok, text) = openssl_verify(&ca, &cert);
        assert!(ok, "{key_type:?}: openssl verify -x509_strict: {text}");
        let results = verify_files(&ca, &cert, Some(&key));
        for result in &results {
            assert!(
                matches!(result.status, Status::Pass | Status::Skip),
                "{key_type:?}: {result:?}"
            );
        }
        let server = Server::start(&cert, &key);
        let (ok, text) = openssl_client(&ca, server.port);
        assert!(ok, "{key_type:?}: s_client: {text}");
        assert_eq!(probe_reason(&ca, &server), Ok(()), "{key_type:?}");
    }
}

#[test]
fn the_committed_test_pki_is_what_its_readme_says() {
    let (ok, text) = openssl_verify(&pki("ca.crt"), &pki("server.crt"));
    assert!(ok, "{text}");
    let (ok, _) = openssl_verify(&pki("ca.crt"), &pki("other-ca-server.crt"));
    assert!(!ok);
    let server = material::certificate_file(&pki("server.crt"))
        .unwrap()
        .remove(0);
    assert!(
        server.days_left(now_unix()) > 365 * 10,
        "regenerate the test PKI (see its README)"
    );
}

#[test]
fn a_reused_ca_signs_a_leaf_that_openssl_accepts() {
    let authority = Authority::from_files(&pki("ca.crt"), &pki("ca.key")).unwrap();
    let request = DexTlsRequest {
        host_ip: "192.168.122.10".parse().unwrap(),
        extra_ips: Vec::new(),
        extra_dns: Vec::new(),
        days: 365,
        key_type: KeyType::Rsa2048,
    };
    let bundle = request.generate(Some(authority)).unwrap();
    assert!(bundle.ca_key_pem.is_none(), "a reused CA key is not copied");
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("tls.crt"),
        &bundle.leaf.certificate_pem,
    )
    .unwrap();
    let (ok, text) = openssl_verify(&pki("ca.crt"), &directory.path().join("tls.crt"));
    assert!(ok, "{text}");
}

#[test]
fn unusable_cas_and_keys_are_refused_with_the_file_name() {
    let error = Authority::from_files(&pki("server.crt"), &pki("server.key")).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("server.crt: is not a CA certificate"),
        "{error}"
    );
    let error = Authority::from_files(&pki("ca.crt"), &pki("other-ca.key")).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("other-ca.key: does not match the certificate in"),
        "{error}"
    );
    let error = Authority::from_files(&pki("missing.crt"), &pki("ca.key")).unwrap_err();
    assert!(
        error.to_string().contains("missing.crt: cannot read"),
        "{error}"
    );
}

/// Signs a leaf for 127.0.0.1 with the test CA, valid in the given window, into a directory.
fn leaf_with_dates(not_before: OffsetDateTime, not_after: OffsetDateTime) -> tempfile::TempDir {
    let authority = Authority::from_files(&pki("ca.crt"), &pki("ca.key")).unwrap();
    let issued = authority
        .issue(&ServerRequest {
            common_name: Some(LOOPBACK.to_owned()),
            ips: vec![LOOPBACK.parse().unwrap()],
            dns_names: Vec::new(),
            key_type: KeyType::EcdsaP256,
            server_auth: true,
            not_before,
            not_after,
        })
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("tls.crt"), issued.certificate_pem).unwrap();
    std::fs::write(directory.path().join("tls.key"), issued.key_pem).unwrap();
    directory
}

#[test]
fn bad_leaves_are_rejected_by_verify_probe_and_openssl_with_the_reason() {
    let now = OffsetDateTime::now_utc();
    let expired = leaf_with_dates(now - Span::days(30), now - Span::days(1));
    let not_yet_valid = leaf_with_dates(now + Span::days(1), now + Span::days(30));
    let cases: [(&str, PathBuf, PathBuf, &str, &str, &str); 5] = [
        (
            "no IP SAN",
            pki("no-ip-san.crt"),
            pki("no-ip-san.key"),
            "cert.ip-san",
            "certificate not valid for IP 127.0.0.1",
            "certificate not valid for IP 127.0.0.1",
        ),
        (
            "expired",
            expired.path().join("tls.crt"),
            expired.path().join("tls.key"),
            "cert.validity",
            "expired on",
            "expired on",
        ),
        (
            "not yet valid",
            not_yet_valid.path().join("tls.crt"),
            not_yet_valid.path().join("tls.key"),
            "cert.validity",
            "not valid yet",
            "not valid yet",
        ),
        (
            "another CA",
            pki("other-ca-server.crt"),
            pki("other-ca-server.key"),
            "cert.chain",
            "unknown authority",
            "unknown authority",
        ),
        (
            "CN only",
            pki("cn-only.crt"),
            pki("cn-only.key"),
            "cert.ip-san",
            "it is only the CN",
            "certificate not valid for IP 127.0.0.1",
        ),
    ];
    for (case, cert, key, id, verify_reason, probe_expected) in cases {
        let results = verify_files(&pki("ca.crt"), &cert, Some(&key));
        let result = check(&results, id);
        assert_eq!(result.status, Status::Fail, "{case}: {result:?}");
        assert!(
            result.observed.contains(verify_reason),
            "{case}: {}",
            result.observed
        );
        assert_eq!(
            check(&results, "cert.key-match").status,
            Status::Pass,
            "{case}"
        );

        let server = Server::start(&cert, &key);
        let reason = probe_reason(&pki("ca.crt"), &server).unwrap_err();
        assert!(
            reason.contains(probe_expected),
            "{case}: probe said {reason}"
        );
        let (ok, text) = openssl_client(&pki("ca.crt"), server.port);
        assert!(!ok, "{case}: s_client accepted it: {text}");
    }
    // The CN-only leaf also gets the Go warning.
    let results = verify_files(&pki("ca.crt"), &pki("cn-only.crt"), None);
    let go = check(&results, "cert.go-compat");
    assert_eq!(go.status, Status::Warn);
    assert!(
        go.observed.contains("legacy Common Name"),
        "{}",
        go.observed
    );
}

#[test]
fn the_probe_shows_an_expired_chain_and_its_fingerprint() {
    let now = OffsetDateTime::now_utc();
    let expired = leaf_with_dates(now - Span::days(30), now - Span::days(1));
    let cert = expired.path().join("tls.crt");
    let server = Server::start(&cert, &expired.path().join("tls.key"));
    let outcome = probe(&ProbeRequest {
        target: server.url(),
        ca: material::certificate_file(&pki("ca.crt")).unwrap(),
        server_name: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let served: &CertificateFacts = &outcome.served[0];
    let file = material::certificate_file(&cert).unwrap().remove(0);
    assert_eq!(served.fingerprint, file.fingerprint);
    assert!(
        outcome
            .verdict
            .unwrap_err()
            .to_string()
            .starts_with("expired on")
    );
}

#[test]
fn a_key_that_does_not_match_fails_key_match() {
    let results = verify_files(
        &pki("ca.crt"),
        &pki("server.crt"),
        Some(&pki("no-ip-san.key")),
    );
    let result = check(&results, "cert.key-match");
    assert_eq!(result.status, Status::Fail);
    assert!(
        result.observed.contains("does not match"),
        "{}",
        result.observed
    );
}

#[test]
fn a_closed_port_is_an_error_not_a_verdict() {
    let port = TcpListener::bind((LOOPBACK, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = probe(&ProbeRequest {
        target: format!("https://{LOOPBACK}:{port}"),
        ca: material::certificate_file(&pki("ca.crt")).unwrap(),
        server_name: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot connect to 127.0.0.1:"),
        "{error}"
    );
}
