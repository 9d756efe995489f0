//! Hosts seen through their BMC (Redfish), for hosts that have no operating system yet: the
//! hardware facts `ironprep bmc check` reads (they travel in the fleet report as
//! `hosts[].report.host.bmc`, beside the agent-shaped checks), and the report of
//! `ironprep bmc boot`, which boots hosts from the registration ISO.
//!
//! Values are kept as the BMC spelled them (`TPM2_0`, `LinkUp`, `UEFI`): vendors differ, and a
//! person comparing the report with the BMC's own pages must recognise them. Sizes and speeds
//! are integers in the unit named by the field.

use serde::{Deserialize, Serialize};

use crate::HostOutcome;

/// What a BMC knows about one of its systems. A list that could not be read is empty and its
/// resource is named in `unread`; a resource the BMC does not offer is simply absent.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcFacts {
    /// The BMC, as `https://host[:port]` (never with credentials).
    pub url: String,
    /// The Redfish system ID (`System.Embedded.1`, `1`).
    pub system_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// `SerialNumber` as the BMC reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// The SMBIOS System Serial Number the host's firmware will show (what elemental reads):
    /// `SerialNumber`, except on Dell, where SMBIOS carries the Service Tag that Redfish
    /// reports as `SKU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smbios_serial: Option<String>,
    /// `UUID`, as the BMC spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bios_version: Option<String>,
    /// `On`, `Off`, `PoweringOn`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processors: Vec<BmcProcessor>,
    /// `MemorySummary.TotalSystemMemoryGiB`, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    /// `TrustedModules`; `None` when the BMC does not report the property at all (some do
    /// not), which says nothing about whether a TPM is fitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_modules: Option<Vec<BmcTrustedModule>>,
    #[serde(default)]
    pub boot: BmcBoot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_boot: Option<BmcSecureBoot>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nics: Vec<BmcNic>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drives: Vec<BmcDrive>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_media: Vec<BmcVirtualMedia>,
    /// Resources the BMC offers but that could not be read, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<BmcUnread>,
}

impl BmcFacts {
    /// Why a resource (`Processors`, `EthernetInterfaces`, …) could not be read, if it could
    /// not.
    pub fn unread(&self, resource: &str) -> Option<&str> {
        self.unread
            .iter()
            .find(|unread| unread.resource == resource)
            .map(|unread| unread.error.as_str())
    }
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcProcessor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// `CPU`, `GPU`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_type: Option<String>,
    /// `x86-64`, `ARM-A64`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_set: Option<String>,
    /// `ProcessorId.VendorId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// `ProcessorId.EffectiveFamily` as written: decimal (`6`), hex (`0x6`), or an SMBIOS
    /// processor family code instead of the CPUID family (`107` for AMD Zen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_family: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_model: Option<String>,
    /// `ProcessorId.IdentificationRegisters` as written (vendors lay out CPUID.1 EAX
    /// differently).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification_registers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_speed_mhz: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_speed_mhz: Option<u32>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcTrustedModule {
    /// `TPM2_0`, `TPM1_2`, `TCM1_0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// `Status.State`: `Enabled`, `Disabled`, `Absent`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcBoot {
    /// The firmware's boot mode (`UEFI`, `Legacy`), from the best source the BMC offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Where `mode` came from, in words (`BIOS attribute BootMode`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_enabled: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_target: Option<String>,
    /// `BootSourceOverrideTarget@Redfish.AllowableValues`; empty when not advertised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_targets: Vec<String>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcSecureBoot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `Enabled`/`Disabled`: whether the current boot was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_boot: Option<String>,
    /// `SetupMode`, `UserMode`, `DeployedMode`, `AuditMode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcNic {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// `LinkUp`, `LinkDown`, `NoLink`; absent when the BMC does not say (HPE iLO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mbps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcDrive {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `SSD`, `HDD`, `SMR`; absent on some BMCs (Supermicro).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// `NVMe`, `SATA`, `SAS`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_rpm: Option<u64>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcVirtualMedia {
    pub id: String,
    /// The slot's Redfish path, under `Managers/…` or `Systems/…` depending on the vendor.
    pub path: String,
    /// `CD`, `DVD`, `USBStick`, `Floppy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inserted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The `#VirtualMedia.InsertMedia` action's target; absent when the slot offers none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insert_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eject_target: Option<String>,
}

impl BmcVirtualMedia {
    /// A slot that can hold the registration ISO: a CD or DVD drive that can insert media.
    pub fn is_usable_cd(&self) -> bool {
        self.insert_target.is_some()
            && self
                .media_types
                .iter()
                .any(|kind| kind.eq_ignore_ascii_case("CD") || kind.eq_ignore_ascii_case("DVD"))
    }
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcUnread {
    /// The resource (`Processors`, `SecureBoot`, …).
    pub resource: String,
    pub error: String,
}

/// What `ironprep bmc boot --format json` prints.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcBootReport {
    pub schema_version: u32,
    /// Without `--yes`: the plan only; nothing was changed on any BMC.
    pub dry_run: bool,
    /// The ISO URL inserted (absent with `--eject`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso: Option<String>,
    pub duration_ms: u64,
    pub hosts: Vec<BmcBootHost>,
}

