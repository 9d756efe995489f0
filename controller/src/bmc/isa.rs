//! The x86-64 level of a processor a BMC describes. Redfish gives no CPUID feature flags, only
//! the vendor, family and model, so the level is inferred from the microarchitecture those
//! name, with the table below — kept in this one file, so adding a CPU generation is one line.
//!
//! The numbers need care, because BMCs write them differently:
//! - `EffectiveFamily`/`EffectiveModel` in decimal (Dell: `6`/`106`) or hex (Supermicro:
//!   `0x6`/`0x8F`);
//! - `EffectiveFamily` as the SMBIOS processor-family code instead of the CPUID family (HPE:
//!   `107`, SMBIOS 0x6B "AMD Zen Processor Family", for an EPYC of CPUID family 0x19);
//! - `IdentificationRegisters` as CPUID.1 EAX (Dell: `0x000606A6`), EAX in the low half of 64
//!   bits (Supermicro: `0x20555043000806F8`), or EAX then EDX each written low 16-bit word
//!   first (HPE: `0x0f1100a0fbff178b` is EAX 0x00A00F11).
//!
//! A family that is not a CPUID family of the vendor is not trusted; the registers are decoded
//! instead, and a candidate is taken only when it is a CPUID family of that vendor (and, when
//! the BMC gave one, matches its model).

use std::fmt;

use ironprep_schema::bmc::BmcProcessor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    Intel,
    Amd,
    Hygon,
    Zhaoxin,
}

impl Vendor {
    fn name(self) -> &'static str {
        match self {
            Vendor::Intel => "Intel",
            Vendor::Amd => "AMD",
            Vendor::Hygon => "Hygon",
            Vendor::Zhaoxin => "Zhaoxin",
        }
    }

    /// The CPUID families this vendor's x86-64 processors report.
    fn is_cpuid_family(self, family: u32) -> bool {
        match self {
            Vendor::Intel => matches!(family, 6 | 0xF | 0x13),
            Vendor::Amd => (0xF..=0x1A).contains(&family),
            Vendor::Hygon => family == 0x18,
            Vendor::Zhaoxin => matches!(family, 6 | 7),
        }
    }

    fn of(processor: &BmcProcessor) -> Option<Vendor> {
        let words = [
            processor.vendor_id.as_deref(),
            processor.manufacturer.as_deref(),
        ];
        words.into_iter().flatten().find_map(|word| {
            let lower = word.to_lowercase();
            if lower.contains("intel") {
                Some(Vendor::Intel)
            } else if lower.contains("authenticamd")
                || lower.contains("amd")
                || lower.contains("advanced micro")
            {
                Some(Vendor::Amd)
            } else if lower.contains("hygon") {
                Some(Vendor::Hygon)
            } else if lower.contains("centaur")
                || lower.contains("shanghai")
                || lower.contains("zhaoxin")
            {
                Some(Vendor::Zhaoxin)
            } else {
                None
            }
        })
    }
}

/// A processor's CPUID identity, and which property gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub vendor: Vendor,
    pub family: u32,
    pub model: u32,
    pub source: &'static str,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} family 0x{:X} model 0x{:02X}",
            self.vendor.name(),
            self.family,
            self.model
        )
    }
}

/// What can be said about a processor's level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inference {
    /// `level` is the x86-64 level (0: not even x86-64-v1).
    Known {
        level: u8,
        microarchitecture: &'static str,
        basis: String,
    },
    /// Not an x86-64 processor (ARM, …): the levels do not apply.
    NotX86(String),
    /// The processor could not be placed; the text names what was seen.
    Unknown(String),
}

