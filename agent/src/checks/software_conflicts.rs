//! `software.conflicts`: the installer brings its own containerd, runc, CNI plugins and
//! Kubernetes binaries. Distribution packages of Docker, Podman or Kubernetes (and stray
//! binaries in /usr/local/bin, which come first in PATH) replace or shadow them: the runtime
//! the kubelet talks to is not the one installed, and pods fail in ways that are hard to trace.
//!
//! The package lists are the installation guide's. Like its `rpm -qa | grep -F "$x"`, an entry
//! matches every package whose name contains it, so `docker` also finds `docker-ce` and
//! `containerd` finds `containerd.io`.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError, Query, QueryError, QueryOutput};
use crate::system::OsRelease;

/// CentOS and RHEL (and the other Red Hat rebuilds).
const RED_HAT_PACKAGES: &[&str] = &[
    "docker",
    "docker-client",
    "docker-common",
    "docker-latest",
    "podman-docker",
    "podman",
    "runc",
    "containernetworking-plugins",
    "apptainer",
    "kubernetes",
    "kubernetes-master",
    "kubernetes-node",
    "kubernetes-client",
];

const KYLIN_PACKAGES: &[&str] = &[
    "docker",
    "docker-client",
    "docker-common",
    "docker-engine",
    "docker-proxy",
    "docker-runc",
    "podman-docker",
    "podman",
    "containernetworking-plugins",
    "apptainer",
    "containerd",
    "kubernetes",
    "kubernetes-master",
    "kubernetes-node",
    "kubernetes-client",
    "kubernetes-kubeadm",
];

/// Ubuntu (dpkg); also used for Debian and its other derivatives.
const DPKG_PACKAGES: &[&str] = &[
    "docker.io",
    "podman-docker",
    "containerd",
    "rootlesskit",
    "rkt",
    "containernetworking-plugins",
    "kubernetes",
];

const SNAPS: &[&str] = &[
    "kubernetes-worker",
    "kubectl",
    "kube-proxy",
    "kube-scheduler",
    "kube-controller-manager",
    "kube-apiserver",
    "k8s",
    "microk8s",
    "kubeadm",
    "kubelet",
];

/// Container runtime, container networking and Kubernetes programs that shadow the
/// installer's when found first in PATH (seed 004: docker, containerd, runc, podman, container
/// networking, container runtimes, Kubernetes). CNI plugins belong in /opt/cni/bin, which the
/// installer replaces itself; copies dropped into /usr/local/bin are strays. Plugin names that
/// are also ordinary words (`static`, `dhcp`, `dummy`, `tap`, `firewall`) are left out: a
/// script of that name is more likely than a lost plugin.
const STRAY_BINARIES: &[&str] = &[
    // Docker and containerd
    "docker",
    "dockerd",
    "docker-init",
    "docker-proxy",
    "cri-dockerd",
    "containerd",
    "ctr",
    "nerdctl",
    // OCI runtimes
    "runc",
    "crun",
    "youki",
    "runsc",
    // CRI-O and Podman
    "crio",
    "conmon",
    "pinns",
    "crictl",
    "podman",
    // Container networking
    "flanneld",
    "calicoctl",
    "calico",
    "calico-ipam",
    "flannel",
    "bridge",
    "host-local",
    "host-device",
    "loopback",
    "portmap",
    "ptp",
    "macvlan",
    "ipvlan",
    "bandwidth",
    "tuning",
    "vlan",
    "sbr",
    "vrf",
    // Kubernetes
    "kubelet",
    "kubeadm",
    "kubectl",
    "kube-proxy",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
    "k3s",
    "rke2",
];

/// `containerd-shim`, `containerd-shim-runc-v2`, …
const STRAY_PREFIX: &str = "containerd-shim";

const BINARY_DIRECTORIES: [&str; 2] = ["/usr/local/bin", "/usr/local/sbin"];

const SNAP_DIRECTORY: &str = "/var/lib/snapd/snaps";
const DPKG_STATUS: &str = "/var/lib/dpkg/status";

/// Whose package lists apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    RedHat,
    Kylin,
    Ubuntu,
    Other,
    /// No readable os-release: no package list applies.
    Unknown,
}

