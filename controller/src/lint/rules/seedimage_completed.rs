//! `seedimage.completed`: seed 001 step 1: wait until the SeedImage's status.state reaches
//! Completed, then fetch status.downloadURL and status.checksumURL. Any other state means there
//! is no ISO to boot (the SeedImageReady condition says why); a Completed image whose download
//! URL is gone was cleaned up after cleanupAfterMinutes and must be built again.

use super::describe;
use super::inventory_common::{condition, live};
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct Completed;

impl Rule for Completed {
    describe!(
        "seedimage.completed",
        "a built SeedImage reports state Completed with a download URL",
        why: "Seed 001 step 1: wait until the SeedImage's status.state reaches Completed, then \
              fetch status.downloadURL and status.checksumURL. Any other state means there is no \
              ISO to boot (the SeedImageReady condition says why); a Completed image whose \
              download URL is gone was cleaned up after cleanupAfterMinutes and must be built \
              again.",
        example: "status:\n  state: Completed\n  downloadURL: https://192.168.10.5:12443/elemental/seedimage/…/global-….iso",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for image in set.of_kind(set::SEED_IMAGE).filter(|object| live(object)) {
            let state = image.str(&["status", "state"]).unwrap_or("");
            if state != "Completed" {
                let why = condition(image, "SeedImageReady")
                    .map(|ready| format!("; SeedImageReady is {}", ready.describe()))
                    .unwrap_or_default();
                let shown = if state.is_empty() { "not set" } else { state };
                sink.field(
                    image,
                    &["status", "state"],
                    format!("state is {shown}, not Completed{why}"),
                    "wait for the build (kubectl -n cpaas-system get seedimage NAME -w); on \
                     Failed, read the build pod's log and fix baseImage or the registration",
                );
                continue;
            }
            if image
                .str(&["status", "downloadURL"])
                .is_none_or(str::is_empty)
            {
                sink.with(
                    Severity::Warning,
                    image,
                    image
                        .field(&["status", "state"])
                        .map_or(image.pos, |f| f.pos),
                    "status.downloadURL",
                    "Completed, but the download URL is gone: the image was cleaned up after \
                     cleanupAfterMinutes",
                    "set spec.retriggerBuild: true to build it again",
                );
            }
        }
    }
}
