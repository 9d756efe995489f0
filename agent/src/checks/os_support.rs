//! `os.support`: ACP is built and tested for a short list of OS releases and their kernels. On
//! anything else the installer may run but kube-proxy (IPVS), the CNI and the container runtime
//! meet kernel behaviour nobody tested: NodePort breaks on Kylin before SP3, Calico VXLAN IPv6
//! does not work on 3.10 kernels, HWE kernels change netfilter under the platform.

use ironprep_schema::Cni;

use crate::check::{Check, Context, Level, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system::{self, CpuBlock, KernelVersion, OsRelease};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Rhel,
    CentOs,
    Ubuntu,
    Kylin,
}

/// One line of the support matrix of the installation guide.
struct Supported {
    family: Family,
    /// First and last supported release, inclusive, as (major, minor). Kylin: (10, service pack).
    from: (u32, u32),
    to: (u32, u32),
    /// Only `A.B.C` of the running kernel has to match; the build after it may differ.
    kernel: KernelVersion,
    label: &'static str,
    /// The kernels the guide names as tested, for the message.
    tested: &'static str,
}

/// The guide lists CentOS as "3.10.0-1127 … 3.11": read as any 3.10.0 build (below 3.11), since
/// only A.B.C has to match and every CentOS 7.6–7.9 kernel is 3.10.0.
const MATRIX: [Supported; 6] = [
    Supported {
        family: Family::Rhel,
        from: (7, 8),
        to: (7, 8),
        kernel: KernelVersion(3, 10, 0),
        label: "RHEL 7.8",
        tested: "3.10.0-1127.el7.x86_64",
    },
    Supported {
        family: Family::Rhel,
        from: (8, 0),
        to: (8, 6),
        kernel: KernelVersion(4, 18, 0),
        label: "RHEL 8.0–8.6",
        tested: "4.18.0-80.el8.x86_64 … 4.18.0-372.9.1.el8.x86_64",
    },
    Supported {
        family: Family::CentOs,
        from: (7, 6),
        to: (7, 9),
        kernel: KernelVersion(3, 10, 0),
        label: "CentOS 7.6–7.9",
        tested: "3.10.0-1127 … 3.11",
    },
    Supported {
        family: Family::Ubuntu,
        from: (20, 4),
        to: (20, 4),
        kernel: KernelVersion(5, 4, 0),
        label: "Ubuntu 20.04",
        tested: "5.4.0-124-generic",
    },
    Supported {
        family: Family::Ubuntu,
        from: (22, 4),
        to: (22, 4),
        kernel: KernelVersion(5, 15, 0),
        label: "Ubuntu 22.04",
        tested: "5.15.0-56-generic",
    },
    Supported {
        family: Family::Kylin,
        from: (10, 3),
        to: (10, 3),
        kernel: KernelVersion(4, 19, 90),
        label: "Kylin V10 SP3",
        tested: "4.19.90-52.22.v2207.ky10.x86_64",
    },
];

/// The one aarch64 CPU the platform supports: HiSilicon (implementer 0x48) Kunpeng 920 (0xd01).
const KUNPENG_IMPLEMENTER: &str = "0x48";
const KUNPENG_920_PART: &str = "0xd01";

const CONTACT_SUPPORT: &str = "this OS, kernel or CPU is not in the support matrix: install a \
     supported release (RHEL 7.8, RHEL 8.0–8.6, CentOS 7.6–7.9, Ubuntu 20.04/22.04 with the GA \
     kernel, Kylin V10 SP3; aarch64 only on Kunpeng 920) or contact technical support";

pub struct OsSupport;

