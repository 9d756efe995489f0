//! `bmc.virtual-media`: `ironprep bmc boot` inserts the registration ISO into a virtual CD/DVD
//! drive of the BMC. Without one (no licence for it, the service off, or a BMC without
//! Redfish virtual media) the ISO has to go on a USB stick or PXE, host by host.

use ironprep_schema::bmc::{BmcFacts, BmcVirtualMedia};

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope, missing};

pub struct BmcVirtualMediaSlot;

impl BmcCheck for BmcVirtualMediaSlot {
    fn id(&self) -> &'static str {
        "bmc.virtual-media"
    }

    fn title(&self) -> &'static str {
        "the BMC has a virtual CD/DVD drive that can insert the ISO"
    }

    fn hint(&self) -> &'static str {
        "enable virtual media on the BMC (iDRAC: Enterprise or Datacenter licence; iLO: \
         Advanced licence; Supermicro: the virtual media service) or boot the ISO from USB or \
         PXE instead"
    }

    fn scope(&self) -> Scope {
        Scope::IMMUTABLE
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        if facts.unread("VirtualMedia").is_some() {
            return missing(facts, "VirtualMedia", "virtual media");
        }
        let expected = "a CD or DVD slot with a VirtualMedia.InsertMedia action";
        let Some(slot) = facts.virtual_media.iter().find(|slot| slot.is_usable_cd()) else {
            let observed = if facts.virtual_media.is_empty() {
                "the BMC offers no virtual media".to_owned()
            } else {
                format!(
                    "no usable CD/DVD slot: {}",
                    facts
                        .virtual_media
                        .iter()
                        .map(describe)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            return Observation::new(observed, expected).fail_if(true).into();
        };
        Observation::new(describe(slot), expected).into()
    }
}

/// `/redfish/v1/Managers/1/VirtualMedia/2 (CD, DVD), empty`.
fn describe(slot: &BmcVirtualMedia) -> String {
    let kinds = if slot.media_types.is_empty() {
        "media types not reported".to_owned()
    } else {
        slot.media_types.join(", ")
    };
    let state = match (slot.inserted, &slot.image) {
        (Some(true), Some(image)) => format!("holds {image}"),
        (Some(true), None) => "media inserted".to_owned(),
        _ => "empty".to_owned(),
    };
    let action = if slot.insert_target.is_some() {
        ""
    } else {
        ", no InsertMedia action"
    };
    format!("{} ({kinds}), {state}{action}", slot.path)
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    fn slot(kinds: &[&str], insert: bool) -> BmcVirtualMedia {
        BmcVirtualMedia {
            id: "2".to_owned(),
            path: "/redfish/v1/Managers/1/VirtualMedia/2".to_owned(),
            media_types: kinds.iter().map(|kind| (*kind).to_owned()).collect(),
            inserted: Some(false),
            image: None,
            insert_target: insert.then(|| {
                "/redfish/v1/Managers/1/VirtualMedia/2/Actions/VirtualMedia.InsertMedia".to_owned()
            }),
            eject_target: None,
        }
    }

    fn with(slots: Vec<BmcVirtualMedia>) -> BmcFacts {
        BmcFacts {
            virtual_media: slots,
            ..server()
        }
    }

    #[test]
    fn a_cd_slot_that_can_insert_passes() {
        let result = run(
            &BmcVirtualMediaSlot,
            &with(vec![
                slot(&["Floppy", "USBStick"], true),
                slot(&["CD", "DVD"], true),
            ]),
        );
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "/redfish/v1/Managers/1/VirtualMedia/2 (CD, DVD), empty"
        );
    }

    #[test]
    fn no_slot_or_no_action_fails() {
        let none = run(&BmcVirtualMediaSlot, &with(Vec::new()));
        assert_status(&none, Status::Fail);
        assert_eq!(none.observed, "the BMC offers no virtual media");
        let usb_only = run(&BmcVirtualMediaSlot, &with(vec![slot(&["USBStick"], true)]));
        assert_status(&usb_only, Status::Fail);
        let no_action = run(&BmcVirtualMediaSlot, &with(vec![slot(&["CD"], false)]));
        assert_status(&no_action, Status::Fail);
        assert!(no_action.observed.ends_with("no InsertMedia action"));
    }
}
