//! `inventory.ready`: seed 001 ("Confirm registration"): every inventory you intend to use
//! must show Ready=True. The pool counts an inventory that is not Ready as unavailable, and
//! the machine that draws it waits forever; the condition's reason says where the host is
//! stuck (WaitingForPlan: the system-agent never applied its plan).

use super::describe;
use super::inventory_common::{INVENTORY, condition, live};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct Ready;

impl Rule for Ready {
    describe!(
        "inventory.ready",
        "a registered MachineInventory reports Ready=True",
        why: "Seed 001 (\"Confirm registration\"): every inventory you intend to use must show \
              Ready=True. The pool counts an inventory that is not Ready as unavailable, and \
              the machine that draws it waits forever; the condition's reason says where the \
              host is stuck (WaitingForPlan: the system-agent never applied its plan).",
        example: "status:\n  conditions:\n  - type: Ready\n    status: \"True\"\n    reason: PlanSuccessfullyApplied",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for inventory in set.of_kind(INVENTORY).filter(|object| live(object)) {
            match condition(inventory, "Ready") {
                Some(ready) if ready.status == "True" => {}
                Some(ready) => sink.at(
                    inventory,
                    ready.pos,
                    "status.conditions[Ready]",
                    format!("Ready is {}", ready.describe()),
                    "look at the host's console and `journalctl -u elemental-system-agent`; the \
                     plan Secret of the inventory must be applied",
                ),
                None => sink.field(
                    inventory,
                    &["status", "conditions"],
                    "no Ready condition: the operator has not reconciled the inventory",
                    "check that elemental-operator runs: kubectl -n cpaas-system get pods",
                ),
            }
        }
    }
}
