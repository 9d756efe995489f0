//! `kernel.modules-cni`: Kube-OVN runs Open vSwitch in the kernel and tunnels pod traffic over
//! Geneve; without `openvswitch` and `geneve` its pods crash-loop and no pod gets a network.

use ironprep_schema::Cni;

use super::kernel_modules_ipvs::ModuleSurvey;
use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};

const MODULES: [&str; 2] = ["geneve", "openvswitch"];

pub struct KernelModulesCni;

impl Check for KernelModulesCni {
    fn id(&self) -> &'static str {
        "kernel.modules-cni"
    }

    fn title(&self) -> &'static str {
        "Kube-OVN kernel modules (geneve, openvswitch) are enabled"
    }

    fn hint(&self) -> &'static str {
        "`modprobe -a geneve openvswitch && printf '%s\\n' geneve openvswitch > \
         /etc/modules-load.d/kube-ovn.conf` so they also load at boot"
    }

    fn scope(&self) -> Scope {
        Scope::TRADITIONAL.for_cni(Cni::KubeOvn)
    }

    fn explain(&self) -> &'static str {
        "⚠️ in the node-check list means: decide whether the condition holds and, if it does, \
         fix it (seed 004: «Если да, необходимо их устранить»). The condition is \"the global \
         cluster plans to use Kube-OVN\", and Kube-OVN is the installer's default CNI: the \
         check runs only with --cni kube-ovn (the default), where the condition is known to \
         hold, so missing modules fail. With --cni calico it is skipped."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let survey = ModuleSurvey::take(host, &MODULES)?;
        Ok(
            Observation::new(survey.describe(), "loaded or built in: geneve openvswitch")
                .fail_if(!survey.all_enabled())
                .with_hint(survey.hint("kube-ovn"))
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Profile, Role, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    const RELEASE: &str = "5.15.0-56-generic";
    const MODULES_DEP: &str = "kernel/net/openvswitch/openvswitch.ko: kernel/net/nsh/nsh.ko kernel/net/netfilter/nf_conncount.ko kernel/net/netfilter/nf_nat.ko kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\nkernel/drivers/net/geneve.ko: kernel/net/ipv4/udp_tunnel.ko kernel/net/ipv6/ip6_udp_tunnel.ko\n";

    fn ubuntu(modules: &str) -> Tree {
        Tree::new()
            .file("proc/sys/kernel/osrelease", &format!("{RELEASE}\n"))
            .file("proc/modules", modules)
            .file(&format!("lib/modules/{RELEASE}/modules.dep"), MODULES_DEP)
    }

    #[test]
    fn both_loaded_pass() {
        let modules = "geneve 36864 0 - Live 0xffffffffc0b5c000\nip6_udp_tunnel 16384 1 geneve, Live 0xffffffffc0b57000\nudp_tunnel 20480 1 geneve, Live 0xffffffffc0b51000\nopenvswitch 176128 2 - Live 0xffffffffc0b24000\nnsh 16384 1 openvswitch, Live 0xffffffffc0b1f000\n";
        let result = ubuntu(modules).status(&KernelModulesCni);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "geneve, openvswitch loaded");
    }

    #[test]
    fn missing_modules_fail_because_kube_ovn_is_the_cni() {
        let result = ubuntu("geneve 36864 0 - Live 0xffffffffc0b5c000\n").status(&KernelModulesCni);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "geneve loaded; openvswitch not loaded (the module file exists, modprobe can load it)"
        );
        assert!(
            result.hint.starts_with("`modprobe -a openvswitch &&"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn calico_clusters_skip_it() {
        let result = ubuntu("").run(
            &KernelModulesCni,
            &context(Profile::Traditional, &[Role::ControlPlane], Cni::Calico),
        );
        assert_status(&result, Status::Skip);
    }

    #[test]
    fn malformed_proc_modules_is_an_error() {
        let result = ubuntu("geneve x\n").status(&KernelModulesCni);
        assert_status(&result, Status::Error);
    }
}
