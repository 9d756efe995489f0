//! `registration.machine-name`: Every host registering through the ISO gets the
//! MachineInventory named by this template. A fixed name makes all hosts but the first loop on
//! `websocket: close 1006`; serial numbers are unreliable (duplicated on cloned VMs and cheap
//! boards), so the seed builds names from the SMBIOS UUID. Inventories belong to the cluster
//! and follow its prefix, which DR relies on for the global cluster.

use super::describe;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct MachineName;

impl Rule for MachineName {
    describe!(
        "registration.machine-name",
        "machineName is built from `${System Information/UUID}` and carries the cluster prefix",
        why: "Every host registering through the ISO gets the MachineInventory named by this \
              template. A fixed name makes all hosts but the first loop on `websocket: close \
              1006`; serial numbers are unreliable (duplicated on cloned VMs and cheap boards), \
              so the seed builds names from the SMBIOS UUID. Inventories belong to the cluster \
              and follow its prefix, which DR relies on for the global cluster.",
        example: "spec:\n  machineName: \"global-${System Information/UUID}\"",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::REGISTRATION) {
            let path = ["spec", "machineName"];
            let Some(name) = object.str(&path) else {
                sink.with(
                    Severity::Warning,
                    object,
                    object.nearest(&path),
                    "spec.machineName",
                    "no machineName: inventories get random `m-<uuid>` names without the cluster prefix",
                    "set `machineName: \"<cluster>-${System Information/UUID}\"`",
                );
                continue;
            };
            if !name.contains("${") {
                sink.field(
                    object,
                    &path,
                    format!(
                        "machineName `{name}` is the same for every host; only the first registers"
                    ),
                    "set `machineName: \"<cluster>-${System Information/UUID}\"`",
                );
                continue;
            }
            if !name.contains("${System Information/UUID}") {
                sink.with(
                    Severity::Warning,
                    object,
                    object.field(&path).map_or(object.pos, |field| field.pos),
                    "spec.machineName",
                    format!("machineName `{name}` is not built from the SMBIOS UUID; serial numbers and hostnames repeat"),
                    "use `${System Information/UUID}` in machineName",
                );
            }
            if let Some(cluster) = object.cluster.as_deref()
                && !name.contains(['<'])
                && !name.starts_with(&format!("{cluster}-"))
            {
                let severity = if cluster == set::GLOBAL {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                sink.with(
                    severity,
                    object,
                    object.field(&path).map_or(object.pos, |field| field.pos),
                    "spec.machineName",
                    format!(
                        "inventory names `{name}` lack the `{cluster}-` prefix of their cluster"
                    ),
                    format!("start machineName with `{cluster}-`"),
                );
            }
        }
    }
}
