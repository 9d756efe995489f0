//! End to end: `ironprep check` against a simulated fleet of real sshd hosts with faults, from
//! the outside (the binary, its exit code, its JSON and JUnit, the hosts' temp directories).

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ironprep_schema::{FleetReport, HostOutcome, Status};
use support::{Fleet, PASSABLE, can_run, read_report};

/// The report's entry for `host`.
fn entry<'a>(report: &'a FleetReport, host: &str) -> &'a ironprep_schema::HostEntry {
    report
        .hosts
        .iter()
        .find(|entry| entry.host == host)
        .unwrap_or_else(|| panic!("no entry for {host} in the report"))
}

fn failed_checks(report: &FleetReport, host: &str) -> Vec<String> {
    let entry = entry(report, host);
    let agent = entry
        .report
        .as_ref()
        .unwrap_or_else(|| panic!("{host} has no report: {:?}", entry.error));
    agent
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id.clone())
        .collect()
}

fn fleet_check<'a>(report: &'a FleetReport, id: &str) -> &'a ironprep_schema::FleetCheck {
    report
        .fleet
        .iter()
        .find(|check| check.result.id == id)
        .unwrap()
}

/// `ironprep check` over the whole fleet with the checks a healthy simulated host passes, its
/// JSON report in report.json.
const PASSABLE_RUN: &[&str] = &[
    "--inventory",
    "inventory.yaml",
    "--only",
    PASSABLE,
    // Healthy hosts: far beyond anything load on two cores reaches (timeouts are tested with
    // hosts made slow on purpose).
    "--timeout",
    "120",
    "--format",
    "json",
    "--output",
    "report.json",
];

/// [`PASSABLE_RUN`] plus `extra`: the run succeeds and each of `hosts` reports, fails nothing
/// and leaves nothing behind.
fn passable_run(fleet: &Fleet, extra: &[&str], hosts: &[&str]) -> FleetReport {
    let arguments = [PASSABLE_RUN, extra].concat();
    let output = fleet.ironprep(&arguments);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let report = read_report(fleet, "report.json");
    for host in hosts {
        let entry = entry(&report, host);
        assert_eq!(entry.outcome, HostOutcome::Reported, "{host}: {entry:?}");
        assert!(failed_checks(&report, host).is_empty(), "{host}");
        assert!(
            fleet.leftovers(host).is_empty(),
            "{host}: {:?}",
            fleet.leftovers(host)
        );
    }
    report
}

#[test]
fn every_outcome_failing_checks_duplicates_and_nothing_left_behind() {
    if !can_run("every_outcome") {
        return;
    }
    let fleet = Fleet::up(
        "outcomes",
        &[
            "good",
            "bad:hostname=Bad_Host,noexec,port=6443",
            "sudoer:sudo",
            "password:sudo-password",
            "down:down",
            "rekeyed:rekey",
            "refused:refuse",
            "garbage:garbage",
            "ecdsa:known-ecdsa",
            "twin:hostname=good,tz=Asia/Shanghai,resolv-empty",
            "spare",
        ],
    );
    let known_before = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    let output = fleet.ironprep(PASSABLE_RUN);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let report = read_report(&fleet, "report.json");

    let outcomes: BTreeMap<&str, HostOutcome> = report
        .hosts
        .iter()
        .map(|entry| (entry.host.as_str(), entry.outcome))
        .collect();
    use HostOutcome::*;
    let expected = BTreeMap::from([
        ("good", Reported),
        ("bad", Reported),
        ("sudoer", Reported),
        ("password", AgentFailed),
        ("down", Unreachable),
        ("rekeyed", HostKeyMismatch),
        ("refused", AuthFailed),
        ("garbage", InvalidReport),
        ("ecdsa", Reported),
        ("twin", Reported),
        ("spare", Reported),
    ]);
    assert_eq!(outcomes, expected, "stderr: {stderr}");
    // Every non-reported host says why, in words.
    for entry in report
        .hosts
        .iter()
        .filter(|entry| entry.outcome != Reported)
    {
        assert!(
            entry.error.as_deref().is_some_and(|e| !e.is_empty()),
            "{entry:?}"
        );
    }
    let error = |host: &str| {
        report
            .hosts
            .iter()
            .find(|entry| entry.host == host)
            .and_then(|entry| entry.error.clone())
            .unwrap()
    };
    assert!(error("password").contains("a password is required"));
    assert!(error("rekeyed").contains("changed"));
    assert!(error("garbage").contains("this is not a report"));

    assert!(failed_checks(&report, "good").is_empty());
    assert!(failed_checks(&report, "sudoer").is_empty());
    assert!(failed_checks(&report, "ecdsa").is_empty());
    assert_eq!(
        failed_checks(&report, "bad"),
        ["net.hostname", "net.ports-free", "fs.tmp-exec"]
    );
    assert_eq!(failed_checks(&report, "twin"), ["net.resolv-nameserver"]);

    let names = fleet_check(&report, "fleet.hostname-unique");
    assert_eq!(names.result.status, Status::Fail);
    assert_eq!(names.hosts, ["good", "twin"]);
    let zones = fleet_check(&report, "fleet.timezone");
    assert_eq!(
        (zones.result.status, zones.hosts.clone()),
        (Status::Fail, vec!["twin".into()])
    );
    assert_eq!(
        fleet_check(&report, "fleet.clock-skew").result.status,
        Status::Pass
    );

    // Nothing of ironprep stays on any host, including the noexec one (which used $HOME).
    for host in expected.keys() {
        assert_eq!(
            fleet.leftovers(host),
            Vec::<std::path::PathBuf>::new(),
            "{host}"
        );
    }
    // Strict policy never writes known_hosts.
    assert_eq!(
        std::fs::read_to_string(fleet.path("known_hosts")).unwrap(),
        known_before
    );
    // Plain progress lines, one per host, when stderr is not a terminal.
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("ironprep: "))
            .count(),
        11
    );
}

