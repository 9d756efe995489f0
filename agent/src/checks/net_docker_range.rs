//! `net.docker-range`: Docker takes its bridge and network pools from 172.16.x.x–172.32.x.x
//! (the installation guide's range). A host already using addresses there loses its route to
//! them once Docker's bridge shadows it: nodes, DNS or storage become unreachable.

use std::net::{IpAddr, Ipv4Addr};

use crate::check::{Check, Context, Observation, Outcome, Severity};
use crate::host::{Host, HostError, LiveAddress};
use crate::network::{self, Route};

/// 172.16.0.0/12 (172.16–172.31) plus 172.32.0.0/16: the guide's range reaches 172.32, one
/// /16 past the RFC 1918 block.
const RANGES: [(Ipv4Addr, u8); 2] = [
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(172, 32, 0, 0), 16),
];
const RANGE_TEXT: &str = "172.16.0.0–172.32.255.255";

pub struct NetDockerRange;

impl Check for NetDockerRange {
    fn id(&self) -> &'static str {
        "net.docker-range"
    }

    fn title(&self) -> &'static str {
        "no address or route in Docker's range 172.16.x.x–172.32.x.x"
    }

    fn hint(&self) -> &'static str {
        "move the conflicting network out of 172.16.0.0–172.32.255.255, or give Docker a free \
         range: \"bip\" (and \"default-address-pools\") in /etc/docker/daemon.json; if neither \
         is possible, contact technical support before installing"
    }

    fn severity(&self) -> Severity {
        Severity::Advisory
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let routes = network::ipv4_routes(host)?;
        let addresses = match host.live_system() {
            Some(live) => Some(live.interface_addresses()?),
            None => None,
        };
        Ok(judge(addresses.as_deref(), &routes).into())
    }
}

/// `addresses` is `None` under `--root`, where only the routing table can be read.
fn judge(addresses: Option<&[LiveAddress]>, routes: &[Route]) -> Observation {
    let expected = format!("no address or route in {RANGE_TEXT}");
    let conflicting_addresses: Vec<String> = addresses
        .unwrap_or_default()
        .iter()
        .filter(|address| matches!(address.ip, IpAddr::V4(ip) if in_range(ip, 32)))
        .map(|address| {
            format!(
                "{} {}/{}",
                address.interface, address.ip, address.prefix_len
            )
        })
        .collect();
    let conflicting_routes: Vec<String> = routes
        .iter()
        .filter(|route| {
            !route.is_default()
                && matches!(route.destination, IpAddr::V4(ip) if in_range(ip, route.prefix_len))
        })
        .map(Route::to_string)
        .collect();
    let mut parts = Vec::new();
    if !conflicting_addresses.is_empty() {
        parts.push(format!("addresses: {}", conflicting_addresses.join(", ")));
    }
    if !conflicting_routes.is_empty() {
        parts.push(format!("routes: {}", conflicting_routes.join(", ")));
    }
    let conflict = !parts.is_empty();
    let mut observed = if conflict {
        parts.join("; ")
    } else {
        format!("no address or route in {RANGE_TEXT}")
    };
    if addresses.is_none() {
        observed.push_str(" (routes only: addresses need the running system)");
    }
    Observation::new(observed, expected).fail_if(conflict)
}

/// Whether a network shares any address with the guide's range.
fn in_range(network: Ipv4Addr, prefix_len: u8) -> bool {
    RANGES
        .iter()
        .any(|(range, range_len)| network::ipv4_overlaps(network, prefix_len, *range, *range_len))
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::check::Level;
    use crate::network::fixtures::CENTOS_ROUTE;
    use crate::testing::{Tree, assert_status};

    fn address(interface: &str, ip: &str, prefix_len: u8) -> LiveAddress {
        LiveAddress {
            interface: interface.to_owned(),
            ip: ip.parse().unwrap(),
            prefix_len,
        }
    }

    fn routes(text: &str) -> Vec<Route> {
        network::parse_ipv4_routes(text).unwrap()
    }

    const HEADER: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n";

    #[test]
    fn a_docker_bridge_is_named_by_address_and_route() {
        let addresses = [
            address("lo", "127.0.0.1", 8),
            address("eth0", "192.168.2.10", 24),
            address("docker0", "172.17.0.1", 16),
        ];
        let observation = judge(Some(&addresses), &routes(CENTOS_ROUTE));
        assert_eq!(observation.level, Level::Fail);
        assert_eq!(
            observation.observed,
            "addresses: docker0 172.17.0.1/16; routes: 172.17.0.0/16 dev docker0"
        );
    }

    #[test]
    fn the_range_edges() {
        for (network, prefix_len, inside) in [
            ("172.15.255.255", 32, false),
            ("172.16.0.0", 32, true),
            ("172.31.255.1", 32, true),
            ("172.32.9.9", 32, true),
            ("172.33.0.0", 32, false),
            ("172.33.0.0", 16, false),
            ("172.0.0.0", 8, true),
            ("10.0.0.0", 8, false),
        ] {
            assert_eq!(
                in_range(network.parse().unwrap(), prefix_len),
                inside,
                "{network}/{prefix_len}"
            );
        }
    }

    #[test]
    fn a_routed_storage_network_is_found_under_a_root() {
        // 172.20.0.0/16 reached through a gateway on eth1: the host has no address there.
        let route = format!(
            "{HEADER}eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
             eth1\t000014AC\t0101A8C0\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
        );
        let result = Tree::new()
            .file("proc/net/route", &route)
            .status(&NetDockerRange);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "routes: 172.20.0.0/16 via 192.168.1.1 dev eth1 (routes only: addresses need the \
             running system)"
        );
    }

    #[test]
    fn a_clean_host_passes() {
        let route = format!(
            "{HEADER}eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
             eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
        );
        let observation = judge(
            Some(&[address("eth0", "192.168.2.10", 24)]),
            &routes(&route),
        );
        assert_eq!(observation.level, Level::Ok);
        assert_eq!(
            observation.observed,
            "no address or route in 172.16.0.0–172.32.255.255"
        );
    }

    #[test]
    fn a_missing_route_table_is_an_error() {
        let result = Tree::new().status(&NetDockerRange);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/proc/net/route: no such file")
        );
    }

    #[test]
    fn on_this_machine_it_runs() {
        let result = crate::runner::evaluate(&NetDockerRange, &Host::live(), &Context::default());
        assert_ne!(result.status, Status::Error, "{result:?}");
    }
}
