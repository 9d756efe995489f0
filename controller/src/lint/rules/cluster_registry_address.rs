//! `cluster.registry-address`: the nodes pull their images from `cpaas.io/registry-address`;
//! it must be an address reachable from their subnet, never the KIND host's local
//! `127.0.0.1:11443` nor the bootstrap registry inside the KIND network (seed 000, Step 1 and
//! Step 4).

use std::net::IpAddr;

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Node;

const ANNOTATION: &str = "cpaas.io/registry-address";

pub struct RegistryAddress;

impl Rule for RegistryAddress {
    describe!(
        "cluster.registry-address",
        "the Cluster's cpaas.io/registry-address is reachable from the nodes: not loopback, not the bootstrap registry",
        why: "Seed 000, Step 1: LOCAL_REGISTRY_ADDRESS (127.0.0.1:11443) is for pushing packages \
              on the KIND host, BOOTSTRAP_REGISTRY_ADDRESS is for the AppRelease charts inside \
              the KIND network, and the Cluster API registry annotation takes \
              NODE_REGISTRY_ADDRESS \"because provisioned global nodes must pull images through \
              an address reachable from their subnet\". Loopback on a node is the node itself: \
              every image pull fails and no control-plane machine comes up.",
        example: "metadata:\n  annotations:\n    cpaas.io/registry-address: \"192.168.10.5:11443\"   # ${HOST_IP}:11443",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let bootstrap = bootstrap_registry(set);
        for object in set.of_kind(set::CLUSTER) {
            let Some(field) = object.annotation(ANNOTATION) else {
                continue;
            };
            let Some(address) = field.node.str().map(str::trim) else {
                continue;
            };
            let at = format!("metadata.annotations[{ANNOTATION}]");
            if is_loopback(address) {
                sink.at(
                    object,
                    field.pos,
                    at,
                    format!(
                        "{address} is the KIND host's local registry: on a node it is the node \
                         itself"
                    ),
                    "use NODE_REGISTRY_ADDRESS, the installer host's IP with port 11443 \
                     (${HOST_IP}:11443)",
                );
            } else if let Some((registry, from)) = &bootstrap
                && registry == address
                && set.is_global(object)
            {
                sink.at(
                    object,
                    field.pos,
                    at,
                    format!(
                        "{address} is the bootstrap registry inside the KIND network (from \
                         {from}), not reachable from the nodes' subnet"
                    ),
                    "use NODE_REGISTRY_ADDRESS, the installer host's IP with port 11443 \
                     (${HOST_IP}:11443)",
                );
            }
        }
    }
}

/// `127.0.0.1:11443`, `[::1]:11443`, `localhost:11443`.
fn is_loopback(address: &str) -> bool {
    let host = match address.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => address.rsplit_once(':').map_or(address, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The registry the provider AppReleases pull charts from during bootstrap.
fn bootstrap_registry(set: &Manifests) -> Option<(String, String)> {
    set.of_kind(set::APP_RELEASE).find_map(|object| {
        let values = set::find_key(&object.root, "values", 4)?;
        let address = values.get("global")?.get("registry")?.get("address")?;
        let address = Node::str(address)?.trim();
        (!address.is_empty() && !address.contains(['$', '<']))
            .then(|| (address.to_owned(), object.label()))
    })
}
