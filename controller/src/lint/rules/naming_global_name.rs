//! `naming.global-name`: cpaas-installer looks the CAPI Cluster and the infrastructure cluster
//! up by the literal name `global` (seed 000, Naming Convention); any other name silently
//! breaks registry pull, DR etcd-sync and the web console.

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, CLUSTER_NAMED_KINDS, GLOBAL, Manifests};

pub struct GlobalName;

impl Rule for GlobalName {
    describe!(
        "naming.global-name",
        "the global cluster's Cluster and BaremetalCluster are named exactly `global`",
        why: "cpaas-installer looks the CAPI Cluster and the infrastructure cluster up by the \
              literal name `global` (seed 000, Naming Convention); any other name silently \
              breaks registry pull, DR etcd-sync and the web console.",
        example: "kind: BaremetalCluster\nmetadata:\n  name: global\n  namespace: cpaas-system",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let has_global = set
            .of_kind(set::CLUSTER)
            .any(|object| object.name == GLOBAL);
        for object in set
            .objects
            .iter()
            .filter(|o| CLUSTER_NAMED_KINDS.contains(&o.kind.as_str()))
        {
            let global = set.is_global(object) || (set.global && !has_global);
            if global && object.name != GLOBAL {
                sink.field(
                    object,
                    &["metadata", "name"],
                    format!(
                        "the global cluster's {} is named `{}`; the installer looks for `global`",
                        object.kind, object.name
                    ),
                    "name it `global` (and update every reference to it)",
                );
            }
        }
    }
}
