//! `pool.inventory-unique`: The pool reconciler writes `baremetal.alauda.io/pool=<pool>` on
//! each member inventory; an inventory in two pools flips between them and can be allocated to
//! two machines (or two clusters) at once.

use std::collections::HashMap;

use super::describe;
use super::pool_common::members;
use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct InventoryUnique;

impl Rule for InventoryUnique {
    describe!(
        "pool.inventory-unique",
        "no MachineInventory is a member of two pools",
        why: "The pool reconciler writes `baremetal.alauda.io/pool=<pool>` on each member \
              inventory; an inventory in two pools flips between them and can be allocated to \
              two machines (or two clusters) at once.",
        example: "# global-control-plane-pool: [global-cp-1, global-cp-2, global-cp-3]\n# global-worker-pool: [global-worker-1, global-worker-2]",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let mut seen: HashMap<&str, &Object> = HashMap::new();
        for pool in set.of_kind(set::POOL) {
            for (index, member) in members(pool).iter().enumerate() {
                if member.name.contains(['<', '$']) {
                    continue;
                }
                match seen.get(member.name) {
                    Some(other) if !std::ptr::eq(*other, pool) => sink.at(
                        pool,
                        member.pos,
                        format!("spec.machineInventories[{index}]"),
                        format!("{} is also a member of {}", member.name, other.label()),
                        "keep each inventory in one pool",
                    ),
                    _ => {
                        seen.insert(member.name, pool);
                    }
                }
            }
        }
    }
}
