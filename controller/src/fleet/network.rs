//! `ironprep check --network` (and `--vrid`): the network between hosts, measured by the
//! hosts themselves. Every host runs `ironprep-agent net-session` at the same time, in three
//! steps the controller paces over each host's SSH channel:
//!
//! 1. listen: each agent opens the free ports its peers will use (and, on control-plane hosts
//!    with `--vrid`, a VRRP listener) and says which it holds;
//! 2. connect: once every host listens, each gets its plan (peers, ports) and connects, all
//!    hosts at once, each `parallel` connects at a time; then times a few connects per peer;
//! 3. close: when every host has reported, stdin closes and each agent closes its sockets
//!    and says which UDP datagrams and VRRP advertisements it received.
//!
//! Hosts connect to and upload in parallel, bounded by `--concurrency`; a host that fails
//! leaves the others measuring each other.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ironprep_schema::net::{NetClosed, NetPlan, NetProbes, NetReady, NetTarget, Port, Protocol};
use ironprep_schema::{Cni, Role};
use russh::ChannelMsg;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use super::measurement::{Measurement, Session, required_ports};
use super::remote::{self, ANNOUNCEMENT_WINDOW, DIR_MARKER};
use super::runner::{Shared, describe};
use super::ssh::{self, Target};

/// Most milliseconds one connect may take before it counts as dropped: long enough for the
/// kernel's first two SYN retransmissions (after 1 s and 3 s), so a lost packet or a busy
/// sshd is not a firewall; a dropped port costs this once per peer.
const CONNECT_TIMEOUT_MS: u64 = 3_500;
/// Connects in flight at once on each host (50 hosts × 32 overflowed the simulator's packet
/// backlog on 2 cores and lost SYNs).
const PARALLEL_CONNECTS: usize = 16;
/// Timed connects per peer; the least counts.
const LATENCY_SAMPLES: u32 = 5;
/// How long control-plane agents listen for VRRP advertisements (keepalived sends one a
/// second by default).
pub const VRRP_SECONDS: u32 = 3;

/// What to measure.
#[derive(Clone, Debug)]
pub struct NetworkPlan {
    /// `--network`: the connectivity matrix and latency.
    pub ports: bool,
    /// `--vrid`: control-plane hosts listen for VRRP this long; 0: not at all.
    pub vrrp_seconds: u32,
    pub cni: Cni,
}

/// A host that takes part: reported in the check phase, with an address peers can use.
#[derive(Clone, Debug)]
pub struct NetHost {
    pub target: Target,
    pub roles: Vec<Role>,
    pub address: IpAddr,
}

/// The figures of a run, for the note on stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// From the first connect to the last agent closed.
    pub total: Duration,
    /// From the plans sent to the last host's probes received: the matrix itself.
    pub matrix: Duration,
    pub connections: usize,
}

enum Event {
    Ready(usize, Result<NetReady, SessionError>),
    Probed(usize, Result<NetProbes, SessionError>),
}

/// Why a host's session gave no measurement. Cloned: the coordinator is told as it happens
/// and the task returns it too. The host's name is attached by the report.
#[derive(Clone, Debug, thiserror::Error)]
enum SessionError {
    #[error("no connection within {} s", .0.as_secs())]
    ConnectTimeout(Duration),
    /// Already worded by the connection's classification.
    #[error("{0}")]
    Connect(String),
    #[error("cannot open a session channel: {0}")]
    Open(Arc<russh::Error>),
    #[error("cannot start the session: {0}")]
    Start(Arc<russh::Error>),
    #[error("cannot upload the agent: {0}")]
    Upload(Arc<russh::Error>),
    #[error("cannot upload the agent: compressing it failed in this controller")]
    Compress,
    #[error("the session did not start within {} s", .0.as_secs())]
    StartTimeout(Duration),
    #[error("cannot encode the plan: {0}")]
    EncodePlan(Arc<serde_json::Error>),
    #[error("cannot send the plan: {0}")]
    SendPlan(Arc<russh::Error>),
    #[error("no probe results within {} s", .0.as_secs())]
    ProbeTimeout(Duration),
    #[error("the agent did not close its listeners in time")]
    CloseTimeout,
    #[error("the agent's {step} line is not what was expected ({reason}): {excerpt}")]
    Unexpected {
        step: &'static str,
        reason: String,
        excerpt: String,
    },
    #[error("the agent's {step} line is over {} bytes", limit)]
    LineTooLong { step: &'static str, limit: usize },
    #[error("the session ended before {step} ({exit}){}", said(stderr))]
    Ended {
        step: &'static str,
        exit: String,
        stderr: Vec<String>,
    },
}

fn said(stderr: &[String]) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {}", stderr.join("; "))
    }
}

