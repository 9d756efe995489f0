//! `baremetalcluster.vip`: alive announces this address as the control-plane VIP; the installer
//! request's console.host and cluster.features.ha.vip and the AppRelease's
//! handoffHook.controlPlaneVIP must name the same address (seed 000), or the handoff moves the
//! hosts to an address nobody answers on.

use super::baremetalcluster_common::{filled, lb};
use super::describe;
use crate::lint::context::{Context, is_ip};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Vip;

impl Rule for Vip {
    describe!(
        "baremetalcluster.vip",
        "controlPlaneLoadBalancer.host is the control-plane VIP",
        why: "alive announces this address as the control-plane VIP; the installer request's \
              console.host and cluster.features.ha.vip and the AppRelease's \
              handoffHook.controlPlaneVIP must name the same address (seed 000), or the \
              handoff moves the hosts to an address nobody answers on.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    type: Internal\n    host: 192.168.10.100\n    port: 6443\n    vrid: 51",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = lb("host");
            let Some(host) = object.str(&path) else {
                sink.field(
                    object,
                    &path,
                    "no control-plane VIP",
                    "set `host` to the control-plane VIP",
                );
                continue;
            };
            if !filled(host) {
                continue;
            }
            if object.str(&lb("type")) != Some("External") && !is_ip(host) {
                sink.field(
                    object,
                    &path,
                    format!("`{host}` is not an IP address; alive can only announce an address"),
                    "set `host` to the VIP's IP address",
                );
                continue;
            }
            if let Some(vip) = &context.vip
                && vip.value != host
                && (set.is_global(object) || set.count(set::BAREMETAL_CLUSTER) == 1)
            {
                sink.field(
                    object,
                    &path,
                    format!(
                        "host {host} differs from the VIP {} (from {})",
                        vip.value, vip.from
                    ),
                    "use one VIP everywhere: BaremetalCluster, installer request, AppRelease",
                );
            }
        }
    }
}
