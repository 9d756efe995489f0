//! `software.tools`: the installer drives each node over SSH with these programs (addresses,
//! sockets, archives, swap, modules, sysctls, checksums) and copies files to it with scp or
//! SFTP. A missing one stops the installer midway, on the node that lacks it.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system::OsRelease;

/// A program the installer runs, and the package that provides it on each family.
struct Tool {
    name: &'static str,
    rpm_package: &'static str,
    deb_package: &'static str,
}

const TOOLS: [Tool; 7] = [
    Tool {
        name: "ip",
        rpm_package: "iproute",
        deb_package: "iproute2",
    },
    Tool {
        name: "ss",
        rpm_package: "iproute",
        deb_package: "iproute2",
    },
    Tool {
        name: "tar",
        rpm_package: "tar",
        deb_package: "tar",
    },
    // Debian and Ubuntu ship swapon/swapoff in `mount`, not `util-linux`.
    Tool {
        name: "swapoff",
        rpm_package: "util-linux",
        deb_package: "mount",
    },
    Tool {
        name: "modprobe",
        rpm_package: "kmod",
        deb_package: "kmod",
    },
    Tool {
        name: "sysctl",
        rpm_package: "procps-ng",
        deb_package: "procps",
    },
    Tool {
        name: "md5sum",
        rpm_package: "coreutils",
        deb_package: "coreutils",
    },
];

/// Where distributions install the SFTP server that sshd starts for the `sftp` subsystem:
/// RHEL/CentOS/Kylin, Debian/Ubuntu, Arch, and a few others.
const SFTP_SERVERS: [&str; 4] = [
    "/usr/libexec/openssh/sftp-server",
    "/usr/lib/openssh/sftp-server",
    "/usr/lib/ssh/sftp-server",
    "/usr/lib/sftp-server",
];

/// What copying files to the node needs: the legacy scp protocol runs `scp` on the node, and
/// OpenSSH 9's scp client (like any SFTP client) needs the node's SFTP server.
const FILE_COPY: Tool = Tool {
    name: "scp or an SFTP server",
    rpm_package: "openssh-clients",
    deb_package: "openssh-client",
};

pub struct SoftwareTools;

impl Check for SoftwareTools {
    fn id(&self) -> &'static str {
        "software.tools"
    }

    fn title(&self) -> &'static str {
        "ip, ss, tar, swapoff, modprobe, sysctl, md5sum and scp or SFTP are installed"
    }

    fn hint(&self) -> &'static str {
        "RHEL/CentOS/Kylin: `yum install -y iproute tar util-linux kmod procps-ng coreutils \
         openssh-clients openssh-server`; Ubuntu: `apt-get install -y iproute2 tar mount kmod \
         procps coreutils openssh-client openssh-sftp-server`"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut missing: Vec<&Tool> = Vec::new();
        for tool in &TOOLS {
            if host.find_executable(tool.name)?.is_none() {
                missing.push(tool);
            }
        }
        let file_copy = file_copy(host)?;
        if file_copy.is_none() {
            missing.push(&FILE_COPY);
        }
        let expected = "ip, ss, tar, swapoff, modprobe, sysctl, md5sum, and scp or an SFTP server";
        if missing.is_empty() {
            let observed = format!(
                "all present; files can be copied with {}",
                file_copy.unwrap_or_default()
            );
            return Ok(Observation::new(observed, expected).into());
        }
        let names: Vec<&str> = missing.iter().map(|tool| tool.name).collect();
        let observed = format!("missing: {}", names.join(", "));
        // The family only sharpens the hint; without os-release both commands are given.
        let release = OsRelease::read(host).ok();
        let hint = install_hint(&missing, release.as_ref());
        Ok(Observation::new(observed, expected)
            .fail_if(true)
            .with_hint(hint)
            .into())
    }
}

/// How files can reach the node, in words, or `None` when they cannot.
fn file_copy(host: &Host) -> Result<Option<String>, HostError> {
    let scp = host.find_executable("scp")?;
    let mut server = None;
    for path in SFTP_SERVERS {
        if host.exists(path)? {
            server = Some(path.to_owned());
            break;
        }
    }
    if server.is_none() && internal_sftp(host)? {
        server = Some("sshd's internal-sftp".to_owned());
    }
    Ok(match (scp, server) {
        (Some(scp), Some(server)) => Some(format!("{scp} and SFTP ({server})")),
        (Some(scp), None) => Some(scp),
        (None, Some(server)) => Some(format!("SFTP ({server})")),
        (None, None) => None,
    })
}

/// Whether sshd serves SFTP itself (`Subsystem sftp internal-sftp`), which needs no program.
fn internal_sftp(host: &Host) -> Result<bool, HostError> {
    let Some(config) = host.read_optional("/etc/ssh/sshd_config")? else {
        return Ok(false);
    };
    Ok(config.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        matches!(words.as_slice(), [keyword, "sftp", "internal-sftp", ..]
            if keyword.eq_ignore_ascii_case("subsystem"))
    }))
}