impl Check for OsSupport {
    fn id(&self) -> &'static str {
        "os.support"
    }

    fn title(&self) -> &'static str {
        "OS, kernel and CPU architecture are in the support matrix"
    }

    fn hint(&self) -> &'static str {
        CONTACT_SUPPORT
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let release = OsRelease::read(host)?;
        let productinfo = if release.id == "kylin" {
            host.read_optional("/etc/.productinfo")?
        } else {
            None
        };
        let os = identify(&release, productinfo.as_deref());
        let kernel_release = system::kernel_release(host)?;
        let kernel = KernelVersion::parse(&kernel_release).ok_or_else(|| {
            HostError::new(
                "/proc/sys/kernel/osrelease",
                format!("malformed kernel release '{kernel_release}'"),
            )
        })?;
        let cpu = cpu_architecture(&system::cpuinfo(host)?);

        let mut verdict = Verdict::default();
        let row = verdict.judge_release(&os, kernel);
        if let Some(problem) = cpu.problem() {
            verdict.add(Level::Fail, problem, CONTACT_SUPPORT);
        }
        let calico_ipv6_unsupported = os.family == Some(Family::CentOs)
            || (os.family == Some(Family::Rhel) && os.version == Some((7, 8)));
        if context.cni == Cni::Calico && calico_ipv6_unsupported {
            verdict.add(
                Level::Warn,
                format!("Calico VXLAN over IPv6 is not supported on {}", os.name),
                "with the calico CNI use IPv4 (or IPIP/BGP instead of VXLAN for IPv6), or \
                 install RHEL 8, Ubuntu or Kylin V10 SP3",
            );
        }

        let mut observed = format!("{}, kernel {kernel_release}", os.name);
        if let Some(described) = cpu.describe() {
            observed.push_str(&format!(", {described}"));
        }
        for (_, problem) in &verdict.problems {
            observed.push_str(&format!("; {problem}"));
        }
        let expected = match row {
            Some(row) => format!(
                "{} with kernel {}-* (tested: {})",
                row.label, row.kernel, row.tested
            ),
            None => format!("a release from the support matrix: {}", matrix_summary()),
        };
        let mut observation = Observation::new(observed, expected)
            .warn_if(verdict.worst == Level::Warn)
            .fail_if(verdict.worst == Level::Fail);
        if !verdict.hints.is_empty() {
            observation = observation.with_hint(verdict.hints.join("; "));
        }
        Ok(observation.into())
    }
}

/// The problems found, the worst level among them and the fixes, in the order found.
struct Verdict {
    problems: Vec<(Level, String)>,
    worst: Level,
    hints: Vec<&'static str>,
}

impl Default for Verdict {
    fn default() -> Self {
        Verdict {
            problems: Vec::new(),
            worst: Level::Ok,
            hints: Vec::new(),
        }
    }
}

impl Verdict {
    fn add(&mut self, level: Level, problem: impl Into<String>, hint: &'static str) {
        self.problems.push((level, problem.into()));
        self.worst = self.worst.max(level);
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
    }

    /// Compares the release and kernel with the matrix; returns the matrix line that applies.
    fn judge_release(
        &mut self,
        os: &Identified,
        kernel: KernelVersion,
    ) -> Option<&'static Supported> {
        let Some(family) = os.family else {
            self.add(Level::Fail, "not a supported OS", CONTACT_SUPPORT);
            return None;
        };
        let Some(version) = os.version else {
            self.add(
                Level::Fail,
                format!("cannot tell the release of {}", os.name),
                CONTACT_SUPPORT,
            );
            return None;
        };
        if family == Family::Kylin && version.1 < 3 {
            return self.judge_old_kylin(os, kernel);
        }
        let Some(row) = MATRIX
            .iter()
            .find(|row| row.family == family && row.from <= version && version <= row.to)
        else {
            let supported: Vec<&str> = MATRIX
                .iter()
                .filter(|row| row.family == family)
                .map(|row| row.label)
                .collect();
            self.add(
                Level::Fail,
                format!(
                    "{} is not in the support matrix (supported: {})",
                    os.name,
                    supported.join(", ")
                ),
                CONTACT_SUPPORT,
            );
            return None;
        };
        if kernel != row.kernel {
            if family == Family::Ubuntu && kernel > row.kernel {
                self.add(
                    Level::Fail,
                    format!(
                        "kernel {kernel} is an HWE kernel; HWE kernels are not supported \
                         ({} needs the GA kernel {})",
                        row.label, row.kernel
                    ),
                    "boot the GA kernel: `apt-get install -y linux-generic && apt-get purge \
                     'linux-generic-hwe-*'`, then reboot into the GA kernel",
                );
            } else {
                self.add(
                    Level::Fail,
                    format!("kernel {kernel} is not {}", row.kernel),
                    "boot a kernel of the supported A.B.C and reboot, or contact technical support; \
                     RHEL/CentOS/Kylin: `grubby --set-default /boot/vmlinuz-RELEASE`; Ubuntu: set \
                     GRUB_DEFAULT, then `update-grub`",
                );
            }
        }
        Some(row)
    }

    /// Kylin V10 before SP3 runs the same 4.19.90 kernel line but with a known NodePort bug.
    fn judge_old_kylin(
        &mut self,
        os: &Identified,
        kernel: KernelVersion,
    ) -> Option<&'static Supported> {
        let row = MATRIX.iter().find(|row| row.family == Family::Kylin)?;
        let level = if kernel == row.kernel {
            Level::Warn
        } else {
            Level::Fail
        };
        let mut problem = format!(
            "{} has a known kernel bug that breaks NodePort access; upgrade to Kylin V10 SP3",
            os.name
        );
        if kernel != row.kernel {
            problem.push_str(&format!(" (and kernel {kernel} is not {})", row.kernel));
        }
        self.add(
            level,
            problem,
            "upgrade to Kylin V10 SP3 (kernel 4.19.90-52.22.v2207.ky10 or later 4.19.90 builds)",
        );
        Some(row)
    }
}

