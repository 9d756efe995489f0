//! `kernel.cmdline-thp`: transparent huge pages make etcd and the JVM-based platform
//! components stall on memory compaction and bloat their memory use; the guide requires
//! `transparent_hugepage=never` in the boot configuration so it holds from boot on.
//!
//! Also home of the `/etc/default/grub` reader that `kernel.cmdline-nokmem` shares.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system::{self, OsRelease};

const ARGUMENT: &str = "transparent_hugepage=never";

pub struct KernelCmdlineThp;

impl Check for KernelCmdlineThp {
    fn id(&self) -> &'static str {
        "kernel.cmdline-thp"
    }

    fn title(&self) -> &'static str {
        "kernel command line has transparent_hugepage=never"
    }

    fn hint(&self) -> &'static str {
        "RHEL/CentOS/Kylin: `grubby --update-kernel=ALL --args=transparent_hugepage=never`; \
         Ubuntu: add transparent_hugepage=never to GRUB_CMDLINE_LINUX in /etc/default/grub and run \
         `update-grub`; then reboot"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let cmdline = system::kernel_cmdline(host)?;
        let value = last_value(&cmdline, "transparent_hugepage");
        let active = value == Some("never");
        let grub = GrubDefaults::read(host)?;
        let configured = grub
            .as_ref()
            .map(|grub| last_value(&grub.arguments, "transparent_hugepage") == Some("never"));
        let release = OsRelease::read(host).ok();

        let mut observed = match value {
            Some(value) => format!("transparent_hugepage={value} on the kernel command line"),
            None => "transparent_hugepage not on the kernel command line".to_owned(),
        };
        // The runtime setting is context only: tuned or a script can set it after boot, which
        // is exactly what the boot argument exists to avoid relying on.
        if let Some(setting) = thp_runtime_setting(host) {
            observed.push_str(&format!(" (THP now: {setting})"));
        }
        // update-grub regenerates every entry from /etc/default/grub; grubby on the RPM family
        // edits the entries themselves, so there the file is not the whole truth.
        let debian = release.as_ref().is_some_and(OsRelease::is_debian_family);
        let mut dropped_later = false;
        match (active, configured) {
            (false, Some(true)) => observed.push_str(&format!(
                "; configured in {GRUB_DEFAULTS} but not active: reboot"
            )),
            (true, Some(false)) if debian => {
                dropped_later = true;
                observed.push_str(&format!(
                    "; not in {GRUB_DEFAULTS}: the next update-grub drops it"
                ));
            }
            _ => {}
        }
        let observation = Observation::new(observed, ARGUMENT)
            .warn_if(dropped_later)
            .fail_if(!active);
        let hint = kernel_argument_hint(release.as_ref(), ARGUMENT, configured == Some(true));
        Ok(observation.with_hint(hint).into())
    }
}

/// The value of the last `key=value` argument (the kernel lets a later one win).
pub(super) fn last_value<'a>(arguments: &'a [String], key: &str) -> Option<&'a str> {
    arguments.iter().rev().find_map(|argument| {
        argument
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix('='))
    })
}

/// `always madvise [never]` → `never`.
fn thp_runtime_setting(host: &Host) -> Option<String> {
    let text = host
        .read_optional("/sys/kernel/mm/transparent_hugepage/enabled")
        .ok()??;
    let start = text.find('[')?;
    let end = text.get(start..)?.find(']')? + start;
    text.get(start + 1..end).map(str::to_owned)
}

/// The fix for a missing kernel argument, for the OS at hand (both families when unknown).
pub(super) fn kernel_argument_hint(
    release: Option<&OsRelease>,
    argument: &str,
    configured: bool,
) -> String {
    // When /etc/default/grub has it already, only the boot entries lag behind.
    let (rpm, debian) = if configured {
        (
            format!(
                "`grub2-mkconfig -o /boot/grub2/grub.cfg`, or `grubby --update-kernel=ALL \
                 --args={argument}`"
            ),
            "`update-grub`".to_owned(),
        )
    } else {
        (
            format!("`grubby --update-kernel=ALL --args={argument}`"),
            format!("add {argument} to GRUB_CMDLINE_LINUX in {GRUB_DEFAULTS}, run `update-grub`"),
        )
    };
    match release {
        Some(release) if release.is_debian_family() => format!("{debian}, then reboot"),
        Some(release) if release.is_rpm_family() => format!("{rpm}, then reboot"),
        _ => format!("RHEL/CentOS/Kylin: {rpm}; Ubuntu: {debian}; then reboot"),
    }
}

