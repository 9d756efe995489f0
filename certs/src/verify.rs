//! `ironprep certs verify`: the seed's openssl steps as checks — the chain verifies against the
//! CA, every host IP is an IP SAN and every name a DNS SAN, the key matches, the certificate is
//! valid now and for how long, its usages fit a TLS server — plus warnings for what OpenSSL
//! accepts but Go (elemental-register, elemental-system-agent) or a strict client refuses.
//!
//! Chains and names are verified with rustls-webpki, which decides like Go's crypto/x509 on
//! everything that matters here (IP hosts only against `iPAddress` SANs, never the CN;
//! extendedKeyUsage serverAuth when the extension is present; issuers must be CAs).

use std::net::IpAddr;
use std::time::Duration;

use ironprep_schema::{CheckResult, Status};
use rcgen::KeyPair;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};

use crate::certificate::{CertificateFacts, KeyAlgorithm, format_time};
use crate::manifest::{DEX_TLS_SECRET, ParsedSecret};
use crate::{NAMESPACE, material};

/// Days of remaining lifetime below which `cert.validity` warns.
pub const RENEW_WARNING_DAYS: i64 = 30;

/// What to verify. File names are only used in messages.
pub struct VerifyInput<'a> {
    /// The trust anchors (`ca.crt`); usually one root.
    pub ca: &'a [CertificateFacts],
    pub ca_name: &'a str,
    /// The served chain (`tls.crt`): the leaf, then intermediates.
    pub chain: &'a [CertificateFacts],
    pub chain_name: &'a str,
    pub key: Option<(&'a KeyPair, &'a str)>,
    pub host_ips: &'a [IpAddr],
    pub dns_names: &'a [String],
    /// Unix seconds.
    pub now: i64,
}

/// Runs every check, in a fixed order.
pub fn verify(input: &VerifyInput<'_>) -> Vec<CheckResult> {
    vec![
        check_ca(input),
        check_chain(input),
        check_validity(input),
        check_ip_sans(input),
        check_dns_sans(input),
        check_key_match(input),
        check_key_usage(input),
        check_go_compat(input),
        check_strict(input),
    ]
}

/// A check result with the fields every check fills.
pub fn result(
    id: &str,
    title: &str,
    status: Status,
    observed: String,
    expected: &str,
    hint: &str,
) -> CheckResult {
    CheckResult {
        id: id.to_owned(),
        title: title.to_owned(),
        status,
        observed,
        expected: expected.to_owned(),
        hint: hint.to_owned(),
        reason: None,
    }
}

/// A skipped check: the input it needs was not given.
pub fn skipped(id: &str, title: &str, expected: &str, reason: &str) -> CheckResult {
    CheckResult {
        reason: Some(reason.to_owned()),
        ..result(id, title, Status::Skip, String::new(), expected, "")
    }
}

fn check_ca(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.ca";
    const TITLE: &str = "The CA is a usable root";
    const EXPECTED: &str = "self-signed, basicConstraints CA:TRUE critical, keyUsage keyCertSign, \
                            a subject key identifier, valid now";
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    for ca in input.ca {
        let name = &ca.subject;
        match ca.basic_constraints {
            Some((true, true)) => {}
            Some((true, false)) => warnings.push(format!(
                "{name}: basicConstraints not critical (Python 3.13 and openssl -x509_strict refuse it)"
            )),
            _ => failures.push(format!("{name}: not a CA (no basicConstraints CA:TRUE)")),
        }
        match ca.key_usage {
            Some(usage) if !usage.key_cert_sign => {
                failures.push(format!("{name}: keyUsage lacks keyCertSign"));
            }
            None => warnings.push(format!(
                "{name}: no keyUsage (Python 3.13 and openssl -x509_strict refuse it)"
            )),
            Some(_) => {}
        }
        if ca.subject_key_id.is_none() {
            warnings.push(format!(
                "{name}: no subject key identifier (openssl -x509_strict refuses it)"
            ));
        }
        if !ca.self_issued {
            warnings.push(format!(
                "{name}: not self-signed (issued by {}); OpenSSL trusts it only with -partial_chain",
                ca.issuer
            ));
        }
        if ca.not_after < input.now {
            failures.push(format!("{name}: expired on {}", format_time(ca.not_after)));
        } else if ca.not_before > input.now {
            failures.push(format!(
                "{name}: not valid before {}",
                format_time(ca.not_before)
            ));
        }
    }
    let summary = input
        .ca
        .iter()
        .map(|ca| format!("{} (until {})", ca.subject, format_time(ca.not_after)))
        .collect::<Vec<_>>()
        .join("; ");
    verdict(
        ID,
        TITLE,
        EXPECTED,
        failures,
        warnings,
        format!("{}: {summary}", input.ca_name),
        "make a proper CA (a self-signed certificate with CA:TRUE and keyCertSign) and verify against its certificate",
    )
}