impl Family {
    fn of(release: &OsRelease) -> Family {
        if release.id == "kylin" {
            Family::Kylin
        } else if release.is_rpm_family() {
            Family::RedHat
        } else if release.is_debian_family() {
            Family::Ubuntu
        } else {
            Family::Other
        }
    }
}

/// One conflicting thing found: where, its name, and the list entry it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Conflict {
    source: &'static str,
    name: String,
    entry: &'static str,
}

/// What was looked at and found.
#[derive(Debug, Default)]
struct Survey {
    conflicts: Vec<Conflict>,
    /// What was read, in words ("412 rpm packages").
    checked: Vec<String>,
    /// What could not be read, and why.
    unchecked: Vec<String>,
    /// Set when `snap list` failed and the snap files were listed instead.
    notes: Vec<String>,
}

pub struct SoftwareConflicts;

impl Check for SoftwareConflicts {
    fn id(&self) -> &'static str {
        "software.conflicts"
    }

    fn title(&self) -> &'static str {
        "no conflicting container or Kubernetes packages or binaries"
    }

    fn hint(&self) -> &'static str {
        "DANGER: confirm what runs on the conflicting software, plan the migration of its \
         applications and back up their data first. Then RHEL/CentOS/Kylin: `yum remove PACKAGE`; \
         Ubuntu: `apt-get purge PACKAGE`, `snap remove --purge SNAP`; move stray binaries out of \
         /usr/local/bin and /usr/local/sbin"
    }

    fn explain(&self) -> &'static str {
        "Seed 004 lists the conflicting packages per distribution (RHEL/CentOS, Kylin, Ubuntu \
         dpkg and snap) and then asks to look for other conflicting binaries in directories \
         such as /usr/local/bin: docker, containerd, runc, podman, container networking, \
         container runtimes, Kubernetes. The binary scan of /usr/local/bin and \
         /usr/local/sbin stands on its own: a stray binary fails even where no package \
         database can be read. When the packages cannot be read (rpm under --root, no \
         os-release, an OS without a list) and no binary is found, the check warns — the \
         packages are unknown, not clean."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut survey = Survey::default();
        let release = match OsRelease::read(host) {
            Ok(release) => Some((Family::of(&release), release)),
            Err(error) => {
                survey
                    .unchecked
                    .push(format!("packages (distribution unknown: {error})"));
                None
            }
        };
        let family = release
            .as_ref()
            .map_or(Family::Unknown, |(family, _)| *family);
        match family {
            Family::RedHat | Family::Kylin => {
                let entries = if family == Family::Kylin {
                    KYLIN_PACKAGES
                } else {
                    RED_HAT_PACKAGES
                };
                match rpm_packages(host)? {
                    Some(names) => survey.add("rpm", "rpm packages", &names, entries),
                    None => survey.unchecked.push(
                        "rpm packages (the rpm database needs rpm, which --root cannot run)"
                            .to_owned(),
                    ),
                }
            }
            Family::Ubuntu => {
                match dpkg_packages(host)? {
                    Some(names) => survey.add("dpkg", "dpkg packages", &names, DPKG_PACKAGES),
                    None => survey
                        .unchecked
                        .push(format!("dpkg packages (no {DPKG_STATUS})")),
                }
                let snaps = snap_names(host, &mut survey.notes)?;
                survey.add("snap", "snaps", &snaps, SNAPS);
            }
            Family::Unknown => {}
            Family::Other => survey.unchecked.push(format!(
                "packages (no conflict list for {}; the guide has RHEL/CentOS, Kylin and Ubuntu)",
                release.as_ref().map_or("this OS", |(_, release)| {
                    if release.pretty_name.is_empty() {
                        &release.id
                    } else {
                        &release.pretty_name
                    }
                })
            )),
        }
        for directory in BINARY_DIRECTORIES {
            let names = host.list_dir(directory)?.unwrap_or_default();
            survey.conflicts.extend(
                names
                    .into_iter()
                    .filter_map(|name| stray_entry(&name).map(|entry| (name, entry)))
                    .map(|(name, entry)| Conflict {
                        source: directory,
                        name,
                        entry,
                    }),
            );
            survey.checked.push(directory.to_owned());
        }
        Ok(survey.outcome())
    }
}

