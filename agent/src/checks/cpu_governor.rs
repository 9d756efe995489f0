//! `cpu.governor`: the guide requires power saving off on the control plane. A power-saving
//! governor clocks idle cores down, and etcd's short, latency-bound bursts then run on slow
//! cores: fsync and heartbeat latency rise and leader elections follow.

use std::collections::BTreeMap;

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};

const CPU_DIR: &str = "/sys/devices/system/cpu";

pub struct CpuGovernor;

impl Check for CpuGovernor {
    fn id(&self) -> &'static str {
        "cpu.governor"
    }

    fn title(&self) -> &'static str {
        "CPU frequency governor is not power saving"
    }

    fn hint(&self) -> &'static str {
        "`cpupower frequency-set -g performance`, and keep it after a reboot: RHEL/CentOS/Kylin \
         `yum install -y kernel-tools tuned && tuned-adm profile throughput-performance`; Ubuntu \
         `apt install linux-tools-common linux-tools-$(uname -r)`, then persist it with a systemd \
         unit (and `systemctl disable ondemand` where that unit exists); also set the BIOS power \
         profile to Maximum Performance"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane])
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for entry in host.list_dir(CPU_DIR)?.unwrap_or_default() {
            let is_cpu = entry.strip_prefix("cpu").is_some_and(|number| {
                !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
            });
            if !is_cpu {
                continue;
            }
            let path = format!("{CPU_DIR}/{entry}/cpufreq/scaling_governor");
            let Some(text) = host.read_optional(&path)? else {
                continue;
            };
            let governor = text.trim();
            if governor.is_empty() {
                return Err(HostError::new(path, "empty"));
            }
            *counts.entry(governor.to_owned()).or_default() += 1;
        }
        let expected = "performance (or no governor: firmware-controlled)";
        if counts.is_empty() {
            return Ok(Observation::new(
                "no cpufreq governor (frequency controlled by firmware or hypervisor)",
                expected,
            )
            .into());
        }
        let total: usize = counts.values().sum();
        let mut observed = match counts.iter().next() {
            Some((governor, _)) if counts.len() == 1 && total > 1 => {
                format!("{governor} on all {total} CPUs")
            }
            _ => counts
                .iter()
                .map(|(governor, count)| format!("{governor} on {}", cpus(*count)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        if let Some(driver) =
            host.read_optional(&format!("{CPU_DIR}/cpu0/cpufreq/scaling_driver"))?
        {
            observed.push_str(&format!(" (driver {})", driver.trim()));
        }
        let power_saving = counts.contains_key("powersave");
        let scaling = counts.keys().any(|governor| governor != "performance");
        Ok(Observation::new(observed, expected)
            .warn_if(scaling)
            .fail_if(power_saving)
            .into())
    }
}

fn cpus(count: usize) -> String {
    format!("{count} CPU{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    fn governors(driver: &str, governors: &[&str]) -> Tree {
        let mut tree = Tree::new()
            .file("sys/devices/system/cpu/online", "0-3\n")
            .file("sys/devices/system/cpu/possible", "0-3\n")
            .dir("sys/devices/system/cpu/cpuidle")
            .dir("sys/devices/system/cpu/cpufreq/policy0");
        for (index, governor) in governors.iter().enumerate() {
            let directory = format!("sys/devices/system/cpu/cpu{index}/cpufreq");
            tree = tree
                .file(
                    &format!("{directory}/scaling_governor"),
                    &format!("{governor}\n"),
                )
                .file(
                    &format!("{directory}/scaling_driver"),
                    &format!("{driver}\n"),
                );
        }
        tree
    }

    #[test]
    fn performance_everywhere_passes() {
        let result = governors("intel_pstate", &["performance"; 4]).status(&CpuGovernor);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "performance on all 4 CPUs (driver intel_pstate)"
        );
    }

    #[test]
    fn powersave_fails() {
        let result = governors("intel_pstate", &["powersave"; 4]).status(&CpuGovernor);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "powersave on all 4 CPUs (driver intel_pstate)"
        );
    }

    #[test]
    fn scaling_governors_warn() {
        for governor in ["ondemand", "conservative", "schedutil"] {
            let result = governors("acpi-cpufreq", &[governor; 2]).status(&CpuGovernor);
            assert_status(&result, Status::Warn);
            assert_eq!(
                result.observed,
                format!("{governor} on all 2 CPUs (driver acpi-cpufreq)")
            );
        }
    }

    #[test]
    fn mixed_governors_are_counted_and_the_worst_decides() {
        let result = governors(
            "cppc_cpufreq",
            &["performance", "performance", "powersave", "schedutil"],
        )
        .status(&CpuGovernor);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "performance on 2 CPUs, powersave on 1 CPU, schedutil on 1 CPU \
             (driver cppc_cpufreq)"
        );
    }

    #[test]
    fn no_cpufreq_passes_and_says_who_controls_the_frequency() {
        let result = Tree::new()
            .file("sys/devices/system/cpu/online", "0-1\n")
            .dir("sys/devices/system/cpu/cpu0/topology")
            .dir("sys/devices/system/cpu/cpu1/topology")
            .status(&CpuGovernor);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "no cpufreq governor (frequency controlled by firmware or hypervisor)"
        );
    }

    #[test]
    fn an_empty_governor_file_is_an_error_naming_it() {
        let result = governors("intel_pstate", &[""]).status(&CpuGovernor);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor: empty")
        );
    }
}
