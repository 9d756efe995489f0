//! Shared by `import.*`: the `dcs-import-extra-resources` ConfigMap, whose embedded
//! `resources.yaml` tells the installer what to carry from the bootstrap KIND cluster into the
//! new global cluster. Findings point into the embedded text.

use crate::lint::context::Provider;
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

/// The credential Secrets a provider's import list must carry (seed 000, Step 7), with why:
/// vSphere's `global-vsphere-credentials` and whatever `VSphereCluster.spec.identityRef` names,
/// HCS's `HCSCluster.spec.identityRef` Secret. Bare Metal and DCS import none.
pub(super) fn provider_credentials(set: &Manifests, provider: Provider) -> Vec<(String, String)> {
    let (kind, mut names) = match provider {
        Provider::Vsphere => (
            "VSphereCluster",
            vec![(
                "global-vsphere-credentials".to_owned(),
                "the vCenter credentials of VSphereCluster.spec.identityRef".to_owned(),
            )],
        ),
        Provider::Hcs => ("HCSCluster", Vec::new()),
        Provider::Baremetal | Provider::Dcs => return Vec::new(),
    };
    for cluster in set.of_kind(kind) {
        if let Some(name) = cluster.str(&["spec", "identityRef", "name"])
            && !name.contains(['$', '<'])
            && !names.iter().any(|(known, _)| known == name)
        {
            names.push((
                name.to_owned(),
                format!("the Secret {}.spec.identityRef names", cluster.label()),
            ));
        }
    }
    names
}
