//! `kcp.replicas`: The bare-metal provider does not support single-node control planes: with
//! fewer than three replicas alive cannot arbitrate the VIP and etcd loses quorum when one host
//! fails (seed 001). Cluster API's default is 1.

use super::describe;
use super::kcp_common::baremetal_kcps;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct Replicas;

impl Rule for Replicas {
    describe!(
        "kcp.replicas",
        "a bare-metal control plane has at least 3 replicas",
        why: "The bare-metal provider does not support single-node control planes: with fewer \
              than three replicas alive cannot arbitrate the VIP and etcd loses quorum when one \
              host fails (seed 001). Cluster API's default is 1.",
        example: "spec:\n  replicas: 3",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let path = ["spec", "replicas"];
            match object.field(&path).map(|field| field.node.int()) {
                Some(Some(replicas)) if replicas >= 3 => {}
                Some(Some(replicas)) => sink.field(
                    object,
                    &path,
                    format!("{replicas} control-plane replica(s); bare metal needs at least 3"),
                    "set `spec.replicas: 3` and give the control-plane pool three inventories",
                ),
                Some(None) => sink.field(
                    object,
                    &path,
                    "replicas is not a number",
                    "set `spec.replicas: 3`",
                ),
                None => sink.field(
                    object,
                    &path,
                    "replicas is not set, so Cluster API creates 1",
                    "set `spec.replicas: 3`",
                ),
            }
        }
    }
}
