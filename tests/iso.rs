//! End-to-end tests of `ironprep iso check` on real ISO images built here with xorriso in
//! elemental-operator's layout (a base live ISO, then `xorriso -indev base.iso -outdev … -map
//! reg.yaml /livecd-cloud-config.yaml -map cloud-config.yaml /iso-config/cloud-config.yaml
//! -boot_image any replay`, as `controllers/seedimage_controller.go` at commit 57608bff runs it),
//! a live HTTPS registration endpoint on a loopback address at port 12443 with a dex-tls chain
//! from the certs crate, and an HTTP server on loopback serving the image with and without
//! range requests. Hostile images (truncated, a directory loop, a huge extent) must give a
//! clear error, never a panic or a hang.

use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;

use ironprep_certs::generate::{DexTlsBundle, DexTlsRequest, KeyType};
use serde_json::Value;

const TOKEN: &str = "x7k2m9q4w8e1r5t3y6u0";

/// The registration endpoint: a loopback address of its own (port 12443 is the bootstrap
/// port the URL must carry, and several test processes may run at once), its dex-tls chain,
/// and a second CA of the same name that did not sign it.
struct Endpoint {
    ip: IpAddr,
    directory: tempfile::TempDir,
    bundle: DexTlsBundle,
    foreign: DexTlsBundle,
}

fn dex_tls(ip: IpAddr) -> DexTlsBundle {
    DexTlsRequest {
        host_ip: ip,
        extra_ips: Vec::new(),
        extra_dns: Vec::new(),
        days: 30,
        key_type: KeyType::EcdsaP256,
    }
    .generate(None)
    .expect("dex-tls generation")
}

fn endpoint() -> &'static Endpoint {
    static ENDPOINT: OnceLock<Endpoint> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let pid = std::process::id();
        let listener = (0..200_u32)
            .find_map(|attempt| {
                let spread = pid.wrapping_add(attempt * 7919);
                let ip = Ipv4Addr::new(127, 90 + (spread % 60) as u8, (spread / 60 % 250) as u8, 1);
                TcpListener::bind((ip, 12443)).ok()
            })
            .expect("a free loopback address for port 12443");
        let ip = listener.local_addr().unwrap().ip();
        let bundle = dex_tls(ip);
        let foreign = dex_tls(ip);
        let directory = tempfile::tempdir().unwrap();
        fs::write(directory.path().join("ca.crt"), &bundle.ca_pem).unwrap();
        fs::write(directory.path().join("foreign-ca.crt"), &foreign.ca_pem).unwrap();
        let config =
            ironprep_e2e::tls_server_config(&bundle.leaf.certificate_pem, &bundle.leaf.key_pem);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                thread::spawn(move || register(config, stream));
            }
        });
        Endpoint {
            ip,
            directory,
            bundle,
            foreign,
        }
    })
}

