//! Shared by `import.*`: the `dcs-import-extra-resources` ConfigMap, whose embedded
//! `resources.yaml` tells the installer what to carry from the bootstrap KIND cluster into the
//! new global cluster. Findings point into the embedded text.

use crate::lint::object::{self, Object};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::{Node, Pos};

pub(super) const KEY: &str = "resources.yaml";

pub(super) fn config_maps(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::CONFIG_MAP)
        .filter(|object| object.name == set::IMPORT_CONFIG_MAP)
}

/// The parsed `resources:` list, or `None` when absent or unreadable (`import.resources` says so).
pub(super) fn entries(object: &Object) -> Option<Vec<Node>> {
    let field = object.field(&["data", KEY])?;
    let root = object::embedded(field).ok()?;
    Some(root.get("resources")?.items().to_vec())
}

pub(super) fn resource(entry: &Node) -> &str {
    entry.get("resource").and_then(Node::str).unwrap_or("")
}

pub(super) fn names(entry: &Node) -> Vec<(&str, Pos)> {
    entry
        .get("names")
        .map(|names| {
            names
                .items()
                .iter()
                .filter_map(|name| Some((name.str()?, name.pos)))
                .collect()
        })
        .unwrap_or_default()
}
