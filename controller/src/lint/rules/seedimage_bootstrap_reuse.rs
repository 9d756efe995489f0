//! `seedimage.bootstrap-reuse`: A SeedImage built in the bootstrap KIND environment points at
//! the bootstrap registration endpoint, which is gone after handoff (seeds 000, 002: "Do Not
//! Reuse the Bootstrap ISO After Handoff"). New global hosts need a new registration carrying
//! the system-agent URL of the current VIP and a SeedImage built from it on the active global
//! cluster.

use super::describe;
use super::registration_common::AGENT_URL;
use crate::lint::context::{Context, Phase};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct BootstrapReuse;

impl Rule for BootstrapReuse {
    describe!(
        "seedimage.bootstrap-reuse",
        "after handoff, global hosts boot a new SeedImage, not the bootstrap one",
        why: "A SeedImage built in the bootstrap KIND environment points at the bootstrap \
              registration endpoint, which is gone after handoff (seeds 000, 002: \"Do Not \
              Reuse the Bootstrap ISO After Handoff\"). New global hosts need a new registration \
              carrying the system-agent URL of the current VIP and a SeedImage built from it on \
              the active global cluster.",
        example: "kind: SeedImage\nspec:\n  registrationRef:\n    name: global-expansion   # annotated with the VIP's system-agent URL",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if context.phase != Phase::Installed {
            return;
        }
        for object in set
            .of_kind(set::SEED_IMAGE)
            .filter(|object| set.is_global(object))
        {
            let Some(registration) =
                set.follow(object, &["spec", "registrationRef"], set::REGISTRATION)
            else {
                continue;
            };
            if registration.annotation(AGENT_URL).is_none() {
                sink.field(
                    object,
                    &["spec", "registrationRef"],
                    format!(
                        "{} has no system-agent URL: this is the bootstrap ISO, which registers through the gone bootstrap host",
                        registration.label()
                    ),
                    "create a new MachineRegistration with the VIP's system-agent URL and a SeedImage for it",
                );
            }
        }
    }
}
