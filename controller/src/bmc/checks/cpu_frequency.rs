//! `cpu.frequency` from the BMC: the control plane is sized for cores of at least 2.5 GHz.
//! The figure comes from the best source the BMC offers, named in the result: the rating in
//! an Intel model name, else the operating speed; `MaxSpeedMHz` is a turbo (or socket)
//! maximum, so on its own it can only warn.

use ironprep_schema::Role;
use ironprep_schema::bmc::{BmcFacts, BmcProcessor};

use super::cpus_or_missing;
use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};

const MINIMUM_MHZ: f64 = 2500.0;

/// An operating speed is a reading, like the agent's `cpu MHz`: within this share of the
/// minimum it counts as reached.
const MEASURED_TOLERANCE: f64 = 0.01;

pub struct CpuFrequency;

impl BmcCheck for CpuFrequency {
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

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let cpus = match cpus_or_missing(facts) {
            Ok(cpus) => cpus,
            Err(outcome) => return outcome,
        };
        // The slowest socket decides.
        let Some((megahertz, source, kind)) = cpus
            .iter()
            .filter_map(frequency)
            .min_by(|a, b| a.0.total_cmp(&b.0))
        else {
            return Outcome::Skip(
                "frequency not published (no rating in the model name, no OperatingSpeedMHz \
                 or MaxSpeedMHz)"
                    .to_owned(),
            );
        };
        let observed = format!("{:.2} GHz {source}", megahertz / 1000.0);
        let expected = "≥ 2.5 GHz";
        match kind {
            Kind::Rated => Observation::new(observed, expected)
                .fail_if(megahertz < MINIMUM_MHZ)
                .into(),
            Kind::Operating => Observation::new(observed, expected)
                .fail_if(megahertz + MINIMUM_MHZ * MEASURED_TOLERANCE < MINIMUM_MHZ)
                .into(),
            Kind::Maximum => Observation::new(
                format!("{observed}; the base frequency is not published"),
                expected,
            )
            .warn_if(true)
            .fail_if(megahertz < MINIMUM_MHZ)
            .with_hint(
                "look up the CPU model's base frequency (the maximum includes turbo): it must \
                 be at least 2.5 GHz for control-plane hosts",
            )
            .into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rated,
    Operating,
    Maximum,
}

fn frequency(cpu: &BmcProcessor) -> Option<(f64, String, Kind)> {
    if let Some(model) = &cpu.model
        && let Some(megahertz) = model_name_megahertz(model)
    {
        return Some((
            megahertz,
            format!("rated in the model name '{model}'"),
            Kind::Rated,
        ));
    }
    if let Some(speed) = cpu.operating_speed_mhz {
        return Some((
            f64::from(speed),
            "operating speed (OperatingSpeedMHz)".to_owned(),
            Kind::Operating,
        ));
    }
    cpu.max_speed_mhz.map(|speed| {
        (
            f64::from(speed),
            "maximum (MaxSpeedMHz; includes turbo)".to_owned(),
            Kind::Maximum,
        )
    })
}

/// The rating after `@` in an Intel model name: "Intel(R) Xeon(R) Gold 6354 CPU @ 3.00GHz".
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
    use crate::bmc::check::testing::{assert_status, run, server};

    #[test]
    fn the_model_name_rating_comes_first() {
        let result = run(&CpuFrequency, &server());
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "3.00 GHz rated in the model name 'Intel(R) Xeon(R) Gold 6354 CPU @ 3.00GHz'"
        );
    }

    #[test]
    fn the_operating_speed_is_a_reading() {
        let mut facts = server();
        for cpu in &mut facts.processors {
            cpu.model = Some("Intel(R) Xeon(R) Platinum 8462Y+".to_owned());
            cpu.operating_speed_mhz = Some(2480);
        }
        let result = run(&CpuFrequency, &facts);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "2.48 GHz operating speed (OperatingSpeedMHz)"
        );
        facts.processors[1].operating_speed_mhz = Some(2100);
        assert_status(&run(&CpuFrequency, &facts), Status::Fail);
    }

    #[test]
    fn a_maximum_alone_only_warns() {
        let mut facts = server();
        for cpu in &mut facts.processors {
            cpu.model = Some("AMD EPYC 7763 64-Core Processor".to_owned());
            cpu.operating_speed_mhz = None;
            cpu.max_speed_mhz = Some(4100);
        }
        let result = run(&CpuFrequency, &facts);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "4.10 GHz maximum (MaxSpeedMHz; includes turbo); the base frequency is not published"
        );
        for cpu in &mut facts.processors {
            cpu.max_speed_mhz = Some(2200);
        }
        assert_status(&run(&CpuFrequency, &facts), Status::Fail);
        for cpu in &mut facts.processors {
            cpu.max_speed_mhz = None;
        }
        assert_status(&run(&CpuFrequency, &facts), Status::Skip);
    }
}
