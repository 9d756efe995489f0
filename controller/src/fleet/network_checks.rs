//! The checks of the network between hosts (`fleet.connectivity`, `fleet.latency`,
//! `fleet.vip-subnet`, `fleet.vrid`, `fleet.mtu`), from what the network sessions measured and
//! the facts the agents reported. Pure functions of recorded data, so thresholds and grouping
//! are tested without a network.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ironprep_schema::net::{FailingPair, Port, ProbeResult, Protocol};
use ironprep_schema::{Cni, FleetCheck, HostEntry, Role, Status};

use super::cross_host::{check, skipped};
use super::measurement::{Cidr, Measurement};

/// Round trip inside one network (SPEC: latency ≤ 2 ms in one network).
pub const SAME_NETWORK_MAX_US: u64 = 2_000;
/// Across networks: ideally ≤ 30 ms (warn above), at most 100 ms (fail above).
pub const CROSS_NETWORK_WARN_US: u64 = 30_000;
pub const CROSS_NETWORK_MAX_US: u64 = 100_000;
/// Failing pairs named in `observed`; the JSON's `pairs` has them all.
const PAIRS_SHOWN: usize = 12;

/// What the checks need to know of the run besides the measurement.
#[derive(Clone, Debug, Default)]
pub struct NetworkInputs {
    pub cni: Option<Cni>,
    pub vip: Option<IpAddr>,
    pub vrid: Option<u8>,
    /// `--cross-network`: each CIDR one network; without it, every host is in one network.
    pub networks: Vec<Cidr>,
}

/// A host as the network checks see it: the address the cluster will use and its roles.
#[derive(Clone, Debug, Default)]
pub struct Node {
    pub address: Option<IpAddr>,
    pub roles: Vec<Role>,
}

pub fn run(
    hosts: &[HostEntry],
    nodes: &BTreeMap<String, Node>,
    measurement: Option<&Measurement>,
    inputs: &NetworkInputs,
) -> Vec<FleetCheck> {
    vec![
        connectivity(measurement),
        latency(measurement, nodes, &inputs.networks),
        vip_subnet(hosts, nodes, inputs.vip),
        vrid(measurement, nodes, inputs.vrid),
        mtu(hosts, nodes),
    ]
}

const NOT_MEASURED: &str = "the network between hosts was not measured (add --network)";

