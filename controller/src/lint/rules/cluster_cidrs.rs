//! `cluster.cidrs`: Overlapping Pod and Service ranges (or a join CIDR inside either) break
//! routing inside the cluster in ways that only show once workloads run; kube-ovn and
//! kube-proxy both assume disjoint ranges. A VIP inside a cluster range is routed into the
//! overlay instead of to the control plane.

use std::net::IpAddr;

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Cidrs;

impl Rule for Cidrs {
    describe!(
        "cluster.cidrs",
        "Pod, Service and kube-ovn join CIDRs are valid and do not overlap, and the VIP is outside them",
        why: "Overlapping Pod and Service ranges (or a join CIDR inside either) break routing \
              inside the cluster in ways that only show once workloads run; kube-ovn and \
              kube-proxy both assume disjoint ranges. A VIP inside a cluster range is routed \
              into the overlay instead of to the control plane.",
        example: "spec:\n  clusterNetwork:\n    pods:\n      cidrBlocks: [100.3.0.0/16]\n    services:\n      cidrBlocks: [100.4.0.0/16]",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::CLUSTER) {
            let mut ranges: Vec<(String, Cidr, crate::lint::tree::Pos)> = Vec::new();
            for family in ["pods", "services"] {
                let path = ["spec", "clusterNetwork", family, "cidrBlocks"];
                let Some(blocks) = object.field(&path) else {
                    continue;
                };
                for (index, block) in blocks.node.items().iter().enumerate() {
                    let Some(text) = block.str() else { continue };
                    let field = format!("spec.clusterNetwork.{family}.cidrBlocks[{index}]");
                    match Cidr::parse(text) {
                        Some(cidr) => ranges.push((field, cidr, block.pos)),
                        None if text.contains(['<', '$']) => {}
                        None => sink.at(
                            object,
                            block.pos,
                            field,
                            format!("`{text}` is not a CIDR"),
                            "write the network address and prefix length, such as 100.3.0.0/16",
                        ),
                    }
                }
            }
            if let Some(join) = object.annotation("cpaas.io/kube-ovn-join-cidr")
                && let Some(text) = join.node.str()
            {
                let field = "metadata.annotations[cpaas.io/kube-ovn-join-cidr]".to_owned();
                match Cidr::parse(text) {
                    Some(cidr) => ranges.push((field, cidr, join.pos)),
                    None if text.contains(['<', '$']) => {}
                    None => sink.at(
                        object,
                        join.pos,
                        field,
                        format!("`{text}` is not a CIDR"),
                        "write a CIDR such as 100.64.0.0/16",
                    ),
                }
            }
            for (later, (field, cidr, pos)) in ranges.iter().enumerate() {
                for (other_field, other, _) in &ranges[..later] {
                    if cidr.overlaps(other) {
                        sink.at(
                            object,
                            *pos,
                            field.clone(),
                            format!("{} overlaps {} ({other_field})", cidr.text, other.text),
                            "choose disjoint ranges for Pods, Services and the kube-ovn join network",
                        );
                    }
                }
            }
            if let Some(vip) = &context.vip
                && let Ok(address) = vip.value.parse::<IpAddr>()
                && (set.is_global(object) || set.count(set::CLUSTER) == 1)
            {
                for (field, cidr, pos) in &ranges {
                    if cidr.contains(address) {
                        sink.at(
                            object,
                            *pos,
                            field.clone(),
                            format!(
                                "the control-plane VIP {} (from {}) is inside {}",
                                vip.value, vip.from, cidr.text
                            ),
                            "move the cluster range away from the host network and its VIP",
                        );
                    }
                }
            }
        }
    }
}

/// An address range; IPv4 is kept in the IPv4-mapped part of the IPv6 space so both families
/// compare as numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cidr {
    pub text: String,
    first: u128,
    last: u128,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let prefix: u32 = prefix.parse().ok()?;
        let (value, bits) = match address {
            IpAddr::V4(v4) => (u128::from(v4.to_ipv6_mapped()), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        if prefix > bits {
            return None;
        }
        let host_bits = bits - prefix;
        let mask = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        Some(Cidr {
            text: text.trim().to_owned(),
            first: value & !mask,
            last: value | mask,
        })
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let value = match address {
            IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
            IpAddr::V6(v6) => u128::from(v6),
        };
        self.first <= value && value <= self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_compare() {
        let a = Cidr::parse("100.3.0.0/16").unwrap();
        let b = Cidr::parse("100.3.128.0/17").unwrap();
        let c = Cidr::parse("100.4.0.0/16").unwrap();
        assert!(a.overlaps(&b) && !a.overlaps(&c));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(
            Cidr::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        assert!(!a.contains("100.4.0.1".parse().unwrap()));
    }
}
