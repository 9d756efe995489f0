//! The Redfish resources `ironprep bmc` reads and writes, as typed structs holding only the
//! properties it uses. Real BMCs are loose with the schema (a number written as a string,
//! `null` where an object belongs, properties missing), so every property is optional and
//! read leniently: a property of an unexpected type is treated as absent instead of failing
//! the whole resource. The checks see these types (through `facts`), never raw JSON.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

/// A property that is absent when missing, `null` or of an unexpected type.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// Text that some BMCs write as a number (`"EffectiveFamily": 6`).
fn lenient_text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => Some(text),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    })
}

/// A count or size that some BMCs write as a string (`"SpeedMbps": "1000"`) or a float.
fn lenient_number<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    let number = match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    Ok(number.filter(|number: &f64| number.is_finite() && *number >= 0.0))
}

/// Collection members and link lists, keeping the entries that are links.
fn lenient_links<'de, D>(deserializer: D) -> Result<Vec<Link>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| Link::deserialize(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

fn lenient_strings<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| match item {
                serde_json::Value::String(text) => Some(text),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// `{"@odata.id": "/redfish/v1/…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Link {
    #[serde(rename = "@odata.id")]
    pub id: String,
}

/// An action's `target`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ActionTarget {
    #[serde(default, deserialize_with = "lenient")]
    pub target: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ServiceRoot {
    #[serde(rename = "@odata.id", default, deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    #[serde(rename = "RedfishVersion", default, deserialize_with = "lenient")]
    pub redfish_version: Option<String>,
    #[serde(rename = "Systems", default, deserialize_with = "lenient")]
    pub systems: Option<Link>,
}

