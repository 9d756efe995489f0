//! `import.present`: The installer imports the provider objects created in the bootstrap KIND
//! cluster only through this ConfigMap. Without it the new global cluster lacks the
//! BaremetalMachine, MachineInventory, MachineRegistration and plan Secrets, and the handoff
//! job runs with an empty target list (seeds 000, 002).

use super::describe;
use super::import_common::config_maps;
use crate::lint::context::{Context, Provider};
use crate::lint::object::INSTALLER_REQUEST;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct Present;

impl Rule for Present {
    describe!(
        "import.present",
        "the dcs-import-extra-resources ConfigMap exists before the installer request (Bare Metal, vSphere, HCS)",
        why: "The installer imports the provider objects created in the bootstrap KIND cluster \
              only through this ConfigMap. Without it the new global cluster lacks the \
              BaremetalMachine, MachineInventory, MachineRegistration and plan Secrets, and the \
              handoff job runs with an empty target list (seeds 000, 002).",
        example: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dcs-import-extra-resources\n  namespace: cpaas-system\ndata:\n  resources.yaml: |\n    resources: []",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if !needs_import(context.provider) || config_maps(set).next().is_some() {
            return;
        }
        for request in set.of_kind(INSTALLER_REQUEST) {
            sink.at(
                request,
                request.pos,
                "",
                format!(
                    "no dcs-import-extra-resources ConfigMap in the input; {} needs it before this request",
                    context.provider.name()
                ),
                "create the ConfigMap of Step 7 and apply it before POSTing the installer request",
            );
        }
    }
}

fn needs_import(provider: Provider) -> bool {
    matches!(
        provider,
        Provider::Baremetal | Provider::Vsphere | Provider::Hcs
    )
}
