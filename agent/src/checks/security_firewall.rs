//! `security.firewall`: a host firewall drops the traffic between nodes on the platform's ports
//! and fights over the netfilter tables kube-proxy and the CNI manage. The guide says "disable
//! the firewall" (seed 004: «Отключите apparmor/selinux и брандмауэр») — any firewall, not one
//! product: firewalld, ufw, the nftables and iptables services, iptables-persistent, or rules
//! someone loaded by hand. Each is named with where it was found.

use std::collections::BTreeSet;

use crate::check::{Check, Context, Observation, Outcome};
use crate::firewall::Ruleset;
use crate::host::{Host, HostError, Query, QueryError};
use crate::system::{self, ModuleState};

const UNIT_DIRECTORY: &str = "/etc/systemd/system";
const UFW_CONF: &str = "/etc/ufw/ufw.conf";

/// A firewall that systemd starts at boot, and the files whose rules it loads.
struct Service {
    unit: &'static str,
    rule_files: &'static [&'static str],
    /// What the rule files are written in.
    syntax: Syntax,
    disable: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    None,
    Nft,
    Iptables,
}

const SERVICES: [Service; 5] = [
    Service {
        unit: "firewalld.service",
        rule_files: &[],
        syntax: Syntax::None,
        disable: "systemctl disable --now firewalld",
    },
    Service {
        unit: "nftables.service",
        // RHEL/Kylin, then Debian/Ubuntu.
        rule_files: &["/etc/sysconfig/nftables.conf", "/etc/nftables.conf"],
        syntax: Syntax::Nft,
        disable: "systemctl disable --now nftables && nft flush ruleset",
    },
    Service {
        unit: "iptables.service",
        rule_files: &["/etc/sysconfig/iptables"],
        syntax: Syntax::Iptables,
        disable: "systemctl disable --now iptables && iptables -P INPUT ACCEPT && iptables -P \
                  FORWARD ACCEPT && iptables -F",
    },
    Service {
        unit: "ip6tables.service",
        rule_files: &["/etc/sysconfig/ip6tables"],
        syntax: Syntax::Iptables,
        disable: "systemctl disable --now ip6tables && ip6tables -P INPUT ACCEPT && ip6tables \
                  -P FORWARD ACCEPT && ip6tables -F",
    },
    Service {
        unit: "netfilter-persistent.service",
        rule_files: &["/etc/iptables/rules.v4", "/etc/iptables/rules.v6"],
        syntax: Syntax::Iptables,
        disable: "systemctl disable --now netfilter-persistent",
    },
];

pub struct SecurityFirewall;

