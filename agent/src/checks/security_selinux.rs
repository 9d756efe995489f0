//! `security.selinux`: with SELinux enforcing, the platform's host-path volumes, the container
//! runtime's overlay directories and the CNI's sockets get denied by policy; the installer
//! fails in ways that only the audit log explains. The guide requires it disabled.

use super::kernel_cmdline_thp::last_value;
use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system;

const ENFORCE: &str = "/sys/fs/selinux/enforce";
const CONFIG: &str = "/etc/selinux/config";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    Disabled,
    Permissive,
    Enforcing,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Disabled => "disabled",
            Mode::Permissive => "permissive",
            Mode::Enforcing => "enforcing",
        }
    }
}

pub struct SecuritySelinux;

impl Check for SecuritySelinux {
    fn id(&self) -> &'static str {
        "security.selinux"
    }

    fn title(&self) -> &'static str {
        "SELinux is disabled"
    }

    fn hint(&self) -> &'static str {
        "set SELINUX=disabled in /etc/selinux/config and reboot; until then `setenforce 0` \
         makes it permissive; RHEL 9 and later also need `grubby --update-kernel=ALL \
         --args=selinux=0`"
    }

    fn explain(&self) -> &'static str {
        "The node-check list says disable, not soften (seed 004: «Отключите apparmor/selinux»): \
         permissive mode still loads the policy, labels files and logs denials, and is one \
         `setenforce 1` from enforcing. So the check wants SELinux disabled both in the \
         running kernel and after the next reboot, and names both states: permissive now \
         fails even when the configuration already says disabled (the host has not been \
         rebooted since), and so does a running kernel that is disabled while the \
         configuration would bring SELinux back."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let expected = "disabled now and after reboot (permissive is not disabled)";
        // A tree without /sys (a mounted disk image) says nothing about a running kernel.
        if !host.is_dir("/sys")? {
            return Ok(match configured_mode(host)? {
                Some(mode) => Observation::new(
                    format!(
                        "{} after reboot (SELINUX={} in {CONFIG}; running state unknown: no /sys)",
                        mode.as_str(),
                        mode.as_str()
                    ),
                    expected,
                )
                .fail_if(mode != Mode::Disabled)
                .into(),
                None => Outcome::skip(format!(
                    "no /sys and no SELINUX= in {CONFIG}: nothing tells the SELinux state"
                )),
            });
        }
        // Without a mounted selinuxfs the running kernel has SELinux off.
        let running = match host.read_optional(ENFORCE)? {
            None => Mode::Disabled,
            Some(text) => match text.trim() {
                "1" => Mode::Enforcing,
                "0" => Mode::Permissive,
                other => {
                    return Err(HostError::new(
                        ENFORCE,
                        format!("unexpected value '{other}' (not 0 or 1)"),
                    ));
                }
            },
        };
        let configured = configured_mode(host)?;
        // `selinux=0` on the command line wins over the config file at the next boot.
        let booted_off = system::kernel_cmdline(host)
            .ok()
            .is_some_and(|cmdline| last_value(&cmdline, "selinux") == Some("0"));
        let (after_reboot, why) = match configured {
            _ if booted_off => (
                Mode::Disabled,
                " (selinux=0 on the kernel command line)".to_owned(),
            ),
            Some(mode) => (mode, format!(" (SELINUX={} in {CONFIG})", mode.as_str())),
            None => (running, format!(" (no SELINUX= in {CONFIG})")),
        };
        let now = match running {
            Mode::Disabled => "disabled now (no selinuxfs)",
            Mode::Permissive => "permissive now",
            Mode::Enforcing => "enforcing now",
        };
        let observed = format!("{now}, {} after reboot{why}", after_reboot.as_str());
        let mut observation = Observation::new(observed, expected)
            .fail_if(running != Mode::Disabled || after_reboot != Mode::Disabled);
        if running != Mode::Disabled && after_reboot == Mode::Disabled {
            observation = observation.with_hint(
                "reboot the host: SELinux is configured off, but the running kernel still has \
                 it; `setenforce 0` only makes it permissive",
            );
        }
        Ok(observation.into())
    }
}