#[test]
fn ansible_roles_passing_fleet_junit_and_jump_host() {
    if !can_run("ansible_roles") {
        return;
    }
    let fleet = Fleet::up("ansible", &["cp1", "cp2", "cp3:sudo", "w1", "bastion"]);
    let line = |name: &str| {
        let user = if name == "cp3" { "fleet" } else { "root" };
        format!(
            "{name} ansible_host={} ansible_user={user}\n",
            fleet.address(name)
        )
    };
    let inventory = format!(
        "[all]\n{}{}{}{}\n[kube_control_plane]\ncp1\ncp2\ncp3\n\n[kube_node]\nw1\n\n\
         [k8s_cluster:children]\nkube_control_plane\nkube_node\n\n[k8s_cluster:vars]\n\
         kube_network_plugin=calico\n",
        line("cp1"),
        line("cp2"),
        line("cp3"),
        line("w1")
    );
    std::fs::write(fleet.path("hosts.ini"), inventory).unwrap();
    let output = fleet.ironprep(&[
        "-i",
        "hosts.ini",
        "--only",
        PASSABLE,
        "--format",
        "json",
        "--output",
        "report.json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains("ignoring variable 'kube_network_plugin'"),
        "{stderr}"
    );
    let report = read_report(&fleet, "report.json");
    assert!(
        report
            .hosts
            .iter()
            .all(|host| host.outcome == HostOutcome::Reported)
    );
    let roles = fleet_check(&report, "fleet.role-count");
    assert_eq!(roles.result.status, Status::Pass);
    assert_eq!(roles.hosts, ["cp1", "cp2", "cp3"]);
    let w1 = report.hosts.iter().find(|host| host.host == "w1").unwrap();
    assert_eq!(
        w1.report.as_ref().unwrap().roles,
        [ironprep_schema::Role::Worker]
    );

    // The same hosts in kubespray's sample layout: the `[bastion]` group is the jump host
    // (never checked), the control plane's `etcd` membership adds the etcd role, the empty
    // `calico_rr` changes nothing, and `--limit` narrows the run with an Ansible pattern. As
    // JUnit. (tests/fleet_kubespray.rs proves the bastion is used and checks etcd-only hosts.)
    let node = |name: &str| {
        let user = if name == "cp3" { "fleet" } else { "root" };
        format!(
            "{name} ansible_host={} ansible_user={user} ip={}\n",
            fleet.address(name),
            fleet.address(name)
        )
    };
    let kubespray = format!(
        "[all]\n{}{}{}{}bastion ansible_host={} ansible_user=root\n\n[bastion]\nbastion\n\n\
         [kube_control_plane]\ncp1\ncp2\ncp3\n\n[etcd]\ncp1\ncp2\ncp3\n\n[kube_node]\nw1\n\n\
         [calico_rr]\n\n[k8s_cluster:children]\nkube_control_plane\nkube_node\ncalico_rr\n",
        node("cp1"),
        node("cp2"),
        node("cp3"),
        node("w1"),
        fleet.address("bastion")
    );
    std::fs::write(fleet.path("kubespray.ini"), kubespray).unwrap();
    let output = fleet.ironprep(&[
        "-i",
        "kubespray.ini",
        "--limit",
        "k8s_cluster:!w1",
        "--only",
        PASSABLE,
        "--format",
        "junit",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("ignoring host variables 'ip'"), "{stderr}");
    ironprep_e2e::assert_junit(&output.stdout, "fleet --format junit");
    let xml = String::from_utf8_lossy(&output.stdout);
    for suite in ["cp1", "cp2", "cp3", "fleet"] {
        assert!(
            xml.contains(&format!("<testsuite name=\"{suite}\"")),
            "{suite}: {xml}"
        );
    }
    for left_out in ["w1", "bastion"] {
        assert!(
            !xml.contains(&format!("<testsuite name=\"{left_out}\"")),
            "{left_out}: {xml}"
        );
    }
    assert!(xml.contains("<testcase name=\"net.hostname\""), "{xml}");
    for host in ["cp1", "cp2", "cp3", "w1", "bastion"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }
}

#[test]
fn unknown_keys_stop_strict_runs_and_accept_new_learns_them() {
    if !can_run("accept_new") {
        return;
    }
    let fleet = Fleet::up("accept", &["new1", "new2"]);
    std::fs::write(fleet.path("empty_known_hosts"), "").unwrap();
    let hosts = format!("{},{}", fleet.address("new1"), fleet.address("new2"));
    let run = |policy: &str| {
        fleet.ironprep(&[
            "--hosts",
            &hosts,
            "--user",
            "root",
            "--known-hosts",
            "empty_known_hosts",
            "--host-key-policy",
            policy,
            "--only",
            PASSABLE,
            "--format",
            "json",
        ])
    };
    let strict = run("strict");
    assert_eq!(strict.status.code(), Some(3));
    let report: FleetReport = serde_json::from_slice(&strict.stdout).unwrap();
    for host in &report.hosts {
        assert_eq!(host.outcome, HostOutcome::HostKeyUnknown);
        assert!(
            host.error
                .as_deref()
                .unwrap()
                .contains("not in known_hosts")
        );
    }
    let learned = run("accept-new");
    assert_eq!(
        learned.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&learned.stderr)
    );
    let known = std::fs::read_to_string(fleet.path("empty_known_hosts")).unwrap();
    assert_eq!(known.lines().count(), 2, "{known}");
    // Now known: strict passes.
    assert_eq!(run("strict").status.code(), Some(0));
}

/// An "agent" that never finishes: the host times out, and its directory is removed over the
/// same connection; Ctrl-C does the same for every host in flight and still prints a report.
#[test]
fn timeouts_and_ctrl_c_clean_up_hosts_in_flight() {
    if !can_run("timeouts") {
        return;
    }
    let fleet = Fleet::up("slow", &["slow1", "slow2:sudo", "hang:hang"]);
    let sleeper = fleet.path("sleeper");
    std::fs::write(&sleeper, "#!/bin/sh\nsleep 60\n").unwrap();
    let sleeper = sleeper.to_str().unwrap();
    let hosts = format!(
        "root@{},fleet@{}",
        fleet.address("slow1"),
        fleet.address("slow2")
    );
    // A host whose sshd accepts TCP and never answers times out in the handshake.
    let with_hang = format!("{hosts},root@{}", fleet.address("hang"));

    let started = Instant::now();
    let output = fleet
        .command(&[
            "--hosts",
            &with_hang,
            "--timeout",
            "3",
            "--format",
            "json",
            "--agent",
            sleeper,
        ])
        .output()
        .unwrap();
    // The agent sleeps 60 s: a run that ends well before proves the timeout cut it short,
    // however loaded the machine (no tighter bound: that would measure the machine).
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(3));
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts.len(), 3);
    for host in &report.hosts {
        assert_eq!(host.outcome, HostOutcome::Timeout, "{host:?}");
        assert!(
            !host.error.as_deref().unwrap().contains("could not confirm"),
            "{host:?}"
        );
    }
    assert!(
        fleet.leftovers("slow1").is_empty(),
        "{:?}",
        fleet.leftovers("slow1")
    );
    assert!(
        fleet.leftovers("slow2").is_empty(),
        "{:?}",
        fleet.leftovers("slow2")
    );

    let child = fleet
        .command(&[
            "--hosts",
            &hosts,
            "--timeout",
            "60",
            "--format",
            "json",
            "--agent",
            sleeper,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both hosts run the sleeper (its directory exists), then interrupt.
    let deadline = Instant::now() + Duration::from_secs(15);
    while (fleet.leftovers("slow1").is_empty() || fleet.leftovers("slow2").is_empty())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts.len(), 2);
    for host in &report.hosts {
        assert!(
            host.error.as_deref().unwrap().contains("interrupted"),
            "{host:?}"
        );
    }
    assert!(
        fleet.leftovers("slow1").is_empty(),
        "{:?}",
        fleet.leftovers("slow1")
    );
    assert!(
        fleet.leftovers("slow2").is_empty(),
        "{:?}",
        fleet.leftovers("slow2")
    );
}

