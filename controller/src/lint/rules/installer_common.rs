//! Shared by `installer.*`: the installer request JSON POSTed to
//! `/cpaas-installer/api/config/dcs`, whose body differs per provider.

use crate::lint::context::Provider;
use crate::lint::object::{INSTALLER_REQUEST, Object};
use crate::lint::set::Manifests;

pub(super) fn requests(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(INSTALLER_REQUEST)
}

/// Bare Metal and DCS use a VIP of their own; vSphere and HCS declare the endpoint elsewhere.
pub(super) fn has_own_vip(provider: Provider) -> bool {
    matches!(provider, Provider::Baremetal | Provider::Dcs)
}

pub(super) fn filled(value: &str) -> bool {
    !value.contains(['<', '$'])
}