const GRUB_DEFAULTS: &str = "/etc/default/grub";

/// The kernel arguments `/etc/default/grub` (and Ubuntu's `/etc/default/grub.d/*.cfg`, read
/// after it) give the next generated grub.cfg: `GRUB_CMDLINE_LINUX` and
/// `GRUB_CMDLINE_LINUX_DEFAULT` together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct GrubDefaults {
    pub arguments: Vec<String>,
}

impl GrubDefaults {
    /// `None` when there is no `/etc/default/grub` (another boot loader, or a container).
    pub fn read(host: &Host) -> Result<Option<GrubDefaults>, HostError> {
        let Some(main) = host.read_optional(GRUB_DEFAULTS)? else {
            return Ok(None);
        };
        let mut linux = String::new();
        let mut linux_default = String::new();
        let mut texts = vec![main];
        for name in host.list_dir("/etc/default/grub.d")?.unwrap_or_default() {
            if name.ends_with(".cfg")
                && let Some(text) = host.read_optional(&format!("/etc/default/grub.d/{name}"))?
            {
                texts.push(text);
            }
        }
        for text in &texts {
            for line in text.lines() {
                let Some((key, value)) = line.trim().split_once('=') else {
                    continue;
                };
                let key = key.trim_start_matches("export ").trim();
                if key != "GRUB_CMDLINE_LINUX" && key != "GRUB_CMDLINE_LINUX_DEFAULT" {
                    continue;
                }
                // `$GRUB_CMDLINE_LINUX_DEFAULT` first: the shorter name is a prefix of it.
                let expanded = shell_value(value)
                    .replace("${GRUB_CMDLINE_LINUX_DEFAULT}", &linux_default)
                    .replace("$GRUB_CMDLINE_LINUX_DEFAULT", &linux_default)
                    .replace("${GRUB_CMDLINE_LINUX}", &linux)
                    .replace("$GRUB_CMDLINE_LINUX", &linux);
                if key == "GRUB_CMDLINE_LINUX" {
                    linux = expanded;
                } else {
                    linux_default = expanded;
                }
            }
        }
        Ok(Some(GrubDefaults {
            arguments: system::split_cmdline(&format!("{linux} {linux_default}")),
        }))
    }
}

