//! End to end: `ironprep check --network` on a simulated fleet. A worker whose firewall drops
//! its kubelet port shows exactly those pairs failing; a router advertising VRRP on the chosen
//! vrid trips fleet.vrid; a VIP outside the hosts' subnet trips fleet.vip-subnet; latency on
//! the veth links passes; with Calico, a host whose firewall drops IP-in-IP shows the pairs
//! that cannot reach it; and no host keeps a listener or a file afterwards.

mod support;

use ironprep_schema::{FleetCheck, FleetReport, HostOutcome, Status};
use support::{Fleet, can_run, read_report};

fn fleet_check<'a>(report: &'a FleetReport, id: &str) -> &'a FleetCheck {
    report
        .fleet
        .iter()
        .find(|check| check.result.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", report.fleet))
}

/// `from>to port result` of every failing pair.
fn pair_lines(check: &FleetCheck) -> Vec<String> {
    check
        .pairs
        .iter()
        .map(|pair| format!("{}>{} {} {}", pair.from, pair.to, pair.port, pair.result))
        .collect()
}

#[test]
fn the_matrix_latency_vrid_vip_and_mtu_on_a_simulated_fleet() {
    if !can_run("fleet_network") {
        return;
    }
    let fleet = Fleet::up(
        "network",
        &[
            "cp1",
            "cp2",
            "cp3",
            "w1:drop-in=tcp:10250",
            "w2",
            "router:vrrp=51",
        ],
    );
    // The router is not part of the cluster: only its advertisements are.
    let line = |name: &str| format!("{name} ansible_host={}\n", fleet.address(name));
    let inventory = format!(
        "[kube_control_plane]\n{}{}{}\n[kube_node]\n{}{}",
        line("cp1"),
        line("cp2"),
        line("cp3"),
        line("w1"),
        line("w2")
    );
    std::fs::write(fleet.path("cluster.ini"), inventory).unwrap();
    let run = |extra: &[&str]| {
        let mut arguments = vec![
            "-i",
            "cluster.ini",
            "--user",
            "root",
            "--only",
            "net.hostname",
            "--format",
            "json",
            "--output",
            "report.json",
        ];
        arguments.extend_from_slice(extra);
        let output = fleet.ironprep(&arguments);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (
            output.status.code(),
            read_report(&fleet, "report.json"),
            stderr,
        )
    };

    let (code, report, stderr) = run(&["--network", "--vrid", "51", "--vip", "192.0.2.10"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        report
            .hosts
            .iter()
            .all(|host| host.outcome == HostOutcome::Reported),
        "{stderr}"
    );
    assert!(stderr.contains("ironprep: network: 5 hosts"), "{stderr}");

    let connectivity = fleet_check(&report, "fleet.connectivity");
    assert_eq!(connectivity.result.status, Status::Fail);
    let pairs = pair_lines(connectivity);
    assert_eq!(
        pairs,
        [
            "cp1>w1 tcp/10250 timeout",
            "cp2>w1 tcp/10250 timeout",
            "cp3>w1 tcp/10250 timeout",
            "w2>w1 tcp/10250 timeout"
        ],
        "{}",
        connectivity.result.observed
    );
    assert_eq!(connectivity.hosts, ["cp1", "cp2", "cp3", "w1", "w2"]);
    assert!(
        connectivity
            .result
            .observed
            .contains("cp1 → w1 tcp/10250 timeout"),
        "{}",
        connectivity.result.observed
    );

    let latency = fleet_check(&report, "fleet.latency");
    assert_eq!(
        latency.result.status,
        Status::Pass,
        "{}",
        latency.result.observed
    );

    let router = fleet.address("router");
    let vrid = fleet_check(&report, "fleet.vrid");
    assert_eq!(vrid.result.status, Status::Fail, "{:?}", vrid.result);
    assert_eq!(vrid.hosts, ["cp1", "cp2", "cp3"]);
    assert!(
        vrid.result.observed.starts_with(&format!(
            "vrid 51 is used by {router} (heard on cp1, cp2, cp3)"
        )),
        "{}",
        vrid.result.observed
    );

    let vip = fleet_check(&report, "fleet.vip-subnet");
    assert_eq!(vip.result.status, Status::Fail, "{:?}", vip.result);
    assert_eq!(vip.hosts, ["cp1", "cp2", "cp3"]);
    assert_eq!(
        fleet_check(&report, "fleet.mtu").result.status,
        Status::Pass
    );
    for host in ["cp1", "cp2", "cp3", "w1", "w2"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }

    // A free vrid and a VIP inside the subnet, without the matrix; the JUnit shows the checks.
    let inside = format!("{}.250.100", router.rsplitn(3, '.').nth(2).unwrap());
    let (code, report, stderr) = run(&["--vrid", "52", "--vip", &inside]);
    assert_eq!(code, Some(0), "{stderr}");
    let vrid = fleet_check(&report, "fleet.vrid");
    assert_eq!(vrid.result.status, Status::Pass, "{:?}", vrid.result);
    assert!(
        vrid.result
            .observed
            .contains(&format!("vrids in use: 51 ({router})")),
        "{}",
        vrid.result.observed
    );
    assert_eq!(
        fleet_check(&report, "fleet.vip-subnet").result.status,
        Status::Pass
    );
    assert_eq!(
        fleet_check(&report, "fleet.connectivity").result.status,
        Status::Skip
    );
}

#[test]
fn calico_proves_ip_in_ip_between_hosts() {
    if !can_run("fleet_network") {
        return;
    }
    let fleet = Fleet::up("calico", &["cp1", "cp2", "w1:drop-in=ipip"]);
    let line = |name: &str| format!("{name} ansible_host={}\n", fleet.address(name));
    let inventory = format!(
        "[kube_control_plane]\n{}{}\n[kube_node]\n{}",
        line("cp1"),
        line("cp2"),
        line("w1")
    );
    std::fs::write(fleet.path("cluster.ini"), inventory).unwrap();
    let output = fleet.ironprep(&[
        "-i",
        "cluster.ini",
        "--user",
        "root",
        "--only",
        "net.hostname",
        "--cni",
        "calico",
        "--network",
        "--format",
        "json",
        "--output",
        "report.json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report = read_report(&fleet, "report.json");
    let connectivity = fleet_check(&report, "fleet.connectivity");
    let pairs = pair_lines(connectivity);
    assert_eq!(
        pairs,
        ["cp1>w1 ipip not-received", "cp2>w1 ipip not-received"],
        "{}",
        connectivity.result.observed
    );
    assert!(
        connectivity.result.hint.contains("IP protocol 4"),
        "{}",
        connectivity.result.hint
    );
    for host in ["cp1", "cp2", "w1"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }
}