/// Most one JSON line of a session may be: the probes of a host towards 10,000 peers are a few
/// MiB; a host sending more without a line end is cut off instead of filling memory.
const MAX_LINE: usize = 64 << 20;

pub(super) async fn measure(
    shared: Arc<Shared>,
    hosts: Vec<NetHost>,
    plan: NetworkPlan,
    concurrency: usize,
    mut failed: BTreeMap<String, String>,
) -> (Measurement, Timing) {
    let started = Instant::now();
    let listen: Vec<Vec<Port>> = hosts
        .iter()
        .map(|host| {
            if !plan.ports {
                return Vec::new();
            }
            let ports: BTreeSet<Port> = hosts
                .iter()
                .filter(|peer| peer.target.name != host.target.name)
                .flat_map(|peer| required_ports(&host.roles, &peer.roles, plan.cni))
                .collect();
            ports.into_iter().collect()
        })
        .collect();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (close_tx, close_rx) = watch::channel(false);
    let semaphore = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut plans = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, host) in hosts.iter().enumerate() {
        let (plan_tx, plan_rx) = oneshot::channel();
        plans.push(Some(plan_tx));
        let vrrp = if host.roles.contains(&Role::ControlPlane) {
            plan.vrrp_seconds
        } else {
            0
        };
        let task = HostTask {
            shared: shared.clone(),
            target: host.target.clone(),
            index,
            listen: listen[index].clone(),
            vrrp_seconds: vrrp,
            events: events_tx.clone(),
            semaphore: semaphore.clone(),
        };
        let close = close_rx.clone();
        tasks.spawn(async move { (index, task.run(plan_rx, close).await) });
    }
    drop(events_tx);

    // 1. Everyone listens (or has failed).
    let mut ready: BTreeMap<usize, NetReady> = BTreeMap::new();
    let mut errors: BTreeMap<usize, SessionError> = BTreeMap::new();
    let mut pending = hosts.len();
    while pending > 0 {
        match events.recv().await {
            Some(Event::Ready(index, Ok(listening))) => {
                ready.insert(index, listening);
            }
            Some(Event::Ready(index, Err(error))) => {
                errors.insert(index, error);
            }
            Some(Event::Probed(..)) => continue,
            None => break,
        }
        pending -= 1;
    }
    // 2. Everyone connects to everyone that listens.
    let matrix_started = Instant::now();
    let mut connections = 0;
    for (index, sender) in plans.iter_mut().enumerate() {
        let Some(sender) = sender.take() else {
            continue;
        };
        if !ready.contains_key(&index) {
            let _ = sender.send(None);
            continue;
        }
        let source = &hosts[index];
        let targets: Vec<NetTarget> = ready
            .iter()
            .filter(|(peer, _)| **peer != index)
            .map(|(peer, peer_ready)| {
                let target = &hosts[*peer];
                let ports: Vec<Port> = if plan.ports {
                    required_ports(&target.roles, &source.roles, plan.cni)
                        .into_iter()
                        .filter(|port| {
                            peer_ready.listening.contains(port) || peer_ready.in_use.contains(port)
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                connections += ports.len();
                NetTarget {
                    host: target.target.name.clone(),
                    address: target.address.to_string(),
                    latency_port: plan.ports.then(|| latency_port(peer_ready)).flatten(),
                    ports,
                }
            })
            .collect();
        let _ = sender.send(Some(NetPlan {
            from: source.target.name.clone(),
            targets,
            timeout_ms: CONNECT_TIMEOUT_MS,
            parallel: PARALLEL_CONNECTS,
            latency_samples: LATENCY_SAMPLES,
        }));
    }
    let mut probes: BTreeMap<usize, NetProbes> = BTreeMap::new();
    let mut pending = ready.len();
    while pending > 0 {
        match events.recv().await {
            Some(Event::Probed(index, Ok(result))) => {
                probes.insert(index, result);
            }
            Some(Event::Probed(index, Err(error))) => {
                errors.insert(index, error);
            }
            Some(Event::Ready(..)) => continue,
            None => break,
        }
        pending -= 1;
    }
    let matrix = matrix_started.elapsed();
    // 3. Everyone closes.
    let _ = close_tx.send(true);
    let mut closed: BTreeMap<usize, NetClosed> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, Ok(Some(result)))) => {
                closed.insert(index, result);
            }
            Ok((index, Err(error))) => {
                errors.entry(index).or_insert(error);
            }
            _ => {}
        }
    }
    let mut measurement = Measurement {
        ports_probed: plan.ports,
        ..Measurement::default()
    };
    for (index, host) in hosts.iter().enumerate() {
        if let Some(error) = errors.remove(&index) {
            failed.insert(host.target.name.clone(), error.to_string());
            continue;
        }
        let Some(listening) = ready.remove(&index) else {
            continue;
        };
        measurement.sessions.insert(
            host.target.name.clone(),
            Session {
                ready: listening,
                probes: probes.remove(&index),
                closed: closed.remove(&index),
            },
        );
    }
    measurement.failed = failed;
    let timing = Timing {
        total: started.elapsed(),
        matrix,
        connections,
    };
    (measurement, timing)
}

