//! `import.forbidden`: A bootstrap SeedImage builds an ISO that points at the bootstrap
//! environment and is the wrong lifecycle object after handoff; the registration token and the
//! bootstrap dex.tls belong to the temporary KIND host; the final global cluster's dex.tls
//! comes from the installer's certificate flow (seed 000, Step 7). Only the seedimages CRD is
//! imported, so the API type is known. Platform credentials depend on the provider: vSphere
//! must import `global-vsphere-credentials` and HCS its identity Secret, Bare Metal none.

use super::describe;
use super::import_common::{config_maps, entries, names, provider_credentials, resource};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Forbidden;

impl Rule for Forbidden {
    describe!(
        "import.forbidden",
        "resources.yaml never imports SeedImages, the registration token Secret, the bootstrap dex.tls or credentials the provider does not need",
        why: "A bootstrap SeedImage builds an ISO that points at the bootstrap environment and is \
              the wrong lifecycle object after handoff; the registration token and the \
              bootstrap dex.tls belong to the temporary KIND host; the final global cluster's \
              dex.tls comes from the installer's certificate flow (seed 000, Step 7). Only the \
              seedimages CRD is imported, so the API type is known. Credentials depend on the \
              provider: vSphere imports global-vsphere-credentials (VSphereCluster \
              identityRef) and HCS its identity Secret, which their clusters need; Bare Metal \
              imports no platform credential.",
        example: "- resource: \"secrets\"\n  names:\n  - \"global-4c4c4544-0042\"   # plan Secrets only\n  method: kubectl",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let needed = provider_credentials(set, context.provider);
        let token_secrets: Vec<String> = set
            .of_kind(set::REGISTRATION)
            .map(|registration| format!("{}-token", registration.name))
            .collect();
        for object in config_maps(set) {
            let Some(entries) = entries(object) else {
                continue;
            };
            for (index, entry) in entries.iter().enumerate() {
                if resource(entry) == "seedimages.elemental.cattle.io" {
                    sink.at(
                        object,
                        entry.pos,
                        format!("data[resources.yaml].resources[{index}]"),
                        "SeedImage objects are imported; the bootstrap ISO must not outlive the bootstrap",
                        "remove this entry (keep only the seedimages CRD in the CRD list)",
                    );
                }
                if resource(entry) != "secrets" {
                    continue;
                }
                for (name, pos) in names(entry) {
                    let reason = if needed.iter().any(|(wanted, _)| wanted == name) {
                        None
                    } else if name == "dex.tls" {
                        Some(
                            "the bootstrap dex.tls (the final one comes from the installer's certificate flow)",
                        )
                    } else if token_secrets.iter().any(|token| token == name)
                        || name.ends_with("-token")
                    {
                        Some("a registration or service-account token Secret")
                    } else if name.contains("registry-auth") || name.contains("credential") {
                        Some(match context.provider {
                            crate::lint::context::Provider::Baremetal => {
                                "a platform credential Secret (Bare Metal imports none)"
                            }
                            _ => {
                                "a platform credential Secret the provider's cluster does not reference"
                            }
                        })
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        sink.at(
                            object,
                            pos,
                            format!("data[resources.yaml].resources[{index}].names"),
                            format!("`{name}` is {reason}"),
                            "import only plan, bootstrap-data and encryption-provider Secrets",
                        );
                    }
                }
            }
        }
    }
}
