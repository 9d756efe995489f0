//! The second half of a fleet run: the [`Plan`] executed. Each host is one bounded task —
//! connect, verify the host key, log in, upload, run, clean up — whose end is an outcome value;
//! one host never cancels another, and a task that panics is still a host in the report
//! (`agent-failed`), never a host that silently disappears. Ctrl-C and SIGTERM cut every host
//! short, and whatever a host was left with is removed over its own connection.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use ironprep_report::event::{Event, NoteLevel, Observer};
use ironprep_schema::{AgentReport, FleetReport, HostEntry, HostOutcome, Role};
use russh::client::Handle;
use tokio::sync::{Semaphore, watch};

use super::AgentArguments;
use super::cross_host::{self, Measured};
use super::network::{self, NetHost};
use super::network_checks::{self, Node};
use super::plan::{Plan, PlannedHost, Timeouts};
use super::remote::{self, AgentUpload};
use super::ssh::{self, Client, ConnectError, SshContext, Target};

/// What every host task shares; built once per run from the plan.
pub(super) struct Shared {
    pub ssh: SshContext,
    pub upload: AgentUpload,
    /// What a host's script reads, by the codec it can undo: built once each.
    pub upload_streams: remote::UploadStreams,
    pub timeouts: Timeouts,
    arguments: AgentArguments,
    /// A reference pair to turn `Instant`s into wall-clock times.
    started: (Instant, SystemTime),
}

/// The host's clock minus ours and the uncertainty of that figure, in milliseconds.
type ClockOffset = (i64, u64);
/// A host's entry of the report, and its clock when it reported.
type HostResult = (HostEntry, Option<ClockOffset>);

/// A host's in-flight state, so a controller that gives up can still clean up.
#[derive(Default)]
struct InFlight {
    handle: Option<Arc<Handle<Client>>>,
    directory: Option<String>,
}

/// How a run ended: the report, and whether a signal cut it short (exit 130).
pub struct Finished {
    pub report: FleetReport,
    pub interrupted: bool,
}

/// Runs every host of the plan, then the checks across hosts (and the network sessions when
/// asked). Progress goes to `observer` as it happens.
pub fn execute(plan: Plan, observer: &dyn Observer) -> std::io::Result<Finished> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(runtime.block_on(run(plan, observer)))
}

