//! `kernel.modules-conntrack`: on kernels before the merge of the per-family conntrack modules
//! into `nf_conntrack` (4.19 upstream, 4.18 in RHEL 8), kube-proxy and the CNI need
//! `nf_conntrack_ipv4` (and `nf_conntrack_ipv6` for IPv6) or Service NAT silently fails.

use crate::check::{Check, Context, IpFamily, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system::{self, KernelVersion, OsRelease};

use super::kernel_modules_ipvs::ModuleSurvey;

const MODULES: [&str; 2] = ["nf_conntrack_ipv4", "nf_conntrack_ipv6"];

/// Upstream merged nf_conntrack_ipv4/ipv6 into nf_conntrack in 4.19.
const MERGED_UPSTREAM: KernelVersion = KernelVersion(4, 19, 0);
/// RHEL 8's 4.18 kernel carries the merge already.
const MERGED_IN_RHEL: KernelVersion = KernelVersion(4, 18, 0);

pub struct KernelModulesConntrack;

impl Check for KernelModulesConntrack {
    fn id(&self) -> &'static str {
        "kernel.modules-conntrack"
    }

    fn title(&self) -> &'static str {
        "conntrack modules are enabled on kernels before 4.19"
    }

    fn hint(&self) -> &'static str {
        "`modprobe -a nf_conntrack_ipv4 nf_conntrack_ipv6 && printf '%s\\n' nf_conntrack_ipv4 \
         nf_conntrack_ipv6 > /etc/modules-load.d/conntrack.conf` so they also load at boot"
    }

    fn explain(&self) -> &'static str {
        "⚠️ in the node-check list means: decide whether the condition holds and, if it does, \
         fix it (seed 004). The condition is the kernel's version — older than 4.19.0, or \
         older than 4.18.0 on RHEL — which the agent reads: where it holds, a missing \
         nf_conntrack_ipv4 fails; newer kernels skip. nf_conntrack_ipv6 is needed \"for IPv6\": \
         with --ip-family dual or ipv6 it fails when missing, with ipv4 it is not needed, and \
         without --ip-family the condition is unknown, so it warns."
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let release = system::kernel_release(host)?;
        let kernel = KernelVersion::parse(&release).ok_or_else(|| {
            HostError::new(
                "/proc/sys/kernel/osrelease",
                format!("malformed kernel release '{release}'"),
            )
        })?;
        let os = OsRelease::read(host)?;
        let (threshold, family) = if is_rhel_like(&os) {
            (MERGED_IN_RHEL, " (RHEL family)")
        } else {
            (MERGED_UPSTREAM, "")
        };
        if kernel >= threshold {
            return Ok(Outcome::skip(format!(
                "kernel {kernel} is {threshold} or newer{family}: nf_conntrack_ipv4/ipv6 were \
                 merged into nf_conntrack"
            )));
        }
        let survey = ModuleSurvey::take(host, &MODULES)?;
        let enabled = |name: &str| {
            survey
                .modules
                .iter()
                .any(|module| module.name == name && module.enabled())
        };
        let mut observed = survey.describe();
        let ipv6_missing = !enabled("nf_conntrack_ipv6");
        let ipv6_needed = context.ip_family.map(IpFamily::needs_ipv6);
        if ipv6_missing {
            observed.push_str(match ipv6_needed {
                None => {
                    " (nf_conntrack_ipv6 is needed for IPv6 or dual stack; --ip-family not given)"
                }
                Some(false) => " (nf_conntrack_ipv6 is not needed for an IPv4 cluster)",
                Some(true) => "",
            });
        }
        let expected = match ipv6_needed {
            Some(true) => "nf_conntrack_ipv4 and nf_conntrack_ipv6 loaded or built in",
            Some(false) => "nf_conntrack_ipv4 loaded or built in",
            None => "nf_conntrack_ipv4 (and for IPv6 nf_conntrack_ipv6) loaded or built in",
        };
        Ok(Observation::new(observed, expected)
            .warn_if(ipv6_missing && ipv6_needed.is_none())
            .fail_if(!enabled("nf_conntrack_ipv4") || (ipv6_missing && ipv6_needed == Some(true)))
            .with_hint(survey.hint("conntrack"))
            .into())
    }
}

