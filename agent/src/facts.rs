//! Facts about the host that are not checks but that every report carries: identity, OS,
//! kernel, clock and addresses. The controller's cross-host checks are built on them.

use std::time::{SystemTime, UNIX_EPOCH};

use ironprep_schema::{HostFacts, InterfaceAddress};

use crate::host::Host;
use crate::system::{self, OsRelease};

/// Gathers what can be learned; a fact that cannot be read is left empty rather than failing
/// the report (the checks that depend on it say why).
pub fn gather(host: &Host) -> HostFacts {
    let release = OsRelease::read(host).ok();
    let cpus = system::cpuinfo(host).ok();
    let first_cpu = cpus.as_ref().and_then(|cpus| cpus.first());
    let read_trimmed = |path: &str| {
        host.read_optional(path)
            .ok()
            .flatten()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    let live = host.live_system();
    HostFacts {
        hostname: read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default(),
        os: release
            .as_ref()
            .map(|release| release.pretty_name.clone())
            .unwrap_or_default(),
        os_id: release
            .as_ref()
            .map(|release| release.id.clone())
            .unwrap_or_default(),
        os_version: release
            .as_ref()
            .map(|release| release.version_id.clone())
            .unwrap_or_default(),
        kernel: system::kernel_release(host).unwrap_or_default(),
        arch: architecture(host, first_cpu),
        cpu_model: first_cpu.and_then(|cpu| {
            cpu.get("model name")
                .or_else(|| cpu.get("Model name"))
                .cloned()
        }),
        logical_cpus: cpus.as_ref().map(|cpus| cpus.len() as u32),
        memory_bytes: system::memory(host).ok().map(|memory| memory.total_bytes),
        system_uuid: read_trimmed("/sys/class/dmi/id/product_uuid").map(|uuid| uuid.to_lowercase()),
        system_serial: read_trimmed("/sys/class/dmi/id/product_serial"),
        timezone: timezone(host),
        clock_unix_ms: live.and_then(|_| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|since| since.as_millis() as u64)
        }),
        addresses: live
            .and_then(|live| live.interface_addresses().ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|address| is_global(&address.ip))
            .map(|address| InterfaceAddress {
                mtu: read_trimmed(&format!("/sys/class/net/{}/mtu", address.interface))
                    .and_then(|mtu| mtu.parse().ok()),
                interface: address.interface,
                address: address.ip.to_string(),
                prefix_len: address.prefix_len,
            })
            .collect(),
        bmc: None,
    }
}

fn architecture(host: &Host, cpu: Option<&system::CpuBlock>) -> String {
    if host.is_live() {
        return std::env::consts::ARCH.to_owned();
    }
    // Under --root the machine running the agent says nothing about the tree; cpuinfo does.
    match cpu {
        Some(cpu) if cpu.contains_key("CPU implementer") => "aarch64".to_owned(),
        Some(cpu) if system::cpu_flags(cpu).contains("lm") => "x86_64".to_owned(),
        _ => String::new(),
    }
}

/// The configured zone: `/etc/timezone`, else the target of `/etc/localtime`.
fn timezone(host: &Host) -> Option<String> {
    if let Ok(Some(text)) = host.read_optional("/etc/timezone")
        && let Some(zone) = text.lines().map(str::trim).find(|line| !line.is_empty())
    {
        return Some(zone.to_owned());
    }
    let target = host.read_link("/etc/localtime").ok()??;
    target
        .split_once("zoneinfo/")
        .map(|(_, zone)| zone.to_owned())
}

/// Addresses a cluster could use: not loopback, link-local, multicast or unspecified.
pub fn is_global(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast())
        }
        std::net::IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unspecified()
                || v6.is_unicast_link_local())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tree;

    #[test]
    fn facts_from_a_tree() {
        let tree = Tree::new()
            .file("proc/sys/kernel/hostname", "node-1\n")
            .file("proc/sys/kernel/osrelease", "5.15.0-56-generic\n")
            .file("etc/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.1 LTS\"\n")
            .file("proc/cpuinfo", "processor\t: 0\nmodel name\t: Intel Xeon\nflags\t\t: fpu lm sse2\n\nprocessor\t: 1\nmodel name\t: Intel Xeon\nflags\t\t: fpu lm sse2\n")
            .file("sys/class/dmi/id/product_uuid", "4C4C4544-0042-3510-8052-B4C04F384D32\n")
            .file("usr/share/zoneinfo/Asia/Shanghai", "")
            .symlink("etc/localtime", "../usr/share/zoneinfo/Asia/Shanghai");
        let facts = gather(&tree.host());
        assert_eq!(facts.hostname, "node-1");
        assert_eq!(facts.os, "Ubuntu 22.04.1 LTS");
        assert_eq!(facts.arch, "x86_64");
        assert_eq!(facts.logical_cpus, Some(2));
        assert_eq!(
            facts.system_uuid.as_deref(),
            Some("4c4c4544-0042-3510-8052-b4c04f384d32")
        );
        assert_eq!(facts.timezone.as_deref(), Some("Asia/Shanghai"));
        assert_eq!(facts.clock_unix_ms, None, "no clock under --root");
    }

    #[test]
    fn global_addresses_exclude_loopback_and_link_local() {
        for (text, global) in [
            ("10.0.0.5", true),
            ("127.0.0.1", false),
            ("169.254.1.1", false),
            ("fe80::1", false),
            ("fd00::5", true),
            ("224.0.0.1", false),
        ] {
            assert_eq!(is_global(&text.parse().unwrap()), global, "{text}");
        }
    }
}
