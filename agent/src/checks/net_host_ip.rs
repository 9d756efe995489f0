//! `net.host-ip`: the node's IP becomes its Kubernetes InternalIP, the etcd peer address and
//! the certificates' SANs. A loopback, link-local, multicast, all-zero or broadcast address
//! (or one the host does not have) breaks every one of them, and is costly to change later.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError, LiveAddress};
use crate::network;

pub struct NetHostIp;

impl Check for NetHostIp {
    fn id(&self) -> &'static str {
        "net.host-ip"
    }

    fn title(&self) -> &'static str {
        "the host's IP is a usable unicast address"
    }

    fn hint(&self) -> &'static str {
        "give the host a routable unicast address on its cluster NIC and use that address for the \
         node in the inventory — RHEL/CentOS/Kylin: `nmcli connection modify CONN ipv4.method \
         manual ipv4.addresses ADDR/PREFIX && nmcli connection up CONN`; Ubuntu: set it in \
         netplan, then `netplan apply`"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let Some(live) = host.live_system() else {
            return Ok(Outcome::skip(
                "needs the running system's addresses (--root given)",
            ));
        };
        let addresses = live.interface_addresses()?;
        Ok(judge(&addresses, context.node_ip).into())
    }
}

fn judge(addresses: &[LiveAddress], node_ip: Option<IpAddr>) -> Observation {
    let usable: Vec<&LiveAddress> = addresses
        .iter()
        .filter(|address| network::unusable_kind(&address.ip).is_none())
        .collect();
    let Some(node_ip) = node_ip else {
        let expected = "at least one address that is not loopback, multicast, link-local, \
                        all-zero or broadcast";
        if usable.is_empty() {
            return Observation::new("no usable address on any interface", expected).fail_if(true);
        }
        return Observation::new(by_interface(&usable), expected);
    };
    let expected = format!(
        "{node_ip} is assigned to an interface and is not loopback, multicast, link-local, \
         all-zero or broadcast"
    );
    if let Some(kind) = network::unusable_kind(&node_ip) {
        return Observation::new(format!("{node_ip} is a {kind} address"), expected).fail_if(true);
    }
    match addresses.iter().find(|address| address.ip == node_ip) {
        Some(address) => Observation::new(
            format!("{node_ip}/{} on {}", address.prefix_len, address.interface),
            expected,
        ),
        None => {
            let others = if usable.is_empty() {
                "no usable address at all".to_owned()
            } else {
                format!("usable: {}", by_interface(&usable))
            };
            Observation::new(
                format!("{node_ip} is not assigned to any interface ({others})"),
                expected,
            )
            .fail_if(true)
        }
    }
}

/// `eth0 10.0.0.5/24, fd00::5/64; eth1 192.168.1.5/24`: every address, grouped by interface.
fn by_interface(addresses: &[&LiveAddress]) -> String {
    let mut grouped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for address in addresses {
        grouped
            .entry(address.interface.as_str())
            .or_default()
            .push(format!("{}/{}", address.ip, address.prefix_len));
    }
    grouped
        .into_iter()
        .map(|(interface, list)| format!("{interface} {}", list.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::check::Level;
    use crate::testing::{Tree, assert_status};

    fn address(interface: &str, ip: &str, prefix_len: u8) -> LiveAddress {
        LiveAddress {
            interface: interface.to_owned(),
            ip: ip.parse().unwrap(),
            prefix_len,
        }
    }

    /// What getifaddrs returns on a dual-stack server with a second NIC.
    fn server() -> Vec<LiveAddress> {
        vec![
            address("lo", "127.0.0.1", 8),
            address("ens1f0", "10.20.0.11", 24),
            address("eth1", "192.168.100.11", 24),
            address("lo", "::1", 128),
            address("ens1f0", "2001:db8:20::11", 64),
            address("ens1f0", "fe80::b696:91ff:fe1c:2a40", 64),
        ]
    }

    #[test]
    fn every_usable_address_is_listed_per_interface() {
        let observation = judge(&server(), None);
        assert_eq!(observation.level, Level::Ok);
        assert_eq!(
            observation.observed,
            "ens1f0 10.20.0.11/24, 2001:db8:20::11/64; eth1 192.168.100.11/24"
        );
    }

    #[test]
    fn only_loopback_and_link_local_fails() {
        let addresses = vec![
            address("lo", "127.0.0.1", 8),
            address("eth0", "169.254.12.7", 16),
            address("eth0", "fe80::1", 64),
        ];
        let observation = judge(&addresses, None);
        assert_eq!(observation.level, Level::Fail);
        assert_eq!(observation.observed, "no usable address on any interface");
    }

    #[test]
    fn the_node_ip_must_be_assigned() {
        let found = judge(&server(), Some("10.20.0.11".parse().unwrap()));
        assert_eq!(
            (found.level, found.observed.as_str()),
            (Level::Ok, "10.20.0.11/24 on ens1f0")
        );
        let missing = judge(&server(), Some("10.20.0.99".parse().unwrap()));
        assert_eq!(missing.level, Level::Fail);
        assert!(
            missing
                .observed
                .starts_with("10.20.0.99 is not assigned to any interface (usable: ens1f0 "),
            "{}",
            missing.observed
        );
    }

    #[test]
    fn an_unusable_node_ip_fails_naming_the_kind() {
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("169.254.1.1", "link-local"),
            ("0.0.0.0", "all-zero"),
            ("255.255.255.255", "broadcast"),
            ("239.1.1.1", "multicast"),
        ] {
            let observation = judge(&server(), Some(ip.parse().unwrap()));
            assert_eq!(observation.level, Level::Fail);
            assert_eq!(observation.observed, format!("{ip} is a {kind} address"));
        }
    }

    #[test]
    fn under_a_root_it_is_skipped() {
        let result = Tree::new().status(&NetHostIp);
        assert_status(&result, Status::Skip);
    }

    #[test]
    fn on_this_machine_an_address_is_found() {
        let result = crate::runner::evaluate(&NetHostIp, &Host::live(), &Context::default());
        assert_ne!(result.status, Status::Error, "{result:?}");
        assert!(!result.observed.contains("127.0.0.1"), "{result:?}");
    }
}
