//! `apprelease.cluster-type`: `Baremetal` is a chart-internal classifier, not the IaaS name: it
//! drives how the platform configures node-level components and is Baremetal for every provider
//! of the immutable path (seed 000, "Why cluster.type is Baremetal").

use super::apprelease_common::{expect, providers};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct ClusterType;

impl Rule for ClusterType {
    describe!(
        "apprelease.cluster-type",
        "provider AppReleases of the global cluster set global.cluster.type: Baremetal",
        why: "`Baremetal` is a chart-internal classifier, not the IaaS name: it drives how the \
              platform configures node-level components and is Baremetal for every provider of \
              the immutable path (seed 000, \"Why cluster.type is Baremetal\").",
        example: "spec:\n  values:\n    global:\n      cluster:\n        type: Baremetal",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in providers(set) {
            expect(
                sink,
                object,
                &["cluster", "type"],
                "Baremetal",
                "it is Baremetal for every immutable-infrastructure provider",
            );
        }
    }
}