/// `SELINUX=` of `/etc/selinux/config`, `None` without the file or the line.
fn configured_mode(host: &Host) -> Result<Option<Mode>, HostError> {
    let Some(text) = host.read_optional(CONFIG)? else {
        return Ok(None);
    };
    let Some(value) = text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("SELINUX=")
            .map(|value| value.trim().trim_matches('"').to_lowercase())
    }) else {
        return Ok(None);
    };
    match value.as_str() {
        "enforcing" => Ok(Some(Mode::Enforcing)),
        "permissive" => Ok(Some(Mode::Permissive)),
        "disabled" => Ok(Some(Mode::Disabled)),
        other => Err(HostError::new(
            CONFIG,
            format!("unexpected SELINUX={other} (not enforcing, permissive or disabled)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    fn config(mode: &str) -> String {
        format!(
            "\n# This file controls the state of SELinux on the system.\n# SELINUX= can take one of these three values:\n#     enforcing - SELinux security policy is enforced.\n#     permissive - SELinux prints warnings instead of enforcing.\n#     disabled - No SELinux policy is loaded.\nSELINUX={mode}\n# SELINUXTYPE= can take one of three values:\n#     targeted - Targeted processes are protected,\n#     minimum - Modification of targeted policy. Only selected processes are protected. \n#     mls - Multi Level Security protection.\nSELINUXTYPE=targeted \n\n"
        )
    }

    #[test]
    fn disabled_passes() {
        let result = Tree::new()
            .dir("sys/fs/selinux")
            .file("etc/selinux/config", &config("disabled"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "disabled now (no selinuxfs), disabled after reboot (SELINUX=disabled in \
             /etc/selinux/config)"
        );
    }

    #[test]
    fn ubuntu_without_selinux_passes() {
        let result = Tree::new().dir("sys/kernel").status(&SecuritySelinux);
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn a_tree_without_sys_is_judged_by_the_config_alone() {
        let result = Tree::new()
            .file("etc/selinux/config", &config("enforcing"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "enforcing after reboot (SELINUX=enforcing in /etc/selinux/config; running state \
             unknown: no /sys)"
        );
        assert_status(&Tree::new().status(&SecuritySelinux), Status::Skip);
    }

    #[test]
    fn enforcing_fails() {
        let result = Tree::new()
            .file("sys/fs/selinux/enforce", "1")
            .file("etc/selinux/config", &config("enforcing"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "enforcing now, enforcing after reboot (SELINUX=enforcing in /etc/selinux/config)"
        );
    }

    #[test]
    fn permissive_fails() {
        let result = Tree::new()
            .file("sys/fs/selinux/enforce", "0")
            .file("etc/selinux/config", &config("permissive"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "permissive now, permissive after reboot (SELINUX=permissive in /etc/selinux/config)"
        );
    }

    #[test]
    fn permissive_now_fails_even_when_disabled_after_reboot() {
        let result = Tree::new()
            .file("sys/fs/selinux/enforce", "0")
            .file("etc/selinux/config", &config("disabled"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "permissive now, disabled after reboot (SELINUX=disabled in /etc/selinux/config)"
        );
        assert!(
            result.hint.starts_with("reboot the host"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn permissive_now_but_enforcing_after_reboot_fails() {
        let result = Tree::new()
            .file("sys/fs/selinux/enforce", "0")
            .file("etc/selinux/config", &config("enforcing"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "permissive now, enforcing after reboot (SELINUX=enforcing in /etc/selinux/config)"
        );
    }

    #[test]
    fn selinux_0_on_the_command_line_wins_over_the_config() {
        let result = Tree::new()
            .dir("sys/fs/selinux")
            .file(
                "proc/cmdline",
                "BOOT_IMAGE=/vmlinuz-4.18.0-372.9.1.el8.x86_64 ro selinux=0\n",
            )
            .file("etc/selinux/config", &config("enforcing"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn a_garbled_enforce_file_is_an_error() {
        let result = Tree::new()
            .file("sys/fs/selinux/enforce", "maybe")
            .status(&SecuritySelinux);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/fs/selinux/enforce: unexpected value 'maybe' (not 0 or 1)")
        );
    }

    #[test]
    fn a_garbled_config_is_an_error() {
        let result = Tree::new()
            .file("etc/selinux/config", "SELINUX=enforcin\n")
            .status(&SecuritySelinux);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with(CONFIG))
        );
    }
}
