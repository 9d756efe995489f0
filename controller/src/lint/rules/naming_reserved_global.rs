//! `naming.reserved-global`: Seed 001, Workload Cluster Naming: "The workload cluster-name must
//! not be global. That name is reserved for the global cluster, and reusing it causes the
//! workload cluster's resources to collide with global cluster resources in cpaas-system."
//! Checked with --phase installed: workload clusters are created on the running global cluster
//! (seed 001, Prerequisites), whereas before the handoff the input installs the global cluster
//! itself, whose Cluster must be named `global` (seed 000, Naming Convention).

use super::describe;
use crate::lint::context::{Context, Phase};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{CLUSTER_NAMED_KINDS, GLOBAL, Manifests};

pub struct ReservedGlobal;

impl Rule for ReservedGlobal {
    describe!(
        "naming.reserved-global",
        "a workload cluster is not named `global`",
        why: "Seed 001, Workload Cluster Naming: \"The workload cluster-name must not be \
              global. That name is reserved for the global cluster, and reusing it causes the \
              workload cluster's resources to collide with global cluster resources in \
              cpaas-system.\" Checked with --phase installed: workload clusters are created on \
              the running global cluster (seed 001, Prerequisites), whereas before the handoff \
              the input installs the global cluster itself, whose Cluster must be named \
              `global` (seed 000, Naming Convention).",
        example: "kind: Cluster\nmetadata:\n  name: prod-a",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if context.phase != Phase::Installed {
            return;
        }
        for object in set
            .objects
            .iter()
            .filter(|o| CLUSTER_NAMED_KINDS.contains(&o.kind.as_str()))
        {
            if object.name == GLOBAL {
                sink.field(
                    object,
                    &["metadata", "name"],
                    format!(
                        "{} named `global` applied to the installed platform: it collides with \
                         the global cluster itself",
                        object.kind
                    ),
                    "choose another cluster name and prefix its objects with it",
                );
            }
        }
    }
}
