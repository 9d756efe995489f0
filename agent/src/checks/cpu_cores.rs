//! `cpu.cores`: a node runs its share of the platform — etcd, kube-apiserver and the global
//! components on the control plane, the platform's and the applications' pods on workers;
//! below the sizing guide's cores they starve each other, etcd misses its heartbeats and
//! leader elections flap under the installer's load. The guide counts cores, so physical
//! cores are counted where hyperthreads can be told apart.

use ironprep_schema::Role;

use crate::check::{Check, Context, Outcome, Scope};
use crate::hardware::CpuKind;
use crate::host::{Host, HostError};
use crate::sizing;
use crate::system;

pub struct CpuCores;

impl Check for CpuCores {
    fn id(&self) -> &'static str {
        "cpu.cores"
    }

    fn title(&self) -> &'static str {
        "the node has the cores the sizing guide asks for its role (control plane 8, worker 12)"
    }

    fn hint(&self) -> &'static str {
        "give the node the cores of its role (control plane ≥ 8, 16 recommended; worker ≥ 12, \
         24 recommended; single-node PoC ≥ 16; ARM: 1.5× the minimum, 2× recommended); on a \
         hypervisor reserve them for this VM (no CPU overcommit: dedicated or pinned vCPUs)"
    }

    fn explain(&self) -> &'static str {
        "Seed 004's sizing tables: a control-plane node needs at least 8 cores (16 \
         recommended), a worker node 12 (24 recommended), the single-node PoC 16 \
         (--topology single-node); a node with both roles needs the larger. Below the \
         minimum fails, below the recommended tier warns. ARM (Kunpeng 920) needs at least \
         1.5 times the x86 minimum and twice it recommended. The guide says cores, so \
         hyperthreads do not count: physical cores are counted from cpuinfo's physical \
         id/core id (or sysfs' thread siblings), and the observation says what was counted. \
         The guide also asks for no CPU overcommit, which a guest cannot see from inside: a \
         hypervisor guest gets a warning to reserve its vCPUs. Installer-only hosts are not \
         sized here (disk.free covers them)."
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane, Role::Worker])
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let cpus = system::cpuinfo(host)?;
        let kind = CpuKind::of(&cpus[0]);
        let Some(requirement) = sizing::requirement(context, kind.is_arm()) else {
            return Ok(Outcome::skip("neither a control-plane nor a worker node"));
        };
        let cores = sizing::cores(host, &cpus, kind)?;
        let mut observed = format!(
            "{} logical CPU{} ({})",
            cores.logical,
            if cores.logical == 1 { "" } else { "s" },
            cores.how
        );
        if kind.is_arm() {
            observed.push_str(&format!(", {}", kind.describe()));
        }
        let guest = sizing::hypervisor(host, &cpus)?;
        let below = (
            cores.counted < requirement.minimum.cores,
            cores.counted < requirement.recommended.cores,
        );
        let observation = sizing::judge(
            sizing::Resource::Cores,
            &requirement,
            below,
            observed,
            "",
            guest.as_deref(),
        );
        Ok(observation.into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Status};

    use super::*;
    use crate::check::Topology;
    use crate::hardware::fixtures::{kunpeng_cpuinfo, x86_cpuinfo};
    use crate::testing::{Tree, assert_status, context};

    const XEON: &str = "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz";

    fn run(cpuinfo: &str) -> ironprep_schema::CheckResult {
        Tree::new().file("proc/cpuinfo", cpuinfo).status(&CpuCores)
    }

    fn as_role(role: Role) -> Context {
        context(Profile::Traditional, &[role], Cni::KubeOvn)
    }

    #[test]
    fn a_two_socket_server_passes_and_shows_what_it_counted() {
        let result = run(&x86_cpuinfo(XEON, "2500.000", 2, 20, 2));
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "80 logical CPUs (2 sockets, 40 physical cores counted)"
        );
        assert_eq!(
            result.expected,
            "≥ 8 cores for a control-plane node (16 cores recommended)"
        );
    }

    #[test]
    fn hyperthreads_are_not_cores() {
        // 4 cores with 2 threads each: 8 logical CPUs, but the guide's 8 cores are not there.
        let result = run(&x86_cpuinfo(XEON, "2500.000", 1, 4, 2));
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "8 logical CPUs (1 socket, 4 physical cores counted)"
        );
    }

    #[test]
    fn the_minimum_passes_with_a_warning_below_the_recommended_tier() {
        let result = run(&x86_cpuinfo(XEON, "2500.000", 1, 8, 2));
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.hint,
            "meets the minimum; the guide recommends 16 cores for a control-plane node"
        );
    }

    #[test]
    fn workers_need_twelve_cores_and_are_no_longer_skipped() {
        let tree = Tree::new().file("proc/cpuinfo", &x86_cpuinfo(XEON, "2500.000", 1, 10, 2));
        let worker = tree.run(&CpuCores, &as_role(Role::Worker));
        assert_status(&worker, Status::Fail);
        assert_eq!(
            worker.expected,
            "≥ 12 cores for a worker node (24 cores recommended)"
        );
        assert_status(
            &tree.run(&CpuCores, &as_role(Role::ControlPlane)),
            Status::Warn,
        );
        let big = Tree::new().file("proc/cpuinfo", &x86_cpuinfo(XEON, "2500.000", 2, 12, 2));
        assert_status(&big.run(&CpuCores, &as_role(Role::Worker)), Status::Pass);
    }

    #[test]
    fn the_single_node_poc_needs_sixteen_cores() {
        let tree = Tree::new().file("proc/cpuinfo", &x86_cpuinfo(XEON, "2500.000", 1, 12, 2));
        let poc = Context {
            topology: Topology::SingleNode,
            ..Context::default()
        };
        let result = tree.run(&CpuCores, &poc);
        assert_status(&result, Status::Fail);
        assert_eq!(result.expected, "≥ 16 cores for a single-node PoC");
    }

    #[test]
    fn a_cpuinfo_without_topology_counts_thread_siblings_or_says_it_could_not() {
        let qemu = "processor\t: 0\nmodel name\t: QEMU Virtual CPU version 2.5+\n\n";
        assert_eq!(
            run(qemu).observed,
            "1 logical CPU (topology unknown: logical CPUs counted)"
        );
        let smt: String = (0..16)
            .map(|n| format!("processor\t: {n}\nmodel name\t: Some CPU\n\n"))
            .collect();
        let result = Tree::new()
            .file("proc/cpuinfo", &smt)
            .file(
                "sys/devices/system/cpu/cpu0/topology/thread_siblings_list",
                "0,8\n",
            )
            .status(&CpuCores);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "16 logical CPUs (2 threads per core: 8 physical cores counted)"
        );
    }

    #[test]
    fn a_guest_gets_the_overcommit_advisory() {
        let cpuinfo =
            x86_cpuinfo(XEON, "2500.000", 2, 12, 1).replace("lahf_lm", "lahf_lm hypervisor");
        let result = Tree::new()
            .file("proc/cpuinfo", &cpuinfo)
            .file("sys/class/dmi/id/sys_vendor", "VMware, Inc.\n")
            .file("sys/class/dmi/id/product_name", "VMware Virtual Platform\n")
            .status(&CpuCores);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "24 logical CPUs (2 sockets, 24 physical cores counted); a VMware guest: reserve \
             these vCPUs on the host, the guide allows no CPU overcommit"
        );
        assert!(
            result.hint.starts_with("reserve the VM's vCPUs"),
            "{}",
            result.hint
        );
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
                format!(
                    "{count} logical CPUs (no SMT on Kunpeng 920: {count} cores counted), \
                     Kunpeng 920"
                )
            );
        }
    }

    #[test]
    fn installer_only_hosts_are_out_of_scope() {
        let tree = Tree::new().file("proc/cpuinfo", &kunpeng_cpuinfo(2));
        let installer = context(Profile::Immutable, &[Role::Installer], Cni::KubeOvn);
        assert_status(&tree.run(&CpuCores, &installer), Status::Skip);
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