impl Survey {
    fn add(
        &mut self,
        source: &'static str,
        noun: &str,
        names: &[String],
        entries: &'static [&'static str],
    ) {
        self.checked.push(format!("{} {noun}", names.len()));
        self.conflicts.extend(names.iter().filter_map(|name| {
            matching_entry(name, entries).map(|entry| Conflict {
                source,
                name: name.clone(),
                entry,
            })
        }));
    }

    fn outcome(self) -> Outcome {
        let expected = "none of the guide's conflicting packages, no stray runtime or \
                        Kubernetes binaries in /usr/local/bin or /usr/local/sbin";
        let notes = if self.notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.notes.join("; "))
        };
        let unchecked = if self.unchecked.is_empty() {
            String::new()
        } else {
            format!("; not checked: {}", self.unchecked.join(", "))
        };
        if self.conflicts.is_empty() {
            let looked = format!("none among {}{notes}", self.checked.join(", "));
            if self.unchecked.is_empty() {
                return Observation::new(looked, expected).into();
            }
            // What could be read is clean, but a package database was not: not a pass, and
            // not a skip either — the binary scan did run.
            return Observation::new(format!("{looked}{unchecked}"), expected)
                .warn_if(true)
                .into();
        }
        let mut groups: Vec<String> = Vec::new();
        let mut sources: Vec<&str> = self.conflicts.iter().map(|c| c.source).collect();
        sources.dedup();
        for source in sources {
            let items: Vec<String> = self
                .conflicts
                .iter()
                .filter(|conflict| conflict.source == source)
                .map(|conflict| {
                    if conflict.name == conflict.entry {
                        conflict.name.clone()
                    } else {
                        format!("{} ({})", conflict.name, conflict.entry)
                    }
                })
                .collect();
            groups.push(format!("{source}: {}", items.join(", ")));
        }
        let observed = format!("{}{notes}{unchecked}", groups.join("; "));
        Observation::new(observed, expected)
            .fail_if(true)
            .with_hint(removal_hint(&self.conflicts))
            .into()
    }
}

/// The removal commands for exactly what was found, behind the guide's warning.
fn removal_hint(conflicts: &[Conflict]) -> String {
    let names = |source: &str| -> Vec<String> {
        conflicts
            .iter()
            .filter(|conflict| conflict.source == source)
            .map(|conflict| conflict.name.clone())
            .collect()
    };
    let mut commands = Vec::new();
    let rpm = names("rpm");
    if !rpm.is_empty() {
        commands.push(format!("`yum remove {}`", rpm.join(" ")));
    }
    let dpkg = names("dpkg");
    if !dpkg.is_empty() {
        commands.push(format!("`apt-get purge {}`", dpkg.join(" ")));
    }
    let snaps = names("snap");
    if !snaps.is_empty() {
        commands.push(format!("`snap remove --purge {}`", snaps.join(" ")));
    }
    let binaries: Vec<String> = conflicts
        .iter()
        .filter(|conflict| conflict.source.starts_with('/'))
        .map(|conflict| format!("{}/{}", conflict.source, conflict.name))
        .collect();
    if !binaries.is_empty() {
        commands.push(format!(
            "`mkdir -p /root/stray-bin && mv {} /root/stray-bin/`",
            binaries.join(" ")
        ));
    }
    format!(
        "DANGER: this stops the containers and workloads using them and can lose data. Confirm \
         what runs there, plan the migration of those applications and back up their data \
         first. Then: `systemctl disable --now kubelet docker containerd`; {}",
        commands.join("; ")
    )
}

/// The most specific list entry contained in `name`, as `grep -F` would find it.
fn matching_entry(name: &str, entries: &'static [&'static str]) -> Option<&'static str> {
    entries
        .iter()
        .copied()
        .filter(|entry| name.contains(entry))
        .max_by_key(|entry| entry.len())
}

fn stray_entry(name: &str) -> Option<&'static str> {
    if name.starts_with(STRAY_PREFIX) {
        return Some(STRAY_PREFIX);
    }
    STRAY_BINARIES.iter().copied().find(|entry| *entry == name)
}

