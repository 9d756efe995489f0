//! `apprelease.delivery-mode`: the handoff delivery moves the global hosts from the bootstrap
//! host to the VIP; the guide runs it with `mode: always` (seed 000, Step 3 and the DR section).

use super::apprelease_common::{baremetal_releases, expect};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct DeliveryMode;

impl Rule for DeliveryMode {
    describe!(
        "apprelease.delivery-mode",
        "the bare-metal AppRelease sets handoffHook.delivery.mode: always",
        why: "The handoff delivery is what moves the global hosts' system-agents from the \
              bootstrap host to https://<VIP>/kubernetes/global before the bootstrap host goes \
              away. Seed 000 sets `delivery: {enabled: true, mode: always}` in Step 3 and asks \
              for it again on both DR sides; a host the delivery skips keeps watching an \
              endpoint that no longer exists.",
        example: "spec:\n  values:\n    handoffHook:\n      delivery:\n        enabled: true\n        mode: always",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_releases(set) {
            expect(
                sink,
                object,
                &["handoffHook", "delivery", "mode"],
                "always",
                "the guide delivers the handoff to every global host",
            );
        }
    }
}
