//! `naming.cluster-prefix`: All bare-metal objects share cpaas-system, so the seed's convention
//! (seed 001, Workload Cluster Naming) keeps the Cluster and BaremetalCluster named exactly
//! `<cluster-name>` and prefixes every dependent object with `<cluster-name>-`, so two clusters
//! never collide and DR can tell them from the global cluster's own.

use super::describe;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{CLUSTER_NAMED_KINDS, GLOBAL, Manifests, PLATFORM_KINDS};

pub struct ClusterPrefix;

impl Rule for ClusterPrefix {
    describe!(
        "naming.cluster-prefix",
        "a workload cluster's objects are named `<cluster>` (Cluster, BaremetalCluster) or `<cluster>-…`",
        why: "All bare-metal objects share cpaas-system, so the seed's convention (seed 001, \
              Workload Cluster Naming) keeps the Cluster and BaremetalCluster named exactly \
              `<cluster-name>` and prefixes every dependent object with `<cluster-name>-`, so \
              two clusters never collide and DR can tell them from the global cluster's own.",
        example: "kind: KubeadmControlPlane\nmetadata:\n  name: prod-a-control-plane   # cluster prod-a",
    );

    fn severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in &set.objects {
            let Some(cluster) = object.cluster.as_deref() else {
                continue;
            };
            if cluster == GLOBAL || !PLATFORM_KINDS.contains(&object.kind.as_str()) {
                continue;
            }
            let exact = CLUSTER_NAMED_KINDS.contains(&object.kind.as_str());
            let fine = if exact {
                object.name == cluster
            } else {
                object.name.starts_with(&format!("{cluster}-"))
            };
            if !fine {
                let wanted = if exact {
                    format!("`{cluster}`")
                } else {
                    format!("`{cluster}-…`")
                };
                sink.field(
                    object,
                    &["metadata", "name"],
                    format!(
                        "`{}` belongs to cluster {cluster} but is not named {wanted}",
                        object.name
                    ),
                    format!("rename it {wanted} and update every reference to it"),
                );
            }
        }
    }
}
