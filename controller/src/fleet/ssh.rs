//! SSH sessions with russh: connect (directly or through a chain of jump hosts), verify the host key
//! against known_hosts before anything runs, authenticate with keys (RSA with the rsa-sha2
//! fallback chain old servers need) or ssh-agent, and run one command with stdin.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use russh::client::{self, AuthResult, Handle};
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, Preferred};
use tokio::io::AsyncWriteExt as _;

use super::known_hosts::{KnownHosts, Verdict, host_name};

/// What to do with a host whose key is not in known_hosts. There is deliberately no "off".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum HostKeyPolicy {
    /// Unknown and changed keys stop the host.
    #[default]
    Strict,
    /// Unknown keys are trusted and appended to known_hosts; changed keys still stop the host.
    AcceptNew,
}

/// A private key, decrypted once and shared by every connection.
#[derive(Clone)]
pub struct Identity {
    pub path: PathBuf,
    pub key: Arc<PrivateKey>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        write!(f, "Identity({})", self.path.display())
    }
}

/// How to reach and log in to hosts; shared by every host of a run.
pub struct SshContext {
    pub known_hosts: Arc<KnownHosts>,
    pub policy: HostKeyPolicy,
    /// `--ssh-key` files (or the default ones), tried in order.
    pub identities: Vec<Identity>,
    /// Keys named by the inventory for some hosts, loaded once.
    pub host_identities: HashMap<PathBuf, Identity>,
    /// Ask ssh-agent (`SSH_AUTH_SOCK`) as well.
    pub use_agent: bool,
    /// Sessions to jump hosts, opened once and shared; targets behind them are reached
    /// through direct-tcpip channels.
    pub jumps: JumpPool,
    /// known_hosts files named per host by `UserKnownHostsFile`, each loaded once.
    pub host_known_hosts: HashMap<Vec<PathBuf>, Arc<KnownHosts>>,
}

/// A host to log in to.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub key_file: Option<PathBuf>,
    /// What ssh_config, `--jump` and the inventory's ssh arguments add.
    pub options: HostOptions,
}

/// How a host is reached beyond its address: from ssh_config, `--jump`, ansible ssh args.
#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    /// Hosts passed through, outermost first; each hop's own options apply to it.
    pub jump: Vec<Target>,
    /// `IdentityFile`s, tried after the inventory's key and before `--ssh-key`'s.
    pub identity_files: Vec<PathBuf>,
    /// `IdentitiesOnly yes`: no ssh-agent keys for this host.
    pub identities_only: bool,
    /// `UserKnownHostsFile`, when no `--known-hosts` was given.
    pub known_hosts: Option<Vec<PathBuf>>,
    /// `StrictHostKeyChecking yes`: unknown keys stop this host even under accept-new.
    pub strict: bool,
    /// `ConnectTimeout`: most the TCP connection and the SSH handshake may take.
    pub connect_timeout: Option<Duration>,
}

impl Target {
    pub fn display_address(&self) -> String {
        if self.address.contains(':') {
            format!("[{}]:{}", self.address, self.port)
        } else {
            format!("{}:{}", self.address, self.port)
        }
    }

    /// The name known_hosts must list this host under, as OpenSSH looks it up: the address
    /// connected to (`ansible_host`, or the name when there is none), `[address]:port` off
    /// port 22. The inventory name is not an alias: a key listed under it must not vouch for
    /// an address whose own line lists another key.
    fn known_names(&self) -> Vec<String> {
        vec![host_name(&self.address, self.port)]
    }
}

/// Why a session could not be set up; each maps to one host outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    Unreachable(String),
    HostKey(String),
    /// Strict checking and no key listed for the host (first contact).
    HostKeyUnknown(String),
    Auth(String),
}

