//! `inventory.plan-secret`: seed 001 ("Confirm registration"): every inventory must have a
//! non-empty status.plan.secretRef.name. The plan Secret is what the host's system-agent
//! watches; without it the provider has nothing to write the reprovision plan to, and the
//! handoff import (seed 000, step 7) lists these Secrets by name.

use super::describe;
use super::inventory_common::{INVENTORY, live};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct PlanSecret;

impl Rule for PlanSecret {
    describe!(
        "inventory.plan-secret",
        "a registered MachineInventory has a plan Secret (status.plan.secretRef.name)",
        why: "Seed 001 (\"Confirm registration\"): every inventory must have a non-empty \
              status.plan.secretRef.name. The plan Secret is what the host's system-agent \
              watches; without it the provider has nothing to write the reprovision plan to, \
              and the handoff import (seed 000, step 7) lists these Secrets by name.",
        example: "status:\n  plan:\n    secretRef:\n      name: global-4c4c4544-0042-3510-8052-b4c04f333731\n      namespace: cpaas-system",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for inventory in set.of_kind(INVENTORY).filter(|object| live(object)) {
            let path = ["status", "plan", "secretRef", "name"];
            if inventory.str(&path).is_none_or(str::is_empty) {
                sink.field(
                    inventory,
                    &path,
                    "no plan Secret: status.plan.secretRef.name is empty",
                    "the operator creates it when the inventory registers; check the \
                     elemental-operator log for PlanCreationFailureReason",
                );
            }
        }
    }
}