/// A port the session itself listens on (accepting costs nothing); sshd only when there is
/// none, since every connect to sshd forks a process there and logs a preauth disconnect.
fn latency_port(ready: &NetReady) -> Option<u16> {
    let ssh = Port {
        protocol: Protocol::Tcp,
        port: 22,
    };
    ready
        .listening
        .iter()
        .find(|port| port.protocol == Protocol::Tcp)
        .map(|port| port.port)
        .or_else(|| ready.in_use.contains(&ssh).then_some(22))
}

struct HostTask {
    shared: Arc<Shared>,
    target: Target,
    index: usize,
    listen: Vec<Port>,
    vrrp_seconds: u32,
    events: mpsc::UnboundedSender<Event>,
    semaphore: Arc<Semaphore>,
}

impl HostTask {
    /// The host's session; its events go to the coordinator as they happen, so one slow host
    /// holds back only the step everyone waits for, bounded by the timeout.
    async fn run(
        self,
        plan: oneshot::Receiver<Option<NetPlan>>,
        mut close: watch::Receiver<bool>,
    ) -> Result<Option<NetClosed>, SessionError> {
        let timeout = self.shared.timeouts.host;
        let permit = self.semaphore.clone().acquire_owned().await.ok();
        let connected = tokio::time::timeout(timeout, ssh::connect(&self.shared.ssh, &self.target))
            .await
            .map_err(|_| SessionError::ConnectTimeout(timeout))
            .and_then(|result| result.map_err(|error| SessionError::Connect(describe(&error))));
        let handle = match connected {
            Ok(handle) => handle,
            Err(error) => {
                let _ = self
                    .events
                    .send(Event::Ready(self.index, Err(error.clone())));
                return Err(error);
            }
        };
        let result = self.session(&handle, permit, plan, &mut close).await;
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        result
    }

