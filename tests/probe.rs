//! End-to-end tests of `ironprep probe` against real TLS servers on loopback, started here with
//! certificates from the certs crate's dex-tls generation: a platform ingress that answers 401
//! (pass), one that answers 404, a foreign chain, a chain without the IP SAN, a closed port, a
//! port that accepts and never answers, and unusable input (exit 2).

use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use ironprep_certs::generate::{Authority, DexTlsBundle, DexTlsRequest, KeyType};
use serde_json::Value;

/// The test PKI: the bootstrap CA and its serving chain for 127.0.0.1, a chain from the same CA
/// for another host IP, and a chain from a foreign CA of the same name (a bootstrap CA made
/// again separately: the usual way a host ends up with the wrong one).
struct Pki {
    directory: tempfile::TempDir,
    good: DexTlsBundle,
    other_host: DexTlsBundle,
    foreign: DexTlsBundle,
}

fn request(host_ip: [u8; 4]) -> DexTlsRequest {
    DexTlsRequest {
        host_ip: IpAddr::from(host_ip),
        extra_ips: Vec::new(),
        extra_dns: vec!["localhost".to_owned()],
        days: 30,
        key_type: KeyType::EcdsaP256,
    }
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let directory = tempfile::tempdir().unwrap();
        let good = request([127, 0, 0, 1]).generate(None).unwrap();
        let ca = directory.path().join("ca.crt");
        let ca_key = directory.path().join("ca.key");
        fs::write(&ca, &good.ca_pem).unwrap();
        fs::write(&ca_key, good.ca_key_pem.as_ref().unwrap()).unwrap();
        let same_ca = Authority::from_files(&ca, &ca_key).unwrap();
        let other_host = request([10, 9, 9, 9]).generate(Some(same_ca)).unwrap();
        let foreign = request([127, 0, 0, 1]).generate(None).unwrap();
        Pki {
            directory,
            good,
            other_host,
            foreign,
        }
    })
}

fn ca_path() -> String {
    pki().directory.path().join("ca.crt").display().to_string()
}

/// An HTTPS server on `ip`, answering `status` on `path` and 404 elsewhere, until the test
/// process ends.
fn serve(
    ip: &str,
    port: u16,
    bundle: &DexTlsBundle,
    path: &'static str,
    status: &'static str,
) -> SocketAddr {
    let config =
        ironprep_e2e::tls_server_config(&bundle.leaf.certificate_pem, &bundle.leaf.key_pem);
    let listener = TcpListener::bind((ip, port)).unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || answer(config, stream, path, status));
        }
    });
    address
}

