//! `cpu.cores`: a control-plane node runs etcd, kube-apiserver and the platform's global
//! components; with fewer than 8 CPUs (12 on ARM) they starve each other, etcd misses its
//! heartbeats and leader elections flap under the installer's load.

use std::collections::BTreeSet;

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::hardware::CpuKind;
use crate::host::{Host, HostError};
use crate::system;

/// The guide's x86 minimum.
const X86_MINIMUM: usize = 8;
/// ARM (Kunpeng 920): at least 1.5× the x86 figure, 2× recommended.
const ARM_MINIMUM: usize = 12;
const ARM_RECOMMENDED: usize = 16;

pub struct CpuCores;

impl Check for CpuCores {
    fn id(&self) -> &'static str {
        "cpu.cores"
    }

    fn title(&self) -> &'static str {
        "control plane has at least 8 CPUs (12 on ARM)"
    }

    fn hint(&self) -> &'static str {
        "give the host at least 8 CPUs (ARM: at least 12, 16 recommended); on a hypervisor \
         reserve them for this VM (no CPU overcommit: dedicated or pinned vCPUs)"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane])
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let cpus = system::cpuinfo(host)?;
        let kind = CpuKind::of(&cpus[0]);
        let logical = cpus.len();
        let mut observed = format!(
            "{logical} logical CPU{}",
            if logical == 1 { "" } else { "s" }
        );
        if let Some(topology) = topology(&cpus) {
            observed.push_str(&format!(" ({topology})"));
        }
        if kind.is_arm() {
            observed.push_str(&format!(", {}", kind.describe()));
            return Ok(Observation::new(
                observed,
                format!("≥ {ARM_MINIMUM} on ARM ({ARM_RECOMMENDED} recommended)"),
            )
            .warn_if(logical < ARM_RECOMMENDED)
            .fail_if(logical < ARM_MINIMUM)
            .into());
        }
        Ok(Observation::new(observed, format!("≥ {X86_MINIMUM}"))
            .fail_if(logical < X86_MINIMUM)
            .into())
    }
}

/// "2 sockets, 40 physical cores", from the x86 `physical id` and `core id` fields; `None`
/// where the kernel does not print them (ARM, some hypervisors).
fn topology(cpus: &[system::CpuBlock]) -> Option<String> {
    let mut sockets = BTreeSet::new();
    let mut cores = BTreeSet::new();
    for cpu in cpus {
        let socket = cpu.get("physical id")?;
        let core = cpu.get("core id")?;
        sockets.insert(socket.as_str());
        cores.insert((socket.as_str(), core.as_str()));
    }
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    Some(format!(
        "{}, {}",
        plural(sockets.len(), "socket"),
        plural(cores.len(), "physical core")
    ))
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Status};

    use super::*;
    use crate::hardware::fixtures::{kunpeng_cpuinfo, x86_cpuinfo};
    use crate::testing::{Tree, assert_status, context};

    const XEON: &str = "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz";

    fn run(cpuinfo: &str) -> ironprep_schema::CheckResult {
        Tree::new().file("proc/cpuinfo", cpuinfo).status(&CpuCores)
    }

    #[test]
    fn a_two_socket_server_passes_and_shows_its_topology() {
        let result = run(&x86_cpuinfo(XEON, "2500.000", 2, 20, 2));
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "80 logical CPUs (2 sockets, 40 physical cores)"
        );
    }

    #[test]
    fn hyperthreads_count_as_cpus() {
        let result = run(&x86_cpuinfo(XEON, "2500.000", 1, 4, 2));
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "8 logical CPUs (1 socket, 4 physical cores)"
        );
    }

    #[test]
    fn a_small_vm_fails() {
        let result = run(&x86_cpuinfo("AMD EPYC", "2596.096", 1, 2, 1));
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "2 logical CPUs (1 socket, 2 physical cores)"
        );
        assert_eq!(result.expected, "≥ 8");
    }

    #[test]
    fn a_cpuinfo_without_topology_still_counts() {
        let result = run("processor\t: 0\nmodel name\t: QEMU Virtual CPU version 2.5+\n\n");
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "1 logical CPU");
    }

    #[test]
    fn arm_needs_twelve_and_recommends_sixteen() {
        let cases = [
            (8, Status::Fail),
            (12, Status::Warn),
            (16, Status::Pass),
            (96, Status::Pass),
        ];
        for (count, status) in cases {
            let result = run(&kunpeng_cpuinfo(count));
            assert_status(&result, status);
            assert_eq!(
                result.observed,
                format!("{count} logical CPUs, Kunpeng 920")
            );
        }
    }

    #[test]
    fn workers_are_out_of_scope() {
        let tree = Tree::new().file("proc/cpuinfo", &kunpeng_cpuinfo(2));
        let worker = context(Profile::Immutable, &[Role::Worker], Cni::KubeOvn);
        assert_status(&tree.run(&CpuCores, &worker), Status::Skip);
    }

    #[test]
    fn an_empty_cpuinfo_is_an_error() {
        let result = run("");
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/proc/cpuinfo: no processor entries")
        );
    }
}