/// Installed RPM names; `None` under `--root`, where the database cannot be read.
fn rpm_packages(host: &Host) -> Result<Option<Vec<String>>, HostError> {
    if !host.is_live() {
        return Ok(None);
    }
    let output = query_output(host, Query::RpmPackages)?.unwrap_or_default();
    Ok(Some(unique(output.lines().map(str::trim))))
}

/// Installed dpkg package names, from dpkg's status file live and under a root alike: it is
/// the database `dpkg-query` reads, and reading it spares the host a process start.
fn dpkg_packages(host: &Host) -> Result<Option<Vec<String>>, HostError> {
    let Some(status) = host.read_optional(DPKG_STATUS)? else {
        return Ok(None);
    };
    parse_dpkg_status(&status).map(Some)
}

/// Whether a dpkg status (`want error state`) leaves files on disk. Held packages
/// (`hold ok installed`, as Kubernetes guides tell people to hold kubelet) count too.
fn dpkg_present(status: &str) -> bool {
    matches!(
        status.split_whitespace().nth(2),
        Some(
            "installed"
                | "unpacked"
                | "half-installed"
                | "half-configured"
                | "triggers-awaited"
                | "triggers-pending"
        )
    )
}

/// Names of present packages in `/var/lib/dpkg/status` (RFC 822-style stanzas).
fn parse_dpkg_status(text: &str) -> Result<Vec<String>, HostError> {
    let mut names = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |key: &str| {
            stanza.lines().find_map(|line| {
                line.strip_prefix(key)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(str::trim)
            })
        };
        let Some(package) = field("Package") else {
            continue;
        };
        let Some(status) = field("Status") else {
            return Err(HostError::new(
                DPKG_STATUS,
                format!("package '{package}' has no Status field"),
            ));
        };
        if dpkg_present(status) {
            names.push(package);
        }
    }
    Ok(unique(names.into_iter()))
}

/// Installed snap names: `snap list` live, else the snap files snapd keeps. A failing
/// `snap list` (snapd stopped) falls back to the files and says so.
fn snap_names(host: &Host, notes: &mut Vec<String>) -> Result<Vec<String>, HostError> {
    if host.is_live() {
        match host.query(Query::SnapPackages) {
            Ok(output) if output.success() => return Ok(parse_snap_list(&output.stdout)),
            Ok(output) => notes.push(format!(
                "`snap list` failed: {}; listed {SNAP_DIRECTORY} instead",
                failure(&output)
            )),
            Err(QueryError::NotInstalled(_)) => return Ok(Vec::new()),
            Err(QueryError::Host(error)) => return Err(error),
            Err(error) => notes.push(format!("{error}; listed {SNAP_DIRECTORY} instead")),
        }
    }
    let files = host.list_dir(SNAP_DIRECTORY)?.unwrap_or_default();
    Ok(unique(files.iter().filter_map(|file| {
        // `NAME_REVISION.snap`, or `NAME_INSTANCE_REVISION.snap`; names have no '_'.
        let stem = file.strip_suffix(".snap")?;
        stem.split('_').next()
    })))
}

/// The first column of `snap list`, without its header.
fn parse_snap_list(stdout: &str) -> Vec<String> {
    unique(
        stdout
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "Name"),
    )
}

/// A package query's output; `None` when its program is not installed, which means that
/// package database does not exist on this host.
fn query_output(host: &Host, query: Query) -> Result<Option<String>, HostError> {
    match host.query(query) {
        Ok(output) if output.success() => Ok(Some(output.stdout)),
        Ok(output) => Err(HostError::new(query.command_line(), failure(&output))),
        Err(QueryError::NotInstalled(_)) => Ok(None),
        Err(QueryError::Host(error)) => Err(error),
        Err(error) => Err(HostError::new(query.command_line(), error.to_string())),
    }
}

fn failure(output: &QueryOutput) -> String {
    let first_line = output
        .stderr
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("no message");
    match output.exit_code {
        Some(code) => format!("exit code {code}: {first_line}"),
        None => format!("killed by a signal: {first_line}"),
    }
}