async fn run(plan: Plan, observer: &dyn Observer) -> Finished {
    let Plan {
        hosts,
        ssh,
        upload,
        arguments,
        timeouts,
        concurrency,
        network,
        network_inputs,
        warnings,
    } = plan;
    for warning in &warnings {
        observer.event(&Event::Note {
            level: NoteLevel::Warning,
            text: warning,
        });
    }
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if interruption().await {
                interrupted.store(true, Ordering::SeqCst);
                let _ = cancel_tx.send(true);
            }
        });
    }

    observer.event(&Event::Started {
        subjects: hosts.len(),
    });
    let upload_streams = upload.upload_streams();
    upload_streams.prepare();
    let shared = Arc::new(Shared {
        ssh,
        upload,
        upload_streams,
        timeouts,
        arguments,
        started: (Instant::now(), SystemTime::now()),
    });
    let check = |host: PlannedHost, cancel| {
        let shared = shared.clone();
        async move { check_host(&shared, &host.target, &host.roles, cancel).await }
    };
    let entries = run_hosts(&hosts, None, concurrency, &cancel_rx, observer, check).await;

    let measured: BTreeMap<String, Measured> = hosts
        .iter()
        .zip(&entries)
        .map(|(host, (entry, offset))| {
            (
                entry.host.clone(),
                Measured {
                    roles: host.roles.clone(),
                    clock_offset_ms: *offset,
                },
            )
        })
        .collect();
    let entries: Vec<HostEntry> = entries.into_iter().map(|(entry, _)| entry).collect();
    let mut fleet_checks = cross_host::run(&entries, &measured);
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for (host, entry) in hosts.iter().zip(&entries) {
        nodes.insert(
            entry.host.clone(),
            Node {
                address: node_address(&host.target.address).await,
                roles: host.roles.clone(),
            },
        );
    }
    let measurement = match network {
        Some(network) if !interrupted.load(Ordering::SeqCst) => {
            let mut failed = BTreeMap::new();
            let mut taking_part = Vec::new();
            for (host, entry) in hosts.iter().zip(&entries) {
                let address = nodes.get(&entry.host).and_then(|node| node.address);
                match (entry.outcome, address) {
                    (HostOutcome::Reported, Some(address)) => taking_part.push(NetHost {
                        target: host.target.clone(),
                        roles: host.roles.clone(),
                        address,
                    }),
                    (HostOutcome::Reported, None) => {
                        failed.insert(
                            entry.host.clone(),
                            format!("{} does not resolve to an IP address", host.target.address),
                        );
                    }
                    _ => {
                        failed.insert(entry.host.clone(), "not reached".to_owned());
                    }
                }
            }
            let count = taking_part.len();
            let (measurement, timing) =
                network::measure(shared.clone(), taking_part, network, concurrency, failed).await;
            observer.event(&Event::Note {
                level: NoteLevel::Info,
                text: &format!(
                    "network: {count} hosts, {} connections in {:.1} s (matrix {:.1} s)",
                    timing.connections,
                    timing.total.as_secs_f64(),
                    timing.matrix.as_secs_f64()
                ),
            });
            Some(measurement)
        }
        _ => None,
    };
    fleet_checks.extend(network_checks::run(
        &entries,
        &nodes,
        measurement.as_ref(),
        &network_inputs,
    ));
    shared.ssh.jumps.close().await;
    Finished {
        report: FleetReport::new(entries, fleet_checks),
        interrupted: interrupted.load(Ordering::SeqCst),
    }
}

