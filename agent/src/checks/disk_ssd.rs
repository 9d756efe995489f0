//! `disk.ssd`: the guide requires an SSD for the control plane. etcd fsyncs every write; on a
//! spinning disk those fsyncs take tens of milliseconds, and the cluster logs "apply request
//! took too long", misses heartbeats and elects leaders over and over.
//!
//! The disk judged is the one under /var/lib/etcd (or the nearest existing parent), followed
//! through partitions, LVM, device-mapper and md RAID down to every physical disk.

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::hardware::{self, ETCD_DATA_DIR, Location};
use crate::host::{Host, HostError};

pub struct DiskSsd;

impl Check for DiskSsd {
    fn id(&self) -> &'static str {
        "disk.ssd"
    }

    fn title(&self) -> &'static str {
        "etcd's disk is an SSD"
    }

    fn hint(&self) -> &'static str {
        "put /var/lib/etcd on an SSD or NVMe disk (mount a dedicated SSD there before \
         installing); `lsblk -d -o NAME,ROTA,MODEL` shows ROTA 0 for SSDs"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane, Role::Etcd])
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let stack = match hardware::locate(host, ETCD_DATA_DIR)? {
            Location::Block(stack) => stack,
            Location::Elsewhere(reason) => {
                return Ok(Outcome::skip(format!(
                    "cannot find the disk of {ETCD_DATA_DIR}: {reason}"
                )));
            }
        };
        let mut findings = Vec::new();
        let (mut spinning, mut unknown) = (false, false);
        for disk in &stack.disks {
            let rotational = hardware::rotational(host, disk)?;
            match (rotational, hardware::virtual_disk(host, disk)?) {
                (false, _) => findings.push(format!("{disk} non-rotational")),
                (true, Some(hypervisor)) => {
                    unknown = true;
                    findings.push(format!(
                        "{disk} reported rotational, but it is a {hypervisor} virtual disk: \
                         the hypervisor does not tell whether it is an SSD"
                    ));
                }
                (true, None) => {
                    spinning = true;
                    findings.push(format!("{disk} rotational (HDD)"));
                }
            }
        }
        let observed = format!("{}: {}", stack.describe(), findings.join("; "));
        let mut observation = Observation::new(observed, "every disk under it non-rotational")
            .warn_if(unknown)
            .fail_if(spinning);
        if unknown && !spinning {
            observation = observation.with_hint(
                "confirm that the VM's disk is backed by SSD/NVMe storage; to let the guest see \
                 it, present the disk as non-rotational (QEMU/libvirt: a virtio-scsi disk with \
                 rotation_rate=1; VMware: mark the disk as SSD, scsiX:Y.virtualSSD = 1)",
            );
        }
        Ok(observation.into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Status};

    use super::*;
    use crate::hardware::fixtures::{
        NVME0N1, SATA_SDA, SATA_SDB, VIRTIO_VDA, device_mapper, disk, rhel8_lvm,
    };
    use crate::testing::{Tree, assert_status, context};

    #[test]
    fn an_ssd_under_lvm_passes() {
        let result = rhel8_lvm(false).status(&DiskSsd);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "/var/lib on /dev/mapper/rhel-root (dm-0 → sda): sda non-rotational"
        );
    }

    #[test]
    fn a_hard_disk_under_lvm_fails() {
        let result = rhel8_lvm(true).status(&DiskSsd);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/var/lib on /dev/mapper/rhel-root (dm-0 → sda): sda rotational (HDD)"
        );
    }

    #[test]
    fn a_volume_spanning_an_ssd_and_an_hdd_fails() {
        let mountinfo = "\
29 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
98 29 253:3 / /var/lib/etcd rw,relatime shared:49 - xfs /dev/mapper/etcd-data rw,noquota
";
        let tree = Tree::new()
            .file("proc/self/mountinfo", mountinfo)
            .dir("var/lib/etcd/member");
        let tree = disk(tree, SATA_SDA, false, None, &["sda1", "sda2"]);
        let tree = disk(tree, SATA_SDB, true, Some(("ATA", "ST2000NM0055-1V4")), &[]);
        let tree = disk(tree, NVME0N1, false, None, &[]);
        let tree = device_mapper(tree, "dm-3", "etcd-data", &[NVME0N1, SATA_SDB]);
        let result = tree.status(&DiskSsd);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/var/lib/etcd on /dev/mapper/etcd-data (dm-3 → nvme0n1, sdb): \
             nvme0n1 non-rotational; sdb rotational (HDD)"
        );
    }

    #[test]
    fn a_virtio_disk_warns_that_the_hypervisor_does_not_tell() {
        let tree = Tree::new()
            .file(
                "proc/self/mountinfo",
                "27 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard\n",
            )
            .dir("var/lib");
        let result = disk(tree, VIRTIO_VDA, true, None, &["vda1"]).status(&DiskSsd);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "/var/lib on /dev/vda1 (vda1 → vda): vda reported rotational, but it is a virtio \
             virtual disk: the hypervisor does not tell whether it is an SSD"
        );
        assert!(result.hint.contains("rotation_rate=1"), "{}", result.hint);
    }

    #[test]
    fn an_overlay_root_is_skipped() {
        let result = Tree::new()
            .file(
                "proc/self/mountinfo",
                "520 430 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u\n",
            )
            .status(&DiskSsd);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some(
                "cannot find the disk of /var/lib/etcd: / is on overlay (overlay), not a block \
                 device listed in /sys/class/block"
            )
        );
    }

    #[test]
    fn a_missing_rotational_flag_is_an_error_naming_it() {
        let tree = Tree::new().file(
            "proc/self/mountinfo",
            "29 1 8:0 / / rw,relatime shared:1 - ext4 /dev/sda rw\n",
        );
        let tree = disk(tree, SATA_SDA, false, None, &[])
            .file(&format!("sys/{SATA_SDA}/queue/rotational"), "");
        let result = tree.status(&DiskSsd);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/class/block/sda/queue/rotational: malformed flag ''")
        );
    }

    #[test]
    fn workers_are_out_of_scope() {
        let worker = context(Profile::Traditional, &[Role::Worker], Cni::KubeOvn);
        assert_status(&rhel8_lvm(true).run(&DiskSsd, &worker), Status::Skip);
    }
}
