//! Shared readers of hardware state (CPU topology and frequency, block devices, DMI, TPM)
//! for the `cpu.*`, `disk.*` and `hw.*` checks.
//!
//! Everything here reads through [`Host`], so it answers the same for a fixture tree as for the
//! running system. The one exception is [`measure_reads`], which opens a block device for
//! reading; it asks for the [`LiveSystem`] token so that it cannot run under `--root`, and it
//! never opens anything for writing.

use std::collections::{BTreeSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::time::{Duration, Instant};

use crate::host::{Host, HostError, LiveSystem};
use crate::system::{self, CpuBlock, Mount};

/// Where etcd keeps its data; the disk checks judge the disk that holds (or will hold) it.
pub const ETCD_DATA_DIR: &str = "/var/lib/etcd";

/// Every block device the kernel knows, whole disks and partitions alike.
const SYS_CLASS_BLOCK: &str = "/sys/class/block";

/// The SMBIOS (DMI) strings the firmware publishes.
pub const DMI_DIR: &str = "/sys/class/dmi/id";

/// Symlinks followed while locating a path, as the kernel's own limit.
const MAX_SYMLINK_HOPS: u32 = 40;

/// Layers between a filesystem and its disks (partition, LVM, LUKS, md, multipath…); real
/// stacks have three or four. Deeper means a loop in a broken or hostile tree.
const MAX_STACK_DEPTH: usize = 8;

// CPU

/// The CPU families whose requirements differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuKind {
    X86,
    /// HiSilicon Kunpeng 920 (implementer 0x48, part 0xd01), the one supported ARM CPU.
    Kunpeng920,
    /// Any other ARM CPU: the ARM sizing rules still apply.
    OtherArm,
}

impl CpuKind {
    /// Decided from the first `/proc/cpuinfo` block: only ARM kernels print `CPU implementer`.
    pub fn of(block: &CpuBlock) -> CpuKind {
        let field = |key: &str| block.get(key).map(|value| value.to_lowercase());
        match field("CPU implementer") {
            None => CpuKind::X86,
            Some(implementer)
                if implementer == "0x48" && field("CPU part").as_deref() == Some("0xd01") =>
            {
                CpuKind::Kunpeng920
            }
            Some(_) => CpuKind::OtherArm,
        }
    }

    pub fn is_arm(self) -> bool {
        self != CpuKind::X86
    }

    pub fn describe(self) -> &'static str {
        match self {
            CpuKind::X86 => "x86-64",
            CpuKind::Kunpeng920 => "Kunpeng 920",
            CpuKind::OtherArm => "ARM",
        }
    }
}

/// A frequency file of cpu0's cpufreq directory, in kHz; `None` when cpufreq or the file is
/// absent (VMs, firmware-controlled power management, drivers that omit it).
pub fn cpufreq_khz(host: &Host, file: &str) -> Result<Option<u64>, HostError> {
    let path = format!("/sys/devices/system/cpu/cpu0/cpufreq/{file}");
    let Some(text) = host.read_optional(&path)? else {
        return Ok(None);
    };
    let value = text.trim();
    value
        .parse::<u64>()
        .map(Some)
        .map_err(|_| HostError::new(path, format!("malformed frequency '{value}'")))
}

// Block devices

/// Where a path's data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Block(BlockStack),
    /// Not on a block device sysfs lists (overlay, tmpfs, NFS, a container's root): why, in
    /// words.
    Elsewhere(String),
}

/// A path, its mount, the block device mounted there and the whole disks at the bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockStack {
    /// The path looked at: the one asked for, or its nearest existing ancestor, with
    /// symlinks followed.
    pub path: String,
    pub mount: Mount,
    /// Kernel name of the mounted block device (`sda2`, `dm-0`, `nvme0n1p3`).
    pub device: String,
    /// Kernel names of the whole disks underneath: never empty, sorted, no duplicates.
    pub disks: Vec<String>,
}

impl BlockStack {
    /// "/var/lib on /dev/mapper/rhel-root (dm-0 → sda, sdb)", for `observed`.
    pub fn describe(&self) -> String {
        let chain = if self.disks == [self.device.clone()] {
            self.device.clone()
        } else {
            format!("{} → {}", self.device, self.disks.join(", "))
        };
        format!("{} on {} ({chain})", self.path, self.mount.source)
    }
}

/// Finds the disks that hold `path`. A path that does not exist yet is judged by its nearest
/// existing ancestor: that is where it will be created.
pub fn locate(host: &Host, path: &str) -> Result<Location, HostError> {
    let path = existing_location(host, path)?;
    if !host.exists("/proc/self/mountinfo")? && !host.exists("/proc/mounts")? {
        return Ok(Location::Elsewhere(format!(
            "no mount table (/proc/self/mountinfo) to find the filesystem of {path}"
        )));
    }
    let mounts = system::mounts(host)?;
    let Some(mount) = system::mount_of(&mounts, &path) else {
        return Ok(Location::Elsewhere(format!("no mount holds {path}")));
    };
    let Some(device) = mounted_device(host, mount)? else {
        return Ok(Location::Elsewhere(format!(
            "{path} is on {} ({}), not a block device listed in {SYS_CLASS_BLOCK}",
            mount.source, mount.fs_type
        )));
    };
    let mut disks = BTreeSet::new();
    collect_disks(host, &device, 0, &mut disks)?;
    Ok(Location::Block(BlockStack {
        path,
        mount: mount.clone(),
        device,
        disks: disks.into_iter().collect(),
    }))
}