/// Resolves on Ctrl-C or SIGTERM (how a CI job or `timeout` stops the controller): both mean
/// "stop, clean up the hosts, report what is known".
pub(crate) async fn interruption() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                interrupted = tokio::signal::ctrl_c() => interrupted.is_ok(),
                _ = terminate.recv() => true,
            },
            Err(_) => tokio::signal::ctrl_c().await.is_ok(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// Every host, `concurrency` at a time, in inventory order; a task that panicked becomes an
/// `agent-failed` entry naming the panic.
async fn run_hosts<F, Fut>(
    hosts: &[PlannedHost],
    jump_error: Option<String>,
    concurrency: usize,
    cancel: &watch::Receiver<bool>,
    observer: &dyn Observer,
    check: F,
) -> Vec<HostResult>
where
    F: Fn(PlannedHost, watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = HostResult> + Send + 'static,
{
    let semaphore = Arc::new(Semaphore::new(concurrency));
    let (finished_tx, mut finished_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = tokio::task::JoinSet::new();
    let mut task_hosts = HashMap::new();
    let mut results: Vec<Option<HostResult>> = vec![None; hosts.len()];
    for (index, host) in hosts.iter().enumerate() {
        if let Some(error) = &jump_error {
            let entry = entry(
                &host.target,
                HostOutcome::Unreachable,
                Some(error.clone()),
                None,
            );
            observer.event(&Event::HostFinished { entry: &entry });
            results[index] = Some((entry, None));
            continue;
        }
        let semaphore = semaphore.clone();
        let mut cancel = cancel.clone();
        let target = host.target.clone();
        let work = check(host.clone(), cancel.clone());
        let finished = finished_tx.clone();
        let handle = tasks.spawn(async move {
            let permit = tokio::select! {
                permit = semaphore.acquire_owned() => permit.ok(),
                _ = cancel.wait_for(|cancelled| *cancelled) => None,
            };
            match permit {
                Some(_permit) => {
                    let _ = finished.send(Progress::Started(index));
                    work.await
                }
                None => (
                    entry(
                        &target,
                        HostOutcome::Timeout,
                        Some("not checked: interrupted before this host started".into()),
                        None,
                    ),
                    None,
                ),
            }
        });
        task_hosts.insert(handle.id(), index);
    }
    drop(finished_tx);
    loop {
        tokio::select! {
            Some(progress) = finished_rx.recv() => {
                let Progress::Started(index) = progress;
                observer.event(&Event::SubjectStarted { name: &hosts[index].target.name });
            }
            joined = tasks.join_next_with_id() => {
                let Some(joined) = joined else { break };
                let (index, result) = match joined {
                    Ok((id, result)) => (task_hosts[&id], result),
                    Err(error) => {
                        let index = task_hosts[&error.id()];
                        let reason = panic_message(error);
                        let failed = entry(
                            &hosts[index].target,
                            HostOutcome::AgentFailed,
                            Some(format!("internal error of ironprep while checking this host: {reason}")),
                            None,
                        );
                        (index, (failed, None))
                    }
                };
                observer.event(&Event::HostFinished { entry: &result.0 });
                results[index] = Some(result);
            }
        }
    }
    results
        .into_iter()
        .zip(hosts)
        .map(|(result, host)| {
            // Every index was filled by its task or the jump error; kept total anyway.
            result.unwrap_or_else(|| {
                let reason = "internal error of ironprep: the host's task never ended".to_owned();
                (
                    entry(&host.target, HostOutcome::AgentFailed, Some(reason), None),
                    None,
                )
            })
        })
        .collect()
}

enum Progress {
    Started(usize),
}

pub(crate) fn panic_message(error: tokio::task::JoinError) -> String {
    if error.is_cancelled() {
        return "its task was cancelled".to_owned();
    }
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .map_or_else(|| "a panic".to_owned(), |text| format!("a panic: {text}"))
}

/// The address the cluster will use for a host: its inventory address when it is an IP,
/// else what that name resolves to here.
async fn node_address(address: &str) -> Option<std::net::IpAddr> {
    if let Ok(ip) = address.parse() {
        return Some(ip);
    }
    tokio::net::lookup_host((address, 22))
        .await
        .ok()?
        .next()
        .map(|socket| socket.ip())
}

fn entry(
    target: &Target,
    outcome: HostOutcome,
    error: Option<String>,
    report: Option<AgentReport>,
) -> HostEntry {
    HostEntry {
        host: target.name.clone(),
        address: target.display_address(),
        outcome,
        error,
        report,
    }
}

pub(super) fn describe(error: &ConnectError) -> String {
    match error {
        ConnectError::Unreachable(message)
        | ConnectError::HostKey(message)
        | ConnectError::HostKeyUnknown(message)
        | ConnectError::Auth(message) => message.clone(),
    }
}

/// One host, bounded by the timeout and by Ctrl-C/SIGTERM; when it is cut short, whatever it
/// left on the host is removed over the same connection.
async fn check_host(
    shared: &Shared,
    target: &Target,
    roles: &[Role],
    mut cancel: watch::Receiver<bool>,
) -> HostResult {
    let state = Arc::new(Mutex::new(InFlight::default()));
    let work = attempt(shared, target, roles, state.clone());
    let cut_short = tokio::select! {
        finished = tokio::time::timeout(shared.timeouts.host, work) => match finished {
            Ok(result) => return result,
            Err(_) => format!("no result within {} s", shared.timeouts.host.as_secs()),
        },
        _ = cancel.wait_for(|cancelled| *cancelled) => {
            "interrupted before this host finished".to_owned()
        }
    };
    let (handle, directory) = match state.lock() {
        Ok(mut state) => (state.handle.take(), state.directory.take()),
        Err(_) => (None, None),
    };
    let mut message = cut_short;
    if let Some(handle) = handle {
        if let Some(command) = directory.as_deref().and_then(remote::cleanup_command) {
            let removed = tokio::time::timeout(
                shared.timeouts.cleanup,
                ssh::run(&handle, &command, None, |_| {}),
            )
            .await;
            if !matches!(removed, Ok(Ok(ref output)) if output.exit == ssh::Exit::Status(0)) {
                message.push_str(&format!(
                    "; could not confirm the removal of {} on the host",
                    directory.as_deref().unwrap_or_default()
                ));
            }
        }
        // Bounded: over a dead link the message waits behind data that never leaves; the
        // host cleans up by itself once it learns the connection is gone.
        let _ = tokio::time::timeout(
            shared.timeouts.cleanup,
            handle.disconnect(russh::Disconnect::ByApplication, "", "en"),
        )
        .await;
    }
    (
        entry(target, HostOutcome::Timeout, Some(message), None),
        None,
    )
}

/// Watches a command's stderr for the private directory the remote script announces, so a
/// host cut short can still be cleaned up. Only the start of stderr is kept: the announcement
/// is the script's first line, and a host flooding stderr must not cost memory or time here.
struct Announcement<'a> {
    state: &'a Mutex<InFlight>,
    seen: Vec<u8>,
    done: bool,
}

impl<'a> Announcement<'a> {
    fn new(state: &'a Mutex<InFlight>) -> Announcement<'a> {
        Announcement {
            state,
            seen: Vec::new(),
            done: false,
        }
    }

    fn watch(&mut self, bytes: &[u8]) {
        if self.done {
            return;
        }
        let room = remote::ANNOUNCEMENT_WINDOW.saturating_sub(self.seen.len());
        self.seen.extend_from_slice(&bytes[..bytes.len().min(room)]);
        // Only whole lines: the directory's name may arrive in two pieces.
        let end = self.seen.iter().rposition(|byte| *byte == b'\n');
        let complete = end.map_or(&[][..], |end| &self.seen[..end]);
        if let Some(directory) = remote::announced_directory(complete) {
            if let Ok(mut state) = self.state.lock() {
                state.directory = Some(directory);
            }
            self.done = true;
        } else if self.seen.len() >= remote::ANNOUNCEMENT_WINDOW {
            self.done = true;
        }
    }
}

/// Sends the host the agent in the codec its script asked for, once the request is whole.
struct Negotiation {
    seen: Vec<u8>,
    streams: remote::UploadStreams,
    reply: Option<tokio::sync::oneshot::Sender<Arc<Vec<u8>>>>,
}

impl Negotiation {
    fn new(
        streams: &remote::UploadStreams,
    ) -> (Negotiation, tokio::sync::oneshot::Receiver<Arc<Vec<u8>>>) {
        let (reply, chosen) = tokio::sync::oneshot::channel();
        let negotiation = Negotiation {
            seen: Vec::new(),
            streams: streams.clone(),
            reply: Some(reply),
        };
        (negotiation, chosen)
    }

    fn watch(&mut self, bytes: &[u8]) {
        let Some(reply) = self.reply.take() else {
            return;
        };
        let room = remote::ANNOUNCEMENT_WINDOW.saturating_sub(self.seen.len());
        self.seen.extend_from_slice(&bytes[..bytes.len().min(room)]);
        match remote::announced_decoders(&self.seen) {
            // The stream may still be in the making (each codec's the first time a host asks
            // for it), so it is sent from a task; the script waits on its stdin meanwhile. A
            // stream that could not be made drops `reply`: stdin closes empty, and the script
            // stops at its first read of it and says the controller sent no upload.
            Some(decoders) => {
                let streams = self.streams.clone();
                tokio::spawn(async move {
                    if let Some(stream) = streams.for_host(decoders).await {
                        let _ = reply.send(stream);
                    }
                });
            }
            // Not the script, or something in front of it talking: stdin closes empty and the
            // script's own failure says what happened.
            None if self.seen.len() >= remote::ANNOUNCEMENT_WINDOW => {}
            None => self.reply = Some(reply),
        }
    }
}

async fn attempt(
    shared: &Shared,
    target: &Target,
    roles: &[Role],
    state: Arc<Mutex<InFlight>>,
) -> HostResult {
    let handle = match ssh::connect(&shared.ssh, target).await {
        Ok(handle) => Arc::new(handle),
        Err(error) => {
            let outcome = match error {
                ConnectError::Unreachable(_) => HostOutcome::Unreachable,
                ConnectError::HostKey(_) => HostOutcome::HostKeyMismatch,
                ConnectError::HostKeyUnknown(_) => HostOutcome::HostKeyUnknown,
                ConnectError::Auth(_) => HostOutcome::AuthFailed,
            };
            return (entry(target, outcome, Some(describe(&error)), None), None);
        }
    };
    if let Ok(mut state) = state.lock() {
        state.handle = Some(handle.clone());
    }
    let limit = shared.timeouts.on_host;
    let arguments = (shared.arguments)(roles);
    let command = remote::command(&shared.upload, &arguments, limit);
    let mut announcement = Announcement::new(&state);
    let (mut negotiation, chosen) = Negotiation::new(&shared.upload_streams);
    let mut output = ssh::run_negotiated(&handle, &command, chosen, |bytes| {
        announcement.watch(bytes);
        negotiation.watch(bytes);
    })
    .await
    .map_err(RunError::from);
    if matches!(&output, Ok(first) if remote::needs_tty(first)) {
        output = staged_run(&handle, shared, &arguments, &state).await;
    }
    let received = SystemTime::now();
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            return (
                entry(
                    target,
                    HostOutcome::AgentFailed,
                    Some(error.to_string()),
                    None,
                ),
                None,
            );
        }
    };
    let classified = remote::classify(&output, &target.user);
    let offset = match (&classified.report, output.stdin_done) {
        (Some(report), Some(done)) => {
            let (instant, wall) = shared.started;
            let done_wall = wall + done.saturating_duration_since(instant);
            remote::clock_offset(report, done_wall, received)
        }
        _ => None,
    };
    (
        entry(
            target,
            classified.outcome,
            classified.error,
            classified.report,
        ),
        offset,
    )
}

/// Why a host's run (direct or staged for `requiretty`) gave no output to classify.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Channel(#[from] ssh::ChannelError),
    #[error("the host did not announce its private directory")]
    NoDirectory,
    /// Never used in a command: only names the script itself creates are.
    #[error("the host announced an unexpected directory {0}")]
    UnexpectedDirectory(String),
}

