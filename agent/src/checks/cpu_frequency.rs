//! `cpu.frequency`: the guide sizes the control plane for cores of at least 2.5 GHz. On slower
//! cores etcd's request latency and the apiserver's admission chain get slower in step, and
//! the 8-core minimum no longer covers the load it was sized for.
//!
//! The rated frequency is read from the best source the host offers, and the source is named:
//! a current frequency can be lowered by power management, and a maximum can include turbo.

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::hardware::{self, CpuKind};
use crate::host::{Host, HostError};
use crate::system::{self, CpuBlock};

const MINIMUM_MHZ: f64 = 2500.0;

/// A current frequency is a measurement: a VM's TSC calibration reads a 2.5 GHz host as
/// 2494 MHz. Within this share of the minimum, it counts as reached.
const MEASURED_TOLERANCE: f64 = 0.01;

pub struct CpuFrequency;

impl Check for CpuFrequency {
    fn id(&self) -> &'static str {
        "cpu.frequency"
    }

    fn title(&self) -> &'static str {
        "control-plane CPUs run at 2.5 GHz or more"
    }

    fn hint(&self) -> &'static str {
        "use CPUs with a base frequency of at least 2.5 GHz for control-plane hosts; for a VM, \
         place it on such hosts"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane])
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let cpus = system::cpuinfo(host)?;
        let kind = CpuKind::of(&cpus[0]);
        let Some(frequency) = rated_frequency(host, &cpus, kind)? else {
            return Ok(Outcome::skip(if kind.is_arm() {
                "frequency not published (no cpufreq)"
            } else {
                "frequency not published (no cpufreq, no rating in the model name, no 'cpu MHz')"
            }));
        };
        let tolerance = if frequency.measured {
            MINIMUM_MHZ * MEASURED_TOLERANCE
        } else {
            0.0
        };
        let observed = format!(
            "{:.2} GHz {}",
            frequency.megahertz / 1000.0,
            frequency.source
        );
        Ok(Observation::new(observed, "≥ 2.5 GHz")
            .fail_if(frequency.megahertz + tolerance < MINIMUM_MHZ)
            .into())
    }
}

struct Frequency {
    megahertz: f64,
    /// Where the figure came from, in words, for `observed`.
    source: String,
    /// A current reading rather than a rating.
    measured: bool,
}

/// The first source that answers: the base frequency intel_pstate publishes, the rating in
/// an Intel model name, the cpufreq maximum, then the current `cpu MHz`. The model name comes
/// before the cpufreq maximum because intel_pstate's maximum is the turbo frequency.
fn rated_frequency(
    host: &Host,
    cpus: &[CpuBlock],
    kind: CpuKind,
) -> Result<Option<Frequency>, HostError> {
    let rated = |megahertz, source: String| {
        Ok(Some(Frequency {
            megahertz,
            source,
            measured: false,
        }))
    };
    if let Some(khz) = hardware::cpufreq_khz(host, "base_frequency")? {
        return rated(
            khz as f64 / 1000.0,
            "base frequency (cpufreq base_frequency)".into(),
        );
    }
    if let Some(model) = cpus[0].get("model name")
        && let Some(megahertz) = model_name_megahertz(model)
    {
        return rated(megahertz, format!("rated in the model name '{model}'"));
    }
    if let Some(khz) = hardware::cpufreq_khz(host, "cpuinfo_max_freq")? {
        return rated(
            khz as f64 / 1000.0,
            "maximum (cpufreq cpuinfo_max_freq; may include turbo)".into(),
        );
    }
    if kind.is_arm() {
        return Ok(None);
    }
    let mut highest: Option<f64> = None;
    for cpu in cpus {
        let Some(value) = cpu.get("cpu MHz") else {
            continue;
        };
        let megahertz = value
            .parse::<f64>()
            .map_err(|_| HostError::new("/proc/cpuinfo", format!("malformed cpu MHz '{value}'")))?;
        highest = Some(highest.map_or(megahertz, |highest| highest.max(megahertz)));
    }
    Ok(highest.map(|megahertz| Frequency {
        megahertz,
        source: format!(
            "current ('cpu MHz' in /proc/cpuinfo, highest of {} CPUs; may be throttled)",
            cpus.len()
        ),
        measured: true,
    }))
}

