//! Everything `ironprep` changes on a BMC, and nothing else: `ironprep bmc boot` inserts the
//! registration ISO as virtual media, sets a one-time UEFI boot override to the virtual CD and
//! powers the host on or resets it; `--eject` takes the ISO out again.
//!
//! Every host is planned first from what its BMC reports, read-only. Without `--yes` the plan
//! is the result and nothing is sent. A host whose power state or CD slot cannot be read is
//! refused before anything is sent to it: resetting a host in an unknown state, or booting one
//! whose ISO could not be inserted, is worse than doing nothing. With `--yes` the steps run in
//! order; a step answered `202 Accepted` is followed through its task monitor, a busy BMC is
//! retried by the client, and the first failed step stops that host (and only that host).

use std::time::Duration;

use ironprep_schema::bmc::{BmcBootStep, BmcVirtualMedia, BootAction, BootResult, StepStatus};
use reqwest::Method;

use super::client::{Client, RedfishError, Reply};
use super::facts::{self, SystemRef};
use super::resources::{BootOverride, BootPatch, ComputerSystem, Empty, InsertMedia, Reset, Task};

/// How long to wait between polls of a task monitor that gives no `Retry-After`.
const TASK_POLL: Duration = Duration::from_secs(1);

/// What `bmc boot` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Boot from this ISO URL.
    Boot { iso: String },
    /// Take the ISO out of the virtual CD.
    Eject,
}

/// One planned step and what sending it takes.
#[derive(Clone, Debug)]
struct Step {
    action: BootAction,
    detail: String,
    /// `None`: already in place, nothing to send.
    send: Option<Send>,
}

#[derive(Clone, Debug)]
enum Send {
    Insert { target: String, body: InsertMedia },
    Eject { target: String },
    Override { system: String, body: BootPatch },
    Reset { target: String, body: Reset },
}

/// The outcome of planning (and, with `apply`, doing) one system.
#[derive(Clone, Debug)]
pub struct Done {
    pub result: BootResult,
    pub error: Option<String>,
    pub steps: Vec<BmcBootStep>,
}

/// Plans one system and, when `apply`, does it. Errors that end the BMC as a whole (login,
/// TLS, no answer) are returned; everything else is in [`Done`].
pub async fn boot(
    client: &Client,
    reference: &SystemRef,
    request: &Request,
    apply: bool,
) -> Result<Done, RedfishError> {
    let slots = match facts::virtual_media(client, &reference.system).await {
        Ok(slots) => Some(slots),
        Err(error) if error.ends_the_host() => return Err(error),
        Err(error) => {
            return Ok(refused(format!(
                "cannot read the BMC's virtual media, so the ISO cannot be inserted safely: \
                 {error}"
            )));
        }
    };
    let steps = match plan(
        &reference.path,
        &reference.system,
        slots.as_deref(),
        request,
    ) {
        Ok(steps) => steps,
        Err(refusal) => return Ok(refused(refusal.to_string())),
    };
    if !apply {
        return Ok(Done {
            result: BootResult::Planned,
            error: None,
            steps: steps
                .into_iter()
                .map(|step| report(&step, StepStatus::Planned, None))
                .collect(),
        });
    }
    let mut reported = Vec::new();
    let mut failure = None;
    for step in &steps {
        if failure.is_some() {
            reported.push(report(step, StepStatus::NotRun, None));
            continue;
        }
        let Some(send) = &step.send else {
            reported.push(report(step, StepStatus::Skipped, None));
            continue;
        };
        match execute(client, &reference.path, send).await {
            Ok(()) => reported.push(report(step, StepStatus::Done, None)),
            Err(error) if error.ends_the_host() => return Err(error),
            Err(error) => {
                let text = error.to_string();
                reported.push(report(step, StepStatus::Failed, Some(text.clone())));
                failure = Some(format!("{} failed: {text}", step.action.as_str()));
            }
        }
    }
    Ok(Done {
        result: if failure.is_some() {
            BootResult::Failed
        } else {
            BootResult::Done
        },
        error: failure,
        steps: reported,
    })
}

fn refused(reason: String) -> Done {
    Done {
        result: BootResult::Refused,
        error: Some(reason),
        steps: Vec::new(),
    }
}

fn report(step: &Step, status: StepStatus, error: Option<String>) -> BmcBootStep {
    BmcBootStep {
        action: step.action,
        detail: step.detail.clone(),
        status,
        error,
    }
}

