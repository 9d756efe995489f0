//! `namespace.cpaas-system` and `naming.*`: where bare-metal objects live and what they are
//! called — the names the installer looks up literally and the prefix DR relies on.

use super::describe;
use crate::lint::context::{Context, Phase};
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, CLUSTER_NAMED_KINDS, GLOBAL, Manifests, NAMESPACE, PLATFORM_KINDS};

pub struct Namespace;

impl Rule for Namespace {
    describe!(
        "namespace.cpaas-system",
        "bare-metal, Cluster API and elemental objects are in namespace cpaas-system",
        why: "The bare-metal provider and elemental-operator only reconcile objects in \
              cpaas-system (seed 001: \"Every step must be applied in the cpaas-system \
              namespace\"). An object elsewhere is accepted by the API server and then ignored.",
        example: "metadata:\n  name: global-kcp\n  namespace: cpaas-system",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let relevant = set.objects.iter().filter(|object| {
            PLATFORM_KINDS.contains(&object.kind.as_str())
                || (object.kind == set::CONFIG_MAP
                    && [set::IMPORT_CONFIG_MAP, set::CATALOG_CONFIG_MAP]
                        .contains(&object.name.as_str()))
        });
        for object in relevant {
            let path = ["metadata", "namespace"];
            if object.namespace.is_empty() {
                let pos = object.nearest(&path);
                sink.with(
                    Severity::Warning,
                    object,
                    pos,
                    "metadata.namespace",
                    "no namespace: kubectl puts it in the current namespace",
                    "add `namespace: cpaas-system` to metadata",
                );
            } else if object.namespace != NAMESPACE {
                sink.field(
                    object,
                    &path,
                    format!("in namespace {}; the provider only reconciles cpaas-system", object.namespace),
                    "set `metadata.namespace: cpaas-system` (and the namespace of references to it)",
                );
            }
        }
    }
}

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

pub struct GlobalPrefix;

impl Rule for GlobalPrefix {
    describe!(
        "naming.global-prefix",
        "every other global-cluster CAPI, bare-metal and elemental object is named `global-…`",
        why: "The DR failover mechanism uses the `global-` prefix to tell the global cluster's \
              own resources apart. A global resource without it is invisible to DR and the \
              standby cluster's machines are deleted at failover: the cluster works until the \
              first failover, then loses its nodes (seed 000, Naming Convention).",
        example: "kind: MachineInventoryPool\nmetadata:\n  name: global-control-plane-pool",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in prefixed(set).filter(|object| set.is_global(object)) {
            if !object.name.starts_with("global-") {
                sink.field(
                    object,
                    &["metadata", "name"],
                    format!(
                        "`{}` belongs to the global cluster but lacks the `global-` prefix; DR \
                         failover deletes the standby's machines",
                        object.name
                    ),
                    format!(
                        "rename it `global-{}` and update every reference to it",
                        object.name
                    ),
                );
            }
        }
    }
}

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

fn prefixed(set: &Manifests) -> impl Iterator<Item = &crate::lint::object::Object> {
    set.objects.iter().filter(|object| {
        PLATFORM_KINDS.contains(&object.kind.as_str())
            && !CLUSTER_NAMED_KINDS.contains(&object.kind.as_str())
    })
}