/// The russh handler: it verifies the host key and records why it refused one.
pub struct Client {
    known_hosts: Arc<KnownHosts>,
    names: Vec<String>,
    policy: HostKeyPolicy,
    refusal: Arc<Mutex<Option<ConnectError>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = server_key.public_key();
        let fingerprint = key.fingerprint(HashAlg::Sha256);
        let refuse_as = |error: ConnectError| {
            if let Ok(mut slot) = self.refusal.lock() {
                *slot = Some(error);
            }
            Ok(false)
        };
        let refuse = |message: String| refuse_as(ConnectError::HostKey(message));
        match self.known_hosts.verify(&self.names, &key) {
            Verdict::Known => Ok(true),
            Verdict::Unknown if self.policy == HostKeyPolicy::AcceptNew => {
                match self.known_hosts.learn(&self.names[0], &key) {
                    Ok(()) => Ok(true),
                    Err(error) => refuse(format!("cannot record the new host key: {error}")),
                }
            }
            Verdict::Unknown => refuse_as(ConnectError::HostKeyUnknown(format!(
                "the host key ({} {fingerprint}) is not in known_hosts; add it (ssh-keyscan) or \
                 use --host-key-policy accept-new",
                key.algorithm()
            ))),
            Verdict::Changed { file, line } => refuse(format!(
                "the host key changed: the server offers {} {fingerprint}, {}:{line} lists \
                 another key; nothing was run (a reinstalled host, or a man in the middle)",
                key.algorithm(),
                file.display()
            )),
            Verdict::ChangedInRun { first } => refuse(format!(
                "the host key changed during this run: the server offers {} {fingerprint}, \
                 another connection to {} learned {first}; nothing was run",
                key.algorithm(),
                self.names[0]
            )),
            Verdict::Revoked { file, line } => refuse(format!(
                "the host key {fingerprint} is marked @revoked ({}:{line}); nothing was run",
                file.display()
            )),
        }
    }
}

fn client_config(names_algorithms: Option<Vec<russh::keys::Algorithm>>) -> client::Config {
    let mut preferred = Preferred::default();
    if let Some(algorithms) = names_algorithms {
        preferred.key = Cow::Owned(algorithms);
    }
    client::Config {
        preferred,
        nodelay: true,
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        // The per-host --timeout bounds everything; no separate inactivity timer, which
        // would end channels silently (see notes §1.2).
        inactivity_timeout: None,
        ..client::Config::default()
    }
}

/// A TCP stream that acknowledges what it receives at once. sshd does not set TCP_NODELAY on a
/// session without a terminal, so a small message it sends after another waits for the ACK of
/// the first, and Linux delays that ACK by up to 40 ms: twice or more per host in the handshake
/// and the channel's start. TCP_QUICKACK is not sticky (the kernel leaves quick-ACK mode on its
/// own), so it is set again after every read; one setsockopt per read is nothing beside a round
/// trip.
struct QuickAck(tokio::net::TcpStream);

impl QuickAck {
    /// Also sets TCP_NODELAY: `Config::nodelay` is applied by `client::connect` only, not to a
    /// stream handed to `connect_stream`, and with Nagle on our small messages wait for the
    /// server's delayed ACK the same way.
    fn new(stream: tokio::net::TcpStream) -> QuickAck {
        let _ = stream.set_nodelay(true);
        QuickAck(stream)
    }
}

impl tokio::io::AsyncRead for QuickAck {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.0).poll_read(cx, buf);
        if matches!(poll, std::task::Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let _ = socket2::SockRef::from(&self.0).set_tcp_quickack(true);
        }
        poll
    }
}

