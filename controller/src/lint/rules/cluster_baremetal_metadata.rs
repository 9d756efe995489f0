//! `cluster.baremetal-metadata`: The bare-metal provider and the platform read these during
//! reconcile (seed 001, Cluster annotations; seed 000 adds cpaas.io/registry-address for the
//! global cluster so provisioned nodes pull through an address reachable from their subnet).
//! Without them the cluster is not recognised as ProviderBaremetal, alb and sentry deploy the
//! wrong way, or kube-ovn picks a default join CIDR.

use super::describe;
use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct BaremetalMetadata;

impl Rule for BaremetalMetadata {
    describe!(
        "cluster.baremetal-metadata",
        "a bare-metal Cluster carries the provider label and the capi/cpaas annotations",
        why: "The bare-metal provider and the platform read these during reconcile (seed 001, \
              Cluster annotations; seed 000 adds cpaas.io/registry-address for the global \
              cluster so provisioned nodes pull through an address reachable from their \
              subnet). Without them the cluster is not recognised as ProviderBaremetal, alb \
              and sentry deploy the wrong way, or kube-ovn picks a default join CIDR.",
        example: "metadata:\n  labels:\n    cluster-type: ProviderBaremetal\n  annotations:\n    capi.cpaas.io/resource-group-version: infrastructure.cluster.x-k8s.io/v1beta1\n    capi.cpaas.io/resource-kind: BaremetalCluster\n    cpaas.io/registry-address: 192.168.10.5:11443   # global only\n    cpaas.io/kube-ovn-join-cidr: 100.64.0.0/16\n    cpaas.io/sentry-deploy-type: Baremetal\n    cpaas.io/alb-address-type: ClusterAddress",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set
            .of_kind(set::CLUSTER)
            .filter(|object| is_baremetal(object))
        {
            let label = ["metadata", "labels", "cluster-type"];
            if object.str(&label) != Some("ProviderBaremetal") {
                sink.field(
                    object,
                    &label,
                    format!(
                        "label cluster-type is {}; bare metal needs ProviderBaremetal",
                        shown(object.str(&label))
                    ),
                    "set label `cluster-type: ProviderBaremetal`",
                );
            }
            let group_version = object
                .str(&["spec", "infrastructureRef", "apiVersion"])
                .unwrap_or("infrastructure.cluster.x-k8s.io/v1beta1");
            let mut wanted: Vec<(&str, Option<&str>)> = vec![
                ("capi.cpaas.io/resource-group-version", Some(group_version)),
                ("capi.cpaas.io/resource-kind", Some(set::BAREMETAL_CLUSTER)),
                ("cpaas.io/kube-ovn-join-cidr", None),
                ("cpaas.io/sentry-deploy-type", Some("Baremetal")),
                ("cpaas.io/alb-address-type", Some("ClusterAddress")),
            ];
            if set.is_global(object) {
                wanted.push(("cpaas.io/registry-address", None));
            }
            for (key, value) in wanted {
                let path = ["metadata", "annotations", key];
                let actual = object.str(&path);
                match (actual, value) {
                    (None, _) => sink.field(
                        object,
                        &path,
                        format!("annotation {key} is missing"),
                        format!("add annotation `{key}: {}`", value.unwrap_or("<value>")),
                    ),
                    (Some(actual), Some(value)) if actual != value => sink.field(
                        object,
                        &path,
                        format!("annotation {key} is `{actual}`, expected `{value}`"),
                        format!("set `{key}: {value}`"),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// A Cluster whose infrastructure is a BaremetalCluster.
fn is_baremetal(object: &Object) -> bool {
    object.kind == set::CLUSTER
        && (object.str(&["spec", "infrastructureRef", "kind"]) == Some(set::BAREMETAL_CLUSTER)
            || object
                .annotation("capi.cpaas.io/resource-kind")
                .and_then(|field| field.node.str())
                == Some(set::BAREMETAL_CLUSTER))
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "missing".to_owned(), |value| format!("`{value}`"))
}