/// The real location of `path` (symlinks followed as the kernel follows them), cut at the
/// first component that does not exist.
pub fn existing_location(host: &Host, path: &str) -> Result<String, HostError> {
    let mut pending: VecDeque<String> = components(path).collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = if resolved.is_empty() {
            format!("/{part}")
        } else {
            format!("/{}/{part}", resolved.join("/"))
        };
        if let Some(target) = host.read_link(&candidate)? {
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return Err(HostError::new(path, "too many levels of symbolic links"));
            }
            if target.starts_with('/') {
                resolved.clear();
            }
            for (index, component) in components(&target).enumerate() {
                pending.insert(index, component);
            }
            continue;
        }
        if !host.exists(&candidate)? {
            break;
        }
        resolved.push(part);
    }
    Ok(format!("/{}", resolved.join("/")))
}

fn components(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .map(str::to_owned)
}

/// The kernel name of the block device mounted at `mount`, `None` when there is none.
fn mounted_device(host: &Host, mount: &Mount) -> Result<Option<String>, HostError> {
    if let Some(name) = mount.source.strip_prefix("/dev/") {
        if !name.contains('/') && host.exists(&format!("{SYS_CLASS_BLOCK}/{name}"))? {
            return Ok(Some(name.to_owned()));
        }
        if let Some(mapped) = name.strip_prefix("mapper/")
            && let Some(device) = device_mapper_device(host, mapped)?
        {
            return Ok(Some(device));
        }
        // udev's /dev/disk/by-uuid/…, /dev/VG/LV: symlinks to the kernel name.
        if let Some(target) = host.read_link(&mount.source)?
            && let Some(kernel_name) = target.rsplit('/').next()
            && !kernel_name.is_empty()
            && host.exists(&format!("{SYS_CLASS_BLOCK}/{kernel_name}"))?
        {
            return Ok(Some(kernel_name.to_owned()));
        }
    }
    // `/dev/root` (booted without an initramfs) and other names the mount table does not
    // spell out: the device number in mountinfo is exact.
    device_by_number(host, mount)
}

/// The `dm-N` whose device-mapper name is `mapped` (`rhel-root` for /dev/mapper/rhel-root).
fn device_mapper_device(host: &Host, mapped: &str) -> Result<Option<String>, HostError> {
    for name in host.list_dir(SYS_CLASS_BLOCK)?.unwrap_or_default() {
        if !name.starts_with("dm-") {
            continue;
        }
        if let Some(dm_name) = host.read_optional(&format!("{SYS_CLASS_BLOCK}/{name}/dm/name"))?
            && dm_name.trim() == mapped
        {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

fn device_by_number(host: &Host, mount: &Mount) -> Result<Option<String>, HostError> {
    let Some(mountinfo) = host.read_optional("/proc/self/mountinfo")? else {
        return Ok(None);
    };
    // Fields: id, parent, major:minor, root, mount point, … The last match is the visible one.
    let number = mountinfo.lines().rev().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (number, point) = (fields.get(2)?, fields.get(4)?);
        (*point == mount.mount_point || point.replace("\\040", " ") == mount.mount_point)
            .then_some(*number)
    });
    // Major 0 is an anonymous device: overlay, tmpfs, btrfs subvolumes, NFS.
    let Some(number) = number.filter(|number| !number.starts_with("0:")) else {
        return Ok(None);
    };
    let Some(target) = host.read_link(&format!("/sys/dev/block/{number}"))? else {
        return Ok(None);
    };
    let name = target.rsplit('/').next().unwrap_or_default();
    if !name.is_empty() && host.exists(&format!("{SYS_CLASS_BLOCK}/{name}"))? {
        Ok(Some(name.to_owned()))
    } else {
        Ok(None)
    }
}

/// The whole disk of a partition (`sda` for `sda2`, `nvme0n1` for `nvme0n1p2`); a device that
/// is not a partition is its own disk.
pub fn whole_disk(host: &Host, name: &str) -> Result<String, HostError> {
    if !host.exists(&format!("{SYS_CLASS_BLOCK}/{name}/partition"))? {
        return Ok(name.to_owned());
    }
    // sysfs nests a partition inside its disk: …/block/sda/sda2.
    if let Some(target) = host.read_link(&format!("{SYS_CLASS_BLOCK}/{name}"))? {
        let mut parts = target.rsplit('/');
        if parts.next() == Some(name)
            && let Some(parent) = parts.next()
            && host.exists(&format!("{SYS_CLASS_BLOCK}/{parent}"))?
        {
            return Ok(parent.to_owned());
        }
    }
    for disk in host.list_dir("/sys/block")?.unwrap_or_default() {
        if host.is_dir(&format!("/sys/block/{disk}/{name}"))? {
            return Ok(disk);
        }
    }
    Err(HostError::new(
        format!("{SYS_CLASS_BLOCK}/{name}"),
        "a partition whose disk cannot be found",
    ))
}

/// Walks down `slaves/` (device-mapper, LVM, LUKS, md RAID, multipath) to the whole disks.
fn collect_disks(
    host: &Host,
    name: &str,
    depth: usize,
    disks: &mut BTreeSet<String>,
) -> Result<(), HostError> {
    let disk = whole_disk(host, name)?;
    let slaves = format!("{SYS_CLASS_BLOCK}/{disk}/slaves");
    if depth >= MAX_STACK_DEPTH {
        return Err(HostError::new(
            slaves,
            format!("device stack deeper than {MAX_STACK_DEPTH} levels"),
        ));
    }
    let members = host.list_dir(&slaves)?.unwrap_or_default();
    if members.is_empty() {
        disks.insert(disk);
        return Ok(());
    }
    for member in members {
        collect_disks(host, &member, depth + 1, disks)?;
    }
    Ok(())
}

/// Whether the kernel considers `disk` rotational (`queue/rotational`).
pub fn rotational(host: &Host, disk: &str) -> Result<bool, HostError> {
    let path = format!("{SYS_CLASS_BLOCK}/{disk}/queue/rotational");
    match host.read(&path)?.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(HostError::new(path, format!("malformed flag '{other}'"))),
    }
}

