//! One handoff endpoint, probed step by step the way a host's elemental-system-agent will meet
//! it (SPEC §4): DNS, TCP, TLS verified against the given trust anchors only, then an
//! HTTP/1.1 `GET` over that very connection. Each step is timed and the whole probe keeps one
//! deadline, so a port that accepts and never answers costs the timeout and no more.
//!
//! A `401` or `200` passes: it proves the request reached the platform ingress (the seed's
//! `curl -kI https://<vip>/kubernetes/global/version`). Shared by `ironprep probe` and the
//! agent's `reach.*` checks, so it is synchronous (std sockets + rustls) like [`crate::probe`].

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};

use crate::certificate::CertificateFacts;
use crate::probe::{Recorder, describe_rustls_error, parse_target, server_name};

/// The platform ingress path of the handoff endpoints; a URL without a path means it.
pub const PLATFORM_PATH: &str = "/kubernetes/global";
/// The bootstrap endpoint's port on the installer host (`https://<host-ip>:12443`).
pub const BOOTSTRAP_PORT: u16 = 12443;
/// The kube-apiserver's port: never a handoff endpoint.
pub const APISERVER_PORT: u16 = 6443;
/// Answers that prove the platform ingress (or the registry) answered.
pub const ACCEPTED_STATUSES: &[u16] = &[200, 401];
/// How much of the response is read: the status line and headers are all that is judged.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Why a probe cannot even be attempted: the input is unusable (exit 2 at the command line).
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("invalid URL '{0}': expected https://HOST[:PORT][/PATH]")]
    Url(String),
    #[error("'{0}' is not an https URL: the handoff endpoints speak TLS only")]
    NotHttps(String),
    /// CR/LF in a URL would be written into the request line (header injection); the
    /// URL is shown escaped.
    #[error("invalid URL {0:?}: control characters and spaces are not allowed in a URL")]
    UrlControl(String),
    #[error("invalid registry address '{0}': expected HOST[:PORT]")]
    Registry(String),
    #[error("invalid server name '{0}': not an IP address or DNS name")]
    ServerName(String),
    #[error("the CA cannot be used as a trust anchor: {0}")]
    Anchor(String),
    #[error("no trust anchors: give a CA (or use the system roots)")]
    NoAnchors,
}

/// Where to connect and what to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// An IP address (without brackets) or a DNS name.
    pub host: String,
    pub port: u16,
    /// The path the `GET` asks for, starting with `/`.
    pub path: String,
}

impl Target {
    /// A platform ingress endpoint from its URL (`https://10.0.0.5`, `https://IP:12443`,
    /// `https://platform.example/kubernetes/global`): `GET <path>/version`, where a URL without
    /// a path means [`PLATFORM_PATH`].
    pub fn ingress(url: &str) -> Result<Target, EndpointError> {
        let (host, port, path) = split_url(url)?;
        let base = match path.trim_end_matches('/') {
            "" => PLATFORM_PATH,
            base => base,
        };
        Ok(Target {
            host,
            port,
            path: format!("{base}/version"),
        })
    }

    /// The registry from `global.registry.address` (`HOST[:PORT]`, or an https URL):
    /// `GET /v2/`, the Docker registry API root.
    pub fn registry(address: &str) -> Result<Target, EndpointError> {
        let url = if address.contains("://") {
            address.to_owned()
        } else {
            if address.contains('/') {
                return Err(EndpointError::Registry(address.to_owned()));
            }
            format!("https://{address}")
        };
        let (host, port, _) = split_url(&url).map_err(|error| match error {
            EndpointError::NotHttps(_) => error,
            _ => EndpointError::Registry(address.to_owned()),
        })?;
        Ok(Target {
            host,
            port,
            path: "/v2/".to_owned(),
        })
    }

    /// The bootstrap endpoint on the installer host: `https://IP:12443/kubernetes/global`.
    pub fn bootstrap(host_ip: IpAddr) -> Target {
        Target {
            host: host_ip.to_string(),
            port: BOOTSTRAP_PORT,
            path: format!("{PLATFORM_PATH}/version"),
        }
    }

    /// `host` or `[v6]`, with `:port` unless it is 443: the `Host` header and URL authority.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 443 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The full URL of the request.
    pub fn url(&self) -> String {
        format!("https://{}{}", self.authority(), self.path)
    }

