//! Reads what a BMC knows about its systems into [`BmcFacts`], coping with how vendors differ:
//! virtual media under `Systems/…` (Dell, Supermicro) or only under `Managers/…` (HPE); links
//! written in lower case (HPE iLO is case-insensitive, a static copy is not); NICs without
//! `LinkStatus` (HPE); drives without `MediaType` (Supermicro: the storage controller's
//! protocol tells); no `TrustedModules` at all (Supermicro); the BMC's own host-interface NIC
//! listed among the host's NICs (Supermicro `ToManager`); GPUs among the processors (Dell).
//!
//! A sub-resource that cannot be read does not end the host: it is named in `unread` and the
//! checks that need it say so. A failure that means the BMC as a whole is gone (refused login,
//! untrusted TLS, no answer) does end it.

use futures_util::future::join_all;
use ironprep_schema::bmc::{
    BmcBoot, BmcDrive, BmcFacts, BmcNic, BmcProcessor, BmcSecureBoot, BmcTrustedModule, BmcUnread,
    BmcVirtualMedia,
};
use serde::de::DeserializeOwned;

use super::client::{Client, RedfishError};
use super::resources::{
    Bios, Collection, ComputerSystem, Drive, EthernetInterface, Link, Manager, Processor,
    SecureBoot, ServiceRoot, Storage, VirtualMedia,
};

pub const SERVICE_ROOT: &str = "/redfish/v1/";

/// The most members of one collection that are read: a server has a few dozen DIMMs, NICs or
/// drives; a BMC listing thousands is broken or hostile and must not cost thousands of requests.
const MAX_MEMBERS: usize = 256;

/// Redfish path segments in their schema spelling, for BMCs that link in another case.
const SEGMENTS: &[&str] = &[
    "Systems",
    "Managers",
    "Chassis",
    "Bios",
    "Processors",
    "Memory",
    "EthernetInterfaces",
    "Storage",
    "Drives",
    "SecureBoot",
    "VirtualMedia",
];

/// A system of the BMC, found before its facts are read.
#[derive(Clone, Debug)]
pub struct SystemRef {
    /// Its Redfish path.
    pub path: String,
    pub system: ComputerSystem,
}

/// Why the systems of a BMC cannot be listed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Redfish(#[from] RedfishError),
    #[error("{SERVICE_ROOT} is not a Redfish service root (no RedfishVersion, no Systems)")]
    NotRedfish,
    #[error("the BMC lists no systems")]
    NoSystems,
    #[error("no system '{wanted}' on this BMC (it has: {available})")]
    UnknownSystem { wanted: String, available: String },
}

impl DiscoveryError {
    pub fn outcome(&self) -> ironprep_schema::HostOutcome {
        match self {
            DiscoveryError::Redfish(error) => error.outcome(),
            _ => ironprep_schema::HostOutcome::InvalidReport,
        }
    }
}

