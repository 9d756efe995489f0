//! `security.firewall`: a host firewall (firewalld, ufw) drops the traffic between nodes on
//! the platform's ports and rewrites the iptables chains kube-proxy and the CNI manage; the
//! guide requires it disabled, also at the next boot.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system;

const FIREWALLD_WANTS: &str = "/etc/systemd/system/multi-user.target.wants/firewalld.service";
const FIREWALLD_UNIT: &str = "/etc/systemd/system/firewalld.service";
const UFW_CONF: &str = "/etc/ufw/ufw.conf";

pub struct SecurityFirewall;

impl Check for SecurityFirewall {
    fn id(&self) -> &'static str {
        "security.firewall"
    }

    fn title(&self) -> &'static str {
        "host firewall (firewalld, ufw) is disabled"
    }

    fn hint(&self) -> &'static str {
        "RHEL/CentOS/Kylin: systemctl disable --now firewalld; Ubuntu: ufw disable"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let processes = system::process_names(host)?;
        let masked = host.read_link(FIREWALLD_UNIT)?.as_deref() == Some("/dev/null");
        let mut found = Vec::new();
        let mut hints = Vec::new();
        if processes.contains("firewalld") {
            found.push("firewalld running".to_owned());
        }
        if !masked && host.exists(FIREWALLD_WANTS)? {
            found.push("firewalld enabled at boot".to_owned());
        }
        if !found.is_empty() {
            hints.push("systemctl disable --now firewalld");
        }
        if ufw_enabled(host)? {
            found.push(format!("ufw enabled (ENABLED=yes in {UFW_CONF})"));
            hints.push("ufw disable");
        }
        let observed = if found.is_empty() {
            let mut observed = "no firewalld running or enabled, ufw not enabled".to_owned();
            if processes.is_empty() {
                observed.push_str(" (running processes not visible: boot configuration only)");
            }
            observed
        } else {
            found.join("; ")
        };
        let mut observation =
            Observation::new(observed, "firewalld and ufw disabled").fail_if(!found.is_empty());
        if !hints.is_empty() {
            observation = observation.with_hint(hints.join("; "));
        }
        Ok(observation.into())
    }
}

/// ufw has no daemon: `ENABLED=yes` is what makes its rules load at boot and `ufw status` say
/// active.
fn ufw_enabled(host: &Host) -> Result<bool, HostError> {
    let Some(text) = host.read_optional(UFW_CONF)? else {
        return Ok(false);
    };
    Ok(text.lines().any(|line| {
        line.trim().strip_prefix("ENABLED=").is_some_and(|value| {
            value
                .trim()
                .trim_matches(['"', '\''])
                .eq_ignore_ascii_case("yes")
        })
    }))
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const UFW_CONF_TEXT: &str = "# /etc/ufw/ufw.conf\n#\n\n# Set to yes to start on boot. If setting this remotely, be sure to add a rule\n# to allow your remote connection before starting ufw. Eg: 'ufw allow 22/tcp'\nENABLED=yes\n\n# Please use the 'ufw' command to set the loglevel. Eg: 'ufw logging medium'.\n# See 'man ufw' for details.\nLOGLEVEL=low\n";

    fn processes(tree: Tree) -> Tree {
        tree.file("proc/1/comm", "systemd\n")
            .file("proc/612/comm", "sshd\n")
            .file("proc/self/comm", "ironprep-agent\n")
    }

    #[test]
    fn nothing_running_or_enabled_passes() {
        let result = processes(Tree::new())
            .file(
                UFW_CONF.trim_start_matches('/'),
                &UFW_CONF_TEXT.replace("=yes", "=no"),
            )
            .status(&SecurityFirewall);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "no firewalld running or enabled, ufw not enabled"
        );
    }

    #[test]
    fn running_and_enabled_firewalld_fails() {
        let result = processes(Tree::new())
            .file("proc/733/comm", "firewalld\n")
            .symlink(
                FIREWALLD_WANTS.trim_start_matches('/'),
                "/usr/lib/systemd/system/firewalld.service",
            )
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "firewalld running; firewalld enabled at boot"
        );
        assert_eq!(result.hint, "systemctl disable --now firewalld");
    }

    #[test]
    fn stopped_but_enabled_firewalld_fails_unless_masked() {
        let enabled = processes(Tree::new()).symlink(
            FIREWALLD_WANTS.trim_start_matches('/'),
            "/usr/lib/systemd/system/firewalld.service",
        );
        assert_status(&enabled.status(&SecurityFirewall), Status::Fail);
        let masked = enabled.symlink(FIREWALLD_UNIT.trim_start_matches('/'), "/dev/null");
        assert_status(&masked.status(&SecurityFirewall), Status::Pass);
    }

    #[test]
    fn enabled_ufw_fails() {
        let result = processes(Tree::new())
            .file(UFW_CONF.trim_start_matches('/'), UFW_CONF_TEXT)
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "ufw enabled (ENABLED=yes in /etc/ufw/ufw.conf)"
        );
        assert_eq!(result.hint, "ufw disable");
    }

    #[test]
    fn without_processes_the_observation_says_so() {
        let result = Tree::new().status(&SecurityFirewall);
        assert_status(&result, Status::Pass);
        assert!(result.observed.contains("running processes not visible"));
    }

    #[test]
    fn an_unreadable_ufw_conf_is_an_error() {
        // A directory where the file should be cannot be read as text.
        let result = Tree::new()
            .dir(UFW_CONF.trim_start_matches('/'))
            .status(&SecurityFirewall);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with(UFW_CONF))
        );
    }
}