impl Check for SecurityFirewall {
    fn id(&self) -> &'static str {
        "security.firewall"
    }

    fn title(&self) -> &'static str {
        "no host firewall (firewalld, ufw, nftables, iptables) and no filtering ruleset"
    }

    fn hint(&self) -> &'static str {
        "RHEL/CentOS/Kylin: `systemctl disable --now firewalld` (and nftables, iptables, ip6tables \
         if enabled); Ubuntu: `ufw disable && systemctl disable --now nftables \
         netfilter-persistent`; then remove rules loaded by hand: `nft flush ruleset`"
    }

    fn explain(&self) -> &'static str {
        "The node-check list says to disable the firewall (seed 004, «Отключите \
         apparmor/selinux и брандмауэр»), and between nodes there must be no firewall \
         restriction at all. Any host firewall does the damage — it drops node-to-node traffic \
         and rewrites the tables kube-proxy and the CNI own — so every one is looked for: \
         firewalld running or enabled, ufw enabled, the nftables, iptables, ip6tables and \
         netfilter-persistent services enabled at boot (with the drop and reject rules of the \
         files they load), and on the running system a live ruleset with drop or reject rules \
         or a drop policy in a filter chain (`nft list ruleset` where nf_tables is in use, \
         `iptables-save -t filter` where the legacy filter table is loaded: neither is run \
         where it could load a module). A firewall enabled at boot fails even with no rules \
         today: it loads or flushes rules at the next start. A ruleset that cannot be read \
         (no nft, not root) is a warning: the condition is unknown."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut findings: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        let mut hints: Vec<&'static str> = Vec::new();

        let processes = system::process_names(host)?;
        if processes.contains("firewalld") {
            findings.push("firewalld running".to_owned());
            hints.push(SERVICES[0].disable);
        }
        let enabled = enabled_units(host)?;
        for service in &SERVICES {
            let rules = rule_files(host, service)?;
            match enabled.iter().find(|(unit, _)| unit == service.unit) {
                Some((_, target)) => {
                    let mut text = format!("{} enabled at boot ({target})", service.unit);
                    for (path, ruleset) in &rules {
                        text.push_str(&match ruleset {
                            Some(ruleset) if !ruleset.is_empty() => {
                                format!(", loads {path}: {ruleset}")
                            }
                            _ => format!(", loads {path} (no drop or reject rules)"),
                        });
                    }
                    findings.push(text);
                    if !hints.contains(&service.disable) {
                        hints.push(service.disable);
                    }
                }
                None => {
                    for (path, ruleset) in rules {
                        if let Some(ruleset) = ruleset.filter(|ruleset| !ruleset.is_empty()) {
                            notes.push(format!(
                                "{path} holds {ruleset} but {} is not enabled",
                                service.unit
                            ));
                        }
                    }
                }
            }
        }
        if ufw_enabled(host)? {
            findings.push(format!("ufw enabled (ENABLED=yes in {UFW_CONF})"));
            hints.push("ufw disable");
        }
        if host.is_live() {
            live_rulesets(host, &mut findings, &mut unknown, &mut hints)?;
        } else {
            notes.push("live ruleset not read: --root".to_owned());
        }

        let expected = "no host firewall: firewalld, ufw, nftables, iptables, ip6tables and \
                        netfilter-persistent disabled; no drop or reject rules in the live \
                        filter chains";
        let mut observed = if findings.is_empty() {
            let mut text = "no firewall service enabled or running".to_owned();
            if processes.is_empty() {
                text.push_str(" (running processes not visible: boot configuration only)");
            }
            if host.is_live() && unknown.is_empty() {
                text.push_str(", no filtering rules loaded");
            }
            text
        } else {
            findings.join("; ")
        };
        for extra in unknown.iter().chain(&notes) {
            observed.push_str(&format!("; {extra}"));
        }
        let mut observation = Observation::new(observed, expected)
            .warn_if(!unknown.is_empty())
            .fail_if(!findings.is_empty());
        if !hints.is_empty() {
            // Each hint is one command: fenced, so that the terminal shows it whole on its own line.
            let commands: Vec<String> = hints.iter().map(|hint| format!("`{hint}`")).collect();
            observation = observation.with_hint(commands.join("; "));
        }
        Ok(observation.into())
    }
}

/// Units enabled in `/etc/systemd/system/*.wants/`, with the target that wants them. A unit
/// masked (linked to /dev/null) does not start whatever wants it.
fn enabled_units(host: &Host) -> Result<Vec<(String, String)>, HostError> {
    let mut enabled = Vec::new();
    let wanted: BTreeSet<&str> = SERVICES.iter().map(|service| service.unit).collect();
    for entry in host.list_dir(UNIT_DIRECTORY)?.unwrap_or_default() {
        if !entry.ends_with(".wants") {
            continue;
        }
        let directory = format!("{UNIT_DIRECTORY}/{entry}");
        for unit in host.list_dir(&directory)?.unwrap_or_default() {
            if !wanted.contains(unit.as_str()) {
                continue;
            }
            let masked = host
                .read_link(&format!("{UNIT_DIRECTORY}/{unit}"))?
                .as_deref()
                == Some("/dev/null");
            if !masked && !enabled.iter().any(|(known, _)| *known == unit) {
                enabled.push((unit, entry.clone()));
            }
        }
    }
    Ok(enabled)
}

/// The rule files of a service that exist, with their filtering tables (nftables files with
/// their literal includes, one level deep).
fn rule_files(
    host: &Host,
    service: &Service,
) -> Result<Vec<(&'static str, Option<Ruleset>)>, HostError> {
    let mut found = Vec::new();
    for path in service.rule_files {
        let Some(text) = host.read_optional(path)? else {
            continue;
        };
        let ruleset = match service.syntax {
            Syntax::None => None,
            Syntax::Iptables => {
                let family = if path.ends_with("ip6tables") || path.ends_with(".v6") {
                    "ip6tables"
                } else {
                    "iptables"
                };
                Some(Ruleset::parse_iptables_save(&text, family))
            }
            Syntax::Nft => {
                let mut ruleset = Ruleset::parse_nft(&text);
                for include in Ruleset::nft_includes(&text) {
                    if let Some(included) = host.read_optional(&include)? {
                        ruleset.extend(Ruleset::parse_nft(&included));
                    }
                }
                Some(ruleset)
            }
        };
        found.push((*path, ruleset));
    }
    Ok(found)
}

