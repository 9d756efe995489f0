//! `security.apparmor`: with AppArmor active, containerd confines every container with its
//! default profile and host profiles deny the platform's agents access they need (mounts,
//! ptrace, raw sockets); the guide requires it disabled.

use std::collections::BTreeMap;

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};

const ENABLED: &str = "/sys/module/apparmor/parameters/enabled";
const PROFILES: &str = "/sys/kernel/security/apparmor/profiles";

pub struct SecurityApparmor;

impl Check for SecurityApparmor {
    fn id(&self) -> &'static str {
        "security.apparmor"
    }

    fn title(&self) -> &'static str {
        "AppArmor is disabled"
    }

    fn hint(&self) -> &'static str {
        "`systemctl disable --now apparmor && aa-teardown` (aa-teardown unloads the loaded \
         profiles); add apparmor=0 to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub` \
         and reboot"
    }

    fn explain(&self) -> &'static str {
        "The node-check list says disable (seed 004: «Отключите apparmor/selinux»). AppArmor \
         enabled in the kernel fails even with no profile loaded: containerd still confines \
         every container with its default profile, and any package can load profiles at \
         the next start. It passes when the kernel has AppArmor off (apparmor=0) or lacks it."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        if !host.is_dir("/sys")? {
            return Ok(Outcome::skip(
                "no /sys in this tree: AppArmor is a state of the running kernel",
            ));
        }
        let enabled = match host.read_optional(ENABLED)? {
            None => {
                return Ok(Observation::new("AppArmor not in the kernel", "disabled").into());
            }
            Some(text) => match text.trim() {
                "Y" => true,
                "N" => false,
                other => {
                    return Err(HostError::new(
                        ENABLED,
                        format!("unexpected value '{other}' (not Y or N)"),
                    ));
                }
            },
        };
        if !enabled {
            return Ok(Observation::new("disabled in the kernel", "disabled").into());
        }
        // securityfs may be unmounted or unreadable; "enabled" alone already fails the check.
        let observed = match host.read_optional(PROFILES) {
            Ok(Some(text)) => {
                let modes = profile_modes(&text);
                let total: usize = modes.values().sum();
                if total == 0 {
                    let observation = Observation::new(
                        "enabled in the kernel, no profiles loaded (containerd still confines \
                         containers with its default profile)",
                        "disabled",
                    );
                    return Ok(observation.fail_if(true).into());
                }
                let counts: Vec<String> = modes
                    .iter()
                    .map(|(mode, count)| format!("{count} {mode}"))
                    .collect();
                format!("enabled, {total} profiles loaded ({})", counts.join(", "))
            }
            Ok(None) => {
                format!("enabled (profiles unknown: no {PROFILES}, securityfs not mounted)")
            }
            Err(error) => format!("enabled (profiles unknown: {})", error.reason),
        };
        Ok(Observation::new(observed, "disabled").fail_if(true).into())
    }
}

/// `/usr/sbin/cupsd (enforce)` lines counted by mode.
fn profile_modes(text: &str) -> BTreeMap<String, usize> {
    let mut modes = BTreeMap::new();
    for line in text.lines() {
        let Some(mode) = line
            .trim()
            .rsplit_once(" (")
            .and_then(|(_, mode)| mode.strip_suffix(')'))
        else {
            continue;
        };
        *modes.entry(mode.to_owned()).or_insert(0) += 1;
    }
    modes
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    /// An excerpt of the profiles of a stock Ubuntu 22.04 server.
    const UBUNTU_PROFILES: &str = "snap-update-ns.lxd (enforce)\nsnap.lxd.activate (enforce)\n/usr/sbin/tcpdump (enforce)\n/usr/lib/snapd/snap-confine (enforce)\n/usr/lib/snapd/snap-confine//mount-namespace-capture-helper (enforce)\n/usr/bin/man (enforce)\nlsb_release (enforce)\nnvidia_modprobe (enforce)\nnvidia_modprobe//kmod (enforce)\n/{,usr/}sbin/dhclient (enforce)\n/usr/lib/NetworkManager/nm-dhcp-client.action (enforce)\n/usr/lib/connman/scripts/dhclient-script (enforce)\nman_filter (enforce)\nman_groff (enforce)\nsnap.lxd.hook.install (complain)\n";

    #[test]
    fn enabled_with_profiles_fails_and_counts_them() {
        let result = Tree::new()
            .file("sys/module/apparmor/parameters/enabled", "Y\n")
            .file("sys/kernel/security/apparmor/profiles", UBUNTU_PROFILES)
            .status(&SecurityApparmor);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "enabled, 15 profiles loaded (1 complain, 14 enforce)"
        );
    }

    #[test]
    fn enabled_without_profiles_still_fails() {
        let result = Tree::new()
            .file("sys/module/apparmor/parameters/enabled", "Y\n")
            .file("sys/kernel/security/apparmor/profiles", "")
            .status(&SecurityApparmor);
        assert_status(&result, Status::Fail);
    }

    #[test]
    fn enabled_without_securityfs_still_fails() {
        let result = Tree::new()
            .file("sys/module/apparmor/parameters/enabled", "Y\n")
            .status(&SecurityApparmor);
        assert_status(&result, Status::Fail);
        assert!(result.observed.contains("securityfs not mounted"));
    }

    #[test]
    fn disabled_or_absent_passes() {
        let result = Tree::new()
            .file("sys/module/apparmor/parameters/enabled", "N\n")
            .status(&SecurityApparmor);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "disabled in the kernel");
        let result = Tree::new().dir("sys/module/ext4").status(&SecurityApparmor);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "AppArmor not in the kernel");
        assert_status(&Tree::new().status(&SecurityApparmor), Status::Skip);
    }

    #[test]
    fn a_garbled_parameter_is_an_error() {
        let result = Tree::new()
            .file("sys/module/apparmor/parameters/enabled", "1\n")
            .status(&SecurityApparmor);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/module/apparmor/parameters/enabled: unexpected value '1' (not Y or N)")
        );
    }
}