/// Sorted, without duplicates (multi-arch dpkg lists a package once per architecture).
fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = names
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const CENTOS7: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n";
    const KYLIN_V10: &str = "NAME=\"Kylin Linux Advanced Server\"\nVERSION=\"V10 (Lance)\"\nID=\"kylin\"\nVERSION_ID=\"V10\"\nPRETTY_NAME=\"Kylin Linux Advanced Server V10 (Lance)\"\nANSI_COLOR=\"0;31\"\n";
    const UBUNTU2204: &str = "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n";

    /// Stanzas of an Ubuntu 22.04 `/var/lib/dpkg/status`: installed, held, removed with
    /// config left behind, and one with a multi-line description.
    const DPKG_STATUS_TEXT: &str = "\
Package: adduser
Status: install ok installed
Priority: important
Section: admin
Installed-Size: 608
Maintainer: Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: all
Version: 3.118ubuntu5
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands for creating
 and removing users.

Package: containerd.io
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 112477
Maintainer: Containerd team <help@containerd.io>
Architecture: amd64
Version: 1.6.24-1
Description: An open and reliable container runtime

Package: kubelet
Status: hold ok installed
Priority: optional
Architecture: amd64
Version: 1.28.2-1.1
Description: Node agent for Kubernetes clusters

Package: docker.io
Status: deinstall ok config-files
Priority: optional
Architecture: amd64
Version: 24.0.5-0ubuntu1~22.04.1
Description: Linux container runtime

