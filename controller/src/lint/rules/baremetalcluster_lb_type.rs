//! `baremetalcluster.lb-type`: Internal deploys alive to hold the VIP; External skips it and
//! expects your own load balancer (seed 001). Any other value is rejected by the provider.

use super::baremetalcluster_common::lb;
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct LoadBalancerType;

impl Rule for LoadBalancerType {
    describe!(
        "baremetalcluster.lb-type",
        "controlPlaneLoadBalancer.type is Internal or External",
        why: "Internal deploys alive to hold the VIP; External skips it and expects your own load \
              balancer (seed 001). Any other value is rejected by the provider.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    type: Internal",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = lb("type");
            if let Some(kind) = object.str(&path)
                && !matches!(kind, "Internal" | "External")
            {
                sink.field(
                    object,
                    &path,
                    format!("type `{kind}`"),
                    "set `type: Internal` (alive holds the VIP) or `External`",
                );
            }
        }
    }
}
