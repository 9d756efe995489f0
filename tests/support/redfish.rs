//! Real Redfish services on loopback for the `ironprep bmc` tests: `sushy-static` serving
//! mockup folders (the real captures of shared/redfish-mockups, and the project's own failure
//! mockups composed from tests/fixtures/redfish), and `sushy-emulator` with its fake driver
//! for the action path, over HTTPS with a test CA generated here and basic auth. Every server
//! is a child process killed on drop, also when a test fails.
//!
//! The emulator's configuration is Python that it executes: it also records every request
//! that reaches the emulator (method, path, body) to a file, so a test can assert on what was
//! sent and not only on what the emulator shows back (it always shows
//! `BootSourceOverrideEnabled: Continuous`).

#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ironprep_certs::generate::{DexTlsBundle, DexTlsRequest, KeyType};
use serde_json::Value;

/// The BMC password every emulator accepts; no output may ever contain it.
pub const PASSWORD: &str = "Bmc-Pa55word-7f3e9";
pub const USER: &str = "admin";

/// Whether the Redfish servers can run here; without them the test says why and passes,
/// except under CI (`CI=true`), where it fails.
pub fn sushy_available(test: &str) -> bool {
    let found = ["sushy-static", "sushy-emulator"].iter().all(|tool| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|output| output.status.success())
    });
    if found {
        return true;
    }
    ironprep_e2e::missing(
        test,
        "sushy-tools is not installed (pip install sushy-tools; scripts/install-deps.sh)",
    );
    false
}

/// The real captures, from `IRONPREP_REDFISH_MOCKUPS`, else `shared/redfish-mockups` in an
/// ancestor of the workspace; `None` (with the reason printed) where they are not.
pub fn captures(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("IRONPREP_REDFISH_MOCKUPS")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|dir| dir.join("shared/redfish-mockups"))
                .find(|dir| dir.is_dir())
        })
        .filter(|dir| dir.join("dell-r750/index.json").is_file());
    if found.is_none() {
        ironprep_e2e::missing(
            &format!("{test}: the part on real BMC captures"),
            "they are not here (set IRONPREP_REDFISH_MOCKUPS or put shared/redfish-mockups \
             beside the checkout)",
        );
    }
    found
}

/// The test PKI: a CA and a serving certificate for 127.0.0.1, and a foreign CA.
pub struct Pki {
    pub directory: tempfile::TempDir,
    pub bundle: DexTlsBundle,
}

impl Pki {
    pub fn ca(&self) -> PathBuf {
        self.directory.path().join("ca.crt")
    }

    pub fn foreign_ca(&self) -> PathBuf {
        self.directory.path().join("foreign-ca.crt")
    }

    pub fn cert(&self) -> PathBuf {
        self.directory.path().join("tls.crt")
    }

