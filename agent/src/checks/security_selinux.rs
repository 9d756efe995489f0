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
        "setenforce 0 (permissive at once), set SELINUX=disabled in /etc/selinux/config and \
         reboot (RHEL 9 and later: grubby --update-kernel=ALL --args=selinux=0)"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        // A tree without /sys (a mounted disk image) says nothing about a running kernel.
        if !host.is_dir("/sys")? {
            return Ok(match configured_mode(host)? {
                Some(mode) => Observation::new(
                    format!(
                        "SELINUX={} in {CONFIG} (running state unknown: no /sys)",
                        mode.as_str()
                    ),
                    "disabled, now and after reboot",
                )
                .warn_if(mode == Mode::Permissive)
                .fail_if(mode == Mode::Enforcing)
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
        let after_reboot = match configured {
            _ if booted_off => Mode::Disabled,
            Some(mode) => mode,
            None => running,
        };

        let mut observed = match running {
            Mode::Disabled => "disabled (no selinuxfs)".to_owned(),
            Mode::Permissive => "permissive (not enforcing, but not disabled)".to_owned(),
            Mode::Enforcing => "enforcing".to_owned(),
        };
        if after_reboot != running {
            observed = format!(
                "{} now, {} after reboot",
                running.as_str(),
                after_reboot.as_str()
            );
            if let Some(mode) = configured
                && !booted_off
            {
                observed.push_str(&format!(" (SELINUX={} in {CONFIG})", mode.as_str()));
            }
        }
        let worst = running.max(after_reboot);
        Ok(Observation::new(observed, "disabled, now and after reboot")
            .warn_if(worst == Mode::Permissive)
            .fail_if(worst == Mode::Enforcing)
            .into())
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
        assert_eq!(result.observed, "disabled (no selinuxfs)");
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
            "SELINUX=enforcing in /etc/selinux/config (running state unknown: no /sys)"
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
        assert_eq!(result.observed, "enforcing");
    }

    #[test]
    fn permissive_warns() {
        let result = Tree::new()
            .file("sys/fs/selinux/enforce", "0")
            .file("etc/selinux/config", &config("permissive"))
            .status(&SecuritySelinux);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "permissive (not enforcing, but not disabled)"
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
