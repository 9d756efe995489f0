//! `net.default-route`: kubeadm, kubelet and kube-apiserver pick the node's address from the
//! default route, read from the same two files as here. Without one they stop with "unable to
//! find suitable network address: no default routes found". The guide asks `ip route` — IPv4 —
//! for a default route or a route to 0.0.0.0; a dual-stack or IPv6 cluster also needs every
//! host's IPv6 address and IPv6 default route.

use crate::check::{Check, Context, IpFamily, Observation, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::network::{self, Route};

pub struct NetDefaultRoute;

impl Check for NetDefaultRoute {
    fn id(&self) -> &'static str {
        "net.default-route"
    }

    fn title(&self) -> &'static str {
        "an IPv4 default route exists (and for dual stack or IPv6 an IPv6 one)"
    }

    fn hint(&self) -> &'static str {
        "add a default gateway to the cluster NIC — RHEL/CentOS/Kylin: `nmcli connection modify \
         CONN ipv4.gateway GW && nmcli connection up CONN`; Ubuntu: a `routes: [{to: default, via: \
         GW}]` entry in netplan, then `netplan apply`; on an air-gapped network a route to \
         0.0.0.0/0 via any router of the segment is enough"
    }

    fn explain(&self) -> &'static str {
        "The node-check list (seed 004) requires that `ip route` returns a default route or a \
         route to 0.0.0.0. `ip route` lists IPv4 only, so an IPv6 default route does not \
         satisfy it, and the list makes no exception for an IPv6 cluster. With --ip-family \
         dual or ipv6 the guide adds that IPv6 must be configured on every node (its \
         dual-stack note); Kubernetes then needs a global IPv6 address and an IPv6 default \
         route to pick the node's IPv6 address. Without --ip-family only IPv4 is checked."
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let ipv4: Vec<Route> = network::ipv4_routes(host)?
            .into_iter()
            .filter(Route::is_default)
            .collect();
        let ipv6: Vec<Route> = network::ipv6_routes(host)?
            .into_iter()
            .filter(Route::is_default)
            .collect();
        let family = context.ip_family;
        let needs_ipv6 = family.is_some_and(IpFamily::needs_ipv6);
        let shown = |routes: &[Route]| {
            routes
                .iter()
                .map(|route| format!("{route} metric {}", route.metric))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        let mut missing = Vec::new();
        if ipv4.is_empty() {
            parts.push("no IPv4 default route".to_owned());
            missing.push("an IPv4 default route");
        } else {
            parts.push(shown(&ipv4));
        }
        let mut expected = "an IPv4 default route (0.0.0.0/0 in /proc/net/route)".to_owned();
        if needs_ipv6 {
            let family_name = family.map_or("", IpFamily::as_str);
            expected.push_str(&format!(
                ", an IPv6 default route and a global IPv6 address (--ip-family {family_name})"
            ));
            if ipv6.is_empty() {
                parts.push("no IPv6 default route".to_owned());
                missing.push("an IPv6 default route");
            } else {
                parts.push(shown(&ipv6));
            }
            let addresses: Vec<String> = network::ipv6_addresses(host)?
                .into_iter()
                .filter(|address| address.global && !address.unusable)
                .map(|address| {
                    format!(
                        "{}/{} on {}",
                        address.ip, address.prefix_len, address.interface
                    )
                })
                .collect();
            if addresses.is_empty() {
                parts.push("no global IPv6 address".to_owned());
                missing.push("a global IPv6 address");
            } else {
                parts.push(format!("global IPv6 {}", addresses.join(", ")));
            }
        } else if !ipv6.is_empty() {
            let note = if ipv4.is_empty() {
                " (IPv6 only: the guide's `ip route` check wants IPv4)"
            } else {
                ""
            };
            parts.push(format!("{}{note}", shown(&ipv6)));
        }
        let mut observation =
            Observation::new(parts.join("; "), expected).fail_if(!missing.is_empty());
        if missing.contains(&"a global IPv6 address") || missing.contains(&"an IPv6 default route")
        {
            observation = observation.with_hint(format!(
                "configure {} on the cluster NIC — RHEL/CentOS/Kylin: `nmcli connection modify \
                 CONN ipv6.method manual ipv6.addresses ADDR/64 ipv6.gateway GW6 && nmcli \
                 connection up CONN`, adding ipv4.gateway GW when IPv4 lacks one; Ubuntu: the \
                 addresses and a `routes: [{{to: default, via: GW6}}]` entry in netplan, then \
                 `netplan apply`",
                missing.join(" and ")
            ));
        }
        Ok(observation.into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::network::fixtures::{CENTOS_ROUTE, IF_INET6, IPV6_ROUTE};
    use crate::testing::{Tree, assert_status};

    const HEADER: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n";

    fn family(family: IpFamily) -> Context {
        Context {
            ip_family: Some(family),
            ..Context::default()
        }
    }

    #[test]
    fn ipv4_and_ipv6_defaults_are_shown() {
        let result = Tree::new()
            .file("proc/net/route", CENTOS_ROUTE)
            .file("proc/net/ipv6_route", IPV6_ROUTE)
            .status(&NetDefaultRoute);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "default via 192.168.2.1 dev eth0 metric 100; default via fd00::1 dev eth0 metric 1024"
        );
    }

    #[test]
    fn only_connected_routes_fail() {
        // An isolated host: its subnet only, and IPv6's reject entry, which is no route.
        let route =
            format!("{HEADER}eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
        let result = Tree::new()
            .file("proc/net/route", &route)
            .file("proc/net/ipv6_route", IPV6_ROUTE.lines().last().unwrap())
            .status(&NetDefaultRoute);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "no IPv4 default route");
    }

    #[test]
    fn an_ipv6_only_default_does_not_satisfy_ip_route() {
        let result = Tree::new()
            .file("proc/net/route", HEADER)
            .file("proc/net/ipv6_route", IPV6_ROUTE)
            .status(&NetDefaultRoute);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "no IPv4 default route; default via fd00::1 dev eth0 metric 1024 (IPv6 only: the \
             guide's `ip route` check wants IPv4)"
        );
    }

    #[test]
    fn dual_stack_needs_both_defaults_and_a_global_ipv6_address() {
        let dual = Tree::new()
            .file("proc/net/route", CENTOS_ROUTE)
            .file("proc/net/ipv6_route", IPV6_ROUTE)
            .file("proc/net/if_inet6", IF_INET6);
        let result = dual.run(&NetDefaultRoute, &family(IpFamily::Dual));
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "default via 192.168.2.1 dev eth0 metric 100; default via fd00::1 dev eth0 metric \
             1024; global IPv6 fd00::5/64 on eth0"
        );
        // Only link-local and loopback addresses, and no IPv6 default route.
        let ipv4_only = Tree::new().file("proc/net/route", CENTOS_ROUTE).file(
            "proc/net/if_inet6",
            &IF_INET6.lines().skip(1).collect::<Vec<_>>().join("\n"),
        );
        let result = ipv4_only.run(&NetDefaultRoute, &family(IpFamily::Dual));
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "default via 192.168.2.1 dev eth0 metric 100; no IPv6 default route; no global IPv6 \
             address"
        );
        assert!(
            result
                .hint
                .starts_with("configure an IPv6 default route and a global IPv6 address"),
            "{}",
            result.hint
        );
        assert_status(
            &ipv4_only.run(&NetDefaultRoute, &family(IpFamily::Ipv4)),
            Status::Pass,
        );
    }

    #[test]
    fn an_ipv6_cluster_still_needs_the_guides_ipv4_default_route() {
        let result = Tree::new()
            .file("proc/net/route", HEADER)
            .file("proc/net/ipv6_route", IPV6_ROUTE)
            .file("proc/net/if_inet6", IF_INET6)
            .run(&NetDefaultRoute, &family(IpFamily::Ipv6));
        assert_status(&result, Status::Fail);
        assert!(
            result
                .observed
                .starts_with("no IPv4 default route; default via fd00::1"),
            "{}",
            result.observed
        );
    }

    #[test]
    fn a_down_default_route_does_not_count() {
        // Flags 0002: RTF_GATEWAY without RTF_UP.
        let route = format!("{HEADER}eth0\t00000000\t0102A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n");
        let result = Tree::new()
            .file("proc/net/route", &route)
            .status(&NetDefaultRoute);
        assert_status(&result, Status::Fail);
    }

    #[test]
    fn a_missing_or_malformed_table_is_an_error() {
        let missing = Tree::new().status(&NetDefaultRoute);
        assert_status(&missing, Status::Error);
        assert_eq!(
            missing.reason.as_deref(),
            Some("/proc/net/route: no such file")
        );
        let malformed = Tree::new()
            .file("proc/net/route", &format!("{HEADER}eth0\t00000000\n"))
            .status(&NetDefaultRoute);
        assert_status(&malformed, Status::Error);
        assert!(
            malformed
                .reason
                .as_deref()
                .unwrap()
                .starts_with("/proc/net/route: malformed line 2"),
            "{malformed:?}"
        );
    }
}
