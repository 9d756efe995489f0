//! `baremetalcluster.encryption-secret`: Primary and standby must share the apiserver
//! encryption configuration, or the standby cannot decrypt Secrets written on the primary. For
//! Bare Metal the BaremetalCluster's encryptionProviderConfigRef is the source of truth; the
//! Secret must be in cpaas-system with the key encryption-provider.conf (seed 000).

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct EncryptionSecret;

impl Rule for EncryptionSecret {
    describe!(
        "baremetalcluster.encryption-secret",
        "for DR, encryptionProviderConfigRef names a Secret with key encryption-provider.conf",
        why: "Primary and standby must share the apiserver encryption configuration, or the \
              standby cannot decrypt Secrets written on the primary. For Bare Metal the \
              BaremetalCluster's encryptionProviderConfigRef is the source of truth; the Secret \
              must be in cpaas-system with the key encryption-provider.conf (seed 000).",
        example: "spec:\n  encryptionProviderConfigRef:\n    name: global-encryption-provider-config",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = ["spec", "encryptionProviderConfigRef", "name"];
            let Some(name) = object.str(&path) else {
                if context.dr && set.is_global(object) {
                    sink.field(
                        object,
                        &path,
                        "DR needs an encryptionProviderConfigRef shared by primary and standby",
                        "create the Secret with key encryption-provider.conf and reference it here",
                    );
                }
                continue;
            };
            let Some(secret) = set.resolve(object, set::SECRET, name, "") else {
                continue;
            };
            let has_key = ["data", "stringData"]
                .iter()
                .any(|data| secret.field(&[data, "encryption-provider.conf"]).is_some());
            if !has_key {
                sink.field(
                    secret,
                    &["data"],
                    format!("Secret {name} has no key encryption-provider.conf"),
                    "create it with `--from-file=encryption-provider.conf=…`",
                );
            }
        }
    }
}
