//! `net.hosts-localhost`: kubelet, etcd and the platform's components reach each other on
//! `localhost`; when `/etc/hosts` maps it elsewhere (or not at all) health checks and local
//! API calls go to the wrong place and the installation stalls.

use std::net::{IpAddr, Ipv4Addr};

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};

const PATH: &str = "/etc/hosts";

pub struct NetHostsLocalhost;

impl Check for NetHostsLocalhost {
    fn id(&self) -> &'static str {
        "net.hosts-localhost"
    }

    fn title(&self) -> &'static str {
        "/etc/hosts resolves localhost to 127.0.0.1"
    }

    fn hint(&self) -> &'static str {
        "put '127.0.0.1   localhost localhost.localdomain' as the first IPv4 line for localhost \
         in /etc/hosts and remove other IPv4 addresses given for the name localhost"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let expected = "the first IPv4 entry for localhost in /etc/hosts is 127.0.0.1";
        let Some(hosts) = host.read_optional(PATH)? else {
            return Ok(Observation::new("/etc/hosts does not exist", expected)
                .fail_if(true)
                .into());
        };
        let observation = match first_ipv4_localhost(&hosts) {
            None => Observation::new("no IPv4 entry for localhost in /etc/hosts", expected)
                .fail_if(true),
            Some((number, address, _)) if address == Ipv4Addr::LOCALHOST => {
                Observation::new(format!("localhost → 127.0.0.1 (line {number})"), expected)
            }
            Some((number, address, line)) => Observation::new(
                format!("localhost → {address} (line {number}: '{line}')"),
                expected,
            )
            .fail_if(true),
        };
        Ok(observation.into())
    }
}

/// The first line giving `localhost` an IPv4 address, as glibc's files backend finds it: its
/// number, the address and the line without its comment. IPv6 lines (`::1 localhost`) and
/// lines whose address does not parse are passed over, as the resolver does.
fn first_ipv4_localhost(hosts: &str) -> Option<(usize, Ipv4Addr, &str)> {
    hosts.lines().enumerate().find_map(|(index, line)| {
        let entry = line.split('#').next().unwrap_or(line).trim();
        let mut fields = entry.split_whitespace();
        let IpAddr::V4(address) = fields.next()?.parse().ok()? else {
            return None;
        };
        fields
            .any(|name| name.eq_ignore_ascii_case("localhost"))
            .then_some((index + 1, address, entry))
    })
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    fn check(hosts: &str) -> ironprep_schema::CheckResult {
        Tree::new()
            .file("etc/hosts", hosts)
            .status(&NetHostsLocalhost)
    }

    #[test]
    fn centos_default_hosts_passes() {
        let result = check(
            "127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n\
             ::1         localhost localhost.localdomain localhost6 localhost6.localdomain6\n",
        );
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "localhost → 127.0.0.1 (line 1)");
    }

    #[test]
    fn ipv6_first_comments_and_tabs_are_handled() {
        let result = check(
            "# The following lines are desirable for IPv6 capable hosts\n\
             ::1\tip6-localhost ip6-loopback localhost\n\
             # 10.0.0.1 localhost\n\
             127.0.0.1\tLOCALHOST\t# the loopback\n",
        );
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "localhost → 127.0.0.1 (line 4)");
    }

    #[test]
    fn another_address_first_fails_and_names_the_line() {
        let result = check("10.0.0.5\tnode-1 localhost\n127.0.0.1\tlocalhost\n127.0.1.1\tnode-1\n");
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "localhost → 10.0.0.5 (line 1: '10.0.0.5\tnode-1 localhost')"
        );
    }

    #[test]
    fn an_alias_that_only_contains_localhost_does_not_count() {
        let result = check("127.0.0.1 localhost.localdomain\n::1 localhost\n");
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "no IPv4 entry for localhost in /etc/hosts");
    }

    #[test]
    fn a_missing_file_fails() {
        let result = Tree::new().status(&NetHostsLocalhost);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "/etc/hosts does not exist");
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        // A directory where the file should be: opening works, reading fails (EISDIR).
        let result = Tree::new().dir("etc/hosts").status(&NetHostsLocalhost);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .unwrap()
                .starts_with("/etc/hosts: "),
            "{result:?}"
        );
    }
}