    pub fn is_ip(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }
}

/// `https://` only; host, port (443 by default) and the path as given.
fn split_url(url: &str) -> Result<(String, u16, String), EndpointError> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(EndpointError::UrlControl(url.to_owned()));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(EndpointError::Url(url.to_owned()));
    };
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(EndpointError::NotHttps(url.to_owned()));
    }
    if rest.contains(['?', '#']) {
        return Err(EndpointError::Url(url.to_owned()));
    }
    let (host, port) = parse_target(url).map_err(|_| EndpointError::Url(url.to_owned()))?;
    let path = rest.find('/').map(|at| &rest[at..]).unwrap_or_default();
    if host.parse::<IpAddr>().is_err() {
        server_name(&host).map_err(|_| EndpointError::Url(url.to_owned()))?;
    }
    Ok((host, port, path.to_owned()))
}

/// The trust anchors a probe verifies against, and nothing else.
#[derive(Clone, Debug)]
pub struct Trust {
    roots: Arc<RootCertStore>,
}

impl Trust {
    /// The given CA certificates only (strict agent TLS).
    pub fn from_certificates(certificates: &[CertificateFacts]) -> Result<Trust, EndpointError> {
        let mut roots = RootCertStore::empty();
        for certificate in certificates {
            roots.add(certificate.der.clone()).map_err(|error| {
                EndpointError::Anchor(format!("{}: {error}", certificate.subject))
            })?;
        }
        Ok(Trust {
            roots: Arc::new(roots),
        })
    }

    /// Adds the operating system's trust store; returns how many roots it added.
    #[cfg(feature = "system-roots")]
    pub fn add_system_roots(&mut self) -> usize {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = (*self.roots).clone();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        self.roots = Arc::new(roots);
        added
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// One probe.
#[derive(Clone, Debug)]
pub struct EndpointRequest {
    pub target: Target,
    /// The IP or name to verify the certificate for; the target's host when `None`.
    pub server_name: Option<String>,
    pub trust: Trust,
    /// For all the steps together.
    pub timeout: Duration,
    /// The endpoint must be the platform ingress: port 6443 (the apiserver) is then a failure.
    pub ingress: bool,
}

/// The steps of a probe, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Dns,
    Tcp,
    Tls,
    Http,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Tls => "tls",
            Step::Http => "http",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step as it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    pub step: Step,
    pub elapsed: Duration,
    pub ok: bool,
    /// What the step saw (addresses, the verified name, the status line) or why it failed.
    pub detail: String,
}

/// What went wrong, as a value: the hint depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Unresolvable,
    Refused,
    TimedOut,
    /// Another network error (no route, network unreachable).
    Network,
    UnknownAuthority,
    /// The certificate does not carry the IP or name the hosts use.
    NameMismatch,
    /// Expired, not yet valid, wrong purpose, bad signature.
    Certificate,
    /// TLS failed before or after the certificate (no TLS on the port, protocol mismatch).
    Handshake,
    /// The server answered something other than 200 or 401.
    UnexpectedStatus,
    /// The server closed the connection or sent something that is not HTTP.
    NoResponse,
    /// Port 6443: the kube-apiserver, never a handoff endpoint.
    ApiserverPort,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub step: Step,
    pub kind: FailureKind,
    pub message: String,
}

/// The status line and the one header worth showing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// `HTTP/1.1 401 Unauthorized`.
    pub status_line: String,
    pub server: Option<String>,
}

impl HttpResponse {
    /// `401 Unauthorized (Server: nginx)`.
    pub fn describe(&self) -> String {
        let status = self
            .status_line
            .split_once(' ')
            .map_or(self.status_line.as_str(), |(_, rest)| rest);
        match &self.server {
            Some(server) => format!("{status} (Server: {server})"),
            None => status.to_owned(),
        }
    }
}

