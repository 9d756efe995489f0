//! `kcp.format`: cloud-init is the provider path used by Bare Metal (seed 000); `ignition` is
//! for the DCS Alauda OS images and the bare-metal provider rejects it.

use super::describe;
use super::kcp_common::baremetal_kcps;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct Format;

impl Rule for Format {
    describe!(
        "kcp.format",
        "a bare-metal control plane's bootstrap format is `cloud-init` or unset",
        why: "cloud-init is the provider path used by Bare Metal (seed 000); `ignition` is for \
              the DCS Alauda OS images and the bare-metal provider rejects it.",
        example: "spec:\n  kubeadmConfigSpec:\n    format: cloud-init",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let path = ["spec", "kubeadmConfigSpec", "format"];
            if let Some(format) = object.str(&path)
                && format != "cloud-init"
            {
                sink.field(
                    object,
                    &path,
                    format!("format `{format}`; bare metal uses cloud-init"),
                    "set `format: cloud-init` or remove the field",
                );
            }
        }
    }
}