/// The OS as the support matrix names it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identified {
    family: Option<Family>,
    /// (major, minor); for Kylin (10, service pack). `None` when the release cannot be told.
    version: Option<(u32, u32)>,
    /// "CentOS 7.9", "Kylin V10 SP3", or the PRETTY_NAME of an OS outside the matrix.
    name: String,
}

fn identify(release: &OsRelease, productinfo: Option<&str>) -> Identified {
    match release.id.as_str() {
        "rhel" => {
            let version = major_minor(&release.version_id);
            Identified {
                family: Some(Family::Rhel),
                version,
                name: format!("RHEL {}", release.version_id),
            }
        }
        "centos" => {
            // os-release says only `7`; /etc/centos-release has "CentOS Linux release 7.9.2009".
            let precise = release
                .vendor_release
                .as_deref()
                .and_then(|line| word_after(line, "release"))
                .and_then(major_minor);
            let stream = release
                .vendor_release
                .as_deref()
                .is_some_and(|line| line.contains("Stream"));
            let version = precise.or_else(|| {
                release
                    .version_id
                    .contains('.')
                    .then(|| major_minor(&release.version_id))
                    .flatten()
            });
            let name = match (stream, version) {
                (true, _) => format!("CentOS Stream {}", release.version_id),
                (false, Some((major, minor))) => format!("CentOS {major}.{minor}"),
                (false, None) => format!(
                    "CentOS {} (minor release unknown: no /etc/centos-release)",
                    release.version_id
                ),
            };
            Identified {
                family: (!stream).then_some(Family::CentOs),
                version,
                name,
            }
        }
        "ubuntu" => Identified {
            family: Some(Family::Ubuntu),
            version: major_minor(&release.version_id),
            name: format!("Ubuntu {}", release.version_id),
        },
        "kylin" if release.version_id.eq_ignore_ascii_case("v10") => {
            let service_pack = productinfo
                .and_then(service_pack_from_productinfo)
                .map(|pack| (pack, String::new()))
                .or_else(|| service_pack_from_codename(&release.pretty_name));
            match service_pack {
                Some((pack, note)) => Identified {
                    family: Some(Family::Kylin),
                    version: Some((10, pack)),
                    name: match pack {
                        0 => format!("Kylin V10 (no service pack){note}"),
                        _ => format!("Kylin V10 SP{pack}{note}"),
                    },
                },
                None => Identified {
                    family: Some(Family::Kylin),
                    version: None,
                    name: "Kylin V10 (service pack unknown: no /etc/.productinfo)".to_owned(),
                },
            }
        }
        _ => Identified {
            family: None,
            version: major_minor(&release.version_id),
            name: if release.pretty_name.is_empty() {
                format!("{} {}", release.id, release.version_id)
            } else {
                release.pretty_name.clone()
            },
        },
    }
}

/// `7.9.2009` → (7, 9); `22.04` → (22, 4); `8` → (8, 0).
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = match parts.next() {
        Some(minor) => minor.trim().parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

fn word_after<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let mut words = line.split_whitespace();
    words.find(|word| *word == keyword)?;
    words.next()
}

