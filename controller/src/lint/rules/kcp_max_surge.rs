//! `kcp.max-surge`: Bare-metal pools cannot over-provision physical hosts (seed 000); the
//! provider replaces one machine at a time with delete-then-add from the same pool. With the
//! default maxSurge 1 a rollout waits forever for a fourth host.

use super::describe;
use super::kcp_common::baremetal_kcps;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct MaxSurge;

impl Rule for MaxSurge {
    describe!(
        "kcp.max-surge",
        "a bare-metal control plane rolls out with `maxSurge: 0`",
        why: "Bare-metal pools cannot over-provision physical hosts (seed 000); the provider \
              replaces one machine at a time with delete-then-add from the same pool. With the \
              default maxSurge 1 a rollout waits forever for a fourth host.",
        example: "spec:\n  rolloutStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 0",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let path = ["spec", "rolloutStrategy", "rollingUpdate", "maxSurge"];
            let value = object.field(&path).and_then(|field| field.node.str());
            if !matches!(value, Some("0")) {
                let message = match value {
                    Some(value) => format!("maxSurge is {value}; bare metal cannot surge"),
                    None => "maxSurge is not set, so Cluster API surges by 1".to_owned(),
                };
                sink.field(
                    object,
                    &path,
                    message,
                    "set `spec.rolloutStrategy.rollingUpdate.maxSurge: 0`",
                );
            }
        }
    }
}
