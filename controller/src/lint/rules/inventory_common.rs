//! Shared by the rules on live objects (`kubectl get … -o yaml`, a `List` with `status`):
//! MachineInventories, their conditions, and the hosts of a fleet report (`--report`) matched
//! to inventory names through the MachineRegistration's `machineName` — elemental's own naming,
//! predicted as `ironprep registration names` does.

use std::collections::HashMap;
use std::net::IpAddr;

use ironprep_schema::HostEntry;

use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Pos;
use crate::registration;

pub(super) const INVENTORY: &str = "MachineInventory";
/// Written on each member inventory by the pool reconciler (seed 001, step 2).
pub(super) const POOL_ANNOTATION: &str = "baremetal.alauda.io/pool";

/// An object as the API server returns it: with `status`. Manifests to apply have none, and the
/// status rules leave them alone.
pub(super) fn live(object: &Object) -> bool {
    object.field(&["status"]).is_some()
}

/// One `status.conditions[]` entry.
pub(super) struct Condition<'a> {
    pub(super) status: &'a str,
    pub(super) reason: &'a str,
    pub(super) message: &'a str,
    pub(super) pos: Pos,
}

impl Condition<'_> {
    /// `False (WaitingForPlan: waiting for plan to be applied)`.
    pub(super) fn describe(&self) -> String {
        match (self.reason.is_empty(), self.message.is_empty()) {
            (true, true) => self.status.to_owned(),
            (false, true) => format!("{} ({})", self.status, self.reason),
            (true, false) => format!("{} ({})", self.status, self.message),
            (false, false) => format!("{} ({}: {})", self.status, self.reason, self.message),
        }
    }
}

pub(super) fn condition<'a>(object: &'a Object, kind: &str) -> Option<Condition<'a>> {
    let conditions = object.field(&["status", "conditions"])?;
    conditions.node.items().iter().find_map(|item| {
        if item.get("type")?.str()? != kind {
            return None;
        }
        let text = |key: &str| item.get(key).and_then(|node| node.str()).unwrap_or("");
        Some(Condition {
            status: text("status"),
            reason: text("reason"),
            message: text("message"),
            pos: item.pos,
        })
    })
}

/// A host of the fleet report under the inventory name it registers as.
pub(super) struct Expected<'a> {
    pub(super) entry: &'a HostEntry,
    pub(super) hostname: &'a str,
}

impl Expected<'_> {
    /// The address ironprep reached the host at, without its port.
    pub(super) fn ip(&self) -> Option<IpAddr> {
        let address = self.entry.address.as_str();
        address
            .parse::<std::net::SocketAddr>()
            .map(|socket| socket.ip())
            .or_else(|_| address.parse::<IpAddr>())
            .ok()
    }

    /// The interface holding that address, from the agent's facts.
    pub(super) fn interface(&self) -> Option<&str> {
        let ip = self.ip()?.to_string();
        self.entry
            .report
            .as_ref()?
            .host
            .addresses
            .iter()
            .find(|address| address.address == ip)
            .map(|address| address.interface.as_str())
    }
}

/// The fleet's hosts by predicted inventory name, from the registration that serves `cluster`
/// (or the only one in the input); `complete` is false when some host's name is unknown.
pub(super) struct Predicted<'a> {
    pub(super) by_name: HashMap<String, Expected<'a>>,
    pub(super) complete: bool,
    pub(super) registration: String,
}

pub(super) fn predicted<'a>(
    set: &Manifests,
    context: &'a Context,
    cluster: Option<&str>,
) -> Option<Predicted<'a>> {
    let fleet = context.fleet.as_deref()?;
    let registrations: Vec<&Object> = set.of_kind(set::REGISTRATION).collect();
    let chosen = registrations
        .iter()
        .find(|object| cluster.is_some() && object.cluster.as_deref() == cluster)
        .or(match registrations.as_slice() {
            [only] => Some(only),
            _ => None,
        })?;
    let registration = registration::registration_of(chosen).ok()?;
    let (hosts, _) = registration::predict(&registration, fleet);
    let mut by_name = HashMap::new();
    let mut complete = true;
    for (host, entry) in hosts.iter().zip(&fleet.hosts) {
        match (&host.name, &entry.report) {
            (Some(name), Some(report)) => {
                by_name.insert(
                    name.clone(),
                    Expected {
                        entry,
                        hostname: &report.host.hostname,
                    },
                );
            }
            _ => complete = false,
        }
    }
    Some(Predicted {
        by_name,
        complete,
        registration: registration.object,
    })
}
