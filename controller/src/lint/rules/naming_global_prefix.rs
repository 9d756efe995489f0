//! `naming.global-prefix`: The DR failover mechanism uses the `global-` prefix to tell the
//! global cluster's own resources apart. A global resource without it is invisible to DR and
//! the standby cluster's machines are deleted at failover: the cluster works until the first
//! failover, then loses its nodes (seed 000, Naming Convention).

use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{CLUSTER_NAMED_KINDS, Manifests, PLATFORM_KINDS};

pub struct GlobalPrefix;

impl Rule for GlobalPrefix {
    describe!(
        "naming.global-prefix",
        "every other global-cluster CAPI, bare-metal and elemental object is named `global-…`",
        why: "The DR failover mechanism uses the `global-` prefix to tell the global cluster's \
              own resources apart. A global resource without it is invisible to DR and the \
              standby cluster's machines are deleted at failover: the cluster works until the \
              first failover, then loses its nodes (seed 000, Naming Convention).",
        example: "kind: MachineInventoryPool\nmetadata:\n  name: global-control-plane-pool",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in prefixed(set).filter(|object| set.is_global(object)) {
            if !object.name.starts_with("global-") {
                sink.field(
                    object,
                    &["metadata", "name"],
                    format!(
                        "`{}` belongs to the global cluster but lacks the `global-` prefix; DR \
                         failover deletes the standby's machines",
                        object.name
                    ),
                    format!(
                        "rename it `global-{}` and update every reference to it",
                        object.name
                    ),
                );
            }
        }
    }
}

fn prefixed(set: &Manifests) -> impl Iterator<Item = &crate::lint::object::Object> {
    set.objects.iter().filter(|object| {
        PLATFORM_KINDS.contains(&object.kind.as_str())
            && !CLUSTER_NAMED_KINDS.contains(&object.kind.as_str())
    })
}
