//! Finding the registration configuration inside a SeedImage ISO, reading as little of it as
//! possible: the volume descriptors, the root directory's records and the config's extent.
//!
//! elemental-operator (`controllers/seedimage_controller.go` at commit 57608bff) builds the ISO
//! with `xorriso -indev base.iso -outdev … -map …/livecd-cloud-config.yaml
//! /livecd-cloud-config.yaml -map …/cloud-config.yaml /iso-config/cloud-config.yaml
//! -boot_image any replay`, and the live system reads it back as
//! `/run/initramfs/live/livecd-cloud-config.yaml` (`cmd/register/main.go`). With Rock Ridge
//! (xorriso's default) the root record carries that name; without it the ISO 9660 name is
//! `LIVECD_CLOUD_CONFIG.YAML;1`; a Joliet tree, when present, has it in UCS-2.
//!
//! The directory records are parsed by hadris-iso (bounds-checked against the image size,
//! depth-limited continuation areas, errors that end a directory instead of looping); on top
//! of it only the root directory is read (so a directory loop is never followed), its entries
//! are capped, and the config must be small and lie inside the image.

use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};

use hadris_iso::file::EntryType;
use hadris_iso::read::IsoImage;

use super::source::Source;

/// The config's name at the root of the ISO (Rock Ridge and Joliet).
pub const CONFIG_NAME: &str = "livecd-cloud-config.yaml";
/// The same file without Rock Ridge: the ISO 9660 name, without its `;1` version.
pub const CONFIG_ISO9660_NAME: &str = "LIVECD_CLOUD_CONFIG.YAML";
/// Real registration configs are a few kilobytes (a URL and a CA).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// A root directory of a live ISO has a dozen entries; a hostile one could claim millions.
const MAX_ROOT_ENTRIES: usize = 10_000;
/// The first volume descriptor, after the 32 KiB system area.
const DESCRIPTORS: u64 = 16 * 2048;

/// Which names the directory record that held the config uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    RockRidge,
    Joliet,
    Iso9660,
}

impl Names {
    pub fn as_str(self) -> &'static str {
        match self {
            Names::RockRidge => "rock-ridge",
            Names::Joliet => "joliet",
            Names::Iso9660 => "iso9660",
        }
    }
}

/// What the image held.
#[derive(Debug)]
pub struct Found {
    pub volume_id: String,
    pub names: Names,
    /// The record's name as written, with a leading `/`.
    pub config_path: String,
    pub config: Vec<u8>,
}

/// Why the image cannot be checked: exit 2, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("not an ISO 9660 image: {0}")]
    NotIso(String),
    #[error("unreadable ISO image: {0}")]
    Unreadable(String),
    #[error(
        "no registration config: the root of the image (volume `{volume_id}`) has no \
         /{CONFIG_NAME} ({CONFIG_ISO9660_NAME};1 without Rock Ridge); this is not a SeedImage \
         ISO built by elemental-operator, or it was built from a base ISO by other means"
    )]
    NoConfig { volume_id: String },
}

/// Opens the image and reads the registration config at its root.
pub fn read_config(source: &mut Source) -> Result<Found, ImageError> {
    let volume_id = primary_descriptor(source)?;
    // hadris-iso is fuzzed and bounds-checked; should a hostile image still find a panic in
    // it, that image is unreadable input (exit 2), never a crash of the command.
    match catch_unwind(AssertUnwindSafe(|| find(source, &volume_id))) {
        Ok(result) => result,
        Err(_) => Err(ImageError::Unreadable(
            "the ISO 9660 reader rejected the directory records".to_owned(),
        )),
    }
}

