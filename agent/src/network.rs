//! Shared readers of network state (interfaces, routes, addresses) for the `net.*` checks.
//!
//! Routes and interfaces come from files (`/proc/net/route`, `/proc/net/ipv6_route`,
//! `/sys/class/net`), so they work under `--root` too; addresses exist only on the running
//! system and come from `ip -o addr show`, which alone tells a DHCP lease from a static address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::host::{Host, HostError, Query, QueryError};

/// Route flags from `<linux/route.h>` (IPv4) and `<linux/ipv6_route.h>` (same values).
const RTF_UP: u32 = 0x0001;
const RTF_REJECT: u32 = 0x0200;

/// `ARPHRD_LOOPBACK` in `/sys/class/net/NAME/type`.
const TYPE_LOOPBACK: &str = "772";

/// One usable route of the kernel's main table: up, and not an unreachable/prohibit route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub interface: String,
    pub destination: IpAddr,
    pub prefix_len: u8,
    /// `None` for a directly connected route.
    pub gateway: Option<IpAddr>,
    pub metric: u32,
}

impl Route {
    pub fn is_default(&self) -> bool {
        self.prefix_len == 0
    }
}

impl fmt::Display for Route {
    /// As `ip route` prints it: `default via 192.0.2.1 dev eth0`, `172.17.0.0/16 dev docker0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_default() {
            f.write_str("default")?;
        } else {
            write!(f, "{}/{}", self.destination, self.prefix_len)?;
        }
        if let Some(gateway) = self.gateway {
            write!(f, " via {gateway}")?;
        }
        write!(f, " dev {}", self.interface)
    }
}

/// The IPv4 routes of `/proc/net/route`. The file exists whenever the kernel has IPv4.
pub fn ipv4_routes(host: &Host) -> Result<Vec<Route>, HostError> {
    const PATH: &str = "/proc/net/route";
    parse_ipv4_routes(&host.read(PATH)?)
        .map_err(|malformed| HostError::new(PATH, malformed.to_string()))
}

/// The IPv6 routes of `/proc/net/ipv6_route`; none when IPv6 is disabled (no file).
pub fn ipv6_routes(host: &Host) -> Result<Vec<Route>, HostError> {
    const PATH: &str = "/proc/net/ipv6_route";
    match host.read_optional(PATH)? {
        Some(text) => parse_ipv6_routes(&text)
            .map_err(|malformed| HostError::new(PATH, malformed.to_string())),
        None => Ok(Vec::new()),
    }
}

/// A line of a kernel table that does not have the table's shape; the file is attached by the
/// caller.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed line {line}: '{text}'")]
pub struct MalformedLine {
    pub line: usize,
    pub text: String,
}

/// `Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT`, addresses as the
/// kernel's in-memory `__be32` printed in hex, so they are decoded with the native byte order.
pub fn parse_ipv4_routes(text: &str) -> Result<Vec<Route>, MalformedLine> {
    let mut routes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || (index == 0 && line.starts_with("Iface")) {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let malformed = || MalformedLine {
            line: index + 1,
            text: line.trim().to_owned(),
        };
        let [
            interface,
            destination,
            gateway,
            flags,
            _refcnt,
            _use,
            metric,
            mask,
            ..,
        ] = fields.as_slice()
        else {
            return Err(malformed());
        };
        let hex = |field: &str| u32::from_str_radix(field, 16).map_err(|_| malformed());
        let flags = hex(flags)?;
        if flags & RTF_UP == 0 || flags & RTF_REJECT != 0 {
            continue;
        }
        let gateway = Ipv4Addr::from(hex(gateway)?.to_ne_bytes());
        routes.push(Route {
            interface: (*interface).to_owned(),
            destination: IpAddr::V4(Ipv4Addr::from(hex(destination)?.to_ne_bytes())),
            prefix_len: hex(mask)?.count_ones() as u8,
            gateway: (!gateway.is_unspecified()).then_some(IpAddr::V4(gateway)),
            metric: metric.parse().map_err(|_| malformed())?,
        });
    }
    Ok(routes)
}

