//! `apprelease.chart-repo`: Provider Pods read the chart repository from inside the bootstrap
//! KIND network, where 127.0.0.1:11443 is the Pod itself: use BOOTSTRAP_REGISTRY_ADDRESS
//! (172.18.0.1:11443), and LOCAL_REGISTRY_ADDRESS only to push packages from the KIND host
//! (seed 000, Step 1).

use super::apprelease_common::providers;
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct ChartRepo;

impl Rule for ChartRepo {
    describe!(
        "apprelease.chart-repo",
        "chart repoURL and registry address are the bootstrap registry, not the local 127.0.0.1 one",
        why: "Provider Pods read the chart repository from inside the bootstrap KIND network, \
              where 127.0.0.1:11443 is the Pod itself: use BOOTSTRAP_REGISTRY_ADDRESS \
              (172.18.0.1:11443), and LOCAL_REGISTRY_ADDRESS only to push packages from the \
              KIND host (seed 000, Step 1).",
        example: "spec:\n  source:\n    charts:\n    - repoURL: 172.18.0.1:11443",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in providers(set) {
            let mut path = Vec::new();
            object.root.walk_scalars(&mut path, &mut |path, pos, scalar| {
                let key = match path.last() {
                    Some(crate::lint::tree::PathPart::Key(key)) => *key,
                    _ => return,
                };
                let under_registry = path.len() >= 2
                    && matches!(path[path.len() - 2], crate::lint::tree::PathPart::Key("registry"));
                if key == "repoURL" || (key == "address" && under_registry) {
                    let text = scalar.text.trim_start_matches("oci://").trim_start_matches("https://");
                    if text.starts_with("127.") || text.starts_with("localhost") {
                        sink.at(
                            object,
                            pos,
                            crate::lint::tree::dotted(path),
                            format!("`{}` is the KIND host's local registry, unreachable from provider Pods", scalar.text),
                            "use the bootstrap registry address, normally 172.18.0.1:11443",
                        );
                    }
                }
            });
        }
    }
}
