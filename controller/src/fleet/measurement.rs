//! What the network between hosts is made of, shared by the sessions that measure it
//! (`network.rs`) and the checks that judge the measurement (`network_checks.rs`): the networks
//! named on the command line, the ports each pair of roles needs, and what was measured.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use ironprep_schema::net::{NetClosed, NetProbes, NetReady, Port, Protocol};
use ironprep_schema::{Cni, Role};

/// An IP network, `10.0.0.0/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix_len: u8,
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len.min(32)))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_len.min(128)))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// Why a `--subnet`-style value is not a CIDR.
#[derive(Debug, thiserror::Error)]
pub enum CidrError {
    #[error("'{0}' is not a CIDR such as 10.0.0.0/24")]
    NoSlash(String),
    #[error("'{network}' in '{text}' is not an IP address")]
    Address { network: String, text: String },
    #[error("'{prefix}' in '{text}' is not a prefix length (0–{limit})")]
    Prefix {
        prefix: String,
        text: String,
        limit: u8,
    },
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let (network, prefix) = text
            .split_once('/')
            .ok_or_else(|| CidrError::NoSlash(text.to_owned()))?;
        let network_address: IpAddr = network.parse().map_err(|_| CidrError::Address {
            network: network.to_owned(),
            text: text.to_owned(),
        })?;
        let limit = if network_address.is_ipv4() { 32 } else { 128 };
        let prefix_len = prefix
            .parse::<u8>()
            .ok()
            .filter(|length| *length <= limit)
            .ok_or_else(|| CidrError::Prefix {
                prefix: prefix.to_owned(),
                text: text.to_owned(),
                limit,
            })?;
        Ok(Cidr {
            network: network_address,
            prefix_len,
        })
    }
}

/// The ports a host with `target` roles must accept from a host with `source` roles (seed
/// 004's port list, read as who talks to whom). Calico's pods reach other hosts' pods over
/// IP-in-IP (IP protocol 4), which the guide wants enabled (seed 004, «при использовании
/// Calico CNI убедитесь, что протокол IP-in-IP включен»), as Kube-OVN's over Geneve, UDP 6081.
/// etcd's members (control-plane and `etcd` hosts) reach each other on 2379 and 2380; an
/// etcd-only host runs no kubelet or CNI, so nodes' traffic neither reaches nor leaves it.
pub fn required_ports(target: &[Role], source: &[Role], cni: Cni) -> Vec<Port> {
    let tcp = |port| Port {
        protocol: Protocol::Tcp,
        port,
    };
    let mut ports = vec![tcp(22)];
    if Role::runs_etcd(target) && Role::runs_etcd(source) {
        ports.extend([tcp(2379), tcp(2380)]);
    }
    // Roles nobody stated (a plain `--hosts` run) are a node's, as the agent checks them.
    let etcd_only = |roles: &[Role]| !roles.is_empty() && !Role::is_node(roles);
    if etcd_only(target) || etcd_only(source) {
        ports.sort();
        return ports;
    }
    ports.push(tcp(10250));
    if target.contains(&Role::ControlPlane) {
        ports.push(tcp(6443));
        if cni == Cni::KubeOvn {
            ports.extend([tcp(6641), tcp(6642)]);
        }
    }
    match cni {
        Cni::KubeOvn => ports.push(Port {
            protocol: Protocol::Udp,
            port: 6081,
        }),
        Cni::Calico => ports.extend([tcp(179), Port::IPIP]),
    }
    ports.sort();
    ports
}

/// One host's session, as far as it got.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub ready: NetReady,
    pub probes: Option<NetProbes>,
    pub closed: Option<NetClosed>,
}

/// Everything the sessions measured, by host name.
#[derive(Clone, Debug, Default)]
pub struct Measurement {
    pub sessions: BTreeMap<String, Session>,
    /// Hosts without a session, and why.
    pub failed: BTreeMap<String, String>,
    /// Whether ports were probed (`--network`), not only VRRP heard.
    pub ports_probed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_and_contain() {
        let cidr: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(cidr.contains("10.1.200.3".parse().unwrap()));
        assert!(!cidr.contains("10.2.0.1".parse().unwrap()));
        assert!(!cidr.contains("fd00::1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        let v6: Cidr = "fd00::/64".parse().unwrap();
        assert!(v6.contains("fd00::5".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("10.0.0.0".parse::<Cidr>().is_err());
    }
}