/// `dest dest_plen src src_plen next_hop metric refcnt use flags iface`, all hex, addresses as
/// 32 hex digits in network order. Every table ends with `::/0` on `lo` flagged reject (the
/// kernel's null entry): that is not a default route and is dropped with the other rejects.
pub fn parse_ipv6_routes(text: &str) -> Result<Vec<Route>, MalformedLine> {
    let mut routes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let malformed = || MalformedLine {
            line: index + 1,
            text: line.trim().to_owned(),
        };
        let [
            destination,
            prefix_len,
            _source,
            _source_len,
            next_hop,
            metric,
            _refcnt,
            _use,
            flags,
            interface,
        ] = fields.as_slice()
        else {
            return Err(malformed());
        };
        let hex32 = |field: &str| u32::from_str_radix(field, 16).map_err(|_| malformed());
        let address = |field: &str| {
            u128::from_str_radix(field, 16)
                .map(Ipv6Addr::from)
                .map_err(|_| malformed())
        };
        let flags = hex32(flags)?;
        if flags & RTF_UP == 0 || flags & RTF_REJECT != 0 {
            continue;
        }
        let next_hop = address(next_hop)?;
        routes.push(Route {
            interface: (*interface).to_owned(),
            destination: IpAddr::V6(address(destination)?),
            prefix_len: u8::from_str_radix(prefix_len, 16).map_err(|_| malformed())?,
            gateway: (!next_hop.is_unspecified()).then_some(IpAddr::V6(next_hop)),
            metric: hex32(metric)?,
        });
    }
    Ok(routes)
}

/// An IPv6 address of `/proc/net/if_inet6`: a file, so it is read under `--root` too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv6Address {
    pub ip: Ipv6Addr,
    pub prefix_len: u8,
    pub interface: String,
    /// Kernel scope: global (0x00) is routable, ULAs included; link (0x20) and host (0x10) are
    /// not.
    pub global: bool,
    /// Duplicate address detection failed, or has not finished: not usable yet.
    pub unusable: bool,
}

/// `IFA_F_DADFAILED` and `IFA_F_TENTATIVE` of `<linux/if_addr.h>`.
const IFA_UNUSABLE: u32 = 0x08 | 0x40;

/// The IPv6 addresses of `/proc/net/if_inet6`; none when IPv6 is disabled (no file).
pub fn ipv6_addresses(host: &Host) -> Result<Vec<Ipv6Address>, HostError> {
    const PATH: &str = "/proc/net/if_inet6";
    let Some(text) = host.read_optional(PATH)? else {
        return Ok(Vec::new());
    };
    parse_if_inet6(&text).map_err(|malformed| HostError::new(PATH, malformed.to_string()))
}

/// `address ifindex prefix_len scope flags name`, all hex but the name.
pub fn parse_if_inet6(text: &str) -> Result<Vec<Ipv6Address>, MalformedLine> {
    let mut addresses = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = || MalformedLine {
            line: index + 1,
            text: line.trim().to_owned(),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [address, _ifindex, prefix_len, scope, flags, interface] = fields.as_slice() else {
            return Err(malformed());
        };
        let hex = |field: &str| u32::from_str_radix(field, 16).map_err(|_| malformed());
        addresses.push(Ipv6Address {
            ip: u128::from_str_radix(address, 16)
                .map(Ipv6Addr::from)
                .map_err(|_| malformed())?,
            prefix_len: u8::try_from(hex(prefix_len)?).map_err(|_| malformed())?,
            interface: (*interface).to_owned(),
            global: hex(scope)? == 0,
            unusable: hex(flags)? & IFA_UNUSABLE != 0,
        });
    }
    Ok(addresses)
}

/// A network interface as sysfs describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// RFC 2863 state: `up`, `down`, `unknown`, `dormant`, `lowerlayerdown`, `notpresent`.
    pub operstate: String,
    /// `None` when the kernel will not say (reading `carrier` of a down interface is EINVAL).
    pub carrier: Option<bool>,
    /// Mb/s; `None` when unknown: a down or virtual NIC (EINVAL, or `-1`), or a driver such as
    /// virtio_net that reports no speed.
    pub speed_mbps: Option<u32>,
    pub mtu: Option<u32>,
    /// Backed by a device (`/sys/class/net/NAME/device` exists): a PCI, USB or virtio NIC, as
    /// opposed to a bridge, bond, VLAN, veth or tunnel.
    pub physical: bool,
    pub loopback: bool,
    /// The kernel driver of a physical NIC (`ixgbe`, `virtio_net`), when sysfs names it.
    pub driver: Option<String>,
}