    pub fn key(&self) -> PathBuf {
        self.directory.path().join("tls.key")
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let request = DexTlsRequest {
            host_ip: [127, 0, 0, 1].into(),
            extra_ips: Vec::new(),
            extra_dns: vec!["localhost".to_owned()],
            days: 30,
            key_type: KeyType::EcdsaP256,
        };
        let bundle = request.generate(None).expect("a test PKI");
        let foreign = request.generate(None).expect("a foreign CA");
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("ca.crt"), &bundle.ca_pem).unwrap();
        std::fs::write(directory.path().join("foreign-ca.crt"), &foreign.ca_pem).unwrap();
        std::fs::write(
            directory.path().join("tls.crt"),
            &bundle.leaf.certificate_pem,
        )
        .unwrap();
        std::fs::write(directory.path().join("tls.key"), &bundle.leaf.key_pem).unwrap();
        Pki { directory, bundle }
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// A child process killed (and reaped) on drop.
pub struct Server {
    pub port: u16,
    child: Child,
    /// Where its stderr goes (the access log of sushy-static).
    pub log: PathBuf,
    _directory: tempfile::TempDir,
}

impl Server {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Servers of one test binary start one at a time: between picking a free port and listening
/// on it, no other test of the binary can pick the same port. Two tests once shared one
/// emulator that way, and the one that wanted two systems saw the other's one.
static STARTING: Mutex<()> = Mutex::new(());

/// A server started by `spawn(port)` on a free loopback port, once it listens there itself;
/// a port some other process took in the meantime is given up for another.
fn start_on_free_port(log: &Path, mut spawn: impl FnMut(u16) -> Child) -> (u16, Child) {
    let _starting = STARTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..3 {
        let port = free_port();
        let mut child = spawn(port);
        if wait_until_listening(port, &mut child, log) {
            return (port, child);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("three free ports were taken by other processes before the Redfish server listened");
}

/// True once `child` listens on `port`; false when another process holds the port and the
/// child gave up on it.
fn wait_until_listening(port: u16, child: &mut Child, log: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let answered = TcpStream::connect(("127.0.0.1", port)).is_ok();
        if answered && listens_itself(child, port) {
            return true;
        }
        if let Ok(Some(status)) = child.try_wait() {
            if answered {
                return false;
            }
            panic!(
                "the Redfish server exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the Redfish server did not listen on {port} within 60 s");
}

/// Whether `child` itself holds the listening socket on 127.0.0.1:`port` (its inode in
/// /proc/net/tcp among the child's descriptors), not whoever else answers there.
fn listens_itself(child: &Child, port: u16) -> bool {
    let local = format!("0100007F:{port:04X}");
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let sockets: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Field 3 is the state (0A: LISTEN), field 9 the socket's inode.
            (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
                .then(|| format!("socket:[{}]", fields.get(9).unwrap_or(&"")))
        })
        .collect();
    std::fs::read_dir(format!("/proc/{}/fd", child.id()))
        .map(|descriptors| {
            descriptors.flatten().any(|descriptor| {
                std::fs::read_link(descriptor.path()).is_ok_and(|target| {
                    sockets
                        .iter()
                        .any(|socket| target.as_os_str() == socket.as_str())
                })
            })
        })
        .unwrap_or(false)
}

/// `sushy-static` serving `mockup` over HTTPS.
pub fn serve_static(mockup: &Path) -> Server {
    let pki = pki();
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("access.log");
    let (port, child) = start_on_free_port(&log, |port| {
        Command::new("sushy-static")
            .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-m"])
            .arg(mockup)
            .arg("-c")
            .arg(pki.cert())
            .arg("-k")
            .arg(pki.key())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start sushy-static")
    });
    Server {
        port,
        child,
        log,
        _directory: directory,
    }
}

/// A mockup of tests/fixtures/redfish: `lab-server` with `overlay` applied (see its README),
/// in a directory of its own.
pub fn compose(overlay: Option<&str>) -> tempfile::TempDir {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/redfish");
    let directory = tempfile::tempdir().unwrap();
    copy_tree(&fixtures.join("lab-server"), directory.path());
    if let Some(overlay) = overlay {
        apply_overlay(
            &fixtures.join(overlay),
            &fixtures.join(overlay),
            directory.path(),
        );
    }
    directory
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn apply_overlay(root: &Path, directory: &Path, target: &Path) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            apply_overlay(root, &path, target);
            continue;
        }
        let relative = path.strip_prefix(root).unwrap();
        let name = relative.file_name().unwrap().to_str().unwrap();
        let destination = target.join(relative.with_file_name("index.json"));
        std::fs::create_dir_all(destination.parent().unwrap()).unwrap();
        if name == "index.merge.json" {
            let mut base: Value =
                serde_json::from_str(&std::fs::read_to_string(&destination).unwrap()).unwrap();
            let patch: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            merge_patch(&mut base, &patch);
            std::fs::write(&destination, serde_json::to_string_pretty(&base).unwrap()).unwrap();
        } else {
            std::fs::copy(&path, &destination).unwrap();
        }
    }
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let Value::Object(object) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            object.remove(key);
        } else {
            merge_patch(object.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// What an emulator should behave like besides the defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// Answer the first write to each path `503` with `Retry-After: 1` (a busy BMC), and
    /// `InsertMedia` with `202 Accepted` and a task monitor (as vendors with tasks do).
    pub busy_with_tasks: bool,
    /// A second system, `node-2` (as a multi-node chassis' BMC has).
    pub second_system: bool,
}

/// The UUID of the emulator's second system.
pub const SECOND_SYSTEM: &str = "5e1b2f0c-0d3a-4e55-9a57-2c0d2b6f1e02";

/// `sushy-emulator` with the fake driver: one system `node-1`, powered `power`, a virtual CD,
/// basic auth for [`USER`]/[`PASSWORD`], requests recorded.
/// Stands for the port in the emulator's configuration until one is picked.
const PORT_PLACEHOLDER: &str = "__IRONPREP_PORT__";

pub struct Emulator {
    pub server: Server,
    pub system: String,
    record: PathBuf,
}

impl Emulator {
    pub fn start(power: &str, behaviour: Behaviour) -> Emulator {
        let pki = pki();
        let directory = tempfile::tempdir().unwrap();
        let record = directory.path().join("requests.jsonl");
        let hash = Command::new("python3")
            .args([
                "-c",
                "import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())",
                PASSWORD,
            ])
            .output()
            .expect("python3 with bcrypt (installed with sushy-tools)");
        assert!(
            hash.status.success(),
            "{}",
            String::from_utf8_lossy(&hash.stderr)
        );
        let htpasswd = directory.path().join("htpasswd");
        std::fs::write(
            &htpasswd,
            format!("{USER}:{}\n", String::from_utf8_lossy(&hash.stdout).trim()),
        )
        .unwrap();
        let system = "27946b59-9e44-4fa7-8e91-f3527a1ef094".to_owned();
        let state = directory.path().join("state");
        let mut config = format!(
            r#"
SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'
SUSHY_EMULATOR_LISTEN_PORT = {PORT}
SUSHY_EMULATOR_SSL_CERT = {cert:?}
SUSHY_EMULATOR_SSL_KEY = {key:?}
SUSHY_EMULATOR_AUTH_FILE = {htpasswd:?}
SUSHY_EMULATOR_STATE_DIR = {state:?}
SUSHY_EMULATOR_FAKE_DRIVER = True
SUSHY_EMULATOR_FAKE_SYSTEMS = [{{'uuid': '{system}', 'name': 'node-1', 'power_state': '{power}',
    'nics': [{{'mac': '00:5c:52:31:3a:9c', 'ip': '172.22.0.100'}}]}}]
if {second}:
    SUSHY_EMULATOR_FAKE_SYSTEMS.append({{'uuid': '{SECOND_SYSTEM}', 'name': 'node-2',
        'power_state': 'Off', 'nics': [{{'mac': '00:5c:52:31:3a:9d', 'ip': '172.22.0.101'}}]}})

import json as _json
import flask as _flask
from sushy_tools.emulator import main as _main

@_main.app.before_request
def _record():
    with open({record:?}, 'a') as _file:
        _file.write(_json.dumps({{'method': _flask.request.method, 'path': _flask.request.path,
                                  'body': _flask.request.get_data(as_text=True)}}) + '\n')
"#,
            cert = pki.cert().display().to_string(),
            key = pki.key().display().to_string(),
            htpasswd = htpasswd.display().to_string(),
            state = state.display().to_string(),
            record = record.display().to_string(),
            PORT = PORT_PLACEHOLDER,
            second = if behaviour.second_system {
                "True"
            } else {
                "False"
            },
        );
        if behaviour.busy_with_tasks {
            config.push_str(
                r#"
_busy = set()

@_main.app.before_request
def _busy_once():
    request = _flask.request
    if request.method in ('POST', 'PATCH') and request.path not in _busy:
        _busy.add(request.path)
        return _flask.Response('{"error": {"message": "the BMC is busy"}}', status=503,
                               headers={'Retry-After': '1'}, mimetype='application/json')

@_main.app.after_request
def _as_task(response):
    if _flask.request.path.endswith('VirtualMedia.InsertMedia') and response.status_code == 204:
        return _flask.Response('', status=202,
                               headers={'Location': '/redfish/v1/TaskService/Tasks/42'})
    return response
"#,
            );
        }
        let config_file = directory.path().join("emulator.conf");
        let log = directory.path().join("emulator.log");
        let (port, child) = start_on_free_port(&log, |port| {
            std::fs::write(
                &config_file,
                config.replace(PORT_PLACEHOLDER, &port.to_string()),
            )
            .unwrap();
            Command::new("sushy-emulator")
                .arg("--config")
                .arg(&config_file)
                // It downloads inserted images into the temporary directory.
                .env("TMPDIR", directory.path())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("start sushy-emulator")
        });
        Emulator {
            server: Server {
                port,
                child,
                log,
                _directory: directory,
            },
            system,
            record,
        }
    }

    /// Every request that reached the emulator: `(method, path, body)`.
    pub fn requests(&self) -> Vec<(String, String, Value)> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let entry: Value = serde_json::from_str(line).unwrap();
                let body = entry["body"].as_str().unwrap_or_default();
                (
                    entry["method"].as_str().unwrap().to_owned(),
                    entry["path"].as_str().unwrap().to_owned(),
                    serde_json::from_str(body).unwrap_or(Value::Null),
                )
            })
            .collect()
    }

