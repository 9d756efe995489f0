//! `kcp.encryption-file`: For Bare Metal the BaremetalCluster's encryptionProviderConfigRef is
//! the source of truth: the provider injects the file into the control-plane bootstrap data.
//! Adding it to files as well (as vSphere and HCS do) gives two sources that drift, and for DR
//! the standby can no longer decrypt the primary's Secrets (seed 000).

use super::describe;
use super::kcp_common::baremetal_kcps;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct EncryptionFile;

impl Rule for EncryptionFile {
    describe!(
        "kcp.encryption-file",
        "a bare-metal control plane does not deliver /etc/kubernetes/encryption-provider.conf in kubeadmConfigSpec.files",
        why: "For Bare Metal the BaremetalCluster's encryptionProviderConfigRef is the source of \
              truth: the provider injects the file into the control-plane bootstrap data. \
              Adding it to files as well (as vSphere and HCS do) gives two sources that drift, \
              and for DR the standby can no longer decrypt the primary's Secrets (seed 000).",
        example: "kind: BaremetalCluster\nspec:\n  encryptionProviderConfigRef:\n    name: global-encryption-provider-config",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let Some(files) = object.field(&["spec", "kubeadmConfigSpec", "files"]) else {
                continue;
            };
            for (index, file) in files.node.items().iter().enumerate() {
                if let Some(entry) = file.entry("path")
                    && entry.value.str() == Some("/etc/kubernetes/encryption-provider.conf")
                {
                    sink.at(
                        object,
                        entry.key_pos,
                        format!("spec.kubeadmConfigSpec.files[{index}].path"),
                        "encryption-provider.conf is delivered through kubeadmConfigSpec.files",
                        "remove this file entry and reference the Secret from \
                         BaremetalCluster.spec.encryptionProviderConfigRef instead",
                    );
                }
            }
        }
    }
}