/// The guide's "RHEL": the distributions built from RHEL sources, whose 4.18 carries the merge.
fn is_rhel_like(os: &OsRelease) -> bool {
    const RHEL: [&str; 4] = ["rhel", "centos", "rocky", "almalinux"];
    RHEL.contains(&os.id.as_str()) || os.id_like.iter().any(|like| like == "rhel")
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const CENTOS_OS_RELEASE: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n";
    const RELEASE: &str = "3.10.0-1160.el7.x86_64";
    const MODULES_DEP: &str = "kernel/net/ipv4/netfilter/nf_conntrack_ipv4.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz\nkernel/net/ipv6/netfilter/nf_conntrack_ipv6.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz\nkernel/net/netfilter/nf_conntrack.ko.xz: kernel/lib/libcrc32c.ko.xz\n";

    fn centos7(modules: &str) -> Tree {
        Tree::new()
            .file("etc/os-release", CENTOS_OS_RELEASE)
            .file("proc/sys/kernel/osrelease", &format!("{RELEASE}\n"))
            .file("proc/modules", modules)
            .file(&format!("lib/modules/{RELEASE}/modules.dep"), MODULES_DEP)
    }

    #[test]
    fn both_loaded_pass() {
        let modules = "nf_conntrack_ipv6 18935 0 - Live 0xffffffffc0a80000\nnf_conntrack_ipv4 15053 4 - Live 0xffffffffc0a7a000\nnf_defrag_ipv4 12729 1 nf_conntrack_ipv4, Live 0xffffffffc0a75000\nnf_conntrack 139264 6 nf_conntrack_ipv6,nf_conntrack_ipv4, Live 0xffffffffc03e4000\n";
        let result = centos7(modules).status(&KernelModulesConntrack);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "nf_conntrack_ipv4, nf_conntrack_ipv6 loaded"
        );
    }

    #[test]
    fn a_missing_ipv4_module_fails_on_an_old_kernel() {
        let result = centos7("nf_conntrack 139264 0 - Live 0xffffffffc03e4000\n")
            .status(&KernelModulesConntrack);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "nf_conntrack_ipv4, nf_conntrack_ipv6 not loaded (the module file exists, modprobe \
             can load it) (nf_conntrack_ipv6 is needed for IPv6 or dual stack; --ip-family not \
             given)"
        );
        assert!(result.hint.contains("/etc/modules-load.d/conntrack.conf"));
    }

    #[test]
    fn the_ipv6_module_depends_on_the_ip_family() {
        let ipv4_only = "nf_conntrack_ipv4 15053 4 - Live 0xffffffffc0a7a000\nnf_conntrack 139264 6 nf_conntrack_ipv4, Live 0xffffffffc03e4000\n";
        let with = |family| Context {
            ip_family: family,
            ..Context::default()
        };
        let tree = centos7(ipv4_only);
        assert_status(
            &tree.run(&KernelModulesConntrack, &with(None)),
            Status::Warn,
        );
        let ipv4 = tree.run(&KernelModulesConntrack, &with(Some(IpFamily::Ipv4)));
        assert_status(&ipv4, Status::Pass);
        assert!(
            ipv4.observed
                .ends_with("(nf_conntrack_ipv6 is not needed for an IPv4 cluster)")
        );
        assert_status(
            &tree.run(&KernelModulesConntrack, &with(Some(IpFamily::Dual))),
            Status::Fail,
        );
    }

    #[test]
    fn rhel8_4_18_is_skipped_as_merged() {
        let result = Tree::new()
            .file(
                "etc/os-release",
                "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.6\"\n",
            )
            .file("proc/sys/kernel/osrelease", "4.18.0-372.9.1.el8.x86_64\n")
            .status(&KernelModulesConntrack);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some(
                "kernel 4.18.0 is 4.18.0 or newer (RHEL family): nf_conntrack_ipv4/ipv6 were \
                 merged into nf_conntrack"
            )
        );
    }

    #[test]
    fn a_4_18_kernel_elsewhere_still_applies() {
        let result = Tree::new()
            .file(
                "etc/os-release",
                "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"18.10\"\n",
            )
            .file("proc/sys/kernel/osrelease", "4.18.0-25-generic\n")
            .file("proc/modules", "")
            .status(&KernelModulesConntrack);
        assert_status(&result, Status::Fail);
    }

    #[test]
    fn ubuntu_2204_is_skipped() {
        let result = Tree::new()
            .file(
                "etc/os-release",
                "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n",
            )
            .file("proc/sys/kernel/osrelease", "5.15.0-56-generic\n")
            .status(&KernelModulesConntrack);
        assert_status(&result, Status::Skip);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with("kernel 5.15.0 is 4.19.0 or newer"))
        );
    }

    #[test]
    fn unreadable_kernel_release_is_an_error() {
        let result = Tree::new().status(&KernelModulesConntrack);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/proc/sys/kernel/osrelease: no such file")
        );
    }
}
