//! The network session between the controller and `ironprep-agent net-session`, as JSON lines:
//! the agent prints [`NetReady`] once its listeners are open, reads one [`NetPlan`] line on
//! stdin, prints [`NetProbes`], and after stdin closes prints [`NetClosed`] and exits, its
//! listeners closed. The controller holds every host's session open at once, so each host
//! listens while its peers connect.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    /// IP-in-IP (IP protocol 4), Calico's default encapsulation between hosts: no port.
    Ipip,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Ipip => "ipip",
        }
    }
}

/// A port on a host, such as `tcp/6443`; for [`Protocol::Ipip`] the port is 0 and the whole
/// protocol is meant (`ipip`).
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Port {
    pub protocol: Protocol,
    pub port: u16,
}

impl Port {
    /// IP-in-IP between two hosts, as the session lists and probes it.
    pub const IPIP: Port = Port {
        protocol: Protocol::Ipip,
        port: 0,
    };
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.protocol {
            Protocol::Ipip => f.write_str("ipip"),
            _ => write!(f, "{}/{}", self.protocol.as_str(), self.port),
        }
    }
}

/// The agent's first line: what it listens on now.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetReady {
    /// Free ports the agent opened for the session.
    pub listening: Vec<Port>,
    /// Ports something else holds: peers still connect, and whatever answers proves the path.
    pub in_use: Vec<Port>,
    /// Ports that could not be opened for another reason, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<PortProblem>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortProblem {
    #[serde(flatten)]
    pub port: Port,
    pub error: String,
}

/// The controller's line: which peers to connect to, on which ports.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetPlan {
    /// This host's name; UDP datagrams carry it so the receiver can say whom it heard.
    pub from: String,
    pub targets: Vec<NetTarget>,
    /// Most milliseconds one TCP connect may take before it counts as dropped.
    pub timeout_ms: u64,
    /// Connects in flight at once.
    pub parallel: usize,
    /// TCP connects per peer for the latency figure (the least of them counts).
    pub latency_samples: u32,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetTarget {
    /// The peer's inventory name.
    pub host: String,
    /// The address the cluster will use for it.
    pub address: String,
    pub ports: Vec<Port>,
    /// A TCP port known to answer there, for the latency samples; none: no samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_port: Option<u16>,
}

/// The agent's second line: what every connect did.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetProbes {
    pub probes: Vec<PortProbe>,
    #[serde(default)]
    pub latency: Vec<Latency>,
}

/// How one connect from this host to a peer's port went.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortProbe {
    pub host: String,
    #[serde(flatten)]
    pub port: Port,
    pub result: ProbeResult,
    /// TCP connect time when the connect succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_us: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeResult {
    /// The TCP handshake completed.
    Open,
    /// A reset came back (nothing listens there, or a firewall rejects).
    Refused,
    /// Nothing came back within the timeout: a firewall drops it, or the host is down.
    Timeout,
    /// No route, or the network said the host is unreachable.
    Unreachable,
    /// UDP datagrams left; whether they arrived, only the receiver knows.
    Sent,
    Error,
}

/// TCP connect times from this host to one peer.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    pub host: String,
    pub port: u16,
    /// Every successful sample, in microseconds; empty when none connected.
    pub samples_us: Vec<u64>,
}

impl Latency {
    /// The least sample: the path's round trip with the least scheduling noise on top.
    pub fn best_us(&self) -> Option<u64> {
        self.samples_us.iter().copied().min()
    }
}

/// The agent's last line, after its listeners closed.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetClosed {
    /// Per UDP port the agent listened on: the peers whose datagrams arrived.
    pub received: Vec<UdpReceived>,
    /// VRRP advertisements heard, when asked to listen for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrrp: Option<VrrpListen>,
    /// The peers whose IP-in-IP packets arrived, when the session listened for them (`ipip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipip_from: Option<Vec<String>>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UdpReceived {
    pub port: u16,
    pub from: Vec<String>,
}

/// What a control-plane host heard of VRRP (IP protocol 112) in its broadcast domain.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VrrpListen {
    pub seconds: u32,
    pub adverts: Vec<VrrpAdvert>,
    /// Why the agent could not listen (a raw socket needs root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One router, as its advertisements describe it.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VrrpAdvert {
    /// The sender's address.
    pub source: String,
    pub vrid: u8,
    /// VRRP version (2 or 3).
    pub version: u8,
    pub priority: u8,
    /// The virtual addresses it announces.
    pub addresses: Vec<String>,
    /// Advertisements heard from it.
    pub count: u32,
}

/// A connection between two hosts that the cluster needs and that failed.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FailingPair {
    /// The host that connected.
    pub from: String,
    /// The host whose port it was.
    pub to: String,
    #[serde(flatten)]
    pub port: Port,
    /// `timeout`, `refused`, `unreachable`, `error`, or `not-received` for UDP and IP-in-IP.
    pub result: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_ports_read_well() {
        let ready = NetReady {
            listening: vec![Port {
                protocol: Protocol::Tcp,
                port: 6443,
            }],
            in_use: vec![Port {
                protocol: Protocol::Tcp,
                port: 22,
            }],
            unavailable: Vec::new(),
        };
        let text = serde_json::to_string(&ready).unwrap();
        assert_eq!(
            text,
            r#"{"listening":[{"protocol":"tcp","port":6443}],"in_use":[{"protocol":"tcp","port":22}]}"#
        );
        assert_eq!(serde_json::from_str::<NetReady>(&text).unwrap(), ready);
        assert_eq!(ready.listening[0].to_string(), "tcp/6443");
        assert_eq!(Port::IPIP.to_string(), "ipip");
        assert_eq!(
            serde_json::to_string(&Port::IPIP).unwrap(),
            r#"{"protocol":"ipip","port":0}"#
        );
        let latency = Latency {
            host: "cp1".into(),
            port: 22,
            samples_us: vec![90, 40, 70],
        };
        assert_eq!(latency.best_us(), Some(40));
    }
}
