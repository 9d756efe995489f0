//! The sizing guide on a live host, shared by `cpu.cores` and `memory.size`: the figures by
//! role and scenario (`ironprep_schema::sizing`, shared with the BMC checks), how many physical
//! cores a host has, and whether it is a hypervisor guest whose CPUs and memory may be
//! overcommitted.

use ironprep_schema::Role;

use crate::check::{Context, Observation, Topology};
use crate::hardware::CpuKind;
use crate::host::{Host, HostError};
use crate::system::CpuBlock;

pub use ironprep_schema::sizing::{Requirement, Tier};

/// The requirement for this host's roles and scenario; `None` for a host that is neither a
/// control-plane nor a worker node (an installer host alone).
pub fn requirement(context: &Context, arm: bool) -> Option<Requirement> {
    ironprep_schema::sizing::requirement(
        context.has_role(Role::ControlPlane),
        context.has_role(Role::Worker),
        context.topology == Topology::SingleNode,
        arm,
    )
}

/// What is sized: the cores or the memory, with the words of the observation and the fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cores,
    Memory,
}

impl Resource {
    fn amount(self, tier: Tier) -> String {
        match self {
            Resource::Cores => format!("{} cores", tier.cores),
            Resource::Memory => format!("{} GB", tier.memory_gb),
        }
    }

    fn guest_note(self, hypervisor: &str) -> String {
        // "an OpenStack guest", "a VMware guest": the name decides the article.
        let article = match hypervisor.chars().next() {
            Some('A' | 'E' | 'I' | 'O' | 'U' | 'a' | 'e' | 'i' | 'o' | 'u') => "an",
            _ => "a",
        };
        match self {
            Resource::Cores => format!(
                "; {article} {hypervisor} guest: reserve these vCPUs on the host, the guide \
                 allows no CPU overcommit"
            ),
            Resource::Memory => format!(
                "; {article} {hypervisor} guest: reserve this memory on the host, the guide \
                 allows no memory overcommit"
            ),
        }
    }

    fn reserve(self) -> (&'static str, &'static str) {
        match self {
            Resource::Cores => (
                ", and reserved vCPUs (no CPU overcommit)",
                "reserve the VM's vCPUs on the hypervisor (CPU reservation or pinning, no \
                 overcommit), as the sizing guide asks",
            ),
            Resource::Memory => (
                ", reserved on the hypervisor (no memory overcommit)",
                "reserve the VM's memory on the hypervisor (full reservation, no ballooning or \
                 overcommit), as the sizing guide asks",
            ),
        }
    }
}

/// The verdict on one resource: below the minimum fails, below the recommended tier warns,
/// and a hypervisor guest gets the guide's no-overcommit advisory (a guest cannot see
/// overcommit from inside). `observed` and `expected_suffix` frame what the check saw.
pub fn judge(
    resource: Resource,
    requirement: &Requirement,
    below: (bool, bool),
    observed: String,
    expected_suffix: &str,
    guest: Option<&str>,
) -> Observation {
    let (below_minimum, below_recommended) = below;
    let mut observed = observed;
    if let Some(hypervisor) = guest {
        observed.push_str(&resource.guest_note(hypervisor));
    }
    let expected = format!(
        "{}{expected_suffix}",
        requirement.describe(|tier| resource.amount(tier))
    );
    let mut observation = Observation::new(observed, expected)
        .warn_if(below_recommended || guest.is_some())
        .fail_if(below_minimum);
    let (reserved, reserve_hint) = resource.reserve();
    if !below_minimum && below_recommended {
        observation = observation.with_hint(format!(
            "meets the minimum; the guide recommends {} for a {}{}",
            resource.amount(requirement.recommended),
            requirement.basis,
            if guest.is_some() { reserved } else { "" }
        ));
    } else if !below_minimum && guest.is_some() {
        observation = observation.with_hint(reserve_hint);
    }
    observation
}

/// How the cores were counted, for the observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cores {
    pub logical: usize,
    pub counted: usize,
    /// `2 sockets, 40 physical cores counted`, `no SMT on Kunpeng 920: 32 cores counted`.
    pub how: String,
}

