//! `memory.size`: a control-plane node runs etcd, the API server and the platform's own
//! components; below the sizing guide's minimum they are OOM-killed under ordinary load and
//! the global cluster becomes unstable.

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::system;

/// The sizing guide's minimum for x86 control-plane nodes, in GB of installed RAM. Memory is
/// sold in binary units, so "16 GB" is 16 GiB of DIMMs (or of VM memory).
const X86_MINIMUM_GB: u64 = 16;

/// ARM (Kunpeng 920) needs 1.5× the x86 figures at least, 2× recommended.
const ARM_MINIMUM_GB: u64 = 24;
const ARM_RECOMMENDED_GB: u64 = 32;

/// MemTotal is the installed RAM minus what firmware, the kernel image and reservations such
/// as crashkernel take before the kernel counts it: a 16 GiB machine shows about 15.5 GiB.
/// Requiring 95% of the nominal size accepts every such machine and still refuses a 15 GiB VM.
const MEMTOTAL_SHARE_PERCENT: u64 = 95;

pub struct MemorySize;

impl Check for MemorySize {
    fn id(&self) -> &'static str {
        "memory.size"
    }

    fn title(&self) -> &'static str {
        "control-plane memory is at least 16 GB (24 GB on ARM)"
    }

    fn hint(&self) -> &'static str {
        "give the node at least 16 GB of RAM (ARM/Kunpeng 920: at least 24 GB, 32 GB \
         recommended), without memory overcommit on the hypervisor"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane])
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let total = system::memory(host)?.total_bytes;
        let cpus = system::cpuinfo(host)?;
        let arm = cpus.first().and_then(arm_cpu);
        let (minimum, recommended) = match arm {
            Some(_) => (ARM_MINIMUM_GB, ARM_RECOMMENDED_GB),
            None => (X86_MINIMUM_GB, X86_MINIMUM_GB),
        };
        let mut observed = format!("{} (MemTotal)", system::gib(total));
        if let Some(cpu) = arm {
            observed.push_str(&format!(", {cpu}"));
        }
        let expected = match arm {
            Some(_) => format!(
                "≥ {minimum} GB on ARM ({recommended} GB recommended); MemTotal ≥ {}",
                system::gib(required_memtotal(minimum))
            ),
            None => format!(
                "≥ {minimum} GB; MemTotal ≥ {}",
                system::gib(required_memtotal(minimum))
            ),
        };
        Ok(Observation::new(observed, expected)
            .warn_if(total < required_memtotal(recommended))
            .fail_if(total < required_memtotal(minimum))
            .into())
    }
}

/// The MemTotal a machine with `gigabytes` of RAM shows at least.
fn required_memtotal(gigabytes: u64) -> u64 {
    (gigabytes << 30) / 100 * MEMTOTAL_SHARE_PERCENT
}

/// The CPU in words when it is an ARM one (aarch64 cpuinfo has `CPU implementer`, x86 does not).
fn arm_cpu(block: &system::CpuBlock) -> Option<&'static str> {
    let implementer = block.get("CPU implementer")?;
    let part = block.get("CPU part").map(String::as_str);
    // HiSilicon (0x48) part 0xd01 is the TaiShan v110 core of the Kunpeng 920.
    Some(if implementer == "0x48" && part == Some("0xd01") {
        "ARM (Kunpeng 920)"
    } else {
        "ARM"
    })
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
    fn a_16_gib_machine_passes_despite_reservations() {
        // A 16 GiB RHEL 8 VM with crashkernel=auto.
        let result = check(X86_CPUINFO, 16_252_928);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "15.5 GiB (MemTotal)");
        assert_eq!(result.expected, "≥ 16 GB; MemTotal ≥ 15.2 GiB");
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
        assert_eq!(small.observed, "15.5 GiB (MemTotal), ARM (Kunpeng 920)");
        assert_eq!(
            small.expected,
            "≥ 24 GB on ARM (32 GB recommended); MemTotal ≥ 22.8 GiB"
        );
        assert_status(&check(KUNPENG_CPUINFO, 24_522_752), Status::Warn);
        assert_status(&check(KUNPENG_CPUINFO, 32_653_312), Status::Pass);
    }

    #[test]
    fn workers_are_out_of_scope() {
        let result = Tree::new().run(
            &MemorySize,
            &context(Profile::Immutable, &[Role::Worker], Cni::KubeOvn),
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
