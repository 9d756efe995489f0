//! Which SMBIOS identity values are a machine's own and which are vendor placeholders. Shared
//! by the agent (read from `/sys/class/dmi/id`) and the controller (read from a BMC), so that a
//! host gets the same verdict on `hw.smbios-identity` whichever way it was checked: elemental
//! names MachineInventories from these values, and placeholders make names collide.

/// Values firmware vendors ship unchanged on every board.
const PLACEHOLDERS: [&str; 14] = [
    "not specified",
    "not applicable",
    "not available",
    "to be filled by o.e.m.",
    "default string",
    "system serial number",
    "none",
    "n/a",
    "unknown",
    "0",
    "123456789",
    "0123456789",
    // The UUID of many AMI-firmware boards (Supermicro, ASRock Rack) left unprogrammed.
    "03000200-0400-0500-0006-000700080009",
    "00020003-0004-0005-0006-000700080009",
];

/// Whether an SMBIOS value (a UUID or a serial number) is a vendor placeholder rather than a
/// machine's own identity: empty, all zeros, all `F`, or a known placeholder text.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_lowercase();
    let digits: String = lower.chars().filter(|c| *c != '-' && *c != ' ').collect();
    digits.is_empty()
        || digits.chars().all(|c| c == '0')
        || digits.chars().all(|c| c == 'f')
        || PLACEHOLDERS.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_real_values() {
        for placeholder in [
            "00000000-0000-0000-0000-000000000000",
            "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
            "Not Specified",
            "To Be Filled By O.E.M.",
            "Default string",
            "System Serial Number",
            "None",
            "0",
            "123456789",
            "03000200-0400-0500-0006-000700080009",
            "  ",
        ] {
            assert!(is_placeholder(placeholder), "{placeholder}");
        }
        for real in [
            "4c4c4544-0042-3510-8052-b4c04f395632",
            "CZ29430F5K",
            "5R2Y9Q2",
            // Supermicro: zeros and the board's MAC, unique per board.
            "00000000-0000-0000-0000-7CC25550A8FF",
        ] {
            assert!(!is_placeholder(real), "{real}");
        }
    }
}