/// The value of a shell assignment: quoted (`"a b"`, `'a b'`) or a bare word, without a
/// trailing comment.
fn shell_value(raw: &str) -> String {
    let raw = raw.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = raw.strip_prefix(quote) {
            return inner.split(quote).next().unwrap_or_default().to_owned();
        }
    }
    raw.split_whitespace().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const CENTOS_OS_RELEASE: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n";
    const UBUNTU_OS_RELEASE: &str = "PRETTY_NAME=\"Ubuntu 22.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\n";
    const CENTOS_CMDLINE: &str = "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet LANG=en_US.UTF-8";
    const CENTOS_GRUB: &str = "GRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=\"$(sed 's, release .*$,,g' /etc/system-release)\"\nGRUB_DEFAULT=saved\nGRUB_DISABLE_SUBMENU=true\nGRUB_TERMINAL_OUTPUT=\"console\"\nGRUB_CMDLINE_LINUX=\"crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet\"\nGRUB_DISABLE_RECOVERY=\"true\"\n";
    const UBUNTU_GRUB: &str = "GRUB_DEFAULT=0\nGRUB_TIMEOUT_STYLE=hidden\nGRUB_TIMEOUT=0\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nGRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=\"\"\n";

    #[test]
    fn never_on_the_command_line_passes() {
        let result = Tree::new()
            .file("etc/os-release", CENTOS_OS_RELEASE)
            .file(
                "proc/cmdline",
                &format!("{CENTOS_CMDLINE} transparent_hugepage=never\n"),
            )
            .file(
                "sys/kernel/mm/transparent_hugepage/enabled",
                "always madvise [never]\n",
            )
            .file("etc/default/grub", CENTOS_GRUB)
            .status(&KernelCmdlineThp);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "transparent_hugepage=never on the kernel command line (THP now: never)"
        );
    }

    #[test]
    fn missing_argument_fails_with_the_grubby_hint_on_centos() {
        let result = Tree::new()
            .file("etc/os-release", CENTOS_OS_RELEASE)
            .file("proc/cmdline", &format!("{CENTOS_CMDLINE}\n"))
            .file(
                "sys/kernel/mm/transparent_hugepage/enabled",
                "[always] madvise never\n",
            )
            .file("etc/default/grub", CENTOS_GRUB)
            .status(&KernelCmdlineThp);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "transparent_hugepage not on the kernel command line (THP now: always)"
        );
        assert_eq!(
            result.hint,
            "`grubby --update-kernel=ALL --args=transparent_hugepage=never`, then reboot"
        );
    }

    #[test]
    fn a_later_argument_wins_like_in_the_kernel() {
        let result = Tree::new()
            .file(
                "proc/cmdline",
                "ro transparent_hugepage=never quiet transparent_hugepage=madvise\n",
            )
            .status(&KernelCmdlineThp);
        assert_status(&result, Status::Fail);
        assert!(result.observed.starts_with("transparent_hugepage=madvise"));
    }

    #[test]
    fn configured_but_not_booted_says_reboot() {
        let grub = UBUNTU_GRUB.replace(
            "GRUB_CMDLINE_LINUX=\"\"",
            "GRUB_CMDLINE_LINUX=\"transparent_hugepage=never\"",
        );
        let result = Tree::new()
            .file("etc/os-release", UBUNTU_OS_RELEASE)
            .file(
                "proc/cmdline",
                "BOOT_IMAGE=/vmlinuz-5.15.0-56-generic root=/dev/mapper/ubuntu--vg-ubuntu--lv ro\n",
            )
            .file("etc/default/grub", &grub)
            .status(&KernelCmdlineThp);
        assert_status(&result, Status::Fail);
        assert!(
            result
                .observed
                .ends_with("; configured in /etc/default/grub but not active: reboot"),
            "{}",
            result.observed
        );
        assert!(result.hint.contains("update-grub"), "{}", result.hint);
    }

    #[test]
    fn active_on_ubuntu_but_missing_from_grub_defaults_warns() {
        let result = Tree::new()
            .file("etc/os-release", UBUNTU_OS_RELEASE)
            .file(
                "proc/cmdline",
                "BOOT_IMAGE=/vmlinuz-5.15.0-56-generic root=/dev/mapper/ubuntu--vg-ubuntu--lv ro transparent_hugepage=never\n",
            )
            .file("etc/default/grub", UBUNTU_GRUB)
            .status(&KernelCmdlineThp);
        assert_status(&result, Status::Warn);
        assert!(result.observed.contains("the next update-grub drops it"));
    }

    #[test]
    fn grub_defaults_expand_references_and_read_grub_d() {
        let host = Tree::new()
            .file(
                "etc/default/grub",
                "GRUB_CMDLINE_LINUX=\"quiet\" # boot quietly\nGRUB_CMDLINE_LINUX_DEFAULT='splash'\n",
            )
            .file(
                "etc/default/grub.d/50-thp.cfg",
                "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX transparent_hugepage=never\"\n",
            )
            .host();
        let grub = GrubDefaults::read(&host).unwrap().unwrap();
        assert_eq!(
            grub.arguments,
            ["quiet", "transparent_hugepage=never", "splash"]
        );
    }

    #[test]
    fn no_cmdline_is_an_error_naming_the_file() {
        let result = Tree::new().status(&KernelCmdlineThp);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/proc/cmdline: no such file")
        );
    }
}
