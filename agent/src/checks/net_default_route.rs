//! `net.default-route`: kubeadm, kubelet and kube-apiserver pick the node's address from the
//! default route, read from the same two files as here. Without one they stop with "unable to
//! find suitable network address: no default routes found".

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::network::{self, Route};

pub struct NetDefaultRoute;

impl Check for NetDefaultRoute {
    fn id(&self) -> &'static str {
        "net.default-route"
    }

    fn title(&self) -> &'static str {
        "a default route exists"
    }

    fn hint(&self) -> &'static str {
        "add a default gateway to the cluster NIC (RHEL/CentOS/Kylin: nmcli connection modify \
         CONN ipv4.gateway GW && nmcli connection up CONN; Ubuntu: 'routes: - to: default \
         via: GW' in netplan, then netplan apply); on an air-gapped network a route to \
         0.0.0.0/0 via any router of the segment is enough"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut defaults: Vec<Route> = network::ipv4_routes(host)?
            .into_iter()
            .filter(Route::is_default)
            .collect();
        defaults.extend(
            network::ipv6_routes(host)?
                .into_iter()
                .filter(Route::is_default),
        );
        let expected = "a default route (0.0.0.0/0, or ::/0) in /proc/net/route or \
                        /proc/net/ipv6_route";
        if defaults.is_empty() {
            return Ok(Observation::new("no default route", expected)
                .fail_if(true)
                .into());
        }
        let shown: Vec<String> = defaults
            .iter()
            .map(|route| format!("{route} metric {}", route.metric))
            .collect();
        Ok(Observation::new(shown.join("; "), expected).into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::network::fixtures::{CENTOS_ROUTE, IPV6_ROUTE};
    use crate::testing::{Tree, assert_status};

    const HEADER: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n";

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
        assert_eq!(result.observed, "no default route");
    }

    #[test]
    fn an_ipv6_only_default_passes() {
        let result = Tree::new()
            .file("proc/net/route", HEADER)
            .file("proc/net/ipv6_route", IPV6_ROUTE)
            .status(&NetDefaultRoute);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "default via fd00::1 dev eth0 metric 1024");
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