fn check_chain(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.chain";
    const TITLE: &str = "The certificate chains to the CA";
    const EXPECTED: &str = "a path from the certificate to the CA, checked like Go and rustls do";
    let hint = format!(
        "sign the serving certificate with the CA in {} (or give the CA that signed it); \
         put the leaf first in {}, then any intermediates",
        input.ca_name, input.chain_name
    );
    let leaf = &input.chain[0];
    let observed_ok = format!(
        "{} → issued by {} → trusted via {}",
        leaf.subject, leaf.issuer, input.ca_name
    );
    match verify_chain(input.ca, input.chain, input.now) {
        Ok(()) => result(ID, TITLE, Status::Pass, observed_ok, EXPECTED, &hint),
        Err(
            error @ (webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }),
        ) => {
            // Tell a signature or profile problem from a validity one: verify again at a time
            // when every certificate of the chain is valid; cert.validity reports the dates.
            let start = input
                .chain
                .iter()
                .map(|cert| cert.not_before)
                .max()
                .unwrap_or(0);
            let end = input
                .chain
                .iter()
                .map(|cert| cert.not_after)
                .min()
                .unwrap_or(0);
            if start <= end {
                match verify_chain(input.ca, input.chain, start) {
                    Ok(()) => result(
                        ID,
                        TITLE,
                        Status::Pass,
                        format!("{observed_ok} (the dates fail: see cert.validity)"),
                        EXPECTED,
                        &hint,
                    ),
                    Err(error) => result(
                        ID,
                        TITLE,
                        Status::Fail,
                        webpki_reason(&error, input),
                        EXPECTED,
                        &hint,
                    ),
                }
            } else {
                result(
                    ID,
                    TITLE,
                    Status::Fail,
                    webpki_reason(&error, input),
                    EXPECTED,
                    &hint,
                )
            }
        }
        Err(error) => result(
            ID,
            TITLE,
            Status::Fail,
            webpki_reason(&error, input),
            EXPECTED,
            &hint,
        ),
    }
}

fn check_validity(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.validity";
    const TITLE: &str = "The certificate is valid now";
    let expected = format!(
        "notBefore in the past, notAfter more than {RENEW_WARNING_DAYS} days ahead, inside the CA's validity"
    );
    let hint = "issue a new certificate from the same CA (the hosts keep trusting it) and check the \
                clocks of the hosts";
    let leaf = &input.chain[0];
    let days = leaf.days_left(input.now);
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    for cert in input.chain {
        if cert.not_after < input.now {
            failures.push(format!(
                "{}: expired on {} ({} days ago)",
                cert.subject,
                format_time(cert.not_after),
                -cert.days_left(input.now)
            ));
        } else if cert.not_before > input.now {
            failures.push(format!(
                "{}: not valid yet: notBefore {} is in the future",
                cert.subject,
                format_time(cert.not_before)
            ));
        }
    }
    if failures.is_empty() && days < RENEW_WARNING_DAYS {
        warnings.push(format!("only {days} days left"));
    }
    if let Some(ca) = input.ca.iter().find(|ca| ca.subject == leaf.issuer)
        && leaf.not_after > ca.not_after
    {
        warnings.push(format!(
            "outlives its CA, which ends on {}",
            format_time(ca.not_after)
        ));
    }
    let observed = format!(
        "{} → {} ({days} days left)",
        format_time(leaf.not_before),
        format_time(leaf.not_after)
    );
    verdict(ID, TITLE, &expected, failures, warnings, observed, hint)
}

