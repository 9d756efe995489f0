//! End to end: Kubespray's sample inventory layout (`[bastion]`, `[kube_control_plane]`,
//! `[etcd]`, `[kube_node]`, `[calico_rr]`, `[k8s_cluster:children]`) against the simulated
//! fleet, `--list-hosts` (which contacts nothing), and a host whose key changed under
//! `--host-key-policy accept-new`.

mod support;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::process::{Command, Output};

use ironprep_schema::listing::HostList;
use ironprep_schema::{FleetReport, HostOutcome, Role, Status};
use support::{Fleet, PASSABLE, can_run, read_report};

fn entry<'a>(report: &'a FleetReport, host: &str) -> &'a ironprep_schema::HostEntry {
    report
        .hosts
        .iter()
        .find(|entry| entry.host == host)
        .unwrap_or_else(|| panic!("no host {host} in the report"))
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

fn host_list(output: &Output) -> HostList {
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    ironprep_e2e::assert_schema("host-list", &value);
    serde_json::from_value(value).unwrap()
}

/// Kubespray's `inventory/sample/inventory.ini` as releases up to 2.23 shipped it, filled in.
/// `address` gives each host's address.
fn kubespray_inventory(address: &dyn Fn(&str) -> String) -> String {
    let node = |name: &str, member: Option<&str>| {
        let address = address(name);
        let member = member.map_or(String::new(), |name| format!(" etcd_member_name={name}"));
        format!("{name} ansible_host={address} ip={address}{member}\n")
    };
    format!(
        "# ## Configure 'ip' variable to bind kubernetes services on a\n\
         # ## different ip than the default iface\n\
         [all]\n{}{}{}{}{}\
         bastion ansible_host={} ansible_user=root\n\n\
         [all:vars]\nansible_user=root\n\n\
         # ## configure a bastion host if your nodes are not directly reachable\n\
         [bastion]\nbastion\n\n\
         [kube_control_plane]\ncp1\ncp2\ncp3\n\n\
         [etcd]\ncp1\ncp2\ne1\n\n\
         [kube_node]\nw1\n\n\
         [calico_rr]\n\n\
         [k8s_cluster:children]\nkube_control_plane\nkube_node\ncalico_rr\n",
        node("cp1", Some("etcd1")),
        node("cp2", Some("etcd2")),
        node("cp3", None),
        node("e1", Some("etcd3")),
        node("w1", None),
        address("bastion"),
    )
}

