//! `disk.ssd` from the BMC: etcd needs an SSD. Before any OS is installed the disk etcd will
//! live on is the one the elemental install picks, so the BMC's drives are judged as a whole:
//! an SSD must be there, and when spinning disks are there too, the install must be pointed
//! at the SSD.

use ironprep_schema::Role;
use ironprep_schema::bmc::{BmcDrive, BmcFacts};

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope, missing};

pub struct DiskSsd;

impl BmcCheck for DiskSsd {
    fn id(&self) -> &'static str {
        "disk.ssd"
    }

    fn title(&self) -> &'static str {
        "etcd's disk is an SSD"
    }

    fn hint(&self) -> &'static str {
        "put /var/lib/etcd on an SSD or NVMe disk (mount a dedicated SSD there before \
         installing); `lsblk -d -o NAME,ROTA,MODEL` shows ROTA 0 for SSDs"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane, Role::Etcd])
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        if facts.drives.is_empty() {
            return match missing(facts, "Storage", "drives") {
                Outcome::Skip(_) => Outcome::Skip(
                    "the BMC reports no drives (none fitted, or behind a controller it does \
                     not inventory)"
                        .to_owned(),
                ),
                other => other,
            };
        }
        let (mut ssd, mut hdd, mut unknown) = (0, 0, 0);
        for drive in &facts.drives {
            match kind(drive) {
                Kind::Ssd => ssd += 1,
                Kind::Hdd => hdd += 1,
                Kind::Unknown => unknown += 1,
            }
        }
        let mut parts = Vec::new();
        for (count, word) in [(ssd, "SSD"), (hdd, "HDD"), (unknown, "of unreported type")] {
            if count > 0 {
                parts.push(format!("{count} {word}"));
            }
        }
        let nvme_inferred = facts
            .drives
            .iter()
            .any(|drive| drive.media_type.is_none() && kind(drive) == Kind::Ssd);
        let mut observed = format!(
            "{} drive{}: {}",
            facts.drives.len(),
            if facts.drives.len() == 1 { "" } else { "s" },
            parts.join(", ")
        );
        if nvme_inferred {
            observed.push_str(" (NVMe drives without MediaType counted as SSD)");
        }
        let expected = "an SSD or NVMe drive for the OS and etcd";
        let observation = Observation::new(observed, expected)
            .fail_if(ssd == 0 && unknown == 0)
            .warn_if(ssd == 0 || hdd > 0);
        if ssd > 0 && hdd > 0 {
            return observation
                .with_hint(
                    "the host has SSDs and HDDs: make the MachineRegistration install on an \
                     SSD (config.elemental.install.device or device-selector matching it), \
                     since etcd lives on the OS disk",
                )
                .into();
        }
        if ssd == 0 && unknown > 0 {
            return observation
                .with_hint(
                    "the BMC does not say whether the drives are SSDs: check the drive models, \
                     or run `ironprep check` on the host's live ISO (lsblk ROTA)",
                )
                .into();
        }
        observation.into()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ssd,
    Hdd,
    Unknown,
}

fn kind(drive: &BmcDrive) -> Kind {
    match drive
        .media_type
        .as_deref()
        .map(str::to_uppercase)
        .as_deref()
    {
        Some("SSD") => Kind::Ssd,
        Some("HDD" | "SMR") => Kind::Hdd,
        _ if drive.rotation_rpm.is_some() => Kind::Hdd,
        // NVMe is solid state (NVMe hard disks exist only on paper).
        _ if drive
            .protocol
            .as_deref()
            .is_some_and(|protocol| protocol.eq_ignore_ascii_case("NVMe")) =>
        {
            Kind::Ssd
        }
        _ => Kind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    fn drive(media: Option<&str>, protocol: Option<&str>, rpm: Option<u64>) -> BmcDrive {
        BmcDrive {
            id: "d".to_owned(),
            media_type: media.map(str::to_owned),
            protocol: protocol.map(str::to_owned),
            rotation_rpm: rpm,
            ..BmcDrive::default()
        }
    }

    fn with(drives: Vec<BmcDrive>) -> BmcFacts {
        BmcFacts { drives, ..server() }
    }

    #[test]
    fn ssds_pass_and_nvme_without_media_type_counts() {
        let result = run(
            &DiskSsd,
            &with(vec![drive(Some("SSD"), Some("PCIe"), None)]),
        );
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "1 drive: 1 SSD");
        let supermicro = run(&DiskSsd, &with(vec![drive(None, Some("NVMe"), None); 8]));
        assert_status(&supermicro, Status::Pass);
        assert_eq!(
            supermicro.observed,
            "8 drives: 8 SSD (NVMe drives without MediaType counted as SSD)"
        );
    }

    #[test]
    fn spinning_disks_fail_alone_and_warn_beside_an_ssd() {
        let hdd = run(
            &DiskSsd,
            &with(vec![drive(Some("HDD"), Some("SAS"), Some(7200))]),
        );
        assert_status(&hdd, Status::Fail);
        let mixed = run(
            &DiskSsd,
            &with(vec![
                drive(Some("SSD"), Some("SATA"), None),
                drive(None, Some("SATA"), Some(7200)),
            ]),
        );
        assert_status(&mixed, Status::Warn);
        assert!(mixed.hint.contains("device-selector"), "{}", mixed.hint);
    }

    #[test]
    fn unknown_types_warn_and_no_drives_skip() {
        let unknown = run(&DiskSsd, &with(vec![drive(None, Some("SATA"), None)]));
        assert_status(&unknown, Status::Warn);
        assert_status(&run(&DiskSsd, &with(Vec::new())), Status::Skip);
    }
}