impl tokio::io::AsyncWrite for QuickAck {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Jump-host sessions by chain (every hop up to and including this one), each opened at most
/// once per run and shared by the hosts behind it; a failure is kept, so every host behind it
/// reports it without retrying.
#[derive(Default)]
pub struct JumpPool {
    sessions: tokio::sync::Mutex<HashMap<Vec<String>, Arc<JumpSlot>>>,
}

type JumpSlot = tokio::sync::OnceCell<Result<Arc<Handle<Client>>, ConnectError>>;

impl JumpPool {
    /// Ends every jump session (the hosts behind them are done).
    pub async fn close(&self) {
        let sessions: Vec<Arc<JumpSlot>> = self.sessions.lock().await.values().cloned().collect();
        for slot in sessions {
            if let Some(Ok(handle)) = slot.get() {
                let _ = handle
                    .disconnect(russh::Disconnect::ByApplication, "", "en")
                    .await;
            }
        }
    }
}

impl ConnectError {
    pub fn message(&self) -> &str {
        match self {
            ConnectError::Unreachable(message)
            | ConnectError::HostKey(message)
            | ConnectError::HostKeyUnknown(message)
            | ConnectError::Auth(message) => message,
        }
    }
}

/// Connects (through the target's jump hosts, each session shared), verifies the host key and
/// logs in. The caller bounds the time.
pub async fn connect(
    context: &SshContext,
    target: &Target,
) -> Result<Handle<Client>, ConnectError> {
    let mut via: Option<Arc<Handle<Client>>> = None;
    for (index, hop) in target.options.jump.iter().enumerate() {
        let chain: Vec<String> = target.options.jump[..=index]
            .iter()
            .map(|hop| format!("{}@{}", hop.user, hop.display_address()))
            .collect();
        let slot = context
            .jumps
            .sessions
            .lock()
            .await
            .entry(chain)
            .or_default()
            .clone();
        let session = slot
            .get_or_init(|| async {
                connect_one(context, hop, via.as_deref())
                    .await
                    .map(Arc::new)
            })
            .await;
        match session {
            Ok(handle) => via = Some(handle.clone()),
            Err(error) => {
                return Err(ConnectError::Unreachable(format!(
                    "the jump host {}: {}",
                    hop.name,
                    error.message()
                )));
            }
        }
    }
    connect_one(context, target, via.as_deref()).await
}

async fn connect_one(
    context: &SshContext,
    target: &Target,
    via: Option<&Handle<Client>>,
) -> Result<Handle<Client>, ConnectError> {
    let names = target.known_names();
    let known_hosts = target
        .options
        .known_hosts
        .as_ref()
        .and_then(|files| context.host_known_hosts.get(files))
        .unwrap_or(&context.known_hosts)
        .clone();
    let config = Arc::new(client_config(known_hosts.algorithms(&names)));
    let refusal = Arc::new(Mutex::new(None));
    let handler = Client {
        known_hosts,
        names,
        policy: if target.options.strict {
            HostKeyPolicy::Strict
        } else {
            context.policy
        },
        refusal: refusal.clone(),
    };
    let handshake = async {
        match via {
            None => {
                let stream = tokio::net::TcpStream::connect((target.address.as_str(), target.port))
                    .await
                    .map_err(|error| {
                        ConnectError::Unreachable(format!("cannot connect: {error}"))
                    })?;
                Ok(client::connect_stream(config, QuickAck::new(stream), handler).await)
            }
            Some(jump) => {
                let channel = jump
                    .channel_open_direct_tcpip(
                        target.address.clone(),
                        target.port.into(),
                        "127.0.0.1",
                        0,
                    )
                    .await
                    .map_err(|error| {
                        ConnectError::Unreachable(format!(
                            "the jump host cannot connect to {}: {error}",
                            target.display_address()
                        ))
                    })?;
                Ok(client::connect_stream(config, channel.into_stream(), handler).await)
            }
        }
    };
    let handshake = match target.options.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, handshake)
            .await
            .unwrap_or_else(|_| {
                Err(ConnectError::Unreachable(format!(
                    "no SSH handshake within ConnectTimeout {} s",
                    limit.as_secs()
                )))
            })?,
        None => handshake.await?,
    };
    let mut handle = match handshake {
        Ok(handle) => handle,
        Err(error) => {
            let refused = refusal.lock().ok().and_then(|slot| slot.clone());
            return Err(match refused {
                Some(refused) => refused,
                None => ConnectError::Unreachable(format!("ssh handshake failed: {error}")),
            });
        }
    };
    authenticate(&mut handle, context, target).await?;
    Ok(handle)
}

