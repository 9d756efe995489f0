//! `installer.cidrs`: the installer request carries the Pod and Service CIDRs again (seed 000,
//! Step 8) after the Cluster manifest declared them (Step 4); the platform is configured from
//! the request, the nodes from the Cluster, and two ranges make two networks.

use super::describe;
use super::installer_common::{filled, requests};
use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Cidrs;

impl Rule for Cidrs {
    describe!(
        "installer.cidrs",
        "the installer request's clusterCIDR and serviceCIDR equal the global Cluster's Pod and Service CIDRs",
        why: "Seed 000 fills the installer request's cluster.clusterCIDR and serviceCIDR (Step \
              8) from the same CLUSTER_CIDR and SERVICE_CIDR as the global Cluster's \
              clusterNetwork (Step 4). Cluster API builds the nodes from the Cluster, the \
              installer configures the platform from the request: different ranges give \
              components that disagree about which addresses are Pods and Services.",
        example: "{\"cluster\": {\"clusterCIDR\": \"100.3.0.0/16\", \"serviceCIDR\": \"100.4.0.0/16\"}}",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let Some(cluster) = set
            .of_kind(set::CLUSTER)
            .find(|object| object.name == set::GLOBAL)
        else {
            return;
        };
        for request in requests(set) {
            for (key, family) in [("clusterCIDR", "pods"), ("serviceCIDR", "services")] {
                let Some(field) = request.field(&["cluster", key]) else {
                    continue;
                };
                let Some(text) = field.node.str().filter(|text| filled(text)) else {
                    continue;
                };
                let Some(blocks) = cidr_blocks(cluster, family) else {
                    continue;
                };
                let requested = split(text);
                if requested != blocks {
                    sink.at(
                        request,
                        field.pos,
                        format!("cluster.{key}"),
                        format!(
                            "{key} is {} but the Cluster {} says {} (spec.clusterNetwork.{family}.cidrBlocks)",
                            requested.join(","),
                            cluster.label(),
                            blocks.join(",")
                        ),
                        format!("set `\"{key}\": \"{}\"`", blocks.join(",")),
                    );
                }
            }
        }
    }
}

/// The Cluster's blocks, sorted; `None` when absent or not filled in.
fn cidr_blocks(cluster: &Object, family: &str) -> Option<Vec<String>> {
    let field = cluster.field(&["spec", "clusterNetwork", family, "cidrBlocks"])?;
    let blocks: Vec<String> = field
        .node
        .items()
        .iter()
        .filter_map(|item| item.str())
        .map(|text| text.trim().to_owned())
        .collect();
    if blocks.is_empty() || blocks.iter().any(|block| !filled(block)) {
        return None;
    }
    let mut blocks = blocks;
    blocks.sort();
    Some(blocks)
}

/// A dual-stack request writes both families comma-separated.
fn split(text: &str) -> Vec<String> {
    let mut parts: Vec<String> = text
        .split(',')
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect();
    parts.sort();
    parts
}
