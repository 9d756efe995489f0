//! The ordered registry of host checks. The order is the order of the report: grouped by
//! area as the node-check list of the installation guide groups them.

use crate::check::Check;

mod access_root_or_sudo;
mod cpu_cores;
mod cpu_frequency;
mod cpu_governor;
mod cpu_isa_level;
mod disk_free;
mod disk_performance;
mod disk_ssd;
mod fs_leftovers;
mod fs_tmp_exec;
mod hw_smbios_identity;
mod hw_tpm;
mod kernel_cmdline_nokmem;
mod kernel_cmdline_thp;
mod kernel_modules_cni;
mod kernel_modules_conntrack;
mod kernel_modules_ipvs;
mod memory_size;
mod memory_swap;
mod net_default_route;
mod net_docker_range;
mod net_host_ip;
mod net_hostname;
mod net_hosts_localhost;
mod net_nic_speed;
mod net_nics;
mod net_ports_free;
mod net_resolv_nameserver;
mod net_resolv_search;
mod os_support;
mod reach_bootstrap;
mod reach_platform;
mod reach_registry;
mod security_apparmor;
mod security_firewall;
mod security_selinux;
mod software_conflicts;
mod software_kubelet_unit;
mod software_lvm2;
mod software_tools;
mod sshd_usedns_usepam;
mod systemd_tasksmax;

/// Every host check, in report order. Adding a check is one line here.
pub static ALL: &[&dyn Check] = &[
    &os_support::OsSupport,
    &kernel_cmdline_thp::KernelCmdlineThp,
    &kernel_cmdline_nokmem::KernelCmdlineNokmem,
    &kernel_modules_ipvs::KernelModulesIpvs,
    &kernel_modules_conntrack::KernelModulesConntrack,
    &kernel_modules_cni::KernelModulesCni,
    &security_selinux::SecuritySelinux,
    &security_apparmor::SecurityApparmor,
    &security_firewall::SecurityFirewall,
    &memory_swap::MemorySwap,
    &memory_size::MemorySize,
    &access_root_or_sudo::AccessRootOrSudo,
    &sshd_usedns_usepam::SshdUsednsUsepam,
    &systemd_tasksmax::SystemdTasksmax,
    &net_hostname::NetHostname,
    &net_hosts_localhost::NetHostsLocalhost,
    &net_resolv_nameserver::NetResolvNameserver,
    &net_resolv_search::NetResolvSearch,
    &net_host_ip::NetHostIp,
    &net_default_route::NetDefaultRoute,
    &net_ports_free::NetPortsFree,
    &net_docker_range::NetDockerRange,
    &net_nic_speed::NetNicSpeed,
    &net_nics::NetNics,
    &software_tools::SoftwareTools,
    &software_lvm2::SoftwareLvm2,
    &software_kubelet_unit::SoftwareKubeletUnit,
    &software_conflicts::SoftwareConflicts,
    &fs_tmp_exec::FsTmpExec,
    &fs_leftovers::FsLeftovers,
    &disk_free::DiskFree,
    &cpu_isa_level::CpuIsaLevel,
    &cpu_cores::CpuCores,
    &cpu_frequency::CpuFrequency,
    &cpu_governor::CpuGovernor,
    &disk_ssd::DiskSsd,
    &disk_performance::DiskPerformance,
    &hw_smbios_identity::HwSmbiosIdentity,
    &hw_tpm::HwTpm,
    &reach_platform::ReachPlatform,
    &reach_registry::ReachRegistry,
    &reach_bootstrap::ReachBootstrap,
];

pub fn find(id: &str) -> Option<&'static dyn Check> {
    ALL.iter().copied().find(|check| check.id() == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The host, hardware and software IDs of the SPEC's "Check IDs" table: a contract.
    const SPEC_IDS: &[&str] = &[
        "os.support",
        "kernel.cmdline-thp",
        "kernel.cmdline-nokmem",
        "kernel.modules-ipvs",
        "kernel.modules-conntrack",
        "kernel.modules-cni",
        "security.selinux",
        "security.apparmor",
        "security.firewall",
        "memory.swap",
        "memory.size",
        "access.root-or-sudo",
        "sshd.usedns-usepam",
        "systemd.tasksmax",
        "net.hostname",
        "net.hosts-localhost",
        "net.resolv-nameserver",
        "net.resolv-search",
        "net.host-ip",
        "net.default-route",
        "net.ports-free",
        "net.docker-range",
        "net.nic-speed",
        "net.nics",
        "software.tools",
        "software.lvm2",
        "software.kubelet-unit",
        "software.conflicts",
        "fs.tmp-exec",
        "fs.leftovers",
        "disk.free",
        "cpu.isa-level",
        "cpu.cores",
        "cpu.frequency",
        "cpu.governor",
        "disk.ssd",
        "disk.performance",
        "hw.smbios-identity",
        "hw.tpm",
        "reach.platform",
        "reach.registry",
        "reach.bootstrap",
    ];

    #[test]
    fn ids_are_unique() {
        let mut seen = BTreeSet::new();
        for check in ALL {
            assert!(seen.insert(check.id()), "duplicate check id {}", check.id());
        }
    }

    #[test]
    fn ids_are_well_formed() {
        for check in ALL {
            let id = check.id();
            let (area, name) = id
                .split_once('.')
                .unwrap_or_else(|| panic!("{id}: no area"));
            let valid = |part: &str| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            };
            assert!(
                valid(area) && valid(name),
                "{id} is not area.name in lowercase kebab-case"
            );
        }
    }

    #[test]
    fn every_spec_id_is_registered_and_nothing_else() {
        let registered: Vec<&str> = ALL.iter().map(|check| check.id()).collect();
        assert_eq!(registered, SPEC_IDS);
    }

    #[test]
    fn titles_and_hints_are_written() {
        for check in ALL {
            assert!(
                !check.title().is_empty() && !check.title().ends_with('.'),
                "{}: title",
                check.id()
            );
            assert!(
                check.hint().len() > 10,
                "{}: hint too short to help",
                check.id()
            );
        }
    }
}