impl Interface {
    /// Whether the link is up. Some drivers never set an RFC 2863 state and stay `unknown`;
    /// for them the carrier decides, as `ip link` shows `LOWER_UP`.
    pub fn has_link(&self) -> bool {
        self.operstate == "up" || (self.operstate == "unknown" && self.carrier == Some(true))
    }

    /// `up`, or the state and carrier in words: `down (no carrier)`.
    pub fn link_text(&self) -> String {
        if self.has_link() {
            return "up".to_owned();
        }
        match self.carrier {
            Some(false) => format!("{} (no carrier)", self.operstate),
            _ => self.operstate.clone(),
        }
    }
}

/// Every interface in `/sys/class/net`, sorted by name. Attributes the kernel refuses to
/// report (EINVAL on a down or virtual interface) are left unknown rather than failing.
pub fn interfaces(host: &Host) -> Result<Vec<Interface>, HostError> {
    const CLASS: &str = "/sys/class/net";
    let names = host
        .list_dir(CLASS)?
        .ok_or_else(|| HostError::new(CLASS, "no such directory"))?;
    let mut interfaces = Vec::new();
    for name in names {
        let base = format!("{CLASS}/{name}");
        // `bonding_masters` is a regular file beside the interface links.
        if !host.is_dir(&base)? {
            continue;
        }
        let attribute = |attribute: &str| {
            host.read_optional(&format!("{base}/{attribute}"))
                .ok()
                .flatten()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty())
        };
        let physical = host.exists(&format!("{base}/device"))?;
        let driver = if physical {
            host.read_link(&format!("{base}/device/driver"))
                .ok()
                .flatten()
                .and_then(|target| target.rsplit('/').next().map(str::to_owned))
        } else {
            None
        };
        interfaces.push(Interface {
            operstate: attribute("operstate").unwrap_or_else(|| "unknown".to_owned()),
            carrier: attribute("carrier").and_then(|carrier| match carrier.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            }),
            speed_mbps: attribute("speed").and_then(|speed| parse_speed(&speed)),
            mtu: attribute("mtu").and_then(|mtu| mtu.parse().ok()),
            physical,
            loopback: name == "lo" || attribute("type").as_deref() == Some(TYPE_LOOPBACK),
            driver,
            name,
        });
    }
    Ok(interfaces)
}

/// A link speed in Mb/s. `-1` is `SPEED_UNKNOWN`; old kernels and some drivers print it as
/// an unsigned 65535 or 4294967295 instead.
fn parse_speed(text: &str) -> Option<u32> {
    let speed: i64 = text.parse().ok()?;
    if speed <= 0 || speed == 65535 || speed == 4294967295 {
        return None;
    }
    u32::try_from(speed).ok()
}

/// `100 Mbit/s`, `1 Gbit/s`, `2.5 Gbit/s`, `25 Gbit/s`.
pub fn speed_text(mbps: u32) -> String {
    if mbps < 1000 {
        format!("{mbps} Mbit/s")
    } else if mbps.is_multiple_of(1000) {
        format!("{} Gbit/s", mbps / 1000)
    } else {
        format!("{} Gbit/s", f64::from(mbps) / 1000.0)
    }
}

/// An address on an interface of the running system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub interface: String,
    pub ip: IpAddr,
    pub prefix_len: u8,
    /// `ip` marks addresses with a lifetime `dynamic`: for IPv4 a DHCP lease, for IPv6 SLAAC or
    /// DHCPv6. `None` when unknown (`ip` is not installed).
    pub dynamic: Option<bool>,
}

