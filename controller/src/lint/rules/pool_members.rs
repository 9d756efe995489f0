//! `pool.members`: The pool validates that every member exists and the provider names the node
//! after `hostname` (falling back to the inventory name). A hostname that is not a valid DNS
//! label makes kubeadm refuse to join the node, late in the provisioning.

use std::collections::HashSet;

use super::describe;
use super::pool_common::members;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Node;

pub struct Members;

impl Rule for Members {
    describe!(
        "pool.members",
        "pool members are inventory names or {name, hostname} with a valid hostname, each listed once",
        why: "The pool validates that every member exists and the provider names the node after \
              `hostname` (falling back to the inventory name). A hostname that is not a valid \
              DNS label makes kubeadm refuse to join the node, late in the provisioning.",
        example: "spec:\n  machineInventories:\n  - name: global-4c4c4544-0042\n    hostname: cp-1\n  - global-4c4c4544-0043",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for pool in set.of_kind(set::POOL) {
            let Some(list) = pool.field(&["spec", "machineInventories"]) else {
                sink.field(
                    pool,
                    &["spec", "machineInventories"],
                    "no machineInventories",
                    "list the MachineInventory names of this pool",
                );
                continue;
            };
            for (index, item) in list.node.items().iter().enumerate() {
                if item.str().is_none() && item.get("name").and_then(Node::str).is_none() {
                    sink.at(
                        pool,
                        item.pos,
                        format!("spec.machineInventories[{index}]"),
                        "member without an inventory name",
                        "write `- <inventory-name>` or `- {name: <inventory-name>, hostname: <host>}`",
                    );
                }
            }
            // A set, not a scan of the earlier members: pools of thousands stay linear.
            let mut listed = HashSet::new();
            for (index, member) in members(pool).iter().enumerate() {
                if !listed.insert(member.name) {
                    sink.at(
                        pool,
                        member.pos,
                        format!("spec.machineInventories[{index}]"),
                        format!("{} is listed twice", member.name),
                        "list each inventory once",
                    );
                }
                if let Some((hostname, pos)) = member.hostname
                    && !hostname.contains(['<', '$'])
                    && !valid_hostname(hostname)
                {
                    sink.at(
                        pool,
                        pos,
                        format!("spec.machineInventories[{index}].hostname"),
                        format!("`{hostname}` is not a valid hostname"),
                        "use lowercase letters, digits, `-` and `.`; labels of 1–63 characters",
                    );
                }
            }
        }
    }
}

/// RFC 1123 as Kubernetes applies it to node names.
fn valid_hostname(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert!(valid_hostname("cp-1.example.com"));
        assert!(!valid_hostname("CP_1"));
        assert!(!valid_hostname("-a"));
    }
}