/// Why nothing is sent to a system: what the BMC reported does not allow a safe boot.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error(
        "the BMC has no virtual CD/DVD slot with an InsertMedia action (see bmc.virtual-media)"
    )]
    NoCdSlot,
    #[error(
        "the BMC does not report the host's power state, so it cannot tell whether to power on \
         or reset: nothing was sent"
    )]
    UnknownPowerState,
    #[error("the system advertises no ComputerSystem.Reset action")]
    NoResetAction,
    #[error("the host is {0}: try again once it is On or Off")]
    PowerInTransition(String),
    #[error(
        "none of the reset types that would {} the host is allowed (allowed: {allowed})",
        if *power_on { "power on" } else { "restart" }
    )]
    NoResetType { power_on: bool, allowed: String },
    #[error("the BMC allows no one-time boot from the virtual CD (allowed: {0})")]
    NoCdBootTarget(String),
}

/// The steps for one system, or why it is refused. Pure: decided on what the BMC reported.
fn plan(
    system_path: &str,
    system: &ComputerSystem,
    slots: Option<&[BmcVirtualMedia]>,
    request: &Request,
) -> Result<Vec<Step>, Refusal> {
    let slot = slots
        .unwrap_or_default()
        .iter()
        .find(|slot| slot.is_usable_cd())
        .ok_or(Refusal::NoCdSlot)?;
    let eject_target = slot
        .eject_target
        .clone()
        .unwrap_or_else(|| format!("{}/Actions/VirtualMedia.EjectMedia", slot.path));
    let inserted = slot.inserted.unwrap_or(slot.image.is_some());
    let held = slot.image.as_deref().filter(|_| inserted);
    let iso = match request {
        Request::Eject => {
            return Ok(vec![Step {
                action: BootAction::EjectMedia,
                detail: match held {
                    Some(image) => format!("eject {image} from {}", slot.path),
                    None => format!("{} holds nothing", slot.path),
                },
                send: inserted.then(|| Send::Eject {
                    target: eject_target.clone(),
                }),
            }]);
        }
        Request::Boot { iso } => iso,
    };
    let power = system
        .power_state
        .as_deref()
        .ok_or(Refusal::UnknownPowerState)?;
    let reset = system
        .actions
        .as_ref()
        .and_then(|actions| actions.reset.as_ref());
    let reset_target = reset
        .and_then(|reset| reset.target.clone())
        .ok_or(Refusal::NoResetAction)?;
    let allowed_resets: &[String] = reset
        .map(|reset| reset.allowed.as_slice())
        .unwrap_or_default();
    let pick = |preferred: &[&str]| {
        preferred
            .iter()
            .find(|kind| allowed_resets.is_empty() || allowed_resets.iter().any(|a| a == *kind))
            .map(|kind| (*kind).to_owned())
    };
    let (action, reset_type) = match power {
        "Off" => (
            BootAction::PowerOn,
            pick(&["On", "ForceOn", "PushPowerButton"]),
        ),
        "On" => (
            BootAction::Reset,
            pick(&["ForceRestart", "GracefulRestart", "PowerCycle"]),
        ),
        other => {
            return Err(Refusal::PowerInTransition(other.to_owned()));
        }
    };
    let reset_type = reset_type.ok_or_else(|| Refusal::NoResetType {
        power_on: action == BootAction::PowerOn,
        allowed: allowed_resets.join(", "),
    })?;
    let allowed_targets = system
        .boot
        .as_ref()
        .map(|boot| boot.allowed_targets.as_slice())
        .unwrap_or_default();
    let target = ["Cd", "UsbCd"]
        .into_iter()
        .find(|target| allowed_targets.is_empty() || allowed_targets.iter().any(|a| a == target))
        .ok_or_else(|| Refusal::NoCdBootTarget(allowed_targets.join(", ")))?;

    let mut steps = Vec::new();
    match held {
        Some(image) if image == iso => steps.push(Step {
            action: BootAction::InsertMedia,
            detail: format!("{} already holds {iso}", slot.path),
            send: None,
        }),
        other => {
            if inserted {
                steps.push(Step {
                    action: BootAction::EjectMedia,
                    detail: format!(
                        "eject {} from {}",
                        other.unwrap_or("the inserted media"),
                        slot.path
                    ),
                    send: Some(Send::Eject {
                        target: eject_target,
                    }),
                });
            }
            steps.push(Step {
                action: BootAction::InsertMedia,
                detail: format!("insert {iso} into {} (read-only)", slot.path),
                send: Some(Send::Insert {
                    target: slot.insert_target.clone().unwrap_or_default(),
                    body: InsertMedia {
                        image: iso.clone(),
                        inserted: true,
                        write_protected: true,
                    },
                }),
            });
        }
    }
    steps.push(Step {
        action: BootAction::BootOverride,
        detail: format!("boot once from {target} in UEFI mode"),
        send: Some(Send::Override {
            system: system_path.to_owned(),
            body: BootPatch {
                boot: BootOverride {
                    enabled: "Once".to_owned(),
                    target: target.to_owned(),
                    mode: "UEFI".to_owned(),
                },
            },
        }),
    });
    steps.push(Step {
        action,
        detail: format!("{reset_type} (the host is {power})"),
        send: Some(Send::Reset {
            target: reset_target,
            body: Reset { reset_type },
        }),
    });
    Ok(steps)
}

