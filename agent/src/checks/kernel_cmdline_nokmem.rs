//! `kernel.cmdline-nokmem`: the CentOS 7 kernel (3.10) leaks kernel-memory accounting for every
//! memory cgroup it creates; after enough pods have come and gone the node fails to create
//! containers ("cannot allocate memory"). `cgroup.memory=nokmem` turns that accounting off.

use super::kernel_cmdline_thp::{GrubDefaults, kernel_argument_hint};
use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system::{self, OsRelease};

const ARGUMENT: &str = "cgroup.memory=nokmem";

pub struct KernelCmdlineNokmem;

impl Check for KernelCmdlineNokmem {
    fn id(&self) -> &'static str {
        "kernel.cmdline-nokmem"
    }

    fn title(&self) -> &'static str {
        "CentOS 7 kernel command line has cgroup.memory=nokmem"
    }

    fn hint(&self) -> &'static str {
        "`grubby --update-kernel=ALL --args=cgroup.memory=nokmem`, then reboot"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let release = OsRelease::read(host)?;
        if !release.is_centos7() {
            let name = if release.pretty_name.is_empty() {
                format!("{} {}", release.id, release.version_id)
            } else {
                release.pretty_name.clone()
            };
            return Ok(Outcome::skip(format!(
                "applies to CentOS 7.x only; this is {name}"
            )));
        }
        let cmdline = system::kernel_cmdline(host)?;
        let active = has_nokmem(&cmdline);
        let configured = GrubDefaults::read(host)?.map(|grub| has_nokmem(&grub.arguments));
        let mut observed = if active {
            format!("{ARGUMENT} on the kernel command line")
        } else {
            format!("{ARGUMENT} not on the kernel command line")
        };
        if !active && configured == Some(true) {
            observed.push_str("; configured in /etc/default/grub but not active: reboot");
        }
        Ok(Observation::new(observed, ARGUMENT)
            .fail_if(!active)
            .with_hint(kernel_argument_hint(
                Some(&release),
                ARGUMENT,
                configured == Some(true),
            ))
            .into())
    }
}

/// The kernel handles every `cgroup.memory=` argument, each a comma-separated list of flags.
fn has_nokmem(arguments: &[String]) -> bool {
    arguments.iter().any(|argument| {
        argument
            .strip_prefix("cgroup.memory=")
            .is_some_and(|flags| flags.split(',').any(|flag| flag == "nokmem"))
    })
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const CENTOS_OS_RELEASE: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n";
    const CENTOS_CMDLINE: &str = "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet LANG=en_US.UTF-8";

    fn centos(cmdline: &str) -> Tree {
        Tree::new()
            .file("etc/os-release", CENTOS_OS_RELEASE)
            .file("proc/cmdline", &format!("{cmdline}\n"))
    }

    #[test]
    fn nokmem_passes_also_inside_a_flag_list() {
        for arguments in ["cgroup.memory=nokmem", "cgroup.memory=nosocket,nokmem"] {
            let result =
                centos(&format!("{CENTOS_CMDLINE} {arguments}")).status(&KernelCmdlineNokmem);
            assert_status(&result, Status::Pass);
            assert_eq!(
                result.observed,
                "cgroup.memory=nokmem on the kernel command line"
            );
        }
    }

    #[test]
    fn missing_nokmem_fails() {
        let result = centos(CENTOS_CMDLINE).status(&KernelCmdlineNokmem);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "cgroup.memory=nokmem not on the kernel command line"
        );
        assert_eq!(
            result.hint,
            "`grubby --update-kernel=ALL --args=cgroup.memory=nokmem`, then reboot"
        );
    }

    #[test]
    fn configured_but_not_booted_says_reboot() {
        let grub = "GRUB_TIMEOUT=5\nGRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX=\"crashkernel=auto rd.lvm.lv=centos/root rhgb quiet cgroup.memory=nokmem\"\n";
        let result = centos(CENTOS_CMDLINE)
            .file("etc/default/grub", grub)
            .status(&KernelCmdlineNokmem);
        assert_status(&result, Status::Fail);
        assert!(result.observed.ends_with("but not active: reboot"));
        assert!(
            result
                .hint
                .starts_with("`grub2-mkconfig -o /boot/grub2/grub.cfg`"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn other_systems_are_skipped_naming_the_os() {
        let result = Tree::new()
            .file(
                "etc/os-release",
                "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"8.6\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 8.6 (Ootpa)\"\n",
            )
            .status(&KernelCmdlineNokmem);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some("applies to CentOS 7.x only; this is Red Hat Enterprise Linux 8.6 (Ootpa)")
        );
    }

    #[test]
    fn missing_os_release_is_an_error() {
        let result = Tree::new()
            .file("proc/cmdline", "ro\n")
            .status(&KernelCmdlineNokmem);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/usr/lib/os-release: no such file")
        );
    }
}