/// `release V10 (SP3) /(Lance)-x86_64-Build20/20221125` → 3; `release V10 SP3 2403/(Halberd)…`
/// → 3; a release line without `SPn` is the first V10 release → 0.
fn service_pack_from_productinfo(text: &str) -> Option<u32> {
    let line = text.lines().find(|line| line.contains("release"))?;
    if !line.contains("V10") {
        return None;
    }
    let Some(position) = line.find("SP") else {
        return Some(0);
    };
    let digits: String = line
        .get(position + 2..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The codename in os-release (`Kylin Linux Advanced Server V10 (Lance)`) when .productinfo is
/// missing. Tercel was used by V10 and SP1 alike, so it only says "before SP2".
fn service_pack_from_codename(pretty_name: &str) -> Option<(u32, String)> {
    const CODENAMES: [(&str, u32, &str); 4] = [
        ("Tercel", 1, " (Tercel: V10 or SP1)"),
        ("Sword", 2, " (Sword)"),
        ("Lance", 3, " (Lance)"),
        ("Halberd", 3, " (Halberd)"),
    ];
    CODENAMES
        .iter()
        .find(|(codename, _, _)| pretty_name.contains(codename))
        .map(|(_, pack, note)| (*pack, (*note).to_owned()))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CpuArchitecture {
    X86,
    Arm { implementer: String, part: String },
    Unknown,
}

fn cpu_architecture(cpus: &[CpuBlock]) -> CpuArchitecture {
    let Some(first) = cpus.first() else {
        return CpuArchitecture::Unknown;
    };
    if let Some(implementer) = first.get("CPU implementer") {
        return CpuArchitecture::Arm {
            implementer: implementer.to_lowercase(),
            part: first
                .get("CPU part")
                .cloned()
                .unwrap_or_default()
                .to_lowercase(),
        };
    }
    if first.contains_key("vendor_id") {
        return CpuArchitecture::X86;
    }
    CpuArchitecture::Unknown
}

impl CpuArchitecture {
    fn is_kunpeng_920(&self) -> bool {
        matches!(self, CpuArchitecture::Arm { implementer, part }
            if implementer == KUNPENG_IMPLEMENTER && part == KUNPENG_920_PART)
    }

    /// Only non-x86 CPUs are worth a word in the observed value.
    fn describe(&self) -> Option<String> {
        match self {
            CpuArchitecture::X86 => None,
            CpuArchitecture::Arm { .. } if self.is_kunpeng_920() => {
                Some("aarch64 HiSilicon Kunpeng 920".to_owned())
            }
            CpuArchitecture::Arm { implementer, part } => Some(format!(
                "aarch64 {} (implementer {implementer}, part {part})",
                vendor_name(implementer)
            )),
            CpuArchitecture::Unknown => Some("CPU architecture not recognised".to_owned()),
        }
    }

    fn problem(&self) -> Option<String> {
        match self {
            CpuArchitecture::X86 => None,
            CpuArchitecture::Arm { .. } if self.is_kunpeng_920() => None,
            CpuArchitecture::Arm { .. } => {
                Some("on aarch64 only Kunpeng 920 is supported".to_owned())
            }
            CpuArchitecture::Unknown => {
                Some("neither x86-64 nor aarch64 according to /proc/cpuinfo".to_owned())
            }
        }
    }
}

fn vendor_name(implementer: &str) -> &'static str {
    match implementer {
        "0x41" => "Arm",
        "0x48" => "HiSilicon",
        "0x70" => "Phytium",
        "0xc0" => "Ampere",
        _ => "CPU",
    }
}

fn matrix_summary() -> String {
    let mut lines: Vec<String> = MATRIX
        .iter()
        .map(|row| format!("{} ({})", row.label, row.kernel))
        .collect();
    lines.push("aarch64 only on Kunpeng 920".to_owned());
    lines.join(", ")
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Profile, Role, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    const CENTOS_OS_RELEASE: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\nANSI_COLOR=\"0;31\"\nCPE_NAME=\"cpe:/o:centos:centos:7\"\n";
    const RHEL8_OS_RELEASE: &str = "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.6 (Ootpa)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.6\"\nPLATFORM_ID=\"platform:el8\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 8.6 (Ootpa)\"\n";
    const UBUNTU_2204_OS_RELEASE: &str = "PRETTY_NAME=\"Ubuntu 22.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.1 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n";
    const KYLIN_OS_RELEASE: &str = "NAME=\"Kylin Linux Advanced Server\"\nVERSION=\"V10 (Lance)\"\nID=\"kylin\"\nVERSION_ID=\"V10\"\nPRETTY_NAME=\"Kylin Linux Advanced Server V10 (Lance)\"\nANSI_COLOR=\"0;31\"\n";
    const DEBIAN_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n";

    const X86_CPUINFO: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep sse4_2 popcnt\n\n";
    const KUNPENG_CPUINFO: &str = "processor\t: 0\nBogoMIPS\t: 200.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma dcpop asimddp asimdfhm\nCPU implementer\t: 0x48\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd01\nCPU revision\t: 0\n\n";
    const PHYTIUM_CPUINFO: &str = "processor\t: 0\nmodel name\t: Phytium,FT-2000+/64\nBogoMIPS\t: 100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\nCPU implementer\t: 0x70\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0x662\nCPU revision\t: 3\n\n";

    fn host(os_release: &str, kernel: &str, cpuinfo: &str) -> Tree {
        Tree::new()
            .file("etc/os-release", os_release)
            .file("proc/sys/kernel/osrelease", &format!("{kernel}\n"))
            .file("proc/cpuinfo", cpuinfo)
    }

    fn centos(release: &str, kernel: &str) -> Tree {
        host(CENTOS_OS_RELEASE, kernel, X86_CPUINFO)
            .file("etc/centos-release", &format!("{release}\n"))
            .file("etc/redhat-release", &format!("{release}\n"))
    }

    fn kylin(productinfo: &str, kernel: &str, cpuinfo: &str) -> Tree {
        host(KYLIN_OS_RELEASE, kernel, cpuinfo)
            .file(
                "etc/kylin-release",
                "Kylin Linux Advanced Server release V10 (Lance)\n",
            )
            .file("etc/.productinfo", productinfo)
    }

    #[test]
    fn centos_79_with_a_later_3_10_0_build_passes() {
        let result = centos(
            "CentOS Linux release 7.9.2009 (Core)",
            "3.10.0-1160.el7.x86_64",
        )
        .status(&OsSupport);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "CentOS 7.9, kernel 3.10.0-1160.el7.x86_64");
        assert!(
            result
                .expected
                .starts_with("CentOS 7.6–7.9 with kernel 3.10.0-*")
        );
    }

    #[test]
    fn centos_75_is_outside_the_matrix() {
        let result = centos(
            "CentOS Linux release 7.5.1804 (Core)",
            "3.10.0-862.el7.x86_64",
        )
        .status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert!(
            result
                .observed
                .contains("CentOS 7.5 is not in the support matrix (supported: CentOS 7.6–7.9)"),
            "{}",
            result.observed
        );
        assert!(result.hint.contains("contact technical support"));
    }

    #[test]
    fn calico_on_centos_warns_about_vxlan_ipv6() {
        let tree = centos(
            "CentOS Linux release 7.9.2009 (Core)",
            "3.10.0-1160.el7.x86_64",
        );
        let result = tree.run(
            &OsSupport,
            &context(Profile::Traditional, &[Role::Worker], Cni::Calico),
        );
        assert_status(&result, Status::Warn);
        assert!(
            result
                .observed
                .ends_with("; Calico VXLAN over IPv6 is not supported on CentOS 7.9"),
            "{}",
            result.observed
        );
    }

    #[test]
    fn rhel_86_passes_and_rhel_88_fails() {
        let result = host(RHEL8_OS_RELEASE, "4.18.0-372.9.1.el8.x86_64", X86_CPUINFO)
            .file(
                "etc/redhat-release",
                "Red Hat Enterprise Linux release 8.6 (Ootpa)\n",
            )
            .status(&OsSupport);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "RHEL 8.6, kernel 4.18.0-372.9.1.el8.x86_64"
        );

        let rhel88 = RHEL8_OS_RELEASE.replace("8.6", "8.8");
        let result = host(&rhel88, "4.18.0-477.10.1.el8_8.x86_64", X86_CPUINFO).status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert!(
            result
                .observed
                .contains("RHEL 8.8 is not in the support matrix")
        );
    }

    #[test]
    fn ubuntu_ga_kernel_passes_and_hwe_fails_naming_hwe() {
        let result =
            host(UBUNTU_2204_OS_RELEASE, "5.15.0-56-generic", X86_CPUINFO).status(&OsSupport);
        assert_status(&result, Status::Pass);

        let result =
            host(UBUNTU_2204_OS_RELEASE, "6.8.0-40-generic", X86_CPUINFO).status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "Ubuntu 22.04, kernel 6.8.0-40-generic; kernel 6.8.0 is an HWE kernel; HWE kernels \
             are not supported (Ubuntu 22.04 needs the GA kernel 5.15.0)"
        );
        assert!(result.hint.contains("linux-generic-hwe"));

        let focal = UBUNTU_2204_OS_RELEASE.replace("22.04", "20.04");
        let result = host(&focal, "5.15.0-91-generic", X86_CPUINFO).status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert!(result.observed.contains("HWE"), "{}", result.observed);
    }

    #[test]
    fn kylin_sp3_on_kunpeng_passes() {
        let result = kylin(
            "Kylin Linux Advanced Server\nrelease V10 (SP3) /(Lance)-aarch64-Build20/20221125\n",
            "4.19.90-52.22.v2207.ky10.aarch64",
            KUNPENG_CPUINFO,
        )
        .status(&OsSupport);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "Kylin V10 SP3, kernel 4.19.90-52.22.v2207.ky10.aarch64, aarch64 HiSilicon Kunpeng 920"
        );
    }

    #[test]
    fn kylin_sp3_2403_counts_as_sp3() {
        let result = kylin(
            "Kylin Linux Advanced Server\nrelease V10 SP3 2403/(Halberd)-x86_64-Build20/20240426\n",
            "4.19.90-89.11.v2401.ky10.x86_64",
            X86_CPUINFO,
        )
        .status(&OsSupport);
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn kylin_sp2_warns_about_nodeport() {
        let result = kylin(
            "Kylin Linux Advanced Server\nrelease V10 (SP2) /(Sword)-x86_64-Build09/20210524\n",
            "4.19.90-24.4.v2101.ky10.x86_64",
            X86_CPUINFO,
        )
        .status(&OsSupport);
        assert_status(&result, Status::Warn);
        assert!(
            result
                .observed
                .contains("Kylin V10 SP2 has a known kernel bug that breaks NodePort"),
            "{}",
            result.observed
        );
        assert!(result.hint.contains("SP3"));
    }

    #[test]
    fn arm_other_than_kunpeng_920_fails() {
        let result = kylin(
            "Kylin Linux Advanced Server\nrelease V10 (SP3) /(Lance)-aarch64-Build20/20221125\n",
            "4.19.90-52.22.v2207.ky10.aarch64",
            PHYTIUM_CPUINFO,
        )
        .status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert!(
            result.observed.contains(
                "aarch64 Phytium (implementer 0x70, part 0x662); on aarch64 only Kunpeng 920"
            ),
            "{}",
            result.observed
        );
    }

    #[test]
    fn an_unknown_os_fails_and_says_contact_support() {
        let result = host(DEBIAN_OS_RELEASE, "6.1.0-18-amd64", X86_CPUINFO).status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64; not a supported OS"
        );
        assert!(result.expected.contains("Kylin V10 SP3 (4.19.90)"));
        assert!(result.hint.contains("contact technical support"));
    }

    #[test]
    fn a_wrong_kernel_on_a_supported_os_fails() {
        let result = centos(
            "CentOS Linux release 7.9.2009 (Core)",
            "5.4.278-1.el7.elrepo.x86_64",
        )
        .status(&OsSupport);
        assert_status(&result, Status::Fail);
        assert!(result.observed.ends_with("; kernel 5.4.278 is not 3.10.0"));
    }

    #[test]
    fn service_packs_from_productinfo_and_codenames() {
        assert_eq!(
            service_pack_from_productinfo(
                "Kylin Linux Advanced Server\nrelease V10 (SP1) /(Tercel)-x86_64-Build20/20210518\n"
            ),
            Some(1)
        );
        assert_eq!(service_pack_from_productinfo("garbage\n"), None);
        assert_eq!(
            service_pack_from_codename("Kylin Linux Advanced Server V10 (Sword)"),
            Some((2, " (Sword)".to_owned()))
        );
    }

    #[test]
    fn a_malformed_kernel_release_is_an_error_naming_the_file() {
        let result = host(UBUNTU_2204_OS_RELEASE, "garbage", X86_CPUINFO).status(&OsSupport);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/proc/sys/kernel/osrelease: malformed kernel release 'garbage'")
        );
    }
}
