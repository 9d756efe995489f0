//! `sshd.usedns-usepam`: the installer opens many SSH sessions to every node. With `UseDNS
//! yes` each login waits on reverse DNS (tens of seconds where PTR records are missing); with
//! `UsePAM yes` PAM session modules slow logins down and can refuse them. The guide requires
//! both `no`, as sshd actually applies them.

use std::collections::BTreeMap;

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError, Query};
use crate::system::OsRelease;

const MAIN: &str = "/etc/ssh/sshd_config";
/// sshd's PAM service file: there when the distribution builds sshd with PAM.
const PAM_SERVICE: &str = "/etc/pam.d/sshd";

/// Includes nested deeper than this are a loop (sshd itself stops at 16 levels).
const MAX_INCLUDE_DEPTH: usize = 16;

const KEYS: [(&str, &str); 2] = [("usedns", "UseDNS"), ("usepam", "UsePAM")];

pub struct SshdUsednsUsepam;

impl Check for SshdUsednsUsepam {
    fn id(&self) -> &'static str {
        "sshd.usedns-usepam"
    }

    fn title(&self) -> &'static str {
        "sshd runs with UseDNS no and UsePAM no"
    }

    fn hint(&self) -> &'static str {
        "set 'UseDNS no' and 'UsePAM no' in /etc/ssh/sshd_config before any Match block (and in no \
         earlier file of /etc/ssh/sshd_config.d: the first value wins), then `sshd -t && systemctl \
         restart sshd`; Ubuntu: `sshd -t && systemctl restart ssh`"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        if !host.exists(MAIN)? {
            return Ok(Outcome::skip(format!("sshd is not installed (no {MAIN})")));
        }
        let mut note = None;
        let files = FileSettings::read(host);
        let settled = files
            .as_ref()
            .is_ok_and(|files| files.settles(host.exists(PAM_SERVICE).unwrap_or(false)));
        let effective = if host.is_live() && !settled {
            match host.query(Query::SshdEffectiveConfig) {
                Ok(output) if output.success() => Some(parse_sshd_t(&output.stdout)),
                Ok(output) => {
                    let message = output
                        .stderr
                        .lines()
                        .map(str::trim)
                        .find(|line| !line.is_empty())
                        .unwrap_or("no message")
                        .to_owned();
                    note = Some(format!("sshd -T failed: {message}"));
                    None
                }
                Err(error) => {
                    note = Some(format!("sshd -T: {error}"));
                    None
                }
            }
        } else {
            None
        };
        let settings = match &effective {
            // With sshd's own answer the files only say where a value comes from.
            Some(effective) => resolve_from_sshd(effective, files.as_ref().ok()),
            None => resolve_from_files(&files?, &usedns_default(host)),
        };

        let mut observed: Vec<String> = settings.iter().map(Setting::describe).collect();
        if let Some(note) = note {
            observed.push(format!("read from the files ({note})"));
        }
        let wrong: Vec<&Setting> = settings
            .iter()
            .filter(|setting| setting.value != "no")
            .collect();
        let mut observation = Observation::new(observed.join(", "), "UseDNS no, UsePAM no")
            .fail_if(!wrong.is_empty());
        if !wrong.is_empty() {
            let fixes: Vec<String> = wrong.iter().map(|setting| setting.fix()).collect();
            observation = observation.with_hint(format!(
                "{}; then `sshd -t && systemctl restart sshd`; Ubuntu: `sshd -t && systemctl restart ssh`",
                fixes.join("; ")
            ));
        }
        Ok(observation.into())
    }
}

/// One effective setting and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Setting {
    name: &'static str,
    value: String,
    from_sshd: bool,
    /// `path:line` of the line that sets it, when known.
    location: Option<String>,
    /// Why the value holds when nothing sets it.
    default_reason: Option<String>,
}

impl Setting {
    fn describe(&self) -> String {
        let source = match (&self.location, self.from_sshd, &self.default_reason) {
            (Some(location), true, _) => format!("sshd -T, set at {location}"),
            (Some(location), false, _) => location.clone(),
            (None, true, _) => "sshd -T".to_owned(),
            (None, false, Some(reason)) => reason.clone(),
            (None, false, None) => "default".to_owned(),
        };
        format!("{} {} ({source})", self.name, self.value)
    }

    fn fix(&self) -> String {
        match &self.location {
            Some(location) => format!(
                "change '{} {}' at {location} to '{} no'",
                self.name, self.value, self.name
            ),
            None => format!("add '{} no' to {MAIN} before any Match block", self.name),
        }
    }
}

