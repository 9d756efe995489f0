//! The one probe behind the `reach.*` checks: from this host, the endpoint the controller
//! named, through DNS, TCP, TLS verified against the shipped CA only (strict agent TLS, as
//! elemental-system-agent does it) and an HTTP `GET` (`ironprep_certs::endpoint`). Connecting
//! is not a change to the host; nothing is written.

use std::time::Duration;

use ironprep_certs::endpoint::{self, EndpointRequest, Target, Trust};
use ironprep_certs::material;

use crate::check::{Context, Observation, Outcome};
use crate::host::{Host, HostError};

/// Each probe's budget, all steps together; the runner runs the three checks at once.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Probes `target` when the run allows it: the live system (not `--root`, where this machine's
/// network says nothing about the tree's) and a CA to verify against.
pub fn probe(
    host: &Host,
    context: &Context,
    target: Target,
    ingress: bool,
) -> Result<Outcome, HostError> {
    let Some(ca) = &context.reach.ca else {
        return Ok(Outcome::skip(
            "no --ca given: strict TLS needs the CA the hosts will trust (dex.tls ca.crt, or the \
             platform CA)",
        ));
    };
    if host.live_system().is_none() {
        return Ok(Outcome::skip(
            "probes the network of the running system; not under --root",
        ));
    }
    let expected = format!(
        "200 or 401 to GET {} over TLS verified against {} only",
        target.path,
        ca.display()
    );
    let url = target.url();
    let certificates = material::certificate_file(ca)
        .map_err(|error| HostError::new("--ca", error.to_string()))?;
    let trust = Trust::from_certificates(&certificates)
        .map_err(|error| HostError::new("--ca", format!("{}: {error}", ca.display())))?;
    let request = EndpointRequest {
        target,
        server_name: None,
        trust,
        timeout: TIMEOUT,
        ingress,
    };
    let outcome =
        endpoint::probe(&request).map_err(|error| HostError::new(&url, error.to_string()))?;
    let observed = format!("{url}: {} ({})", outcome.observed(), outcome.timings());
    let observation = Observation::new(observed, expected).fail_if(!outcome.passed());
    Ok(if outcome.passed() {
        observation.into()
    } else {
        observation.with_hint(outcome.hint()).into()
    })
}

/// A malformed input is caught by the command line; here it is a read error of the check.
pub fn input_error(flag: &str, error: impl std::fmt::Display) -> HostError {
    HostError::new(flag, error.to_string())
}
