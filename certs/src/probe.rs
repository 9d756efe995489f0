//! `ironprep certs probe`: connects to a TLS endpoint, verifies what it serves against one CA
//! only (no system roots) for the IP or name the hosts will use — the seed's
//! `openssl s_client -verify_return_error` — and shows what is served even when verification
//! fails, so that "the ALB still serves an older certificate" is visible.
//!
//! Synchronous (std `TcpStream` + rustls): the agent uses it too, and it must not need an async
//! runtime. rustls sends no SNI for an IP address (RFC 6066 forbids it); OpenSSL's
//! `-servername IP` does, so an endpoint that picks its certificate by SNI may answer the two
//! differently.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};

use crate::certificate::{CertificateFacts, format_time};

/// Where and how to probe.
#[derive(Clone, Debug)]
pub struct ProbeRequest {
    /// `https://IP:PORT[/path]`, `https://name`, or `IP:PORT`.
    pub target: String,
    /// The only trust anchors.
    pub ca: Vec<CertificateFacts>,
    /// The IP or name to verify for; the target's host when `None`.
    pub server_name: Option<String>,
    pub timeout: Duration,
}

/// Why there is no TLS verdict at all.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("invalid target '{0}': expected https://HOST[:PORT]")]
    Target(String),
    #[error("invalid server name '{0}': not an IP address or DNS name")]
    ServerName(String),
    #[error("the CA cannot be used as a trust anchor: {0}")]
    Anchor(String),
    #[error("cannot resolve {host}: {source}")]
    Resolve { host: String, source: io::Error },
    #[error("cannot connect to {address}: {source}")]
    Connect { address: String, source: io::Error },
    #[error("TLS with {address} failed before a certificate was served: {problem}")]
    Handshake { address: String, problem: String },
}

/// Why a served chain was not accepted.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Rejection {
    /// Worded as the seed's troubleshooting does ("unknown authority", …).
    #[error("{}", describe_rustls_error(error, verified_for))]
    Chain {
        error: rustls::Error,
        verified_for: String,
    },
    /// Shared: an outcome is cloned, an I/O error cannot be.
    #[error("handshake failed after the certificate verified: {0}")]
    Handshake(std::sync::Arc<io::Error>),
}

/// What the endpoint served and whether it verified.
#[derive(Clone, Debug)]
pub struct ProbeOutcome {
    pub address: SocketAddr,
    /// What the chain was verified for (`IP 10.0.0.5`, `name example.com`).
    pub verified_for: String,
    /// The chain as served, leaf first (may be empty if the server sent nothing parseable).
    pub served: Vec<CertificateFacts>,
    /// `Ok` when the chain verified and the handshake completed; the reason otherwise.
    pub verdict: Result<(), Rejection>,
    /// `TLSv1_3` and the cipher suite, once the handshake completed.
    pub protocol: Option<String>,
}

/// Host, port and the name to verify for, from the target text.
pub fn parse_target(target: &str) -> Result<(String, u16), ProbeError> {
    let bad = || ProbeError::Target(target.to_owned());
    let rest = match target.split_once("://") {
        Some(("https", rest)) => rest,
        Some(_) => return Err(bad()),
        None => target,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => port.parse::<u16>().map_err(|_| bad())?,
        None => 443,
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_owned(), port))
}

/// Connects, handshakes and reports. A certificate that does not verify is an `Ok` outcome
/// with a failed verdict; only "nothing to judge" (no connection, no certificate) is an error.
pub fn probe(request: &ProbeRequest) -> Result<ProbeOutcome, ProbeError> {
    let (host, port) = parse_target(&request.target)?;
    let name_text = request.server_name.clone().unwrap_or_else(|| host.clone());
    let server_name = server_name(&name_text)?;
    let verified_for = match &server_name {
        ServerName::IpAddress(ip) => format!("IP {}", IpAddr::from(*ip)),
        _ => format!("name {name_text}"),
    };
    let provider = Arc::new(crate::crypto::provider());
    let mut roots = RootCertStore::empty();
    for ca in &request.ca {
        roots
            .add(ca.der.clone())
            .map_err(|error| ProbeError::Anchor(format!("{}: {error}", ca.subject)))?;
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| ProbeError::Anchor(error.to_string()))?;
    let recorder = Arc::new(Recorder {
        inner,
        served: Mutex::new(Vec::new()),
        verdict: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ProbeError::Anchor(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();

    let address = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|source| ProbeError::Resolve {
            host: host.clone(),
            source,
        })?
        .next()
        .ok_or_else(|| ProbeError::Resolve {
            host: host.clone(),
            source: io::Error::other("no address"),
        })?;
    let connect_error = |source| ProbeError::Connect {
        address: address.to_string(),
        source,
    };
    let mut socket =
        TcpStream::connect_timeout(&address, request.timeout).map_err(connect_error)?;
    socket
        .set_read_timeout(Some(request.timeout))
        .and_then(|()| socket.set_write_timeout(Some(request.timeout)))
        .map_err(connect_error)?;
    let mut connection =
        ClientConnection::new(Arc::new(config), server_name.to_owned()).map_err(|error| {
            ProbeError::Handshake {
                address: address.to_string(),
                problem: error.to_string(),
            }
        })?;
    let mut handshake = Ok(());
    while connection.is_handshaking() {
        if let Err(error) = connection.complete_io(&mut socket) {
            handshake = Err(error);
            break;
        }
    }
    let served: Vec<CertificateFacts> = recorder
        .served
        .lock()
        .map(|served| served.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|der| CertificateFacts::parse(der).ok())
        .collect();
    let rejection = recorder
        .verdict
        .lock()
        .ok()
        .and_then(|mut verdict| verdict.take());
    let verdict = match (rejection, handshake) {
        (Some(error), _) => Err(Rejection::Chain {
            error,
            verified_for: verified_for.clone(),
        }),
        (None, Ok(())) => Ok(()),
        (None, Err(error)) if served.is_empty() => {
            return Err(ProbeError::Handshake {
                address: address.to_string(),
                problem: error.to_string(),
            });
        }
        (None, Err(error)) => Err(Rejection::Handshake(std::sync::Arc::new(error))),
    };
    let protocol = match (&verdict, connection.protocol_version()) {
        (Ok(()), Some(version)) => Some(match connection.negotiated_cipher_suite() {
            Some(suite) => format!("{version:?} {:?}", suite.suite()),
            None => format!("{version:?}"),
        }),
        _ => None,
    };
    if verdict.is_ok() {
        connection.send_close_notify();
        let _ = connection.complete_io(&mut socket);
    }
    Ok(ProbeOutcome {
        address,
        verified_for,
        served,
        verdict,
        protocol,
    })
}

/// A server name from text: an IP address, or a DNS name.
pub fn server_name(text: &str) -> Result<ServerName<'static>, ProbeError> {
    if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(ServerName::from(ip));
    }
    ServerName::try_from(text.to_owned()).map_err(|_| ProbeError::ServerName(text.to_owned()))
}

