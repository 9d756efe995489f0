//! `baremetalcluster.port`: The installer request declares `cluster.features.ha.vport: 6443`
//! and the platform reaches the global apiserver there (seed 000, "port to 6443").

use super::baremetalcluster_common::{filled, lb};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Port;

impl Rule for Port {
    describe!(
        "baremetalcluster.port",
        "the global cluster's controlPlaneLoadBalancer.port is 6443",
        why: "The installer request declares `cluster.features.ha.vport: 6443` and the platform \
              reaches the global apiserver there (seed 000, \"port to 6443\").",
        example: "spec:\n  controlPlaneLoadBalancer:\n    port: 6443",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = lb("port");
            let port = object.field(&path);
            let text = port.and_then(|field| field.node.str()).unwrap_or("");
            if !filled(text) {
                continue;
            }
            match port.and_then(|field| field.node.int()) {
                None => sink.field(object, &path, "no valid port", "set `port: 6443`"),
                Some(port) if !(1..=65535).contains(&port) => sink.field(
                    object,
                    &path,
                    format!("port {port} is out of range"),
                    "set `port: 6443`",
                ),
                Some(port) if port != 6443 && set.is_global(object) => sink.field(
                    object,
                    &path,
                    format!("port {port}; the global cluster's VIP port is 6443"),
                    "set `port: 6443`",
                ),
                Some(_) => {}
            }
        }
    }
}
