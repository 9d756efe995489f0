//! The CPU's own feature bits, read with CPUID, named as `/proc/cpuinfo` names them.
//!
//! A hypervisor can mask features in CPUID, and the kernel can hide flags it does not use; the
//! ISA check reports both sources when they disagree, so this module only translates bits.

/// (leaf, register, bit, cpuinfo flag) for every feature of the x86-64 v1–v4 levels.
#[cfg(target_arch = "x86_64")]
const FEATURE_BITS: &[(u32, Register, u32, &str)] = &[
    (1, Register::Edx, 0, "fpu"),
    (1, Register::Edx, 8, "cx8"),
    (1, Register::Edx, 15, "cmov"),
    (1, Register::Edx, 23, "mmx"),
    (1, Register::Edx, 24, "fxsr"),
    (1, Register::Edx, 25, "sse"),
    (1, Register::Edx, 26, "sse2"),
    (1, Register::Ecx, 0, "pni"),
    (1, Register::Ecx, 9, "ssse3"),
    (1, Register::Ecx, 12, "fma"),
    (1, Register::Ecx, 13, "cx16"),
    (1, Register::Ecx, 19, "sse4_1"),
    (1, Register::Ecx, 20, "sse4_2"),
    (1, Register::Ecx, 22, "movbe"),
    (1, Register::Ecx, 23, "popcnt"),
    (1, Register::Ecx, 26, "xsave"),
    (1, Register::Ecx, 28, "avx"),
    (1, Register::Ecx, 29, "f16c"),
    (7, Register::Ebx, 3, "bmi1"),
    (7, Register::Ebx, 5, "avx2"),
    (7, Register::Ebx, 8, "bmi2"),
    (7, Register::Ebx, 16, "avx512f"),
    (7, Register::Ebx, 17, "avx512dq"),
    (7, Register::Ebx, 28, "avx512cd"),
    (7, Register::Ebx, 30, "avx512bw"),
    (7, Register::Ebx, 31, "avx512vl"),
    (0x8000_0001, Register::Ecx, 0, "lahf_lm"),
    (0x8000_0001, Register::Ecx, 5, "abm"),
    (0x8000_0001, Register::Edx, 11, "syscall"),
    (0x8000_0001, Register::Edx, 29, "lm"),
];

#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum Register {
    Ebx,
    Ecx,
    Edx,
}

/// The feature flags CPUID reports, or `None` on a CPU that is not x86-64.
#[cfg(target_arch = "x86_64")]
pub fn flags() -> Option<Vec<&'static str>> {
    use std::arch::x86_64::{__cpuid, __cpuid_count};

    // CPUID is available on every x86-64 CPU; leaves above the reported maxima return zeros or
    // garbage, so each leaf is only read when its range says it exists.
    let max_basic = __cpuid(0).eax;
    let max_extended = __cpuid(0x8000_0000).eax;
    let mut flags = Vec::new();
    for &(leaf, register, bit, name) in FEATURE_BITS {
        let available = if leaf >= 0x8000_0000 {
            leaf <= max_extended
        } else {
            leaf <= max_basic
        };
        if !available {
            continue;
        }
        let result = if leaf == 7 {
            __cpuid_count(7, 0)
        } else {
            __cpuid(leaf)
        };
        let value = match register {
            Register::Ebx => result.ebx,
            Register::Ecx => result.ecx,
            Register::Edx => result.edx,
        };
        if value & (1 << bit) != 0 {
            flags.push(name);
        }
    }
    Some(flags)
}

#[cfg(not(target_arch = "x86_64"))]
pub fn flags() -> Option<Vec<&'static str>> {
    None
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    #[test]
    fn cpuid_agrees_with_the_standard_library_on_sse2_and_popcnt() {
        let flags = super::flags().unwrap();
        assert!(
            flags.contains(&"sse2"),
            "every x86-64 CPU has SSE2: {flags:?}"
        );
        assert!(flags.contains(&"lm"), "long mode: {flags:?}");
        assert_eq!(
            flags.contains(&"popcnt"),
            std::arch::is_x86_feature_detected!("popcnt")
        );
        assert_eq!(
            flags.contains(&"sse4_2"),
            std::arch::is_x86_feature_detected!("sse4.2")
        );
    }
}