/// A rustls verdict in the seed's words ("unknown authority", "certificate not valid for IP x",
/// "expired").
pub fn describe_rustls_error(error: &rustls::Error, verified_for: &str) -> String {
    let rustls::Error::InvalidCertificate(error) = error else {
        return error.to_string();
    };
    match error {
        CertificateError::UnknownIssuer => {
            "unknown authority: the served chain does not lead to the given CA".to_owned()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let presented = match error {
                CertificateError::NotValidForNameContext { presented, .. }
                    if !presented.is_empty() =>
                {
                    format!(" (it is valid for {})", presented.join(", "))
                }
                _ => " (it has no SAN that matches)".to_owned(),
            };
            format!("certificate not valid for {verified_for}{presented}")
        }
        CertificateError::Expired => "expired".to_owned(),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "expired on {}",
            format_time(i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX))
        ),
        CertificateError::NotValidYet => "not valid yet".to_owned(),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "not valid yet (notBefore {})",
            format_time(i64::try_from(not_before.as_secs()).unwrap_or(i64::MAX))
        ),
        CertificateError::BadSignature => "bad signature: not signed by the given CA".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "extendedKeyUsage lacks serverAuth".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// Records the chain the server sent and the verdict of the WebPKI verifier it delegates to.
/// Shared with [`crate::endpoint`], which probes the same way and then speaks HTTP, and with the
/// controller's BMC client, which says why a BMC's certificate was refused.
#[derive(Debug)]
pub struct Recorder {
    pub(crate) inner: Arc<WebPkiServerVerifier>,
    pub(crate) served: Mutex<Vec<CertificateDer<'static>>>,
    pub(crate) verdict: Mutex<Option<rustls::Error>>,
}

impl Recorder {
    pub fn new(inner: Arc<WebPkiServerVerifier>) -> Recorder {
        Recorder {
            inner,
            served: Mutex::new(Vec::new()),
            verdict: Mutex::new(None),
        }
    }
}

impl Recorder {
    /// Why the last chain was refused, if it was.
    pub fn refusal(&self) -> Option<rustls::Error> {
        self.verdict.lock().ok().and_then(|verdict| verdict.clone())
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut served) = self.served.lock() {
            *served = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|cert| cert.clone().into_owned())
                .collect();
        }
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let (Err(error), Ok(mut slot)) = (&verdict, self.verdict.lock()) {
            *slot = Some(error.clone());
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_like_urls() {
        let parse = |text| parse_target(text).unwrap();
        assert_eq!(
            parse("https://10.0.0.5:12443"),
            ("10.0.0.5".to_owned(), 12443)
        );
        assert_eq!(
            parse("https://10.0.0.5/kubernetes/global"),
            ("10.0.0.5".to_owned(), 443)
        );
        assert_eq!(parse("10.0.0.5:8443"), ("10.0.0.5".to_owned(), 8443));
        assert_eq!(
            parse("https://[fd00::5]:12443/x"),
            ("fd00::5".to_owned(), 12443)
        );
        assert_eq!(
            parse("https://platform.example"),
            ("platform.example".to_owned(), 443)
        );
        for bad in [
            "http://10.0.0.5",
            "https://",
            "https://host:port",
            "https://[::1",
            "https://u@h",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_names_are_ips_or_dns_names() {
        assert!(matches!(
            server_name("10.0.0.5").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("[::1]").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("a.example").unwrap(),
            ServerName::DnsName(_)
        ));
        assert!(server_name("not a name").is_err());
    }
}