fn answer(config: Arc<rustls::ServerConfig>, stream: TcpStream, path: &str, status: &str) {
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
    let asked = head.split(' ').nth(1).unwrap_or_default();
    let status = if asked == path {
        status
    } else {
        "404 Not Found"
    };
    let _ = write!(
        tls,
        "HTTP/1.1 {status}\r\nServer: test-ingress\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

const VERSION_PATH: &str = "/kubernetes/global/version";

fn ironprep(args: &[&str]) -> Output {
    Command::new(ironprep_e2e::ironprep())
        .arg("probe")
        .args(args)
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> (Value, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = ironprep(&all);
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (value, output.status.code().unwrap())
}

fn endpoint<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|endpoint| endpoint["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

fn url(address: SocketAddr) -> String {
    format!("https://{address}")
}

#[test]
fn an_ingress_answering_401_passes_with_timed_steps() {
    let address = serve(
        "127.0.0.1",
        0,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&["--endpoint", &url(address), "--ca", &ca_path()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["schema_version"], 1);
    let probe = endpoint(&report, "endpoint.url");
    assert_eq!(probe["status"], "pass", "{probe:#}");
    assert_eq!(
        probe["url"],
        format!("https://{address}/kubernetes/global/version")
    );
    let observed = probe["observed"].as_str().unwrap();
    assert!(
        observed.contains("401 Unauthorized (Server: test-ingress)"),
        "{observed}"
    );
    assert!(
        observed.contains("TLS verified for IP 127.0.0.1"),
        "{observed}"
    );
    let steps: Vec<&str> = probe["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            assert_eq!(step["ok"], true, "{step}");
            assert!(step["ms"].is_u64());
            step["step"].as_str().unwrap()
        })
        .collect();
    assert_eq!(steps, ["dns", "tcp", "tls", "http"]);
}

#[test]
fn an_answer_other_than_200_or_401_fails_with_what_came_back() {
    let address = serve(
        "127.0.0.1",
        0,
        &pki().good,
        "/elsewhere",
        "401 Unauthorized",
    );
    let output = ironprep(&["--endpoint", &url(address), "--ca", &ca_path()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("FAIL  endpoint.url"), "{text}");
    assert!(
        text.contains(
            "http: GET /kubernetes/global/version answered 404 Not Found (Server: test-ingress)"
        ),
        "{text}"
    );
    assert!(text.contains("\n      fix       "), "{text}");
}

#[test]
fn a_foreign_chain_is_an_unknown_authority() {
    let address = serve(
        "127.0.0.1",
        0,
        &pki().foreign,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&["--endpoint", &url(address), "--ca", &ca_path()]);
    assert_eq!(code, 1);
    let probe = endpoint(&report, "endpoint.url");
    assert_eq!(probe["status"], "fail");
    let observed = probe["observed"].as_str().unwrap();
    assert!(observed.starts_with("tls: unknown authority"), "{observed}");
    assert!(observed.contains("served CN=127.0.0.1"), "{observed}");
    let last = probe["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (last["step"].as_str(), last["ok"].as_bool()),
        (Some("tls"), Some(false))
    );
}

#[test]
fn a_chain_from_an_unrelated_ca_is_an_unknown_authority() {
    let other_ca =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../certs/tests/pki/other-ca.crt");
    let address = serve(
        "127.0.0.1",
        0,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&[
        "--endpoint",
        &url(address),
        "--ca",
        other_ca.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let observed = endpoint(&report, "endpoint.url")["observed"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(observed.starts_with("tls: unknown authority"), "{observed}");
}

#[test]
fn a_chain_without_the_ip_san_names_the_missing_ip() {
    let address = serve(
        "127.0.0.2",
        0,
        &pki().other_host,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&["--endpoint", &url(address), "--ca", &ca_path()]);
    assert_eq!(code, 1);
    let probe = endpoint(&report, "endpoint.url");
    let observed = probe["observed"].as_str().unwrap();
    assert!(
        observed.contains("certificate not valid for IP 127.0.0.2"),
        "{observed}"
    );
    assert!(
        probe["hint"].as_str().unwrap().contains("IP 127.0.0.2"),
        "{probe:#}"
    );
}

#[test]
fn a_server_name_missing_from_the_certificate_is_named_in_the_fix() {
    // Connected to 127.0.0.3, verified for --server-name 10.0.0.5 (an address behind NAT or a
    // VIP the hosts use): the certificate must carry 10.0.0.5, not the address connected to.
    let address = serve(
        "127.0.0.3",
        0,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&[
        "--endpoint",
        &url(address),
        "--ca",
        &ca_path(),
        "--server-name",
        "10.0.0.5",
    ]);
    assert_eq!(code, 1);
    let probe = endpoint(&report, "endpoint.url");
    let observed = probe["observed"].as_str().unwrap();
    assert!(
        observed.contains("certificate not valid for IP 10.0.0.5"),
        "{observed}"
    );
    let hint = probe["hint"].as_str().unwrap();
    assert!(
        hint.starts_with("reissue the serving certificate with IP 10.0.0.5 in its SAN"),
        "{hint}"
    );
    assert!(!hint.contains("127.0.0.3"), "{hint}");
}

#[test]
fn a_closed_port_fails_fast() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let (report, code) = json(&[
        "--endpoint",
        &format!("https://127.0.0.1:{port}"),
        "--ca",
        &ca_path(),
        "--timeout",
        "300",
    ]);
    assert_eq!(code, 1);
    // Refused at once rather than waited on until the 300 s timeout; the bound is far from
    // anything load can reach.
    assert!(
        started.elapsed() < Duration::from_secs(240),
        "{:?}",
        started.elapsed()
    );
    let observed = endpoint(&report, "endpoint.url")["observed"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        observed.starts_with("tcp: connection refused"),
        "{observed}"
    );
}

#[test]
fn a_port_that_never_answers_fails_at_the_timeout_and_probes_run_in_parallel() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_address = silent.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let second_silent = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let good = serve(
        "127.0.0.1",
        0,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let started = Instant::now();
    let (report, code) = json(&[
        "--endpoint",
        &url(silent_address),
        "--endpoint",
        &url(second_silent),
        "--endpoint",
        &url(good),
        "--ca",
        &ca_path(),
        "--timeout",
        "2",
    ]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1);
    // Two silent endpoints in series would take 4 s; in parallel the whole run takes about 2.
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(3900), "{elapsed:?}");
    let endpoints = report["endpoints"].as_array().unwrap();
    let statuses: Vec<&str> = endpoints
        .iter()
        .map(|endpoint| endpoint["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["fail", "fail", "pass"]);
    let observed = endpoints[0]["observed"].as_str().unwrap();
    assert!(
        observed.starts_with("tls: no TLS handshake") && observed.ends_with("within 2 s"),
        "{observed}"
    );
}

#[test]
fn the_handoff_table_in_one_go() {
    let registry = serve("127.0.0.1", 0, &pki().good, "/v2/", "200 OK");
    let registry_url = registry.to_string();
    let platform = serve(
        "127.0.0.1",
        0,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&[
        "--platform-domain",
        &format!("localhost:{}", platform.port()),
        "--expect-vip",
        "127.0.0.1",
        "--registry",
        &registry_url,
        "--ca",
        &ca_path(),
    ]);
    let ids: Vec<&str> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|endpoint| endpoint["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "endpoint.platform-domain",
            "endpoint.registry",
            "endpoint.dns"
        ]
    );
    let domain = endpoint(&report, "endpoint.platform-domain");
    assert_eq!(domain["status"], "pass", "{domain:#}");
    assert!(
        domain["observed"]
            .as_str()
            .unwrap()
            .contains("name localhost")
    );
    let registry = endpoint(&report, "endpoint.registry");
    assert_eq!(registry["status"], "pass", "{registry:#}");
    assert!(registry["url"].as_str().unwrap().ends_with("/v2/"));
    // localhost may also resolve to ::1 here: that is a warning, never a failure.
    let dns = endpoint(&report, "endpoint.dns");
    assert!(
        dns["status"] == "pass" || dns["status"] == "warn",
        "{dns:#}"
    );
    assert!(
        dns["observed"].as_str().unwrap().contains("127.0.0.1"),
        "{dns:#}"
    );
    assert_eq!(code, 0, "{report:#}");

    // The same probes as JUnit for a CI job: valid for Jenkins, counts matching the cases.
    let junit = ironprep(&[
        "--platform-domain",
        &format!("localhost:{}", platform.port()),
        "--expect-vip",
        "10.0.0.100",
        "--registry",
        &registry_url,
        "--ca",
        &ca_path(),
        "--format",
        "junit",
    ]);
    assert_eq!(junit.status.code(), Some(1));
    ironprep_e2e::assert_junit(&junit.stdout, "probe --format junit");
    let xml = String::from_utf8_lossy(&junit.stdout);
    assert!(
        xml.contains("endpoint.dns") && xml.contains("<failure"),
        "{xml}"
    );

    let (report, code) = json(&[
        "--platform-domain",
        &format!("localhost:{}", platform.port()),
        "--expect-vip",
        "10.0.0.100",
        "--ca",
        &ca_path(),
    ]);
    assert_eq!(code, 1);
    let dns = endpoint(&report, "endpoint.dns");
    assert_eq!(dns["status"], "fail");
    assert!(
        dns["observed"]
            .as_str()
            .unwrap()
            .contains("not the active VIP 10.0.0.100"),
        "{dns:#}"
    );
}

/// Fixed ports (12443, 6443) may be taken on a shared machine; then the test says so and
/// passes without probing.
fn bind_fixed(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[test]
fn the_bootstrap_endpoint_is_port_12443_and_the_apiserver_port_fails() {
    if !bind_fixed(12443) || !bind_fixed(6443) {
        eprintln!("ports 12443 or 6443 are in use here; not probing them");
        return;
    }
    serve(
        "127.0.0.1",
        12443,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    serve(
        "127.0.0.1",
        6443,
        &pki().good,
        VERSION_PATH,
        "401 Unauthorized",
    );
    let (report, code) = json(&[
        "--bootstrap-host",
        "127.0.0.1",
        "--endpoint",
        "https://127.0.0.1:6443",
        "--ca",
        &ca_path(),
    ]);
    assert_eq!(code, 1);
    let bootstrap = endpoint(&report, "endpoint.bootstrap");
    assert_eq!(bootstrap["status"], "pass", "{bootstrap:#}");
    assert_eq!(
        bootstrap["url"],
        "https://127.0.0.1:12443/kubernetes/global/version"
    );
    let apiserver = endpoint(&report, "endpoint.url");
    assert_eq!(apiserver["status"], "fail");
    let observed = apiserver["observed"].as_str().unwrap();
    assert!(
        observed.contains("port 6443 is the kube-apiserver, not the platform ingress"),
        "{observed}"
    );
}

#[test]
fn unusable_input_exits_2_with_a_clear_message() {
    let missing = PathBuf::from("/nonexistent/ca.crt");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--endpoint", "http://127.0.0.1", "--ca", &ca_path()],
            "'http://127.0.0.1' is not an https URL",
        ),
        (
            &[
                "--endpoint",
                "https://127.0.0.1",
                "--ca",
                missing.to_str().unwrap(),
            ],
            "--ca /nonexistent/ca.crt: cannot read",
        ),
        (&["--ca", &ca_path()], "nothing to probe"),
        (&["--endpoint", "https://127.0.0.1"], "give --ca FILE"),
        (
            &["--registry", "http://127.0.0.1:5000", "--ca", &ca_path()],
            "is not an https URL",
        ),
    ];
    for (args, message) in cases {
        let output = ironprep(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let not_a_certificate = pki().directory.path().join("garbage.crt");
    fs::write(&not_a_certificate, "hello").unwrap();
    let output = ironprep(&[
        "--endpoint",
        "https://127.0.0.1",
        "--ca",
        not_a_certificate.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("holds no PEM CERTIFICATE block"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_help_says_an_unresolvable_name_is_a_failure_not_bad_input() {
    let output = ironprep(&["--help"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("a name that does not resolve: that is a failed endpoint"),
        "{text}"
    );
}