/// The systems to check: the one named by `wanted` (its Id, last path segment or UUID), or
/// every system of the BMC.
pub async fn systems(
    client: &Client,
    wanted: Option<&str>,
) -> Result<Vec<SystemRef>, DiscoveryError> {
    let root: ServiceRoot = client.get(SERVICE_ROOT).await?;
    if !root.is_redfish() {
        return Err(DiscoveryError::NotRedfish);
    }
    let collection_link = root
        .systems
        .map(|link| link.id)
        .unwrap_or_else(|| "/redfish/v1/Systems".to_owned());
    let collection: Collection = get_tolerant(client, &collection_link).await?;
    if collection.members.is_empty() {
        return Err(DiscoveryError::NoSystems);
    }
    let paths: Vec<String> = collection
        .members
        .iter()
        .map(|member| client.path_of(&member.id))
        .collect::<Result<_, _>>()?;
    // Read the named system alone when its path says it is the one.
    if let Some(wanted) = wanted
        && let Some(path) = paths.iter().find(|path| last_segment(path) == wanted)
    {
        let system = get_tolerant(client, path).await?;
        return Ok(vec![SystemRef {
            path: path.clone(),
            system,
        }]);
    }
    let read = join_all(
        paths
            .iter()
            .map(|path| get_tolerant::<ComputerSystem>(client, path)),
    )
    .await;
    let mut found = Vec::new();
    for (path, system) in paths.into_iter().zip(read) {
        found.push(SystemRef {
            path,
            system: system?,
        });
    }
    let Some(wanted) = wanted else {
        return Ok(found);
    };
    let matches = |reference: &SystemRef| {
        reference.system.id.as_deref() == Some(wanted)
            || reference
                .system
                .uuid
                .as_deref()
                .is_some_and(|uuid| uuid.eq_ignore_ascii_case(wanted))
    };
    match found.iter().position(matches) {
        Some(index) => Ok(vec![found.swap_remove(index)]),
        None => Err(DiscoveryError::UnknownSystem {
            wanted: wanted.to_owned(),
            available: found.iter().map(system_id).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The system's Redfish ID (its `Id`, else the last segment of its path).
pub fn system_id(reference: &SystemRef) -> String {
    reference
        .system
        .id
        .clone()
        .unwrap_or_else(|| last_segment(&reference.path).to_owned())
}

fn last_segment(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// `GET`, and on a 404 once more with the path's segments in their schema spelling.
pub async fn get_tolerant<T: DeserializeOwned>(
    client: &Client,
    link: &str,
) -> Result<T, RedfishError> {
    match client.get(link).await {
        Err(error) if error.is_not_found() => {
            let canonical = canonical_case(link);
            if canonical == link {
                return Err(error);
            }
            client.get(&canonical).await
        }
        other => other,
    }
}

fn canonical_case(link: &str) -> String {
    link.split('/')
        .map(|segment| {
            SEGMENTS
                .iter()
                .find(|known| known.eq_ignore_ascii_case(segment))
                .map_or(segment, |known| known)
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every fact of one system. Only failures that end the host are errors.
pub async fn gather(
    client: &Client,
    url: &str,
    reference: &SystemRef,
) -> Result<BmcFacts, RedfishError> {
    let system = &reference.system;
    let mut unread = Vec::new();
    let (processors, nics, drives, secure_boot, bios, virtual_media) = futures_util::join!(
        processors(client, system),
        nics(client, system),
        drives(client, system),
        optional::<SecureBoot>(client, system.secure_boot.as_ref()),
        optional::<Bios>(client, system.bios.as_ref()),
        virtual_media(client, system),
    );
    let processors = keep(processors, "Processors", &mut unread)?.unwrap_or_default();
    let nics = keep(nics, "EthernetInterfaces", &mut unread)?.unwrap_or_default();
    let drives = keep(drives, "Storage", &mut unread)?.unwrap_or_default();
    let secure_boot = keep(secure_boot, "SecureBoot", &mut unread)?.flatten();
    let bios = keep(bios, "Bios", &mut unread)?.flatten();
    let virtual_media = keep(virtual_media, "VirtualMedia", &mut unread)?.unwrap_or_default();

    let manufacturer = text(&system.manufacturer);
    let sku = text(&system.sku);
    let serial_number = text(&system.serial_number);
    let is_dell = manufacturer
        .as_deref()
        .is_some_and(|name| name.to_lowercase().starts_with("dell"));
    let smbios_serial = match (&sku, is_dell) {
        (Some(tag), true) => Some(tag.clone()),
        _ => serial_number.clone(),
    };
    let boot = system.boot.clone().unwrap_or_default();
    let (mode, mode_source) = match bios
        .and_then(|bios| bios.attributes)
        .and_then(|attributes| attributes.boot_mode)
    {
        Some(mode) => (
            Some(normalise_boot_mode(&mode)),
            Some("BIOS attribute BootMode".to_owned()),
        ),
        None => (
            boot.override_mode.as_deref().map(normalise_boot_mode),
            boot.override_mode
                .as_ref()
                .map(|_| "Boot.BootSourceOverrideMode".to_owned()),
        ),
    };
    Ok(BmcFacts {
        url: url.to_owned(),
        system_id: system_id(reference),
        manufacturer,
        model: text(&system.model),
        sku,
        serial_number,
        smbios_serial,
        uuid: text(&system.uuid),
        bios_version: text(&system.bios_version),
        power_state: text(&system.power_state),
        processors,
        memory_mib: system
            .memory_summary
            .as_ref()
            .and_then(|summary| summary.total_gib)
            .map(|gib| (gib * 1024.0).round() as u64),
        trusted_modules: system.trusted_modules.as_ref().map(|modules| {
            modules
                .iter()
                .map(|module| BmcTrustedModule {
                    interface_type: text(&module.interface_type),
                    firmware_version: text(&module.firmware_version),
                    state: module
                        .status
                        .as_ref()
                        .and_then(|status| text(&status.state)),
                })
                .collect()
        }),
        boot: BmcBoot {
            mode,
            mode_source,
            override_enabled: text(&boot.override_enabled),
            override_target: text(&boot.override_target),
            allowed_targets: boot.allowed_targets,
        },
        secure_boot: secure_boot.map(|secure| BmcSecureBoot {
            enabled: secure.enabled,
            current_boot: text(&secure.current_boot),
            mode: text(&secure.mode),
        }),
        nics,
        drives,
        virtual_media,
        unread,
    })
}

/// `Ok(None)` (and an `unread` entry) for a failure of this one resource; `Err` for one that
/// ends the host.
fn keep<T>(
    result: Result<T, RedfishError>,
    resource: &str,
    unread: &mut Vec<BmcUnread>,
) -> Result<Option<T>, RedfishError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.ends_the_host() => Err(error),
        Err(error) => {
            unread.push(BmcUnread {
                resource: resource.to_owned(),
                error: error.to_string(),
            });
            Ok(None)
        }
    }
}

/// Non-empty trimmed text (BMCs pad model names and leave fields as `""`).
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// `Uefi` (Dell, HPE BIOS attributes) and `UEFI` (Redfish) are one mode; `LegacyBios`,
/// `Bios` and `Legacy` another.
fn normalise_boot_mode(mode: &str) -> String {
    match mode.to_lowercase().as_str() {
        "uefi" => "UEFI".to_owned(),
        "legacy" | "legacybios" | "bios" => "Legacy".to_owned(),
        _ => mode.to_owned(),
    }
}

async fn optional<T: DeserializeOwned>(
    client: &Client,
    link: Option<&Link>,
) -> Result<Option<T>, RedfishError> {
    match link {
        Some(link) => get_tolerant(client, &link.id).await.map(Some),
        None => Ok(None),
    }
}

/// The members of a collection, each read (see [`read_all`]).
async fn members<T: DeserializeOwned>(client: &Client, link: &str) -> Result<Vec<T>, RedfishError> {
    let collection: Collection = get_tolerant(client, link).await?;
    read_all(client, &collection.members).await
}

/// Each linked resource, read in parallel (the client bounds the requests per BMC); one that
/// cannot be read is skipped (one bad DIMM or NIC resource does not hide the others), unless
/// the failure ends the host.
async fn read_all<T: DeserializeOwned>(
    client: &Client,
    links: &[Link],
) -> Result<Vec<T>, RedfishError> {
    let read = join_all(
        links
            .iter()
            .take(MAX_MEMBERS)
            .map(|link| get_tolerant::<T>(client, &link.id)),
    )
    .await;
    let mut found = Vec::new();
    for item in read {
        match item {
            Ok(item) => found.push(item),
            Err(error) if error.ends_the_host() => return Err(error),
            Err(_) => {}
        }
    }
    Ok(found)
}

async fn processors(
    client: &Client,
    system: &ComputerSystem,
) -> Result<Vec<BmcProcessor>, RedfishError> {
    let Some(link) = &system.processors else {
        return Ok(Vec::new());
    };
    let processors: Vec<Processor> = members(client, &link.id).await?;
    Ok(processors
        .into_iter()
        .filter(|processor| {
            processor
                .processor_type
                .as_deref()
                .is_none_or(|kind| kind.eq_ignore_ascii_case("CPU"))
        })
        .filter(|processor| {
            // An empty socket is listed by some BMCs with State Absent.
            processor
                .status
                .as_ref()
                .and_then(|status| status.state.as_deref())
                != Some("Absent")
        })
        .map(|processor| {
            let id = processor.processor_id.unwrap_or_default();
            BmcProcessor {
                id: processor.id.unwrap_or_default(),
                model: text(&processor.model),
                manufacturer: text(&processor.manufacturer),
                processor_type: text(&processor.processor_type),
                instruction_set: text(&processor.instruction_set),
                vendor_id: text(&id.vendor_id),
                effective_family: text(&id.effective_family),
                effective_model: text(&id.effective_model),
                identification_registers: text(&id.identification_registers),
                cores: whole(processor.total_cores),
                threads: whole(processor.total_threads),
                max_speed_mhz: whole(processor.max_speed_mhz),
                operating_speed_mhz: whole(processor.operating_speed_mhz),
            }
        })
        .collect())
}

/// A count or speed as an integer; zero means "not known" on every BMC seen.
fn whole(value: Option<f64>) -> Option<u32> {
    value
        .filter(|value| *value >= 1.0 && *value <= f64::from(u32::MAX))
        .map(|value| value.round() as u32)
}

async fn nics(client: &Client, system: &ComputerSystem) -> Result<Vec<BmcNic>, RedfishError> {
    let Some(link) = &system.ethernet_interfaces else {
        return Ok(Vec::new());
    };
    let interfaces: Vec<EthernetInterface> = members(client, &link.id).await?;
    Ok(interfaces
        .into_iter()
        .filter(|nic| {
            nic.links
                .as_ref()
                .and_then(|links| links.host_interface.as_ref())
                .is_none()
        })
        .map(|nic| BmcNic {
            id: nic.id.unwrap_or_default(),
            mac: text(&nic.mac),
            link: text(&nic.link_status),
            speed_mbps: nic
                .speed_mbps
                .filter(|speed| *speed >= 1.0)
                .map(|speed| speed.round() as u64),
            enabled: nic.enabled,
        })
        .collect())
}

async fn drives(client: &Client, system: &ComputerSystem) -> Result<Vec<BmcDrive>, RedfishError> {
    let Some(link) = &system.storage else {
        return Ok(Vec::new());
    };
    let storages: Vec<Storage> = members(client, &link.id).await?;
    let mut found = Vec::new();
    for storage in &storages {
        // Supermicro drives carry no protocol; their storage's controllers do.
        let mut protocols: Vec<&str> = storage
            .controllers
            .iter()
            .flatten()
            .flat_map(|controller| controller.device_protocols.iter().map(String::as_str))
            .collect();
        protocols.sort_unstable();
        protocols.dedup();
        let inherited = match protocols.as_slice() {
            [only] => Some((*only).to_owned()),
            _ => None,
        };
        let drives: Vec<Drive> = read_all(client, &storage.drives).await?;
        for drive in drives {
            found.push(BmcDrive {
                id: drive.id.unwrap_or_default(),
                model: text(&drive.model),
                media_type: text(&drive.media_type),
                protocol: text(&drive.protocol).or_else(|| inherited.clone()),
                capacity_bytes: drive
                    .capacity_bytes
                    .filter(|bytes| *bytes >= 1.0)
                    .map(|bytes| bytes as u64),
                rotation_rpm: drive
                    .rotation_rpm
                    .filter(|rpm| *rpm >= 1.0)
                    .map(|rpm| rpm.round() as u64),
            });
        }
    }
    Ok(found)
}

/// The system's virtual media slots, else those of the managers that manage it.
pub(super) async fn virtual_media(
    client: &Client,
    system: &ComputerSystem,
) -> Result<Vec<BmcVirtualMedia>, RedfishError> {
    let mut collections: Vec<String> = system
        .virtual_media
        .iter()
        .map(|link| link.id.clone())
        .collect();
    if collections.is_empty() {
        let mut managers: Vec<String> = system
            .links
            .iter()
            .flat_map(|links| links.managed_by.iter().map(|link| link.id.clone()))
            .collect();
        if managers.is_empty() {
            let listed: Collection = get_tolerant(client, "/redfish/v1/Managers").await?;
            managers = listed.members.into_iter().map(|link| link.id).collect();
        }
        for manager in managers {
            let manager: Manager = get_tolerant(client, &manager).await?;
            collections.extend(manager.virtual_media.map(|link| link.id));
        }
    }
    let mut slots = Vec::new();
    for collection in collections {
        let media: Vec<VirtualMedia> = members(client, &collection).await?;
        slots.extend(media.into_iter().map(|slot| {
            let actions = slot.actions.unwrap_or_default();
            BmcVirtualMedia {
                id: slot.id.unwrap_or_default(),
                path: slot.odata_id.unwrap_or_default(),
                media_types: slot.media_types,
                inserted: slot.inserted,
                image: text(&slot.image),
                insert_target: actions.insert.and_then(|action| action.target),
                eject_target: actions.eject.and_then(|action| action.target),
            }
        }));
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_links_get_their_schema_spelling() {
        assert_eq!(
            canonical_case("/redfish/v1/systems/1/bios"),
            "/redfish/v1/Systems/1/Bios"
        );
        assert_eq!(
            canonical_case("/redfish/v1/Systems/System.Embedded.1"),
            "/redfish/v1/Systems/System.Embedded.1"
        );
    }

    #[test]
    fn boot_modes_are_spelled_one_way() {
        assert_eq!(normalise_boot_mode("Uefi"), "UEFI");
        assert_eq!(normalise_boot_mode("LegacyBios"), "Legacy");
        assert_eq!(normalise_boot_mode("Legacy"), "Legacy");
        assert_eq!(normalise_boot_mode("Hybrid"), "Hybrid");
    }

    #[test]
    fn zero_means_unknown() {
        assert_eq!(whole(Some(0.0)), None);
        assert_eq!(whole(Some(18.0)), Some(18));
        assert_eq!(whole(Some(f64::MAX)), None);
        assert_eq!(
            text(&Some("  AMD EPYC 7763 64-Core Processor   ".to_owned())).as_deref(),
            Some("AMD EPYC 7763 64-Core Processor")
        );
        assert_eq!(text(&Some(String::new())), None);
    }
}
