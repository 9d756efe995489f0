//! `fs.tmp-exec`: the installer copies scripts and binaries to /tmp on each node and runs
//! them there; on a `noexec` mount they fail with "permission denied" even as root.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system;

/// The per-mount flags shown when /tmp is noexec. The shared mount parser keeps option names
/// only, so filesystem options with values (`size=…`) would show as bare names.
const MOUNT_FLAGS: [&str; 11] = [
    "rw",
    "ro",
    "nosuid",
    "nodev",
    "noexec",
    "relatime",
    "noatime",
    "strictatime",
    "nodiratime",
    "sync",
    "dirsync",
];

pub struct FsTmpExec;

impl Check for FsTmpExec {
    fn id(&self) -> &'static str {
        "fs.tmp-exec"
    }

    fn title(&self) -> &'static str {
        "/tmp is not mounted noexec"
    }

    fn hint(&self) -> &'static str {
        "remove noexec from the /tmp entry in /etc/fstab or from tmp.mount (`systemctl edit \
         tmp.mount`), then `mount -o remount,exec /tmp`"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        // A mounted disk image has an empty /proc: its mounts are not active anywhere.
        if !host.is_live()
            && !host.exists("/proc/self/mountinfo")?
            && !host.exists("/proc/mounts")?
        {
            return Ok(Outcome::skip(
                "needs the running system's mount table (--root has no /proc/self/mountinfo)",
            ));
        }
        let mounts = system::mounts(host)?;
        let Some(mount) = system::mount_of(&mounts, "/tmp") else {
            return Err(HostError::new(
                "/proc/self/mountinfo",
                "no mount holds /tmp (not even /)",
            ));
        };
        let noexec = mount.options.contains("noexec");
        let place = if mount.mount_point == "/tmp" {
            format!("/tmp is its own mount ({})", mount.fs_type)
        } else {
            format!("/tmp is on {} ({})", mount.mount_point, mount.fs_type)
        };
        let observed = if noexec {
            let options: Vec<&str> = mount
                .options
                .iter()
                .map(String::as_str)
                .filter(|option| MOUNT_FLAGS.contains(option))
                .collect();
            format!("{place}, mounted noexec ({})", options.join(","))
        } else {
            format!("{place}, exec allowed")
        };
        Ok(
            Observation::new(observed, "the mount holding /tmp has no noexec")
                .fail_if(noexec)
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    /// RHEL 8 with LVM: / on xfs, /tmp not a mount of its own.
    const RHEL8_MOUNTINFO: &str = "\
22 96 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw,seclabel
23 96 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:26 - proc proc rw
24 96 0:6 / /dev rw,nosuid shared:22 - devtmpfs devtmpfs rw,seclabel,size=8118172k,nr_inodes=2029543,mode=755
96 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/rhel-root rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota
100 96 8:1 / /boot rw,relatime shared:61 - xfs /dev/sda1 rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota
";

    /// A CIS-hardened host: /tmp as tmpfs with nodev,nosuid,noexec.
    const HARDENED_MOUNTINFO: &str = "\
23 96 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:26 - proc proc rw
96 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/rhel-root rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota
104 96 0:45 / /tmp rw,nosuid,nodev,noexec,relatime shared:63 - tmpfs tmpfs rw,seclabel,size=4194304k
";

    #[test]
    fn tmp_on_the_root_filesystem_passes() {
        let result = Tree::new()
            .file("proc/self/mountinfo", RHEL8_MOUNTINFO)
            .status(&FsTmpExec);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "/tmp is on / (xfs), exec allowed");
    }

    #[test]
    fn a_noexec_tmpfs_fails_and_shows_its_options() {
        let result = Tree::new()
            .file("proc/self/mountinfo", HARDENED_MOUNTINFO)
            .status(&FsTmpExec);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/tmp is its own mount (tmpfs), mounted noexec \
             (nodev,noexec,nosuid,relatime,rw)"
        );
    }

    #[test]
    fn proc_mounts_is_the_fallback() {
        // Ubuntu 22.04 with /tmp as an exec tmpfs, from /proc/mounts.
        let mounts = "/dev/sda2 / ext4 rw,relatime 0 0\n\
                      tmpfs /tmp tmpfs rw,nosuid,nodev,size=8147744k,inode64 0 0\n";
        let result = Tree::new().file("proc/mounts", mounts).status(&FsTmpExec);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "/tmp is its own mount (tmpfs), exec allowed"
        );
    }

    #[test]
    fn a_disk_image_without_proc_is_skipped() {
        let result = Tree::new()
            .file("etc/fstab", "/dev/sda1 / xfs defaults 0 0\n")
            .status(&FsTmpExec);
        assert_status(&result, Status::Skip);
    }

    #[test]
    fn malformed_mountinfo_is_an_error_naming_it() {
        let result = Tree::new()
            .file("proc/self/mountinfo", "96 1 253:0 garbage\n")
            .status(&FsTmpExec);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with("/proc/self/mountinfo: malformed")),
            "{result:?}"
        );
    }
}
