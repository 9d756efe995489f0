//! `kernel.modules-ipvs`: kube-proxy runs in IPVS mode on ACP; without `ip_vs` and its
//! round-robin, weighted and source-hash schedulers Services have no backends and the cluster
//! network never comes up.
//!
//! Also home of the module survey the conntrack and CNI module checks share: loaded, built in,
//! shipped as a file the kernel could load, or absent from the kernel altogether.

use std::collections::BTreeSet;

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system::{self, ModuleState};

const MODULES: [&str; 4] = ["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh"];

pub struct KernelModulesIpvs;

impl Check for KernelModulesIpvs {
    fn id(&self) -> &'static str {
        "kernel.modules-ipvs"
    }

    fn title(&self) -> &'static str {
        "IPVS kernel modules are enabled"
    }

    fn hint(&self) -> &'static str {
        "`modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh && printf '%s\\n' ip_vs ip_vs_rr ip_vs_wrr \
         ip_vs_sh > /etc/modules-load.d/ipvs.conf` so they also load at boot"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let survey = ModuleSurvey::take(host, &MODULES)?;
        Ok(Observation::new(
            survey.describe(),
            "loaded or built in: ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh",
        )
        .fail_if(!survey.all_enabled())
        .with_hint(survey.hint("ipvs"))
        .into())
    }
}

/// Where each of a set of modules stands in the running kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ModuleSurvey {
    pub kernel_release: String,
    /// Whether the kernel can load modules at all (it has `/proc/modules`).
    pub modular: bool,
    pub modules: Vec<SurveyedModule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SurveyedModule {
    pub name: &'static str,
    pub state: ModuleState,
    /// Whether `modules.dep` lists a file for it; `None` when there is no `modules.dep`.
    pub shipped: Option<bool>,
}

impl SurveyedModule {
    pub fn enabled(&self) -> bool {
        self.state != ModuleState::Missing
    }
}