/// One row: a vendor, a CPUID family, an inclusive model range, the level, the name.
type Row = (Vendor, u32, u32, u32, u8, &'static str);

/// Microarchitectures by CPUID family and model. Levels: v2 adds SSE4.2/POPCNT/CMPXCHG16B/
/// SSSE3/LAHF, v3 AVX2/BMI/FMA/MOVBE, v4 AVX-512 F/BW/CD/DQ/VL (client parts that fuse
/// AVX-512 off are v3).
const TABLE: &[Row] = &[
    // Intel family 6, oldest first.
    (
        Vendor::Intel,
        6,
        0x0F,
        0x0F,
        1,
        "Core 2 (Merom), lacks SSE4.2 and POPCNT",
    ),
    (
        Vendor::Intel,
        6,
        0x16,
        0x17,
        1,
        "Core 2 (Merom-L/Penryn), lacks SSE4.2 and POPCNT",
    ),
    (
        Vendor::Intel,
        6,
        0x1C,
        0x1C,
        1,
        "Atom (Bonnell), lacks SSE4.2 and POPCNT",
    ),
    (
        Vendor::Intel,
        6,
        0x1D,
        0x1D,
        1,
        "Xeon 7400 (Dunnington), lacks SSE4.2 and POPCNT",
    ),
    (Vendor::Intel, 6, 0x1A, 0x1A, 2, "Nehalem-EP"),
    (Vendor::Intel, 6, 0x1E, 0x1F, 2, "Nehalem"),
    (Vendor::Intel, 6, 0x25, 0x25, 2, "Westmere"),
    (
        Vendor::Intel,
        6,
        0x26,
        0x27,
        1,
        "Atom (Bonnell/Saltwell), lacks SSE4.2 and POPCNT",
    ),
    (Vendor::Intel, 6, 0x2A, 0x2A, 2, "Sandy Bridge"),
    (Vendor::Intel, 6, 0x2C, 0x2C, 2, "Westmere-EP"),
    (Vendor::Intel, 6, 0x2D, 0x2D, 2, "Sandy Bridge-EP"),
    (Vendor::Intel, 6, 0x2E, 0x2E, 2, "Nehalem-EX"),
    (Vendor::Intel, 6, 0x2F, 0x2F, 2, "Westmere-EX"),
    (
        Vendor::Intel,
        6,
        0x35,
        0x36,
        1,
        "Atom (Saltwell), lacks SSE4.2 and POPCNT",
    ),
    (Vendor::Intel, 6, 0x37, 0x37, 2, "Atom (Silvermont)"),
    (Vendor::Intel, 6, 0x3A, 0x3A, 2, "Ivy Bridge"),
    (Vendor::Intel, 6, 0x3C, 0x3C, 3, "Haswell"),
    (Vendor::Intel, 6, 0x3D, 0x3D, 3, "Broadwell"),
    (Vendor::Intel, 6, 0x3E, 0x3E, 2, "Ivy Bridge-EP"),
    (Vendor::Intel, 6, 0x3F, 0x3F, 3, "Haswell-EP"),
    (Vendor::Intel, 6, 0x45, 0x46, 3, "Haswell"),
    (Vendor::Intel, 6, 0x47, 0x47, 3, "Broadwell"),
    (Vendor::Intel, 6, 0x4A, 0x4A, 2, "Atom (Silvermont)"),
    (Vendor::Intel, 6, 0x4C, 0x4D, 2, "Atom (Airmont/Silvermont)"),
    (Vendor::Intel, 6, 0x4E, 0x4E, 3, "Skylake"),
    (Vendor::Intel, 6, 0x4F, 0x4F, 3, "Broadwell-EP"),
    (
        Vendor::Intel,
        6,
        0x55,
        0x55,
        4,
        "Skylake-SP/Cascade Lake/Cooper Lake",
    ),
    (Vendor::Intel, 6, 0x56, 0x56, 3, "Broadwell-DE"),
    (
        Vendor::Intel,
        6,
        0x57,
        0x57,
        3,
        "Xeon Phi (Knights Landing)",
    ),
    (Vendor::Intel, 6, 0x5A, 0x5A, 2, "Atom (Silvermont)"),
    (Vendor::Intel, 6, 0x5C, 0x5C, 2, "Atom (Goldmont)"),
    (Vendor::Intel, 6, 0x5D, 0x5D, 2, "Atom (Silvermont)"),
    (Vendor::Intel, 6, 0x5E, 0x5E, 3, "Skylake"),
    (
        Vendor::Intel,
        6,
        0x5F,
        0x5F,
        2,
        "Atom (Goldmont, Denverton)",
    ),
    (Vendor::Intel, 6, 0x6A, 0x6A, 4, "Ice Lake-SP"),
    (Vendor::Intel, 6, 0x6C, 0x6C, 4, "Ice Lake-D"),
    (Vendor::Intel, 6, 0x7A, 0x7A, 2, "Atom (Goldmont Plus)"),
    (Vendor::Intel, 6, 0x7D, 0x7E, 4, "Ice Lake"),
    (Vendor::Intel, 6, 0x85, 0x85, 3, "Xeon Phi (Knights Mill)"),
    (
        Vendor::Intel,
        6,
        0x86,
        0x86,
        2,
        "Atom (Tremont, Snow Ridge)",
    ),
    (Vendor::Intel, 6, 0x8C, 0x8D, 4, "Tiger Lake"),
    (
        Vendor::Intel,
        6,
        0x8E,
        0x8E,
        3,
        "Kaby Lake/Whiskey Lake/Amber Lake",
    ),
    (Vendor::Intel, 6, 0x8F, 0x8F, 4, "Sapphire Rapids"),
    (
        Vendor::Intel,
        6,
        0x96,
        0x96,
        2,
        "Atom (Tremont, Elkhart Lake)",
    ),
    (Vendor::Intel, 6, 0x97, 0x97, 3, "Alder Lake"),
    (Vendor::Intel, 6, 0x9A, 0x9A, 3, "Alder Lake"),
    (
        Vendor::Intel,
        6,
        0x9C,
        0x9C,
        2,
        "Atom (Tremont, Jasper Lake)",
    ),
    (Vendor::Intel, 6, 0x9E, 0x9E, 3, "Kaby Lake/Coffee Lake"),
    (Vendor::Intel, 6, 0xA5, 0xA6, 3, "Comet Lake"),
    (Vendor::Intel, 6, 0xA7, 0xA7, 4, "Rocket Lake"),
    (Vendor::Intel, 6, 0xAA, 0xAC, 3, "Meteor Lake"),
    (Vendor::Intel, 6, 0xAD, 0xAE, 4, "Granite Rapids"),
    (Vendor::Intel, 6, 0xAF, 0xAF, 3, "Sierra Forest"),
    (Vendor::Intel, 6, 0xB6, 0xB6, 3, "Grand Ridge"),
    (Vendor::Intel, 6, 0xB7, 0xB7, 3, "Raptor Lake"),
    (Vendor::Intel, 6, 0xBA, 0xBA, 3, "Raptor Lake"),
    (Vendor::Intel, 6, 0xBD, 0xBD, 3, "Lunar Lake"),
    (Vendor::Intel, 6, 0xBE, 0xBE, 3, "Alder Lake-N"),
    (Vendor::Intel, 6, 0xBF, 0xBF, 3, "Raptor Lake"),
    (Vendor::Intel, 6, 0xC5, 0xC6, 3, "Arrow Lake"),
    (Vendor::Intel, 6, 0xCF, 0xCF, 4, "Emerald Rapids"),
    (Vendor::Intel, 6, 0xDD, 0xDD, 3, "Clearwater Forest"),
    (
        Vendor::Intel,
        0xF,
        0x00,
        0xFF,
        1,
        "NetBurst (Pentium 4/Xeon), lacks SSSE3 and SSE4.2",
    ),
    // AMD, by family.
    (
        Vendor::Amd,
        0xF,
        0x00,
        0xFF,
        1,
        "K8 (Opteron/Athlon 64), lacks SSSE3 and SSE4",
    ),
    (
        Vendor::Amd,
        0x10,
        0x00,
        0xFF,
        1,
        "K10 (Opteron 2300-6100), lacks SSSE3 and SSE4.1/4.2",
    ),
    (
        Vendor::Amd,
        0x11,
        0x00,
        0xFF,
        1,
        "K8/K10 hybrid (Turion), lacks SSSE3 and SSE4",
    ),
    (
        Vendor::Amd,
        0x12,
        0x00,
        0xFF,
        1,
        "K10 (Llano), lacks SSSE3 and SSE4.1/4.2",
    ),
    (Vendor::Amd, 0x14, 0x00, 0xFF, 1, "Bobcat, lacks SSE4.1/4.2"),
    (
        Vendor::Amd,
        0x15,
        0x00,
        0x5F,
        2,
        "Bulldozer/Piledriver/Steamroller (Opteron 6200-6300)",
    ),
    (Vendor::Amd, 0x15, 0x60, 0x7F, 3, "Excavator"),
    (Vendor::Amd, 0x16, 0x00, 0xFF, 2, "Jaguar/Puma"),
    (
        Vendor::Amd,
        0x17,
        0x00,
        0xFF,
        3,
        "Zen/Zen+/Zen 2 (EPYC 7001-7002)",
    ),
    (Vendor::Amd, 0x19, 0x00, 0x0F, 3, "Zen 3 (EPYC 7003 Milan)"),
    (Vendor::Amd, 0x19, 0x10, 0x1F, 4, "Zen 4 (EPYC 9004 Genoa)"),
    (Vendor::Amd, 0x19, 0x20, 0x5F, 3, "Zen 3"),
    (Vendor::Amd, 0x19, 0x60, 0x7F, 4, "Zen 4"),
    (
        Vendor::Amd,
        0x19,
        0xA0,
        0xAF,
        4,
        "Zen 4c (EPYC 9004 Bergamo/8004 Siena)",
    ),
    (Vendor::Amd, 0x1A, 0x00, 0xFF, 4, "Zen 5 (EPYC 9005 Turin)"),
    (Vendor::Hygon, 0x18, 0x00, 0xFF, 3, "Dhyana (Zen)"),
    (
        Vendor::Zhaoxin,
        7,
        0x1B,
        0x1B,
        2,
        "Wudaokou (KX-5000/KH-20000)",
    ),
    (
        Vendor::Zhaoxin,
        7,
        0x3B,
        0x3B,
        3,
        "Lujiazui (KX-6000/KH-30000)",
    ),
];

/// SMBIOS processor-family codes that name a microarchitecture by themselves, for BMCs that
/// write one as `EffectiveFamily` and whose registers do not decode.
const SMBIOS_FAMILIES: &[(Vendor, u32, u8, &str)] =
    &[(Vendor::Amd, 0x6B, 3, "AMD Zen processor family")];

/// The level of one processor, with what it was inferred from.
pub fn infer(processor: &BmcProcessor) -> Inference {
    let described = describe(processor);
    if let Some(set) = &processor.instruction_set
        && !set.to_lowercase().starts_with("x86")
    {
        return Inference::NotX86(format!("{described} has instruction set {set}"));
    }
    let Some(vendor) = Vendor::of(processor) else {
        return Inference::Unknown(format!(
            "{described}: the vendor ({}) is not one ironprep knows",
            processor
                .vendor_id
                .as_deref()
                .or(processor.manufacturer.as_deref())
                .unwrap_or("not reported")
        ));
    };
    let Some(identity) = identify(vendor, processor) else {
        if let Some(family) = processor.effective_family.as_deref().and_then(number)
            && let Some((_, code, level, name)) = SMBIOS_FAMILIES
                .iter()
                .find(|(known, code, _, _)| *known == vendor && *code == family)
        {
            return Inference::Known {
                level: *level,
                microarchitecture: name,
                basis: format!("SMBIOS processor family 0x{code:X} in ProcessorId.EffectiveFamily"),
            };
        }
        return Inference::Unknown(format!(
            "{described}: no CPUID family/model could be read (EffectiveFamily {}, \
             EffectiveModel {}, IdentificationRegisters {})",
            processor.effective_family.as_deref().unwrap_or("absent"),
            processor.effective_model.as_deref().unwrap_or("absent"),
            processor
                .identification_registers
                .as_deref()
                .unwrap_or("absent")
        ));
    };
    match TABLE.iter().find(|(known, family, low, high, _, _)| {
        *known == identity.vendor
            && *family == identity.family
            && (*low..=*high).contains(&identity.model)
    }) {
        Some((_, _, _, _, level, name)) => Inference::Known {
            level: *level,
            microarchitecture: name,
            basis: format!("{identity}, from {}", identity.source),
        },
        None => Inference::Unknown(format!(
            "{described}: {identity} is not in ironprep's table of microarchitectures"
        )),
    }
}

fn describe(processor: &BmcProcessor) -> String {
    match &processor.model {
        Some(model) => format!("'{model}'"),
        None => format!("processor {}", processor.id),
    }
}

/// The CPUID family and model, from the effective values when they are CPUID values of the
/// vendor, else from the identification registers.
pub fn identify(vendor: Vendor, processor: &BmcProcessor) -> Option<Identity> {
    let family = processor.effective_family.as_deref().and_then(number);
    let model = processor.effective_model.as_deref().and_then(number);
    if let (Some(family), Some(model)) = (family, model)
        && vendor.is_cpuid_family(family)
        && model <= 0xFF
    {
        return Some(Identity {
            vendor,
            family,
            model,
            source: "ProcessorId.EffectiveFamily/EffectiveModel",
        });
    }
    let registers = processor.identification_registers.as_deref()?;
    eax_candidates(registers)
        .into_iter()
        .map(decode_eax)
        .filter(|(family, _)| vendor.is_cpuid_family(*family))
        .min_by_key(|(_, decoded)| model.is_some_and(|model| model != *decoded))
        .map(|(family, model)| Identity {
            vendor,
            family,
            model,
            source: "ProcessorId.IdentificationRegisters (CPUID.1 EAX)",
        })
}

/// `0x8F`, `143`: hex with its prefix, else decimal.
fn number(text: &str) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The ways vendors lay CPUID.1 EAX into `IdentificationRegisters`.
fn eax_candidates(registers: &str) -> Vec<u32> {
    let digits = registers.trim();
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(digits);
    let Ok(value) = u64::from_str_radix(digits, 16) else {
        return Vec::new();
    };
    let swap_words = |register: u32| register.rotate_left(16);
    let low = value as u32;
    let high = (value >> 32) as u32;
    if digits.len() <= 8 {
        vec![low]
    } else {
        vec![low, high, swap_words(high), swap_words(low)]
    }
}

/// Family and model as the CPU reports them (the extended fields count only for base family
/// 0xF, and the extended model for base families 6 and 0xF).
fn decode_eax(eax: u32) -> (u32, u32) {
    let base_family = (eax >> 8) & 0xF;
    let base_model = (eax >> 4) & 0xF;
    let family = if base_family == 0xF {
        base_family + ((eax >> 20) & 0xFF)
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xF {
        (((eax >> 16) & 0xF) << 4) | base_model
    } else {
        base_model
    };
    (family, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processor(vendor: &str, family: &str, model: &str, registers: &str) -> BmcProcessor {
        BmcProcessor {
            id: "CPU.1".to_owned(),
            model: Some("test CPU".to_owned()),
            instruction_set: Some("x86-64".to_owned()),
            vendor_id: Some(vendor.to_owned()),
            effective_family: Some(family.to_owned()).filter(|text| !text.is_empty()),
            effective_model: Some(model.to_owned()).filter(|text| !text.is_empty()),
            identification_registers: Some(registers.to_owned()).filter(|text| !text.is_empty()),
            ..BmcProcessor::default()
        }
    }

    fn level(processor: &BmcProcessor) -> (u8, String) {
        match infer(processor) {
            Inference::Known {
                level,
                microarchitecture,
                basis,
            } => (level, format!("{microarchitecture}; {basis}")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_three_captured_servers() {
        // Dell R750: decimal family and model.
        let dell = processor("GenuineIntel", "6", "106", "0x000606A6");
        assert_eq!(
            level(&dell),
            (
                4,
                "Ice Lake-SP; Intel family 0x6 model 0x6A, from \
                 ProcessorId.EffectiveFamily/EffectiveModel"
                    .to_owned()
            )
        );
        // Supermicro: hex.
        let supermicro = processor("GenuineIntel", "0x6", "0x8F", "0x20555043000806F8");
        assert_eq!(level(&supermicro).0, 4);
        assert!(level(&supermicro).1.starts_with("Sapphire Rapids"));
        // HPE: SMBIOS family 107 and word-swapped registers: CPUID family 0x19 model 0x01.
        let hpe = processor(
            "Advanced Micro Devices, Inc.",
            "107",
            "1",
            "0x0f1100a0fbff178b",
        );
        assert_eq!(
            level(&hpe),
            (
                3,
                "Zen 3 (EPYC 7003 Milan); AMD family 0x19 model 0x01, from \
                 ProcessorId.IdentificationRegisters (CPUID.1 EAX)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn an_smbios_family_without_registers_still_tells() {
        let zen = processor("AuthenticAMD", "107", "1", "");
        assert_eq!(level(&zen).0, 3);
        assert!(level(&zen).1.contains("SMBIOS processor family 0x6B"));
    }

    #[test]
    fn old_cpus_are_below_v2() {
        let penryn = processor("GenuineIntel", "6", "23", "0x00010676");
        assert_eq!(level(&penryn).0, 1);
        let opteron = processor("AuthenticAMD", "0x10", "0x4", "");
        assert_eq!(level(&opteron).0, 1);
        let netburst = processor("GenuineIntel", "", "", "0x00000F41");
        assert_eq!(level(&netburst).0, 1);
    }

    #[test]
    fn unknown_models_are_named() {
        let future = processor("GenuineIntel", "6", "0xFE", "");
        let Inference::Unknown(text) = infer(&future) else {
            panic!()
        };
        assert_eq!(
            text,
            "'test CPU': Intel family 0x6 model 0xFE is not in ironprep's table of \
             microarchitectures"
        );
        let nothing = processor("GenuineIntel", "", "", "");
        assert!(matches!(infer(&nothing), Inference::Unknown(_)));
        let mut stranger = processor("VIA", "6", "15", "");
        stranger.manufacturer = None;
        let Inference::Unknown(text) = infer(&stranger) else {
            panic!()
        };
        assert!(
            text.contains("the vendor (VIA) is not one ironprep knows"),
            "{text}"
        );
    }

    #[test]
    fn arm_is_not_x86() {
        let mut kunpeng = processor("HiSilicon", "", "", "");
        kunpeng.instruction_set = Some("ARM-A64".to_owned());
        assert!(matches!(infer(&kunpeng), Inference::NotX86(_)));
    }

    #[test]
    fn eax_decoding() {
        assert_eq!(decode_eax(0x000606A6), (6, 0x6A));
        assert_eq!(decode_eax(0x000806F8), (6, 0x8F));
        assert_eq!(decode_eax(0x00A00F11), (0x19, 0x01));
        assert_eq!(decode_eax(0x00800F12), (0x17, 0x01));
        assert_eq!(eax_candidates("0x0f1100a0fbff178b")[2], 0x00A00F11);
        assert!(eax_candidates("not hex").is_empty());
    }

    #[test]
    fn the_table_has_no_overlaps() {
        for (index, row) in TABLE.iter().enumerate() {
            assert!(row.2 <= row.3, "{row:?}");
            for other in &TABLE[index + 1..] {
                let overlap =
                    row.0 == other.0 && row.1 == other.1 && row.2 <= other.3 && other.2 <= row.3;
                assert!(!overlap, "{row:?} overlaps {other:?}");
            }
        }
    }
}