impl ServiceRoot {
    /// A service root says what it is; anything else on `/redfish/v1/` is not a Redfish service.
    pub fn is_redfish(&self) -> bool {
        self.redfish_version.is_some() || self.systems.is_some()
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Collection {
    #[serde(rename = "Members", default, deserialize_with = "lenient_links")]
    pub members: Vec<Link>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Status {
    #[serde(rename = "State", default, deserialize_with = "lenient")]
    pub state: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ComputerSystem {
    #[serde(rename = "@odata.id", default, deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    #[serde(rename = "@odata.etag", default, deserialize_with = "lenient")]
    pub etag: Option<String>,
    #[serde(rename = "Id", default, deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(rename = "UUID", default, deserialize_with = "lenient")]
    pub uuid: Option<String>,
    #[serde(rename = "SerialNumber", default, deserialize_with = "lenient")]
    pub serial_number: Option<String>,
    #[serde(rename = "SKU", default, deserialize_with = "lenient")]
    pub sku: Option<String>,
    #[serde(rename = "Manufacturer", default, deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    #[serde(rename = "Model", default, deserialize_with = "lenient")]
    pub model: Option<String>,
    #[serde(rename = "BiosVersion", default, deserialize_with = "lenient")]
    pub bios_version: Option<String>,
    #[serde(rename = "PowerState", default, deserialize_with = "lenient")]
    pub power_state: Option<String>,
    #[serde(rename = "Boot", default, deserialize_with = "lenient")]
    pub boot: Option<Boot>,
    #[serde(rename = "MemorySummary", default, deserialize_with = "lenient")]
    pub memory_summary: Option<MemorySummary>,
    /// `None` when the property is absent: the BMC does not report TPMs at all.
    #[serde(rename = "TrustedModules", default, deserialize_with = "lenient")]
    pub trusted_modules: Option<Vec<TrustedModule>>,
    #[serde(rename = "Processors", default, deserialize_with = "lenient")]
    pub processors: Option<Link>,
    #[serde(rename = "EthernetInterfaces", default, deserialize_with = "lenient")]
    pub ethernet_interfaces: Option<Link>,
    #[serde(rename = "Storage", default, deserialize_with = "lenient")]
    pub storage: Option<Link>,
    #[serde(rename = "SecureBoot", default, deserialize_with = "lenient")]
    pub secure_boot: Option<Link>,
    #[serde(rename = "Bios", default, deserialize_with = "lenient")]
    pub bios: Option<Link>,
    #[serde(rename = "VirtualMedia", default, deserialize_with = "lenient")]
    pub virtual_media: Option<Link>,
    #[serde(rename = "Links", default, deserialize_with = "lenient")]
    pub links: Option<SystemLinks>,
    #[serde(rename = "Actions", default, deserialize_with = "lenient")]
    pub actions: Option<SystemActions>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SystemLinks {
    #[serde(rename = "ManagedBy", default, deserialize_with = "lenient_links")]
    pub managed_by: Vec<Link>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SystemActions {
    #[serde(
        rename = "#ComputerSystem.Reset",
        default,
        deserialize_with = "lenient"
    )]
    pub reset: Option<ResetAction>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ResetAction {
    #[serde(default, deserialize_with = "lenient")]
    pub target: Option<String>,
    #[serde(
        rename = "ResetType@Redfish.AllowableValues",
        default,
        deserialize_with = "lenient_strings"
    )]
    pub allowed: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Boot {
    #[serde(
        rename = "BootSourceOverrideEnabled",
        default,
        deserialize_with = "lenient"
    )]
    pub override_enabled: Option<String>,
    #[serde(
        rename = "BootSourceOverrideTarget",
        default,
        deserialize_with = "lenient"
    )]
    pub override_target: Option<String>,
    #[serde(
        rename = "BootSourceOverrideMode",
        default,
        deserialize_with = "lenient"
    )]
    pub override_mode: Option<String>,
    #[serde(
        rename = "BootSourceOverrideTarget@Redfish.AllowableValues",
        default,
        deserialize_with = "lenient_strings"
    )]
    pub allowed_targets: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MemorySummary {
    #[serde(
        rename = "TotalSystemMemoryGiB",
        default,
        deserialize_with = "lenient_number"
    )]
    pub total_gib: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TrustedModule {
    #[serde(rename = "InterfaceType", default, deserialize_with = "lenient")]
    pub interface_type: Option<String>,
    #[serde(rename = "FirmwareVersion", default, deserialize_with = "lenient_text")]
    pub firmware_version: Option<String>,
    #[serde(rename = "Status", default, deserialize_with = "lenient")]
    pub status: Option<Status>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Processor {
    #[serde(rename = "Id", default, deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(rename = "Model", default, deserialize_with = "lenient")]
    pub model: Option<String>,
    #[serde(rename = "Manufacturer", default, deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    #[serde(rename = "ProcessorType", default, deserialize_with = "lenient")]
    pub processor_type: Option<String>,
    #[serde(rename = "InstructionSet", default, deserialize_with = "lenient")]
    pub instruction_set: Option<String>,
    #[serde(rename = "ProcessorId", default, deserialize_with = "lenient")]
    pub processor_id: Option<ProcessorId>,
    #[serde(rename = "TotalCores", default, deserialize_with = "lenient_number")]
    pub total_cores: Option<f64>,
    #[serde(rename = "TotalThreads", default, deserialize_with = "lenient_number")]
    pub total_threads: Option<f64>,
    #[serde(rename = "MaxSpeedMHz", default, deserialize_with = "lenient_number")]
    pub max_speed_mhz: Option<f64>,
    #[serde(
        rename = "OperatingSpeedMHz",
        default,
        deserialize_with = "lenient_number"
    )]
    pub operating_speed_mhz: Option<f64>,
    #[serde(rename = "Status", default, deserialize_with = "lenient")]
    pub status: Option<Status>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProcessorId {
    #[serde(rename = "VendorId", default, deserialize_with = "lenient_text")]
    pub vendor_id: Option<String>,
    #[serde(rename = "EffectiveFamily", default, deserialize_with = "lenient_text")]
    pub effective_family: Option<String>,
    #[serde(rename = "EffectiveModel", default, deserialize_with = "lenient_text")]
    pub effective_model: Option<String>,
    #[serde(
        rename = "IdentificationRegisters",
        default,
        deserialize_with = "lenient_text"
    )]
    pub identification_registers: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SecureBoot {
    #[serde(rename = "SecureBootEnable", default, deserialize_with = "lenient")]
    pub enabled: Option<bool>,
    #[serde(
        rename = "SecureBootCurrentBoot",
        default,
        deserialize_with = "lenient"
    )]
    pub current_boot: Option<String>,
    #[serde(rename = "SecureBootMode", default, deserialize_with = "lenient")]
    pub mode: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Bios {
    #[serde(rename = "Attributes", default, deserialize_with = "lenient")]
    pub attributes: Option<BiosAttributes>,
}

