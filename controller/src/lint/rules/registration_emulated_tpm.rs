//! `registration.emulated-tpm`: Production hosts keep a real TPM (seed 001, TPM Decision). With
//! emulation, a fixed seed (the client default is 1) gives every host the same emulated EK,
//! hence the same tpmHash: hosts overwrite each other's inventory. `-1` derives the seed from
//! the SMBIOS UUID.

use super::describe;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct EmulatedTpm;

impl Rule for EmulatedTpm {
    describe!(
        "registration.emulated-tpm",
        "TPM emulation is for PoC only, and then uses `emulated-tpm-seed: -1`",
        why: "Production hosts keep a real TPM (seed 001, TPM Decision). With emulation, a fixed \
              seed (the client default is 1) gives every host the same emulated EK, hence the \
              same tpmHash: hosts overwrite each other's inventory. `-1` derives the seed from \
              the SMBIOS UUID.",
        example: "spec:\n  config:\n    elemental:\n      registration:\n        emulate-tpm: true      # PoC and VMs only\n        emulated-tpm-seed: -1",
    );

    fn severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let base = ["spec", "config", "elemental", "registration"];
        for object in set.of_kind(set::REGISTRATION) {
            let emulate = [&base[..], &["emulate-tpm"]].concat();
            if object.field(&emulate).and_then(|field| field.node.bool()) != Some(true) {
                continue;
            }
            sink.field(
                object,
                &emulate,
                "emulate-tpm is on: registration is not bound to the host's TPM (PoC only)",
                "remove emulate-tpm for production hardware with a TPM",
            );
            let seed_path = [&base[..], &["emulated-tpm-seed"]].concat();
            let seed = object.field(&seed_path).and_then(|field| field.node.int());
            if seed != Some(-1) {
                let pos = object
                    .field(&seed_path)
                    .map_or_else(|| object.nearest(&seed_path), |field| field.pos);
                sink.with(
                    Severity::Error,
                    object,
                    pos,
                    "spec.config.elemental.registration.emulated-tpm-seed",
                    match seed {
                        Some(seed) => format!(
                            "emulated-tpm-seed {seed} gives every host the same TPM identity"
                        ),
                        None => {
                            "emulated-tpm-seed is not set: every host gets the same TPM identity"
                                .to_owned()
                        }
                    },
                    "set `emulated-tpm-seed: -1`",
                );
            }
        }
    }
}