fn parse_sshd_t(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().split_once(' '))
        .map(|(key, value)| (key.to_lowercase(), value.trim().to_lowercase()))
        .collect()
}

fn resolve_from_sshd(
    effective: &BTreeMap<String, String>,
    located: Option<&FileSettings>,
) -> Vec<Setting> {
    KEYS.iter()
        .map(|(key, name)| Setting {
            name,
            // sshd built without PAM does not print `usepam` at all.
            value: effective
                .get(*key)
                .cloned()
                .unwrap_or_else(|| "no".to_owned()),
            from_sshd: true,
            location: located
                .and_then(|files| files.values.get(*key))
                .map(|found| found.location.clone()),
            default_reason: None,
        })
        .collect()
}

fn resolve_from_files(files: &FileSettings, usedns_default: &(String, String)) -> Vec<Setting> {
    KEYS.iter()
        .map(|(key, name)| match files.values.get(*key) {
            Some(found) => Setting {
                name,
                value: found.value.clone(),
                from_sshd: false,
                location: Some(found.location.clone()),
                default_reason: None,
            },
            None => {
                let (value, reason) = if *key == "usedns" {
                    usedns_default.clone()
                } else {
                    ("no".to_owned(), "not set, default".to_owned())
                };
                Setting {
                    name,
                    value,
                    from_sshd: false,
                    location: None,
                    default_reason: Some(reason),
                }
            }
        })
        .collect()
}

/// OpenSSH defaults to `UseDNS no` since 6.8, but RHEL/CentOS 7 build their 7.4 with `yes`.
fn usedns_default(host: &Host) -> (String, String) {
    let old_rhel = OsRelease::read(host).is_ok_and(|release| {
        (release.id == "rhel" || release.id == "centos")
            && (release.version_id == "7" || release.version_id.starts_with("7."))
    });
    if old_rhel {
        (
            "yes".to_owned(),
            "not set, RHEL/CentOS 7 default".to_owned(),
        )
    } else {
        (
            "no".to_owned(),
            "not set, default since OpenSSH 6.8".to_owned(),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Found {
    value: String,
    location: String,
}

/// The global (outside any Match block) keywords of sshd_config and its includes, first value
/// winning, as sshd reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct FileSettings {
    values: BTreeMap<String, Found>,
}

impl FileSettings {
    /// Whether the files alone give sshd's verdict, so `sshd -T` (the largest CPU cost of a
    /// run, about 13 ms for loading host keys) need not run. Either both keywords are `no`
    /// outside any Match block, which `sshd -T` reports as such (the first value wins, there as
    /// here); or one is `yes`, and the check fails whatever the other is: `UseDNS yes` holds in
    /// every build, `UsePAM yes` in a build with PAM, which ships `/etc/pam.d/sshd` (a build
    /// without PAM ignores the keyword). A default is left to sshd, whose build decides it (a
    /// distribution's own UseDNS default), as is a `UsePAM yes` without PAM's file.
    fn settles(&self, pam_built: bool) -> bool {
        let value = |key: &str| self.values.get(key).map(|found| found.value.as_str());
        let both_no = KEYS.iter().all(|(key, _)| value(key) == Some("no"));
        let fails = value("usedns") == Some("yes") || (pam_built && value("usepam") == Some("yes"));
        both_no || fails
    }

    fn read(host: &Host) -> Result<FileSettings, HostError> {
        let mut settings = FileSettings::default();
        let text = host.read(MAIN)?;
        settings.parse(host, MAIN, &text, 0)?;
        Ok(settings)
    }

    fn parse(
        &mut self,
        host: &Host,
        path: &str,
        text: &str,
        depth: usize,
    ) -> Result<(), HostError> {
        if depth > MAX_INCLUDE_DEPTH {
            return Err(HostError::new(path, "Include nested too deeply (a loop?)"));
        }
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (keyword, rest) = split_keyword(line);
            let keyword = keyword.to_lowercase();
            match keyword.as_str() {
                // Everything after a Match line is conditional; UseDNS and UsePAM are not even
                // allowed there, and an Include inside applies only to matching connections.
                "match" => return Ok(()),
                "include" => {
                    for pattern in rest.split_whitespace() {
                        for included in expand_include(host, pattern.trim_matches('"'))? {
                            if let Some(text) = host.read_optional(&included)? {
                                self.parse(host, &included, &text, depth + 1)?;
                            }
                        }
                    }
                }
                _ => {
                    let value = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .trim_matches('"')
                        .to_lowercase();
                    self.values.entry(keyword).or_insert_with(|| Found {
                        value,
                        location: format!("{path}:{}", index + 1),
                    });
                }
            }
        }
        Ok(())
    }
}

/// `UseDNS no`, `UseDNS=no` and `UseDNS = no` → ("UseDNS", "no").
fn split_keyword(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    (keyword, rest)
}

/// The files an `Include` names: relative to /etc/ssh, with `*` and `?` in the last component
/// expanded in sorted order (as glob(3) does; hidden files only when asked for).
fn expand_include(host: &Host, pattern: &str) -> Result<Vec<String>, HostError> {
    let absolute = if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("/etc/ssh/{pattern}")
    };
    let Some((directory, name_pattern)) = absolute.rsplit_once('/') else {
        return Ok(vec![absolute]);
    };
    if !name_pattern.contains(['*', '?']) {
        return Ok(vec![absolute]);
    }
    let directory = if directory.is_empty() { "/" } else { directory };
    let names = host.list_dir(directory)?.unwrap_or_default();
    Ok(names
        .into_iter()
        .filter(|name| !name.starts_with('.') || name_pattern.starts_with('.'))
        .filter(|name| wildcard_match(name_pattern.as_bytes(), name.as_bytes()))
        .map(|name| format!("{}/{name}", directory.trim_end_matches('/')))
        .collect())
}

fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| {
            name.get(skip..)
                .is_some_and(|tail| wildcard_match(rest, tail))
        }),
        Some((b'?', rest)) => name
            .split_first()
            .is_some_and(|(_, tail)| wildcard_match(rest, tail)),
        Some((expected, rest)) => name
            .split_first()
            .is_some_and(|(actual, tail)| actual == expected && wildcard_match(rest, tail)),
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    /// The relevant part of Ubuntu 22.04's stock /etc/ssh/sshd_config.
    const UBUNTU_SSHD_CONFIG: &str = "\n# This is the sshd server system-wide configuration file.  See\n# sshd_config(5) for more information.\n\n# This sshd was compiled with PATH=/usr/bin:/bin:/usr/sbin:/sbin\n\nInclude /etc/ssh/sshd_config.d/*.conf\n\n#Port 22\n#AddressFamily any\n#ListenAddress 0.0.0.0\n\n# Set this to 'yes' to enable PAM authentication, account processing,\n# and session processing.\nUsePAM yes\n\n#AllowAgentForwarding yes\nX11Forwarding yes\nPrintMotd no\n#UseDNS no\n\n# Allow client to pass locale environment variables\nAcceptEnv LANG LC_*\n\n# override default of no subsystems\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n\n# Example of overriding settings on a per-user basis\n#Match User anoncvs\n#\tX11Forwarding no\n";

    /// The relevant part of CentOS 7's stock /etc/ssh/sshd_config.
    const CENTOS_SSHD_CONFIG: &str = "#\t$OpenBSD: sshd_config,v 1.100 2016/08/15 12:32:04 naddy Exp $\n\nHostKey /etc/ssh/ssh_host_rsa_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\nHostKey /etc/ssh/ssh_host_ed25519_key\n\nSyslogFacility AUTHPRIV\nPasswordAuthentication yes\nChallengeResponseAuthentication no\nGSSAPIAuthentication yes\nGSSAPICleanupCredentials no\n#UsePAM no\nUsePAM yes\nX11Forwarding yes\n#UseDNS yes\nAcceptEnv LANG LC_CTYPE LC_NUMERIC LC_TIME LC_COLLATE LC_MONETARY LC_MESSAGES\nSubsystem\tsftp\t/usr/libexec/openssh/sftp-server\n";

    const CENTOS_OS_RELEASE: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\n";

    #[test]
    fn stock_ubuntu_fails_on_usepam_and_names_the_line() {
        let result = Tree::new()
            .file("etc/ssh/sshd_config", UBUNTU_SSHD_CONFIG)
            .file(
                "etc/ssh/sshd_config.d/50-cloud-init.conf",
                "PasswordAuthentication yes\n",
            )
            .status(&SshdUsednsUsepam);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "UseDNS no (not set, default since OpenSSH 6.8), UsePAM yes (/etc/ssh/sshd_config:15)"
        );
        assert!(
            result
                .hint
                .starts_with("change 'UsePAM yes' at /etc/ssh/sshd_config:15 to 'UsePAM no'"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn an_earlier_include_wins_over_the_main_file() {
        let result = Tree::new()
            .file("etc/ssh/sshd_config", UBUNTU_SSHD_CONFIG)
            .file(
                "etc/ssh/sshd_config.d/10-acp.conf",
                "# ACP prerequisites\nusepam=no\nUseDNS = no\n",
            )
            .file("etc/ssh/sshd_config.d/.hidden.conf", "UsePAM yes\n")
            .file("etc/ssh/sshd_config.d/99-later.conf", "UseDNS yes\n")
            .status(&SshdUsednsUsepam);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "UseDNS no (/etc/ssh/sshd_config.d/10-acp.conf:3), UsePAM no \
             (/etc/ssh/sshd_config.d/10-acp.conf:2)"
        );
    }

    #[test]
    fn centos7_defaults_to_usedns_yes() {
        let result = Tree::new()
            .file("etc/os-release", CENTOS_OS_RELEASE)
            .file("etc/ssh/sshd_config", CENTOS_SSHD_CONFIG)
            .status(&SshdUsednsUsepam);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "UseDNS yes (not set, RHEL/CentOS 7 default), UsePAM yes (/etc/ssh/sshd_config:13)"
        );
        assert!(
            result
                .hint
                .contains("add 'UseDNS no' to /etc/ssh/sshd_config")
        );
    }

    #[test]
    fn match_blocks_are_ignored() {
        let config =
            "UseDNS no\nUsePAM no\nMatch User deploy\n\tUsePAM yes\nMatch all\nUseDNS yes\n";
        let result = Tree::new()
            .file("etc/ssh/sshd_config", config)
            .status(&SshdUsednsUsepam);
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn relative_includes_are_relative_to_etc_ssh() {
        let result = Tree::new()
            .file(
                "etc/ssh/sshd_config",
                "Include extra/acp-?.conf\nUsePAM yes\n",
            )
            .file("etc/ssh/extra/acp-1.conf", "UsePAM no\nUseDNS no\n")
            .status(&SshdUsednsUsepam);
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn include_loops_are_an_error() {
        let result = Tree::new()
            .file("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config\n")
            .status(&SshdUsednsUsepam);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/etc/ssh/sshd_config: Include nested too deeply (a loop?)")
        );
    }

    #[test]
    fn no_sshd_config_is_skipped() {
        let result = Tree::new().status(&SshdUsednsUsepam);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some("sshd is not installed (no /etc/ssh/sshd_config)")
        );
    }

    #[test]
    fn sshd_t_output_is_the_effective_truth() {
        // An excerpt of `sshd -T` on RHEL 8.
        let output = "port 22\naddressfamily any\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\nusepam yes\nlogingracetime 120\nx11forwarding yes\nusedns no\npermitrootlogin yes\n";
        let effective = parse_sshd_t(output);
        let files = FileSettings {
            values: [(
                "usepam".to_owned(),
                Found {
                    value: "yes".to_owned(),
                    location: "/etc/ssh/sshd_config:97".to_owned(),
                },
            )]
            .into(),
        };
        let settings = resolve_from_sshd(&effective, Some(&files));
        let described: Vec<String> = settings.iter().map(Setting::describe).collect();
        assert_eq!(
            described,
            [
                "UseDNS no (sshd -T)",
                "UsePAM yes (sshd -T, set at /etc/ssh/sshd_config:97)"
            ]
        );
    }

    #[test]
    fn sshd_is_asked_only_when_the_files_leave_a_doubt() {
        let files = |text: &str| {
            let tree = Tree::new().file("etc/ssh/sshd_config", text);
            FileSettings::read(&tree.host()).unwrap()
        };
        for pam_built in [true, false] {
            assert!(files("UseDNS no\nUsePAM no\n").settles(pam_built));
            assert!(
                files("usedns=no\nInclude none-*.conf\nUSEPAM  no\nUsePAM yes\n")
                    .settles(pam_built)
            );
            // UseDNS yes fails in every build, whatever UsePAM is.
            assert!(files("UseDNS yes\n").settles(pam_built));
            // A default or a value only in a Match block is sshd's to say.
            assert!(!files("UsePAM no\n").settles(pam_built));
            assert!(!files("UseDNS no\nMatch all\nUsePAM no\n").settles(pam_built));
        }
        // Stock Debian and RHEL: UsePAM yes, with PAM's service file, fails without asking;
        // a build without PAM ignores the keyword, so sshd is asked.
        assert!(files("UseDNS no\nUsePAM yes\n").settles(true));
        assert!(files("#UseDNS no\nUsePAM yes\n").settles(true));
        assert!(!files("UseDNS no\nUsePAM yes\n").settles(false));
    }

    #[test]
    fn wildcards_match_like_glob() {
        assert!(wildcard_match(b"*.conf", b"50-cloud-init.conf"));
        assert!(!wildcard_match(b"*.conf", b"50-cloud-init.conf.bak"));
        assert!(wildcard_match(b"acp-?.conf", b"acp-1.conf"));
        assert!(!wildcard_match(b"acp-?.conf", b"acp-10.conf"));
    }
}
