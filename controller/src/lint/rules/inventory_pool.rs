//! `inventory.pool`: The pool reconciler writes `baremetal.alauda.io/pool=<pool>` on every
//! member inventory (seed 001, step 2). A registered inventory in no pool is a host the
//! cluster will never use; one whose annotation names another pool than the one listing it,
//! or that carries another cluster's name prefix, is allocated to the wrong machines.

use std::collections::HashMap;

use super::describe;
use super::inventory_common::{INVENTORY, POOL_ANNOTATION, live};
use super::pool_common::members;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct InPool;

impl Rule for InPool {
    describe!(
        "inventory.pool",
        "every registered MachineInventory is a member of one pool of its own cluster",
        why: "The pool reconciler writes `baremetal.alauda.io/pool=<pool>` on every member \
              inventory (seed 001, step 2). A registered inventory in no pool is a host the \
              cluster will never use; one whose annotation names another pool than the one \
              listing it, or that carries another cluster's name prefix, is allocated to the \
              wrong machines.",
        example: "# MachineInventory global-4c4c4544-…-31 is listed by global-control-plane-pool\nmetadata:\n  annotations:\n    baremetal.alauda.io/pool: global-control-plane-pool",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        if set.count(set::POOL) == 0 {
            return;
        }
        let mut listed: HashMap<&str, &Object> = HashMap::new();
        for pool in set.of_kind(set::POOL) {
            for member in members(pool) {
                listed.entry(member.name).or_insert(pool);
            }
        }
        let clusters: Vec<&str> = set
            .of_kind(set::POOL)
            .filter_map(|pool| pool.str(&["spec", "clusterName"]))
            .collect();
        for inventory in set.of_kind(INVENTORY).filter(|object| live(object)) {
            let annotation = inventory.annotation(POOL_ANNOTATION);
            let Some(pool) = listed.get(inventory.name.as_str()) else {
                sink.with(
                    Severity::Warning,
                    inventory,
                    inventory
                        .field(&["metadata", "name"])
                        .map_or(inventory.pos, |f| f.pos),
                    "metadata.name",
                    format!(
                        "{} is registered but in no MachineInventoryPool",
                        inventory.name
                    ),
                    "add it to the pool of its role (ironprep registration pools), or delete \
                     the inventory of a host you do not use",
                );
                continue;
            };
            if let Some(annotation) = annotation
                && let Some(named) = annotation.node.str()
                && named != pool.name
            {
                sink.at(
                    inventory,
                    annotation.pos,
                    format!("metadata.annotations[{POOL_ANNOTATION}]"),
                    format!("annotated for pool {named}, but listed by {}", pool.label()),
                    format!(
                        "keep {} in one pool: remove it from the other",
                        inventory.name
                    ),
                );
            }
            let pool_cluster = pool.str(&["spec", "clusterName"]).unwrap_or_default();
            let own = clusters
                .iter()
                .filter(|cluster| inventory.name.starts_with(&format!("{cluster}-")))
                .max_by_key(|cluster| cluster.len());
            if let Some(own) = own
                && !pool_cluster.is_empty()
                && *own != pool_cluster
            {
                sink.field(
                    inventory,
                    &["metadata", "name"],
                    format!(
                        "an inventory of cluster {own} (by its name) is listed by {}, a pool of \
                         cluster {pool_cluster}",
                        pool.label()
                    ),
                    format!("move it to a pool of cluster {own}"),
                );
            }
        }
    }
}
