//! `pool.capacity`: The provider uses delete-then-add from the same pool and never
//! over-provisions; a pool smaller than the replica count leaves machines Pending forever and
//! blocks rolling upgrades (seed 001, Step 2).

use super::describe;
use super::pool_common::{demand, key, members};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Capacity;

impl Rule for Capacity {
    describe!(
        "pool.capacity",
        "the control-plane pool holds at least the KCP replicas, a worker pool at least its MachineDeployments' replicas",
        why: "The provider uses delete-then-add from the same pool and never over-provisions; \
              a pool smaller than the replica count leaves machines Pending forever and blocks \
              rolling upgrades (seed 001, Step 2).",
        example: "# KubeadmControlPlane spec.replicas: 3\nspec:\n  machineInventories: [global-cp-1, global-cp-2, global-cp-3]",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let users = demand(set);
        for pool in set.of_kind(set::POOL) {
            let drawing: Vec<_> = users.get(&key(pool)).into_iter().flatten().collect();
            if drawing.is_empty() {
                continue;
            }
            // Saturating: replicas come from the input, and two huge ones must not overflow.
            let needed = drawing.iter().fold(0_i64, |sum, (_, replicas, ..)| {
                sum.saturating_add(*replicas)
            });
            let size = i64::try_from(members(pool).len()).unwrap_or(i64::MAX);
            if size < needed {
                let who: Vec<String> = drawing
                    .iter()
                    .map(|(_, replicas, user, _)| format!("{} ({replicas})", user.label()))
                    .collect();
                sink.field(
                    pool,
                    &["spec", "machineInventories"],
                    format!(
                        "{size} inventories for {needed} replicas of {}",
                        who.join(", ")
                    ),
                    format!(
                        "add {} more registered inventories to the pool, or lower the replicas",
                        needed.saturating_sub(size)
                    ),
                );
            }
        }
    }
}