/// Checks for the `CD001` primary volume descriptor and returns its volume identifier.
fn primary_descriptor(source: &mut Source) -> Result<String, ImageError> {
    let size = source.size();
    if size < DESCRIPTORS + 2048 {
        return Err(ImageError::NotIso(format!(
            "{size} bytes is too small (an ISO 9660 image has its volume descriptors at 32 KiB)"
        )));
    }
    let mut sector = [0_u8; 2048];
    source
        .seek(SeekFrom::Start(DESCRIPTORS))
        .and_then(|_| source.read_exact(&mut sector))
        .map_err(|error| ImageError::Unreadable(io_reason(&error)))?;
    if &sector[1..6] != b"CD001" {
        return Err(ImageError::NotIso(
            "no ISO 9660 volume descriptor (`CD001`) at offset 32768".to_owned(),
        ));
    }
    if sector[0] != 1 {
        return Err(ImageError::NotIso(
            "the first volume descriptor is not the primary one".to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&sector[40..72]).trim().to_owned())
}

fn find(source: &mut Source, volume_id: &str) -> Result<Found, ImageError> {
    let image_size = source.size();
    let image = IsoImage::open(&mut *source).map_err(|error| {
        ImageError::Unreadable(format!("the volume descriptors: {}", hadris_reason(&error)))
    })?;
    for root in image.root_dirs().iter() {
        let joliet = matches!(root.entry_type(), EntryType::Joliet { .. });
        for (count, entry) in root.iter(&image).entries().enumerate() {
            if count >= MAX_ROOT_ENTRIES {
                return Err(ImageError::Unreadable(format!(
                    "the root directory has more than {MAX_ROOT_ENTRIES} entries"
                )));
            }
            let entry = entry.map_err(|error| {
                ImageError::Unreadable(format!(
                    "the root directory records: {}",
                    hadris_reason(&error)
                ))
            })?;
            if !entry.is_file() {
                continue;
            }
            let rock_ridge = entry
                .rrip
                .as_ref()
                .and_then(|metadata| metadata.alternate_name.clone());
            let (names, name) = match rock_ridge {
                Some(name) => (Names::RockRidge, name),
                None if joliet => (Names::Joliet, ucs2(entry.name())),
                None => (
                    Names::Iso9660,
                    String::from_utf8_lossy(entry.name()).into_owned(),
                ),
            };
            let matches = match names {
                Names::RockRidge | Names::Joliet => strip_version(&name) == CONFIG_NAME,
                Names::Iso9660 => {
                    strip_version(&name).eq_ignore_ascii_case(CONFIG_ISO9660_NAME)
                        || strip_version(&name).eq_ignore_ascii_case(CONFIG_NAME)
                }
            };
            if !matches {
                continue;
            }
            let length = entry.total_size();
            if length > MAX_CONFIG_BYTES {
                return Err(ImageError::Unreadable(format!(
                    "/{name} claims {length} bytes; a registration config is a few kilobytes"
                )));
            }
            let header = entry.header();
            let start =
                (u64::from(header.extent.read()) + u64::from(header.extended_attr_record)) * 2048;
            if start.saturating_add(length) > image_size {
                return Err(ImageError::Unreadable(format!(
                    "/{name} lies beyond the end of the image ({image_size} bytes): the image \
                     is truncated"
                )));
            }
            let config = image.read_file(&entry).map_err(|error| {
                ImageError::Unreadable(format!("/{name}: {}", hadris_reason(&error)))
            })?;
            return Ok(Found {
                volume_id: volume_id.to_owned(),
                names,
                config_path: format!("/{name}"),
                config,
            });
        }
    }
    Err(ImageError::NoConfig {
        volume_id: volume_id.to_owned(),
    })
}

/// `NAME;1` → `NAME`; a trailing `.` of a name without extension goes too.
fn strip_version(name: &str) -> &str {
    let base = match name.rsplit_once(';') {
        Some((base, version)) if version.bytes().all(|byte| byte.is_ascii_digit()) => base,
        _ => name,
    };
    base.strip_suffix('.').unwrap_or(base)
}

/// A Joliet name: UCS-2, big-endian.
fn ucs2(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn hadris_reason(error: &hadris_iso::sync::Error) -> String {
    match error.kind() {
        hadris_iso::sync::ErrorKind::UnexpectedEof => {
            "the image ends inside its directory records (truncated)".to_owned()
        }
        _ => error.to_string(),
    }
}

fn io_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::UnexpectedEof => "the image ends before its volume descriptors".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_trailing_dots_are_not_part_of_the_name() {
        assert_eq!(
            strip_version("LIVECD_CLOUD_CONFIG.YAML;1"),
            "LIVECD_CLOUD_CONFIG.YAML"
        );
        assert_eq!(
            strip_version("livecd-cloud-config.yaml"),
            "livecd-cloud-config.yaml"
        );
        assert_eq!(strip_version("README.;1"), "README");
        assert_eq!(strip_version("A;B"), "A;B");
    }

    #[test]
    fn joliet_names_are_ucs2_big_endian() {
        let bytes: Vec<u8> = "ab.yaml;1"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(ucs2(&bytes), "ab.yaml;1");
    }
}
