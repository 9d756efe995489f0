//! `apprelease.handoff`: After the installation the handoff job moves the global hosts to
//! https://<VIP>/kubernetes/global; without the VIP or with delivery disabled the hosts keep
//! watching the bootstrap host, which is then torn down (seed 000).

use super::apprelease_common::{baremetal_releases, value};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;
use crate::lint::tree::Node;

pub struct Handoff;

impl Rule for Handoff {
    describe!(
        "apprelease.handoff",
        "the bare-metal AppRelease sets handoffHook.controlPlaneVIP and enables delivery",
        why: "After the installation the handoff job moves the global hosts to \
              https://<VIP>/kubernetes/global; without the VIP or with delivery disabled the \
              hosts keep watching the bootstrap host, which is then torn down (seed 000).",
        example: "spec:\n  values:\n    handoffHook:\n      controlPlaneVIP: 192.168.10.100\n      delivery:\n        enabled: true\n        mode: always",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in baremetal_releases(set) {
            let vip = value(object, &["handoffHook", "controlPlaneVIP"]);
            match vip.node.and_then(Node::str) {
                None => sink.at(
                    object,
                    vip.pos,
                    vip.field,
                    "handoffHook.controlPlaneVIP is not set",
                    "set it to the control-plane VIP",
                ),
                Some(value) => {
                    if let Some(known) = &context.vip
                        && known.value != value
                        && !value.contains(['<', '$'])
                    {
                        sink.at(
                            object,
                            vip.pos,
                            vip.field,
                            format!(
                                "controlPlaneVIP {value} differs from the VIP {} (from {})",
                                known.value, known.from
                            ),
                            "use one VIP everywhere",
                        );
                    }
                }
            }
            let enabled = value(object, &["handoffHook", "delivery", "enabled"]);
            if enabled.node.and_then(Node::bool) != Some(true) {
                sink.at(
                    object,
                    enabled.pos,
                    enabled.field,
                    "handoff delivery is not enabled",
                    "set `delivery: {enabled: true, mode: always}`",
                );
            }
        }
    }
}