/// Everything a probe saw. `failure` is `None` exactly when the endpoint passed.
#[derive(Clone, Debug)]
pub struct EndpointOutcome {
    pub target: Target,
    /// What the host resolved to (the IP itself for an IP address).
    pub resolved: Vec<IpAddr>,
    /// The address the TCP connection reached.
    pub address: Option<SocketAddr>,
    /// `IP 10.0.0.5` or `name platform.example`.
    pub verified_for: String,
    /// The IP or name the certificate was verified for: `--server-name` when given, which may
    /// differ from the host connected to, and is what a reissued certificate must carry.
    pub server_name: String,
    /// The chain as served, leaf first, even when it did not verify.
    pub served: Vec<CertificateFacts>,
    pub protocol: Option<String>,
    pub response: Option<HttpResponse>,
    pub steps: Vec<StepRecord>,
    pub failure: Option<Failure>,
}

impl EndpointOutcome {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// One line for a person: the answer on success, the failed step and why otherwise.
    pub fn observed(&self) -> String {
        match &self.failure {
            None => {
                let answer = self
                    .response
                    .as_ref()
                    .map_or_else(String::new, HttpResponse::describe);
                let address = self.address.map(|a| a.to_string()).unwrap_or_default();
                format!(
                    "{answer} from {address}, TLS verified for {}",
                    self.verified_for
                )
            }
            Some(failure) => {
                let mut text = format!("{}: {}", failure.step, failure.message);
                if matches!(
                    failure.kind,
                    FailureKind::UnknownAuthority
                        | FailureKind::NameMismatch
                        | FailureKind::Certificate
                ) && let Some(leaf) = self.served.first()
                {
                    text.push_str(&format!(
                        "; served {} (SAN {})",
                        leaf.subject,
                        leaf.san_summary()
                    ));
                }
                text
            }
        }
    }

    /// `dns 0 ms · tcp 1 ms · tls 4 ms · http 2 ms`.
    pub fn timings(&self) -> String {
        self.steps
            .iter()
            .map(|step| format!("{} {} ms", step.step, step.elapsed.as_millis()))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// What to do about the failure, in commands where there is one.
    pub fn hint(&self) -> String {
        let Some(failure) = &self.failure else {
            return String::new();
        };
        let target = &self.target;
        match failure.kind {
            FailureKind::Unresolvable => format!(
                "add a DNS record for {} (or an /etc/hosts entry), or use the IP address; \
                 check with: getent hosts {}",
                target.host, target.host
            ),
            FailureKind::Refused => format!(
                "nothing listens on port {}: check that the service (the platform ingress \
                 global-alb2, or the registry) is up and that the address and port are right",
                target.port
            ),
            FailureKind::TimedOut => format!(
                "a firewall drops the traffic or the service hangs: open TCP {} from this \
                 host and check the service; curl -kI {}",
                target.port,
                target.url()
            ),
            FailureKind::Network => {
                "check routing from this host to the endpoint (ip route get ADDRESS)".to_owned()
            }
            FailureKind::UnknownAuthority => {
                "give the CA that signed the served certificate (dex.tls ca.crt, or the \
                 platform CA), or serve a certificate signed by this CA"
                    .to_owned()
            }
            FailureKind::NameMismatch => format!(
                "reissue the serving certificate with {} in its SAN (an IP address as an IP \
                 SAN: ironprep certs dex-tls --host-ip IP), then restart the ALB: kubectl -n \
                 cpaas-system rollout restart deploy/global-alb2",
                if self.server_name.parse::<IpAddr>().is_ok() {
                    format!("IP {}", self.server_name)
                } else {
                    self.server_name.clone()
                }
            ),
            FailureKind::Certificate => "reissue the serving certificate (ironprep certs \
                 dex-tls) and check this host's clock"
                .to_owned(),
            FailureKind::Handshake => format!(
                "the port does not speak TLS as expected: check that {} is the platform \
                 ingress",
                target.url()
            ),
            FailureKind::UnexpectedStatus | FailureKind::NoResponse => format!(
                "the answer did not come from the platform ingress (or the registry): check \
                 the address, port and path; curl -kI {}",
                target.url()
            ),
            FailureKind::ApiserverPort => format!(
                "use the platform ingress, https://{}{PLATFORM_PATH} (port 443, or 12443 \
                 on the bootstrap host), never the kube-apiserver on 6443",
                target.host
            ),
        }
    }
}

/// Runs the steps until one fails or the deadline passes. Never blocks past the deadline by
/// more than a scheduling slice: a DNS lookup that hangs is left behind in its own thread.
pub fn probe(request: &EndpointRequest) -> Result<EndpointOutcome, EndpointError> {
    let target = request.target.clone();
    let name_text = request
        .server_name
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let name = server_name(&name_text).map_err(|_| EndpointError::ServerName(name_text.clone()))?;
    let verified_for = match &name {
        ServerName::IpAddress(ip) => format!("IP {}", IpAddr::from(*ip)),
        _ => format!("name {name_text}"),
    };
    if request.trust.is_empty() {
        return Err(EndpointError::NoAnchors);
    }
    let config = client_config(&request.trust)?;
    let mut run = Run {
        deadline: Instant::now() + request.timeout,
        timeout: request.timeout,
        outcome: EndpointOutcome {
            target,
            resolved: Vec::new(),
            address: None,
            verified_for,
            server_name: name_text,
            served: Vec::new(),
            protocol: None,
            response: None,
            steps: Vec::new(),
            failure: None,
        },
    };
    run.steps(&config, name);
    if request.ingress && run.outcome.target.port == APISERVER_PORT {
        let answered = match &run.outcome.response {
            Some(response) => format!(" (it answered {})", response.describe()),
            None => String::new(),
        };
        run.outcome.failure = Some(Failure {
            step: run.outcome.failure.as_ref().map_or(Step::Tcp, |f| f.step),
            kind: FailureKind::ApiserverPort,
            message: format!(
                "port {APISERVER_PORT} is the kube-apiserver, not the platform ingress that \
                 hosts register through{answered}"
            ),
        });
    }
    Ok(run.outcome)
}

struct Run {
    deadline: Instant,
    timeout: Duration,
    outcome: EndpointOutcome,
}

/// A step's failure before it is recorded.
struct StepError {
    kind: FailureKind,
    message: String,
}

impl StepError {
    fn new(kind: FailureKind, message: impl Into<String>) -> StepError {
        StepError {
            kind,
            message: message.into(),
        }
    }
}

impl Run {
    fn steps(&mut self, config: &(Arc<ClientConfig>, Arc<Recorder>), name: ServerName<'static>) {
        let Some(addresses) = self.step(Step::Dns, Run::resolve) else {
            return;
        };
        let Some(mut socket) = self.step(Step::Tcp, |run| run.connect(&addresses)) else {
            return;
        };
        let Some(mut connection) =
            self.step(Step::Tls, |run| run.handshake(config, name, &mut socket))
        else {
            return;
        };
        if self
            .step(Step::Http, |run| run.request(&mut connection, &mut socket))
            .is_some()
        {
            connection.send_close_notify();
            let _ = socket.set_write_timeout(Some(Duration::from_millis(100)));
            let _ = connection.complete_io(&mut socket);
        }
    }

