//! `import.dcs-default`: Huawei DCS migrates its provider resources in the installer's built-in
//! flow; the guide says not to create dcs-import-extra-resources for the default DCS path (seed
//! 000, Step 7).

use super::describe;
use super::import_common::config_maps;
use crate::lint::context::{Context, Provider};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct DcsDefault;

impl Rule for DcsDefault {
    describe!(
        "import.dcs-default",
        "no dcs-import-extra-resources ConfigMap for a default Huawei DCS installation",
        why: "Seed 000, Step 7: \"Do not create the DCS dcs-import-extra-resources ConfigMap for \
              the default DCS installation path. DCS provider resources are migrated by the \
              built-in flow.\" A ConfigMap there imports the same objects a second time; create \
              it for DCS only to import resources beyond the built-in migration, and then say \
              so with `# ironprep: ignore import.dcs-default`.",
        example: "# Huawei DCS: no dcs-import-extra-resources ConfigMap; the installer migrates DCSCluster and its machines itself",
    );

    fn severity(&self) -> crate::lint::finding::Severity {
        // The guide allows it for resources beyond the built-in migration, which lint cannot know.
        crate::lint::finding::Severity::Warning
    }

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if context.provider != Provider::Dcs {
            return;
        }
        for object in config_maps(set) {
            sink.at(
                object,
                object.pos,
                "",
                "Huawei DCS migrates its provider resources itself; this ConfigMap is only for \
                 resources beyond that built-in migration",
                "delete it for the default DCS installation, or mark the document with \
                 `# ironprep: ignore import.dcs-default` when it imports something extra",
            );
        }
    }
}