/// The rating after `@` in an Intel model name: "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz".
fn model_name_megahertz(model: &str) -> Option<f64> {
    let (_, rating) = model.rsplit_once('@')?;
    let rating = rating.trim();
    if let Some(gigahertz) = rating.strip_suffix("GHz") {
        return gigahertz
            .trim()
            .parse::<f64>()
            .ok()
            .map(|value| (value * 1000.0).round());
    }
    rating.strip_suffix("MHz")?.trim().parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::hardware::fixtures::{kunpeng_cpuinfo, x86_cpuinfo};
    use crate::testing::{Tree, assert_status};

    const CPUFREQ: &str = "sys/devices/system/cpu/cpu0/cpufreq";

    #[test]
    fn intel_pstate_base_frequency_comes_first() {
        let result = Tree::new()
            .file(
                "proc/cpuinfo",
                &x86_cpuinfo(
                    "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
                    "1000.016",
                    1,
                    2,
                    1,
                ),
            )
            .file(&format!("{CPUFREQ}/base_frequency"), "2500000\n")
            .file(&format!("{CPUFREQ}/cpuinfo_max_freq"), "3900000\n")
            .status(&CpuFrequency);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "2.50 GHz base frequency (cpufreq base_frequency)"
        );
    }

    #[test]
    fn the_model_name_rating_beats_a_turbo_maximum() {
        let model = "Intel(R) Xeon(R) Silver 4210 CPU @ 2.20GHz";
        let result = Tree::new()
            .file("proc/cpuinfo", &x86_cpuinfo(model, "3199.914", 1, 2, 1))
            .file(&format!("{CPUFREQ}/cpuinfo_max_freq"), "3200000\n")
            .status(&CpuFrequency);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            format!("2.20 GHz rated in the model name '{model}'")
        );
    }

    #[test]
    fn amd_uses_the_cpufreq_maximum() {
        let result = Tree::new()
            .file(
                "proc/cpuinfo",
                &x86_cpuinfo("AMD EPYC 7402 24-Core Processor", "1500.000", 1, 2, 1),
            )
            .file(&format!("{CPUFREQ}/cpuinfo_max_freq"), "2800000\n")
            .status(&CpuFrequency);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "2.80 GHz maximum (cpufreq cpuinfo_max_freq; may include turbo)"
        );
    }

    #[test]
    fn a_vm_without_cpufreq_uses_the_current_frequency_and_says_so() {
        let cases = [
            ("2596.096", Status::Pass),
            ("2494.224", Status::Pass),
            ("2199.998", Status::Fail),
        ];
        for (megahertz, status) in cases {
            let result = Tree::new()
                .file("proc/cpuinfo", &x86_cpuinfo("AMD EPYC", megahertz, 1, 2, 1))
                .status(&CpuFrequency);
            assert_status(&result, status);
            assert!(
                result.observed.ends_with(
                    "current ('cpu MHz' in /proc/cpuinfo, highest of 2 CPUs; may be throttled)"
                ),
                "{}",
                result.observed
            );
        }
    }

    #[test]
    fn kunpeng_uses_cpufreq_or_skips() {
        let with_cpufreq = Tree::new()
            .file("proc/cpuinfo", &kunpeng_cpuinfo(4))
            .file(&format!("{CPUFREQ}/cpuinfo_max_freq"), "2600000\n")
            .status(&CpuFrequency);
        assert_status(&with_cpufreq, Status::Pass);
        assert!(with_cpufreq.observed.starts_with("2.60 GHz maximum"));

        let without = Tree::new()
            .file("proc/cpuinfo", &kunpeng_cpuinfo(4))
            .status(&CpuFrequency);
        assert_status(&without, Status::Skip);
        assert_eq!(
            without.reason.as_deref(),
            Some("frequency not published (no cpufreq)")
        );
    }

    #[test]
    fn malformed_values_are_errors_naming_the_file() {
        let result = Tree::new()
            .file("proc/cpuinfo", &kunpeng_cpuinfo(1))
            .file(&format!("{CPUFREQ}/base_frequency"), "<unsupported>\n")
            .status(&CpuFrequency);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some(
                "/sys/devices/system/cpu/cpu0/cpufreq/base_frequency: malformed frequency \
                 '<unsupported>'"
            )
        );
        let mhz = Tree::new()
            .file("proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: fast\n\n")
            .status(&CpuFrequency);
        assert_status(&mhz, Status::Error);
        assert_eq!(
            mhz.reason.as_deref(),
            Some("/proc/cpuinfo: malformed cpu MHz 'fast'")
        );
    }

    #[test]
    fn model_name_ratings() {
        assert_eq!(
            model_name_megahertz("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"),
            Some(2400.0)
        );
        assert_eq!(
            model_name_megahertz("Intel(R) Pentium(R) M processor @ 800MHz"),
            Some(800.0)
        );
        assert_eq!(
            model_name_megahertz("AMD EPYC 7763 64-Core Processor"),
            None
        );
    }
}