    /// The writes among them.
    pub fn writes(&self) -> Vec<(String, String, Value)> {
        self.requests()
            .into_iter()
            .filter(|(method, _, _)| method != "GET")
            .collect()
    }

    /// A resource as the emulator shows it now, read by the test itself (reading it through
    /// ironprep would prove nothing).
    pub fn get(&self, path: &str) -> Value {
        let body = https_get(self.server.port, path, Some((USER, PASSWORD)));
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("{path}: {error}: {body}"))
    }
}

/// A GET over TLS verified against the test CA, as a test's own independent reader.
pub fn https_get(port: u16, path: &str, login: Option<(&str, &str)>) -> String {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in
        rustls::pki_types::CertificateDer::pem_slice_iter(pki().bundle.ca_pem.as_bytes())
    {
        roots.add(certificate.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut stream = rustls::Stream::new(&mut connection, &mut socket);
    let authorization = login
        .map(|(user, password)| {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{password}").as_bytes());
            format!("Authorization: Basic {token}\r\n")
        })
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{authorization}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    // Servers that close without close_notify end with an error after the data.
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let (_, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    body.to_owned()
}

/// An HTTP server on loopback serving `bytes` as `/seed.iso` (what BMCs download), counting
/// the downloads.
pub struct IsoServer {
    pub url: String,
    pub downloads: Arc<Mutex<usize>>,
}

pub fn serve_iso(bytes: Vec<u8>) -> IsoServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let downloads = Arc::new(Mutex::new(0));
    let counter = downloads.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..read]);
            if head.starts_with("GET /seed.iso ") {
                *counter.lock().unwrap() += 1;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = stream.write_all(&bytes);
            } else {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        }
    });
    IsoServer {
        url: format!("http://{address}/seed.iso"),
        downloads,
    }
}

