//! End-to-end tests of `ironprep certs …` as a user runs it: exit codes, what is written and
//! printed, bad input (exit 2, nothing partial), and a live probe against `openssl s_server`.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

fn ironprep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .arg("certs")
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

fn pki(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../certs/tests/pki")
        .join(name)
        .display()
        .to_string()
}

fn path(directory: &Path, name: &str) -> String {
    directory.join(name).display().to_string()
}

/// An `openssl s_server` on a free loopback port, killed when dropped.
struct Server(Child, u16);

impl Server {
    fn start(cert: &str, key: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-www", "-cert", cert, "-key", key, "-accept",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server(child, port);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline);
            sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn dex_tls_writes_everything_and_verify_passes_it() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("dex");
    let output = ironprep(&[
        "dex-tls",
        "--host-ip",
        "127.0.0.1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let printed = text(&output);
    assert!(printed.contains("Secret cpaas-system/dex.tls"), "{printed}");
    assert!(
        !printed.contains("PRIVATE KEY"),
        "key material printed: {printed}"
    );
    for (name, mode) in [
        ("ca.crt", 0o644),
        ("ca.key", 0o600),
        ("tls.crt", 0o644),
        ("tls.key", 0o600),
        ("dex-tls-secret.yaml", 0o600),
    ] {
        let metadata = fs::metadata(out.join(name)).unwrap();
        assert_eq!(metadata.mode() & 0o777, mode, "{name}");
    }
    let output = ironprep(&[
        "verify",
        "--secret",
        &path(&out, "dex-tls-secret.yaml"),
        "--host-ip",
        "127.0.0.1",
        "--dns",
        "global-alb2.cpaas-system.svc",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    let checks = report["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks
        .iter()
        .map(|check| check["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cert.ca",
            "cert.chain",
            "cert.validity",
            "cert.ip-san",
            "cert.dns-san",
            "cert.key-match",
            "cert.key-usage",
            "cert.go-compat",
            "cert.strict",
            "cert.secret"
        ]
    );
    for check in checks {
        assert_eq!(check["status"], "pass", "{check}");
        for key in ["title", "observed", "expected", "hint"] {
            assert!(check.get(key).is_some(), "{key} missing in {check}");
        }
    }
    // Not again without --force, and the files are untouched.
    let before = fs::read(out.join("tls.key")).unwrap();
    let output = ironprep(&[
        "dex-tls",
        "--host-ip",
        "127.0.0.1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("pass --force to overwrite"),
        "{}",
        text(&output)
    );
    assert_eq!(fs::read(out.join("tls.key")).unwrap(), before);
    // With --force and the same CA: a new leaf, the CA kept.
    let ca_before = fs::read(out.join("ca.crt")).unwrap();
    let output = ironprep(&[
        "dex-tls",
        "--host-ip",
        "127.0.0.1",
        "--out",
        out.to_str().unwrap(),
        "--ca-cert",
        &path(&out, "ca.crt"),
        "--ca-key",
        &path(&out, "ca.key"),
        "--force",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_ne!(fs::read(out.join("tls.key")).unwrap(), before);
    assert_eq!(fs::read(out.join("ca.crt")).unwrap(), ca_before);
    assert_eq!(
        fs::read_dir(root.path()).unwrap().count(),
        1,
        "no staging directory left"
    );
}

#[test]
fn bad_input_exits_2_names_the_problem_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("dex");
    let out_text = out.to_str().unwrap();
    let garbage = root.path().join("garbage.crt");
    fs::write(&garbage, "not a certificate").unwrap();
    let garbage_text = garbage.to_str().unwrap();
    let (ca, server_crt, server_key, other_key) = (
        pki("ca.crt"),
        pki("server.crt"),
        pki("server.key"),
        pki("other-ca.key"),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["dex-tls", "--host-ip", "300.1.1.1", "--out", out_text],
            "invalid IP address",
        ),
        (
            vec!["dex-tls", "--host-ip", "0.0.0.0", "--out", out_text],
            "unspecified",
        ),
        (
            vec![
                "dex-tls",
                "--host-ip",
                "10.0.0.1",
                "--dns",
                "10.0.0.2",
                "--out",
                out_text,
            ],
            "it belongs in an iPAddress SAN",
        ),
        (
            vec![
                "dex-tls",
                "--host-ip",
                "10.0.0.1",
                "--out",
                out_text,
                "--ca-cert",
                garbage_text,
                "--ca-key",
                garbage_text,
            ],
            "garbage.crt: holds no PEM CERTIFICATE block",
        ),
        (
            vec![
                "dex-tls",
                "--host-ip",
                "10.0.0.1",
                "--out",
                out_text,
                "--ca-cert",
                &server_crt,
                "--ca-key",
                &server_key,
            ],
            "server.crt: is not a CA certificate",
        ),
        (
            vec![
                "dex-tls",
                "--host-ip",
                "10.0.0.1",
                "--out",
                out_text,
                "--ca-cert",
                &ca,
                "--ca-key",
                &other_key,
            ],
            "other-ca.key: does not match the certificate",
        ),
        (
            vec!["verify", "--ca", garbage_text, "--cert", &server_crt],
            "garbage.crt",
        ),
        (
            vec!["verify", "--ca", &ca, "--cert", "/nonexistent.crt"],
            "/nonexistent.crt: cannot read",
        ),
        (vec!["verify", "--ca", &ca], "give --cert FILE"),
        (
            vec!["probe", "http://127.0.0.1:1", "--ca", &ca],
            "invalid target",
        ),
    ];
    for (args, expected) in cases {
        let output = ironprep(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(expected),
            "{args:?}: {}",
            text(&output)
        );
        assert!(!text(&output).contains("panicked"), "{args:?}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
        assert_eq!(
            fs::read_dir(root.path()).unwrap().count(),
            1,
            "{args:?} left files"
        );
    }
}

#[test]
fn verify_fails_with_exit_1_and_says_why() {
    let output = ironprep(&[
        "verify",
        "--ca",
        &pki("ca.crt"),
        "--cert",
        &pki("no-ip-san.crt"),
        "--host-ip",
        "127.0.0.1",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let printed = text(&output);
    assert!(printed.contains("FAIL  cert.ip-san"), "{printed}");
    assert!(
        printed.contains("certificate not valid for IP 127.0.0.1"),
        "{printed}"
    );
    assert!(printed.contains("fix       re-issue"), "{printed}");
}

#[test]
fn probe_passes_for_the_right_ca_and_fails_for_another() {
    let server = Server::start(&pki("server.crt"), &pki("server.key"));
    let url = format!("https://127.0.0.1:{}", server.1);
    let output = ironprep(&[
        "probe",
        &url,
        "--ca",
        &pki("ca.crt"),
        "--cert",
        &pki("server.crt"),
        "-v",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("PASS  cert.probe "),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("SAN IP:127.0.0.1"),
        "{}",
        text(&output)
    );
    let output = ironprep(&[
        "probe",
        &url,
        "--ca",
        &pki("other-ca.crt"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["checks"][0]["status"], "fail");
    assert!(
        report["checks"][0]["observed"]
            .as_str()
            .unwrap()
            .starts_with("unknown authority")
    );
    assert!(
        report["served"]["fingerprint"]
            .as_str()
            .unwrap()
            .contains(':')
    );
    // An older certificate still being served.
    let output = ironprep(&[
        "probe",
        &url,
        "--ca",
        &pki("ca.crt"),
        "--cert",
        &pki("ecdsa-server.crt"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("serves another certificate"),
        "{}",
        text(&output)
    );
}

#[test]
fn dr_material_is_written_once_and_compared_by_fingerprint() {
    let root = tempfile::tempdir().unwrap();
    let sa: PathBuf = root.path().join("sa");
    let output = ironprep(&["sa-key", "--out", sa.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        fs::metadata(sa.join("sa.key")).unwrap().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(sa.join("sa.pub")).unwrap().mode() & 0o777,
        0o644
    );
    let secret = fs::read_to_string(sa.join("global-sa-signing-key-secret.yaml")).unwrap();
    assert!(secret.contains("name: global-sa-signing-key\n  namespace: cpaas-system"));
    // OpenSSL reads the key and derives the same public key.
    let derived = Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(sa.join("sa.key"))
        .output()
        .unwrap();
    assert_eq!(derived.stdout, fs::read(sa.join("sa.pub")).unwrap());

    let enc = root.path().join("enc");
    let output = ironprep(&["encryption-config", "--out", enc.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let config = fs::read_to_string(enc.join("encryption-provider.conf")).unwrap();
    assert!(
        config.starts_with("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration")
    );
    // The guide's file: aescbc only, so a side written by hand from the guide is identical.
    assert!(
        config.contains("- aescbc:") && !config.contains("identity"),
        "{config}"
    );
    let with_identity = root.path().join("enc-identity");
    let output = ironprep(&[
        "encryption-config",
        "--out",
        with_identity.to_str().unwrap(),
        "--identity-fallback",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let fallback = fs::read_to_string(with_identity.join("encryption-provider.conf")).unwrap();
    assert!(fallback.ends_with("      - identity: {}\n"), "{fallback}");
    assert!(
        !text(&output).contains(
            config
                .lines()
                .find(|l| l.contains("secret:"))
                .unwrap()
                .trim()
        )
    );
    let secret =
        fs::read_to_string(enc.join("global-encryption-provider-config-secret.yaml")).unwrap();
    assert!(secret.contains("  encryption-provider.conf: "));

    let copy = root.path().join("copy");
    fs::create_dir(&copy).unwrap();
    for name in ["sa.key", "sa.pub"] {
        fs::copy(sa.join(name), copy.join(name)).unwrap();
    }
    fs::copy(
        sa.join("global-sa-signing-key-secret.yaml"),
        copy.join("global-sa-signing-key-secret.yaml"),
    )
    .unwrap();
    let output = ironprep(&["compare", sa.to_str().unwrap(), copy.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!text(&output).contains("PRIVATE KEY"));
    fs::write(copy.join("sa.pub"), "other").unwrap();
    let output = ironprep(&["compare", sa.to_str().unwrap(), copy.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("FAIL  sa.pub") && text(&output).contains("differs: "),
        "{}",
        text(&output)
    );
}

#[test]
fn dr_check_wants_the_domain_and_both_vips() {
    let output = ironprep(&[
        "dr-check",
        "--cert",
        &pki("server.crt"),
        "--platform-host",
        "localhost",
        "--vip",
        "127.0.0.1",
        "--vip",
        "10.1.0.100",
        "--verbose",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let printed = text(&output);
    assert!(printed.contains("PASS  dr.platform-host"), "{printed}");
    assert!(
        printed.contains("certificate not valid for IP 10.1.0.100"),
        "{printed}"
    );
}

#[test]
fn help_teaches_with_examples() {
    for command in [
        "dex-tls",
        "verify",
        "probe",
        "dr-check",
        "sa-key",
        "encryption-config",
        "compare",
    ] {
        let output = ironprep(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(text(&output).contains("Example"), "{command}");
    }
}
