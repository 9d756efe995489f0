//! The one probe behind the `reach.*` checks: from this host, the endpoint the controller
//! named, through DNS, TCP, TLS verified against the shipped CA only (strict agent TLS, as
//! elemental-system-agent does it) and an HTTP `GET` (`ironprep_certs::endpoint`). Connecting
//! is not a change to the host; nothing is written.
//!
//! The lean build (`--no-default-features`, without the `reach` feature) has no TLS: with no
//! CA its checks skip exactly as the full build's do, and its command line refuses a CA (the
//! controller sends the lean agent only to runs without one).

use std::net::IpAddr;
use std::path::Path;
#[cfg(feature = "reach")]
use std::time::Duration;

#[cfg(feature = "reach")]
use ironprep_certs::endpoint::{self, EndpointRequest, Target, Trust};
#[cfg(feature = "reach")]
use ironprep_certs::material;

#[cfg(feature = "reach")]
use crate::check::Observation;
use crate::check::{Context, Outcome};
use crate::host::{Host, HostError};

/// Each probe's budget, all steps together; the runner runs the three checks at once.
#[cfg(feature = "reach")]
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What a `reach.*` check probes, as the controller named it.
#[derive(Clone, Copy, Debug)]
pub enum Endpoint<'a> {
    /// `global.platformUrl`, through the ingress.
    Platform(&'a str),
    /// `global.registry.address`: `/v2/`.
    Registry(&'a str),
    /// The installer host's `https://IP:12443`, through its ingress.
    Bootstrap(IpAddr),
}

impl Endpoint<'_> {
    /// The flag that named it, for input errors.
    pub fn flag(&self) -> &'static str {
        match self {
            Endpoint::Platform(_) => "--platform-url",
            Endpoint::Registry(_) => "--registry",
            Endpoint::Bootstrap(_) => "--bootstrap-host",
        }
    }
}

/// The CA to verify against, or why a check cannot probe whatever the build: no CA, or not
/// the live system.
fn ca_to_probe<'c>(host: &Host, context: &'c Context) -> Result<&'c Path, Outcome> {
    let Some(ca) = &context.reach.ca else {
        return Err(Outcome::skip(
            "no --ca given: strict TLS needs the CA the hosts will trust (dex.tls ca.crt, or the \
             platform CA)",
        ));
    };
    if host.live_system().is_none() {
        return Err(Outcome::skip(
            "probes the network of the running system; not under --root",
        ));
    }
    Ok(ca)
}

/// The lean build's answer, which can only skip (the command line refuses a CA there).
#[cfg(not(feature = "reach"))]
pub fn probe(host: &Host, context: &Context, _endpoint: Endpoint) -> Result<Outcome, HostError> {
    Ok(ca_to_probe(host, context)
        .err()
        .unwrap_or_else(|| Outcome::skip(LEAN_SKIP)))
}

/// Said by the lean build of a probe it cannot make.
#[cfg(not(feature = "reach"))]
pub const LEAN_SKIP: &str = "this is ironprep-agent-lean, built without the TLS probe: run the \
     full ironprep-agent for reach.*";

/// Probes `endpoint` when the run allows it: the live system (not `--root`, where this
/// machine's network says nothing about the tree's) and a CA to verify against.
#[cfg(feature = "reach")]
pub fn probe(host: &Host, context: &Context, named: Endpoint) -> Result<Outcome, HostError> {
    let ca = match ca_to_probe(host, context) {
        Ok(ca) => ca,
        Err(skipped) => return Ok(skipped),
    };
    let (target, ingress) = match named {
        Endpoint::Platform(url) => (Target::ingress(url), true),
        Endpoint::Registry(address) => (Target::registry(address), false),
        Endpoint::Bootstrap(ip) => (Ok(Target::bootstrap(ip)), true),
    };
    let target = target.map_err(|error| HostError::new(named.flag(), error.to_string()))?;
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
