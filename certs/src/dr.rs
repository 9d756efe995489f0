//! `ironprep certs dr-check`: the DR rule of seeds 000 and 002 — the platform certificate chain
//! covers the platform domain, the primary VIP, the standby VIP and the platform ingress
//! names, so that system-agents keep verifying TLS after DNS is switched to the standby side.

use std::net::IpAddr;

use ironprep_schema::{CheckResult, Status};
use rustls::pki_types::ServerName;

use crate::certificate::{CertificateFacts, format_time};
use crate::verify::{result, skipped, verdict, verify_chain};

/// What the DR certificate must cover.
pub struct DrInput<'a> {
    /// The platform chain (`tls.crt` of the thirdParty certificate): leaf first.
    pub chain: &'a [CertificateFacts],
    pub chain_name: &'a str,
    /// The CA that both sides trust, when known.
    pub ca: Option<&'a [CertificateFacts]>,
    pub platform_host: &'a str,
    pub vips: &'a [IpAddr],
    pub dns_names: &'a [String],
    pub now: i64,
}

pub fn check(input: &DrInput<'_>) -> Vec<CheckResult> {
    let leaf = &input.chain[0];
    let hint = "issue the platform certificate (installer thirdParty block) with the platform \
                domain, both VIPs and the ingress names in the SAN, the same on both sides";
    let mut results = Vec::new();

    let platform = match input.platform_host.parse::<IpAddr>() {
        Ok(ip) => Some(ServerName::from(ip)),
        Err(_) => ServerName::try_from(input.platform_host.to_owned()).ok(),
    };
    let covered = platform.is_some_and(|name| crate::verify::name_matches(leaf, &name));
    results.push(result(
        "dr.platform-host",
        "The certificate covers the platform domain",
        if covered { Status::Pass } else { Status::Fail },
        format!(
            "{} {}; SAN: {}",
            input.platform_host,
            if covered {
                "is covered"
            } else {
                "is not covered"
            },
            leaf.san_summary()
        ),
        "the platform host (global.platformUrl's host) in the SAN",
        hint,
    ));

    let missing: Vec<String> = input
        .vips
        .iter()
        .filter(|vip| !crate::verify::name_matches(leaf, &ServerName::from(**vip)))
        .map(|vip| format!("certificate not valid for IP {vip}"))
        .collect();
    let mut warnings = Vec::new();
    if input.vips.len() < 2 {
        warnings.push("only one VIP given; DR needs the primary and the standby VIP".to_owned());
    }
    results.push(verdict(
        "dr.vips",
        "The certificate covers the primary and standby VIPs",
        "every VIP as an iPAddress SAN",
        missing,
        warnings,
        format!(
            "VIPs {}; IP SANs: {}",
            input
                .vips
                .iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            leaf.ip_addresses
                .iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        hint,
    ));

    if input.dns_names.is_empty() {
        results.push(skipped(
            "dr.ingress-names",
            "The certificate covers the platform ingress names",
            "every ingress name as a DNS SAN",
            "no ingress name given",
        ));
    } else {
        let missing: Vec<String> = input
            .dns_names
            .iter()
            .filter(|name| match ServerName::try_from(name.as_str()) {
                Ok(server_name) => !crate::verify::name_matches(leaf, &server_name),
                Err(_) => true,
            })
            .map(|name| format!("certificate not valid for name {name}"))
            .collect();
        results.push(verdict(
            "dr.ingress-names",
            "The certificate covers the platform ingress names",
            "every ingress name as a DNS SAN",
            missing,
            Vec::new(),
            format!("DNS SANs: {}", leaf.dns_names.join(", ")),
            hint,
        ));
    }

    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    if leaf.not_after < input.now {
        failures.push(format!("expired on {}", format_time(leaf.not_after)));
    } else if leaf.not_before > input.now {
        failures.push(format!(
            "not valid yet (notBefore {})",
            format_time(leaf.not_before)
        ));
    }
    if leaf.self_issued {
        warnings.push(
            "self-signed: DR needs a third-party certificate trusted by both sides, not one each \
             side generated"
                .to_owned(),
        );
    }
    if let Some(ca) = input.ca
        && let Err(error) = verify_chain(ca, input.chain, input.now)
    {
        failures.push(format!(
            "does not verify against the CA: {}",
            crate::verify::describe_webpki_error(&error)
        ));
    }
    results.push(verdict(
        "dr.chain",
        "The platform chain is valid and shared",
        "valid now, issued by a CA both sides trust (not self-signed)",
        failures,
        warnings,
        format!(
            "{}: {} issued by {}, until {}",
            input.chain_name,
            leaf.subject,
            leaf.issuer,
            format_time(leaf.not_after)
        ),
        hint,
    ));
    results
}