/// The cores the guide means: physical cores where the topology tells them apart from
/// hyperthreads (x86 `physical id`/`core id`, or sysfs' thread siblings of cpu0), else the
/// logical CPUs, saying so.
pub fn cores(host: &Host, cpus: &[CpuBlock], kind: CpuKind) -> Result<Cores, HostError> {
    let logical = cpus.len();
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let mut sockets = std::collections::BTreeSet::new();
    let mut pairs = std::collections::BTreeSet::new();
    let topology_known =
        cpus.iter()
            .all(|cpu| match (cpu.get("physical id"), cpu.get("core id")) {
                (Some(socket), Some(core)) => {
                    sockets.insert(socket.as_str());
                    pairs.insert((socket.as_str(), core.as_str()));
                    true
                }
                _ => false,
            });
    if topology_known {
        return Ok(Cores {
            logical,
            counted: pairs.len(),
            how: format!(
                "{}, {} counted",
                plural(sockets.len(), "socket"),
                plural(pairs.len(), "physical core")
            ),
        });
    }
    if kind == CpuKind::Kunpeng920 {
        // The Kunpeng 920's TaiShan v110 cores run one thread each.
        return Ok(Cores {
            logical,
            counted: logical,
            how: format!("no SMT on Kunpeng 920: {} counted", plural(logical, "core")),
        });
    }
    let siblings = host
        .read_optional("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")?
        .map(|text| thread_count(text.trim()));
    Ok(match siblings {
        Some(Some(threads)) if threads > 0 => {
            let counted = logical / threads;
            Cores {
                logical,
                counted,
                how: format!(
                    "{threads} thread{} per core: {} counted",
                    if threads == 1 { "" } else { "s" },
                    plural(counted, "physical core")
                ),
            }
        }
        _ => Cores {
            logical,
            counted: logical,
            how: "topology unknown: logical CPUs counted".to_owned(),
        },
    })
}

/// Entries of a CPU list such as `0,40` or `0-1`.
fn thread_count(list: &str) -> Option<usize> {
    let mut count = 0;
    for part in list.split(',').filter(|part| !part.is_empty()) {
        count += match part.split_once('-') {
            Some((first, last)) => {
                let (first, last): (usize, usize) = (first.parse().ok()?, last.parse().ok()?);
                last.checked_sub(first)? + 1
            }
            None => {
                part.parse::<usize>().ok()?;
                1
            }
        };
    }
    Some(count)
}

/// The hypervisor this host runs under, when it is a guest: the `hypervisor` CPU flag (x86
/// guests), named from the DMI vendor and product where they say which.
pub fn hypervisor(host: &Host, cpus: &[CpuBlock]) -> Result<Option<String>, HostError> {
    let flagged = cpus.first().is_some_and(|cpu| {
        cpu.get("flags")
            .is_some_and(|flags| flags.split_whitespace().any(|flag| flag == "hypervisor"))
    });
    let dmi = |file: &str| -> Result<String, HostError> {
        Ok(host
            .read_optional(&format!("/sys/class/dmi/id/{file}"))?
            .map(|text| text.trim().to_owned())
            .unwrap_or_default())
    };
    let vendor = dmi("sys_vendor")?;
    let product = dmi("product_name")?;
    const KNOWN: [(&str, &str, &str); 12] = [
        ("VMware", "", "VMware"),
        ("QEMU", "", "QEMU/KVM"),
        ("", "KVM", "KVM"),
        ("innotek", "", "VirtualBox"),
        ("Microsoft Corporation", "Virtual Machine", "Hyper-V"),
        ("Xen", "", "Xen"),
        ("", "HVM domU", "Xen"),
        ("Nutanix", "", "Nutanix AHV"),
        ("OpenStack", "", "OpenStack"),
        ("Amazon EC2", "", "Amazon EC2"),
        ("Parallels", "", "Parallels"),
        ("Alibaba Cloud", "", "Alibaba Cloud ECS"),
    ];
    let named = KNOWN.iter().find(|(vendor_part, product_part, _)| {
        (vendor_part.is_empty() || vendor.contains(vendor_part))
            && (product_part.is_empty() || product.contains(product_part))
    });
    Ok(match (named, flagged) {
        (Some((_, _, name)), _) => Some((*name).to_owned()),
        // Flagged by CPUID but unnamed: "a hypervisor guest".
        (None, true) => Some("hypervisor".to_owned()),
        (None, false) => None,
    })
}

#[cfg(test)]
mod tests {
    use ironprep_schema::sizing::{CONTROL_PLANE, SINGLE_NODE, WORKER};
    use ironprep_schema::{Cni, Profile};

