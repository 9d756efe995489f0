//! Fault injection on the simulated fleet: the controller killed (SIGINT, SIGTERM, SIGKILL)
//! during the upload over a link made slow on purpose and while an agent made slow on purpose
//! runs, a host that runs out of time, the link dropped in the middle of the upload, and a host
//! flooding stderr. Whatever happens, nothing of ironprep stays on a host: no file in its temp
//! directories and no process in its network namespace but its sshd.
//!
//! The hosts clean up by themselves once they learn the controller is gone, which takes what
//! TCP takes; every wait below is a hang detector with a generous deadline, never a measurement.

mod support;

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ironprep_schema::{FleetReport, HostOutcome};
use support::{Fleet, can_run};

/// Most a host may take to be clean after the controller went away (a hang detector).
const CLEANUP_DEADLINE: Duration = Duration::from_secs(180);
/// Most anything else waited for may take on a loaded machine (a hang detector).
const DEADLINE: Duration = Duration::from_secs(120);

/// A host's index in the fleet: its namespace is `ipf<octet>-<index>` and its link on the
/// bridge `ipf<octet>h<index>` (scripts/fleet-sim.sh).
fn host_index(fleet: &Fleet, host: &str) -> usize {
    let hosts = std::fs::read_to_string(fleet.path("hosts.txt")).expect("hosts.txt");
    hosts
        .lines()
        .position(|line| line.split(' ').next() == Some(host))
        .unwrap_or_else(|| panic!("no host {host} in the fleet"))
}

fn octet(fleet: &Fleet) -> String {
    let bridge = std::fs::read_to_string(fleet.path("bridge")).expect("bridge");
    bridge.trim().trim_start_matches("ipfb").to_owned()
}

fn namespace(fleet: &Fleet, host: &str) -> String {
    format!("ipf{}-{}", octet(fleet), host_index(fleet, host))
}

fn run(program: &str, arguments: &[&str]) {
    let output = Command::new(program).args(arguments).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Everything sent to the host goes through a token bucket of `rate` (the bridge side of its
/// veth pair), so an upload of the agent takes long enough to be interrupted.
fn slow_link(fleet: &Fleet, host: &str, rate: &str) {
    let link = format!("ipf{}h{}", octet(fleet), host_index(fleet, host));
    run(
        "tc",
        &[
            "qdisc", "replace", "dev", &link, "root", "tbf", "rate", rate, "burst", "16kb",
            "latency", "400ms",
        ],
    );
}

/// Processes in the host's namespace other than its sshd daemon, with their command lines.
fn survivors(fleet: &Fleet, host: &str) -> Vec<String> {
    let output = Command::new("ip")
        .args(["netns", "pids", &namespace(fleet, host)])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            // sshd rewrites its title: `sshd: /usr/sbin/sshd -D -e -f ... [listener] ...`.
            let daemon = line.contains("sshd") && line.contains(" -D -e -f ");
            (!daemon && !line.is_empty()).then(|| format!("{pid}: {}", line.trim()))
        })
        .collect()
}