use std::process::Command;

/// Ansible inventories decide roles by group; a host whose groups give none (Kubespray's
/// `calico_rr`), or a `--limit` that selects nothing, stops the run before any host is
/// contacted.
#[test]
fn a_host_without_a_role_or_an_empty_limit_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        "[kube_control_plane]\n10.255.255.1\n[etcd]\n10.255.255.1\n10.255.255.2\n\
         [calico_rr]\n10.255.255.3\n[k8s_cluster:children]\nkube_control_plane\ncalico_rr\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        Command::new(ironprep_e2e::ironprep())
            .args(["check", "--agent", "/bin/true", "-i"])
            .arg(&inventory)
            .args(extra)
            .output()
            .unwrap()
    };
    // etcd gives a role (10.255.255.2 is an etcd-only host); Calico's route reflectors do
    // not, and the error says what to do about them.
    let output = run(&[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "host 10.255.255.3 has no role: its groups (k8s_cluster, calico_rr) give none"
        ) && stderr.contains("put them in kube_node too, or give --role worker"),
        "{stderr}"
    );
    let output = run(&["--limit", "nosuch*"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--limit 'nosuch*' matches no host"),
        "{stderr}"
    );
}

#[test]
fn bad_input_is_a_usage_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("broken.ini");
    std::fs::write(&inventory, "[all]\nnode1\n[kube_node\n").unwrap();
    let output = Command::new(ironprep_e2e::ironprep())
        .args(["check", "--agent", "/bin/true", "-i"])
        .arg(&inventory)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.ini:3: unclosed section header"),
        "{stderr}"
    );

    let output = Command::new(ironprep_e2e::ironprep())
        .args(["check", "--agent", "/bin/true", "--hosts", "10.255.255.1"])
        .args(["--ssh-key", "/nonexistent/key"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read the SSH key /nonexistent/key"),
        "{stderr}"
    );
}