fn check_ip_sans(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.ip-san";
    const TITLE: &str = "Every host IP is an IP SAN";
    let expected = "each IP to check as an iPAddress SAN (Go and rustls never match an IP against the CN or a DNS SAN)";
    if input.host_ips.is_empty() {
        return skipped(ID, TITLE, expected, "no IP address to check was given");
    }
    let leaf = &input.chain[0];
    let mut failures = Vec::new();
    for ip in input.host_ips {
        if name_matches(leaf, &ServerName::from(*ip)) {
            continue;
        }
        let text = ip.to_string();
        let mut reason = format!("certificate not valid for IP {ip}");
        if leaf.dns_names.contains(&text) {
            reason.push_str(" (it is written as a DNS SAN, which Go ignores for IPs)");
        } else if leaf.common_name.as_deref() == Some(text.as_str()) {
            reason.push_str(" (it is only the CN, which Go ignores since 1.15)");
        }
        failures.push(reason);
    }
    let observed = format!("IP SANs: {}", list_or_none(&leaf.ip_addresses));
    let hint = "re-issue the certificate with each IP as an iPAddress SAN";
    if failures.is_empty() {
        result(ID, TITLE, Status::Pass, observed, expected, hint)
    } else {
        result(
            ID,
            TITLE,
            Status::Fail,
            format!("{}; {observed}", failures.join("; ")),
            expected,
            hint,
        )
    }
}

fn check_dns_sans(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.dns-san";
    const TITLE: &str = "Every name is a DNS SAN";
    let expected = "each name to check matched by a DNS SAN (wildcards allowed for one label)";
    if input.dns_names.is_empty() {
        return skipped(ID, TITLE, expected, "no DNS name to check was given");
    }
    let leaf = &input.chain[0];
    let mut missing = Vec::new();
    for name in input.dns_names {
        match ServerName::try_from(name.as_str()) {
            Ok(server_name @ ServerName::DnsName(_)) if name_matches(leaf, &server_name) => {}
            _ => missing.push(format!("certificate not valid for name {name}")),
        }
    }
    let observed = format!("DNS SANs: {}", list_or_none(&leaf.dns_names));
    let hint = "re-issue the certificate with each name as a DNS SAN";
    if missing.is_empty() {
        result(ID, TITLE, Status::Pass, observed, expected, hint)
    } else {
        result(
            ID,
            TITLE,
            Status::Fail,
            format!("{}; {observed}", missing.join("; ")),
            expected,
            hint,
        )
    }
}

fn check_key_match(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.key-match";
    const TITLE: &str = "The private key matches the certificate";
    const EXPECTED: &str = "the key's public half equals the certificate's public key";
    let Some((key, key_name)) = input.key else {
        return skipped(ID, TITLE, EXPECTED, "no private key was given");
    };
    let leaf = &input.chain[0];
    if material::key_matches(key, leaf) {
        result(
            ID,
            TITLE,
            Status::Pass,
            format!("{key_name} is the key of {}", input.chain_name),
            EXPECTED,
            "",
        )
    } else {
        result(
            ID,
            TITLE,
            Status::Fail,
            format!(
                "{key_name} does not match the certificate in {} ({})",
                input.chain_name, leaf.key_algorithm
            ),
            EXPECTED,
            "give the key that was made with this certificate, or make both again",
        )
    }
}