/// Answers `GET /elemental/registration/<TOKEN>` with 200 and a config, as the operator does
/// for an unauthenticated GET; 404 for any other token.
fn register(config: Arc<rustls::ServerConfig>, stream: TcpStream) {
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let Some(head) = read_head(&mut tls) else {
        return;
    };
    let asked = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let (status, body) = if asked == format!("/elemental/registration/{TOKEN}") {
        ("200 OK", "elemental:\n    registration: {}\n")
    } else {
        ("404 Not Found", "")
    };
    let _ = write!(
        tls,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

fn read_head(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// `elemental.registration` as gopkg.in/yaml.v3 writes it for the operator.
fn registration_yaml(url: &str, ca_pem: Option<&str>, tpm: Option<(bool, i64)>) -> String {
    let mut text = format!("elemental:\n    registration:\n        url: {url}\n");
    if let Some(pem) = ca_pem {
        text.push_str("        ca-cert: |\n");
        for line in pem.lines() {
            text.push_str(&format!("            {line}\n"));
        }
    }
    if let Some((emulate, seed)) = tpm {
        text.push_str(&format!(
            "        emulate-tpm: {emulate}\n        emulated-tpm-seed: {seed}\n"
        ));
    }
    text.push_str("        auth: tpm\n");
    text
}

fn bootstrap_url(ip: IpAddr) -> String {
    format!("https://{ip}:12443/elemental/registration/{TOKEN}")
}

fn xorriso(args: &[&str]) {
    let output = Command::new("xorriso")
        .args(args)
        .output()
        .expect("xorriso (scripts/install-deps.sh installs it)");
    assert!(
        output.status.success(),
        "xorriso {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A base live ISO like elemental's (volume COS_LIVE, Rock Ridge), with `payload` bytes of
/// incompressible filler standing in for the squashfs.
fn base_iso(directory: &Path, payload: usize) -> PathBuf {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let tree = directory.join(format!("tree{}", COUNT.fetch_add(1, Ordering::Relaxed)));
    fs::create_dir_all(tree.join("boot")).unwrap();
    fs::create_dir_all(tree.join("LiveOS")).unwrap();
    fs::write(tree.join("boot/kernel"), b"kernel").unwrap();
    let mut filler = vec![0_u8; payload];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for byte in &mut filler {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    fs::write(tree.join("LiveOS/squashfs.img"), filler).unwrap();
    let base = tree.with_extension("base.iso");
    xorriso(&[
        "-as",
        "mkisofs",
        "-R",
        "-V",
        "COS_LIVE",
        "-o",
        base.to_str().unwrap(),
        tree.to_str().unwrap(),
    ]);
    base
}

/// The SeedImage builder's step: the registration config mapped to the ISO's root. `extra`
/// options go before `-indev` (`-rockridge off`, `-joliet on`).
fn seed_iso(directory: &Path, name: &str, config: &str, extra: &[&str], payload: usize) -> PathBuf {
    let base = base_iso(directory, payload);
    let reg = directory.join(format!("{name}.reg.yaml"));
    let cloud = directory.join(format!("{name}.cloud-config.yaml"));
    fs::write(&reg, config).unwrap();
    fs::write(&cloud, "#cloud-config\nwrite_files: []\n").unwrap();
    let iso = directory.join(format!("{name}.iso"));
    let mut args: Vec<&str> = extra.to_vec();
    args.extend([
        "-indev",
        base.to_str().unwrap(),
        "-outdev",
        iso.to_str().unwrap(),
        "-map",
        reg.to_str().unwrap(),
        "/livecd-cloud-config.yaml",
        "-map",
        cloud.to_str().unwrap(),
        "/iso-config/cloud-config.yaml",
        "-boot_image",
        "any",
        "replay",
    ]);
    xorriso(&args);
    iso
}

fn sha256sum(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(ironprep_e2e::ironprep())
        .arg("iso")
        .arg("check")
        .args(args)
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> (Value, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = run(&all);
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    ironprep_e2e::assert_schema("iso-report", &value);
    (value, output.status.code().unwrap())
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_owned()
}

fn ca(name: &str) -> String {
    endpoint().directory.path().join(name).display().to_string()
}

#[test]
fn a_good_bootstrap_iso_passes_every_check_with_live_tls_and_checksum() {
    let endpoint = endpoint();
    let directory = tempfile::tempdir().unwrap();
    let config = registration_yaml(
        &bootstrap_url(endpoint.ip),
        Some(&endpoint.bundle.ca_pem),
        None,
    );
    let iso = seed_iso(directory.path(), "good", &config, &[], 100_000);
    let sums = directory.path().join("good.iso.sha256");
    fs::write(&sums, sha256sum(&iso)).unwrap();
    let ip = endpoint.ip.to_string();
    let (report, code) = json(&[
        iso.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--bootstrap-host",
        &ip,
        "--ca",
        &ca("ca.crt"),
        "--checksum",
        sums.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["schema_version"], 1);
    for id in [
        "iso.registration-config",
        "iso.registration-url",
        "iso.ca",
        "iso.tls",
        "iso.tpm",
        "iso.checksum",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}: {report:#}");
    }
    let image = &report["image"];
    assert_eq!(image["volume_id"], "COS_LIVE");
    assert_eq!(image["config_path"], "/livecd-cloud-config.yaml");
    assert_eq!(image["names"], "rock-ridge");
    assert_eq!(image["sha256"], sha256sum(&iso)[..64]);
    let config = &report["config"];
    assert_eq!(config["host"], ip);
    assert_eq!(config["port"], 12443);
    // The registration token is never printed whole.
    let text = report.to_string();
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(
        config["url"],
        format!("https://{ip}:12443/elemental/registration/x7k2…")
    );
    assert!(
        check(&report, "iso.tls")["observed"]
            .as_str()
            .unwrap()
            .contains("200 OK"),
        "{report:#}"
    );
    let table = run(&[
        iso.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--bootstrap-host",
        &ip,
        "--ca",
        &ca("ca.crt"),
        "--verbose",
    ]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("PASS  iso.tls"), "{text}");
    assert!(text.contains("SKIP  iso.checksum"), "{text}");
}

#[test]
fn a_foreign_ca_fails_the_ca_and_the_live_tls_checks() {
    let endpoint = endpoint();
    let directory = tempfile::tempdir().unwrap();
    let config = registration_yaml(
        &bootstrap_url(endpoint.ip),
        Some(&endpoint.foreign.ca_pem),
        None,
    );
    let iso = seed_iso(directory.path(), "foreign", &config, &[], 10_000);
    let ip = endpoint.ip.to_string();
    let (report, code) = json(&[
        iso.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--bootstrap-host",
        &ip,
        "--ca",
        &ca("ca.crt"),
    ]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status(&report, "iso.ca"), "fail");
    let tls = check(&report, "iso.tls");
    assert_eq!(tls["status"], "fail", "{report:#}");
    assert!(
        tls["hint"].as_str().unwrap().contains("unknown authority"),
        "{tls:#}"
    );
    assert_eq!(status(&report, "iso.registration-url"), "pass");
}

#[test]
fn a_url_wrong_for_the_phase_fails_with_the_reason() {
    let endpoint = endpoint();
    let directory = tempfile::tempdir().unwrap();
    let config = registration_yaml(
        &bootstrap_url(endpoint.ip),
        Some(&endpoint.bundle.ca_pem),
        None,
    );
    let iso = seed_iso(directory.path(), "phase", &config, &[], 10_000);
    // After handoff, an ISO for new global hosts must register through the VIP.
    let (report, code) = json(&[
        iso.to_str().unwrap(),
        "--phase",
        "installed",
        "--vip",
        "10.0.0.100",
        "--offline",
    ]);
    assert_eq!(code, 1, "{report:#}");
    let url = check(&report, "iso.registration-url");
    assert_eq!(url["status"], "fail");
    assert!(
        url["observed"]
            .as_str()
            .unwrap()
            .contains("bootstrap endpoint"),
        "{url:#}"
    );
    assert!(
        url["hint"].as_str().unwrap().contains("set once"),
        "{url:#}"
    );
    assert_eq!(status(&report, "iso.tls"), "skip");
    // During bootstrap, another installer host.
    let (report, code) = json(&[
        iso.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--bootstrap-host",
        "192.0.2.10",
        "--offline",
    ]);
    assert_eq!(code, 1);
    assert_eq!(status(&report, "iso.registration-url"), "fail");
    // A wrong token answers 404 live.
    let wrong = format!(
        "https://{}:12443/elemental/registration/deleted0token",
        endpoint.ip
    );
    let config = registration_yaml(&wrong, Some(&endpoint.bundle.ca_pem), None);
    let iso = seed_iso(directory.path(), "token", &config, &[], 10_000);
    let (report, code) = json(&[iso.to_str().unwrap(), "--phase", "bootstrap"]);
    assert_eq!(code, 1, "{report:#}");
    let tls = check(&report, "iso.tls");
    assert_eq!(tls["status"], "fail");
    assert!(tls["hint"].as_str().unwrap().contains("token"), "{tls:#}");
    assert_eq!(status(&report, "iso.registration-url"), "skip");
}

#[test]
fn tpm_emulation_with_a_fixed_seed_fails_and_with_minus_one_warns() {
    let directory = tempfile::tempdir().unwrap();
    let url = bootstrap_url(IpAddr::from([192, 0, 2, 10]));
    let fixed = seed_iso(
        directory.path(),
        "seed1",
        &registration_yaml(&url, Some(&endpoint().bundle.ca_pem), Some((true, 1))),
        &[],
        10_000,
    );
    let (report, code) = json(&[fixed.to_str().unwrap(), "--phase", "bootstrap", "--offline"]);
    assert_eq!(code, 1, "{report:#}");
    let tpm = check(&report, "iso.tpm");
    assert_eq!(tpm["status"], "fail");
    assert!(
        tpm["observed"].as_str().unwrap().contains("seed: 1"),
        "{tpm:#}"
    );
    assert_eq!(report["config"]["emulated_tpm_seed"], 1);
    let poc = seed_iso(
        directory.path(),
        "poc",
        &registration_yaml(&url, Some(&endpoint().bundle.ca_pem), Some((true, -1))),
        &[],
        10_000,
    );
    let (report, code) = json(&[poc.to_str().unwrap(), "--phase", "bootstrap", "--offline"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "iso.tpm"), "warn");
}

#[test]
fn without_a_config_or_without_an_iso_the_command_exits_2_with_the_reason() {
    let directory = tempfile::tempdir().unwrap();
    let base = base_iso(directory.path(), 10_000);
    let output = run(&[base.to_str().unwrap(), "--phase", "bootstrap"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no registration config"), "{stderr}");
    assert!(stderr.contains("COS_LIVE"), "{stderr}");
    let text = directory.path().join("notes.txt");
    fs::write(&text, "x".repeat(40_000)).unwrap();
    let output = run(&[text.to_str().unwrap(), "--phase", "bootstrap"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not an ISO 9660 image"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(&[
        directory.path().join("absent.iso").to_str().unwrap(),
        "--phase",
        "bootstrap",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_config_that_is_not_yaml_fails_the_config_check() {
    let directory = tempfile::tempdir().unwrap();
    let iso = seed_iso(
        directory.path(),
        "broken",
        "elemental:\n    registration: [url\n",
        &[],
        10_000,
    );
    let (report, code) = json(&[iso.to_str().unwrap(), "--phase", "bootstrap"]);
    assert_eq!(code, 1, "{report:#}");
    let config = check(&report, "iso.registration-config");
    assert_eq!(config["status"], "fail");
    assert!(
        config["observed"].as_str().unwrap().contains("not YAML"),
        "{config:#}"
    );
    assert_eq!(status(&report, "iso.tpm"), "skip");
    assert!(report.get("config").is_none());
}

#[test]
fn a_wrong_checksum_fails() {
    let directory = tempfile::tempdir().unwrap();
    let url = bootstrap_url(IpAddr::from([192, 0, 2, 10]));
    let iso = seed_iso(
        directory.path(),
        "sum",
        &registration_yaml(&url, Some(&endpoint().bundle.ca_pem), None),
        &[],
        10_000,
    );
    let sums = directory.path().join("sum.iso.sha256");
    fs::write(&sums, format!("{}  sum.iso\n", "0".repeat(64))).unwrap();
    let (report, code) = json(&[
        iso.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--offline",
        "--checksum",
        sums.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{report:#}");
    let sum = check(&report, "iso.checksum");
    assert_eq!(sum["status"], "fail");
    assert_eq!(sum["observed"], sha256sum(&iso)[..64]);
    fs::write(&sums, "not a checksum\n").unwrap();
    let output = run(&[
        iso.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--checksum",
        sums.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_config_is_found_without_rock_ridge_and_in_a_joliet_tree() {
    let directory = tempfile::tempdir().unwrap();
    let url = bootstrap_url(IpAddr::from([192, 0, 2, 10]));
    let config = registration_yaml(&url, Some(&endpoint().bundle.ca_pem), None);
    let plain = seed_iso(
        directory.path(),
        "plain",
        &config,
        &["-rockridge", "off"],
        10_000,
    );
    let (report, _) = json(&[plain.to_str().unwrap(), "--phase", "bootstrap", "--offline"]);
    assert_eq!(report["image"]["names"], "iso9660", "{report:#}");
    assert_eq!(
        report["image"]["config_path"],
        "/LIVECD_CLOUD_CONFIG.YAML;1"
    );
    assert_eq!(status(&report, "iso.registration-config"), "pass");
    let joliet = seed_iso(
        directory.path(),
        "joliet",
        &config,
        &["-rockridge", "off", "-joliet", "on"],
        10_000,
    );
    let (report, _) = json(&[
        joliet.to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--offline",
    ]);
    assert_eq!(
        status(&report, "iso.registration-config"),
        "pass",
        "{report:#}"
    );
    let names = report["image"]["names"].as_str().unwrap();
    assert!(names == "joliet" || names == "iso9660", "{report:#}");
}

/// The byte offset of the directory record whose identifier is `name`.
fn record(image: &[u8], name: &[u8]) -> usize {
    let at = image
        .windows(name.len())
        .position(|window| window == name)
        .expect("the record's name in the image");
    assert_eq!(usize::from(image[at - 1]), name.len(), "name length byte");
    at - 33
}

fn put_both_endian(image: &mut [u8], at: usize, value: u32) {
    image[at..at + 4].copy_from_slice(&value.to_le_bytes());
    image[at + 4..at + 8].copy_from_slice(&value.to_be_bytes());
}

#[test]
fn hostile_images_are_clear_errors_never_a_panic_or_a_hang() {
    let directory = tempfile::tempdir().unwrap();
    let url = bootstrap_url(IpAddr::from([192, 0, 2, 10]));
    let config = registration_yaml(&url, None, None);
    let iso = seed_iso(
        directory.path(),
        "hostile",
        &config,
        &["-rockridge", "off"],
        10_000,
    );
    let good = fs::read(&iso).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = directory.path().join(name);
        fs::write(&path, bytes).unwrap();
        path
    };
    let expect_2 = |path: &Path, needle: &str| {
        let output = run(&[path.to_str().unwrap(), "--phase", "bootstrap", "--offline"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            path.display()
        );
        assert!(stderr.contains(needle), "{}: {stderr}", path.display());
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    // Truncated inside the volume descriptors, and before the config's extent.
    expect_2(
        &write("cut-early.iso", &good[..33_000]),
        "volume descriptors",
    );
    let config_record = record(&good, b"LIVECD_CLOUD_CONFIG.YAML;1");
    let extent = u32::from_le_bytes(
        good[config_record + 2..config_record + 6]
            .try_into()
            .unwrap(),
    );
    let cut = usize::try_from(extent).unwrap() * 2048;
    expect_2(&write("cut-late.iso", &good[..cut]), "truncated");
    // A huge extent: the config claims 4 GiB.
    let mut huge = good.clone();
    put_both_endian(&mut huge, config_record + 10, u32::MAX);
    expect_2(&write("huge.iso", &huge), "claims");
    // A directory loop: a subdirectory whose extent is the root directory's own. Only the
    // root is read, so the config is still found and checked.
    let mut looped = good.clone();
    let root_extent =
        u32::from_le_bytes(good[32768 + 156 + 2..32768 + 156 + 6].try_into().unwrap());
    let subdirectory = record(&looped, b"ISO_CONFIG");
    put_both_endian(&mut looped, subdirectory + 2, root_extent);
    let path = write("loop.iso", &looped);
    let (report, code) = json(&[path.to_str().unwrap(), "--phase", "bootstrap", "--offline"]);
    assert_eq!(
        status(&report, "iso.registration-config"),
        "pass",
        "{report:#}"
    );
    assert_eq!(code, 1, "no CA embedded: {report:#}");
    // A root directory that claims the whole 4 GiB: bounded, and an answer either way.
    let mut wide = good.clone();
    put_both_endian(&mut wide, 32768 + 156 + 10, 0xFFFF_F800);
    let output = run(&[
        write("wide.iso", &wide).to_str().unwrap(),
        "--phase",
        "bootstrap",
        "--offline",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(1 | 2)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Serves `image` over plain HTTP on loopback until the test process ends, honouring
/// `Range: bytes=A-B` when `ranges`; counts the body bytes sent.
fn serve_image(image: PathBuf, ranges: bool) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let address = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let image = image.clone();
            let counter = Arc::clone(&counter);
            thread::spawn(move || answer_image(stream, &image, ranges, &counter));
        }
    });
    (address, sent)
}

fn answer_image(mut stream: TcpStream, image: &Path, ranges: bool, sent: &AtomicU64) {
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
    if path.contains("missing") {
        let _ = write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    if path.ends_with(".sha256") {
        let body = sha256sum(image);
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    let bytes = fs::read(image).unwrap();
    let range = head.lines().find_map(|line| {
        let value = line.to_ascii_lowercase();
        let spec = value.strip_prefix("range: bytes=")?.trim().to_owned();
        let (first, last) = spec.split_once('-')?;
        Some((first.parse::<usize>().ok()?, last.parse::<usize>().ok()?))
    });
    let (status, body, extra) = match range {
        Some((first, last)) if ranges => {
            let last = last.min(bytes.len() - 1);
            (
                "206 Partial Content",
                &bytes[first..=last],
                format!("Content-Range: bytes {first}-{last}/{}\r\n", bytes.len()),
            )
        }
        _ => ("200 OK", &bytes[..], String::new()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    for chunk in body.chunks(64 * 1024) {
        if stream.write_all(chunk).is_err() {
            return;
        }
        sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
}

#[test]
fn a_url_is_read_with_range_requests_or_sequentially_without_them() {
    let directory = tempfile::tempdir().unwrap();
    let url = bootstrap_url(IpAddr::from([192, 0, 2, 10]));
    let config = registration_yaml(&url, Some(&endpoint().bundle.ca_pem), None);
    let iso = seed_iso(directory.path(), "served", &config, &[], 8 * 1024 * 1024);
    let size = fs::metadata(&iso).unwrap().len();

    let (address, sent) = serve_image(iso.clone(), true);
    let image_url = format!("http://{address}/elemental/seedimage/t0k3n/served.iso");
    let (report, code) = json(&[&image_url, "--phase", "bootstrap", "--offline"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "iso.registration-config"), "pass");
    assert_eq!(report["image"]["size"], size);
    let read = report["image"]["bytes_read"].as_u64().unwrap();
    assert!(read < size / 8, "read {read} of {size} bytes");
    assert!(sent.load(Ordering::Relaxed) < size / 8);

    // The checksum from its URL streams the whole image.
    let checksum_url = format!("{image_url}.sha256");
    let (report, code) = json(&[
        &image_url,
        "--phase",
        "bootstrap",
        "--offline",
        "--checksum",
        &checksum_url,
    ]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "iso.checksum"), "pass");
    assert!(report["image"]["bytes_read"].as_u64().unwrap() >= size);

    let (address, _) = serve_image(iso.clone(), false);
    let image_url = format!("http://{address}/served.iso");
    let (report, code) = json(&[&image_url, "--phase", "bootstrap", "--offline"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["image"]["config_path"], "/livecd-cloud-config.yaml");

    // A URL that answers 404 is unreadable input.
    let output = run(&[
        &format!("http://{address}/missing.iso"),
        "--phase",
        "bootstrap",
    ]);
    assert_eq!(output.status.code(), Some(2));
}
