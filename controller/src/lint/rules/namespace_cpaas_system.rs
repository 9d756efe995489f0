//! `namespace.cpaas-system`: The bare-metal provider and elemental-operator only reconcile
//! objects in cpaas-system (seed 001: "Every step must be applied in the cpaas-system
//! namespace"). An object elsewhere is accepted by the API server and then ignored.

use super::describe;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests, NAMESPACE, PLATFORM_KINDS};

pub struct Namespace;

impl Rule for Namespace {
    describe!(
        "namespace.cpaas-system",
        "bare-metal, Cluster API and elemental objects are in namespace cpaas-system",
        why: "The bare-metal provider and elemental-operator only reconcile objects in \
              cpaas-system (seed 001: \"Every step must be applied in the cpaas-system \
              namespace\"). An object elsewhere is accepted by the API server and then ignored.",
        example: "metadata:\n  name: global-kcp\n  namespace: cpaas-system",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let relevant = set.objects.iter().filter(|object| {
            PLATFORM_KINDS.contains(&object.kind.as_str())
                || (object.kind == set::CONFIG_MAP
                    && [set::IMPORT_CONFIG_MAP, set::CATALOG_CONFIG_MAP]
                        .contains(&object.name.as_str()))
        });
        for object in relevant {
            let path = ["metadata", "namespace"];
            if object.namespace.is_empty() {
                let pos = object.nearest(&path);
                sink.with(
                    Severity::Warning,
                    object,
                    pos,
                    "metadata.namespace",
                    "no namespace: kubectl puts it in the current namespace",
                    "add `namespace: cpaas-system` to metadata",
                );
            } else if object.namespace != NAMESPACE {
                sink.field(
                    object,
                    &path,
                    format!("in namespace {}; the provider only reconciles cpaas-system", object.namespace),
                    "set `metadata.namespace: cpaas-system` (and the namespace of references to it)",
                );
            }
        }
    }
}
