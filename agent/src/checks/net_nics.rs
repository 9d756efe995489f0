//! `net.nics`: the inventory of the host's NICs (link, speed, MTU, IPv4 addresses and whether
//! DHCP gave them). A host with no NIC that has both link and an IPv4 address cannot join the
//! cluster; an immutable host whose addresses are all static boots the elemental live ISO
//! without network unless someone sets it up by hand.

use std::net::IpAddr;

use ironprep_schema::Profile;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::network::{self, Address, Interface};

pub struct NetNics;

impl Check for NetNics {
    fn id(&self) -> &'static str {
        "net.nics"
    }

    fn title(&self) -> &'static str {
        "a NIC has link and an IPv4 address"
    }

    fn hint(&self) -> &'static str {
        "cable a NIC and give it an IPv4 address — RHEL/CentOS/Kylin: `nmcli connection up CONN`; \
         Ubuntu: `netplan apply`; for the immutable profile prefer DHCP (a reservation per MAC), \
         which the elemental live ISO uses without further setup"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let interfaces: Vec<Interface> = network::interfaces(host)?
            .into_iter()
            .filter(|nic| !nic.loopback)
            .collect();
        let Some(addresses) = network::live_addresses(host)? else {
            let links: Vec<String> = interfaces.iter().map(|nic| describe(nic, None)).collect();
            return Ok(Outcome::skip(format!(
                "IPv4 addresses and DHCP need the running system (--root given); links: {}",
                if links.is_empty() {
                    "none".to_owned()
                } else {
                    links.join("; ")
                }
            )));
        };
        Ok(judge(&interfaces, &addresses, context.profile).into())
    }
}

fn judge(interfaces: &[Interface], addresses: &[Address], profile: Profile) -> Observation {
    let expected = match profile {
        Profile::Immutable => "a NIC with link and an IPv4 address from DHCP",
        Profile::Traditional => "a NIC with link and an IPv4 address",
    };
    if interfaces.is_empty() {
        return Observation::new("no network interface besides loopback", expected).fail_if(true);
    }
    let ipv4_of = |nic: &Interface| -> Vec<&Address> {
        addresses
            .iter()
            .filter(|address| address.interface == nic.name && address.ip.is_ipv4())
            .collect()
    };
    let usable: Vec<&Address> = interfaces
        .iter()
        .filter(|nic| nic.has_link())
        .flat_map(ipv4_of)
        .filter(|address| !is_link_local(&address.ip))
        .collect();
    let mut observed = interfaces
        .iter()
        .map(|nic| describe(nic, Some(&ipv4_of(nic))))
        .collect::<Vec<_>>()
        .join("; ");
    if usable.is_empty() {
        observed.push_str("; no NIC has both link and an IPv4 address");
        return Observation::new(observed, expected).fail_if(true);
    }
    let dhcp_unknown = usable.iter().any(|address| address.dynamic.is_none());
    let from_dhcp = usable.iter().any(|address| address.dynamic == Some(true));
    if dhcp_unknown {
        observed.push_str("; whether addresses came from DHCP is unknown (ip is not installed)");
    }
    let mut observation = Observation::new(observed, expected);
    if profile == Profile::Immutable && !dhcp_unknown && !from_dhcp {
        observation
            .observed
            .push_str("; no IPv4 address came from DHCP");
        observation = observation.warn_if(true).with_hint(
            "no NIC got its IPv4 address from DHCP: the elemental live ISO needs a manual \
             NetworkManager setup on this host (or add a DHCP reservation for the NIC's MAC)",
        );
    }
    observation
}

/// `eth0 up, 10 Gbit/s, MTU 1500, 10.0.0.5/24 (DHCP)`. `None` addresses: not known (`--root`).
fn describe(nic: &Interface, addresses: Option<&[&Address]>) -> String {
    let mut parts = vec![nic.link_text()];
    if let Some(speed) = nic.speed_mbps {
        parts.push(network::speed_text(speed));
    }
    if let Some(mtu) = nic.mtu {
        parts.push(format!("MTU {mtu}"));
    }
    match addresses {
        Some([]) => parts.push("no IPv4".to_owned()),
        Some(addresses) => {
            for address in addresses {
                let origin = match address.dynamic {
                    Some(true) => " (DHCP)",
                    Some(false) => " (static)",
                    None => "",
                };
                parts.push(format!("{}/{}{origin}", address.ip, address.prefix_len));
            }
        }
        None => {}
    }
    format!("{} {}", nic.name, parts.join(", "))
}

