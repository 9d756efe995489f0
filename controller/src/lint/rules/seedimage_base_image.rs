//! `seedimage.base-image`: SeedImage.spec.baseImage is derived from the elemental-image-catalog
//! entry of the target Kubernetes version: the catalog repository plus `-iso`, with the same
//! tag or digest (seed 001). Another image boots an OS that does not match what reprovision
//! installs, or is not an ISO at all and the build fails.

use super::describe;
use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct BaseImage;

impl Rule for BaseImage {
    describe!(
        "seedimage.base-image",
        "baseImage is the catalog image of the target version with `-iso` appended to the repository, same tag",
        why: "SeedImage.spec.baseImage is derived from the elemental-image-catalog entry of the \
              target Kubernetes version: the catalog repository plus `-iso`, with the same tag or \
              digest (seed 001). Another image boots an OS that does not match what reprovision \
              installs, or is not an ISO at all and the build fails.",
        example: "spec:\n  baseImage: 192.168.10.5:11443/tkestack/baremetal-base-image-iso:v0.0.0-beta-1.33.7-2",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::SEED_IMAGE) {
            let path = ["spec", "baseImage"];
            let Some(image) = object.str(&path) else {
                sink.field(
                    object,
                    &path,
                    "no baseImage",
                    "set baseImage to the catalog image with `-iso` appended",
                );
                continue;
            };
            if image.contains(['<', '$']) || image.starts_with("http") {
                continue;
            }
            let (repository, reference) = split_image(image);
            if !repository.ends_with("-iso") {
                sink.field(
                    object,
                    &path,
                    format!("`{image}` is not an ISO image: its repository does not end in `-iso`"),
                    "append `-iso` to the catalog image's repository, keeping the tag",
                );
                continue;
            }
            let Some(version) =
                target_version(set, object).filter(|version| !version.contains(['<', '$']))
            else {
                continue;
            };
            let Some(catalog) = &context.catalog else {
                sink.missing_context(
                    object,
                    "spec.baseImage",
                    "the image catalog (--image-catalog or the elemental-image-catalog ConfigMap)",
                );
                continue;
            };
            let Some(catalog_image) = catalog.image(version) else {
                continue;
            };
            let (catalog_repository, catalog_reference) = split_image(catalog_image);
            if repository != format!("{catalog_repository}-iso") || reference != catalog_reference {
                sink.field(
                    object,
                    &path,
                    format!(
                        "`{image}` does not match the catalog entry {version} → {catalog_image}"
                    ),
                    format!("use `<registry>/{catalog_repository}-iso{catalog_reference}`"),
                );
            }
        }
    }
}

/// `registry/path/repo:tag` or `…@sha256:…` split into the repository without its registry
/// host, and the tag or digest with its separator.
fn split_image(image: &str) -> (&str, &str) {
    let (name, reference) = match image.find('@') {
        Some(at) => image.split_at(at),
        None => match image.rfind(':') {
            Some(colon) if !image[colon..].contains('/') => image.split_at(colon),
            _ => (image, ""),
        },
    };
    let repository = match name.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => name,
    };
    (repository, reference)
}

/// The Kubernetes version the SeedImage's cluster targets.
fn target_version<'a>(set: &'a Manifests, seed: &Object) -> Option<&'a str> {
    let mut kcps = set.of_kind(set::KCP);
    let owned = seed.cluster.as_ref().and_then(|cluster| {
        set.of_kind(set::KCP)
            .find(|kcp| kcp.cluster.as_ref() == Some(cluster))
    });
    owned
        .or_else(|| {
            if set.count(set::KCP) == 1 {
                kcps.next()
            } else {
                None
            }
        })
        .and_then(|kcp| kcp.str(&["spec", "version"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split() {
        assert_eq!(
            split_image("10.0.0.1:11443/tkestack/base:v1"),
            ("tkestack/base", ":v1")
        );
        assert_eq!(
            split_image("tkestack/base@sha256:ab"),
            ("tkestack/base", "@sha256:ab")
        );
        assert_eq!(split_image("registry.local/a/b-iso"), ("a/b-iso", ""));
    }
}