async fn authenticate(
    handle: &mut Handle<Client>,
    context: &SshContext,
    target: &Target,
) -> Result<(), ConnectError> {
    let user = target.user.as_str();
    let lost = |error: russh::Error| {
        ConnectError::Unreachable(format!("connection lost during authentication: {error}"))
    };
    let mut identities: Vec<&Identity> = Vec::new();
    for path in target.key_file.iter().chain(&target.options.identity_files) {
        if let Some(identity) = context.host_identities.get(path)
            && !identities.iter().any(|known| known.path == identity.path)
        {
            identities.push(identity);
        }
    }
    identities.extend(context.identities.iter());
    let mut tried = Vec::new();
    for identity in identities {
        tried.push(identity.path.display().to_string());
        let hashes = if identity.key.algorithm().is_rsa() {
            rsa_hashes(handle).await
        } else {
            vec![None]
        };
        for hash in hashes {
            let key = PrivateKeyWithHashAlg::new(identity.key.clone(), hash);
            match handle
                .authenticate_publickey(user, key)
                .await
                .map_err(lost)?
            {
                AuthResult::Success => return Ok(()),
                AuthResult::Failure { .. } => {}
            }
        }
    }
    if context.use_agent
        && !target.options.identities_only
        && let Ok(mut agent) = AgentClient::connect_env().await
    {
        let identities = agent.request_identities().await.unwrap_or_default();
        for identity in identities {
            let AgentIdentity::PublicKey { key, comment } = identity else {
                continue;
            };
            tried.push(format!("ssh-agent key {comment}"));
            let hashes = if key.algorithm().is_rsa() {
                rsa_hashes(handle).await
            } else {
                vec![None]
            };
            for hash in hashes {
                match handle
                    .authenticate_publickey_with(user, key.clone(), hash, &mut agent)
                    .await
                {
                    Ok(AuthResult::Success) => return Ok(()),
                    Ok(AuthResult::Failure { .. }) => {}
                    Err(error) => {
                        if handle.is_closed() {
                            return Err(ConnectError::Unreachable(format!(
                                "connection lost during authentication: {error:?}"
                            )));
                        }
                    }
                }
            }
        }
    }
    Err(ConnectError::Auth(if tried.is_empty() {
        format!("no key to log in as {user} (pass --ssh-key, or set SSH_AUTH_SOCK)")
    } else {
        format!(
            "the server refused every key for user {user} (tried {})",
            tried.join(", ")
        )
    }))
}

/// rsa-sha2-512, then -256, then ssh-rsa: servers that restrict PubkeyAcceptedAlgorithms
/// still advertise rsa-sha2 in server-sig-algs, so the advertised best is only the first try.
async fn rsa_hashes(handle: &Handle<Client>) -> Vec<Option<HashAlg>> {
    let best = handle.best_supported_rsa_hash().await.ok().flatten();
    let mut hashes = Vec::new();
    if let Some(best) = best {
        hashes.push(best);
    }
    for hash in [Some(HashAlg::Sha512), Some(HashAlg::Sha256), None] {
        if !hashes.contains(&hash) {
            hashes.push(hash);
        }
    }
    hashes
}

/// Why a command could not be run over an open connection (the host is attached by the
/// caller's report entry).
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("cannot open a session channel: {0}")]
    Open(russh::Error),
    #[error("cannot request a terminal: {0}")]
    Terminal(russh::Error),
    #[error("cannot start the command: {0}")]
    Start(russh::Error),
    #[error("the server refused to run the command")]
    Refused,
}

/// How a remote command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Status(u32),
    Signal(String),
    /// The channel closed without an exit status: the connection or sshd went away.
    Lost,
}

#[derive(Debug)]
pub struct CommandOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit: Exit,
    /// When the last byte of stdin was sent: the host cannot have started the agent before.
    pub stdin_done: Option<Instant>,
}

