//! `kcp.dr-service-account-key`: For Bare Metal DR the hosts keep the `baremetal-system-agent`
//! token the primary issued; the standby's API server accepts it only when both sides sign and
//! verify ServiceAccount tokens with the same key pair (seed 000, "Prepare Shared
//! ServiceAccount Signing Key"; seed 002, "Shared Token Requirements").

use super::describe;
use super::kcp_common::{baremetal_kcps, extra_arg, extra_arg_field, extra_args_pos};
use crate::lint::context::{Context, Provider};
use crate::lint::finding::Severity;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;
use crate::lint::tree::Node;

const SECRET: &str = "global-sa-signing-key";
const KEY_PATH: &str = "/etc/kubernetes/pki/sa.key";
const PUB_PATH: &str = "/etc/kubernetes/pki/sa.pub";

/// The files the KubeadmControlPlane delivers: path, Secret key, permissions.
const FILES: [(&str, &str, &str); 2] = [(KEY_PATH, "sa.key", "0600"), (PUB_PATH, "sa.pub", "0644")];

/// The flags that point the components at those files: component, flag, value.
const FLAGS: [(&str, &str, &str); 3] = [
    ("apiServer", "service-account-key-file", PUB_PATH),
    ("apiServer", "service-account-signing-key-file", KEY_PATH),
    (
        "controllerManager",
        "service-account-private-key-file",
        KEY_PATH,
    ),
];

pub struct DrServiceAccountKey;

impl Rule for DrServiceAccountKey {
    describe!(
        "kcp.dr-service-account-key",
        "Bare Metal DR: the global KubeadmControlPlane delivers the shared sa.key/sa.pub from global-sa-signing-key and points the API server and controller manager at them",
        why: "Existing hosts keep the baremetal-system-agent token the primary issued; after \
              failover the standby's API server accepts it only if both sides sign and verify \
              ServiceAccount tokens with the same key pair (seed 000, Prepare Shared \
              ServiceAccount Signing Key; seed 002, Shared Token Requirements). Without the \
              files kubeadm generates a new key on each side and every host loses the standby \
              at the first failover. The flags restate kubeadm's default paths; the guide sets \
              them so neither side can drift, and a different path is another key.",
        example: "spec:\n  kubeadmConfigSpec:\n    files:\n    - path: /etc/kubernetes/pki/sa.key\n      owner: root:root\n      permissions: \"0600\"\n      contentFrom:\n        secret:\n          name: global-sa-signing-key\n          key: sa.key\n    - path: /etc/kubernetes/pki/sa.pub\n      owner: root:root\n      permissions: \"0644\"\n      contentFrom:\n        secret:\n          name: global-sa-signing-key\n          key: sa.pub\n    clusterConfiguration:\n      apiServer:\n        extraArgs:\n          service-account-key-file: /etc/kubernetes/pki/sa.pub\n          service-account-signing-key-file: /etc/kubernetes/pki/sa.key\n          service-account-issuer: https://kubernetes.default.svc.cluster.local\n          api-audiences: https://kubernetes.default.svc.cluster.local\n      controllerManager:\n        extraArgs:\n          service-account-private-key-file: /etc/kubernetes/pki/sa.key",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if !context.dr || context.provider != Provider::Baremetal {
            return;
        }
        for object in baremetal_kcps(set).filter(|object| set.is_global(object)) {
            files(object, sink);
            flags(object, sink);
        }
    }
}

fn files(object: &Object, sink: &mut Sink) {
    let files_path = ["spec", "kubeadmConfigSpec", "files"];
    let entries: &[Node] = object
        .field(&files_path)
        .map_or(&[], |field| field.node.items());
    for (path, key, permissions) in FILES {
        let Some((index, file)) = entries
            .iter()
            .enumerate()
            .find(|(_, file)| file.get("path").and_then(Node::str) == Some(path))
        else {
            sink.field(
                object,
                &files_path,
                format!("{path} is not delivered, so kubeadm makes a key of its own on each side"),
                format!(
                    "add a file {path} with `contentFrom: {{secret: {{name: {SECRET}, key: \
                     {key}}}}}` and permissions \"{permissions}\", the same on both sides"
                ),
            );
            continue;
        };
        let field = format!("spec.kubeadmConfigSpec.files[{index}]");
        let secret = file.get("contentFrom").and_then(|from| from.get("secret"));
        let name = secret.and_then(|s| s.get("name")).and_then(Node::str);
        let from_key = secret.and_then(|s| s.get("key")).and_then(Node::str);
        if name.is_none() || from_key != Some(key) {
            sink.at(
                object,
                file.pos,
                format!("{field}.contentFrom.secret"),
                format!(
                    "{path} does not come from the shared Secret's `{key}` (found {})",
                    match (name, from_key) {
                        (Some(name), Some(found)) => format!("Secret {name} key {found}"),
                        _ => "no contentFrom.secret".to_owned(),
                    }
                ),
                format!("`contentFrom: {{secret: {{name: {SECRET}, key: {key}}}}}`"),
            );
        } else if name != Some(SECRET) {
            sink.with(
                Severity::Warning,
                object,
                file.pos,
                format!("{field}.contentFrom.secret.name"),
                format!(
                    "{path} comes from Secret {}, not the guide's {SECRET}; both sides and the \
                     import list must name the same Secret",
                    name.unwrap_or_default()
                ),
                format!("use `name: {SECRET}` on both sides"),
            );
        }
        let found = file.get("permissions").and_then(Node::str);
        if path == KEY_PATH && found != Some(permissions) {
            sink.at(
                object,
                file.pos,
                format!("{field}.permissions"),
                format!(
                    "the private signing key is written with permissions {}",
                    found.map_or_else(|| "left to the default".to_owned(), |p| format!("`{p}`"))
                ),
                "set `permissions: \"0600\"`",
            );
        }
    }
}

fn flags(object: &Object, sink: &mut Sink) {
    for (component, flag, wanted) in FLAGS {
        match extra_arg(object, component, flag) {
            Some((value, _)) if value == wanted => {}
            Some((value, pos)) => sink.at(
                object,
                pos,
                extra_arg_field(component, flag),
                format!("{flag} is {value}: another key than the shared {wanted}"),
                format!("set `{flag}: {wanted}` on both sides"),
            ),
            None => sink.with(
                Severity::Warning,
                object,
                extra_args_pos(object, component),
                extra_arg_field(component, flag),
                format!("{flag} is left to kubeadm's default; the guide pins it to {wanted}"),
                format!("add `{flag}: {wanted}` under {component}.extraArgs"),
            ),
        }
    }
    for flag in ["service-account-issuer", "api-audiences"] {
        if extra_arg(object, "apiServer", flag).is_none() {
            sink.with(
                Severity::Warning,
                object,
                extra_args_pos(object, "apiServer"),
                extra_arg_field("apiServer", flag),
                format!(
                    "{flag} is left to the default; the guide sets it, identical on both sides"
                ),
                format!("add `{flag}: https://kubernetes.default.svc.cluster.local`"),
            );
        }
    }
}