fn install_hint(missing: &[&Tool], release: Option<&OsRelease>) -> String {
    let packages = |package: fn(&Tool) -> &'static str, extra: &'static str| {
        let mut names: Vec<&str> = Vec::new();
        for tool in missing {
            let name = package(tool);
            if !names.contains(&name) {
                names.push(name);
            }
            if tool.name == FILE_COPY.name {
                names.push(extra);
            }
        }
        names.join(" ")
    };
    let rpm = format!(
        "`yum install -y {}`",
        packages(|tool| tool.rpm_package, "openssh-server")
    );
    let deb = format!(
        "`apt-get install -y {}`",
        packages(|tool| tool.deb_package, "openssh-sftp-server")
    );
    match release {
        Some(release) if release.is_rpm_family() => rpm,
        Some(release) if release.is_debian_family() => deb,
        _ => format!("RHEL/CentOS/Kylin: {rpm}; Ubuntu: {deb}"),
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const CENTOS7: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n";
    const UBUNTU2204: &str = "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n";

    /// A CentOS 7 minimal install: everything in /usr/sbin and /usr/bin, /bin and /sbin are
    /// links into /usr.
    fn centos7() -> Tree {
        Tree::new()
            .file("etc/os-release", CENTOS7)
            .symlink("bin", "usr/bin")
            .symlink("sbin", "usr/sbin")
            .executable("usr/sbin/ip")
            .executable("usr/sbin/ss")
            .executable("usr/bin/tar")
            .executable("usr/sbin/swapoff")
            .executable("usr/sbin/modprobe")
            .executable("usr/sbin/sysctl")
            .executable("usr/bin/md5sum")
            .executable("usr/bin/scp")
            .executable("usr/libexec/openssh/sftp-server")
    }

    #[test]
    fn a_complete_centos_passes() {
        let result = centos7().status(&SoftwareTools);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "all present; files can be copied with /usr/bin/scp and SFTP \
             (/usr/libexec/openssh/sftp-server)"
        );
    }

    #[test]
    fn missing_tools_are_named_with_their_packages() {
        let result = Tree::new()
            .file("etc/os-release", CENTOS7)
            .executable("usr/sbin/ip")
            .executable("usr/bin/tar")
            .executable("usr/sbin/swapoff")
            .executable("usr/sbin/modprobe")
            .executable("usr/bin/md5sum")
            .executable("usr/bin/scp")
            .status(&SoftwareTools);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "missing: ss, sysctl");
        assert_eq!(result.hint, "`yum install -y iproute procps-ng`");
    }

    #[test]
    fn ubuntu_packages_differ() {
        let result = Tree::new()
            .file("etc/os-release", UBUNTU2204)
            .executable("usr/bin/ip")
            .executable("usr/bin/ss")
            .executable("usr/bin/tar")
            .executable("usr/sbin/modprobe")
            .executable("usr/sbin/sysctl")
            .executable("usr/bin/md5sum")
            .status(&SoftwareTools);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "missing: swapoff, scp or an SFTP server");
        assert_eq!(
            result.hint,
            "`apt-get install -y mount openssh-client openssh-sftp-server`"
        );
    }

    #[test]
    fn an_sftp_server_alone_is_enough() {
        let tree = Tree::new()
            .executable("usr/sbin/ip")
            .executable("usr/sbin/ss")
            .executable("usr/bin/tar")
            .executable("usr/sbin/swapoff")
            .executable("usr/sbin/modprobe")
            .executable("usr/sbin/sysctl")
            .executable("usr/bin/md5sum");
        let with_server = tree.executable("usr/lib/openssh/sftp-server");
        let result = with_server.status(&SoftwareTools);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "all present; files can be copied with SFTP (/usr/lib/openssh/sftp-server)"
        );
    }

    #[test]
    fn internal_sftp_counts_as_an_sftp_server() {
        let sshd_config = "#\tOpenBSD: sshd_config\nPermitRootLogin yes\n\
                           # override default of no subsystems\n\
                           Subsystem\tsftp\tinternal-sftp\n";
        let tree = Tree::new()
            .file("etc/ssh/sshd_config", sshd_config)
            .executable("usr/sbin/ip")
            .executable("usr/sbin/ss")
            .executable("usr/bin/tar")
            .executable("usr/sbin/swapoff")
            .executable("usr/sbin/modprobe")
            .executable("usr/sbin/sysctl")
            .executable("usr/bin/md5sum");
        let result = tree.status(&SoftwareTools);
        assert_status(&result, Status::Pass);
        assert!(result.observed.ends_with("SFTP (sshd's internal-sftp)"));
    }

    #[test]
    fn without_os_release_both_families_are_hinted() {
        let result = Tree::new().status(&SoftwareTools);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "missing: ip, ss, tar, swapoff, modprobe, sysctl, md5sum, scp or an SFTP server"
        );
        assert!(
            result
                .hint
                .starts_with("RHEL/CentOS/Kylin: `yum install -y iproute tar")
        );
        assert!(
            result
                .hint
                .contains("; Ubuntu: `apt-get install -y iproute2 tar mount")
        );
    }

    #[test]
    fn an_unreadable_sshd_config_is_an_error_naming_it() {
        // A directory where the file should be cannot be read as text.
        let result = Tree::new()
            .executable("usr/sbin/ip")
            .dir("etc/ssh/sshd_config")
            .status(&SoftwareTools);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with("/etc/ssh/sshd_config: ")),
            "{result:?}"
        );
    }
}
