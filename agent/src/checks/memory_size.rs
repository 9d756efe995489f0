//! `memory.size`: a node runs its share of the platform — etcd, the API server and the global
//! components on the control plane, the platform's and the applications' pods on workers;
//! below the sizing guide's memory they are OOM-killed under ordinary load and the cluster
//! becomes unstable.

use ironprep_schema::Role;

use crate::check::{Check, Context, Outcome, Scope};
use crate::hardware::CpuKind;
use crate::host::{Host, HostError};
use crate::sizing;
use crate::system;

/// MemTotal is the installed RAM minus what firmware, the kernel image and reservations such
/// as crashkernel take before the kernel counts it: a 16 GiB machine shows about 15.5 GiB.
/// Requiring 95% of the nominal size accepts every such machine and still refuses a 15 GiB VM.
/// Memory is sold in binary units, so "16 GB" is 16 GiB of DIMMs (or of VM memory).
const MEMTOTAL_SHARE_PERCENT: u64 = 95;

pub struct MemorySize;

impl Check for MemorySize {
    fn id(&self) -> &'static str {
        "memory.size"
    }

    fn title(&self) -> &'static str {
        "the node has the memory the sizing guide asks for its role (control plane 16 GB, worker 24 GB)"
    }

    fn hint(&self) -> &'static str {
        "give the node the memory of its role (control plane ≥ 16 GB, 32 GB recommended; worker \
         ≥ 24 GB, 48 GB recommended; single-node PoC ≥ 32 GB; ARM: 1.5× the minimum, 2× \
         recommended), without memory overcommit or ballooning on the hypervisor"
    }

    fn explain(&self) -> &'static str {
        "Seed 004's sizing tables: a control-plane node needs at least 16 GB (32 GB \
         recommended), a worker node 24 GB (48 GB recommended), the single-node PoC 32 GB \
         (--topology single-node); a node with both roles needs the larger. Below the minimum \
         fails, below the recommended tier warns. ARM (Kunpeng 920) needs at least 1.5 times \
         the x86 minimum and twice it recommended. MemTotal must reach 95% of the figure \
         (firmware and the kernel keep the rest). The guide also asks for no memory \
         overcommit, which a guest cannot see from inside: a hypervisor guest gets a warning \
         to reserve its memory."
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane, Role::Worker])
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let total = system::memory(host)?.total_bytes;
        let cpus = system::cpuinfo(host)?;
        let kind = CpuKind::of(&cpus[0]);
        let Some(requirement) = sizing::requirement(context, kind.is_arm()) else {
            return Ok(Outcome::skip("neither a control-plane nor a worker node"));
        };
        let mut observed = format!("{} (MemTotal)", system::gib(total));
        if kind.is_arm() {
            observed.push_str(&format!(", {}", kind.describe()));
        }
        let guest = sizing::hypervisor(host, &cpus)?;
        let minimum = required_memtotal(requirement.minimum.memory_gb);
        let below = (
            total < minimum,
            total < required_memtotal(requirement.recommended.memory_gb),
        );
        let observation = sizing::judge(
            sizing::Resource::Memory,
            &requirement,
            below,
            observed,
            &format!("; MemTotal ≥ {}", system::gib(minimum)),
            guest.as_deref(),
        );
        Ok(observation.into())
    }
}