/// The addresses of the running system, or `None` under `--root` (addresses live in the
/// kernel, not in files). `ip -o addr show` is preferred because it tells DHCP leases apart;
/// without `ip` the kernel's list is used and whether an address came from DHCP is unknown.
pub fn live_addresses(host: &Host) -> Result<Option<Vec<Address>>, HostError> {
    let Some(live) = host.live_system() else {
        return Ok(None);
    };
    let command = Query::IpAddresses.command_line();
    match host.query(Query::IpAddresses) {
        Ok(output) if output.success() => Ok(Some(parse_ip_addresses(&output.stdout))),
        Ok(output) => Err(HostError::new(
            command,
            format!(
                "exited with {}: {}",
                output
                    .exit_code
                    .map_or_else(|| "a signal".to_owned(), |code| code.to_string()),
                output.stderr.trim()
            ),
        )),
        Err(QueryError::NotInstalled(_)) => Ok(Some(
            live.interface_addresses()?
                .into_iter()
                .map(|address| Address {
                    interface: address.interface,
                    ip: address.ip,
                    prefix_len: address.prefix_len,
                    dynamic: None,
                })
                .collect(),
        )),
        Err(QueryError::Host(error)) => Err(error),
        Err(error) => Err(HostError::new(command, error.to_string())),
    }
}

/// Lines of `ip -o addr show`, such as
/// `2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global dynamic noprefixroute eth0\ ...`.
/// Lines that are not `inet`/`inet6` addresses are ignored.
pub fn parse_ip_addresses(text: &str) -> Vec<Address> {
    text.lines()
        .filter_map(|line| {
            // Everything after the first backslash is the lifetime continuation line.
            let head = line.split('\\').next().unwrap_or(line);
            let mut fields = head.split_whitespace();
            let _index = fields.next()?.strip_suffix(':')?;
            let interface = fields.next()?;
            let family = fields.next()?;
            if family != "inet" && family != "inet6" {
                return None;
            }
            let (ip, prefix_len) = fields.next()?.split_once('/')?;
            let flags: Vec<&str> = fields.collect();
            Some(Address {
                // A VLAN may be printed as `eth0.10@eth0`; the interface is the part before `@`.
                interface: interface.split('@').next().unwrap_or(interface).to_owned(),
                ip: ip.parse().ok()?,
                prefix_len: prefix_len.parse().ok()?,
                dynamic: Some(flags.contains(&"dynamic")),
            })
        })
        .collect()
}