Package: runc
Status: install ok installed
Architecture: amd64
Version: 1.1.7-0ubuntu1~22.04.1
Description: Open Container Project - runtime
";

    #[test]
    fn substring_matching_follows_grep_f_and_prefers_the_longest_entry() {
        assert_eq!(
            matching_entry("docker-ce", RED_HAT_PACKAGES),
            Some("docker")
        );
        assert_eq!(
            matching_entry("docker-client", RED_HAT_PACKAGES),
            Some("docker-client")
        );
        assert_eq!(
            matching_entry("kubernetes-cni", RED_HAT_PACKAGES),
            Some("kubernetes")
        );
        assert_eq!(
            matching_entry("containerd.io", KYLIN_PACKAGES),
            Some("containerd")
        );
        assert_eq!(matching_entry("containerd.io", RED_HAT_PACKAGES), None);
        assert_eq!(matching_entry("microk8s", SNAPS), Some("microk8s"));
        assert_eq!(matching_entry("lxd", SNAPS), None);
    }

    #[test]
    fn dpkg_status_counts_installed_and_held_packages_only() {
        let names = parse_dpkg_status(DPKG_STATUS_TEXT).unwrap();
        assert_eq!(names, ["adduser", "containerd.io", "kubelet", "runc"]);
    }

    #[test]
    fn snap_list_first_column() {
        let output = "Name      Version        Rev    Tracking       Publisher   Notes\n\
                      core20    20230801       2015   latest/stable  canonical✓  base\n\
                      lxd       5.0.2-838e1b2  24322  5.0/stable/…   canonical✓  -\n\
                      microk8s  v1.28.3        6089   1.28/stable    canonical✓  classic\n\
                      snapd     2.60.3         20290  latest/stable  canonical✓  snapd\n";
        assert_eq!(
            parse_snap_list(output),
            ["core20", "lxd", "microk8s", "snapd"]
        );
        assert!(parse_snap_list("").is_empty());
    }

    #[test]
    fn an_ubuntu_tree_with_conflicts_fails_and_names_them() {
        let result = Tree::new()
            .file("etc/os-release", UBUNTU2204)
            .file("var/lib/dpkg/status", DPKG_STATUS_TEXT)
            .file("var/lib/snapd/snaps/core20_2015.snap", "")
            .file("var/lib/snapd/snaps/microk8s_6089.snap", "")
            .dir("var/lib/snapd/snaps/partial")
            .executable("usr/local/bin/kubectl")
            .executable("usr/local/bin/containerd-shim-runc-v2")
            .executable("usr/local/bin/helm")
            .status(&SoftwareConflicts);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "dpkg: containerd.io (containerd); snap: microk8s; \
             /usr/local/bin: containerd-shim-runc-v2 (containerd-shim), kubectl"
        );
        assert!(result.hint.starts_with("DANGER: "), "{}", result.hint);
        assert!(
            result.hint.ends_with(
                "`apt-get purge containerd.io`; `snap remove --purge microk8s`; \
                 `mkdir -p /root/stray-bin && mv /usr/local/bin/containerd-shim-runc-v2 \
                 /usr/local/bin/kubectl /root/stray-bin/`"
            ),
            "{}",
            result.hint
        );
    }

    #[test]
    fn a_clean_ubuntu_tree_passes_and_says_what_it_read() {
        let status = "Package: adduser\nStatus: install ok installed\nVersion: 3.118ubuntu5\n\n\
                      Package: bash\nStatus: install ok installed\nVersion: 5.1-6ubuntu1\n";
        let result = Tree::new()
            .file("etc/os-release", UBUNTU2204)
            .file("var/lib/dpkg/status", status)
            .executable("usr/local/bin/helm")
            .status(&SoftwareConflicts);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "none among 2 dpkg packages, 0 snaps, /usr/local/bin, /usr/local/sbin"
        );
    }

    #[test]
    fn rpm_under_a_root_warns_but_the_binary_scan_stands() {
        let result = Tree::new()
            .file("etc/os-release", CENTOS7)
            .dir("var/lib/rpm")
            .status(&SoftwareConflicts);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "none among /usr/local/bin, /usr/local/sbin; not checked: rpm packages (the rpm \
             database needs rpm, which --root cannot run)"
        );
    }

    #[test]
    fn cri_o_and_container_networking_binaries_are_strays_too() {
        let result = Tree::new()
            .executable("usr/local/bin/crio")
            .executable("usr/local/bin/conmon")
            .executable("usr/local/bin/pinns")
            .executable("usr/local/bin/calicoctl")
            .executable("usr/local/bin/host-local")
            .executable("usr/local/bin/helm")
            .executable("usr/local/sbin/flanneld")
            .status(&SoftwareConflicts);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/usr/local/bin: calicoctl, conmon, crio, host-local, pinns; /usr/local/sbin: \
             flanneld; not checked: packages (distribution unknown: /usr/lib/os-release: no \
             such file)"
        );
    }

    #[test]
    fn stray_binaries_fail_even_when_packages_cannot_be_read() {
        let result = Tree::new()
            .file("etc/os-release", KYLIN_V10)
            .executable("usr/local/bin/runc")
            .executable("usr/local/sbin/dockerd")
            .status(&SoftwareConflicts);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/usr/local/bin: runc; /usr/local/sbin: dockerd; not checked: rpm packages (the \
             rpm database needs rpm, which --root cannot run)"
        );
    }

    #[test]
    fn families_pick_their_lists() {
        let family = |text: &str| Family::of(&OsRelease::parse(text));
        assert_eq!(family(CENTOS7), Family::RedHat);
        assert_eq!(family(KYLIN_V10), Family::Kylin);
        assert_eq!(family(UBUNTU2204), Family::Ubuntu);
        assert_eq!(
            family("ID=opensuse-leap\nID_LIKE=\"suse opensuse\"\n"),
            Family::Other
        );
    }

    #[test]
    fn a_malformed_dpkg_status_is_an_error_naming_it() {
        let result = Tree::new()
            .file("etc/os-release", UBUNTU2204)
            .file(
                "var/lib/dpkg/status",
                "Package: docker.io\nVersion: 24.0.5\n",
            )
            .status(&SoftwareConflicts);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/var/lib/dpkg/status: package 'docker.io' has no Status field")
        );
    }

    #[test]
    fn a_missing_os_release_leaves_the_packages_unknown_and_still_scans_binaries() {
        let result = Tree::new().status(&SoftwareConflicts);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "none among /usr/local/bin, /usr/local/sbin; not checked: packages (distribution \
             unknown: /usr/lib/os-release: no such file)"
        );
    }

    #[test]
    fn on_this_machine_the_package_database_is_read() {
        let result =
            crate::runner::evaluate(&SoftwareConflicts, &Host::live(), &Context::default());
        assert!(
            result.status == Status::Error || result.observed.contains("/usr/local/bin"),
            "{result:?}"
        );
    }
}