/// The hypervisor behind a virtual disk, when it is one: its rotational flag then describes
/// the emulated device, not the media underneath.
pub fn virtual_disk(host: &Host, disk: &str) -> Result<Option<&'static str>, HostError> {
    if disk.starts_with("vd") {
        return Ok(Some("virtio"));
    }
    if disk.starts_with("xvd") {
        return Ok(Some("Xen"));
    }
    let mut identity = String::new();
    for field in ["vendor", "model"] {
        if let Some(text) =
            host.read_optional(&format!("{SYS_CLASS_BLOCK}/{disk}/device/{field}"))?
        {
            identity.push_str(text.trim());
            identity.push(' ');
        }
    }
    const MARKERS: [(&str, &str); 6] = [
        ("QEMU", "QEMU"),
        ("VMware", "VMware"),
        ("VBOX", "VirtualBox"),
        ("Msft", "Hyper-V"),
        ("NUTANIX", "Nutanix"),
        ("PersistentDisk", "Google Compute Engine"),
    ];
    Ok(MARKERS
        .iter()
        .find(|(marker, _)| identity.contains(marker))
        .map(|(_, hypervisor)| *hypervisor))
}

// SMBIOS

/// One SMBIOS string from `/sys/class/dmi/id`, trimmed; `None` when the file is absent.
/// `product_uuid` and `product_serial` are readable by root only: the error says so.
pub fn dmi_field(host: &Host, field: &str) -> Result<Option<String>, HostError> {
    Ok(host
        .read_optional(&format!("{DMI_DIR}/{field}"))?
        .map(|text| text.trim().to_owned()))
}

/// Whether an SMBIOS value is a vendor placeholder rather than a machine's own identity (the
/// rule is shared with the controller's BMC checks).
pub fn is_dmi_placeholder(value: &str) -> bool {
    ironprep_schema::identity::is_placeholder(value)
}