/// Hosts the happy path does not reach: sudo under `Defaults requiretty` (the agent runs on a
/// PTY, uploaded on a channel without one), and an sshd restricted like OpenSSH 7.4 on RHEL 7
/// (RSA host key, its default kex, user keys accepted with ssh-rsa SHA-1 signatures only, so
/// the RSA key gets in after rsa-sha2-512 and -256 are refused). Both report; nothing stays.
#[test]
fn requiretty_and_openssh_7_4_hosts_report() {
    if !can_run("requiretty_and_legacy") {
        return;
    }
    // The OpenSSH 7.4 host is RHEL 7 in full: no zstd in its base either.
    let fleet = Fleet::up("legacy", &["tty:requiretty", "old:legacy,without=zstd"]);
    // client_key (ed25519) first: the legacy host refuses it, then the RSA key.
    let report = passable_run(&fleet, &["--ssh-key", "client_rsa_key"], &["tty", "old"]);
    // The requiretty host logged in as 'fleet' and got root through sudo on the PTY.
    let tty = entry(&report, "tty");
    let access = tty
        .report
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|check| check.id == "access.root-or-sudo")
        .unwrap();
    assert_eq!(access.status, Status::Pass);
}

/// `agent` as `command` (a compressor's command line, reading stdin) compresses it.
fn compressed(agent: &std::path::Path, command: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new(command[0])
        .args(&command[1..])
        .stdin(std::fs::File::open(agent).unwrap())
        .output()
        .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(output.status.success(), "{command:?}: {output:?}");
    output.stdout
}