/// A `requiretty` host: the agent is uploaded and verified on a channel without PTY (binary
/// stdin must pass untouched), run under sudo on a PTY channel with its output into the private
/// directory, and read back (and the directory removed) on a third channel. The directory is
/// announced to `state` as soon as it exists, so a timeout or Ctrl-C still removes it.
async fn staged_run(
    handle: &Handle<Client>,
    shared: &Shared,
    arguments: &[String],
    state: &Mutex<InFlight>,
) -> Result<ssh::CommandOutput, RunError> {
    let limit = shared.timeouts.on_host;
    let prepare = remote::prepare_command(&shared.upload, arguments, limit);
    let mut announcement = Announcement::new(state);
    let (mut negotiation, chosen) = Negotiation::new(&shared.upload_streams);
    let prepared = ssh::run_negotiated(handle, &prepare, chosen, |bytes| {
        announcement.watch(bytes);
        negotiation.watch(bytes);
    })
    .await?;
    if prepared.exit != ssh::Exit::Status(0) {
        // The script's own failures (no exec directory, corrupted upload) classify as usual.
        return Ok(prepared);
    }
    let directory = remote::announced_directory(&prepared.stderr).ok_or(RunError::NoDirectory)?;
    let unexpected = || RunError::UnexpectedDirectory(directory.clone());
    let run = remote::tty_run_command(&shared.upload, arguments, limit, &directory)
        .ok_or_else(unexpected)?;
    let collect = remote::collect_command(&directory).ok_or_else(unexpected)?;
    let ran = ssh::run_on_pty(handle, &run).await;
    // Whatever the PTY run did, read back and remove the directory.
    let collected = ssh::run(handle, &collect, None, |_| {}).await;
    if matches!(&collected, Ok(output) if output.exit == ssh::Exit::Status(0))
        && let Ok(mut state) = state.lock()
    {
        state.directory = None;
    }
    Ok(remote::combine_staged(ran?, collected?))
}

