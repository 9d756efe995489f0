//! `dr.rbac-secrets`: Every host's system-agent holds this Role's token, and the token is
//! synchronised to the standby for failover. Namespace-wide Secret access, or registry,
//! bootstrap, kubeconfig and platform credential Secrets in resourceNames, hand those
//! credentials to every host (seeds 000, 002: "resourceNames must contain only plan Secret
//! names").

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Node;

const ROLE_NAME: &str = "baremetal-system-agent";

pub struct RbacSecrets;

impl Rule for RbacSecrets {
    describe!(
        "dr.rbac-secrets",
        "Role/baremetal-system-agent grants Secrets only by resourceNames, and only plan Secrets",
        why: "Every host's system-agent holds this Role's token, and the token is synchronised \
              to the standby for failover. Namespace-wide Secret access, or registry, bootstrap, \
              kubeconfig and platform credential Secrets in resourceNames, hand those \
              credentials to every host (seeds 000, 002: \"resourceNames must contain only \
              plan Secret names\").",
        example: "rules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  resourceNames: [global-4c4c4544-0042]\n  verbs: [get, watch, update, patch]",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        // Plan Secrets are named after their MachineInventory, so pool members name them.
        let inventories: Vec<&str> = set
            .of_kind(set::POOL)
            .filter_map(|pool| pool.field(&["spec", "machineInventories"]))
            .flat_map(|field| field.node.items())
            .filter_map(|item| item.str().or_else(|| item.get("name").and_then(Node::str)))
            .collect();
        for role in set.of_kind(set::ROLE).filter(|role| role.name == ROLE_NAME) {
            let Some(rules) = role.field(&["rules"]) else {
                continue;
            };
            for (index, rule) in rules.node.items().iter().enumerate() {
                let strings = |key: &str| -> Vec<&str> {
                    rule.get(key)
                        .map(|list| list.items().iter().filter_map(Node::str).collect())
                        .unwrap_or_default()
                };
                let core = strings("apiGroups")
                    .iter()
                    .any(|group| group.is_empty() || *group == "*");
                let secrets = strings("resources")
                    .iter()
                    .any(|resource| *resource == "secrets" || *resource == "*");
                if !core || !secrets {
                    continue;
                }
                let Some(names) = rule
                    .entry("resourceNames")
                    .filter(|entry| !entry.value.items().is_empty())
                else {
                    let pos = rule
                        .entry("resources")
                        .map_or(rule.pos, |entry| entry.key_pos);
                    sink.at(
                        role,
                        pos,
                        format!("rules[{index}].resourceNames"),
                        "Secrets are granted namespace-wide: every host's agent can read every Secret of cpaas-system",
                        "list the plan Secret names in resourceNames",
                    );
                    continue;
                };
                for (position, name) in names.value.items().iter().enumerate() {
                    let Some(text) = name.str() else { continue };
                    let suspicious = [
                        "registry",
                        "bootstrap",
                        "kubeconfig",
                        "token",
                        "credential",
                        "dex.tls",
                        "*",
                    ]
                    .iter()
                    .any(|word| text.contains(word));
                    let unknown = !inventories.is_empty() && !inventories.contains(&text);
                    if suspicious || unknown {
                        sink.at(
                            role,
                            name.pos,
                            format!("rules[{index}].resourceNames[{position}]"),
                            if suspicious {
                                format!("`{text}` is not a plan Secret (registry, bootstrap, kubeconfig or credential)")
                            } else {
                                format!("`{text}` names no MachineInventory of the pools, so it is not a plan Secret")
                            },
                            "keep only plan Secret names (one per MachineInventory)",
                        );
                    }
                }
            }
        }
    }
}