#[test]
fn each_host_gets_the_agent_in_the_codec_it_can_undo() {
    if !can_run("each_host_gets_the_agent_in_the_codec_it_can_undo") {
        return;
    }
    // zstd where the host has it; xz on a host without zstd (RHEL 7's base); gzip on one
    // with neither.
    let fleet = Fleet::up(
        "codecs",
        &["all", "noz:without=zstd", "bare:without=zstd,without=xz"],
    );
    // The agent alone, with an .xz made here (the controller makes zstd itself, never xz):
    // what each codec puts on the wire is then known.
    let directory = fleet.path("agent");
    std::fs::create_dir(&directory).unwrap();
    let agent = directory.join("ironprep-agent");
    std::fs::copy(support::agent(), &agent).unwrap();
    let xz = compressed(&agent, &["xz", "-T1", "-6", "--check=crc64", "-c"]);
    std::fs::write(directory.join("ironprep-agent.xz"), &xz).unwrap();
    let size = |command: &[&str]| compressed(&agent, command).len() as u64;
    let sizes = [
        ("zstd", size(&["zstd", "-q", "-6", "--check", "-c"])),
        ("xz", xz.len() as u64),
        ("gzip", size(&["gzip", "-1", "-c"])),
    ];
    let hosts = [("all", "zstd"), ("noz", "xz"), ("bare", "gzip")];
    // A report alone, then a report and a network session (which uploads the agent a second
    // time): the second run's bytes less the first's are the session's upload, so each of the
    // two uploads is judged on its own.
    let names: Vec<&str> = hosts.iter().map(|(host, _)| *host).collect();
    let mut uploads: Vec<[u64; 2]> = vec![[0; 2]; hosts.len()];
    for (run, network) in [(0, false), (1, true)] {
        let before: Vec<u64> = hosts
            .iter()
            .map(|(host, _)| fleet.received_bytes(host))
            .collect();
        let network: &[&str] = if network { &["--network"] } else { &[] };
        passable_run(
            &fleet,
            &[&["--agent", agent.to_str().unwrap()], network].concat(),
            &names,
        );
        for (index, ((host, _), before)) in hosts.iter().zip(before).enumerate() {
            uploads[index][run] = fleet.received_bytes(host) - before;
        }
    }
    for ((host, codec), [report, both]) in hosts.iter().zip(uploads) {
        // Each upload is the agent in one codec plus SSH's framing and the rest of the session
        // (a few KB): nearest to that codec's size of the three.
        for (what, received) in [
            ("report", report),
            ("network session", both.saturating_sub(report)),
        ] {
            let (nearest, _) = sizes
                .iter()
                .min_by_key(|(_, size)| received.abs_diff(*size))
                .unwrap();
            assert_eq!(
                nearest, codec,
                "{host}'s {what} received {received} bytes; the agent is {sizes:?}"
            );
        }
    }
}

/// A host that offers only some ciphers still reports: one in FIPS mode (no
/// ChaCha20-Poly1305, the first choice), one with ChaCha20-Poly1305 alone and one with a
/// single CTR mode.
#[test]
fn hosts_that_offer_few_ciphers_report() {
    if !can_run("hosts_that_offer_few_ciphers_report") {
        return;
    }
    let fleet = Fleet::up(
        "ciphers",
        &[
            "fips:ciphers=aes256-gcm@openssh.com+aes128-gcm@openssh.com+aes256-ctr+aes128-ctr",
            "chacha:ciphers=chacha20-poly1305@openssh.com",
            "ctr:ciphers=aes128-ctr",
        ],
    );
    passable_run(&fleet, &[], &["fips", "chacha", "ctr"]);
}

/// `fs.tmp-exec` fails on every host (noexec temp directories) and `fleet.timezone` across
/// them (core is in another zone): edge-* and the zone are waived, core's failure is not.
const FLEET_WAIVERS: &str = "\
- check: fs.tmp-exec
  hosts: [edge-*]
  reason: the edge image mounts /tmp noexec; the installer unpacks elsewhere
  owner: edge-team
  expires: 2999-12-31
- check: fleet.timezone
  reason: core stays in Shanghai until the move
";