    /// Times one step and records it; `None` when it failed.
    fn step<T>(
        &mut self,
        step: Step,
        work: impl FnOnce(&mut Run) -> Result<(T, String), StepError>,
    ) -> Option<T> {
        let started = Instant::now();
        let result = if self.remaining().is_none() {
            Err(self.timed_out(step))
        } else {
            work(self)
        };
        let elapsed = started.elapsed();
        match result {
            Ok((value, detail)) => {
                self.outcome.steps.push(StepRecord {
                    step,
                    elapsed,
                    ok: true,
                    detail,
                });
                Some(value)
            }
            Err(error) => {
                self.outcome.steps.push(StepRecord {
                    step,
                    elapsed,
                    ok: false,
                    detail: error.message.clone(),
                });
                self.outcome.failure = Some(Failure {
                    step,
                    kind: error.kind,
                    message: error.message,
                });
                None
            }
        }
    }

    /// Time left before the deadline; `None` once it has passed.
    fn remaining(&self) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn timed_out(&self, step: Step) -> StepError {
        let what = match step {
            Step::Dns => "no DNS answer",
            Step::Tcp => "no TCP connection",
            Step::Tls => "no TLS handshake (the port accepts connections but does not answer)",
            Step::Http => "no HTTP answer",
        };
        StepError::new(
            FailureKind::TimedOut,
            format!("{what} within {}", seconds(self.timeout)),
        )
    }