/// The sample layout on real sshd hosts that let users in only from the bastion: every host
/// reports, so every host was reached through the bastion; the etcd-only host is held to
/// etcd's ports and no others, the worker to none of etcd's.
#[test]
fn kubespray_sample_layout_through_its_bastion() {
    if !can_run("kubespray") {
        return;
    }
    let fleet = Fleet::up(
        "kubespray",
        &[
            "bastion",
            "cp1:only-from=bastion",
            "cp2:only-from=bastion",
            "cp3:only-from=bastion",
            // Something on etcd's client port and on the API server's: only the first is
            // etcd's business.
            "e1:only-from=bastion,port=2379,port=6443",
            // A worker does not care who holds 2379.
            "w1:only-from=bastion,port=2379",
        ],
    );
    let inventory = kubespray_inventory(&|name| fleet.address(name));
    std::fs::write(fleet.path("inventory.ini"), inventory).unwrap();

    let output = fleet.ironprep(&[
        "-i",
        "inventory.ini",
        "--only",
        PASSABLE,
        // Healthy hosts: far beyond anything load on two cores reaches.
        "--timeout",
        "120",
        "--format",
        "json",
        "--output",
        "report.json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("ignoring host variables 'etcd_member_name', 'ip'"),
        "{stderr}"
    );
    let report = read_report(&fleet, "report.json");
    let names: Vec<&str> = report.hosts.iter().map(|host| host.host.as_str()).collect();
    assert_eq!(
        names,
        ["cp1", "cp2", "cp3", "e1", "w1"],
        "the bastion is not checked"
    );
    for host in &report.hosts {
        // Each of them lets users in only from the bastion's address.
        assert_eq!(host.outcome, HostOutcome::Reported, "{host:?}");
    }
    let roles = |host: &str| entry(&report, host).report.as_ref().unwrap().roles.clone();
    assert_eq!(roles("cp1"), [Role::ControlPlane, Role::Etcd]);
    assert_eq!(roles("cp3"), [Role::ControlPlane]);
    assert_eq!(roles("e1"), [Role::Etcd]);
    assert_eq!(roles("w1"), [Role::Worker]);

    assert_eq!(failed_checks(&report, "e1"), ["net.ports-free"]);
    let ports = entry(&report, "e1")
        .report
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|check| check.id == "net.ports-free")
        .unwrap();
    assert!(ports.observed.starts_with("2379 held by perl"), "{ports:?}");
    assert!(!ports.observed.contains("6443"), "{ports:?}");
    assert_eq!(ports.expected, "no TCP listener on 2379, 2380 (etcd)");
    for host in ["cp1", "cp2", "cp3", "w1"] {
        assert!(failed_checks(&report, host).is_empty(), "{host}");
    }
    let role_count = report
        .fleet
        .iter()
        .find(|check| check.result.id == "fleet.role-count")
        .unwrap();
    assert_eq!(role_count.result.status, Status::Pass);
    for host in ["bastion", "cp1", "cp2", "cp3", "e1", "w1"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }

    // Without the bastion the same host refuses the controller: the bastion, not luck,
    // reached them.
    let direct = format!("root@{}", fleet.address("w1"));
    let output = fleet.ironprep(&[
        "--hosts",
        &direct,
        "-F",
        "none",
        "--only",
        PASSABLE,
        "--timeout",
        "120",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(3));
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts[0].outcome, HostOutcome::AuthFailed);

    // --list-hosts on the same inventory: every host behind the bastion, as the run reached
    // them; --limit narrows it with an Ansible pattern.
    let output = fleet.ironprep(&["-i", "inventory.ini", "--list-hosts"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{table}");
    let hop = format!("root@{}:22", fleet.address("bastion"));
    for host in ["cp1", "cp2", "cp3", "e1", "w1"] {
        let line = table
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{host} ")))
            .unwrap_or_else(|| panic!("no line for {host}: {table}"));
        assert!(line.contains(&hop), "{line}");
    }
    assert!(!table.contains("bastion "), "{table}");
    let output = fleet.ironprep(&[
        "-i",
        "inventory.ini",
        "--list-hosts",
        "--limit",
        "etcd:!kube_control_plane",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let list = host_list(&output);
    assert_eq!(list.hosts.len(), 1);
    let e1 = &list.hosts[0];
    assert_eq!(
        (e1.host.as_str(), e1.roles.as_slice()),
        ("e1", [Role::Etcd].as_slice())
    );
    let hops: Vec<(String, u16, String)> = e1
        .jump
        .iter()
        .map(|hop| (hop.address.clone(), hop.port, hop.user.clone()))
        .collect();
    assert_eq!(hops, [(fleet.address("bastion"), 22, "root".to_owned())]);
}

/// Two listening sockets nobody may connect to: `true` when a connection came in.
fn connected(listener: &TcpListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(error) if error.kind() == ErrorKind::WouldBlock => false,
        Err(error) => panic!("accept: {error}"),
    }
}

/// `--list-hosts` needs nothing a run needs beyond the inventory and ssh_config — no agent,
/// key or known_hosts — and connects to nothing: the hosts and the bastion listen on this
/// machine and see no connection, while a real run of the same inventory does connect.
#[test]
fn list_hosts_contacts_nothing_and_needs_no_agent_key_or_known_hosts() {
    let dir = tempfile::tempdir().unwrap();
    // Two loopback addresses: a host that jumps through itself would be a ProxyJump loop.
    let host = TcpListener::bind("127.0.0.2:0").unwrap();
    let bastion = TcpListener::bind("127.0.0.1:0").unwrap();
    host.set_nonblocking(true).unwrap();
    bastion.set_nonblocking(true).unwrap();
    let host_port = host.local_addr().unwrap().port();
    let bastion_port = bastion.local_addr().unwrap().port();
    let inventory = format!(
        "[all]\ncp1 ansible_host=127.0.0.2 ansible_port={host_port}\n\
         e1 ansible_host=192.0.2.10\nw1 ansible_host=192.0.2.11 ansible_user=ops\n\
         rr1 ansible_host=192.0.2.12\n\
         bastion ansible_host=127.0.0.1 ansible_port={bastion_port} ansible_user=jump\n\
         [all:vars]\nansible_user=root\n\
         [bastion]\nbastion\n[kube_control_plane]\ncp1\n[etcd]\ncp1\ne1\n[kube_node]\nw1\n\
         [calico_rr]\nrr1\n[k8s_cluster:children]\nkube_control_plane\nkube_node\ncalico_rr\n"
    );
    std::fs::write(dir.path().join("inventory.ini"), inventory).unwrap();
    let list = |extra: &[&str]| {
        Command::new(ironprep_e2e::ironprep())
            .current_dir(dir.path())
            .args(["check", "-i", "inventory.ini", "--list-hosts", "-F", "none"])
            .args(["--agent", "/nonexistent/ironprep-agent"])
            .args(["--ssh-key", "/nonexistent/id_ed25519"])
            .args(["--known-hosts", "/nonexistent/known_hosts"])
            .args(extra)
            .env_remove("SSH_AUTH_SOCK")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };

    // The route reflector has no role: an input error, as for a run.
    let output = list(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("host rr1 has no role") && stderr.contains("--role worker"),
        "{stderr}"
    );

    let output = list(&["--limit", "!calico_rr", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let hosts = host_list(&output);
    let names: Vec<&str> = hosts.hosts.iter().map(|host| host.host.as_str()).collect();
    assert_eq!(names, ["cp1", "e1", "w1"]);
    let cp1 = &hosts.hosts[0];
    assert_eq!(
        (cp1.address.as_str(), cp1.port, cp1.user.as_str()),
        ("127.0.0.2", host_port, "root")
    );
    assert_eq!(cp1.roles, [Role::ControlPlane, Role::Etcd]);
    let hop = &cp1.jump[0];
    assert_eq!(
        (
            cp1.jump.len(),
            hop.address.as_str(),
            hop.port,
            hop.user.as_str()
        ),
        (1, "127.0.0.1", bastion_port, "jump")
    );
    assert_eq!(hosts.hosts[2].user, "ops");
    // The checks follow the roles: etcd's disk for etcd members, sizing for nodes.
    let runs = |host: usize, id: &str| hosts.hosts[host].checks.iter().any(|check| check == id);
    assert!(runs(0, "disk.ssd") && runs(0, "memory.size") && runs(0, "net.ports-free"));
    assert!(runs(1, "disk.ssd") && !runs(1, "memory.size") && runs(1, "net.ports-free"));
    assert!(!runs(2, "disk.ssd") && runs(2, "memory.size"));
    assert!(!runs(2, "disk.performance"), "on request only");

    // --role gives the route reflector one; the table shows the chain and the checks.
    let output = list(&["--role", "worker", "--with", "disk.performance"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{table}");
    assert!(table.contains("4 hosts"), "{table}");
    assert!(table.contains("nothing was contacted"), "{table}");
    let line = |host: &str| {
        table
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{host} ")))
            .unwrap_or_else(|| panic!("no line for {host}: {table}"))
            .to_owned()
    };
    assert!(
        line("cp1").contains(&format!("jump@127.0.0.1:{bastion_port}")),
        "{table}"
    );
    assert!(line("rr1").contains(" worker "), "{table}");
    assert!(
        line("e1").contains("+disk.ssd +disk.performance"),
        "{table}"
    );
    assert!(
        !line("w1").contains("disk.") && line("w1").contains("+memory.size"),
        "{table}"
    );

    // Written with --output like any document; JUnit has nothing to say about it.
    let output = list(&[
        "--role",
        "worker",
        "--format",
        "json",
        "--output",
        "hosts.json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("hosts.json")).unwrap();
    assert!(written.contains("\"schema_version\": 1"), "{written}");
    let output = list(&["--role", "worker", "--format", "junit"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("table or json"));

    assert!(!connected(&host), "--list-hosts connected to a host");
    assert!(
        !connected(&bastion),
        "--list-hosts connected to the bastion"
    );

    // The listeners would have seen a run: the same inventory without --list-hosts connects
    // to the bastion (which never answers; the run gives up after --timeout).
    std::fs::write(dir.path().join("known_hosts"), "").unwrap();
    std::fs::write(dir.path().join("agent"), "#!/bin/sh\n").unwrap();
    let output = Command::new(ironprep_e2e::ironprep())
        .current_dir(dir.path())
        .args([
            "check",
            "-i",
            "inventory.ini",
            "-F",
            "none",
            "--limit",
            "cp1",
        ])
        .args(["--agent", "agent", "--known-hosts", "known_hosts"])
        .args(["--timeout", "2", "--format", "json"])
        .env("HOME", dir.path())
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    let report: FleetReport = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(report.hosts[0].outcome, HostOutcome::Timeout, "{report:?}");
    assert!(
        connected(&bastion),
        "the run did not connect to the bastion"
    );
}

/// A host whose key changed, beside one seen for the first time, under accept-new: the
/// changed one stops as `host-key-mismatch` and its known_hosts line stays as it was; the new
/// one is learned (one line appended) and the known one reports.
#[test]
fn a_changed_host_key_stops_that_host_and_is_never_written() {
    if !can_run("changed_key") {
        return;
    }
    let fleet = Fleet::up("rekey", &["same", "changed:rekey", "fresh"]);
    let fresh = fleet.address("fresh");
    let listed = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    // `fresh` is unknown: its line goes.
    let before: String = listed
        .lines()
        .filter(|line| !line.starts_with(&format!("{fresh} ")))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(before.lines().count(), 2, "{listed}");
    std::fs::write(fleet.path("known_hosts"), &before).unwrap();

    let run = |policy: &str| {
        fleet.ironprep(&[
            "-i",
            "inventory.yaml",
            "--host-key-policy",
            policy,
            "--only",
            PASSABLE,
            "--timeout",
            "120",
            "--format",
            "json",
        ])
    };
    let output = run("accept-new");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    let outcome = |report: &FleetReport, host: &str| entry(report, host).outcome;
    assert_eq!(outcome(&report, "same"), HostOutcome::Reported);
    assert_eq!(outcome(&report, "fresh"), HostOutcome::Reported);
    assert_eq!(outcome(&report, "changed"), HostOutcome::HostKeyMismatch);
    let error = entry(&report, "changed").error.clone().unwrap_or_default();
    assert!(error.contains("changed"), "{error}");
    assert!(failed_checks(&report, "same").is_empty());

    let after = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    assert!(after.starts_with(&before), "{before}\n---\n{after}");
    let added: Vec<&str> = after[before.len()..].lines().collect();
    assert_eq!(added.len(), 1, "{after}");
    assert!(added[0].starts_with(&format!("{fresh} ")), "{after}");

    // Strict now: the learned host passes, the changed key still stops its host.
    let output = run("strict");
    assert_eq!(output.status.code(), Some(3));
    let report: FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(outcome(&report, "fresh"), HostOutcome::Reported);
    assert_eq!(outcome(&report, "changed"), HostOutcome::HostKeyMismatch);
    assert_eq!(
        std::fs::read_to_string(fleet.path("known_hosts")).unwrap(),
        after
    );
    for host in ["same", "changed", "fresh"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }
}