    async fn session(
        &self,
        handle: &russh::client::Handle<ssh::Client>,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
        plan: oneshot::Receiver<Option<NetPlan>>,
        close: &mut watch::Receiver<bool>,
    ) -> Result<Option<NetClosed>, SessionError> {
        let timeout = self.shared.timeouts.host;
        // The agent ends by itself well after the controller would have given up.
        let max_seconds = timeout.as_secs() * 3 + u64::from(self.vrrp_seconds) + 30;
        let mut arguments = vec!["net-session".to_owned(), "--max-seconds".to_owned()];
        arguments.push(max_seconds.to_string());
        if !self.listen.is_empty() {
            arguments.push("--listen".to_owned());
            arguments.push(
                self.listen
                    .iter()
                    .map(Port::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        if self.vrrp_seconds > 0 {
            arguments.extend(["--vrrp-seconds".to_owned(), self.vrrp_seconds.to_string()]);
        }
        let command = remote::session_command(
            &self.shared.upload,
            &arguments,
            Duration::from_secs(max_seconds + 10),
        );
        let ready = async {
            let channel = handle
                .channel_open_session()
                .await
                .map_err(|error| SessionError::Open(Arc::new(error)))?;
            channel
                .exec(true, command)
                .await
                .map_err(|error| SessionError::Start(Arc::new(error)))?;
            let (read, write) = channel.split();
            let mut lines = Lines::new(read);
            // The agent in the codec the host can undo, as for a report.
            let decoders = lines.decoders().await?;
            let stream = self
                .shared
                .upload_streams
                .for_host(decoders)
                .await
                .ok_or(SessionError::Compress)?;
            write
                .data(stream.as_slice())
                .await
                .map_err(|error| SessionError::Upload(Arc::new(error)))?;
            let ready: NetReady = lines.json("listening").await?;
            Ok::<_, SessionError>((lines, write, ready))
        };
        let (mut lines, write, ready) = match tokio::time::timeout(timeout, ready).await {
            Ok(Ok(started)) => started,
            Ok(Err(error)) => {
                let _ = self
                    .events
                    .send(Event::Ready(self.index, Err(error.clone())));
                return Err(error);
            }
            Err(_) => {
                let error = SessionError::StartTimeout(timeout);
                let _ = self
                    .events
                    .send(Event::Ready(self.index, Err(error.clone())));
                return Err(error);
            }
        };
        let _ = self.events.send(Event::Ready(self.index, Ok(ready)));
        drop(permit);

        if let Ok(Some(plan)) = plan.await {
            let probed = async {
                let mut line = serde_json::to_vec(&plan)
                    .map_err(|error| SessionError::EncodePlan(Arc::new(error)))?;
                line.push(b'\n');
                write
                    .data(line.as_slice())
                    .await
                    .map_err(|error| SessionError::SendPlan(Arc::new(error)))?;
                lines.json::<NetProbes>("probes").await
            };
            let probed = tokio::time::timeout(timeout, probed)
                .await
                .unwrap_or(Err(SessionError::ProbeTimeout(timeout)));
            let failed = probed.as_ref().err().cloned();
            let _ = self.events.send(Event::Probed(self.index, probed));
            if let Some(error) = failed {
                let _ = write.eof().await;
                return Err(error);
            }
        }
        let _ = close.wait_for(|closing| *closing).await;
        let _ = write.eof().await;
        let limit = Duration::from_secs(u64::from(self.vrrp_seconds) + 15);
        let closed = tokio::time::timeout(limit, lines.json::<NetClosed>("closing"))
            .await
            .unwrap_or(Err(SessionError::CloseTimeout))?;
        // The script removes its directory as the agent exits; wait for that.
        let _ = tokio::time::timeout(Duration::from_secs(5), lines.finish()).await;
        Ok(Some(closed))
    }
}

/// The session's stdout as JSON lines, with stderr kept for the error message. Both are
/// bounded: a line over [`MAX_LINE`] ends the session, stderr keeps its first
/// [`ssh::MAX_STDERR`] bytes.
struct Lines<M = russh::ChannelReadHalf> {
    read: M,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit: Option<String>,
    max_line: usize,
}

/// Where a session's messages come from: the channel, or a list in the tests.
trait Messages {
    fn next(&mut self) -> impl std::future::Future<Output = Option<ChannelMsg>> + Send;
}

impl Messages for russh::ChannelReadHalf {
    fn next(&mut self) -> impl std::future::Future<Output = Option<ChannelMsg>> + Send {
        self.wait()
    }
}

impl<M: Messages> Lines<M> {
    fn new(read: M) -> Lines<M> {
        Lines {
            read,
            stdout: Vec::new(),
            stderr: Vec::new(),
            exit: None,
            max_line: MAX_LINE,
        }
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &mut self,
        step: &'static str,
    ) -> Result<T, SessionError> {
        // Where the search for a line end resumes: each byte is looked at once.
        let mut searched = 0;
        loop {
            if let Some(end) = self.stdout[searched..]
                .iter()
                .position(|byte| *byte == b'\n')
            {
                let line: Vec<u8> = self.stdout.drain(..=searched + end).collect();
                return serde_json::from_slice(&line).map_err(|error| SessionError::Unexpected {
                    step,
                    reason: error.to_string(),
                    excerpt: String::from_utf8_lossy(&line).chars().take(120).collect(),
                });
            }
            searched = self.stdout.len();
            if searched > self.max_line {
                return Err(SessionError::LineTooLong {
                    step,
                    limit: self.max_line,
                });
            }
            if !self.receive().await {
                return Err(self.ended(step));
            }
        }
    }

    /// The decoders the script announced on stderr, before it reads the agent.
    async fn decoders(&mut self) -> Result<remote::Decoders, SessionError> {
        loop {
            if let Some(decoders) = remote::announced_decoders(&self.stderr) {
                return Ok(decoders);
            }
            // Not the script, or something in front of it talking.
            if self.stderr.len() >= ANNOUNCEMENT_WINDOW {
                return Err(SessionError::Unexpected {
                    step: "decoders",
                    reason: format!("no announcement in {ANNOUNCEMENT_WINDOW} bytes of stderr"),
                    excerpt: String::from_utf8_lossy(&self.stderr)
                        .chars()
                        .take(120)
                        .collect(),
                });
            }
            if !self.receive().await {
                return Err(self.ended("decoders"));
            }
        }
    }

    /// The session ended before `step`: its exit and what the host said on stderr.
    fn ended(&self, step: &'static str) -> SessionError {
        let stderr = String::from_utf8_lossy(&self.stderr)
            .lines()
            .filter(|line| {
                !line.starts_with(DIR_MARKER)
                    && !line.starts_with(remote::DECODERS_MARKER)
                    && !line.trim().is_empty()
            })
            .map(str::to_owned)
            .collect();
        SessionError::Ended {
            step,
            exit: self
                .exit
                .clone()
                .unwrap_or_else(|| "no exit status".to_owned()),
            stderr,
        }
    }

    /// Reads until the channel ends.
    async fn finish(&mut self) {
        while self.receive().await {}
    }

    /// One message; false when the channel has ended.
    async fn receive(&mut self) -> bool {
        match self.read.next().await {
            Some(ChannelMsg::Data { data }) => {
                // One byte past the limit is enough for `json` to say the line is too long.
                let room = (self.max_line + 1).saturating_sub(self.stdout.len());
                self.stdout.extend_from_slice(&data[..room.min(data.len())]);
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                let room = ssh::MAX_STDERR.saturating_sub(self.stderr.len());
                self.stderr.extend_from_slice(&data[..room.min(data.len())]);
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => {
                self.exit = Some(format!("exit status {exit_status}"));
            }
            Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                self.exit = Some(format!("signal {signal_name:?}"));
            }
            Some(_) => {}
            None => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    impl Messages for VecDeque<ChannelMsg> {
        async fn next(&mut self) -> Option<ChannelMsg> {
            self.pop_front()
        }
    }

    fn data(bytes: &[u8]) -> ChannelMsg {
        ChannelMsg::Data {
            data: bytes.to_vec().into(),
        }
    }

    fn stderr(bytes: &[u8]) -> ChannelMsg {
        ChannelMsg::ExtendedData {
            data: bytes.to_vec().into(),
            ext: 1,
        }
    }

    #[tokio::test]
    async fn a_session_waits_for_the_decoders_before_the_agent() {
        // The announcement may come in pieces and after other output; the session's lines on
        // stdout are left for later.
        let mut lines = Lines::new(VecDeque::from([
            stderr(b"ironprep-dir: /tmp/.ironprep.12345678\nironprep-deco"),
            data(b"{\"listening\":[],\"in_use\":[]}\n"),
            stderr(b"ders: xz\n"),
        ]));
        let decoders = lines.decoders().await.unwrap();
        assert_eq!(
            decoders,
            remote::Decoders {
                zstd: false,
                xz: true
            }
        );
        let ready: NetReady = lines.json("listening").await.unwrap();
        assert!(ready.listening.is_empty());
        // A script that failed before it announced anything: its own words, not the markers.
        let mut lines = Lines::new(VecDeque::from([
            stderr(b"ironprep-dir: /tmp/.ironprep.12345678\n"),
            stderr(b"sudo: a password is required\n"),
            ChannelMsg::ExitStatus { exit_status: 1 },
        ]));
        assert_eq!(
            lines.decoders().await.unwrap_err().to_string(),
            "the session ended before decoders (exit status 1): sudo: a password is required"
        );
        // The real script announces first; a sudo that fails after it ends the session at
        // its first step, in sudo's words, and the announcement is not among them.
        let mut lines = Lines::new(VecDeque::from([
            stderr(b"ironprep-decoders: zstd xz\n"),
            stderr(b"sudo: a password is required\n"),
            ChannelMsg::ExitStatus { exit_status: 200 },
        ]));
        assert_eq!(
            lines.decoders().await.unwrap(),
            remote::Decoders {
                zstd: true,
                xz: true
            }
        );
        assert_eq!(
            lines
                .json::<NetReady>("listening")
                .await
                .unwrap_err()
                .to_string(),
            "the session ended before listening (exit status 200): sudo: a password is required"
        );
        // Something else talking without end is cut off at the window.
        let noise = vec![b'x'; 512];
        let mut lines = Lines::new((0..64).map(|_| stderr(&noise)).collect::<VecDeque<_>>());
        let error = lines.decoders().await.unwrap_err().to_string();
        assert!(error.contains("no announcement in 4096 bytes"), "{error}");
    }

    #[tokio::test]
    async fn lines_split_across_messages_and_several_in_one() {
        let mut lines = Lines::new(VecDeque::from([
            data(b"{\"listening\":[],\"in_"),
            data(b"use\":[]}\n{\"listening\""),
            data(b":[],\"in_use\":[]}\n"),
        ]));
        let first: NetReady = lines.json("listening").await.unwrap();
        assert!(first.listening.is_empty());
        let second: NetReady = lines.json("listening").await.unwrap();
        assert!(second.in_use.is_empty());
        let ended = lines.json::<NetReady>("probes").await.unwrap_err();
        assert_eq!(
            ended.to_string(),
            "the session ended before probes (no exit status)"
        );
    }

    #[tokio::test]
    async fn a_line_without_end_or_a_stderr_flood_stays_bounded() {
        let chunk = vec![b'x'; 4096];
        let mut messages: VecDeque<ChannelMsg> = (0..64).map(|_| data(&chunk)).collect();
        messages.push_back(data(b"\n"));
        let mut lines = Lines::new(messages);
        lines.max_line = 10_000;
        let error = lines.json::<NetReady>("listening").await.unwrap_err();
        assert!(matches!(
            error,
            SessionError::LineTooLong { limit: 10_000, .. }
        ));
        assert!(lines.stdout.len() <= 10_001, "{}", lines.stdout.len());

        let mut flood: VecDeque<ChannelMsg> = (0..64).map(|_| stderr(&chunk)).collect();
        flood.push_back(stderr(b"the last words\n"));
        flood.push_back(ChannelMsg::ExitStatus { exit_status: 3 });
        let mut lines = Lines::new(flood);
        let error = lines.json::<NetReady>("listening").await.unwrap_err();
        assert_eq!(lines.stderr.len(), ssh::MAX_STDERR);
        let SessionError::Ended { exit, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(exit, "exit status 3");
    }

    #[tokio::test]
    async fn a_line_that_is_not_the_step_names_it_and_shows_its_start() {
        let mut lines = Lines::new(VecDeque::from([data(b"Segmentation fault\n")]));
        let error = lines.json::<NetReady>("listening").await.unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("the agent's listening line is not what was expected (")
                && text.ends_with("): Segmentation fault\n"),
            "{text}"
        );
    }

    #[test]
    fn latency_prefers_the_sessions_own_listener() {
        let tcp = |port| Port {
            protocol: Protocol::Tcp,
            port,
        };
        let ready = NetReady {
            listening: vec![tcp(10250)],
            in_use: vec![tcp(22)],
            unavailable: Vec::new(),
        };
        assert_eq!(latency_port(&ready), Some(10250));
        let held = NetReady {
            in_use: vec![tcp(22), tcp(10250)],
            ..NetReady::default()
        };
        assert_eq!(latency_port(&held), Some(22));
    }
}
