//! `pool.cluster-name`: The pool reconciler only hands inventories to machines of the cluster
//! named in spec.clusterName; a pool referenced by another cluster's machine template never
//! allocates and the machines stay Pending.

use super::describe;
use super::pool_common::{demand, key};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct ClusterName;

impl Rule for ClusterName {
    describe!(
        "pool.cluster-name",
        "a MachineInventoryPool's clusterName is the cluster whose machines draw from it",
        why: "The pool reconciler only hands inventories to machines of the cluster named in \
              spec.clusterName; a pool referenced by another cluster's machine template never \
              allocates and the machines stay Pending.",
        example: "kind: MachineInventoryPool\nspec:\n  clusterName: global",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let users = demand(set);
        for pool in set.of_kind(set::POOL) {
            let path = ["spec", "clusterName"];
            let Some(name) = pool.str(&path) else {
                sink.field(
                    pool,
                    &path,
                    "no clusterName",
                    "set `clusterName` to the cluster that uses this pool",
                );
                continue;
            };
            for (_, _, user, _) in users.get(&key(pool)).into_iter().flatten() {
                if let Some(cluster) = user.cluster.as_deref()
                    && cluster != name
                    && !name.contains(['<', '$'])
                {
                    sink.field(
                        pool,
                        &path,
                        format!("clusterName is {name}, but {} of cluster {cluster} draws from this pool", user.label()),
                        format!("set `clusterName: {cluster}`"),
                    );
                }
            }
        }
    }
}
