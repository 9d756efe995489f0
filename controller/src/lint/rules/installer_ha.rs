//! `installer.ha`: The Bare Metal global cluster is reached through the VIP that alive exposes
//! after handoff, which the installer treats as a third-party HA endpoint on 6443 (seed 000,
//! Step 8). vSphere and HCS requests must not include cluster.features.ha.

use super::describe;
use super::installer_common::{filled, has_own_vip, requests};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct HighAvailability;

impl Rule for HighAvailability {
    describe!(
        "installer.ha",
        "Bare Metal and DCS requests carry cluster.features.ha {vip: <VIP>, vport: 6443, isThirdParty: true}; vSphere and HCS none",
        why: "The Bare Metal global cluster is reached through the VIP that alive exposes after \
              handoff, which the installer treats as a third-party HA endpoint on 6443 (seed \
              000, Step 8). vSphere and HCS requests must not include cluster.features.ha.",
        example: "\"features\": {\"ha\": {\"vip\": \"192.168.10.100\", \"vport\": 6443, \"isThirdParty\": true}}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let ha = ["cluster", "features", "ha"];
        for request in requests(set) {
            let present = request.field(&ha).is_some();
            if !has_own_vip(context.provider) {
                if present {
                    sink.field(
                        request,
                        &ha,
                        format!(
                            "{} requests do not include cluster.features.ha",
                            context.provider.name()
                        ),
                        "remove cluster.features.ha",
                    );
                }
                continue;
            }
            if !present {
                sink.field(
                    request,
                    &ha,
                    "cluster.features.ha is missing",
                    "add `\"ha\": {\"vip\": \"<VIP>\", \"vport\": 6443, \"isThirdParty\": true}`",
                );
                continue;
            }
            let vip_path = [&ha[..], &["vip"]].concat();
            match request.str(&vip_path) {
                None => sink.field(
                    request,
                    &vip_path,
                    "ha.vip is not set",
                    "set it to the control-plane VIP",
                ),
                Some(value) if filled(value) => {
                    if let Some(vip) = &context.vip
                        && vip.value != value
                    {
                        sink.field(
                            request,
                            &vip_path,
                            format!(
                                "ha.vip {value} is not the VIP {} (from {})",
                                vip.value, vip.from
                            ),
                            format!("set `\"vip\": \"{}\"`", vip.value),
                        );
                    }
                }
                Some(_) => {}
            }
            let port_path = [&ha[..], &["vport"]].concat();
            if request.field(&port_path).and_then(|field| field.node.int()) != Some(6443) {
                sink.field(
                    request,
                    &port_path,
                    "ha.vport is not 6443",
                    "set `\"vport\": 6443`",
                );
            }
            let third_path = [&ha[..], &["isThirdParty"]].concat();
            if request
                .field(&third_path)
                .and_then(|field| field.node.bool())
                != Some(true)
            {
                sink.field(
                    request,
                    &third_path,
                    "ha.isThirdParty is not true",
                    "set `\"isThirdParty\": true`",
                );
            }
        }
    }
}