async fn execute(client: &Client, system_path: &str, send: &Send) -> Result<(), RedfishError> {
    let reply = match send {
        Send::Insert { target, body } => client.write(Method::POST, target, body, None).await?,
        Send::Eject { target } => client.write(Method::POST, target, &Empty {}, None).await?,
        Send::Reset { target, body } => client.write(Method::POST, target, body, None).await?,
        Send::Override { system, body } => {
            match client.write(Method::PATCH, system, body, None).await {
                // Some BMCs want the resource's ETag before they accept a PATCH.
                Err(error) if matches!(error.status(), Some(412 | 428)) => {
                    let current: ComputerSystem = client.get(system_path).await?;
                    client
                        .write(Method::PATCH, system, body, current.etag.as_deref())
                        .await?
                }
                other => other?,
            }
        }
    };
    follow(client, reply).await
}

/// A `202 Accepted` points at a task monitor (or a task); poll it until the task ends. The
/// host's timeout bounds the wait.
async fn follow(client: &Client, reply: Reply) -> Result<(), RedfishError> {
    if reply.status != 202 {
        return Ok(());
    }
    let monitor = reply.location.clone().or_else(|| {
        serde_json::from_slice::<super::resources::Link>(&reply.body)
            .ok()
            .map(|link| link.id)
    });
    let Some(monitor) = monitor else {
        // Accepted without a monitor: nothing to follow.
        return Ok(());
    };
    let mut wait = reply.retry_after.unwrap_or(TASK_POLL);
    loop {
        tokio::time::sleep(wait.min(Duration::from_secs(10))).await;
        let answer = client.poll(&monitor).await?;
        wait = answer.retry_after.unwrap_or(TASK_POLL);
        let task = serde_json::from_slice::<Task>(&answer.body).unwrap_or_default();
        match (answer.status, task.state.as_deref()) {
            (202, _) | (200, Some("New" | "Starting" | "Running" | "Pending" | "Stopping")) => {
                continue;
            }
            (200..=299, Some("Exception" | "Killed" | "Cancelled" | "Interrupted")) => {
                let messages: Vec<String> = task
                    .messages
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|message| message.message)
                    .collect();
                return Err(client.redacted(RedfishError::Status {
                    path: monitor,
                    status: answer.status,
                    message: Some(format!(
                        "the task ended {}{}",
                        task.state.unwrap_or_default(),
                        if messages.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", messages.join("; "))
                        }
                    )),
                }));
            }
            (200..=299, _) => return Ok(()),
            // A monitor removed once its task finished (allowed by the Redfish spec).
            (404, _) => return Ok(()),
            (status, _) => {
                return Err(RedfishError::Status {
                    path: monitor,
                    status,
                    message: Some("the task monitor answered with an error".to_owned()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmc::resources::{Boot, ResetAction, SystemActions};

    fn system(power: Option<&str>, targets: &[&str]) -> ComputerSystem {
        ComputerSystem {
            power_state: power.map(str::to_owned),
            boot: Some(Boot {
                allowed_targets: targets.iter().map(|t| (*t).to_owned()).collect(),
                ..Boot::default()
            }),
            actions: Some(SystemActions {
                reset: Some(ResetAction {
                    target: Some("/redfish/v1/Systems/1/Actions/ComputerSystem.Reset".to_owned()),
                    allowed: vec![
                        "On".to_owned(),
                        "ForceOff".to_owned(),
                        "ForceRestart".to_owned(),
                    ],
                }),
            }),
            ..ComputerSystem::default()
        }
    }

    fn cd(image: Option<&str>) -> BmcVirtualMedia {
        BmcVirtualMedia {
            id: "Cd".to_owned(),
            path: "/redfish/v1/Systems/1/VirtualMedia/Cd".to_owned(),
            media_types: vec!["CD".to_owned(), "DVD".to_owned()],
            inserted: Some(image.is_some()),
            image: image.map(str::to_owned),
            insert_target: Some(
                "/redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia".to_owned(),
            ),
            eject_target: None,
        }
    }

    fn boot_request() -> Request {
        Request::Boot {
            iso: "http://10.0.0.5/seed.iso".to_owned(),
        }
    }

    fn details(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|step| format!("{}: {}", step.action.as_str(), step.detail))
            .collect()
    }

    #[test]
    fn a_powered_off_host_is_inserted_overridden_and_powered_on() {
        let steps = plan(
            "/redfish/v1/Systems/1",
            &system(Some("Off"), &["Pxe", "Cd", "Hdd"]),
            Some(&[cd(None)]),
            &boot_request(),
        )
        .unwrap();
        assert_eq!(
            details(&steps),
            [
                "insert-media: insert http://10.0.0.5/seed.iso into /redfish/v1/Systems/1/VirtualMedia/Cd (read-only)",
                "boot-override: boot once from Cd in UEFI mode",
                "power-on: On (the host is Off)",
            ]
        );
    }

    #[test]
    fn a_running_host_with_another_image_is_ejected_first_and_restarted() {
        let steps = plan(
            "/s",
            &system(Some("On"), &[]),
            Some(&[cd(Some("http://old/x.iso"))]),
            &boot_request(),
        )
        .unwrap();
        assert_eq!(steps[0].action, BootAction::EjectMedia);
        assert!(
            matches!(&steps[0].send, Some(Send::Eject { target }) if target.ends_with("/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia"))
        );
        assert_eq!(
            steps.last().unwrap().detail,
            "ForceRestart (the host is On)"
        );
        let same = plan(
            "/s",
            &system(Some("On"), &[]),
            Some(&[cd(Some("http://10.0.0.5/seed.iso"))]),
            &boot_request(),
        )
        .unwrap();
        assert!(same[0].send.is_none(), "already inserted: nothing to send");
    }

    #[test]
    fn unknown_power_state_or_no_cd_slot_is_refused() {
        let error = plan("/s", &system(None, &[]), Some(&[cd(None)]), &boot_request()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the BMC does not report the host's power state"),
            "{error}"
        );
        let error = plan("/s", &system(Some("On"), &[]), Some(&[]), &boot_request()).unwrap_err();
        assert!(
            error.to_string().contains("no virtual CD/DVD slot"),
            "{error}"
        );
        let error = plan(
            "/s",
            &system(Some("PoweringOn"), &[]),
            Some(&[cd(None)]),
            &boot_request(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the host is PoweringOn: try again once it is On or Off"
        );
        let error = plan(
            "/s",
            &system(Some("On"), &["Pxe", "Hdd"]),
            Some(&[cd(None)]),
            &boot_request(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the BMC allows no one-time boot from the virtual CD (allowed: Pxe, Hdd)"
        );
    }

    #[test]
    fn supermicro_boots_from_usb_cd_when_cd_is_not_allowed() {
        let steps = plan(
            "/s",
            &system(Some("Off"), &["Pxe", "UsbCd"]),
            Some(&[cd(None)]),
            &boot_request(),
        )
        .unwrap();
        assert_eq!(steps[1].detail, "boot once from UsbCd in UEFI mode");
    }

    #[test]
    fn eject_does_nothing_when_nothing_is_inserted() {
        let steps = plan("/s", &system(None, &[]), Some(&[cd(None)]), &Request::Eject).unwrap();
        assert!(steps[0].send.is_none());
        let steps = plan(
            "/s",
            &system(None, &[]),
            Some(&[cd(Some("http://10.0.0.5/seed.iso"))]),
            &Request::Eject,
        )
        .unwrap();
        assert_eq!(
            steps[0].detail,
            "eject http://10.0.0.5/seed.iso from /redfish/v1/Systems/1/VirtualMedia/Cd"
        );
    }
}
