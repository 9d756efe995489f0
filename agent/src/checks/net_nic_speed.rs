//! `net.nic-speed`: etcd replication, image pulls and pod traffic share the node's NICs. Below
//! 1 Gbit/s etcd falls behind and pulling the platform images takes hours; 10 Gbit/s is what
//! the guide recommends.

use crate::check::{Check, Context, Observation, Outcome, Scope, Severity};
use crate::host::{Host, HostError};
use crate::network::{self, Interface};

const MINIMUM_MBPS: u32 = 1000;
const RECOMMENDED_MBPS: u32 = 10_000;

pub struct NetNicSpeed;

impl Check for NetNicSpeed {
    fn id(&self) -> &'static str {
        "net.nic-speed"
    }

    fn title(&self) -> &'static str {
        "NICs with link run at ≥ 1 Gbit/s (10 Gbit/s recommended)"
    }

    fn hint(&self) -> &'static str {
        "check the cable, the switch port and autonegotiation — `ethtool NIC` shows the negotiated \
         speed, `ethtool -s NIC autoneg on` renegotiates — or move the cluster network to a faster \
         NIC"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn severity(&self) -> Severity {
        Severity::Advisory
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let physical: Vec<Interface> = network::interfaces(host)?
            .into_iter()
            .filter(|nic| nic.physical)
            .collect();
        if physical.is_empty() {
            return Ok(Outcome::skip("no physical NIC (virtual machine?)"));
        }
        let expected = "≥ 1 Gbit/s on every physical NIC with link (10 Gbit/s recommended)";
        let (up, down): (Vec<&Interface>, Vec<&Interface>) =
            physical.iter().partition(|nic| nic.has_link());
        if up.is_empty() {
            let names: Vec<String> = down
                .iter()
                .map(|nic| format!("{} {}", nic.name, nic.link_text()))
                .collect();
            return Ok(Observation::new(
                format!("no physical NIC has link ({})", names.join(", ")),
                expected,
            )
            .fail_if(true)
            .into());
        }
        let known: Vec<(&Interface, u32)> = up
            .iter()
            .filter_map(|nic| nic.speed_mbps.map(|speed| (*nic, speed)))
            .collect();
        let unknown: Vec<String> = up
            .iter()
            .filter(|nic| nic.speed_mbps.is_none())
            .map(|nic| match &nic.driver {
                Some(driver) => format!("{} ({driver})", nic.name),
                None => nic.name.clone(),
            })
            .collect();
        if known.is_empty() {
            return Ok(Outcome::skip(format!(
                "speed unknown for {}: paravirtual NICs report none (virtual machine?)",
                unknown.join(", ")
            )));
        }
        let slow = known.iter().any(|(_, speed)| *speed < MINIMUM_MBPS);
        let below_recommended = known.iter().any(|(_, speed)| *speed < RECOMMENDED_MBPS);
        let mut observed = known
            .iter()
            .map(|(nic, speed)| format!("{} {}", nic.name, network::speed_text(*speed)))
            .collect::<Vec<_>>()
            .join(", ");
        if !unknown.is_empty() {
            observed.push_str(&format!("; speed unknown: {}", unknown.join(", ")));
        }
        if slow {
            observed.push_str("; below 1 Gbit/s");
        } else if below_recommended {
            observed.push_str("; 10 Gbit/s is recommended");
        }
        Ok(Observation::new(observed, expected).fail_if(slow).into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::network::fixtures::{pci_nic, virtual_nic};
    use crate::testing::{Tree, assert_status};

    /// A server with two 25G ports (one cabled) and a 1G onboard port, plus loopback and a
    /// bridge, as lspci/sysfs show them.
    fn server(onboard_speed: &str) -> Tree {
        let tree = pci_nic(
            Tree::new(),
            "ens2f0np0",
            "0000:5e:00.0",
            "mlx5_core",
            "up",
            Some("1"),
            Some("25000"),
        );
        let tree = pci_nic(
            tree,
            "ens2f1np1",
            "0000:5e:00.1",
            "mlx5_core",
            "down",
            Some("0"),
            Some("-1"),
        );
        let tree = pci_nic(
            tree,
            "eno1",
            "0000:01:00.0",
            "tg3",
            "up",
            Some("1"),
            Some(onboard_speed),
        );
        let tree = virtual_nic(tree, "lo", "unknown", "1", "65536");
        virtual_nic(tree, "br0", "up", "1", "1500")
    }

    #[test]
    fn one_gigabit_passes_and_recommends_ten() {
        let result = server("1000").status(&NetNicSpeed);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "eno1 1 Gbit/s, ens2f0np0 25 Gbit/s; 10 Gbit/s is recommended"
        );
    }

    #[test]
    fn a_hundred_megabit_port_warns() {
        let result = server("100").status(&NetNicSpeed);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "eno1 100 Mbit/s, ens2f0np0 25 Gbit/s; below 1 Gbit/s"
        );
    }

    #[test]
    fn ten_gigabit_passes_plainly() {
        let tree = pci_nic(
            Tree::new(),
            "ens1f0",
            "0000:3b:00.0",
            "ixgbe",
            "up",
            Some("1"),
            Some("10000"),
        );
        let result = tree.status(&NetNicSpeed);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "ens1f0 10 Gbit/s");
    }

    #[test]
    fn no_link_on_any_physical_nic_warns() {
        let tree = pci_nic(
            Tree::new(),
            "ens1f0",
            "0000:3b:00.0",
            "ixgbe",
            "down",
            None,
            None,
        );
        let result = tree.status(&NetNicSpeed);
        assert_status(&result, Status::Warn);
        assert_eq!(result.observed, "no physical NIC has link (ens1f0 down)");
    }

    #[test]
    fn virtio_without_speed_is_skipped() {
        let tree = pci_nic(
            Tree::new(),
            "eth0",
            "virtio2",
            "virtio_net",
            "up",
            Some("1"),
            Some("-1"),
        );
        let result = tree.status(&NetNicSpeed);
        assert_status(&result, Status::Skip);
        assert!(
            result
                .reason
                .as_deref()
                .unwrap()
                .contains("eth0 (virtio_net)"),
            "{result:?}"
        );
    }

    #[test]
    fn only_virtual_interfaces_are_skipped() {
        let tree = virtual_nic(Tree::new(), "lo", "unknown", "1", "65536");
        let result = virtual_nic(tree, "eth0", "up", "1", "1500").status(&NetNicSpeed);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some("no physical NIC (virtual machine?)")
        );
    }

    #[test]
    fn no_sysfs_is_an_error() {
        let result = Tree::new().status(&NetNicSpeed);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/class/net: no such directory")
        );
    }
}