/// The few BIOS attributes read; their names are vendor-defined (Dell and HPE: `BootMode`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BiosAttributes {
    #[serde(rename = "BootMode", default, deserialize_with = "lenient_text")]
    pub boot_mode: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EthernetInterface {
    #[serde(rename = "Id", default, deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(rename = "MACAddress", default, deserialize_with = "lenient")]
    pub mac: Option<String>,
    #[serde(rename = "LinkStatus", default, deserialize_with = "lenient")]
    pub link_status: Option<String>,
    #[serde(rename = "SpeedMbps", default, deserialize_with = "lenient_number")]
    pub speed_mbps: Option<f64>,
    #[serde(rename = "InterfaceEnabled", default, deserialize_with = "lenient")]
    pub enabled: Option<bool>,
    #[serde(rename = "Links", default, deserialize_with = "lenient")]
    pub links: Option<EthernetLinks>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EthernetLinks {
    /// Set on the BMC's own USB/virtual NIC towards the host (Redfish host interface), which
    /// is not a NIC the host can install over.
    #[serde(rename = "HostInterface", default, deserialize_with = "lenient")]
    pub host_interface: Option<Link>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Storage {
    #[serde(rename = "Id", default, deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(rename = "Drives", default, deserialize_with = "lenient_links")]
    pub drives: Vec<Link>,
    #[serde(rename = "StorageControllers", default, deserialize_with = "lenient")]
    pub controllers: Option<Vec<StorageController>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StorageController {
    #[serde(
        rename = "SupportedDeviceProtocols",
        default,
        deserialize_with = "lenient_strings"
    )]
    pub device_protocols: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Drive {
    #[serde(rename = "Id", default, deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(rename = "Model", default, deserialize_with = "lenient")]
    pub model: Option<String>,
    #[serde(rename = "MediaType", default, deserialize_with = "lenient")]
    pub media_type: Option<String>,
    #[serde(rename = "Protocol", default, deserialize_with = "lenient")]
    pub protocol: Option<String>,
    #[serde(rename = "CapacityBytes", default, deserialize_with = "lenient_number")]
    pub capacity_bytes: Option<f64>,
    #[serde(
        rename = "RotationSpeedRPM",
        default,
        deserialize_with = "lenient_number"
    )]
    pub rotation_rpm: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Manager {
    #[serde(rename = "VirtualMedia", default, deserialize_with = "lenient")]
    pub virtual_media: Option<Link>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct VirtualMedia {
    #[serde(rename = "@odata.id", default, deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    #[serde(rename = "Id", default, deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(rename = "MediaTypes", default, deserialize_with = "lenient_strings")]
    pub media_types: Vec<String>,
    #[serde(rename = "Inserted", default, deserialize_with = "lenient")]
    pub inserted: Option<bool>,
    #[serde(rename = "Image", default, deserialize_with = "lenient")]
    pub image: Option<String>,
    #[serde(rename = "Actions", default, deserialize_with = "lenient")]
    pub actions: Option<VirtualMediaActions>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct VirtualMediaActions {
    #[serde(
        rename = "#VirtualMedia.InsertMedia",
        default,
        deserialize_with = "lenient"
    )]
    pub insert: Option<ActionTarget>,
    #[serde(
        rename = "#VirtualMedia.EjectMedia",
        default,
        deserialize_with = "lenient"
    )]
    pub eject: Option<ActionTarget>,
}

/// A Redfish task (what a `202 Accepted` points at, directly or through a task monitor).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Task {
    /// `New`, `Running`, `Completed`, `Exception`, `Killed`, `Cancelled`, …
    #[serde(rename = "TaskState", default, deserialize_with = "lenient")]
    pub state: Option<String>,
    #[serde(rename = "Messages", default, deserialize_with = "lenient")]
    pub messages: Option<Vec<Message>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Message {
    #[serde(rename = "Message", default, deserialize_with = "lenient")]
    pub message: Option<String>,
}