/// A BMC made slow on purpose: it accepts connections and never says a word.
pub fn serve_silence() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    address
}

/// Something on the BMC's port that is not Redfish: an HTTPS server answering every request
/// with a web page.
pub fn serve_web_page() -> SocketAddr {
    let pki = pki();
    let config =
        ironprep_e2e::tls_server_config(&pki.bundle.leaf.certificate_pem, &pki.bundle.leaf.key_pem);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(mut connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut stream = rustls::Stream::new(&mut connection, &mut socket);
                let mut request = [0u8; 4096];
                if stream.read(&mut request).unwrap_or(0) == 0 {
                    return;
                }
                let page = "<!DOCTYPE html><html><body>Welcome to the switch</body></html>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                stream.conn.send_close_notify();
                let _ = stream.flush();
            });
        }
    });
    address
}

/// Runs `ironprep` with the BMC password in the environment, and checks that the password
/// appears nowhere in what it printed, whatever the command.
pub fn ironprep(args: &[&str]) -> Output {
    let output = Command::new(ironprep_e2e::ironprep())
        .args(args)
        .env("IRONPREP_BMC_PASSWORD", PASSWORD)
        .output()
        .expect("run ironprep");
    assert_no_password(&output);
    output
}

pub fn assert_no_password(output: &Output) {
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(PASSWORD),
            "the BMC password appeared on {name}:\n{text}"
        );
    }
}

pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A host of a fleet report, by name.
pub fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|host| host["host"] == name)
        .unwrap_or_else(|| panic!("no host {name} in {report:#}"))
}

/// `check id → status` of a reported host.
pub fn statuses(host: &Value) -> Vec<(String, String)> {
    host["report"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("not reported: {host:#}"))
        .iter()
        .map(|check| {
            (
                check["id"].as_str().unwrap().to_owned(),
                check["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
