//! `pool.fleet-members`: Pool members are typed from `kubectl get machineinventories` (seed
//! 001, step 2). With a fleet report (`--report`), ironprep knows the name each checked host
//! will register as: a member no host produces never becomes available and leaves the pool
//! short, and a hostname that belongs to another host names the node after the wrong machine.

use super::describe;
use super::inventory_common::predicted;
use super::pool_common::members;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct FleetMembers;

impl Rule for FleetMembers {
    describe!(
        "pool.fleet-members",
        "with --report, every pool member is the inventory name of a checked host, with that host's hostname",
        why: "Pool members are typed from `kubectl get machineinventories` (seed 001, step 2). \
              With a fleet report (`--report`), ironprep knows the name each checked host will \
              register as: a member no host produces never becomes available and leaves the \
              pool short, and a hostname that belongs to another host names the node after the \
              wrong machine.",
        example: "# ironprep registration pools --registration reg.yaml --report fleet.json --cluster global\nspec:\n  machineInventories:\n  - name: global-4c4c4544-0042-3510-8052-b4c04f333731\n    hostname: cp-1",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if context.fleet.is_none() {
            return;
        }
        for pool in set.of_kind(set::POOL) {
            let cluster = pool
                .str(&["spec", "clusterName"])
                .or(pool.cluster.as_deref());
            let Some(predicted) = predicted(set, context, cluster) else {
                sink.missing_context(
                    pool,
                    "spec.machineInventories",
                    "the MachineRegistration whose machineName names the hosts (include it)",
                );
                continue;
            };
            for (index, member) in members(pool).iter().enumerate() {
                if member.name.contains(['<', '$']) {
                    continue;
                }
                let field = format!("spec.machineInventories[{index}]");
                match predicted.by_name.get(member.name) {
                    None => sink.with(
                        if predicted.complete {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        pool,
                        member.pos,
                        field,
                        format!(
                            "no host of the fleet report registers as {} (names from {}){}",
                            member.name,
                            predicted.registration,
                            if predicted.complete {
                                ""
                            } else {
                                "; some hosts' names are unknown"
                            }
                        ),
                        "take the names from `ironprep registration names`, or remove the member",
                    ),
                    Some(expected) => {
                        if let Some((hostname, pos)) = member.hostname
                            && hostname != expected.hostname
                        {
                            sink.at(
                                pool,
                                pos,
                                format!("{field}.hostname"),
                                format!(
                                    "{} is host {}, whose hostname is {}, not {hostname}",
                                    member.name, expected.entry.host, expected.hostname
                                ),
                                format!("write `hostname: {}`", expected.hostname),
                            );
                        }
                    }
                }
            }
        }
    }
}
