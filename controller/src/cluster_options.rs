//! What `ironprep check` passes on to every agent about the cluster as a whole rather than the
//! host: its IP family and its installation scenario. Kept out of `local.rs` so the check
//! command's options stay one flattened group per concern.

use clap::{Args, ValueEnum};

#[derive(Debug, Default, Args)]
#[command(next_help_heading = "The cluster")]
pub struct ClusterOptions {
    /// The cluster's IP family: dual and ipv6 need a global IPv6 address, an IPv6 default
    /// route and (on old kernels) nf_conntrack_ipv6 on every host [default: not given; IPv4
    /// is required, IPv6 needs are unknown].
    #[arg(long, value_enum)]
    pub ip_family: Option<IpFamily>,

    /// The installation scenario: cluster (nodes sized by role: control plane 8 cores 16 GB,
    /// worker 12 cores 24 GB) or single-node (the PoC: one node with 16 cores and 32 GB).
    #[arg(long, value_enum)]
    pub topology: Option<Topology>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IpFamily {
    Ipv4,
    Dual,
    Ipv6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Topology {
    Cluster,
    SingleNode,
}

impl ClusterOptions {
    /// The agent flags for these options (the agent's own spelling of the same values).
    pub fn agent_arguments(&self) -> Vec<String> {
        let mut arguments = Vec::new();
        if let Some(family) = self.ip_family {
            arguments.extend([
                "--ip-family".to_owned(),
                family
                    .to_possible_value()
                    .map(|value| value.get_name().to_owned())
                    .unwrap_or_default(),
            ]);
        }
        if let Some(topology) = self.topology {
            arguments.extend([
                "--topology".to_owned(),
                topology
                    .to_possible_value()
                    .map(|value| value.get_name().to_owned())
                    .unwrap_or_default(),
            ]);
        }
        arguments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_gets_the_same_spelling() {
        let options = ClusterOptions {
            ip_family: Some(IpFamily::Dual),
            topology: Some(Topology::SingleNode),
        };
        assert_eq!(
            options.agent_arguments(),
            ["--ip-family", "dual", "--topology", "single-node"]
        );
        assert!(ClusterOptions::default().agent_arguments().is_empty());
    }
}
