//! `inventory.observed-network`: elemental-register uploads the host's network as the
//! inventory's observedNetwork, and the provider keeps the install-time IP across reprovisions
//! from it (seed 001, "Confirm registration": it must match the host's expected NIC when the
//! IP should survive). With a fleet report (`--report`), the expected NIC is the interface and
//! address ironprep reached the host at.
//!
//! The field's schema is the Alauda provider's (not in upstream elemental-operator at commit
//! 57608bff): the seed places it at `spec.observedNetwork`; `status.observedNetwork` is read
//! too. Any scalar under it that is the expected address (or `address/prefix`) matches.

use super::describe;
use super::inventory_common::{INVENTORY, live, predicted};
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct ObservedNetwork;

const PATHS: [[&str; 2]; 2] = [["spec", "observedNetwork"], ["status", "observedNetwork"]];

impl Rule for ObservedNetwork {
    describe!(
        "inventory.observed-network",
        "with --report, an inventory's observedNetwork holds the address its host was checked at",
        why: "elemental-register uploads the host's network as the inventory's observedNetwork, \
              and the provider keeps the install-time IP across reprovisions from it (seed 001, \
              \"Confirm registration\": it must match the host's expected NIC when the IP should \
              survive). A host that registered from another NIC comes back from a reprovision \
              with another address.",
        example: "spec:\n  observedNetwork:\n    interfaces:\n    - name: eth0\n      addresses: [10.0.0.11/24]",
    );

    fn severity(&self) -> crate::lint::finding::Severity {
        crate::lint::finding::Severity::Warning
    }

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if context.fleet.is_none() {
            return;
        }
        let Some(predicted) = predicted(set, context, None) else {
            return;
        };
        for inventory in set.of_kind(INVENTORY).filter(|object| live(object)) {
            let Some(expected) = predicted.by_name.get(&inventory.name) else {
                continue;
            };
            let Some(ip) = expected.ip() else { continue };
            let Some((path, field)) = PATHS
                .iter()
                .find_map(|path| inventory.field(path).map(|field| (path, field)))
            else {
                continue;
            };
            let wanted = ip.to_string();
            let mut seen = Vec::new();
            let mut trail = Vec::new();
            field.node.walk_scalars(&mut trail, &mut |_, _, scalar| {
                seen.push(scalar.text.clone());
            });
            let matches = seen.iter().any(|value| {
                value == &wanted
                    || value
                        .split_once('/')
                        .is_some_and(|(address, _)| address == wanted)
            });
            if !matches {
                let nic = match expected.interface() {
                    Some(interface) => format!("{wanted} on {interface}"),
                    None => wanted.clone(),
                };
                sink.field(
                    inventory,
                    path,
                    format!(
                        "host {} was checked at {nic}, which observedNetwork does not hold ({})",
                        expected.entry.host,
                        shorten(&seen)
                    ),
                    format!(
                        "boot the live ISO with {nic} up (DHCP, or the NetworkManager setup of \
                         seed 001) and let the host register again"
                    ),
                );
            }
        }
    }
}

fn shorten(values: &[String]) -> String {
    let mut text = values
        .iter()
        .take(6)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > 6 {
        text.push_str(", …");
    }
    if text.is_empty() {
        text.push_str("empty");
    }
    text
}
