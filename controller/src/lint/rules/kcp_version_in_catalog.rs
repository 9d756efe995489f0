//! `kcp.version-in-catalog`: The provider resolves the OS image for a Machine's version from
//! the elemental-image-catalog ConfigMap at reprovision time. A missing version writes no
//! reprovision plan and the BaremetalMachine ends Failed / ImageCatalogMiss (seed 001, Image
//! Catalog Confirmed).

use super::describe;
use super::kcp_common::is_baremetal;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct VersionInCatalog;

impl Rule for VersionInCatalog {
    describe!(
        "kcp.version-in-catalog",
        "KubeadmControlPlane and MachineDeployment versions are keys of the elemental-image-catalog, leading `v` kept",
        why: "The provider resolves the OS image for a Machine's version from the \
              elemental-image-catalog ConfigMap at reprovision time. A missing version writes \
              no reprovision plan and the BaremetalMachine ends Failed / ImageCatalogMiss \
              (seed 001, Image Catalog Confirmed).",
        example: "spec:\n  version: v1.33.7-2   # a key of cpaas-system/elemental-image-catalog",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in &set.objects {
            let path: &[&str] = match object.kind.as_str() {
                set::KCP if is_baremetal(object) => &["spec", "version"],
                set::MACHINE_DEPLOYMENT
                    if object.str(&["spec", "template", "spec", "infrastructureRef", "kind"])
                        == Some(set::BAREMETAL_MACHINE_TEMPLATE) =>
                {
                    &["spec", "template", "spec", "version"]
                }
                _ => continue,
            };
            let Some(version) = object.str(path) else {
                sink.field(
                    object,
                    path,
                    "no Kubernetes version",
                    "set the version to a key of elemental-image-catalog",
                );
                continue;
            };
            if version.contains(['<', '$']) {
                continue;
            }
            if !version.starts_with('v') {
                sink.field(
                    object,
                    path,
                    format!("version `{version}` lacks the leading `v` the catalog keys keep"),
                    format!("write `v{version}`"),
                );
                continue;
            }
            let Some(catalog) = &context.catalog else {
                sink.missing_context(
                    object,
                    &path.join("."),
                    "the image catalog (--image-catalog or the elemental-image-catalog ConfigMap)",
                );
                continue;
            };
            if catalog.image(version).is_none() {
                let keys: Vec<&str> = catalog
                    .entries
                    .iter()
                    .map(|(key, _)| key.as_str())
                    .collect();
                sink.field(
                    object,
                    path,
                    format!(
                        "version `{version}` is not in the image catalog ({})",
                        catalog.from
                    ),
                    format!("use one of: {}", keys.join(", ")),
                );
            }
        }
    }
}