fn check_key_usage(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.key-usage";
    const TITLE: &str = "The usages fit a TLS server";
    const EXPECTED: &str = "no CA:TRUE; keyUsage digitalSignature (+ keyEncipherment for RSA); \
                            extendedKeyUsage serverAuth";
    let leaf = &input.chain[0];
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    if leaf.is_ca() {
        failures
            .push("the leaf has CA:TRUE (rustls refuses a CA as a server certificate)".to_owned());
    }
    match leaf.extended_key_usage {
        Some(eku) if !eku.server_auth && !eku.any => failures.push(
            "extendedKeyUsage lacks serverAuth (Go and rustls refuse it for a server)".to_owned(),
        ),
        None => warnings.push(
            "no extendedKeyUsage: Go and rustls accept it, but some clients require serverAuth"
                .to_owned(),
        ),
        Some(_) => {}
    }
    match leaf.key_usage {
        Some(usage)
            if !usage.digital_signature && !usage.key_encipherment && !usage.key_agreement =>
        {
            failures.push(format!(
                "keyUsage {} allows no TLS key exchange (OpenSSL refuses it)",
                usage.names().join(",")
            ));
        }
        Some(usage) if !usage.digital_signature => warnings.push(
            "keyUsage lacks digitalSignature: TLS 1.3 and ECDHE need it, OpenSSL clients refuse"
                .to_owned(),
        ),
        Some(usage)
            if matches!(leaf.key_algorithm, KeyAlgorithm::Ecdsa { .. })
                && usage.key_encipherment =>
        {
            warnings.push(
                "keyEncipherment on an EC key (RFC 5480 forbids it; some stacks refuse)".to_owned(),
            );
        }
        _ => {}
    }
    let usage = leaf
        .key_usage
        .map(|usage| usage.names().join(","))
        .unwrap_or_else(|| "(no keyUsage)".to_owned());
    let extended = match leaf.extended_key_usage {
        Some(eku) => {
            let mut names = Vec::new();
            if eku.server_auth {
                names.push("serverAuth");
            }
            if eku.client_auth {
                names.push("clientAuth");
            }
            if eku.any {
                names.push("anyExtendedKeyUsage");
            }
            if names.is_empty() {
                "(other purposes only)".to_owned()
            } else {
                names.join(",")
            }
        }
        None => "(no extendedKeyUsage)".to_owned(),
    };
    verdict(
        ID,
        TITLE,
        EXPECTED,
        failures,
        warnings,
        format!("keyUsage {usage}; extendedKeyUsage {extended}"),
        "re-issue the certificate with ironprep certs dex-tls, which writes these usages",
    )
}

fn check_go_compat(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.go-compat";
    const TITLE: &str = "Nothing that passes OpenSSL but fails Go";
    const EXPECTED: &str = "every name in the SAN, IPs as iPAddress entries, SHA-256 or better, \
                            RSA of 2048 bits or more";
    let leaf = &input.chain[0];
    let mut warnings = Vec::new();
    if !leaf.has_san_extension || (leaf.dns_names.is_empty() && leaf.ip_addresses.is_empty()) {
        warnings.push(format!(
            "names only in the CN ({}): Go says \"x509: certificate relies on legacy Common Name \
             field\", OpenSSL -verify_hostname still accepts it",
            leaf.common_name.as_deref().unwrap_or("empty")
        ));
    }
    let ips_as_dns = leaf.ips_written_as_dns();
    if !ips_as_dns.is_empty() {
        warnings.push(format!(
            "IP written as a DNS SAN ({}): Go and rustls never match it to an IP",
            ips_as_dns.join(", ")
        ));
    }
    if leaf.extended_key_usage.is_none() {
        warnings.push("missing extendedKeyUsage serverAuth".to_owned());
    }
    let mut failures = Vec::new();
    for cert in input.chain {
        if cert.signature_algorithm.contains("SHA1") || cert.signature_algorithm.contains("sha1") {
            failures.push(format!(
                "{}: SHA-1 signature (Go refuses it since 1.18)",
                cert.subject
            ));
        }
        if let KeyAlgorithm::Rsa { bits } = cert.key_algorithm
            && bits < 2048
        {
            failures.push(format!(
                "{}: RSA {bits} (rustls needs 2048 or more)",
                cert.subject
            ));
        }
    }
    verdict(
        ID,
        TITLE,
        EXPECTED,
        failures,
        warnings,
        format!(
            "SAN: {}; CN: {}",
            leaf.san_summary(),
            leaf.common_name.as_deref().unwrap_or("(none)")
        ),
        "re-issue the certificate with every DNS name and IP in the SAN (ironprep certs dex-tls does)",
    )
}

