//! `machinedeployment.max-surge`: a bare-metal worker pool holds exactly the hosts the
//! MachineDeployment's replicas need; the provider replaces a worker with delete-then-add from
//! the same pool, never both at once (seed 001, Step 2). A surge waits for a host that does not
//! exist, so the rollout never ends.

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct MaxSurge;

impl Rule for MaxSurge {
    describe!(
        "machinedeployment.max-surge",
        "a bare-metal worker MachineDeployment rolls out without surge (maxSurge: 0, or OnDelete)",
        why: "Seed 001 (Step 2): \"for rolling upgrades the pool must hold the entire replica \
              count — the provider uses delete-then-add semantics from the same pool, never \
              both at once\". Cluster API's default RollingUpdate surges by one machine, which \
              a pool sized to the replicas cannot provide: the upgrade waits forever for a host \
              that does not exist. maxSurge 0 needs maxUnavailable ≥ 1.",
        example: "spec:\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 1",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::MACHINE_DEPLOYMENT).filter(|object| {
            object.str(&["spec", "template", "spec", "infrastructureRef", "kind"])
                == Some(set::BAREMETAL_MACHINE_TEMPLATE)
        }) {
            if object.str(&["spec", "strategy", "type"]) == Some("OnDelete") {
                continue;
            }
            let path = ["spec", "strategy", "rollingUpdate", "maxSurge"];
            let surge = object.field(&path).and_then(|field| field.node.str());
            if matches!(surge, Some("0" | "0%")) {
                let unavailable_path = ["spec", "strategy", "rollingUpdate", "maxUnavailable"];
                let unavailable = object
                    .field(&unavailable_path)
                    .and_then(|field| field.node.str());
                if matches!(unavailable, Some("0" | "0%")) {
                    sink.field(
                        object,
                        &unavailable_path,
                        "maxSurge and maxUnavailable are both 0: Cluster API rejects the \
                         MachineDeployment",
                        "set `maxUnavailable: 1`",
                    );
                }
                continue;
            }
            let message = match surge {
                Some(value) => format!("maxSurge is {value}; the worker pool cannot surge"),
                None => "maxSurge is not set, so Cluster API surges by 1 machine the pool does \
                         not have"
                    .to_owned(),
            };
            sink.field(
                object,
                &path,
                message,
                "set `spec.strategy.rollingUpdate.maxSurge: 0` and `maxUnavailable: 1`",
            );
        }
    }
}