impl BmcBootReport {
    /// 1 when a host was refused or an action failed; else 3 when a BMC could not be reached.
    pub fn exit_code(&self) -> crate::ExitCode {
        use crate::ExitCode;
        self.hosts.iter().fold(ExitCode::Success, |code, host| {
            code.merge(match (host.outcome, host.result) {
                (_, BootResult::Refused | BootResult::Failed) => ExitCode::Failed,
                (HostOutcome::Reported, _) => ExitCode::Success,
                _ => ExitCode::Unreachable,
            })
        })
    }
}

/// One system of `ironprep bmc boot`: what was planned and what was done.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcBootHost {
    pub host: String,
    /// The BMC, `https://host[:port]`.
    pub address: String,
    /// The Redfish system ID, when the BMC was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<String>,
    /// Whether the BMC was reached and read (`reported`) or why not.
    pub outcome: HostOutcome,
    pub result: BootResult,
    /// Why the host was refused, failed, or not reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub steps: Vec<BmcBootStep>,
}

/// How a host's boot ended.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootResult {
    /// Dry run: the steps were planned, nothing was sent.
    Planned,
    /// Every step was done (or was already in place).
    Done,
    /// Nothing was sent: the host's state could not be read well enough to act safely.
    Refused,
    /// A step failed; the steps before it were done.
    Failed,
    /// The BMC was not reached (see `outcome`).
    NotReached,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcBootStep {
    pub action: BootAction,
    /// What the step does or did, in words (the image, the slot, the reset type).
    pub detail: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootAction {
    EjectMedia,
    InsertMedia,
    BootOverride,
    PowerOn,
    Reset,
}

impl BootAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BootAction::EjectMedia => "eject-media",
            BootAction::InsertMedia => "insert-media",
            BootAction::BootOverride => "boot-override",
            BootAction::PowerOn => "power-on",
            BootAction::Reset => "reset",
        }
    }
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Planned,
    Done,
    /// Already in place (the ISO already inserted, nothing to eject).
    Skipped,
    Failed,
    /// Not attempted because an earlier step failed.
    NotRun,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(outcome: HostOutcome, result: BootResult) -> BmcBootHost {
        BmcBootHost {
            host: "node-1".to_owned(),
            address: "https://10.0.0.21".to_owned(),
            system_id: Some("1".to_owned()),
            outcome,
            result,
            error: None,
            steps: vec![BmcBootStep {
                action: BootAction::InsertMedia,
                detail: "http://10.0.0.5/seed.iso into CD slot 2".to_owned(),
                status: StepStatus::Planned,
                error: None,
            }],
        }
    }

    fn report(hosts: Vec<BmcBootHost>) -> BmcBootReport {
        BmcBootReport {
            schema_version: crate::SCHEMA_VERSION,
            dry_run: true,
            iso: Some("http://10.0.0.5/seed.iso".to_owned()),
            duration_ms: 3,
            hosts,
        }
    }

    #[test]
    fn boot_exit_codes() {
        use crate::ExitCode;
        let planned = report(vec![host(HostOutcome::Reported, BootResult::Planned)]);
        assert_eq!(planned.exit_code(), ExitCode::Success);
        let down = report(vec![
            host(HostOutcome::Reported, BootResult::Done),
            host(HostOutcome::Unreachable, BootResult::NotReached),
        ]);
        assert_eq!(down.exit_code(), ExitCode::Unreachable);
        let refused = report(vec![
            host(HostOutcome::Timeout, BootResult::NotReached),
            host(HostOutcome::Reported, BootResult::Refused),
        ]);
        assert_eq!(refused.exit_code(), ExitCode::Failed);
    }

    #[test]
    fn boot_report_round_trips_in_kebab_case() {
        let report = report(vec![host(
            HostOutcome::TlsUntrusted,
            BootResult::NotReached,
        )]);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["hosts"][0]["outcome"], "tls-untrusted");
        assert_eq!(json["hosts"][0]["result"], "not-reached");
        assert_eq!(json["hosts"][0]["steps"][0]["action"], "insert-media");
        let back: BmcBootReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn facts_omit_what_is_unknown_and_name_what_was_unread() {
        let facts = BmcFacts {
            url: "https://10.0.0.21".to_owned(),
            system_id: "1".to_owned(),
            unread: vec![BmcUnread {
                resource: "Processors".to_owned(),
                error: "HTTP 500".to_owned(),
            }],
            ..BmcFacts::default()
        };
        let json = serde_json::to_value(&facts).unwrap();
        assert!(json.get("trusted_modules").is_none(), "{json}");
        assert_eq!(facts.unread("Processors"), Some("HTTP 500"));
        assert_eq!(facts.unread("Storage"), None);
        let slot = BmcVirtualMedia {
            id: "2".to_owned(),
            path: "/redfish/v1/Managers/1/VirtualMedia/2".to_owned(),
            media_types: vec!["CD".to_owned(), "DVD".to_owned()],
            insert_target: Some("/x".to_owned()),
            ..BmcVirtualMedia::default()
        };
        assert!(slot.is_usable_cd());
        let usb = BmcVirtualMedia {
            media_types: vec!["USBStick".to_owned()],
            ..slot.clone()
        };
        assert!(!usb.is_usable_cd());
    }
}