pub fn connectivity(measurement: Option<&Measurement>) -> FleetCheck {
    let title = "hosts reach each other on the ports their roles need";
    let id = "fleet.connectivity";
    let Some(measurement) = measurement.filter(|measurement| measurement.ports_probed) else {
        return skipped(id, title, NOT_MEASURED);
    };
    let mut pairs = Vec::new();
    let mut passed = 0_usize;
    let mut unmeasured = 0_usize;
    for (source, session) in &measurement.sessions {
        let Some(probes) = &session.probes else {
            continue;
        };
        for probe in &probes.probes {
            let Some(target) = measurement.sessions.get(&probe.host) else {
                unmeasured += 1;
                continue;
            };
            let listened = target.ready.listening.contains(&probe.port);
            let failure = match (probe.port.protocol, probe.result) {
                (Protocol::Tcp, ProbeResult::Open) => None,
                // A service that holds the port but refuses this address is not ours to judge.
                (Protocol::Tcp, ProbeResult::Refused) if !listened => {
                    unmeasured += 1;
                    continue;
                }
                (Protocol::Udp | Protocol::Ipip, ProbeResult::Sent) => {
                    match target.closed.as_ref().filter(|_| listened) {
                        None => {
                            unmeasured += 1;
                            continue;
                        }
                        Some(closed) => {
                            let heard = if probe.port.protocol == Protocol::Ipip {
                                closed.ipip_from.iter().flatten().any(|name| name == source)
                            } else {
                                closed.received.iter().any(|received| {
                                    received.port == probe.port.port
                                        && received.from.iter().any(|name| name == source)
                                })
                            };
                            (!heard).then(|| "not-received".to_owned())
                        }
                    }
                }
                (_, result) => Some(result_word(result).to_owned()),
            };
            match failure {
                None => passed += 1,
                Some(result) => pairs.push(FailingPair {
                    from: source.clone(),
                    to: probe.host.clone(),
                    port: probe.port,
                    result,
                }),
            }
        }
    }
    pairs.sort();
    let expected = "every host reaches its peers on the ports their roles need (control \
                    plane: 6443, 2379, 2380, 10250; all: 10250, 22; kube-ovn: 6641, 6642, \
                    udp/6081; calico: 179 and IP-in-IP)"
        .to_owned();
    let involved: BTreeSet<String> = pairs
        .iter()
        .flat_map(|pair| [pair.from.clone(), pair.to.clone()])
        .collect();
    let total = passed + pairs.len();
    let mut observed = format!(
        "{total} connections between {} hosts",
        measurement.sessions.len()
    );
    if unmeasured > 0 {
        observed.push_str(&format!(
            " ({unmeasured} not measured: port held by a service that refused)"
        ));
    }
    if !measurement.failed.is_empty() {
        observed.push_str(&format!(
            "; no session on {}",
            measurement
                .failed
                .iter()
                .map(|(host, why)| format!("{host} ({why})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let status = if !pairs.is_empty() {
        Status::Fail
    } else if !measurement.failed.is_empty() || total == 0 {
        Status::Error
    } else {
        Status::Pass
    };
    let mut result = check(id, title, status, involved.into_iter().collect());
    if !pairs.is_empty() {
        let shown: Vec<String> = pairs
            .iter()
            .take(PAIRS_SHOWN)
            .map(|pair| format!("{} → {} {} {}", pair.from, pair.to, pair.port, pair.result))
            .collect();
        observed = format!(
            "{} of {observed} fail: {}{}",
            pairs.len(),
            shown.join("; "),
            if pairs.len() > PAIRS_SHOWN {
                format!("; and {} more", pairs.len() - PAIRS_SHOWN)
            } else {
                String::new()
            }
        );
        result.result.hint = if pairs.iter().any(|pair| pair.port == Port::IPIP) {
            "open these ports between the hosts, and let IP protocol 4 (IP-in-IP) through for \
             Calico (host firewall: firewalld, nftables, iptables; security groups; switch \
             ACLs; cloud networks that filter protocols other than TCP/UDP/ICMP): a timeout \
             means dropped, refused means rejected"
        } else {
            "open these ports between the hosts (host firewall: firewalld, nftables, iptables; \
             security groups; switch ACLs): a timeout means dropped, refused means rejected"
        }
        .to_owned();
    } else if status == Status::Error {
        result.result.reason = Some(observed.clone());
        result.hosts = measurement.failed.keys().cloned().collect();
    }
    result.result.observed = observed;
    result.result.expected = expected;
    result.pairs = pairs;
    result
}

fn result_word(result: ProbeResult) -> &'static str {
    match result {
        ProbeResult::Open => "open",
        ProbeResult::Refused => "refused",
        ProbeResult::Timeout => "timeout",
        ProbeResult::Unreachable => "unreachable",
        ProbeResult::Sent => "sent",
        ProbeResult::Error => "error",
    }
}

/// The network a host is in: the index of the first `--cross-network` CIDR holding its
/// address; hosts in none of them (and every host without the option) share one network.
fn network_of(address: Option<IpAddr>, networks: &[Cidr]) -> Option<usize> {
    let address = address?;
    networks.iter().position(|cidr| cidr.contains(address))
}

pub fn latency(
    measurement: Option<&Measurement>,
    nodes: &BTreeMap<String, Node>,
    networks: &[Cidr],
) -> FleetCheck {
    let title = "round trip between hosts: ≤ 2 ms in one network, ≤ 30 ms across networks";
    let id = "fleet.latency";
    let Some(measurement) = measurement.filter(|measurement| measurement.ports_probed) else {
        return skipped(id, title, NOT_MEASURED);
    };
    struct Pair<'a> {
        from: &'a str,
        to: &'a str,
        us: u64,
        same: bool,
    }
    let address = |host: &str| nodes.get(host).and_then(|node| node.address);
    let mut pairs = Vec::new();
    for (source, session) in &measurement.sessions {
        for sample in session.probes.iter().flat_map(|probes| &probes.latency) {
            let Some(us) = sample.best_us() else { continue };
            pairs.push(Pair {
                from: source,
                to: &sample.host,
                us,
                same: network_of(address(source), networks)
                    == network_of(address(&sample.host), networks),
            });
        }
    }
    if pairs.is_empty() {
        let mut result = check(id, title, Status::Error, Vec::new());
        result.result.reason = Some("no host could time a connection to a peer".to_owned());
        return result;
    }
    let verdict = |pair: &Pair| -> Status {
        match (pair.same, pair.us) {
            (true, us) if us > SAME_NETWORK_MAX_US => Status::Fail,
            (false, us) if us > CROSS_NETWORK_MAX_US => Status::Fail,
            (false, us) if us > CROSS_NETWORK_WARN_US => Status::Warn,
            _ => Status::Pass,
        }
    };
    let status = pairs.iter().map(verdict).max().unwrap_or(Status::Pass);
    let worst = |same: bool| {
        pairs
            .iter()
            .filter(|pair| pair.same == same)
            .max_by_key(|pair| pair.us)
    };
    let describe = |pair: &Pair| format!("{} → {} {}", pair.from, pair.to, milliseconds(pair.us));
    let mut parts = Vec::new();
    if let Some(pair) = worst(true) {
        parts.push(format!("slowest inside one network: {}", describe(pair)));
    }
    if let Some(pair) = worst(false) {
        parts.push(format!("slowest across networks: {}", describe(pair)));
    }
    let mut offending: Vec<&Pair> = pairs
        .iter()
        .filter(|pair| verdict(pair) != Status::Pass)
        .collect();
    offending.sort_by_key(|pair| std::cmp::Reverse(pair.us));
    if !offending.is_empty() {
        parts.push(format!(
            "over the limit: {}",
            offending
                .iter()
                .take(PAIRS_SHOWN)
                .map(|pair| describe(pair))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let involved: BTreeSet<String> = offending
        .iter()
        .flat_map(|pair| [pair.from.to_owned(), pair.to.to_owned()])
        .collect();
    let mut result = check(id, title, status, involved.into_iter().collect());
    result.result.observed = format!(
        "{} pairs timed (least TCP connect time of several); {}",
        pairs.len(),
        parts.join("; ")
    );
    result.result.expected = format!(
        "≤ {} inside one network; across networks ≤ {} (fail above {})",
        milliseconds(SAME_NETWORK_MAX_US),
        milliseconds(CROSS_NETWORK_WARN_US),
        milliseconds(CROSS_NETWORK_MAX_US)
    );
    if status != Status::Pass {
        result.result.hint = "put the hosts of one cluster on one low-latency network (etcd \
                              needs it); hosts in other sites belong to another network: name \
                              the networks with --cross-network CIDR"
            .to_owned();
    }
    result
}

fn milliseconds(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

pub fn vip_subnet(
    hosts: &[HostEntry],
    nodes: &BTreeMap<String, Node>,
    vip: Option<IpAddr>,
) -> FleetCheck {
    let title = "the control-plane VIP is in the control-plane hosts' subnet";
    let id = "fleet.vip-subnet";
    let Some(vip) = vip else {
        return skipped(id, title, "no --vip given");
    };
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    let mut unknown = Vec::new();
    for host in hosts {
        let Some(node) = nodes.get(&host.host) else {
            continue;
        };
        if !node.roles.contains(&Role::ControlPlane) {
            continue;
        }
        let carrying = node.address.and_then(|address| {
            host.report
                .as_ref()?
                .host
                .addresses
                .iter()
                .find(|candidate| candidate.address.parse::<IpAddr>().ok() == Some(address))
        });
        let Some(carrying) = carrying else {
            unknown.push(host.host.clone());
            continue;
        };
        let subnet = Cidr {
            network: carrying.address.parse().unwrap_or(vip),
            prefix_len: carrying.prefix_len,
        };
        let describe = format!(
            "{} {}/{} on {}",
            host.host, carrying.address, carrying.prefix_len, carrying.interface
        );
        if subnet.contains(vip) && Some(vip) != node.address {
            inside.push((host.host.clone(), describe));
        } else {
            outside.push((host.host.clone(), describe));
        }
    }
    if inside.is_empty() && outside.is_empty() {
        return skipped(
            id,
            title,
            &if unknown.is_empty() {
                "no control-plane host reported".to_owned()
            } else {
                format!(
                    "the interface carrying the node address is unknown on {}",
                    unknown.join(", ")
                )
            },
        );
    }
    let expected = format!(
        "{vip} inside the subnet of the interface carrying each control-plane host's address \
         (one L2 domain), and not a host's own address"
    );
    if !outside.is_empty() {
        let mut result = check(
            id,
            title,
            Status::Fail,
            outside.iter().map(|(host, _)| host.clone()).collect(),
        );
        result.result.observed = format!(
            "{vip} is outside (or is the address of): {}",
            outside
                .iter()
                .map(|(_, describe)| describe.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        result.result.expected = expected;
        result.result.hint = "pick a free address in the control-plane hosts' subnet for the \
                              VIP (keepalived moves it between them by VRRP, which needs one \
                              broadcast domain)"
            .to_owned();
        return result;
    }
    let mut result = check(
        id,
        title,
        Status::Pass,
        inside.iter().map(|(host, _)| host.clone()).collect(),
    );
    result.result.observed = format!(
        "{vip} is inside: {}{}",
        inside
            .iter()
            .map(|(_, describe)| describe.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        if unknown.is_empty() {
            String::new()
        } else {
            format!(" (not known for {})", unknown.join(", "))
        }
    );
    result.result.expected = expected;
    result
}

pub fn vrid(
    measurement: Option<&Measurement>,
    nodes: &BTreeMap<String, Node>,
    vrid: Option<u8>,
) -> FleetCheck {
    let title = "the VIP's VRRP vrid is not used by another router";
    let id = "fleet.vrid";
    let Some(vrid) = vrid else {
        return skipped(id, title, "no --vrid given");
    };
    let Some(measurement) = measurement else {
        return skipped(id, title, NOT_MEASURED);
    };
    let control_plane = |host: &str| {
        nodes
            .get(host)
            .is_some_and(|node| node.roles.contains(&Role::ControlPlane))
    };
    let mut listened = Vec::new();
    let mut errors = Vec::new();
    // vrid → router address → the hosts that heard it.
    let mut heard: BTreeMap<u8, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut seconds = 0;
    for (host, session) in &measurement.sessions {
        if !control_plane(host) {
            continue;
        }
        let Some(vrrp) = session
            .closed
            .as_ref()
            .and_then(|closed| closed.vrrp.as_ref())
        else {
            errors.push(format!("{host}: no result"));
            continue;
        };
        if let Some(error) = &vrrp.error {
            errors.push(format!("{host}: {error}"));
            continue;
        }
        seconds = seconds.max(vrrp.seconds);
        listened.push(host.clone());
        for advert in &vrrp.adverts {
            heard
                .entry(advert.vrid)
                .or_default()
                .entry(advert.source.clone())
                .or_default()
                .insert(host.clone());
        }
    }
    let in_use = if heard.is_empty() {
        "none".to_owned()
    } else {
        heard
            .iter()
            .map(|(vrid, routers)| {
                format!(
                    "{vrid} ({})",
                    routers.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = format!("no router advertising vrid {vrid} in the control plane's domain");
    if listened.is_empty() {
        let mut result = check(id, title, Status::Error, Vec::new());
        result.result.reason = Some(if errors.is_empty() {
            "no control-plane host listened for VRRP".to_owned()
        } else {
            format!("no control-plane host could listen: {}", errors.join("; "))
        });
        result.result.expected = expected;
        return result;
    }
    if let Some(routers) = heard.get(&vrid) {
        let hosts: BTreeSet<String> = routers.values().flatten().cloned().collect();
        let mut result = check(id, title, Status::Fail, hosts.into_iter().collect());
        result.result.observed = format!(
            "vrid {vrid} is used by {}; vrids in use: {in_use}",
            routers
                .iter()
                .map(|(router, by)| format!(
                    "{router} (heard on {})",
                    by.iter().cloned().collect::<Vec<_>>().join(", ")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        result.result.expected = expected;
        let free = (1..=255_u8).find(|candidate| !heard.contains_key(candidate));
        result.result.hint = format!(
            "choose another vrid{} (two routers with one vrid in one domain fight over the VIP)",
            free.map(|free| format!(", for example {free}"))
                .unwrap_or_default()
        );
        return result;
    }
    let mut result = check(id, title, Status::Pass, listened.clone());
    result.result.observed = format!(
        "listened {seconds} s on {}: vrid {vrid} unused; vrids in use: {in_use}{}",
        listened.join(", "),
        if errors.is_empty() {
            String::new()
        } else {
            format!(" (could not listen: {})", errors.join("; "))
        }
    );
    result.result.expected = expected;
    result
}

pub fn mtu(hosts: &[HostEntry], nodes: &BTreeMap<String, Node>) -> FleetCheck {
    let title = "one MTU on the interfaces carrying the node addresses";
    let id = "fleet.mtu";
    let mut by_mtu: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for host in hosts {
        let Some(address) = nodes.get(&host.host).and_then(|node| node.address) else {
            continue;
        };
        let carrying = host.report.as_ref().and_then(|report| {
            report
                .host
                .addresses
                .iter()
                .find(|candidate| candidate.address.parse::<IpAddr>().ok() == Some(address))
        });
        if let Some(mtu) = carrying.and_then(|carrying| carrying.mtu) {
            by_mtu.entry(mtu).or_default().push(host.host.clone());
        }
    }
    if by_mtu.is_empty() {
        return skipped(
            id,
            title,
            "no host reported the MTU of the interface carrying its address",
        );
    }
    let expected = "the same MTU on every host (a smaller one drops the large packets of the \
                    overlay network silently)"
        .to_owned();
    if by_mtu.len() == 1 {
        let (mtu, hosts) = by_mtu.into_iter().next().unwrap_or_default();
        let mut result = check(id, title, Status::Pass, hosts.clone());
        result.result.observed = format!("MTU {mtu} on all {} hosts", hosts.len());
        result.result.expected = expected;
        return result;
    }
    let common = by_mtu
        .iter()
        .max_by_key(|(mtu, hosts)| (hosts.len(), **mtu))
        .map(|(mtu, _)| *mtu)
        .unwrap_or_default();
    let others: Vec<String> = by_mtu
        .iter()
        .filter(|(mtu, _)| **mtu != common)
        .flat_map(|(_, hosts)| hosts.iter().cloned())
        .collect();
    let mut result = check(id, title, Status::Fail, others);
    result.result.observed = by_mtu
        .iter()
        .map(|(mtu, hosts)| format!("MTU {mtu} on {}", hosts.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    result.result.expected = expected;
    result.result.hint = format!(
        "set MTU {common} on the node interfaces of the others (nmcli connection modify CONN \
         802-3-ethernet.mtu {common}; netplan: mtu: {common})"
    );
    result
}

#[cfg(test)]
mod tests {
    use ironprep_schema::net::{
        Latency, NetClosed, NetProbes, NetReady, Port, PortProbe, UdpReceived, VrrpAdvert,
        VrrpListen,
    };
    use ironprep_schema::{AgentReport, HostFacts, HostOutcome, InterfaceAddress};

    use super::super::measurement::{Session, required_ports};
    use super::*;

    fn tcp(port: u16) -> Port {
        Port {
            protocol: Protocol::Tcp,
            port,
        }
    }

    fn udp(port: u16) -> Port {
        Port {
            protocol: Protocol::Udp,
            port,
        }
    }

    fn session(listening: &[Port]) -> Session {
        Session {
            ready: NetReady {
                listening: listening.to_vec(),
                in_use: vec![tcp(22)],
                unavailable: Vec::new(),
            },
            probes: Some(NetProbes::default()),
            closed: Some(NetClosed::default()),
        }
    }

    fn probe(host: &str, port: Port, result: ProbeResult) -> PortProbe {
        PortProbe {
            host: host.to_owned(),
            port,
            result,
            connect_us: None,
            error: None,
        }
    }

    fn measured(sessions: Vec<(&str, Session)>) -> Measurement {
        Measurement {
            sessions: sessions
                .into_iter()
                .map(|(name, session)| (name.to_owned(), session))
                .collect(),
            failed: BTreeMap::new(),
            ports_probed: true,
        }
    }

    #[test]
    fn ports_follow_the_roles_and_the_cni() {
        let cp = [Role::ControlPlane];
        let worker = [Role::Worker];
        let text = |ports: Vec<Port>| {
            ports
                .iter()
                .map(Port::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            text(required_ports(&cp, &cp, Cni::KubeOvn)),
            "tcp/22 tcp/2379 tcp/2380 tcp/6443 tcp/6641 tcp/6642 tcp/10250 udp/6081"
        );
        assert_eq!(
            text(required_ports(&cp, &worker, Cni::Calico)),
            "tcp/22 tcp/179 tcp/6443 tcp/10250 ipip"
        );
        assert_eq!(
            text(required_ports(&worker, &cp, Cni::KubeOvn)),
            "tcp/22 tcp/10250 udp/6081"
        );
        // Kubespray's etcd-only host: a member for the control plane, nothing for a worker.
        let etcd = [Role::Etcd];
        assert_eq!(
            text(required_ports(&etcd, &cp, Cni::Calico)),
            "tcp/22 tcp/2379 tcp/2380"
        );
        assert_eq!(
            text(required_ports(&cp, &etcd, Cni::KubeOvn)),
            "tcp/22 tcp/2379 tcp/2380"
        );
        assert_eq!(text(required_ports(&etcd, &worker, Cni::Calico)), "tcp/22");
        // Roles nobody stated: the node's ports, as before there was an etcd role.
        assert_eq!(
            text(required_ports(&[], &[], Cni::KubeOvn)),
            "tcp/22 tcp/10250 udp/6081"
        );
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
    fn calico_needs_ip_in_ip_to_arrive() {
        let mut a = session(&[tcp(179), Port::IPIP]);
        let mut b = session(&[tcp(179), Port::IPIP]);
        let mut c = session(&[tcp(179), Port::IPIP]);
        for (session, peers) in [
            (&mut a, ["b", "c"]),
            (&mut b, ["a", "c"]),
            (&mut c, ["a", "b"]),
        ] {
            session.probes.as_mut().unwrap().probes = peers
                .iter()
                .flat_map(|peer| {
                    [
                        probe(peer, tcp(179), ProbeResult::Open),
                        probe(peer, Port::IPIP, ProbeResult::Sent),
                    ]
                })
                .collect();
        }
        // c's firewall drops IP protocol 4: it hears no one; a and b hear each other and c.
        a.closed.as_mut().unwrap().ipip_from = Some(vec!["b".to_owned(), "c".to_owned()]);
        b.closed.as_mut().unwrap().ipip_from = Some(vec!["a".to_owned(), "c".to_owned()]);
        c.closed.as_mut().unwrap().ipip_from = Some(Vec::new());
        let check = connectivity(Some(&measured(vec![("a", a), ("b", b), ("c", c)])));
        assert_eq!(check.result.status, Status::Fail);
        let pairs = pair_lines(&check);
        assert_eq!(pairs, ["a>c ipip not-received", "b>c ipip not-received"]);
        assert!(
            check.result.hint.contains("IP protocol 4"),
            "{}",
            check.result.hint
        );
    }

    #[test]
    fn connectivity_names_exactly_the_failing_pairs() {
        let mut a = session(&[tcp(6443), udp(6081)]);
        let mut b = session(&[tcp(6443), udp(6081)]);
        let c = session(&[tcp(6443), udp(6081)]);
        a.probes.as_mut().unwrap().probes = vec![
            probe("b", tcp(6443), ProbeResult::Timeout),
            probe("b", tcp(22), ProbeResult::Open),
            probe("b", udp(6081), ProbeResult::Sent),
            probe("c", tcp(6443), ProbeResult::Open),
            probe("c", udp(6081), ProbeResult::Sent),
        ];
        b.probes.as_mut().unwrap().probes = vec![
            probe("a", tcp(6443), ProbeResult::Open),
            // A held port that refuses: not ours to judge.
            probe("a", tcp(22), ProbeResult::Refused),
        ];
        // b heard a's datagrams; c did not.
        b.closed.as_mut().unwrap().received = vec![UdpReceived {
            port: 6081,
            from: vec!["a".to_owned()],
        }];
        let check = connectivity(Some(&measured(vec![("a", a), ("b", b), ("c", c)])));
        assert_eq!(check.result.status, Status::Fail);
        let pairs = pair_lines(&check);
        assert_eq!(pairs, ["a>b tcp/6443 timeout", "a>c udp/6081 not-received"]);
        assert_eq!(check.hosts, ["a", "b", "c"]);
        assert!(
            check
                .result
                .observed
                .starts_with("2 of 6 connections between 3 hosts (1 not measured"),
            "{}",
            check.result.observed
        );
        assert_eq!(
            connectivity(None).result.status,
            Status::Skip,
            "not asked for"
        );
    }

    fn with_latency(samples: &[(&str, u64)]) -> Session {
        let mut session = session(&[]);
        session.probes.as_mut().unwrap().latency = samples
            .iter()
            .map(|(host, us)| Latency {
                host: (*host).to_owned(),
                port: 22,
                // The least sample counts; the others are noise on top.
                samples_us: vec![us * 3, *us, us * 2],
            })
            .collect();
        session
    }

    fn nodes(list: &[(&str, &str, &[Role])]) -> BTreeMap<String, Node> {
        list.iter()
            .map(|(name, address, roles)| {
                (
                    (*name).to_owned(),
                    Node {
                        address: address.parse().ok(),
                        roles: roles.to_vec(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn latency_thresholds_inside_and_across_networks() {
        let nodes = nodes(&[
            ("a1", "10.1.0.1", &[]),
            ("a2", "10.1.0.2", &[]),
            ("b1", "10.2.0.1", &[]),
        ]);
        let cidrs: Vec<Cidr> = ["10.1.0.0/16", "10.2.0.0/16"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        let run = |a1: &[(&str, u64)], networks: &[Cidr]| {
            let measurement = measured(vec![("a1", with_latency(a1))]);
            latency(Some(&measurement), &nodes, networks)
        };
        // Recorded on one switch: 0.3 ms inside, 12 ms to the other site.
        let fine = run(&[("a2", 300), ("b1", 12_000)], &cidrs);
        assert_eq!(fine.result.status, Status::Pass, "{}", fine.result.observed);
        assert!(
            fine.result
                .observed
                .contains("slowest across networks: a1 → b1 12.00 ms")
        );
        // Without --cross-network the 12 ms pair is inside one network: fail.
        let one_network = run(&[("a2", 300), ("b1", 12_000)], &[]);
        assert_eq!(one_network.result.status, Status::Fail);
        assert_eq!(one_network.hosts, ["a1", "b1"]);
        // 2.5 ms inside one network fails; 45 ms across warns; 150 ms across fails.
        assert_eq!(run(&[("a2", 2_500)], &cidrs).result.status, Status::Fail);
        assert_eq!(run(&[("a2", 2_000)], &cidrs).result.status, Status::Pass);
        let warned = run(&[("a2", 100), ("b1", 45_000)], &cidrs);
        assert_eq!(
            (warned.result.status, warned.hosts.clone()),
            (Status::Warn, vec!["a1".into(), "b1".into()])
        );
        assert_eq!(run(&[("b1", 150_000)], &cidrs).result.status, Status::Fail);
        assert_eq!(run(&[], &cidrs).result.status, Status::Error);
    }

    fn reported(name: &str, address: &str, prefix_len: u8, mtu: u32) -> HostEntry {
        let report = AgentReport {
            schema_version: 1,
            agent_version: "0".into(),
            host: HostFacts {
                addresses: vec![InterfaceAddress {
                    interface: "eth0".into(),
                    address: address.into(),
                    prefix_len,
                    mtu: Some(mtu),
                }],
                ..HostFacts::default()
            },
            profile: ironprep_schema::Profile::Traditional,
            roles: vec![Role::ControlPlane],
            cni: Cni::KubeOvn,
            duration_ms: 1,
            peak_rss_kib: None,
            checks: Vec::new(),
        };
        HostEntry {
            host: name.into(),
            address: format!("{address}:22"),
            outcome: HostOutcome::Reported,
            error: None,
            report: Some(report),
        }
    }

    #[test]
    fn the_vip_must_be_in_every_control_plane_subnet() {
        let cp: &[Role] = &[Role::ControlPlane];
        let nodes = nodes(&[
            ("cp1", "10.0.1.5", cp),
            ("cp2", "10.0.2.5", cp),
            ("w", "10.9.0.1", &[]),
        ]);
        let hosts = [
            reported("cp1", "10.0.1.5", 24, 1500),
            reported("cp2", "10.0.2.5", 24, 1500),
            reported("w", "10.9.0.1", 24, 1500),
        ];
        let check = vip_subnet(&hosts, &nodes, "10.0.1.100".parse().ok());
        assert_eq!(
            (check.result.status, check.hosts.clone()),
            (Status::Fail, vec!["cp2".into()])
        );
        assert!(check.result.observed.contains("cp2 10.0.2.5/24 on eth0"));
        let wide = [
            reported("cp1", "10.0.1.5", 16, 1500),
            reported("cp2", "10.0.2.5", 16, 1500),
        ];
        assert_eq!(
            vip_subnet(&wide, &nodes, "10.0.1.100".parse().ok())
                .result
                .status,
            Status::Pass
        );
        assert_eq!(
            vip_subnet(&wide, &nodes, "10.0.1.5".parse().ok())
                .result
                .status,
            Status::Fail
        );
        assert_eq!(vip_subnet(&wide, &nodes, None).result.status, Status::Skip);
    }

    #[test]
    fn mtu_mismatch_names_the_odd_hosts() {
        let nodes = nodes(&[
            ("a", "10.0.0.1", &[]),
            ("b", "10.0.0.2", &[]),
            ("c", "10.0.0.3", &[]),
        ]);
        let hosts = [
            reported("a", "10.0.0.1", 24, 1500),
            reported("b", "10.0.0.2", 24, 1500),
            reported("c", "10.0.0.3", 24, 9000),
        ];
        let check = mtu(&hosts, &nodes);
        assert_eq!(
            (check.result.status, check.hosts.clone()),
            (Status::Fail, vec!["c".into()])
        );
        assert_eq!(check.result.observed, "MTU 1500 on a, b; MTU 9000 on c");
        assert_eq!(mtu(&hosts[..2], &nodes).result.status, Status::Pass);
    }

    #[test]
    fn a_router_on_the_chosen_vrid_fails_and_vrids_in_use_are_listed() {
        let cp: &[Role] = &[Role::ControlPlane];
        let nodes = nodes(&[
            ("cp1", "10.0.0.1", cp),
            ("cp2", "10.0.0.2", cp),
            ("w", "10.0.0.3", &[]),
        ]);
        let heard = |adverts: Vec<VrrpAdvert>| {
            let mut session = session(&[]);
            session.closed.as_mut().unwrap().vrrp = Some(VrrpListen {
                seconds: 3,
                adverts,
                error: None,
            });
            session
        };
        let advert = |vrid| VrrpAdvert {
            source: "10.0.0.9".into(),
            vrid,
            version: 2,
            priority: 100,
            addresses: vec!["10.0.0.100".into()],
            count: 3,
        };
        let measurement = measured(vec![
            ("cp1", heard(vec![advert(51), advert(7)])),
            ("cp2", heard(vec![advert(51)])),
            ("w", session(&[])),
        ]);
        let check = vrid(Some(&measurement), &nodes, Some(51));
        assert_eq!(check.result.status, Status::Fail);
        assert_eq!(check.hosts, ["cp1", "cp2"]);
        assert_eq!(
            check.result.observed,
            "vrid 51 is used by 10.0.0.9 (heard on cp1, cp2); vrids in use: 7 (10.0.0.9), 51 (10.0.0.9)"
        );
        assert!(check.result.hint.contains("for example 1"));
        let free = vrid(Some(&measurement), &nodes, Some(52));
        assert_eq!(free.result.status, Status::Pass);
        assert!(
            free.result
                .observed
                .contains("vrids in use: 7 (10.0.0.9), 51 (10.0.0.9)")
        );
        assert_eq!(vrid(None, &nodes, Some(52)).result.status, Status::Skip);
    }
}
