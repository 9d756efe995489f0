//! Shared by `kcp.*`: the KubeadmControlPlane of a bare-metal cluster (and the versions of its
//! MachineDeployments), as the bare-metal provider needs it.

use crate::lint::object::Object;
use crate::lint::set::{self, Manifests};

pub(super) fn is_baremetal(object: &Object) -> bool {
    object.kind == set::KCP
        && object.str(&["spec", "machineTemplate", "infrastructureRef", "kind"])
            == Some(set::BAREMETAL_MACHINE_TEMPLATE)
}

pub(super) fn baremetal_kcps(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::KCP).filter(|object| is_baremetal(object))
}