#[cfg(test)]
mod tests {
    use ironprep_report::event::Silent;

    use super::*;

    fn planned(name: &str) -> PlannedHost {
        PlannedHost {
            target: Target {
                name: name.to_owned(),
                address: "192.0.2.1".to_owned(),
                port: 22,
                user: "root".to_owned(),
                key_file: None,
                options: Default::default(),
            },
            roles: vec![Role::Worker],
        }
    }

    #[tokio::test]
    async fn a_host_whose_task_panics_is_reported_as_agent_failed() {
        let hosts = vec![planned("a"), planned("b"), planned("c")];
        let (_cancel_tx, cancel) = watch::channel(false);
        let check = |host: PlannedHost, _| async move {
            if host.target.name == "b" {
                panic!("deadline overflow");
            }
            let reached = entry(&host.target, HostOutcome::Unreachable, None, None);
            (reached, None)
        };
        let results = run_hosts(&hosts, None, 2, &cancel, &Silent, check).await;
        let outcomes: Vec<(&str, HostOutcome)> = results
            .iter()
            .map(|(entry, _)| (entry.host.as_str(), entry.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("a", HostOutcome::Unreachable),
                ("b", HostOutcome::AgentFailed),
                ("c", HostOutcome::Unreachable)
            ]
        );
        let error = results[1].0.error.as_deref().unwrap();
        assert!(error.contains("a panic: deadline overflow"), "{error}");
    }