/// Waits until no host keeps a file or a process of ironprep; fails naming what stayed.
fn assert_hosts_become_clean(fleet: &Fleet, hosts: &[&str], case: &str) {
    let deadline = Instant::now() + CLEANUP_DEADLINE;
    loop {
        let left: Vec<String> = hosts
            .iter()
            .flat_map(|host| {
                let files = fleet
                    .leftovers(host)
                    .into_iter()
                    .map(move |path| format!("{host}: file {}", path.display()));
                let processes = survivors(fleet, host)
                    .into_iter()
                    .map(move |process| format!("{host}: process {process}"));
                files.chain(processes)
            })
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{case}: still on the hosts after {} s:\n{}",
            CLEANUP_DEADLINE.as_secs(),
            left.join("\n")
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_for_exit(child: &mut Child, case: &str) -> ExitStatus {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("{case}: the controller did not exit");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, name: &str) {
    run("kill", &["-s", name, &child.id().to_string()]);
}

/// Exit 130 for the signals the controller handles (it cleans up and reports), death by the
/// signal for SIGKILL.
fn assert_exit(status: ExitStatus, name: &str) {
    use std::os::unix::process::ExitStatusExt as _;
    match name {
        "KILL" => assert_eq!(status.signal(), Some(9), "{status:?}"),
        _ => assert_eq!(status.code(), Some(130), "SIG{name}: {status:?}"),
    }
}

fn spawn(fleet: &Fleet, arguments: &[&str]) -> Child {
    fleet
        .command(arguments)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn targets(fleet: &Fleet, hosts: &[(&str, &str)]) -> String {
    hosts
        .iter()
        .map(|(user, host)| format!("{user}@{}", fleet.address(host)))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn killed_during_the_upload_over_a_slow_link_nothing_stays() {
    if !can_run("killed_during_the_upload") {
        return;
    }
    let hosts = ["upload-root", "upload-sudo"];
    let fleet = Fleet::up("upload", &["upload-root", "upload-sudo:sudo"]);
    for host in hosts {
        // The agent is megabytes: tens of seconds at this rate.
        slow_link(&fleet, host, "1mbit");
    }
    let targets = targets(&fleet, &[("root", hosts[0]), ("fleet", hosts[1])]);
    for name in ["INT", "TERM", "KILL"] {
        let mut child = spawn(&fleet, &["--hosts", &targets, "--timeout", "600"]);
        // The private directory exists from just before the first byte of the agent is read.
        wait_until("both hosts receive the agent", || {
            hosts.iter().all(|host| !fleet.leftovers(host).is_empty())
        });
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            child.try_wait().unwrap().is_none(),
            "the upload ended early"
        );
        signal(&child, name);
        let status = wait_for_exit(&mut child, name);
        assert_exit(status, name);
        assert_hosts_become_clean(&fleet, &hosts, &format!("SIG{name} during the upload"));
    }
}

#[test]
fn killed_while_a_slow_agent_runs_or_out_of_time_nothing_stays() {
    if !can_run("killed_while_the_agent_runs") {
        return;
    }
    let hosts = ["run-root", "run-sudo"];
    let fleet = Fleet::up("agent-run", &["run-root", "run-sudo:sudo"]);
    // An agent made slow on purpose, with a child of its own (a process group to end).
    let sleeper = fleet.path("sleeper");
    std::fs::write(&sleeper, "#!/bin/sh\nsleep 3600 &\nsleep 3601\n").unwrap();
    let sleeper = sleeper.to_str().unwrap();
    let targets = targets(&fleet, &[("root", hosts[0]), ("fleet", hosts[1])]);
    let running = |host: &str| {
        let found = survivors(&fleet, host);
        ["sleep 3600", "sleep 3601"]
            .iter()
            .all(|sleep| found.iter().any(|process| process.ends_with(sleep)))
    };
    for name in ["INT", "TERM", "KILL"] {
        let mut child = spawn(
            &fleet,
            &["--hosts", &targets, "--timeout", "600", "--agent", sleeper],
        );
        wait_until("the agent runs on both hosts", || {
            hosts.iter().all(|host| running(host))
        });
        signal(&child, name);
        let status = wait_for_exit(&mut child, name);
        assert_exit(status, name);
        assert_hosts_become_clean(&fleet, &hosts, &format!("SIG{name} while the agent runs"));
    }
    // Out of time: the controller cleans up over its own connection and the agent goes too.
    let output = fleet
        .command(&[
            "--hosts",
            &targets,
            "--timeout",
            "5",
            "--agent",
            sleeper,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    for entry in &report.hosts {
        assert_eq!(entry.outcome, HostOutcome::Timeout, "{entry:?}");
    }
    assert_hosts_become_clean(&fleet, &hosts, "a host out of time");
}

#[test]
fn a_requiretty_host_cleans_up_between_its_stages() {
    if !can_run("a_requiretty_host") {
        return;
    }
    let fleet = Fleet::up("tty-stages", &["staged:requiretty"]);
    let targets = targets(&fleet, &[("fleet", "staged")]);
    // A whole staged run: the collection ends the reaper that guarded the directory.
    let output = fleet
        .command(&[
            "--hosts",
            &targets,
            "--only",
            "os.support",
            "--timeout",
            "120",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts[0].outcome, HostOutcome::Reported, "{report:?}");
    assert_hosts_become_clean(&fleet, &["staged"], "a staged run that finished");

    // Killed while the agent runs on the PTY: no script of ours is left to see the controller
    // go; the hangup ends the agent and the reaper the files. --timeout 20 on purpose: the
    // reaper waits for the host's own deadline (30 s) plus its margin.
    let sleeper = fleet.path("sleeper");
    std::fs::write(&sleeper, "#!/bin/sh\nsleep 3600 &\nsleep 3601\n").unwrap();
    let mut child = spawn(
        &fleet,
        &[
            "--hosts",
            &targets,
            "--timeout",
            "20",
            "--agent",
            sleeper.to_str().unwrap(),
        ],
    );
    wait_until("the agent runs on the PTY", || {
        survivors(&fleet, "staged")
            .iter()
            .any(|process| process.ends_with("sleep 3601"))
    });
    signal(&child, "KILL");
    let status = wait_for_exit(&mut child, "KILL");
    assert_exit(status, "KILL");
    assert_hosts_become_clean(&fleet, &["staged"], "SIGKILL during a staged run");
}

/// A run against `host` over a slowed link whose link goes down once the upload is under way;
/// returns the host's namespace when the controller has given up on it and exited.
fn cut_the_link_mid_upload(fleet: &Fleet, host: &str, timeout: &str) -> String {
    slow_link(fleet, host, "1mbit");
    let namespace = namespace(fleet, host);
    let targets = targets(fleet, &[("root", host)]);
    let mut child = fleet
        .command(&[
            "--hosts",
            &targets,
            "--timeout",
            timeout,
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the host receives the agent", || {
        !fleet.leftovers(host).is_empty()
    });
    std::thread::sleep(Duration::from_secs(1));
    run("ip", &["-n", &namespace, "link", "set", "eth0", "down"]);
    // Nothing can reach the host: the controller gives up on it and exits.
    let status = wait_for_exit(&mut child, "link down");
    assert_eq!(status.code(), Some(3), "{status:?}");
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let report: FleetReport = serde_json::from_slice(&stdout).unwrap();
    assert_ne!(report.hosts[0].outcome, HostOutcome::Reported);
    namespace
}

#[test]
fn a_link_dropped_in_the_middle_of_the_upload_nothing_stays() {
    if !can_run("a_link_dropped") {
        return;
    }
    let fleet = Fleet::up("link-drop", &["dropped"]);
    let namespace = cut_the_link_mid_upload(&fleet, "dropped", "15");
    // The host is still waiting for the rest of the agent; once the link is back, the end of
    // the connection reaches it, and it cleans up by itself.
    assert!(!fleet.leftovers("dropped").is_empty());
    run("ip", &["-n", &namespace, "link", "set", "eth0", "up"]);
    let gateway = fleet.gateway();
    run(
        "ip",
        &[
            "-n", &namespace, "route", "replace", "default", "via", &gateway,
        ],
    );
    assert_hosts_become_clean(&fleet, &["dropped"], "the link dropped mid-upload");
}

#[test]
fn a_link_that_stays_down_the_host_cleans_up_by_its_own_deadline() {
    if !can_run("a_link_that_stays_down") {
        return;
    }
    let fleet = Fleet::up("link-gone", &["cut-off"]);
    // A short --timeout on purpose: the host's own deadline for the upload follows it, and this
    // host is the faulty one.
    let namespace = cut_the_link_mid_upload(&fleet, "cut-off", "5");
    // No end of input ever reaches the host and its sshd notices nothing: the script's own
    // deadline on the upload ends it, and it removes its directory. sshd's session process
    // stays until TCP gives up on the peer (that is sshd's, not ironprep's).
    let deadline = Instant::now() + CLEANUP_DEADLINE;
    loop {
        let files = fleet.leftovers("cut-off");
        let processes: Vec<String> = survivors(&fleet, "cut-off")
            .into_iter()
            .filter(|process| {
                !process
                    .split_once(": ")
                    .is_some_and(|(_, line)| line.starts_with("sshd"))
            })
            .collect();
        if files.is_empty() && processes.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "with the link down for good, still on the host after {} s: {files:?} {processes:?}",
            CLEANUP_DEADLINE.as_secs()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // The link stays down to the end: the cleanup above owed nothing to the connection.
    let link = std::process::Command::new("ip")
        .args(["-n", &namespace, "-o", "link", "show", "eth0"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&link.stdout).contains("state UP"),
        "the link came back during the test"
    );
    // Back up, so sshd's session learns the connection is gone and the namespace goes with the
    // fleet instead of lingering for the minutes TCP would take.
    run("ip", &["-n", &namespace, "link", "set", "eth0", "up"]);
    let gateway = fleet.gateway();
    run(
        "ip",
        &[
            "-n", &namespace, "route", "replace", "default", "via", &gateway,
        ],
    );
    wait_until("sshd's session ends with the connection", || {
        survivors(&fleet, "cut-off").is_empty()
    });
}

#[test]
fn a_host_flooding_stderr_is_cut_and_says_so() {
    if !can_run("a_host_flooding_stderr") {
        return;
    }
    let fleet = Fleet::up("flood", &["flood"]);
    // 64 MB on stderr, then a failure: the error shows the start of stderr.
    let flood = fleet.path("flood-agent");
    std::fs::write(
        &flood,
        "#!/bin/sh\nhead -c 64000000 /dev/zero | tr '\\0' x >&2\nexit 7\n",
    )
    .unwrap();
    let targets = targets(&fleet, &[("root", "flood")]);
    let output = fleet
        .command(&[
            "--hosts",
            &targets,
            "--timeout",
            "600",
            "--agent",
            flood.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    let entry = &report.hosts[0];
    assert_eq!(entry.outcome, HostOutcome::AgentFailed, "{entry:?}");
    let error = entry.error.as_deref().unwrap();
    let cut = error
        .strip_prefix("the agent exited with status 7: ironprep: stderr was cut after 64 KiB (")
        .and_then(|rest| rest.split_once(" more bytes not kept); xxxx"))
        .and_then(|(count, _)| count.parse::<usize>().ok());
    // 64 MB and the script's two short lines, less what was kept.
    assert!(
        cut.is_some_and(|cut| (63_934_464..63_934_664).contains(&cut)),
        "{error}"
    );
    assert_hosts_become_clean(&fleet, &["flood"], "a host flooding stderr");
}
