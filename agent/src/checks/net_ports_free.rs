//! `net.ports-free`: etcd, kube-apiserver, kubelet, kube-proxy, the installer and the CNI
//! bind fixed ports. A port already held makes that component crash-loop, usually deep into
//! the installation and with an error that does not name the other program.

use std::collections::{BTreeMap, BTreeSet};

use ironprep_schema::{Cni, Role};

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system;

/// kubelet, kube-proxy and the other node components' metrics and health ports.
const NODE_PORTS: std::ops::RangeInclusive<u16> = 10249..=10256;
/// The API server; a control-plane node runs etcd too.
const CONTROL_PLANE_PORTS: [u16; 1] = [6443];
/// etcd's client and peer ports: every control-plane node (stacked etcd) and every `etcd` host.
const ETCD_PORTS: [u16; 2] = [2379, 2380];
const INSTALLER_PORTS: [u16; 7] = [8080, 12080, 12443, 16443, 2379, 2380, 6443];
/// OVN northbound and southbound databases.
const KUBE_OVN_PORTS: [u16; 2] = [6641, 6642];
/// BGP.
const CALICO_PORTS: [u16; 1] = [179];

pub struct NetPortsFree;

impl Check for NetPortsFree {
    fn id(&self) -> &'static str {
        "net.ports-free"
    }

    fn title(&self) -> &'static str {
        "the ports the platform needs are free"
    }

    fn hint(&self) -> &'static str {
        "stop and disable the program holding each port — `ss -ltnp 'sport = :PORT'` names it, \
         `systemctl disable --now UNIT` stops it — or move it to another port"
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let ports = required_ports(context);
        if !host.exists("/proc/net/tcp")? {
            return Err(HostError::new("/proc/net/tcp", "no such file"));
        }
        let listeners = system::tcp_listeners(host)?;
        let mut held: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
        for listener in &listeners {
            let port = listener.address.port();
            if ports.contains(&port) {
                held.entry(port).or_default().push(listener.inode);
            }
        }
        let expected = format!(
            "no TCP listener on {} ({})",
            port_ranges(&ports),
            needed_by(context)
        );
        if held.is_empty() {
            return Ok(Observation::new(
                format!("none of the {} ports is in use", ports.len()),
                expected,
            )
            .into());
        }
        let owners = system::socket_owners(host)?;
        let not_root = host
            .live_system()
            .is_some_and(|live| live.effective_uid() != 0);
        let unknown = if not_root || owners.is_empty() {
            "owner unknown (run as root)"
        } else {
            "owner unknown"
        };
        let described: Vec<String> = held
            .iter()
            .map(|(port, inodes)| {
                let known: BTreeSet<String> = inodes
                    .iter()
                    .filter_map(|inode| owners.get(inode))
                    .map(|(pid, name)| format!("{name} (pid {pid})"))
                    .collect();
                let some_unknown = inodes.iter().any(|inode| !owners.contains_key(inode));
                match (known.is_empty(), some_unknown) {
                    (true, _) => format!("{port} in use, {unknown}"),
                    (false, false) => {
                        format!("{port} held by {}", Vec::from_iter(known).join(", "))
                    }
                    (false, true) => format!(
                        "{port} held by {} and another process ({unknown})",
                        Vec::from_iter(known).join(", ")
                    ),
                }
            })
            .collect();
        Ok(Observation::new(described.join("; "), expected)
            .fail_if(true)
            .into())
    }
}

/// The ports for the host's roles and the cluster's CNI.
fn required_ports(context: &Context) -> BTreeSet<u16> {
    let mut ports = BTreeSet::new();
    if Role::runs_etcd(&context.roles) {
        ports.extend(ETCD_PORTS);
    }
    if context.has_role(Role::ControlPlane) {
        ports.extend(CONTROL_PLANE_PORTS);
    }
    if context.has_role(Role::Installer) {
        ports.extend(INSTALLER_PORTS);
    }
    // An etcd-only host runs no kubelet, kube-proxy or CNI: etcd's ports are all it needs.
    if Role::is_node(&context.roles) {
        ports.extend(NODE_PORTS);
        match context.cni {
            Cni::KubeOvn => ports.extend(KUBE_OVN_PORTS),
            Cni::Calico => ports.extend(CALICO_PORTS),
        }
    }
    ports
}