fn check_strict(input: &VerifyInput<'_>) -> CheckResult {
    const ID: &str = "cert.strict";
    const TITLE: &str = "Accepted by strict clients (openssl -x509_strict, Python 3.13)";
    const EXPECTED: &str = "v3 everywhere; the leaf's authority key identifier equals the CA's \
                            subject key identifier";
    let leaf = &input.chain[0];
    let mut warnings = Vec::new();
    for cert in input.chain.iter().chain(input.ca) {
        if cert.version != 3 {
            warnings.push(format!(
                "{}: X.509 v{} (rustls refuses anything but v3)",
                cert.subject, cert.version
            ));
        }
    }
    match &leaf.authority_key_id {
        None => warnings.push("the leaf has no authority key identifier".to_owned()),
        Some(aki) => {
            let issuer = input
                .chain
                .iter()
                .skip(1)
                .chain(input.ca)
                .find(|cert| cert.subject == leaf.issuer);
            if let Some(issuer) = issuer
                && let Some(ski) = &issuer.subject_key_id
                && ski != aki
            {
                warnings.push("the leaf's authority key identifier is not its issuer's subject key identifier".to_owned());
            }
        }
    }
    if leaf.has_san_extension && leaf.dns_names.is_empty() && leaf.ip_addresses.is_empty() {
        warnings.push("empty subjectAltName".to_owned());
    }
    verdict(
        ID,
        TITLE,
        EXPECTED,
        Vec::new(),
        warnings,
        format!(
            "leaf v{}, authority key identifier {}",
            leaf.version,
            if leaf.authority_key_id.is_some() {
                "present"
            } else {
                "absent"
            }
        ),
        "re-issue with ironprep certs dex-tls, which writes the identifiers strict clients need",
    )
}

/// `cert.secret`: the Secret manifest has the shape elemental-operator reads.
pub fn check_secret(
    secret: &ParsedSecret,
    secret_name: &str,
    ca_given_differs: bool,
) -> CheckResult {
    const ID: &str = "cert.secret";
    const TITLE: &str = "The Secret is the dex.tls elemental reads";
    let expected = format!(
        "Secret {NAMESPACE}/{DEX_TLS_SECRET} of type kubernetes.io/tls with tls.crt, tls.key and ca.crt"
    );
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    for key in ["tls.crt", "tls.key", "ca.crt"] {
        if !secret.data.contains_key(key) {
            failures.push(format!("no {key}"));
        }
    }
    if secret.name != DEX_TLS_SECRET {
        warnings.push(format!(
            "named {}, the AppRelease expects {DEX_TLS_SECRET}",
            secret.name
        ));
    }
    match secret.namespace.as_deref() {
        Some(NAMESPACE) => {}
        other => warnings.push(format!(
            "namespace {}, not {NAMESPACE}",
            other.unwrap_or("(none: kubectl's current one)")
        )),
    }
    if secret.secret_type.as_deref() != Some("kubernetes.io/tls") {
        warnings.push(format!(
            "type {}, not kubernetes.io/tls",
            secret.secret_type.as_deref().unwrap_or("(none: Opaque)")
        ));
    }
    if ca_given_differs {
        failures.push("its ca.crt is not the CA given".to_owned());
    }
    let keys: Vec<&str> = secret.data.keys().map(String::as_str).collect();
    verdict(
        ID,
        TITLE,
        &expected,
        failures,
        warnings,
        format!(
            "{secret_name}: Secret {}/{} type {} keys {}",
            secret.namespace.as_deref().unwrap_or("-"),
            secret.name,
            secret.secret_type.as_deref().unwrap_or("-"),
            keys.join(",")
        ),
        "write it with ironprep certs dex-tls, or kubectl create secret tls dex.tls -n cpaas-system \
         --cert tls.crt --key tls.key and add ca.crt",
    )
}

