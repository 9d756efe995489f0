//! Shared by `kcp.*`: the KubeadmControlPlane of a bare-metal cluster (and the versions of its
//! MachineDeployments), as the bare-metal provider needs it.

use crate::lint::object::Object;
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Pos;

pub(super) fn is_baremetal(object: &Object) -> bool {
    object.kind == set::KCP
        && object.str(&["spec", "machineTemplate", "infrastructureRef", "kind"])
            == Some(set::BAREMETAL_MACHINE_TEMPLATE)
}

pub(super) fn baremetal_kcps(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::KCP).filter(|object| is_baremetal(object))
}

/// One `extraArgs` value of a kubeadm component (`apiServer`, `controllerManager`): a map in
/// the v1beta1 API, a list of `{name, value}` in v1beta2. With the line of its key or item.
pub(super) fn extra_arg<'a>(
    object: &'a Object,
    component: &str,
    name: &str,
) -> Option<(&'a str, Pos)> {
    let args = object.field(&[
        "spec",
        "kubeadmConfigSpec",
        "clusterConfiguration",
        component,
        "extraArgs",
    ])?;
    if let Some(entry) = args.node.entry(name) {
        return Some((entry.value.str()?, entry.key_pos));
    }
    args.node.items().iter().find_map(|item| {
        (item.get("name")?.str()? == name).then_some(())?;
        Some((item.get("value")?.str()?, item.pos))
    })
}

/// Where a missing `extraArgs` value would go: its component's `extraArgs`, or the nearest
/// parent that exists.
pub(super) fn extra_args_pos(object: &Object, component: &str) -> Pos {
    object.nearest(&[
        "spec",
        "kubeadmConfigSpec",
        "clusterConfiguration",
        component,
        "extraArgs",
    ])
}

/// The field path of an `extraArgs` value, as findings name it.
pub(super) fn extra_arg_field(component: &str, name: &str) -> String {
    format!("spec.kubeadmConfigSpec.clusterConfiguration.{component}.extraArgs.{name}")
}