#[test]
fn waivers_on_a_fleet_match_hosts_by_pattern_in_every_format() {
    if !can_run("waivers_on_a_fleet") {
        return;
    }
    let fleet = Fleet::up(
        "waivers",
        &[
            "edge-1:noexec",
            "edge-2:noexec",
            "core:noexec,tz=Asia/Shanghai",
        ],
    );
    let run = |waivers: &str, format: &str| {
        std::fs::write(fleet.path("waivers.yaml"), waivers).unwrap();
        let _ = std::fs::remove_file(fleet.path("report.out"));
        let output = fleet.ironprep(&[
            "--inventory",
            "inventory.yaml",
            "--only",
            PASSABLE,
            "--timeout",
            "120",
            "--waivers",
            "waivers.yaml",
            "--format",
            format,
            "--output",
            "report.out",
        ]);
        let written = std::fs::read_to_string(fleet.path("report.out")).ok();
        (output, written)
    };

    let (output, _) = run(FLEET_WAIVERS, "json");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "core still fails: {stderr}");
    let report = read_report(&fleet, "report.out");
    let check = |host: &str| {
        report
            .hosts
            .iter()
            .find(|entry| entry.host == host)
            .and_then(|entry| entry.report.as_ref())
            .unwrap_or_else(|| panic!("{host} did not report: {stderr}"))
            .checks
            .iter()
            .find(|check| check.id == "fs.tmp-exec")
            .unwrap()
            .clone()
    };
    for host in ["edge-1", "edge-2"] {
        let waived = check(host);
        assert_eq!(waived.status, Status::Waived, "{host}: {waived:?}");
        let words = waived.reason.as_deref().unwrap();
        assert!(
            words.starts_with("waived (fail: ")
                && words.contains("the edge image mounts /tmp noexec")
                && words.contains("owner edge-team; until 2999-12-31"),
            "{host}: {words}"
        );
        // Every other check still passes: the waiver changed one result, nothing else.
        assert!(failed_checks(&report, host).is_empty(), "{host}");
    }
    assert_eq!(failed_checks(&report, "core"), ["fs.tmp-exec"]);
    let zones = fleet_check(&report, "fleet.timezone");
    assert_eq!(zones.result.status, Status::Waived, "{zones:?}");
    assert!(
        zones
            .result
            .reason
            .as_deref()
            .is_some_and(|words| words.contains("core stays in Shanghai until the move")),
        "{zones:?}"
    );
    assert_eq!((report.summary.fail, report.summary.waived), (1, 3));

    let (output, table) = run(FLEET_WAIVERS, "table");
    assert_eq!(output.status.code(), Some(1));
    let table = table.unwrap();
    for needle in [
        "FAIL  core (1)\n      fs.tmp-exec",
        "ok    edge-1, edge-2 (2)\n      waived: fs.tmp-exec",
        "FAIL  fs.tmp-exec",
        "WAIVED fs.tmp-exec",
        "hosts     edge-1, edge-2 (2)",
        "WAIVED fleet.timezone",
        "0 warn, 1 fail, ",
        ", 0 error, 3 waived",
    ] {
        assert!(table.contains(needle), "{needle} missing from:\n{table}");
    }

    let (output, junit) = run(FLEET_WAIVERS, "junit");
    assert_eq!(output.status.code(), Some(1));
    let junit = junit.unwrap();
    ironprep_e2e::assert_junit(junit.as_bytes(), "fleet --waivers --format junit");
    assert_eq!(junit.matches("<failure").count(), 1, "{junit}");
    assert_eq!(
        junit.matches("<skipped message=\"waived (fail:").count(),
        3,
        "{junit}"
    );

    // core waived too: nothing fails.
    let (output, _) = run(&FLEET_WAIVERS.replace("[edge-*]", "[edge-*, core]"), "json");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(read_report(&fleet, "report.out").summary.waived, 4);

    // An expired waiver and an unknown ID stop the run before any host is contacted, in
    // every format: no report, no progress line about a host.
    let expired = FLEET_WAIVERS.replace("2999-12-31", "2023-01-31");
    let unknown = format!("{FLEET_WAIVERS}- check: fs.tmp-exce\n  reason: typo\n");
    for format in ["table", "json", "junit"] {
        for (waivers, message) in [
            (
                &expired,
                "waivers.yaml:1: the waiver of fs.tmp-exec expired on 2023-01-31 (owner \
                 edge-team)",
            ),
            (
                &unknown,
                "waivers.yaml:8: waiver 3: `check`: unknown check ID 'fs.tmp-exce' (see \
                 ironprep check --list)",
            ),
        ] {
            let (output, written) = run(waivers, format);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{format}: {stderr}");
            assert!(stderr.contains(message), "{format}: {stderr}");
            assert_eq!(written, None, "{format}: a report was written");
            assert!(
                !stderr.lines().any(|line| line.starts_with("ironprep: ")),
                "{format}: a host was contacted: {stderr}"
            );
        }
    }
    for host in ["edge-1", "edge-2", "core"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }
}