    fn resolve(&mut self) -> Result<(Vec<SocketAddr>, String), StepError> {
        let host = self.outcome.target.host.clone();
        let port = self.outcome.target.port;
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.outcome.resolved = vec![ip];
            return Ok((
                vec![SocketAddr::new(ip, port)],
                format!("{ip} (an IP address, no lookup)"),
            ));
        }
        let (sender, receiver) = mpsc::channel();
        let lookup = host.clone();
        // getaddrinfo cannot be cancelled; a lookup that outlives the deadline is abandoned.
        std::thread::spawn(move || {
            let _ = sender.send((lookup.as_str(), port).to_socket_addrs());
        });
        let waited = self.remaining().unwrap_or_default();
        let addresses: Vec<SocketAddr> = match receiver.recv_timeout(waited) {
            Ok(Ok(addresses)) => addresses.collect(),
            Ok(Err(error)) => {
                return Err(StepError::new(
                    FailureKind::Unresolvable,
                    format!("cannot resolve {host}: {}", lowercase_io(&error)),
                ));
            }
            Err(_) => return Err(self.timed_out(Step::Dns)),
        };
        let mut resolved: Vec<IpAddr> = Vec::new();
        for address in &addresses {
            if !resolved.contains(&address.ip()) {
                resolved.push(address.ip());
            }
        }
        if resolved.is_empty() {
            return Err(StepError::new(
                FailureKind::Unresolvable,
                format!("cannot resolve {host}: no address"),
            ));
        }
        let detail = format!("{host} resolves to {}", join(&resolved));
        self.outcome.resolved = resolved;
        Ok((addresses, detail))
    }

    fn connect(&mut self, addresses: &[SocketAddr]) -> Result<(TcpStream, String), StepError> {
        let mut errors = Vec::new();
        let mut kind = FailureKind::Network;
        for address in addresses {
            let Some(left) = self.remaining() else {
                return Err(self.timed_out(Step::Tcp));
            };
            match TcpStream::connect_timeout(address, left) {
                Ok(socket) => {
                    self.outcome.address = Some(*address);
                    let _ = socket.set_nodelay(true);
                    return Ok((socket, format!("connected to {address}")));
                }
                Err(error) => {
                    let (this_kind, text) = match error.kind() {
                        io::ErrorKind::ConnectionRefused => (
                            FailureKind::Refused,
                            format!("connection refused by {address}: nothing listens there"),
                        ),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (
                            FailureKind::TimedOut,
                            format!("no answer from {address} within {}", seconds(self.timeout)),
                        ),
                        _ => (
                            FailureKind::Network,
                            format!("cannot connect to {address}: {}", lowercase_io(&error)),
                        ),
                    };
                    kind = this_kind;
                    errors.push(text);
                }
            }
        }
        Err(StepError::new(kind, errors.join("; ")))
    }

