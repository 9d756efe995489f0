//! `cpu.isa-level`: Alauda OS and the platform images are built for x86-64-v2. A CPU (or a VM
//! CPU model such as `qemu64`) without it fails at the first boot of the image, long after
//! the installer started.
//!
//! The level is computed twice: from the kernel's cpuinfo flags (what the OS exposes) and,
//! on the live system, from CPUID (what the CPU reports to us). A hypervisor can mask features
//! in either; when they disagree both are reported.

use std::collections::BTreeSet;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::system;

/// The features each level adds, in `/proc/cpuinfo` spelling (`pni` is SSE3, `abm` is LZCNT).
const LEVELS: [(&str, &[&str]); 4] = [
    (
        "v1",
        &[
            "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2", "lm",
        ],
    ),
    (
        "v2",
        &[
            "cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2",
        ],
    ),
    (
        "v3",
        &[
            "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
        ],
    ),
    (
        "v4",
        &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
    ),
];

/// Names people know the v2 features by, for the message.
fn feature_name(flag: &str) -> &str {
    match flag {
        "cx16" => "CMPXCHG16B (cx16)",
        "lahf_lm" => "LAHF/SAHF (lahf_lm)",
        "popcnt" => "POPCNT",
        "pni" => "SSE3 (pni)",
        "ssse3" => "SSSE3",
        "sse4_1" => "SSE4.1",
        "sse4_2" => "SSE4.2",
        other => other,
    }
}

/// The highest level whose features (and all lower levels' features) are present, and the
/// features missing for the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsaLevel {
    pub level: u8,
    pub missing_for_v2: Vec<&'static str>,
}

pub fn isa_level(flags: &BTreeSet<&str>) -> IsaLevel {
    let mut level = 0;
    for (index, (_, features)) in LEVELS.iter().enumerate() {
        if features.iter().all(|feature| flags.contains(feature)) {
            level = index as u8 + 1;
        } else {
            break;
        }
    }
    let missing_for_v2 = LEVELS[..2]
        .iter()
        .flat_map(|(_, features)| features.iter().copied())
        .filter(|feature| !flags.contains(feature))
        .collect();
    IsaLevel {
        level,
        missing_for_v2,
    }
}

pub struct CpuIsaLevel;

impl Check for CpuIsaLevel {
    fn id(&self) -> &'static str {
        "cpu.isa-level"
    }

    fn title(&self) -> &'static str {
        "CPU supports the x86-64-v2 baseline"
    }

    fn hint(&self) -> &'static str {
        "use a CPU with SSE4.2/POPCNT/CMPXCHG16B; for a VM, expose the host CPU to the guest — a \
         named model such as Nehalem or newer, never qemu64/kvm64, or libvirt's `<cpu \
         mode='host-passthrough'/>`"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let cpus = system::cpuinfo(host)?;
        let first = &cpus[0];
        if first.contains_key("CPU implementer") || first.contains_key("Features") {
            return Ok(Outcome::skip(
                "not an x86-64 CPU (the x86-64 levels do not apply)",
            ));
        }
        let kernel_flags = system::cpu_flags(first);
        let kernel = isa_level(&kernel_flags);
        let cpuid = host
            .live_system()
            .and_then(|live| live.cpuid_flags())
            .map(|flags| {
                let set: BTreeSet<&str> = flags.into_iter().collect();
                isa_level(&set)
            });
        let mut observed = format!("x86-64-v{} (cpuinfo flags)", kernel.level);
        if let Some(cpuid) = &cpuid {
            if cpuid.level == kernel.level {
                observed = format!("x86-64-v{} (cpuinfo flags and CPUID agree)", kernel.level);
            } else {
                observed.push_str(&format!(
                    "; CPUID reports x86-64-v{} (a hypervisor or the kernel masks features)",
                    cpuid.level
                ));
            }
        }
        if !kernel.missing_for_v2.is_empty() {
            let missing: Vec<&str> = kernel
                .missing_for_v2
                .iter()
                .map(|flag| feature_name(flag))
                .collect();
            observed.push_str(&format!("; missing for v2: {}", missing.join(", ")));
        }
        let disagree = cpuid
            .as_ref()
            .is_some_and(|cpuid| cpuid.level != kernel.level);
        let below_v2 = kernel.level < 2 || cpuid.as_ref().is_some_and(|cpuid| cpuid.level < 2);
        Ok(Observation::new(observed, "x86-64-v2 or higher")
            .warn_if(disagree)
            .fail_if(below_v2)
            .into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    /// The flags of a `qemu64` guest CPU, as such a VM's /proc/cpuinfo shows them.
    pub const QEMU64_FLAGS: &str = "fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm rep_good nopl cpuid extd_apicid tsc_known_freq pni cx16 x2apic hypervisor lahf_lm cmp_legacy svm 3dnowprefetch vmmcall";

    /// A Skylake server (v4 with AVX-512).
    const SKYLAKE_FLAGS: &str = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch bmi1 hle avx2 smep bmi2 erms invpcid rtm avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec";

    fn cpuinfo(flags: &str) -> String {
        format!(
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: test\nflags\t\t: {flags}\n\n"
        )
    }

    #[test]
    fn qemu64_is_v1_and_names_the_missing_features() {
        let result = Tree::new()
            .file("proc/cpuinfo", &cpuinfo(QEMU64_FLAGS))
            .status(&CpuIsaLevel);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "x86-64-v1 (cpuinfo flags); missing for v2: POPCNT, SSSE3, SSE4.1, SSE4.2"
        );
    }

    #[test]
    fn levels_are_computed_cumulatively() {
        let flags = |text: &'static str| text.split_whitespace().collect::<BTreeSet<_>>();
        assert_eq!(isa_level(&flags(SKYLAKE_FLAGS)).level, 4);
        assert_eq!(isa_level(&flags(QEMU64_FLAGS)).level, 1);
        // AVX-512 without AVX2 is still v2: levels are cumulative.
        let odd = format!(
            "{QEMU64_FLAGS} popcnt ssse3 sse4_1 sse4_2 avx512f avx512bw avx512cd avx512dq avx512vl"
        );
        assert_eq!(isa_level(&odd.split_whitespace().collect()).level, 2);
    }

    #[test]
    fn a_v4_server_passes() {
        let result = Tree::new()
            .file("proc/cpuinfo", &cpuinfo(SKYLAKE_FLAGS))
            .status(&CpuIsaLevel);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "x86-64-v4 (cpuinfo flags)");
    }

    #[test]
    fn aarch64_is_skipped() {
        let kunpeng = "processor\t: 0\nBogoMIPS\t: 200.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma dcpop asimddp asimdfhm\nCPU implementer\t: 0x48\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd01\nCPU revision\t: 0\n\n";
        let result = Tree::new()
            .file("proc/cpuinfo", kunpeng)
            .status(&CpuIsaLevel);
        assert_status(&result, Status::Skip);
    }

    #[test]
    fn on_this_machine_cpuid_and_cpuinfo_are_both_reported() {
        let result = crate::runner::evaluate(&CpuIsaLevel, &Host::live(), &Context::default());
        assert!(
            result.observed.contains("CPUID") || result.observed.contains("agree"),
            "{result:?}"
        );
    }
}