/// The rules loaded now. A program is run only where the kernel already has the tables it
/// lists, so that reading never loads a module.
fn live_rulesets(
    host: &Host,
    findings: &mut Vec<String>,
    unknown: &mut Vec<String>,
    hints: &mut Vec<&'static str>,
) -> Result<(), HostError> {
    if nf_tables_present(host)? {
        if host.find_executable("nft")?.is_some() {
            match read_query(host, Query::NftRuleset) {
                Ok(text) => {
                    let ruleset = Ruleset::parse_nft(&text);
                    if !ruleset.is_empty() {
                        findings.push(format!(
                            "live nftables ruleset (nft list ruleset): {ruleset}"
                        ));
                        hints.push("nft flush ruleset");
                    }
                }
                Err(reason) => unknown.push(format!("live nftables ruleset unknown: {reason}")),
            }
        } else {
            unknown.push(
                "nf_tables is in the kernel but nft is not installed: live nftables rules not \
                 read"
                    .to_owned(),
            );
        }
    }
    let legacy = [
        (
            "/proc/net/ip_tables_names",
            Query::IptablesLegacySave,
            Query::IptablesSave,
            "iptables",
        ),
        (
            "/proc/net/ip6_tables_names",
            Query::Ip6tablesLegacySave,
            Query::Ip6tablesSave,
            "ip6tables",
        ),
    ];
    for (tables, legacy_query, query, family) in legacy {
        let loaded = host
            .read_optional(tables)?
            .is_some_and(|text| text.lines().any(|line| line.trim() == "filter"));
        if !loaded {
            continue;
        }
        let chosen = if host.find_executable(legacy_query.argv().0)?.is_some() {
            legacy_query
        } else if host.find_executable(query.argv().0)?.is_some() {
            query
        } else {
            unknown.push(format!(
                "the legacy {family} filter table is loaded but {} is not installed",
                query.argv().0
            ));
            continue;
        };
        match read_query(host, chosen) {
            Ok(text) => {
                let ruleset = Ruleset::parse_iptables_save(&text, family);
                if !ruleset.is_empty() {
                    findings.push(format!(
                        "live {family} rules ({}): {ruleset}",
                        chosen.command_line()
                    ));
                    hints.push(if family == "iptables" {
                        "iptables -P INPUT ACCEPT && iptables -P FORWARD ACCEPT && iptables -F"
                    } else {
                        "ip6tables -P INPUT ACCEPT && ip6tables -P FORWARD ACCEPT && ip6tables -F"
                    });
                }
            }
            Err(reason) => unknown.push(format!("live {family} rules unknown: {reason}")),
        }
    }
    Ok(())
}

/// nf_tables is loaded or built in: listing its ruleset then loads nothing. Without
/// `/proc/modules` the kernel has no loadable modules, so nothing can be loaded either.
fn nf_tables_present(host: &Host) -> Result<bool, HostError> {
    if !host.exists("/proc/modules")? {
        return Ok(true);
    }
    let loaded = system::loaded_modules(host)?;
    if loaded.contains("nf_tables") {
        return Ok(true);
    }
    let release = system::kernel_release(host)?;
    Ok(system::module_enabled(host, &loaded, &release, "nf_tables")? != ModuleState::Missing)
}

