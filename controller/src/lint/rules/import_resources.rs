//! `import.resources`: The installer reads resources.yaml at import time: a syntax error or an
//! entry it cannot use is discovered only after the global cluster is up, when the handoff
//! finds nothing to hand over.

use super::describe;
use super::import_common::{KEY, config_maps, resource};
use crate::lint::context::Context;
use crate::lint::object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct Resources;

impl Rule for Resources {
    describe!(
        "import.resources",
        "resources.yaml parses, and each entry has a resource and a method (etcdctl with an etcdKeyBase)",
        why: "The installer reads resources.yaml at import time: a syntax error or an entry it \
              cannot use is discovered only after the global cluster is up, when the handoff \
              finds nothing to hand over.",
        example: "data:\n  resources.yaml: |\n    resources:\n    - resource: \"machineinventorypools.infrastructure.cluster.x-k8s.io\"\n      etcdKeyBase: \"/registry/infrastructure.cluster.x-k8s.io/machineinventorypools/cpaas-system/\"\n      method: etcdctl",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in config_maps(set) {
            let Some(field) = object.field(&["data", KEY]) else {
                sink.field(
                    object,
                    &["data", KEY],
                    "no resources.yaml key",
                    "add `resources.yaml: |` with a `resources:` list",
                );
                continue;
            };
            let root = match object::embedded(field) {
                Ok(root) => root,
                Err(error) => {
                    sink.at(
                        object,
                        error.pos,
                        "data[resources.yaml]",
                        format!("resources.yaml does not parse: {}", error.message),
                        "fix the YAML inside the block (indentation, quotes)",
                    );
                    continue;
                }
            };
            let Some(list) = root.entry("resources") else {
                sink.at(
                    object,
                    field.pos,
                    "data[resources.yaml]",
                    "resources.yaml has no `resources:` list",
                    "start it with `resources:`",
                );
                continue;
            };
            for (index, entry) in list.value.items().iter().enumerate() {
                let at = format!("data[resources.yaml].resources[{index}]");
                if resource(entry).is_empty() {
                    sink.at(
                        object,
                        entry.pos,
                        at.clone(),
                        "entry without `resource`",
                        "name the resource, such as `secrets`",
                    );
                }
                match entry.entry("method") {
                    None => sink.at(
                        object,
                        entry.pos,
                        format!("{at}.method"),
                        "entry without `method`",
                        "set `method: kubectl` or `method: etcdctl`",
                    ),
                    Some(method) => match method.value.str() {
                        Some("kubectl") => {}
                        Some("etcdctl") if entry.get("etcdKeyBase").is_none() => sink.at(
                            object,
                            method.key_pos,
                            format!("{at}.etcdKeyBase"),
                            "etcdctl entry without etcdKeyBase",
                            "add `etcdKeyBase: \"/registry/<group>/<plural>/cpaas-system/\"`",
                        ),
                        Some("etcdctl") => {}
                        other => sink.at(
                            object,
                            method.key_pos,
                            format!("{at}.method"),
                            format!("method `{}`", other.unwrap_or("")),
                            "use kubectl or etcdctl",
                        ),
                    },
                }
            }
        }
    }
}