/// Most an agent report may be; beyond it the output is cut (and will not parse).
const MAX_OUTPUT: usize = 64 << 20;
/// Most of a host's stderr kept: what the script and the agent say there is a few lines; a
/// host flooding it costs neither memory nor time beyond this (the rest is counted, not kept).
pub const MAX_STDERR: usize = 64 << 10;

/// Runs `command`, streaming `stdin` to it, and collects the output until the channel ends.
/// `on_stderr` sees stderr as it arrives (the remote side announces its temp directory there).
pub async fn run(
    handle: &Handle<Client>,
    command: &str,
    stdin: Option<Arc<Vec<u8>>>,
    on_stderr: impl FnMut(&[u8]),
) -> Result<CommandOutput, ChannelError> {
    run_channel(handle, command, Input::Now(stdin), false, on_stderr).await
}

/// Like [`run`], but stdin is sent once `stdin` delivers it: the remote side first says on
/// stderr what it can receive (`on_stderr` decides and sends). Dropping the sender without
/// sending closes stdin empty.
pub async fn run_negotiated(
    handle: &Handle<Client>,
    command: &str,
    stdin: tokio::sync::oneshot::Receiver<Arc<Vec<u8>>>,
    on_stderr: impl FnMut(&[u8]),
) -> Result<CommandOutput, ChannelError> {
    run_channel(handle, command, Input::Later(stdin), false, on_stderr).await
}

/// What a command reads on stdin.
enum Input {
    Now(Option<Arc<Vec<u8>>>),
    Later(tokio::sync::oneshot::Receiver<Arc<Vec<u8>>>),
}

/// Runs `command` on a pseudo-terminal (for `sudo` under `Defaults requiretty`). Nothing is
/// sent on stdin and the channel's stdin is left open (a PTY would mangle binary input, and
/// EOF on a PTY is a ^D the command may read); stdout and stderr both arrive as stdout, with
/// CRLF line ends. `stdin_done` is when the command was started.
pub async fn run_on_pty(
    handle: &Handle<Client>,
    command: &str,
) -> Result<CommandOutput, ChannelError> {
    run_channel(handle, command, Input::Now(None), true, |_| {}).await
}