impl ModuleSurvey {
    pub fn take(host: &Host, names: &[&'static str]) -> Result<ModuleSurvey, HostError> {
        let kernel_release = system::kernel_release(host)?;
        // A kernel built without loadable-module support has no /proc/modules at all; then
        // everything it has is built in and shows under /sys/module.
        let modular = host.exists("/proc/modules")?;
        let loaded = if modular {
            system::loaded_modules(host)?
        } else {
            BTreeSet::new()
        };
        let shipped = if modular {
            shipped_modules(host, &kernel_release)?
        } else {
            Some(BTreeSet::new())
        };
        let mut modules = Vec::new();
        for name in names {
            let state = system::module_enabled(host, &loaded, &kernel_release, name)?;
            modules.push(SurveyedModule {
                name,
                state,
                shipped: shipped.as_ref().map(|shipped| shipped.contains(*name)),
            });
        }
        Ok(ModuleSurvey {
            kernel_release,
            modular,
            modules,
        })
    }

    pub fn all_enabled(&self) -> bool {
        self.modules.iter().all(SurveyedModule::enabled)
    }

    /// "ip_vs, ip_vs_rr loaded; ip_vs_sh not loaded (modprobe can load it)".
    pub fn describe(&self) -> String {
        let names = |wanted: &dyn Fn(&SurveyedModule) -> bool| -> Vec<&str> {
            self.modules
                .iter()
                .filter(|module| wanted(module))
                .map(|module| module.name)
                .collect()
        };
        let groups = [
            (
                names(&|module| module.state == ModuleState::Loaded),
                "loaded".to_owned(),
            ),
            (
                names(&|module| module.state == ModuleState::BuiltIn),
                "built in".to_owned(),
            ),
            (
                names(&|module| !module.enabled() && module.shipped == Some(true)),
                "not loaded (the module file exists, modprobe can load it)".to_owned(),
            ),
            (
                names(&|module| !module.enabled() && module.shipped == Some(false)),
                if self.modular {
                    format!("absent from kernel {}", self.kernel_release)
                } else {
                    format!(
                        "absent from kernel {} (built without loadable modules)",
                        self.kernel_release
                    )
                },
            ),
            (
                names(&|module| !module.enabled() && module.shipped.is_none()),
                format!(
                    "not loaded (no modules.dep for {} to tell whether it exists)",
                    self.kernel_release
                ),
            ),
        ];
        groups
            .iter()
            .filter(|(names, _)| !names.is_empty())
            .map(|(names, what)| format!("{} {what}", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// How to enable what is missing; `conf` names the modules-load.d file.
    pub fn hint(&self, conf: &str) -> String {
        let missing: Vec<&str> = self
            .modules
            .iter()
            .filter(|module| !module.enabled())
            .map(|module| module.name)
            .collect();
        if missing.is_empty() {
            return "nothing to do".to_owned();
        }
        let all: Vec<&str> = self.modules.iter().map(|module| module.name).collect();
        let mut hint = format!(
            "`modprobe -a {} && printf '%s\\n' {} > /etc/modules-load.d/{conf}.conf` so they also \
             load at boot",
            missing.join(" "),
            all.join(" ")
        );
        let absent: Vec<&str> = self
            .modules
            .iter()
            .filter(|module| !module.enabled() && module.shipped == Some(false))
            .map(|module| module.name)
            .collect();
        if !absent.is_empty() {
            hint = format!(
                "kernel {} has no {}: install its extra modules or boot a kernel that has them \
                 (Ubuntu: `apt-get install -y linux-modules-extra-$(uname -r)`); then {hint}",
                self.kernel_release,
                absent.join(", ")
            );
        }
        hint
    }
}

/// Module names (with `-` read as `_`, as modprobe does) that have a file in `modules.dep`.
fn shipped_modules(
    host: &Host,
    kernel_release: &str,
) -> Result<Option<BTreeSet<String>>, HostError> {
    let path = format!("/lib/modules/{kernel_release}/modules.dep");
    let Some(text) = host.read_optional(&path)? else {
        return Ok(None);
    };
    Ok(Some(
        text.lines()
            .filter_map(|line| line.split(':').next())
            .filter_map(|file| file.rsplit('/').next())
            .filter_map(|file| file.split(".ko").next())
            .map(|name| name.replace('-', "_"))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const RELEASE: &str = "3.10.0-1160.el7.x86_64";

    /// /proc/modules of a CentOS 7 node where kube-proxy already ran in IPVS mode.
    const IPVS_LOADED: &str = "ip_vs_sh 12688 0 - Live 0xffffffffc0a6f000\nip_vs_wrr 12697 0 - Live 0xffffffffc0a6a000\nip_vs_rr 12600 4 - Live 0xffffffffc0a65000\nip_vs 145458 10 ip_vs_sh,ip_vs_wrr,ip_vs_rr, Live 0xffffffffc0a37000\nnf_conntrack 139264 7 ip_vs,nf_nat,nf_nat_ipv4,xt_conntrack,nf_nat_masquerade_ipv4,nf_conntrack_netlink,nf_conntrack_ipv4, Live 0xffffffffc03e4000\nlibcrc32c 12644 4 ip_vs,nf_nat,xfs,nf_conntrack, Live 0xffffffffc0316000\n";

    const MODULES_DEP: &str = "kernel/net/netfilter/ipvs/ip_vs.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz kernel/lib/libcrc32c.ko.xz\nkernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\nkernel/net/netfilter/ipvs/ip_vs_wrr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\nkernel/net/netfilter/nf_conntrack.ko.xz: kernel/lib/libcrc32c.ko.xz\nkernel/lib/libcrc32c.ko.xz:\n";

    fn tree(modules: &str) -> Tree {
        Tree::new()
            .file("proc/sys/kernel/osrelease", &format!("{RELEASE}\n"))
            .file("proc/modules", modules)
            .file(&format!("lib/modules/{RELEASE}/modules.dep"), MODULES_DEP)
    }

    #[test]
    fn all_loaded_passes() {
        let result = tree(IPVS_LOADED).status(&KernelModulesIpvs);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh loaded"
        );
    }

    #[test]
    fn built_in_modules_count_as_enabled() {
        let result = tree("")
            .file(
                &format!("lib/modules/{RELEASE}/modules.builtin"),
                "kernel/net/netfilter/ipvs/ip_vs.ko\nkernel/net/netfilter/ipvs/ip_vs_rr.ko\n",
            )
            .dir("sys/module/ip_vs_wrr/parameters")
            .dir("sys/module/ip_vs_sh")
            .status(&KernelModulesIpvs);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh built in"
        );
    }

    #[test]
    fn loadable_and_absent_modules_are_told_apart() {
        let result =
            tree("nf_conntrack 139264 0 - Live 0xffffffffc03e4000\n").status(&KernelModulesIpvs);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "ip_vs, ip_vs_rr, ip_vs_wrr not loaded (the module file exists, modprobe can load \
             it); ip_vs_sh absent from kernel 3.10.0-1160.el7.x86_64"
        );
        assert!(
            result
                .hint
                .starts_with("kernel 3.10.0-1160.el7.x86_64 has no ip_vs_sh"),
            "{}",
            result.hint
        );
        assert!(
            result
                .hint
                .contains("modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh")
        );
        assert!(result.hint.contains("/etc/modules-load.d/ipvs.conf"));
    }

    #[test]
    fn without_modules_dep_the_check_does_not_guess() {
        let result = Tree::new()
            .file("proc/sys/kernel/osrelease", &format!("{RELEASE}\n"))
            .file("proc/modules", "")
            .status(&KernelModulesIpvs);
        assert_status(&result, Status::Fail);
        assert!(
            result.observed.contains("no modules.dep"),
            "{}",
            result.observed
        );
    }

    #[test]
    fn a_kernel_without_module_support_lacks_what_is_not_built_in() {
        let result = Tree::new()
            .file("proc/sys/kernel/osrelease", "6.1.0-fc\n")
            .dir("sys/module/ip_vs")
            .status(&KernelModulesIpvs);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "ip_vs built in; ip_vs_rr, ip_vs_wrr, ip_vs_sh absent from kernel 6.1.0-fc (built \
             without loadable modules)"
        );
    }

    #[test]
    fn malformed_proc_modules_is_an_error() {
        let result = tree("ip_vs notanumber\n").status(&KernelModulesIpvs);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with("/proc/modules: malformed")),
            "{result:?}"
        );
    }
}