// TPM

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tpm {
    Absent,
    /// A TPM the kernel drives; `evidence` says which file told its version.
    Present {
        version: TpmVersion,
        evidence: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TpmVersion {
    V2,
    V1_2,
    Unknown,
}

const TPM_DIR: &str = "/sys/class/tpm/tpm0";

/// The first TPM and its version, from the best file the running kernel offers.
pub fn tpm(host: &Host) -> Result<Tpm, HostError> {
    // The resource manager node exists for TPM 2.0 only (kernel 4.12 and later).
    let resource_manager = if host.exists("/sys/class/tpmrm/tpmrm0")? {
        Some("/sys/class/tpmrm/tpmrm0")
    } else if host.exists("/dev/tpmrm0")? {
        Some("/dev/tpmrm0")
    } else {
        None
    };
    if !host.exists(TPM_DIR)? {
        return Ok(match resource_manager {
            Some(path) => Tpm::Present {
                version: TpmVersion::V2,
                evidence: format!("{path} exists"),
            },
            None => Tpm::Absent,
        });
    }
    let present = |version, evidence: String| Ok(Tpm::Present { version, evidence });
    // Kernel 5.6 and later.
    let major_path = format!("{TPM_DIR}/tpm_version_major");
    if let Some(text) = host.read_optional(&major_path)? {
        return match text.trim() {
            "2" => present(TpmVersion::V2, "tpm_version_major 2".to_owned()),
            "1" => present(TpmVersion::V1_2, "tpm_version_major 1".to_owned()),
            other => Err(HostError::new(
                major_path,
                format!("malformed version '{other}'"),
            )),
        };
    }
    // TPM 1.2 drivers publish their capabilities; TPM 2.0 drivers do not.
    for caps in [format!("{TPM_DIR}/caps"), format!("{TPM_DIR}/device/caps")] {
        if let Some(text) = host.read_optional(&caps)?
            && let Some(version) = text.lines().find_map(|line| {
                line.strip_prefix("TCG version:")
                    .map(|version| version.trim().to_owned())
            })
        {
            let parsed = if version.starts_with("1.") {
                TpmVersion::V1_2
            } else if version.starts_with('2') {
                TpmVersion::V2
            } else {
                TpmVersion::Unknown
            };
            return present(parsed, format!("caps: TCG version {version}"));
        }
    }
    // The ACPI description, such as "TPM 2.0 Device".
    if let Some(text) = host.read_optional(&format!("{TPM_DIR}/device/description"))? {
        let description = text.trim();
        if description.contains("2.0") {
            return present(TpmVersion::V2, format!("described as '{description}'"));
        }
        if description.contains("1.2") {
            return present(TpmVersion::V1_2, format!("described as '{description}'"));
        }
    }
    if let Some(path) = resource_manager {
        return present(TpmVersion::V2, format!("{path} exists"));
    }
    present(TpmVersion::Unknown, format!("{TPM_DIR} exists"))
}

// Read-only disk measurement

/// Size of the random reads: etcd's page size and the usual logical block size.
pub const RANDOM_READ_BYTES: usize = 4096;

/// Size of the sequential reads.
pub const SEQUENTIAL_READ_BYTES: usize = 1 << 20;

/// O_DIRECT wants buffers, offsets and lengths aligned to the logical block size; 4096 covers
/// both 512-byte and 4Kn disks.
const DIRECT_ALIGNMENT: usize = 4096;

/// What [`measure_reads`] counted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadMeasurement {
    pub random_reads: u64,
    pub random_elapsed: Duration,
    pub sequential_bytes: u64,
    pub sequential_elapsed: Duration,
    /// The reads bypassed the page cache (O_DIRECT). Without it, cached data can inflate both
    /// figures.
    pub direct: bool,
}

impl ReadMeasurement {
    /// Random 4 KiB reads per second, one at a time.
    pub fn iops(&self) -> f64 {
        per_second(self.random_reads as f64, self.random_elapsed)
    }

    /// Sequential throughput in MB/s (10^6 bytes, as disk vendors and the guide count).
    pub fn megabytes_per_second(&self) -> f64 {
        per_second(self.sequential_bytes as f64 / 1e6, self.sequential_elapsed)
    }
}

fn per_second(amount: f64, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        0.0
    } else {
        amount / elapsed.as_secs_f64()
    }
}

/// Reads `path` (a block device) for `each` with random 4 KiB reads, then for `each` with
/// sequential 1 MiB reads, one request at a time. The device is opened read-only; nothing is
/// ever written.
pub fn measure_reads(
    live: &LiveSystem,
    path: &str,
    each: Duration,
) -> Result<ReadMeasurement, HostError> {
    let root = live.effective_uid() == 0;
    let mut buffer = AlignedBuffer::new(SEQUENTIAL_READ_BYTES);
    let (mut file, mut direct) = open_for_reading(path, true, root)?;
    let size = file
        .seek(SeekFrom::End(0))
        .map_err(|error| io_error(path, &error, root))?;
    let span = size / DIRECT_ALIGNMENT as u64 * DIRECT_ALIGNMENT as u64;
    if span < SEQUENTIAL_READ_BYTES as u64 {
        return Err(HostError::new(
            path,
            "smaller than 1 MiB; nothing to measure",
        ));
    }
    // Some filesystems accept O_DIRECT at open and refuse it at the first read.
    if let Err(error) = file.read_at(buffer.slice(RANDOM_READ_BYTES), 0) {
        if error.raw_os_error() == Some(nix::libc::EINVAL) {
            (file, direct) = open_for_reading(path, false, root)?;
        } else {
            return Err(io_error(path, &error, root));
        }
    }
    let blocks = span / RANDOM_READ_BYTES as u64;
    let mut random = RandomOffsets::new();

    let started = Instant::now();
    let mut random_reads = 0;
    while started.elapsed() < each {
        let offset = random.below(blocks) * RANDOM_READ_BYTES as u64;
        file.read_at(buffer.slice(RANDOM_READ_BYTES), offset)
            .map_err(|error| io_error(path, &error, root))?;
        random_reads += 1;
    }
    let random_elapsed = started.elapsed();

    let mut offset = random.below(blocks) * RANDOM_READ_BYTES as u64;
    let started = Instant::now();
    let mut sequential_bytes = 0;
    while started.elapsed() < each {
        if offset + SEQUENTIAL_READ_BYTES as u64 > span {
            offset = 0;
        }
        let read = file
            .read_at(buffer.slice(SEQUENTIAL_READ_BYTES), offset)
            .map_err(|error| io_error(path, &error, root))?;
        if read == 0 {
            offset = 0;
            continue;
        }
        sequential_bytes += read as u64;
        offset += read as u64;
    }
    Ok(ReadMeasurement {
        random_reads,
        random_elapsed,
        sequential_bytes,
        sequential_elapsed: started.elapsed(),
        direct,
    })
}

