//! `kcp.skip-kube-proxy`: With kube-ovn the release manifest replaces kube-proxy; seed 000 says
//! to keep the skip-kube-proxy annotation on the global KubeadmControlPlane. Without it kubeadm
//! installs kube-proxy next to kube-ovn's service handling.

use super::describe;
use super::kcp_common::baremetal_kcps;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct SkipKubeProxy;

impl Rule for SkipKubeProxy {
    describe!(
        "kcp.skip-kube-proxy",
        "the global control plane keeps `controlplane.cluster.x-k8s.io/skip-kube-proxy: \"\"` with kube-ovn",
        why: "With kube-ovn the release manifest replaces kube-proxy; seed 000 says to keep the \
              skip-kube-proxy annotation on the global KubeadmControlPlane. Without it kubeadm \
              installs kube-proxy next to kube-ovn's service handling.",
        example: "metadata:\n  annotations:\n    controlplane.cluster.x-k8s.io/skip-kube-proxy: \"\"",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        if !uses_kube_ovn(set) {
            return;
        }
        for object in baremetal_kcps(set).filter(|object| set.is_global(object)) {
            let key = "controlplane.cluster.x-k8s.io/skip-kube-proxy";
            if object.annotation(key).is_none() {
                sink.field(
                    object,
                    &["metadata", "annotations", key],
                    "the skip-kube-proxy annotation is missing; kubeadm would install kube-proxy next to kube-ovn",
                    format!("add annotation `{key}: \"\"`"),
                );
            }
        }
    }
}

/// kube-ovn unless a `networkType` in the input says otherwise (it is ACP's default).
fn uses_kube_ovn(set: &Manifests) -> bool {
    !set.objects.iter().any(|object| {
        set::find_key(&object.root, "networkType", 8)
            .and_then(|node| node.str())
            .is_some_and(|network| network != "kube-ovn")
    })
}