/// 169.254.x.x comes from IPv4LL when DHCP failed: it does not make a NIC usable.
fn is_link_local(ip: &IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.is_link_local())
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::check::Level;
    use crate::network::fixtures::{pci_nic, virtual_nic};
    use crate::testing::{Tree, assert_status};

    fn nic(name: &str, operstate: &str, speed: Option<u32>) -> Interface {
        Interface {
            name: name.to_owned(),
            operstate: operstate.to_owned(),
            carrier: Some(operstate == "up"),
            speed_mbps: speed,
            mtu: Some(1500),
            physical: true,
            loopback: false,
            driver: Some("ixgbe".to_owned()),
        }
    }

    /// Parsed from real `ip -o addr show` lines so the fixture keeps ip's format.
    fn addresses(text: &str) -> Vec<Address> {
        network::parse_ip_addresses(text)
    }

    const DHCP: &str = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: ens1f0    inet 10.20.0.11/24 brd 10.20.0.255 scope global dynamic noprefixroute ens1f0\\       valid_lft 86012sec preferred_lft 86012sec
2: ens1f0    inet6 fe80::b696:91ff:fe1c:2a40/64 scope link noprefixroute \\       valid_lft forever preferred_lft forever
";

    const STATIC: &str = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: ens1f0    inet 10.20.0.11/24 brd 10.20.0.255 scope global noprefixroute ens1f0\\       valid_lft forever preferred_lft forever
";

    #[test]
    fn the_inventory_names_link_speed_mtu_and_origin() {
        let nics = [
            nic("ens1f0", "up", Some(10000)),
            nic("ens1f1", "down", None),
        ];
        let observation = judge(&nics, &addresses(DHCP), Profile::Immutable);
        assert_eq!(observation.level, Level::Ok);
        assert_eq!(
            observation.observed,
            "ens1f0 up, 10 Gbit/s, MTU 1500, 10.20.0.11/24 (DHCP); \
             ens1f1 down (no carrier), MTU 1500, no IPv4"
        );
    }

    #[test]
    fn static_addresses_warn_only_for_immutable() {
        let nics = [nic("ens1f0", "up", Some(10000))];
        let traditional = judge(&nics, &addresses(STATIC), Profile::Traditional);
        assert_eq!(traditional.level, Level::Ok);
        assert_eq!(
            traditional.observed,
            "ens1f0 up, 10 Gbit/s, MTU 1500, 10.20.0.11/24 (static)"
        );
        let immutable = judge(&nics, &addresses(STATIC), Profile::Immutable);
        assert_eq!(immutable.level, Level::Warn);
        assert!(
            immutable
                .hint
                .as_deref()
                .unwrap()
                .contains("manual NetworkManager setup"),
            "{immutable:?}"
        );
    }

    #[test]
    fn an_address_without_link_does_not_count() {
        let nics = [nic("ens1f0", "down", None)];
        let observation = judge(&nics, &addresses(STATIC), Profile::Traditional);
        assert_eq!(observation.level, Level::Fail);
        assert_eq!(
            observation.observed,
            "ens1f0 down (no carrier), MTU 1500, 10.20.0.11/24 (static); \
             no NIC has both link and an IPv4 address"
        );
    }

    #[test]
    fn ipv4_link_local_after_a_failed_dhcp_does_not_count() {
        let text = "2: eno1    inet 169.254.33.7/16 brd 169.254.255.255 scope link eno1\\       valid_lft forever preferred_lft forever\n";
        let observation = judge(
            &[nic("eno1", "up", Some(1000))],
            &addresses(text),
            Profile::Traditional,
        );
        assert_eq!(observation.level, Level::Fail);
    }

    #[test]
    fn unknown_dhcp_is_said_not_guessed() {
        let mut unknown = addresses(STATIC);
        for address in &mut unknown {
            address.dynamic = None;
        }
        let observation = judge(
            &[nic("ens1f0", "up", Some(10000))],
            &unknown,
            Profile::Immutable,
        );
        assert_eq!(observation.level, Level::Ok);
        assert!(
            observation.observed.ends_with("(ip is not installed)"),
            "{}",
            observation.observed
        );
    }

    #[test]
    fn under_a_root_links_are_listed_and_the_check_skipped() {
        let tree = pci_nic(
            Tree::new(),
            "ens1f0",
            "0000:3b:00.0",
            "ixgbe",
            "up",
            Some("1"),
            Some("10000"),
        );
        let result = virtual_nic(tree, "lo", "unknown", "1", "65536").status(&NetNics);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some(
                "IPv4 addresses and DHCP need the running system (--root given); links: \
                 ens1f0 up, 10 Gbit/s, MTU 1500"
            )
        );
    }

    #[test]
    fn no_sysfs_is_an_error() {
        let result = Tree::new().status(&NetNics);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/class/net: no such directory")
        );
    }

    #[test]
    fn on_this_machine_a_nic_is_found() {
        let result = crate::runner::evaluate(&NetNics, &Host::live(), &Context::default());
        assert_ne!(result.status, Status::Error, "{result:?}");
        assert!(!result.observed.contains("lo "), "{result:?}");
    }
}
