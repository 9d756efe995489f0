//! `registration.status-url`: elemental-operator sets a MachineRegistration's
//! status.registrationURL once, to `<server-url>/elemental/registration/<token>`, and never
//! changes it (`controllers/machineregistration_controller.go` at commit 57608bff); every ISO
//! built from it carries that URL. During bootstrap it must be the installer host's
//! `https://<host-ip>:12443`; after handoff the VIP for global hosts and the platform domain
//! for workload hosts (SPEC §4). A registration carried over from the bootstrap cluster still
//! points at the installer host, which is gone.

use super::describe;
use super::inventory_common::{condition, live};
use crate::lint::context::{Context, Phase, url_host};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct StatusUrl;

const BOOTSTRAP_PORT: &str = ":12443";

impl Rule for StatusUrl {
    describe!(
        "registration.status-url",
        "a MachineRegistration's status.registrationURL fits the phase: the installer host's :12443 at bootstrap, the VIP or platform domain after",
        why: "elemental-operator sets status.registrationURL once, to \
              `<server-url>/elemental/registration/<token>`, and never changes it; every ISO \
              built from the registration carries that URL. During bootstrap it must be the \
              installer host's `https://<host-ip>:12443`; after handoff the VIP for global \
              hosts and the platform domain for workload hosts (SPEC §4). A registration \
              carried over from the bootstrap cluster still points at the installer host, which \
              is gone.",
        example: "status:\n  registrationURL: https://192.168.10.100/elemental/registration/<token>",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let path = ["status", "registrationURL"];
        for registration in set.of_kind(set::REGISTRATION).filter(|object| live(object)) {
            let Some(url) = registration.str(&path).filter(|url| !url.is_empty()) else {
                let why = condition(registration, "Ready")
                    .map(|ready| format!("; Ready is {}", ready.describe()))
                    .unwrap_or_default();
                sink.field(
                    registration,
                    &path,
                    format!("no registrationURL: no ISO can be built from it{why}"),
                    "the operator needs the server URL setting (MissingTokenOrServerURL) and a \
                     unique spec.token (DuplicateToken)",
                );
                continue;
            };
            // The token registers machines: findings show the host only.
            let Some(host) = url_host(url) else {
                sink.field(registration, &path, "registrationURL is not a URL", "");
                continue;
            };
            let authority = url
                .split_once("://")
                .map_or(url, |(_, rest)| rest)
                .split('/')
                .next()
                .unwrap_or_default();
            let bootstrap_port = authority.ends_with(BOOTSTRAP_PORT);
            // A live List carries no Cluster to tell: the `global-` prefix is mandatory for the
            // global cluster's objects (seed 000), so it tells instead.
            let global = set.is_global(registration)
                || (registration.cluster.is_none() && registration.name.starts_with("global-"));
            let (wanted, what) = match (context.phase, global) {
                (Phase::Bootstrap, _) => {
                    (context.host_ip.as_ref(), "the installer host (--host-ip)")
                }
                (Phase::Installed, true) => (context.vip.as_ref(), "the control-plane VIP (--vip)"),
                (Phase::Installed, false) => (
                    context.platform_host.as_ref(),
                    "the platform domain (--platform-host)",
                ),
            };
            let problem = match context.phase {
                Phase::Bootstrap if !bootstrap_port => Some(format!(
                    "registrationURL is on {authority}, not the bootstrap endpoint :12443 of the \
                     installer host"
                )),
                Phase::Installed if bootstrap_port => Some(format!(
                    "registrationURL is still the bootstrap endpoint {authority}: the operator \
                     never changes it, and the installer host is gone after handoff"
                )),
                _ => match wanted {
                    Some(known) if known.value != host => Some(format!(
                        "registrationURL is on {host}, not {what} {} (from {})",
                        known.value, known.from
                    )),
                    Some(_) => None,
                    None => {
                        sink.missing_context(registration, "status.registrationURL", what);
                        None
                    }
                },
            };
            if let Some(problem) = problem {
                sink.field(
                    registration,
                    &path,
                    problem,
                    match context.phase {
                        Phase::Bootstrap => "create the MachineRegistration in the bootstrap \
                            cluster, whose elemental server URL is https://<host-ip>:12443"
                            .to_owned(),
                        Phase::Installed => "create a new MachineRegistration (and SeedImage) on \
                            the active global cluster (seed 000); the URL of an existing one \
                            never changes"
                            .to_owned(),
                    },
                );
            }
        }
    }
}