/// Verifies `chain` (leaf first) against `ca` as a TLS server certificate at `at` (Unix
/// seconds), without looking at names.
pub fn verify_chain(
    ca: &[CertificateFacts],
    chain: &[CertificateFacts],
    at: i64,
) -> Result<(), webpki::Error> {
    let anchors: Vec<TrustAnchor<'_>> = ca
        .iter()
        .map(|cert| webpki::anchor_from_trusted_cert(&cert.der))
        .collect::<Result<_, _>>()?;
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(webpki::Error::BadDer);
    };
    let leaf = webpki::EndEntityCert::try_from(&leaf.der)?;
    let intermediates: Vec<CertificateDer<'_>> =
        intermediates.iter().map(|cert| cert.der.clone()).collect();
    let time = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|_| ())
}

/// Whether the leaf is valid for this IP or DNS name, as rustls decides it.
pub fn name_matches(leaf: &CertificateFacts, name: &ServerName<'_>) -> bool {
    webpki::EndEntityCert::try_from(&leaf.der)
        .and_then(|cert| cert.verify_is_valid_for_subject_name(name))
        .is_ok()
}

/// A webpki verdict in the words of the seed's troubleshooting ("unknown authority", …).
fn webpki_reason(error: &webpki::Error, input: &VerifyInput<'_>) -> String {
    let leaf = &input.chain[0];
    match error {
        webpki::Error::UnknownIssuer => format!(
            "unknown authority: {} was issued by {}, which is not the CA in {} ({})",
            leaf.subject,
            leaf.issuer,
            input.ca_name,
            input
                .ca
                .iter()
                .map(|ca| ca.subject.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        webpki::Error::InvalidSignatureForPublicKey => format!(
            "bad signature: {} names the CA as issuer but was not signed by its key",
            leaf.subject
        ),
        other => describe_webpki_error(other),
    }
}

/// Short words for a webpki error.
pub fn describe_webpki_error(error: &webpki::Error) -> String {
    match error {
        webpki::Error::UnknownIssuer => "unknown authority".to_owned(),
        webpki::Error::CertExpired { not_after, .. } => {
            format!("expired on {}", format_time(unix_seconds(*not_after)))
        }
        webpki::Error::CertNotValidYet { not_before, .. } => {
            format!(
                "not valid yet (notBefore {})",
                format_time(unix_seconds(*not_before))
            )
        }
        webpki::Error::CertNotValidForName(context) => {
            format!(
                "certificate not valid for {}",
                describe_name(&context.expected)
            )
        }
        webpki::Error::CaUsedAsEndEntity => "the leaf is a CA (CA:TRUE)".to_owned(),
        webpki::Error::EndEntityUsedAsCa => "an issuer in the chain is not a CA".to_owned(),
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "extendedKeyUsage lacks serverAuth".to_owned()
        }
        webpki::Error::UnsupportedCertVersion => "not an X.509 v3 certificate".to_owned(),
        webpki::Error::InvalidSignatureForPublicKey => "bad signature".to_owned(),
        other => format!("{other:?}"),
    }
}

fn describe_name(name: &ServerName<'_>) -> String {
    match name {
        ServerName::IpAddress(ip) => format!("IP {}", IpAddr::from(*ip)),
        ServerName::DnsName(dns) => format!("name {}", dns.as_ref()),
        other => format!("{other:?}"),
    }
}

fn unix_seconds(time: UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}

fn list_or_none<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Fail when anything failed, else warn when anything warned, else pass; the problems lead
/// the observed text.
pub fn verdict(
    id: &str,
    title: &str,
    expected: &str,
    failures: Vec<String>,
    warnings: Vec<String>,
    observed: String,
    hint: &str,
) -> CheckResult {
    let status = if !failures.is_empty() {
        Status::Fail
    } else if !warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let problems: Vec<String> = failures.into_iter().chain(warnings).collect();
    let observed = if problems.is_empty() {
        observed
    } else {
        format!("{}; {observed}", problems.join("; "))
    };
    result(
        id,
        title,
        status,
        observed,
        expected,
        if status == Status::Pass { "" } else { hint },
    )
}
