//! The `reach.*` checks of the real agent binary against an HTTPS server on loopback, started
//! here with the committed test PKI (`certs/tests/pki`): a verified 401 and 200 pass, a CA
//! that did not sign the chain fails with "unknown authority", unusable input exits 2, and
//! without a CA the checks skip.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::thread;

use ironprep_schema::{AgentReport, Status};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn pki(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../certs/tests/pki")
        .join(name)
        .display()
        .to_string()
}

/// An HTTPS ingress for 127.0.0.1: 401 on the platform path, 200 on `/v2/`, 404 elsewhere.
fn serve() -> SocketAddr {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pki("server.crt"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(pki("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || answer(config, stream));
        }
    });
    address
}

fn answer(config: Arc<rustls::ServerConfig>, stream: TcpStream) {
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match tls.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status = match head.split(' ').nth(1).unwrap_or_default() {
        "/kubernetes/global/version" => "401 Unauthorized",
        "/v2/" => "200 OK",
        _ => "404 Not Found",
    };
    let _ = write!(
        tls,
        "HTTP/1.1 {status}\r\nServer: test-ingress\r\nContent-Length: 0\r\n\r\n"
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

fn agent(arguments: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ironprep-agent"))
        .args(arguments)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn reach(arguments: &[&str]) -> (i32, AgentReport) {
    let mut all = vec![
        "--format",
        "json",
        "--only",
        "reach.platform,reach.registry",
    ];
    all.extend_from_slice(arguments);
    let (code, stdout, stderr) = agent(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("not a report ({error}): {stdout}{stderr}"));
    (code, report)
}

#[test]
fn verified_endpoints_pass_and_a_foreign_ca_fails() {
    let address = serve();
    let platform = format!("https://{address}");
    let registry = address.to_string();
    let (code, report) = reach(&[
        "--platform-url",
        &platform,
        "--registry",
        &registry,
        "--ca",
        &pki("ca.crt"),
    ]);
    for check in &report.checks {
        assert_eq!(check.status, Status::Pass, "{check:#?}");
    }
    assert_eq!(code, 0);
    assert!(report.checks[0].observed.contains("401 Unauthorized"));
    assert!(report.checks[1].observed.contains("/v2/: 200 OK"));

    let (code, report) = reach(&[
        "--platform-url",
        &platform,
        "--registry",
        &registry,
        "--ca",
        &pki("other-ca.crt"),
    ]);
    assert_eq!(code, 1);
    for check in &report.checks {
        assert_eq!(check.status, Status::Fail, "{check:#?}");
        assert!(
            check.observed.contains("tls: unknown authority"),
            "{check:#?}"
        );
    }
}

#[test]
fn without_a_ca_the_checks_skip_and_bad_input_is_a_usage_error() {
    let (code, report) = reach(&["--platform-url", "https://127.0.0.1:1"]);
    assert_eq!(code, 0);
    assert!(
        report
            .checks
            .iter()
            .all(|check| check.status == Status::Skip)
    );
    for (arguments, message) in [
        (
            &["--platform-url", "http://10.0.0.5"][..],
            "--platform-url: 'http://10.0.0.5' is not an https URL",
        ),
        (
            &["--registry", "a/b"][..],
            "--registry: invalid registry address",
        ),
        (
            &["--ca", "/nonexistent/ca.crt"][..],
            "--ca /nonexistent/ca.crt: cannot read",
        ),
    ] {
        let (code, stdout, stderr) = agent(arguments);
        assert_eq!(code, 2, "{arguments:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(message), "{arguments:?}: {stderr}");
    }
}