    #[test]
    fn the_guest_note_reads_as_english_whatever_the_hypervisor() {
        assert!(
            Resource::Cores
                .guest_note("hypervisor")
                .starts_with("; a hypervisor guest:")
        );
        assert!(
            Resource::Memory
                .guest_note("OpenStack")
                .starts_with("; an OpenStack guest:")
        );
        assert!(
            Resource::Memory
                .guest_note("Amazon EC2")
                .starts_with("; an Amazon EC2 guest:")
        );
        assert!(
            Resource::Cores
                .guest_note("VMware")
                .starts_with("; a VMware guest:")
        );
    }

    use super::*;
    use crate::testing::{Tree, context};

    #[test]
    fn requirements_by_role_and_scenario() {
        let roles = |roles: &[Role]| context(Profile::Traditional, roles, Cni::KubeOvn);
        let control_plane = requirement(&roles(&[Role::ControlPlane]), false).unwrap();
        assert_eq!(
            (control_plane.minimum, control_plane.recommended),
            (CONTROL_PLANE.0, CONTROL_PLANE.1)
        );
        let worker = requirement(&roles(&[Role::Worker]), false).unwrap();
        assert_eq!(
            (worker.minimum.cores, worker.recommended.memory_gb),
            (12, 48)
        );
        let both = requirement(&roles(&[Role::Worker, Role::ControlPlane]), false).unwrap();
        assert_eq!(both.minimum, WORKER.0);
        assert!(requirement(&roles(&[Role::Installer]), false).is_none());
        let single = Context {
            topology: Topology::SingleNode,
            ..roles(&[Role::Installer])
        };
        let poc = requirement(&single, false).unwrap();
        assert_eq!((poc.minimum, poc.recommended), (SINGLE_NODE, SINGLE_NODE));
        assert_eq!(
            poc.describe(|tier| format!("{} cores", tier.cores)),
            "≥ 16 cores for a single-node PoC"
        );
    }

    #[test]
    fn arm_needs_one_and_a_half_times_and_recommends_twice_the_minimum() {
        let roles = |roles: &[Role]| context(Profile::Traditional, roles, Cni::KubeOvn);
        // The guide's own example: x86 8 cores 16 GB → ARM 12/24 minimum, 16/32 recommended.
        let control_plane = requirement(&roles(&[Role::ControlPlane]), true).unwrap();
        assert_eq!(
            (control_plane.minimum, control_plane.recommended),
            (
                Tier {
                    cores: 12,
                    memory_gb: 24
                },
                Tier {
                    cores: 16,
                    memory_gb: 32
                }
            )
        );
        let worker = requirement(&roles(&[Role::Worker]), true).unwrap();
        assert_eq!(
            (
                worker.minimum.cores,
                worker.minimum.memory_gb,
                worker.recommended.cores
            ),
            (18, 36, 24)
        );
        assert_eq!(
            worker.describe(|tier| format!("{} cores", tier.cores)),
            "≥ 18 cores for a worker node on ARM (24 cores recommended)"
        );
    }

    #[test]
    fn thread_siblings_lists() {
        assert_eq!(thread_count("0,40"), Some(2));
        assert_eq!(thread_count("0-1"), Some(2));
        assert_eq!(thread_count("5"), Some(1));
        assert_eq!(thread_count("x"), None);
        assert_eq!(thread_count("3-1"), None);
    }

    #[test]
    fn guests_are_named_from_dmi_or_the_cpu_flag() {
        let block = |flags: &str| {
            let tree = Tree::new().file(
                "proc/cpuinfo",
                &format!("processor\t: 0\nflags\t\t: fpu {flags}\n\n"),
            );
            crate::system::cpuinfo(&tree.host()).unwrap()
        };
        let vmware = Tree::new()
            .file("sys/class/dmi/id/sys_vendor", "VMware, Inc.\n")
            .file("sys/class/dmi/id/product_name", "VMware Virtual Platform\n");
        assert_eq!(
            hypervisor(&vmware.host(), &block("hypervisor"))
                .unwrap()
                .as_deref(),
            Some("VMware")
        );
        let bare = Tree::new().file("sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
        assert_eq!(hypervisor(&bare.host(), &block("lm")).unwrap(), None);
        assert_eq!(
            hypervisor(&Tree::new().host(), &block("hypervisor"))
                .unwrap()
                .as_deref(),
            Some("hypervisor")
        );
        // ARM guests have no such flag; DMI tells.
        let arm = Tree::new()
            .file("sys/class/dmi/id/sys_vendor", "QEMU\n")
            .file("sys/class/dmi/id/product_name", "KVM Virtual Machine\n");
        assert_eq!(
            hypervisor(&arm.host(), &block("")).unwrap().as_deref(),
            Some("QEMU/KVM")
        );
    }
}