/// `control-plane, installer, kube-ovn`: what the port list was derived from.
fn needed_by(context: &Context) -> String {
    let cni = Role::is_node(&context.roles).then_some(context.cni.as_str());
    context
        .roles
        .iter()
        .map(|role| role.as_str())
        .chain(cni)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `2379, 2380, 6443, 10249-10256`: runs of three or more ports collapsed.
fn port_ranges(ports: &BTreeSet<u16>) -> String {
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for &port in ports {
        match runs.last_mut() {
            Some((_, end)) if u32::from(*end) + 1 == u32::from(port) => *end = port,
            _ => runs.push((port, port)),
        }
    }
    let mut parts = Vec::new();
    for (start, end) in runs {
        match end - start {
            0 => parts.push(start.to_string()),
            1 => parts.extend([start.to_string(), end.to_string()]),
            _ => parts.push(format!("{start}-{end}")),
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Profile, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    /// A control plane left over from an earlier kubeadm install: kube-apiserver on [::]:6443
    /// (tcp6), etcd on 127.0.0.1:2379 and the node IP, kubelet on 127.0.0.1:10248 (not a
    /// required port), sshd on 0.0.0.0:22, and one established connection to 6443.
    fn leftover_control_plane() -> Tree {
        let tcp = format!(
            "{HEADER}\
   0: 0100007F:094B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21873 1 0000000000000000 100 0 0 10 0\n\
   1: 0B14000A:094B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21874 1 0000000000000000 100 0 0 10 0\n\
   2: 0100007F:2808 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22010 1 0000000000000000 100 0 0 10 0\n\
   3: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18211 1 0000000000000000 100 0 0 10 0\n\
   4: 0B14000A:C1D2 0B14000A:192B 01 00000000:00000000 02:000AFC5A 00000000     0        0 23456 2 0000000000000000 20 4 30 10 -1\n"
        );
        let tcp6 = format!(
            "{HEADER}\
   0: 00000000000000000000000000000000:192B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22501 1 0000000000000000 100 0 0 10 0\n"
        );
        Tree::new()
            .file("proc/net/tcp", &tcp)
            .file("proc/net/tcp6", &tcp6)
            .file("proc/655/comm", "etcd\n")
            .symlink("proc/655/fd/7", "socket:[21873]")
            .symlink("proc/655/fd/8", "socket:[21874]")
            .symlink("proc/655/fd/3", "/var/lib/etcd/member/wal/0.wal")
            .file("proc/731/comm", "kube-apiserver\n")
            .symlink("proc/731/fd/5", "socket:[22501]")
            .file("proc/1042/comm", "sshd\n")
            .symlink("proc/1042/fd/3", "socket:[18211]")
    }

    #[test]
    fn held_ports_name_their_processes() {
        let result = leftover_control_plane().status(&NetPortsFree);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "2379 held by etcd (pid 655); 6443 held by kube-apiserver (pid 731)"
        );
        assert_eq!(
            result.expected,
            "no TCP listener on 2379, 2380, 6443, 6641, 6642, 10249-10256 \
             (control-plane, kube-ovn)"
        );
    }

    #[test]
    fn a_worker_does_not_care_about_etcd_ports() {
        let worker = context(Profile::Traditional, &[Role::Worker], Cni::Calico);
        let result = leftover_control_plane().run(&NetPortsFree, &worker);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "none of the 9 ports is in use");
        assert_eq!(
            result.expected,
            "no TCP listener on 179, 10249-10256 (worker, calico)"
        );
    }

    #[test]
    fn an_etcd_host_needs_etcd_s_ports_and_no_others() {
        // Kubespray's [etcd] host beside the control plane: no API server, kubelet or CNI.
        let etcd = context(Profile::Traditional, &[Role::Etcd], Cni::KubeOvn);
        let result = leftover_control_plane().run(&NetPortsFree, &etcd);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "2379 held by etcd (pid 655)");
        assert_eq!(result.expected, "no TCP listener on 2379, 2380 (etcd)");
        // In both groups: the control plane's ports, etcd's once.
        let both = context(
            Profile::Traditional,
            &[Role::ControlPlane, Role::Etcd],
            Cni::Calico,
        );
        assert_eq!(
            port_ranges(&required_ports(&both)),
            "179, 2379, 2380, 6443, 10249-10256"
        );
    }

    #[test]
    fn owners_that_cannot_be_seen_are_unknown() {
        // Listeners visible, but no /proc/PID/fd readable: what a non-root user sees.
        let tcp = format!(
            "{HEADER}   0: 00000000:00B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30001 1 0000000000000000 100 0 0 10 0\n"
        );
        let calico = context(Profile::Traditional, &[Role::Worker], Cni::Calico);
        let result = Tree::new()
            .file("proc/net/tcp", &tcp)
            .run(&NetPortsFree, &calico);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "179 in use, owner unknown (run as root)");
    }

    #[test]
    fn installer_ports_are_added() {
        let installer = context(
            Profile::Traditional,
            &[Role::Installer, Role::ControlPlane],
            Cni::KubeOvn,
        );
        assert_eq!(
            port_ranges(&required_ports(&installer)),
            "2379, 2380, 6443, 6641, 6642, 8080, 10249-10256, 12080, 12443, 16443"
        );
    }

    #[test]
    fn missing_or_malformed_socket_tables_are_errors() {
        let missing = Tree::new().status(&NetPortsFree);
        assert_status(&missing, Status::Error);
        assert_eq!(
            missing.reason.as_deref(),
            Some("/proc/net/tcp: no such file")
        );
        let malformed = Tree::new()
            .file("proc/net/tcp", &format!("{HEADER}   0: garbage\n"))
            .status(&NetPortsFree);
        assert_status(&malformed, Status::Error);
        assert!(
            malformed
                .reason
                .as_deref()
                .unwrap()
                .starts_with("/proc/net/tcp: malformed"),
            "{malformed:?}"
        );
    }
}