/// Opens `path` read-only, bypassing the page cache when `direct`. A filesystem that refuses
/// O_DIRECT (tmpfs) gets a buffered open instead, and the caller is told.
fn open_for_reading(path: &str, direct: bool, root: bool) -> Result<(File, bool), HostError> {
    let mut options = OpenOptions::new();
    options.read(true);
    if direct {
        options.custom_flags(nix::libc::O_DIRECT);
    }
    match options.open(path) {
        Ok(file) => Ok((file, direct)),
        Err(error) if direct && error.raw_os_error() == Some(nix::libc::EINVAL) => {
            open_for_reading(path, false, root)
        }
        Err(error) => Err(io_error(path, &error, root)),
    }
}

/// `root`: the agent already runs as root, so a refusal comes from a device policy (a
/// container's device cgroup, a security module), not from missing privileges.
fn io_error(path: &str, error: &io::Error, root: bool) -> HostError {
    match error.kind() {
        io::ErrorKind::PermissionDenied if root => HostError::new(
            path,
            "not permitted even as root (a container or device policy blocks reading it)",
        ),
        io::ErrorKind::PermissionDenied => HostError::new(path, "permission denied (run as root)"),
        _ => HostError::new(path, error.to_string().to_lowercase()),
    }
}

/// A zeroed buffer whose usable part starts on a 4096-byte boundary, as O_DIRECT requires.
/// It over-allocates by one alignment and skips to the boundary, so it needs no unsafe code.
struct AlignedBuffer {
    storage: Vec<u8>,
    /// Offset of the first aligned byte; at most `DIRECT_ALIGNMENT`, so `start + capacity`
    /// stays within `storage`.
    start: usize,
}

impl AlignedBuffer {
    fn new(capacity: usize) -> AlignedBuffer {
        let storage = vec![0; capacity + DIRECT_ALIGNMENT];
        // `align_offset` can only fail to find the boundary in const evaluation; should it
        // ever, the reads fail with EINVAL rather than corrupting anything.
        let start = storage
            .as_ptr()
            .align_offset(DIRECT_ALIGNMENT)
            .min(DIRECT_ALIGNMENT);
        AlignedBuffer { storage, start }
    }

    /// The first `length` aligned bytes; `length` never exceeds the capacity given to `new`.
    fn slice(&mut self, length: usize) -> &mut [u8] {
        let end = (self.start + length).min(self.storage.len());
        &mut self.storage[self.start..end]
    }
}

/// xorshift64: offsets only need to defeat read-ahead and the disk's cache, not be secure.
struct RandomOffsets(u64);

impl RandomOffsets {
    fn new() -> RandomOffsets {
        RandomOffsets(RandomState::new().hash_one(Instant::now()) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        let mut state = self.0;
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        self.0 = state;
        state % bound.max(1)
    }
}

/// Realistic sysfs and procfs pieces for the CPU and disk checks' tests.
#[cfg(test)]
pub mod fixtures {
    use crate::testing::Tree;

    /// A SATA SSD on an Intel AHCI controller, as a Dell or HPE server shows it.
    pub const SATA_SDA: &str =
        "devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda";
    /// A second SATA disk.
    pub const SATA_SDB: &str =
        "devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sdb";
    pub const NVME0N1: &str = "devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1";
    pub const VIRTIO_VDA: &str = "devices/pci0000:00/0000:00:04.0/virtio2/block/vda";

    /// A whole disk under `sys/<device_dir>` (its last component is the kernel name), linked
    /// from /sys/class/block and /sys/block, with the partitions named.
    pub fn disk(
        tree: Tree,
        device_dir: &str,
        rotational: bool,
        vendor_model: Option<(&str, &str)>,
        partitions: &[&str],
    ) -> Tree {
        let name = device_dir.rsplit('/').next().unwrap();
        let mut tree = tree
            .file(
                &format!("sys/{device_dir}/queue/rotational"),
                if rotational { "1\n" } else { "0\n" },
            )
            .dir(&format!("sys/{device_dir}/slaves"))
            .dir(&format!("sys/{device_dir}/holders"))
            .symlink(
                &format!("sys/class/block/{name}"),
                &format!("../../{device_dir}"),
            )
            .symlink(&format!("sys/block/{name}"), &format!("../{device_dir}"));
        if let Some((vendor, model)) = vendor_model {
            tree = tree
                .file(
                    &format!("sys/{device_dir}/device/vendor"),
                    &format!("{vendor}\n"),
                )
                .file(
                    &format!("sys/{device_dir}/device/model"),
                    &format!("{model}\n"),
                );
        }
        for (index, partition) in partitions.iter().enumerate() {
            tree = tree
                .file(
                    &format!("sys/{device_dir}/{partition}/partition"),
                    &format!("{}\n", index + 1),
                )
                .symlink(
                    &format!("sys/class/block/{partition}"),
                    &format!("../../{device_dir}/{partition}"),
                );
        }
        tree
    }