async fn run_channel(
    handle: &Handle<Client>,
    command: &str,
    stdin: Input,
    pty: bool,
    mut on_stderr: impl FnMut(&[u8]),
) -> Result<CommandOutput, ChannelError> {
    let mut channel = handle
        .channel_open_session()
        .await
        .map_err(ChannelError::Open)?;
    if pty {
        // No reply asked: a refused PTY shows as sudo's own "must have a tty" again.
        channel
            .request_pty(false, "dumb", 200, 24, 0, 0, &[])
            .await
            .map_err(ChannelError::Terminal)?;
    }
    channel
        .exec(true, command)
        .await
        .map_err(ChannelError::Start)?;
    let stdin_done = Arc::new(Mutex::new(None));
    if pty && let Ok(mut slot) = stdin_done.lock() {
        *slot = Some(Instant::now());
    }
    // Aborted when this future is dropped too (a timeout or Ctrl-C gave up on the host):
    // otherwise the upload would go on, and the cleanup's channel would queue behind it.
    let uploader = AbortOnDrop(if pty {
        tokio::spawn(async {})
    } else {
        let mut writer = channel.make_writer();
        let stdin_done = stdin_done.clone();
        tokio::spawn(async move {
            let stdin = match stdin {
                Input::Now(data) => data,
                Input::Later(chosen) => chosen.await.ok(),
            };
            let Some(data) = stdin else {
                let _ = writer.shutdown().await;
                return;
            };
            // A write error means the remote side stopped reading; its exit says why.
            if writer.write_all(&data).await.is_err() || writer.flush().await.is_err() {
                return;
            }
            if let Ok(mut slot) = stdin_done.lock() {
                *slot = Some(Instant::now());
            }
            // No EOF: the script reads the upload by length, and the end of its stdin then
            // means this controller (or the connection) is gone, so the host cleans up by
            // itself. The writer lives until the channel ends (this task is aborted then).
            std::future::pending::<()>().await;
            drop(writer);
        })
    });
    let mut output = CommandOutput {
        stdout: Vec::new(),
        stderr: Vec::new(),
        exit: Exit::Lost,
        stdin_done: None,
    };
    let (mut stdout_cut, mut stderr_cut) = (0usize, 0usize);
    // Until None: OpenSSH may send exit-status after EOF.
    while let Some(message) = channel.wait().await {
        match message {
            ChannelMsg::Data { data } => {
                stdout_cut += keep(&mut output.stdout, &data, MAX_OUTPUT);
            }
            ChannelMsg::ExtendedData { data, ext: 1 } => {
                on_stderr(&data);
                stderr_cut += keep(&mut output.stderr, &data, MAX_STDERR);
            }
            ChannelMsg::ExitStatus { exit_status } => output.exit = Exit::Status(exit_status),
            ChannelMsg::ExitSignal {
                signal_name,
                error_message,
                ..
            } => {
                output.exit =
                    Exit::Signal(format!("{signal_name:?} {error_message}").trim().to_owned())
            }
            ChannelMsg::Failure => {
                uploader.0.abort();
                return Err(ChannelError::Refused);
            }
            _ => {}
        }
    }
    uploader.0.abort();
    output.stdin_done = stdin_done.lock().ok().and_then(|slot| *slot);
    // Said first, so the excerpt of stderr a report shows always carries it.
    let mut notes = String::new();
    if stdout_cut > 0 {
        notes.push_str(&format!(
            "ironprep: the output was cut after {} MiB ({stdout_cut} more bytes not kept)\n",
            MAX_OUTPUT >> 20
        ));
    }
    if stderr_cut > 0 {
        notes.push_str(&format!(
            "ironprep: stderr was cut after {} KiB ({stderr_cut} more bytes not kept)\n",
            MAX_STDERR >> 10
        ));
    }
    if !notes.is_empty() {
        output.stderr.splice(0..0, notes.into_bytes());
    }
    Ok(output)
}

/// Appends what fits under `limit` and returns how many bytes were left out.
fn keep(buffer: &mut Vec<u8>, data: &[u8], limit: usize) -> usize {
    let room = limit.saturating_sub(buffer.len()).min(data.len());
    buffer.extend_from_slice(&data[..room]);
    data.len() - room
}

/// A spawned task that ends with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether a prompt can be shown and answered: rpassword reads and writes /dev/tty, so this
/// holds with stdin, stdout and stderr redirected as long as there is a controlling terminal.
pub fn terminal_available() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

/// Why a private key cannot be used. Names the file, never the passphrase.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot read the SSH key {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: ironprep_input::ReadError,
    },
    #[error(
        "the SSH key {} is encrypted and there is no terminal to ask for its passphrase (load \
         it into ssh-agent instead)",
        path.display()
    )]
    NoTerminal { path: PathBuf },
    #[error("cannot read the passphrase for {}: {cause}", path.display())]
    Prompt {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "cannot decrypt the SSH key {}: wrong passphrase or an unsupported encryption",
        path.display()
    )]
    Decrypt { path: PathBuf },
    #[error("cannot use the SSH key {}: {cause}", path.display())]
    Decode {
        path: PathBuf,
        /// Boxed: the decoder's error is large and this travels in every planning result.
        cause: Box<russh::keys::Error>,
    },
}