/// Why an address cannot be a node's address, or `None` when it can.
pub fn unusable_kind(ip: &IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => Some("all-zero"),
        IpAddr::V4(v4) if v4.is_loopback() => Some("loopback"),
        IpAddr::V4(v4) if v4.is_multicast() => Some("multicast"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("link-local"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("broadcast"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("all-zero"),
        IpAddr::V6(v6) if v6.is_loopback() => Some("loopback"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("multicast"),
        IpAddr::V6(v6) if v6.is_unicast_link_local() => Some("link-local"),
        _ => None,
    }
}

/// Whether two IPv4 networks share any address.
pub fn ipv4_overlaps(a: Ipv4Addr, a_len: u8, b: Ipv4Addr, b_len: u8) -> bool {
    let shorter = a_len.min(b_len).min(32);
    let mask = u32::MAX.checked_shl(32 - u32::from(shorter)).unwrap_or(0);
    a.to_bits() & mask == b.to_bits() & mask
}

/// What the resolver reads from `/etc/resolv.conf`, with line numbers for messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvConf {
    /// `(line number, address)` of each `nameserver` line, in order.
    pub nameservers: Vec<(usize, String)>,
    /// The search list: the last `search` or `domain` line wins, as in glibc.
    pub search: Vec<String>,
    /// `(line number, keyword)` of the line the search list came from.
    pub search_line: Option<(usize, &'static str)>,
}

impl ResolvConf {
    /// Comments start at `#` or `;` anywhere in a line, as kubelet reads the file for pods.
    pub fn parse(text: &str) -> ResolvConf {
        let mut conf = ResolvConf::default();
        for (index, line) in text.lines().enumerate() {
            let line = line.split(['#', ';']).next().unwrap_or(line);
            let mut fields = line.split_whitespace();
            match fields.next() {
                Some("nameserver") => {
                    if let Some(address) = fields.next() {
                        conf.nameservers.push((index + 1, address.to_owned()));
                    }
                }
                Some(keyword @ ("search" | "domain")) => {
                    conf.search = fields.map(str::to_owned).collect();
                    conf.search_line = Some((
                        index + 1,
                        if keyword == "search" {
                            "search"
                        } else {
                            "domain"
                        },
                    ));
                }
                _ => {}
            }
        }
        conf
    }
}

/// Fixture builders for sysfs network trees, shared by the `net.*` checks' tests.
#[cfg(test)]
pub mod fixtures {
    use crate::testing::Tree;

    /// `/proc/net/route` of a CentOS 7 host with Docker installed (columns tab-separated,
    /// padded with trailing spaces to 128 bytes per line as the kernel does).
    pub const CENTOS_ROUTE: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n\
        eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0                                                                                \n\
        eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0                                                                                \n\
        docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                               \n";

    /// `/proc/net/ipv6_route` of a dual-stack host; the last line is the kernel's reject entry.
    /// `/proc/net/if_inet6` of the same host: a ULA (global scope), its link-local address and
    /// loopback.
    pub const IF_INET6: &str = "\
fd000000000000000000000000000005 02 40 00 80     eth0
fe80000000000000525400fffe123456 02 40 20 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
";

    pub const IPV6_ROUTE: &str = "\
fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
";

    /// A PCI NIC laid out as the kernel does: `/sys/class/net/NAME` is a relative link into
    /// `/sys/devices`, whose `device` link points back to the PCI function, whose `driver`
    /// link names the driver. `None` leaves an attribute out (the kernel's EINVAL).
    pub fn pci_nic(
        tree: Tree,
        name: &str,
        slot: &str,
        driver: &str,
        operstate: &str,
        carrier: Option<&str>,
        speed: Option<&str>,
    ) -> Tree {
        let device = format!("sys/devices/pci0000:00/0000:00:02.0/{slot}");
        let net = format!("{device}/net/{name}");
        let tree = tree
            .symlink(
                &format!("sys/class/net/{name}"),
                &format!("../../devices/pci0000:00/0000:00:02.0/{slot}/net/{name}"),
            )
            .symlink(&format!("{net}/device"), &format!("../../../{slot}"))
            .symlink(
                &format!("{device}/driver"),
                &format!("../../../../bus/pci/drivers/{driver}"),
            )
            .file(&format!("{net}/operstate"), &format!("{operstate}\n"))
            .file(&format!("{net}/mtu"), "1500\n")
            .file(&format!("{net}/type"), "1\n");
        let tree = match carrier {
            Some(carrier) => tree.file(&format!("{net}/carrier"), &format!("{carrier}\n")),
            None => tree,
        };
        match speed {
            Some(speed) => tree.file(&format!("{net}/speed"), &format!("{speed}\n")),
            None => tree,
        }
    }

    /// A virtual interface (bridge, bond, veth): no `device` link, no speed.
    pub fn virtual_nic(tree: Tree, name: &str, operstate: &str, carrier: &str, mtu: &str) -> Tree {
        let net = format!("sys/devices/virtual/net/{name}");
        tree.symlink(
            &format!("sys/class/net/{name}"),
            &format!("../../devices/virtual/net/{name}"),
        )
        .file(&format!("{net}/operstate"), &format!("{operstate}\n"))
        .file(&format!("{net}/carrier"), &format!("{carrier}\n"))
        .file(&format!("{net}/mtu"), &format!("{mtu}\n"))
        .file(
            &format!("{net}/type"),
            if name == "lo" { "772\n" } else { "1\n" },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{CENTOS_ROUTE, IPV6_ROUTE};
    use super::*;
    use crate::testing::Tree;

    #[test]
    fn if_inet6_gives_scope_and_state() {
        let addresses = parse_if_inet6(super::fixtures::IF_INET6).unwrap();
        let global: Vec<String> = addresses
            .iter()
            .filter(|address| address.global)
            .map(|address| {
                format!(
                    "{}/{} {}",
                    address.ip, address.prefix_len, address.interface
                )
            })
            .collect();
        assert_eq!(global, ["fd00::5/64 eth0"]);
        let tentative =
            parse_if_inet6("20010db8000000000000000000000005 02 40 00 40 eth0\n").unwrap();
        assert!(tentative[0].global && tentative[0].unusable);
        assert!(parse_if_inet6("zz 02 40 00 80 eth0\n").is_err());
    }

    #[test]
    fn ipv4_routes_decode_little_endian_hex() {
        let routes = parse_ipv4_routes(CENTOS_ROUTE).unwrap();
        let shown: Vec<String> = routes.iter().map(Route::to_string).collect();
        assert_eq!(
            shown,
            [
                "default via 192.168.2.1 dev eth0",
                "192.168.2.0/24 dev eth0",
                "172.17.0.0/16 dev docker0"
            ]
        );
        assert_eq!(routes[0].metric, 100);
        assert!(routes[0].is_default() && !routes[1].is_default());
    }

    #[test]
    fn ipv6_routes_drop_the_reject_entry() {
        let routes = parse_ipv6_routes(IPV6_ROUTE).unwrap();
        let shown: Vec<String> = routes.iter().map(Route::to_string).collect();
        assert_eq!(
            shown,
            [
                "fd00::/64 dev eth0",
                "fe80::/64 dev eth0",
                "default via fd00::1 dev eth0",
                "::1/128 dev lo"
            ]
        );
        assert_eq!(routes[2].metric, 1024);
    }

    #[test]
    fn malformed_route_tables_name_the_line() {
        let host = Tree::new()
            .file("proc/net/route", "Iface\tDestination\neth0\tzz\n")
            .host();
        assert_eq!(
            ipv4_routes(&host).unwrap_err().to_string(),
            "/proc/net/route: malformed line 2: 'eth0\tzz'"
        );
        assert_eq!(
            parse_ipv6_routes("0000 40 00\n").unwrap_err(),
            MalformedLine {
                line: 1,
                text: "0000 40 00".to_owned()
            }
        );
        let no_ipv6 = Tree::new().host();
        assert_eq!(ipv6_routes(&no_ipv6).unwrap(), []);
    }

    #[test]
    fn interfaces_follow_sysfs_links() {
        let tree = fixtures::pci_nic(
            Tree::new(),
            "ens1f0",
            "0000:3b:00.0",
            "ixgbe",
            "up",
            Some("1"),
            Some("10000"),
        );
        let tree = fixtures::pci_nic(
            tree,
            "ens1f1",
            "0000:3b:00.1",
            "ixgbe",
            "down",
            Some("0"),
            Some("-1"),
        );
        let tree = fixtures::virtual_nic(tree, "lo", "unknown", "1", "65536");
        let tree = fixtures::virtual_nic(tree, "br0", "up", "1", "9000")
            .file("sys/class/net/bonding_masters", "\n");
        let interfaces = interfaces(&tree.host()).unwrap();
        let names: Vec<&str> = interfaces.iter().map(|nic| nic.name.as_str()).collect();
        assert_eq!(names, ["br0", "ens1f0", "ens1f1", "lo"]);
        let [br0, up, down, lo] = interfaces.as_slice() else {
            unreachable!()
        };
        assert_eq!(
            up,
            &Interface {
                name: "ens1f0".into(),
                operstate: "up".into(),
                carrier: Some(true),
                speed_mbps: Some(10000),
                mtu: Some(1500),
                physical: true,
                loopback: false,
                driver: Some("ixgbe".into()),
            }
        );
        assert_eq!(
            (down.speed_mbps, down.link_text()),
            (None, "down (no carrier)".into())
        );
        assert!(!br0.physical && br0.has_link() && br0.mtu == Some(9000));
        assert!(lo.loopback && !lo.physical);
    }

    #[test]
    fn a_tree_without_sysfs_is_an_error() {
        assert_eq!(
            interfaces(&Tree::new().host()).unwrap_err().to_string(),
            "/sys/class/net: no such directory"
        );
    }

    #[test]
    fn speeds_the_kernel_cannot_tell_are_unknown() {
        assert_eq!(parse_speed("1000"), Some(1000));
        assert_eq!(parse_speed("100000"), Some(100_000));
        for unknown in ["-1", "0", "65535", "4294967295", "garbage"] {
            assert_eq!(parse_speed(unknown), None, "{unknown}");
        }
        assert_eq!(speed_text(100), "100 Mbit/s");
        assert_eq!(speed_text(2500), "2.5 Gbit/s");
        assert_eq!(speed_text(25000), "25 Gbit/s");
    }

    #[test]
    fn ip_addr_lines_of_ubuntu_and_centos() {
        // Ubuntu 22.04 (iproute2 5.15) with a DHCP lease, then CentOS 7 (iproute 4.11) with a
        // static address, a secondary label and a VLAN.
        let text = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: ens160    inet 192.168.10.21/24 metric 100 brd 192.168.10.255 scope global dynamic ens160\\       valid_lft 85984sec preferred_lft 85984sec
2: ens160    inet6 fe80::250:56ff:fe9a:1b2c/64 scope link \\       valid_lft forever preferred_lft forever
2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global noprefixroute eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.0.0.6/24 brd 10.0.0.255 scope global secondary eth0:1\\       valid_lft forever preferred_lft forever
5: eth0.10@eth0    inet 10.10.0.5/24 brd 10.10.0.255 scope global eth0.10\\       valid_lft forever preferred_lft forever
";
        let addresses = parse_ip_addresses(text);
        let shown: Vec<(String, String, Option<bool>)> = addresses
            .iter()
            .map(|a| {
                (
                    a.interface.clone(),
                    format!("{}/{}", a.ip, a.prefix_len),
                    a.dynamic,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("lo".into(), "127.0.0.1/8".into(), Some(false)),
                ("ens160".into(), "192.168.10.21/24".into(), Some(true)),
                (
                    "ens160".into(),
                    "fe80::250:56ff:fe9a:1b2c/64".into(),
                    Some(false)
                ),
                ("eth0".into(), "10.0.0.5/24".into(), Some(false)),
                ("eth0".into(), "10.0.0.6/24".into(), Some(false)),
                ("eth0.10".into(), "10.10.0.5/24".into(), Some(false)),
            ]
        );
    }

    #[test]
    fn resolv_conf_of_ubuntu_with_systemd_resolved() {
        let text = "\
# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
# Do not edit.
;nameserver 10.0.0.1
nameserver 127.0.0.53
options edns0 trust-ad
domain corp.example.com
search corp.example.com lab.example.com # lab
";
        let conf = ResolvConf::parse(text);
        assert_eq!(conf.nameservers, [(4, "127.0.0.53".to_owned())]);
        assert_eq!(conf.search, ["corp.example.com", "lab.example.com"]);
        assert_eq!(conf.search_line, Some((7, "search")));
    }

    #[test]
    fn unusable_kinds_are_named() {
        for (text, kind) in [
            ("0.0.0.0", Some("all-zero")),
            ("127.0.0.1", Some("loopback")),
            ("224.0.0.251", Some("multicast")),
            ("169.254.3.4", Some("link-local")),
            ("255.255.255.255", Some("broadcast")),
            ("::", Some("all-zero")),
            ("::1", Some("loopback")),
            ("fe80::1", Some("link-local")),
            ("ff02::1", Some("multicast")),
            ("10.0.0.5", None),
            ("2001:db8::5", None),
        ] {
            assert_eq!(unusable_kind(&text.parse().unwrap()), kind, "{text}");
        }
    }

    #[test]
    fn overlapping_networks() {
        let net = |text: &str| text.parse::<Ipv4Addr>().unwrap();
        assert!(ipv4_overlaps(net("172.16.0.0"), 12, net("172.17.0.0"), 16));
        assert!(ipv4_overlaps(net("172.0.0.0"), 8, net("172.16.0.0"), 12));
        assert!(!ipv4_overlaps(net("172.15.0.0"), 16, net("172.16.0.0"), 12));
        assert!(ipv4_overlaps(net("10.0.0.0"), 0, net("172.16.0.0"), 12));
    }

    #[test]
    fn live_addresses_include_loopback() {
        let addresses = live_addresses(&Host::live()).unwrap().unwrap();
        assert!(
            addresses.iter().any(|a| a.ip.is_loopback()),
            "{addresses:?}"
        );
        assert_eq!(live_addresses(&Tree::new().host()).unwrap(), None);
    }
}
