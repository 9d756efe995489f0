//! `baremetalcluster.vrid`: The VRRP virtual router ID is one byte and must be unique in the
//! control-plane Layer-2 domain (seeds 000, 001); alive refuses anything else and the VIP never
//! comes up, which shows as EndpointReady never turning true.

use super::baremetalcluster_common::{filled, lb};
use super::describe;
use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Vrid;

impl Rule for Vrid {
    describe!(
        "baremetalcluster.vrid",
        "controlPlaneLoadBalancer.vrid is an integer from 1 to 255",
        why: "The VRRP virtual router ID is one byte and must be unique in the control-plane \
              Layer-2 domain (seeds 000, 001); alive refuses anything else and the VIP never \
              comes up, which shows as EndpointReady never turning true.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    vrid: 51",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            if object.str(&lb("type")) == Some("External") {
                continue;
            }
            let path = lb("vrid");
            let field = object.field(&path);
            if field
                .and_then(|f| f.node.str())
                .is_some_and(|text| !filled(text))
            {
                continue;
            }
            match field.and_then(|f| f.node.int()) {
                Some(1..=255) => {}
                Some(vrid) => sink.field(
                    object,
                    &path,
                    format!("vrid {vrid} is outside 1–255"),
                    "choose a vrid from 1 to 255, unique in the L2 domain",
                ),
                None => sink.field(
                    object,
                    &path,
                    "no valid vrid",
                    "set `vrid` to a number from 1 to 255, unique in the L2 domain",
                ),
            }
        }
        // Two clusters of the input sharing a vrid share a VRRP group if they share the L2 domain.
        let mut seen: std::collections::HashMap<i64, &Object> = std::collections::HashMap::new();
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let Some(vrid) = object.field(&lb("vrid")).and_then(|f| f.node.int()) else {
                continue;
            };
            if let Some(other) = seen.get(&vrid) {
                sink.field(
                    object,
                    &lb("vrid"),
                    format!("vrid {vrid} is also used by {}", other.label()),
                    "give each cluster's VIP its own vrid",
                );
            }
            seen.entry(vrid).or_insert(object);
        }
    }
}