/// Loads a private key, asking for its passphrase on the terminal once when it is encrypted.
pub fn load_identity(path: &Path, can_prompt: bool) -> Result<Identity, IdentityError> {
    let owned = || path.to_owned();
    // An OpenSSH private key is a few KiB; a FIFO or device given by mistake is refused.
    let text =
        ironprep_input::read_to_string(path, 1024 * 1024).map_err(|cause| IdentityError::Read {
            path: owned(),
            cause,
        })?;
    let key = match russh::keys::decode_secret_key(&text, None) {
        Ok(key) => key,
        Err(russh::keys::Error::KeyIsEncrypted) => {
            if !can_prompt {
                return Err(IdentityError::NoTerminal { path: owned() });
            }
            let passphrase =
                rpassword::prompt_password(format!("passphrase for {}: ", path.display()))
                    .map_err(|cause| IdentityError::Prompt {
                        path: owned(),
                        cause,
                    })?;
            russh::keys::decode_secret_key(&text, Some(&passphrase))
                .map_err(|_| IdentityError::Decrypt { path: owned() })?
        }
        Err(cause) => {
            return Err(IdentityError::Decode {
                path: owned(),
                cause: Box::new(cause),
            });
        }
    };
    Ok(Identity {
        path: path.to_owned(),
        key: Arc::new(key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKb/sAeEj6DRXWjdQleOzj9jtMg06Gi97XUBQdD56IPb";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJK1NMSZAsMfY8bWyoox/HbcEd/jMshmAFwRuo7ptSje";

    /// Without these two options a host's session stalls on delayed ACKs: 151 ms a host
    /// against 74 ms with them (`fleet-bench.sh 100 1`), which is every host's latency on a
    /// real fleet.
    #[tokio::test]
    async fn the_ssh_socket_sends_at_once_and_acknowledges_at_once() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (client, server) = tokio::join!(tokio::net::TcpStream::connect(address), async {
            listener.accept().await.unwrap().0
        });
        let mut server = server;
        let client = client.unwrap();
        assert!(!client.nodelay().unwrap(), "a new socket has Nagle on");
        let mut stream = QuickAck::new(client);
        assert!(stream.0.nodelay().unwrap(), "Nagle off on the SSH socket");
        for round in 0..3u8 {
            // Delayed-ACK (ping-pong) mode on: what Linux enters by itself once a connection
            // looks interactive, as an SSH session does.
            socket2::SockRef::from(&stream.0)
                .set_tcp_quickack(false)
                .unwrap();
            assert!(!socket2::SockRef::from(&stream.0).tcp_quickack().unwrap());
            server.write_all(&[round; 4]).await.unwrap();
            let mut message = [0u8; 4];
            stream.read_exact(&mut message).await.unwrap();
            assert_eq!(message, [round; 4]);
            assert!(
                socket2::SockRef::from(&stream.0).tcp_quickack().unwrap(),
                "every read leaves the socket acknowledging at once"
            );
            stream.write_all(b"ok").await.unwrap();
            let mut answer = [0u8; 2];
            server.read_exact(&mut answer).await.unwrap();
            assert_eq!(&answer, b"ok");
        }
    }

    #[test]
    fn the_address_decides_never_the_inventory_name() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("known_hosts");
        std::fs::write(&file, format!("node1 {KEY_A}\n10.0.0.1 {KEY_B}\n")).unwrap();
        let known = KnownHosts::load(&[file]).unwrap();
        let target = Target {
            name: "node1".to_owned(),
            address: "10.0.0.1".to_owned(),
            port: 22,
            user: "root".to_owned(),
            key_file: None,
            options: HostOptions::default(),
        };
        let key = |text: &str| russh::keys::PublicKey::from_openssh(text).unwrap();
        // The address's own line lists B: A, listed only under the inventory name, is a
        // changed key (it was accepted before).
        assert!(matches!(
            known.verify(&target.known_names(), &key(KEY_A)),
            Verdict::Changed { line: 2, .. }
        ));
        assert_eq!(
            known.verify(&target.known_names(), &key(KEY_B)),
            Verdict::Known
        );
        let elsewhere = Target {
            port: 2222,
            ..target
        };
        assert_eq!(elsewhere.known_names(), ["[10.0.0.1]:2222"]);
    }
}