    /// A device-mapper device (LVM volume, LUKS, multipath) over `members`, given as their
    /// sysfs directories under `sys/`.
    pub fn device_mapper(tree: Tree, name: &str, mapped: &str, members: &[&str]) -> Tree {
        let directory = format!("sys/devices/virtual/block/{name}");
        let mut tree = tree
            .file(&format!("{directory}/dm/name"), &format!("{mapped}\n"))
            .file(&format!("{directory}/queue/rotational"), "0\n")
            .dir(&format!("{directory}/slaves"))
            .symlink(
                &format!("sys/class/block/{name}"),
                &format!("../../devices/virtual/block/{name}"),
            );
        for member in members {
            let member_name = member.rsplit('/').next().unwrap();
            let relative = member.strip_prefix("devices/").unwrap();
            tree = tree.symlink(
                &format!("{directory}/slaves/{member_name}"),
                &format!("../../../../{relative}"),
            );
        }
        tree
    }

    /// `/proc/self/mountinfo` of a RHEL 8 host installed with the default LVM layout.
    pub const RHEL8_LVM_MOUNTINFO: &str = "\
22 98 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw,seclabel
23 98 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:25 - proc proc rw
98 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/rhel-root rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota
101 98 8:1 / /boot rw,relatime shared:57 - xfs /dev/sda1 rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota
";

    /// A RHEL 8 host with the LVM root on `sda2` (an SSD unless `rotational`).
    pub fn rhel8_lvm(rotational: bool) -> Tree {
        let tree = Tree::new()
            .file("proc/self/mountinfo", RHEL8_LVM_MOUNTINFO)
            .dir("var/lib");
        let tree = disk(
            tree,
            SATA_SDA,
            rotational,
            Some(("ATA", "INTEL SSDSC2KB48")),
            &["sda1", "sda2"],
        );
        device_mapper(tree, "dm-0", "rhel-root", &[&format!("{SATA_SDA}/sda2")])
    }

    /// `/proc/cpuinfo` of an x86 host: `sockets` × `cores` × `threads` logical CPUs.
    pub fn x86_cpuinfo(
        model_name: &str,
        megahertz: &str,
        sockets: u32,
        cores: u32,
        threads: u32,
    ) -> String {
        let mut text = String::new();
        let mut processor = 0;
        for thread in 0..threads {
            for socket in 0..sockets {
                for core in 0..cores {
                    text.push_str(&format!(
                        "processor\t: {processor}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\
                         model\t\t: 85\nmodel name\t: {model_name}\nstepping\t: 7\n\
                         microcode\t: 0x5003604\ncpu MHz\t\t: {megahertz}\n\
                         cache size\t: 28160 KB\nphysical id\t: {socket}\n\
                         siblings\t: {}\ncore id\t\t: {core}\ncpu cores\t: {cores}\n\
                         apicid\t\t: {}\nfpu\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae \
                         mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 \
                         ht syscall nx lm constant_tsc pni ssse3 cx16 sse4_1 sse4_2 popcnt \
                         lahf_lm\nbogomips\t: 5000.00\n\n",
                        cores * threads,
                        socket * 64 + core * 2 + thread,
                    ));
                    processor += 1;
                }
            }
        }
        text
    }