    /// The script's announcement may arrive in pieces; once whole, the stream for its decoders
    /// follows (made on first use); a flood that is not the script closes stdin empty.
    #[tokio::test]
    async fn the_codec_follows_the_whole_announcement_and_a_flood_gets_nothing() {
        // A lost reply fails the test instead of hanging it.
        let within = |chosen| tokio::time::timeout(std::time::Duration::from_secs(60), chosen);
        let streams = remote::AgentUpload::new(b"agent").upload_streams();
        let (mut negotiation, chosen) = Negotiation::new(&streams);
        negotiation.watch(b"ironprep-decoders: zs");
        negotiation.watch(b"td xz\nironprep-dir: /var/tmp/.ironprep.AbC123xy\n");
        let stream = within(chosen).await.unwrap().unwrap();
        assert!(stream.starts_with(b"zstd "), "{:?}", &stream[..8]);
        let (mut negotiation, chosen) = Negotiation::new(&streams);
        negotiation.watch(b"ironprep-decoders:\n");
        assert!(within(chosen).await.unwrap().unwrap().starts_with(b"gzip "));
        let (mut negotiation, chosen) = Negotiation::new(&streams);
        for _ in 0..5 {
            negotiation.watch(&[b'x'; 1024]);
        }
        assert!(within(chosen).await.unwrap().is_err());
    }

    #[test]
    fn the_announcement_is_found_and_a_flood_is_not_kept() {
        let state = Mutex::new(InFlight::default());
        let mut announcement = Announcement::new(&state);
        announcement.watch(b"ironprep-dir: /var/tmp/.ironprep.");
        announcement.watch(b"AbC123\n");
        let found = state.lock().unwrap().directory.clone();
        assert_eq!(found.as_deref(), Some("/var/tmp/.ironprep.AbC123"));
        let flooded = Mutex::new(InFlight::default());
        let mut announcement = Announcement::new(&flooded);
        for _ in 0..10_000 {
            announcement.watch(&[b'x'; 1024]);
        }
        assert!(announcement.seen.len() <= remote::ANNOUNCEMENT_WINDOW);
        assert!(flooded.lock().unwrap().directory.is_none());
    }
}