/// The body of a Redfish error answer: `{"error": {"message": …, "@Message.ExtendedInfo":
/// [{"Message": …}]}}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<ErrorDetail>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    #[serde(
        rename = "@Message.ExtendedInfo",
        default,
        deserialize_with = "lenient"
    )]
    pub extended: Option<Vec<Message>>,
}

impl ErrorDetail {
    /// The most specific message the BMC gave.
    pub fn text(&self) -> Option<String> {
        self.extended
            .iter()
            .flatten()
            .find_map(|message| message.message.clone())
            .or_else(|| self.message.clone())
    }
}

/// `POST …/VirtualMedia.InsertMedia`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InsertMedia {
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "Inserted")]
    pub inserted: bool,
    #[serde(rename = "WriteProtected")]
    pub write_protected: bool,
}

/// `PATCH` of a system's `Boot`: a one-time override.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BootPatch {
    #[serde(rename = "Boot")]
    pub boot: BootOverride,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BootOverride {
    #[serde(rename = "BootSourceOverrideEnabled")]
    pub enabled: String,
    #[serde(rename = "BootSourceOverrideTarget")]
    pub target: String,
    #[serde(rename = "BootSourceOverrideMode")]
    pub mode: String,
}

/// `POST …/ComputerSystem.Reset`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reset {
    #[serde(rename = "ResetType")]
    pub reset_type: String,
}

/// An empty JSON object, the body of `EjectMedia`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_types_become_absent_instead_of_failing_the_resource() {
        let system: ComputerSystem = serde_json::from_str(
            r#"{"Id": 1, "UUID": null, "SerialNumber": 12, "PowerState": "On",
                "Boot": "broken", "MemorySummary": {"TotalSystemMemoryGiB": "15.5"},
                "TrustedModules": [{"InterfaceType": "TPM2_0", "Status": null}],
                "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/1"}, 7]}}"#,
        )
        .unwrap();
        assert_eq!(system.id.as_deref(), Some("1"));
        assert_eq!(system.uuid, None);
        assert_eq!(system.serial_number, None);
        assert_eq!(system.power_state.as_deref(), Some("On"));
        assert!(system.boot.is_none());
        assert_eq!(system.memory_summary.unwrap().total_gib, Some(15.5));
        assert_eq!(
            system.trusted_modules.unwrap()[0].interface_type.as_deref(),
            Some("TPM2_0")
        );
        assert_eq!(system.links.unwrap().managed_by.len(), 1);
    }

    #[test]
    fn a_missing_trusted_modules_property_differs_from_an_empty_list() {
        let absent: ComputerSystem = serde_json::from_str("{}").unwrap();
        assert!(absent.trusted_modules.is_none());
        let empty: ComputerSystem = serde_json::from_str(r#"{"TrustedModules": []}"#).unwrap();
        assert_eq!(empty.trusted_modules.map(|list| list.len()), Some(0));
    }

    #[test]
    fn hex_and_numeric_processor_ids_stay_text() {
        let processor: Processor = serde_json::from_str(
            r#"{"ProcessorId": {"EffectiveFamily": 6, "EffectiveModel": "0x8F"},
                "TotalThreads": "64", "MaxSpeedMHz": -1}"#,
        )
        .unwrap();
        let id = processor.processor_id.unwrap();
        assert_eq!(id.effective_family.as_deref(), Some("6"));
        assert_eq!(id.effective_model.as_deref(), Some("0x8F"));
        assert_eq!(processor.total_threads, Some(64.0));
        assert_eq!(processor.max_speed_mhz, None);
    }

    #[test]
    fn requests_serialise_with_redfish_names() {
        let body = serde_json::to_value(BootPatch {
            boot: BootOverride {
                enabled: "Once".to_owned(),
                target: "Cd".to_owned(),
                mode: "UEFI".to_owned(),
            },
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Boot": {"BootSourceOverrideEnabled": "Once",
                "BootSourceOverrideTarget": "Cd", "BootSourceOverrideMode": "UEFI"}})
        );
    }
}