    /// `/proc/cpuinfo` of a Kunpeng 920 with `count` cores (no MHz, no topology fields).
    pub fn kunpeng_cpuinfo(count: u32) -> String {
        (0..count)
            .map(|processor| {
                format!(
                    "processor\t: {processor}\nBogoMIPS\t: 200.00\nFeatures\t: fp asimd evtstrm \
                     aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma \
                     dcpop asimddp asimdfhm\nCPU implementer\t: 0x48\nCPU architecture: 8\n\
                     CPU variant\t: 0x1\nCPU part\t: 0xd01\nCPU revision\t: 0\n\n"
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::testing::Tree;

    fn stack(tree: Tree, path: &str) -> BlockStack {
        match locate(&tree.host(), path).unwrap() {
            Location::Block(stack) => stack,
            Location::Elsewhere(reason) => panic!("not on a block device: {reason}"),
        }
    }

    #[test]
    fn lvm_root_resolves_through_device_mapper_to_the_disk() {
        let stack = stack(rhel8_lvm(false), ETCD_DATA_DIR);
        assert_eq!(stack.path, "/var/lib");
        assert_eq!(stack.device, "dm-0");
        assert_eq!(stack.disks, ["sda"]);
        assert_eq!(
            stack.describe(),
            "/var/lib on /dev/mapper/rhel-root (dm-0 → sda)"
        );
    }

    #[test]
    fn a_plain_partition_resolves_to_its_disk() {
        let tree = Tree::new()
            .file(
                "proc/self/mountinfo",
                "29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n",
            )
            .dir("var/lib/etcd");
        let tree = disk(tree, NVME0N1, false, None, &["nvme0n1p1", "nvme0n1p2"]);
        let stack = stack(tree, ETCD_DATA_DIR);
        assert_eq!(stack.path, "/var/lib/etcd");
        assert_eq!(
            (stack.device.as_str(), stack.disks),
            ("nvme0n1p2", vec!["nvme0n1".to_owned()])
        );
    }

    #[test]
    fn a_separate_etcd_mount_and_a_symlinked_data_dir_are_followed() {
        let mountinfo = "\
29 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
98 29 259:1 / /data rw,relatime shared:49 - xfs /dev/nvme0n1p1 rw
";
        let tree = Tree::new()
            .file("proc/self/mountinfo", mountinfo)
            .dir("data/etcd")
            .symlink("var/lib/etcd", "/data/etcd");
        let tree = disk(tree, SATA_SDA, true, None, &["sda1", "sda2"]);
        let tree = disk(tree, NVME0N1, false, None, &["nvme0n1p1"]);
        let stack = stack(tree, ETCD_DATA_DIR);
        assert_eq!(stack.path, "/data/etcd");
        assert_eq!(stack.disks, ["nvme0n1"]);
    }

    #[test]
    fn md_raid_under_lvm_lists_every_member_disk() {
        let mountinfo =
            "98 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/vg0-root rw,noquota\n";
        let md = "devices/virtual/block/md127";
        let tree = Tree::new().file("proc/self/mountinfo", mountinfo);
        let tree = disk(tree, SATA_SDA, false, None, &["sda1"]);
        let tree = disk(tree, SATA_SDB, false, None, &["sdb1"]);
        let tree = tree
            .file(&format!("sys/{md}/queue/rotational"), "0\n")
            .symlink("sys/class/block/md127", "../../devices/virtual/block/md127")
            .symlink(
                &format!("sys/{md}/slaves/sda1"),
                &format!(
                    "../../../../{}/sda1",
                    SATA_SDA.strip_prefix("devices/").unwrap()
                ),
            )
            .symlink(
                &format!("sys/{md}/slaves/sdb1"),
                &format!(
                    "../../../../{}/sdb1",
                    SATA_SDB.strip_prefix("devices/").unwrap()
                ),
            );
        let tree = device_mapper(tree, "dm-0", "vg0-root", &[md]);
        let stack = stack(tree, ETCD_DATA_DIR);
        assert_eq!(stack.path, "/");
        assert_eq!(stack.disks, ["sda", "sdb"]);
    }

    #[test]
    fn dev_root_is_found_by_its_device_number() {
        let tree = Tree::new()
            .file(
                "proc/self/mountinfo",
                "17 1 8:2 / / rw,relatime shared:1 - ext4 /dev/root rw\n",
            )
            .symlink("sys/dev/block/8:2", &format!("../../{SATA_SDA}/sda2"));
        let tree = disk(tree, SATA_SDA, false, None, &["sda1", "sda2"]);
        let stack = stack(tree, ETCD_DATA_DIR);
        assert_eq!(
            (stack.device.as_str(), stack.disks),
            ("sda2", vec!["sda".to_owned()])
        );
    }

    #[test]
    fn an_overlay_root_is_not_a_block_device() {
        let tree = Tree::new().file(
            "proc/self/mountinfo",
            "520 430 0:52 / / rw,relatime master:245 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n",
        );
        assert_eq!(
            locate(&tree.host(), ETCD_DATA_DIR).unwrap(),
            Location::Elsewhere(
                "/ is on overlay (overlay), not a block device listed in /sys/class/block"
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_tree_without_proc_cannot_tell() {
        let location = locate(&Tree::new().dir("var/lib").host(), ETCD_DATA_DIR).unwrap();
        assert!(
            matches!(&location, Location::Elsewhere(reason) if reason.starts_with("no mount table")),
            "{location:?}"
        );
    }

    #[test]
    fn a_slaves_loop_is_an_error_not_a_hang() {
        let tree = Tree::new()
            .file(
                "proc/self/mountinfo",
                "98 1 253:0 / / rw,relatime - xfs /dev/mapper/a rw\n",
            )
            .file("sys/devices/virtual/block/dm-0/dm/name", "a\n")
            .symlink("sys/class/block/dm-0", "../../devices/virtual/block/dm-0")
            .symlink("sys/devices/virtual/block/dm-0/slaves/dm-0", "../../dm-0");
        let error = locate(&tree.host(), "/").unwrap_err();
        assert!(error.to_string().contains("deeper than 8"), "{error}");
    }

    #[test]
    fn rotational_flags_and_virtual_disks() {
        let tree = disk(
            Tree::new(),
            SATA_SDA,
            true,
            Some(("QEMU", "QEMU HARDDISK")),
            &[],
        );
        let tree = disk(
            tree,
            SATA_SDB,
            false,
            Some(("ATA", "SAMSUNG MZ7LH480")),
            &[],
        );
        let tree = disk(tree, VIRTIO_VDA, true, None, &[])
            .file("sys/devices/virtual/block/dm-9/queue/rotational", "yes\n")
            .symlink("sys/class/block/dm-9", "../../devices/virtual/block/dm-9");
        let host = tree.host();
        assert!(rotational(&host, "sda").unwrap());
        assert!(!rotational(&host, "sdb").unwrap());
        assert_eq!(virtual_disk(&host, "sda").unwrap(), Some("QEMU"));
        assert_eq!(virtual_disk(&host, "sdb").unwrap(), None);
        assert_eq!(virtual_disk(&host, "vda").unwrap(), Some("virtio"));
        assert_eq!(
            rotational(&host, "dm-9").unwrap_err().to_string(),
            "/sys/class/block/dm-9/queue/rotational: malformed flag 'yes'"
        );
    }

    #[test]
    fn cpu_kinds() {
        let kunpeng = system::parse_cpuinfo(&kunpeng_cpuinfo(1));
        assert_eq!(CpuKind::of(&kunpeng[0]), CpuKind::Kunpeng920);
        let phytium =
            system::parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x70\nCPU part\t: 0x662\n\n");
        assert_eq!(CpuKind::of(&phytium[0]), CpuKind::OtherArm);
        let xeon = system::parse_cpuinfo(&x86_cpuinfo("Intel(R) Xeon(R)", "2500.000", 1, 1, 1));
        assert_eq!(CpuKind::of(&xeon[0]), CpuKind::X86);
    }

    #[test]
    fn tpm_versions_from_each_source() {
        let version = |tree: Tree| tpm(&tree.host()).unwrap();
        assert_eq!(version(Tree::new()), Tpm::Absent);
        assert_eq!(
            version(Tree::new().file("sys/class/tpm/tpm0/tpm_version_major", "2\n")),
            Tpm::Present {
                version: TpmVersion::V2,
                evidence: "tpm_version_major 2".to_owned()
            }
        );
        let caps = "Manufacturer: 0x49465800\nTCG version: 1.2\nFirmware version: 6.40\n";
        assert_eq!(
            version(Tree::new().file("sys/class/tpm/tpm0/device/caps", caps)),
            Tpm::Present {
                version: TpmVersion::V1_2,
                evidence: "caps: TCG version 1.2".to_owned()
            }
        );
        assert!(matches!(
            version(Tree::new().file("sys/class/tpm/tpm0/device/description", "TPM 2.0 Device\n")),
            Tpm::Present {
                version: TpmVersion::V2,
                ..
            }
        ));
        assert!(matches!(
            version(
                Tree::new()
                    .dir("sys/class/tpm/tpm0")
                    .dir("sys/class/tpmrm/tpmrm0")
            ),
            Tpm::Present {
                version: TpmVersion::V2,
                ..
            }
        ));
        assert!(matches!(
            version(Tree::new().dir("sys/class/tpm/tpm0")),
            Tpm::Present {
                version: TpmVersion::Unknown,
                ..
            }
        ));
        assert_eq!(
            tpm(&Tree::new()
                .file("sys/class/tpm/tpm0/tpm_version_major", "two\n")
                .host())
            .unwrap_err()
            .to_string(),
            "/sys/class/tpm/tpm0/tpm_version_major: malformed version 'two'"
        );
    }

    #[test]
    fn read_figures_are_per_second() {
        let measurement = ReadMeasurement {
            random_reads: 9000,
            random_elapsed: Duration::from_secs(2),
            sequential_bytes: 1_000_000_000,
            sequential_elapsed: Duration::from_millis(2500),
            direct: true,
        };
        assert_eq!(measurement.iops(), 4500.0);
        assert_eq!(measurement.megabytes_per_second(), 400.0);
        let nothing = ReadMeasurement {
            random_elapsed: Duration::ZERO,
            sequential_elapsed: Duration::ZERO,
            ..measurement
        };
        assert_eq!((nothing.iops(), nothing.megabytes_per_second()), (0.0, 0.0));
    }

    #[test]
    fn aligned_buffers_start_on_a_4096_byte_boundary() {
        let mut buffer = AlignedBuffer::new(SEQUENTIAL_READ_BYTES);
        let slice = buffer.slice(SEQUENTIAL_READ_BYTES);
        assert_eq!(slice.len(), SEQUENTIAL_READ_BYTES);
        assert_eq!(slice.as_ptr() as usize % DIRECT_ALIGNMENT, 0);
    }

    #[test]
    fn random_offsets_stay_below_the_bound() {
        let mut random = RandomOffsets::new();
        let offsets: BTreeSet<u64> = (0..1000).map(|_| random.below(50)).collect();
        assert!(offsets.iter().all(|offset| *offset < 50));
        assert!(offsets.len() > 10, "{offsets:?}");
    }

    #[test]
    fn measuring_a_regular_file_reads_it_and_never_changes_it() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("image");
        let contents: Vec<u8> = (0..8u32 << 20).map(|index| (index % 251) as u8).collect();
        std::fs::write(&path, &contents).unwrap();
        let path = path.to_str().unwrap();
        let live = Host::live().live_system().unwrap();
        let measurement = measure_reads(&live, path, Duration::from_millis(50)).unwrap();
        assert!(measurement.random_reads > 0, "{measurement:?}");
        assert!(
            measurement.sequential_bytes >= SEQUENTIAL_READ_BYTES as u64,
            "{measurement:?}"
        );
        assert_eq!(std::fs::read(path).unwrap(), contents);

        std::fs::write(directory.path().join("small"), b"tiny").unwrap();
        let small = directory.path().join("small");
        let error =
            measure_reads(&live, small.to_str().unwrap(), Duration::from_millis(1)).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("smaller than 1 MiB; nothing to measure")
        );
    }
}