/// Why a query that must succeed gave no usable output.
#[derive(Debug, thiserror::Error)]
enum Unreadable {
    #[error("`{command}` failed: {first_line}")]
    Exited { command: String, first_line: String },
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// The output of a query that must succeed, or why it did not.
fn read_query(host: &Host, query: Query) -> Result<String, Unreadable> {
    let output = host.query(query)?;
    if output.success() {
        return Ok(output.stdout);
    }
    Err(Unreadable::Exited {
        command: query.command_line(),
        first_line: output
            .stderr
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("no message")
            .to_owned(),
    })
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
    use crate::firewall::fixtures::{IPTABLES_SAVE, NFT_RULESET};
    use crate::testing::{Tree, assert_status};

    const UFW_CONF_TEXT: &str = "# /etc/ufw/ufw.conf\n#\n\n# Set to yes to start on boot. If setting this remotely, be sure to add a rule\n# to allow your remote connection before starting ufw. Eg: 'ufw allow 22/tcp'\nENABLED=yes\n\n# Please use the 'ufw' command to set the loglevel. Eg: 'ufw logging medium'.\n# See 'man ufw' for details.\nLOGLEVEL=low\n";
    const FIREWALLD_WANTS: &str = "etc/systemd/system/multi-user.target.wants/firewalld.service";

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
            "no firewall service enabled or running; live ruleset not read: --root"
        );
    }

    #[test]
    fn running_and_enabled_firewalld_fails() {
        let result = processes(Tree::new())
            .file("proc/733/comm", "firewalld\n")
            .symlink(FIREWALLD_WANTS, "/usr/lib/systemd/system/firewalld.service")
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "firewalld running; firewalld.service enabled at boot (multi-user.target.wants); \
             live ruleset not read: --root"
        );
        assert_eq!(result.hint, "`systemctl disable --now firewalld`");
    }

    #[test]
    fn stopped_but_enabled_firewalld_fails_unless_masked() {
        let enabled = processes(Tree::new())
            .symlink(FIREWALLD_WANTS, "/usr/lib/systemd/system/firewalld.service");
        assert_status(&enabled.status(&SecurityFirewall), Status::Fail);
        let masked = enabled.symlink("etc/systemd/system/firewalld.service", "/dev/null");
        assert_status(&masked.status(&SecurityFirewall), Status::Pass);
    }

    #[test]
    fn an_enabled_nftables_service_fails_and_names_the_rules_it_loads() {
        // RHEL 9: the service loads /etc/sysconfig/nftables.conf, which includes a rule file.
        let result = processes(Tree::new())
            .symlink(
                "etc/systemd/system/sysinit.target.wants/nftables.service",
                "/usr/lib/systemd/system/nftables.service",
            )
            .file(
                "etc/sysconfig/nftables.conf",
                "# Uncomment the include statement here to load the default config sample\n#include \"/etc/nftables/main.nft\"\ninclude \"/etc/nftables/acp-hosts.nft\"\n",
            )
            .file("etc/nftables/acp-hosts.nft", NFT_RULESET)
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "nftables.service enabled at boot (sysinit.target.wants), loads \
             /etc/sysconfig/nftables.conf: table inet filter: policy drop on input, 1 drop \
             rule, 1 reject rule; live ruleset not read: --root"
        );
        assert_eq!(
            result.hint,
            "`systemctl disable --now nftables && nft flush ruleset`"
        );
    }

    #[test]
    fn an_enabled_iptables_service_fails_even_without_drop_rules() {
        // iptables-services on CentOS 7; basic.target wants it.
        let result = processes(Tree::new())
            .symlink(
                "etc/systemd/system/basic.target.wants/iptables.service",
                "/usr/lib/systemd/system/iptables.service",
            )
            .file("etc/sysconfig/iptables", IPTABLES_SAVE)
            .symlink(
                "etc/systemd/system/basic.target.wants/ip6tables.service",
                "/usr/lib/systemd/system/ip6tables.service",
            )
            .file(
                "etc/sysconfig/ip6tables",
                "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
            )
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "iptables.service enabled at boot (basic.target.wants), loads \
             /etc/sysconfig/iptables: table iptables filter: 2 reject rules; ip6tables.service \
             enabled at boot (basic.target.wants), loads /etc/sysconfig/ip6tables (no drop or \
             reject rules); live ruleset not read: --root"
        );
    }

    #[test]
    fn ubuntu_iptables_persistent_fails() {
        let result = processes(Tree::new())
            .symlink(
                "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
                "/lib/systemd/system/netfilter-persistent.service",
            )
            .file(
                "etc/iptables/rules.v4",
                "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
            )
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert!(
            result
                .observed
                .starts_with("netfilter-persistent.service enabled at boot"),
            "{}",
            result.observed
        );
        assert!(
            result
                .observed
                .contains("/etc/iptables/rules.v4: table iptables filter: policy drop on INPUT")
        );
    }

    #[test]
    fn a_rule_file_whose_service_is_disabled_is_noted_not_failed() {
        let result = processes(Tree::new())
            .file("etc/nftables.conf", NFT_RULESET)
            .status(&SecurityFirewall);
        assert_status(&result, Status::Pass);
        assert!(
            result.observed.contains(
                "/etc/nftables.conf holds table inet filter: policy drop on input, 1 drop rule, \
                 1 reject rule but nftables.service is not enabled"
            ),
            "{}",
            result.observed
        );
    }

    #[test]
    fn enabled_ufw_fails() {
        let result = processes(Tree::new())
            .file(UFW_CONF.trim_start_matches('/'), UFW_CONF_TEXT)
            .status(&SecurityFirewall);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "ufw enabled (ENABLED=yes in /etc/ufw/ufw.conf); live ruleset not read: --root"
        );
        assert_eq!(result.hint, "`ufw disable`");
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

    #[test]
    fn on_this_machine_it_gives_an_answer() {
        let result = crate::runner::evaluate(&SecurityFirewall, &Host::live(), &Context::default());
        assert!(
            matches!(result.status, Status::Pass | Status::Warn | Status::Fail),
            "{result:?}"
        );
    }
}