    fn handshake(
        &mut self,
        config: &(Arc<ClientConfig>, Arc<Recorder>),
        name: ServerName<'static>,
        socket: &mut TcpStream,
    ) -> Result<(ClientConnection, String), StepError> {
        let (config, recorder) = config;
        let mut connection = ClientConnection::new(config.clone(), name)
            .map_err(|error| StepError::new(FailureKind::Handshake, error.to_string()))?;
        let mut failed = None;
        while connection.is_handshaking() {
            let Some(left) = self.remaining() else {
                failed = Some(self.timed_out(Step::Tls));
                break;
            };
            let _ = socket.set_read_timeout(Some(left));
            let _ = socket.set_write_timeout(Some(left));
            if let Err(error) = connection.complete_io(socket) {
                failed = Some(match error.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                        self.timed_out(Step::Tls)
                    }
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
                        StepError::new(
                            FailureKind::Handshake,
                            "the server closed the connection during the TLS handshake",
                        )
                    }
                    _ => StepError::new(FailureKind::Handshake, error.to_string()),
                });
                break;
            }
        }
        self.outcome.served = recorder
            .served
            .lock()
            .map(|served| served.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|der| CertificateFacts::parse(der).ok())
            .collect();
        let rejection = recorder
            .verdict
            .lock()
            .ok()
            .and_then(|mut verdict| verdict.take());
        if let Some(error) = rejection {
            let (kind, message) = match &error {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => (
                    FailureKind::UnknownAuthority,
                    describe_rustls_error(&error, &self.outcome.verified_for),
                ),
                // Two bootstrap CAs made separately share the name baremetal-bootstrap-ca:
                // the issuer is found by name and only the signature tells them apart.
                rustls::Error::InvalidCertificate(CertificateError::BadSignature) => (
                    FailureKind::UnknownAuthority,
                    "unknown authority: the served chain names the given CA as its issuer but \
                     was signed by another key (a CA of the same name made separately?)"
                        .to_owned(),
                ),
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                ) => (
                    FailureKind::NameMismatch,
                    describe_rustls_error(&error, &self.outcome.verified_for),
                ),
                _ => (
                    FailureKind::Certificate,
                    describe_rustls_error(&error, &self.outcome.verified_for),
                ),
            };
            return Err(StepError::new(kind, message));
        }
        if let Some(failed) = failed {
            return Err(failed);
        }
        let protocol = connection.protocol_version().map(|version| {
            match connection.negotiated_cipher_suite() {
                Some(suite) => format!("{version:?} {:?}", suite.suite()),
                None => format!("{version:?}"),
            }
        });
        self.outcome.protocol = protocol.clone();
        let served = self
            .outcome
            .served
            .first()
            .map(|leaf| format!("; serves {} (SAN {})", leaf.subject, leaf.san_summary()))
            .unwrap_or_default();
        Ok((
            connection,
            format!(
                "verified for {} ({}){served}",
                self.outcome.verified_for,
                protocol.as_deref().unwrap_or("TLS")
            ),
        ))
    }

    fn request(
        &mut self,
        connection: &mut ClientConnection,
        socket: &mut TcpStream,
    ) -> Result<((), String), StepError> {
        let target = &self.outcome.target;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ironprep/{}\r\nAccept: */*\r\n\
             Connection: close\r\n\r\n",
            target.path,
            target.authority(),
            env!("CARGO_PKG_VERSION")
        );
        let line = format!("GET {}", target.path);
        let mut head = Vec::new();
        {
            let mut stream = rustls::Stream::new(connection, socket);
            stream.write_all(request.as_bytes()).map_err(|error| {
                StepError::new(
                    FailureKind::NoResponse,
                    format!("cannot send the request: {}", lowercase_io(&error)),
                )
            })?;
            let mut buffer = [0_u8; 4096];
            while !head.windows(4).any(|window| window == b"\r\n\r\n")
                && head.len() < MAX_HEAD_BYTES
            {
                let Some(left) = self.remaining() else {
                    return Err(self.timed_out(Step::Http));
                };
                let _ = stream.sock.set_read_timeout(Some(left));
                match stream.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(read) => head.extend_from_slice(&buffer[..read]),
                    Err(error)
                        if matches!(
                            error.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        return Err(self.timed_out(Step::Http));
                    }
                    Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => break,
                    Err(error) if head.is_empty() => {
                        return Err(StepError::new(
                            FailureKind::NoResponse,
                            format!("{line}: {}", lowercase_io(&error)),
                        ));
                    }
                    Err(_) => break,
                }
            }
        }
        if head.is_empty() {
            return Err(StepError::new(
                FailureKind::NoResponse,
                format!("{line}: the server closed the connection without an answer"),
            ));
        }
        let Some(response) = parse_head(&head) else {
            let start = String::from_utf8_lossy(&head[..head.len().min(40)]).into_owned();
            return Err(StepError::new(
                FailureKind::NoResponse,
                format!("{line}: not an HTTP answer ({start:?})"),
            ));
        };
        let described = response.describe();
        let accepted = ACCEPTED_STATUSES.contains(&response.status);
        self.outcome.response = Some(response);
        if accepted {
            Ok(((), format!("{line} → {described}")))
        } else {
            Err(StepError::new(
                FailureKind::UnexpectedStatus,
                format!(
                    "{line} answered {described}, expected {}",
                    ACCEPTED_STATUSES
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ))
        }
    }
}

/// The status line and `Server` header of a response head.
fn parse_head(head: &[u8]) -> Option<HttpResponse> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?.trim().to_owned();
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let server = lines.take_while(|line| !line.is_empty()).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("server")
            .then(|| value.trim().to_owned())
    });
    Some(HttpResponse {
        status,
        status_line,
        server,
    })
}

/// A client configuration that trusts only `trust` and records what was served.
fn client_config(trust: &Trust) -> Result<(Arc<ClientConfig>, Arc<Recorder>), EndpointError> {
    let provider = Arc::new(crate::crypto::provider());
    let inner = WebPkiServerVerifier::builder_with_provider(trust.roots.clone(), provider.clone())
        .build()
        .map_err(|error| EndpointError::Anchor(error.to_string()))?;
    let recorder = Arc::new(Recorder::new(inner));
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| EndpointError::Anchor(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    Ok((Arc::new(config), recorder))
}

fn seconds(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{} s", millis / 1000)
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

fn join(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Connection refused (os error 111)` → `connection refused (os error 111)`.
fn lowercase_io(error: &io::Error) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_request_line() {
        for url in [
            "https://127.0.0.1/x\r\nX-Evil: 1",
            "https://127.0.0.1/\nGET / HTTP/1.1",
            "https://127.0.0.1/a b",
            "https://127.0.0.1/\u{1b}[2J",
        ] {
            let error = Target::ingress(url).unwrap_err();
            assert!(
                matches!(error, EndpointError::UrlControl(_)),
                "{url:?}: {error}"
            );
            // Shown escaped: the terminal never receives the raw CR/LF or escape.
            assert!(
                !error.to_string().contains(['\r', '\n', '\u{1b}']),
                "{error}"
            );
        }
        assert!(matches!(
            Target::registry("10.0.0.5:11443\r\nX: y"),
            Err(EndpointError::UrlControl(_) | EndpointError::Registry(_))
        ));
    }

    #[test]
    fn ingress_urls_default_to_the_platform_path() {
        let target = Target::ingress("https://10.0.0.5").unwrap();
        assert_eq!(target.url(), "https://10.0.0.5/kubernetes/global/version");
        let target = Target::ingress("https://10.0.0.5:12443/").unwrap();
        assert_eq!(
            target.url(),
            "https://10.0.0.5:12443/kubernetes/global/version"
        );
        let target = Target::ingress("https://platform.example/kubernetes/global").unwrap();
        assert_eq!(target.host, "platform.example");
        assert_eq!(target.path, "/kubernetes/global/version");
        let target = Target::ingress("https://[fd00::5]:8443/x/").unwrap();
        assert_eq!(target.url(), "https://[fd00::5]:8443/x/version");
        assert_eq!(target.authority(), "[fd00::5]:8443");
    }

    #[test]
    fn bad_urls_are_input_errors() {
        assert!(matches!(
            Target::ingress("http://10.0.0.5"),
            Err(EndpointError::NotHttps(_))
        ));
        for bad in ["10.0.0.5", "https://", "https://host:port", "https://h/?q"] {
            assert!(
                matches!(Target::ingress(bad), Err(EndpointError::Url(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn registries_are_host_and_port() {
        let target = Target::registry("10.0.0.5:11443").unwrap();
        assert_eq!(target.url(), "https://10.0.0.5:11443/v2/");
        let target = Target::registry("https://registry.example").unwrap();
        assert_eq!(target.url(), "https://registry.example/v2/");
        assert!(Target::registry("10.0.0.5:x").is_err());
        assert!(Target::registry("a/b").is_err());
        assert!(matches!(
            Target::registry("http://10.0.0.5"),
            Err(EndpointError::NotHttps(_))
        ));
    }

    #[test]
    fn the_bootstrap_endpoint_is_port_12443() {
        let target = Target::bootstrap("192.168.122.10".parse().unwrap());
        assert_eq!(
            target.url(),
            "https://192.168.122.10:12443/kubernetes/global/version"
        );
    }

    #[test]
    fn response_heads_give_status_and_server() {
        let head = b"HTTP/1.1 401 Unauthorized\r\nserver: nginx/1.25\r\nX: y\r\n\r\n";
        let response = parse_head(head).unwrap();
        assert_eq!(response.status, 401);
        assert_eq!(response.describe(), "401 Unauthorized (Server: nginx/1.25)");
        assert_eq!(
            parse_head(b"HTTP/1.0 200\r\n\r\n").unwrap().describe(),
            "200"
        );
        assert!(parse_head(b"SSH-2.0-OpenSSH_9.6\r\n").is_none());
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(seconds(Duration::from_secs(5)), "5 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