/// The MemTotal a machine with `gigabytes` of RAM shows at least.
fn required_memtotal(gigabytes: u64) -> u64 {
    (gigabytes << 30) / 100 * MEMTOTAL_SHARE_PERCENT
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    const X86_CPUINFO: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\
        model\t\t: 85\nmodel name\t: Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz\n\
        flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep\n\n";

    const KUNPENG_CPUINFO: &str = "processor\t: 0\nBogoMIPS\t: 200.00\n\
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid\n\
        CPU implementer\t: 0x48\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd01\n\
        CPU revision\t: 0\n\n";

    fn meminfo(total_kib: u64) -> String {
        format!(
            "MemTotal:       {total_kib} kB\nMemFree:         1203344 kB\n\
             MemAvailable:   9829220 kB\nBuffers:            2104 kB\n\
             SwapTotal:             0 kB\nSwapFree:              0 kB\n"
        )
    }

    fn check(cpuinfo: &str, total_kib: u64) -> ironprep_schema::CheckResult {
        Tree::new()
            .file("proc/cpuinfo", cpuinfo)
            .file("proc/meminfo", &meminfo(total_kib))
            .status(&MemorySize)
    }

    #[test]
    fn a_16_gib_machine_meets_the_minimum_despite_reservations() {
        // A 16 GiB RHEL 8 machine with crashkernel=auto: the minimum, not the recommended tier.
        let result = check(X86_CPUINFO, 16_252_928);
        assert_status(&result, Status::Warn);
        assert_eq!(result.observed, "15.5 GiB (MemTotal)");
        assert_eq!(
            result.expected,
            "≥ 16 GB for a control-plane node (32 GB recommended); MemTotal ≥ 15.2 GiB"
        );
        assert_eq!(
            result.hint,
            "meets the minimum; the guide recommends 32 GB for a control-plane node"
        );
        assert_status(&check(X86_CPUINFO, 32_653_312), Status::Pass);
    }

    #[test]
    fn workers_need_24_gb_and_the_poc_32() {
        let tree = Tree::new()
            .file("proc/cpuinfo", X86_CPUINFO)
            .file("proc/meminfo", &meminfo(20 * 1024 * 1024));
        let worker = tree.run(
            &MemorySize,
            &context(Profile::Traditional, &[Role::Worker], Cni::KubeOvn),
        );
        assert_status(&worker, Status::Fail);
        assert_eq!(
            worker.expected,
            "≥ 24 GB for a worker node (48 GB recommended); MemTotal ≥ 22.8 GiB"
        );
        let poc = Context {
            topology: crate::check::Topology::SingleNode,
            ..Context::default()
        };
        let big = Tree::new()
            .file("proc/cpuinfo", X86_CPUINFO)
            .file("proc/meminfo", &meminfo(32_653_312));
        assert_status(&big.run(&MemorySize, &poc), Status::Pass);
        assert_status(&tree.run(&MemorySize, &poc), Status::Fail);
    }

    #[test]
    fn a_guest_gets_the_overcommit_advisory() {
        let result = Tree::new()
            .file(
                "proc/cpuinfo",
                &X86_CPUINFO.replace("sep\n", "sep hypervisor\n"),
            )
            .file("proc/meminfo", &meminfo(65_741_208))
            .file("sys/class/dmi/id/sys_vendor", "QEMU\n")
            .status(&MemorySize);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "62.7 GiB (MemTotal); a QEMU/KVM guest: reserve this memory on the host, the guide \
             allows no memory overcommit"
        );
    }

    #[test]
    fn an_8_gib_machine_fails() {
        let result = check(X86_CPUINFO, 8_008_328);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "7.6 GiB (MemTotal)");
    }

    #[test]
    fn a_15_gib_vm_fails() {
        let result = check(X86_CPUINFO, 15 * 1024 * 1024 - 200_000);
        assert_status(&result, Status::Fail);
    }

    #[test]
    fn kunpeng_needs_24_and_recommends_32() {
        let small = check(KUNPENG_CPUINFO, 16_252_928);
        assert_status(&small, Status::Fail);
        assert_eq!(small.observed, "15.5 GiB (MemTotal), Kunpeng 920");
        assert_eq!(
            small.expected,
            "≥ 24 GB for a control-plane node on ARM (32 GB recommended); MemTotal ≥ 22.8 GiB"
        );
        assert_status(&check(KUNPENG_CPUINFO, 24_522_752), Status::Warn);
        assert_status(&check(KUNPENG_CPUINFO, 32_653_312), Status::Pass);
    }

    #[test]
    fn installer_only_hosts_are_out_of_scope() {
        let result = Tree::new().run(
            &MemorySize,
            &context(Profile::Immutable, &[Role::Installer], Cni::KubeOvn),
        );
        assert_status(&result, Status::Skip);
    }

    #[test]
    fn malformed_meminfo_is_an_error_naming_it() {
        let result = Tree::new()
            .file("proc/cpuinfo", X86_CPUINFO)
            .file("proc/meminfo", "MemTotal: lots\nSwapTotal: 0 kB\n")
            .status(&MemorySize);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/proc/meminfo: malformed MemTotal value 'lots'")
        );
    }
}
