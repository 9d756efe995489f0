//! A small Redfish client: typed `GET`s of the resources in [`super::resources`] and the few
//! writes `bmc boot` sends, over HTTPS with basic authentication.
//!
//! It is written for BMCs as they are: answers are read up to a bound (a BMC that streams
//! forever costs memory no more than [`MAX_BODY`]); a `503` or `429` is retried with backoff,
//! as Redfish services answer while busy; links are followed only on the same BMC (a link to
//! another host must never receive the password); and each failure becomes one
//! [`RedfishError`] that says which outcome the host gets.
//!
//! nv-redfish was evaluated first (0.22: CSDL-generated, strict schema types repaired per
//! platform by nv-redfish-quirks); it has no VirtualMedia, which both `bmc.virtual-media` and
//! `bmc boot` need, and its types reject the loose documents real BMCs send unless a repair
//! for that platform exists. This client reads leniently instead (see `resources`).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use ironprep_schema::HostOutcome;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::credentials::Password;
use super::resources::ErrorBody;
use super::target::BmcUrl;
use super::tls::{self, Observed, Trust};

/// The largest answer read from a BMC. Big BIOS attribute lists are tens of KiB.
pub const MAX_BODY: usize = 4 << 20;

/// Requests one BMC serves at a time: BMCs are small computers with few worker threads.
const PER_BMC_REQUESTS: usize = 4;

/// Attempts of a request a busy BMC answers with 503/429, backing off between them.
const BUSY_ATTEMPTS: u32 = 6;

/// The longest `Retry-After` honoured; a BMC asking for minutes is as good as down here.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum RedfishError {
    #[error("cannot reach the BMC: {0}")]
    Unreachable(String),
    #[error("{0}")]
    TlsUntrusted(String),
    #[error(
        "the BMC refused the login of user '{user}' (HTTP {status}): check --bmc-user and \
             the password"
    )]
    Auth { user: String, status: u16 },
    #[error("the BMC did not answer in time: {0}")]
    Timeout(String),
    #[error("{path}: HTTP {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        path: String,
        status: u16,
        message: Option<String>,
    },
    #[error("{path}: not a Redfish answer: {problem}")]
    Malformed { path: String, problem: String },
    #[error("{path}: the answer is larger than {MAX_BODY} bytes")]
    TooLarge { path: String },
    #[error("'{link}': {problem}")]
    Link { link: String, problem: &'static str },
}

impl RedfishError {
    /// The host outcome this error means when it ends a host.
    pub fn outcome(&self) -> HostOutcome {
        match self {
            RedfishError::Unreachable(_) => HostOutcome::Unreachable,
            RedfishError::TlsUntrusted(_) => HostOutcome::TlsUntrusted,
            RedfishError::Auth { .. } => HostOutcome::AuthFailed,
            RedfishError::Timeout(_) => HostOutcome::Timeout,
            RedfishError::Status { .. }
            | RedfishError::Malformed { .. }
            | RedfishError::TooLarge { .. }
            | RedfishError::Link { .. } => HostOutcome::InvalidReport,
        }
    }

    /// Whether the BMC as a whole is out of reach (login, TLS, network, time), as opposed to
    /// one resource or action failing.
    pub fn ends_the_host(&self) -> bool {
        matches!(
            self,
            RedfishError::Unreachable(_)
                | RedfishError::TlsUntrusted(_)
                | RedfishError::Auth { .. }
                | RedfishError::Timeout(_)
        )
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, RedfishError::Status { status: 404, .. })
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            RedfishError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An answer to a write.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    /// `Location`: the task monitor of a `202 Accepted`.
    pub location: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// A connection to one BMC.
pub struct Client {
    http: reqwest::Client,
    url: BmcUrl,
    user: String,
    password: Arc<Password>,
    observed: Arc<Observed>,
    requests: Semaphore,
}

impl Client {
    /// `timeout` bounds each request; the caller bounds the host as a whole.
    pub fn new(
        url: &BmcUrl,
        user: &str,
        password: Arc<Password>,
        trust: &Trust,
        timeout: Duration,
    ) -> Result<Client, RedfishError> {
        let observed = Arc::new(Observed::default());
        let tls = tls::client_config(trust, &url.host, &url.pin_name(), observed.clone())
            .map_err(|error| RedfishError::TlsUntrusted(format!("cannot set up TLS: {error}")))?;
        let origin = url.origin();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .no_proxy()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                // Only within the BMC: a redirect elsewhere would carry the password there.
                let same = attempt.url().origin().ascii_serialization() == origin;
                if same && attempt.previous().len() < 3 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .user_agent(concat!("ironprep/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| RedfishError::Unreachable(format!("cannot set up HTTP: {error}")))?;
        Ok(Client {
            http,
            url: url.clone(),
            user: user.to_owned(),
            password,
            observed,
            requests: Semaphore::new(PER_BMC_REQUESTS),
        })
    }

    /// A pin learned for this BMC during the run (accept-new).
    pub fn learned_pin(&self) -> Option<String> {
        self.observed
            .learned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// `GET` a resource as `T`.
    pub async fn get<T: DeserializeOwned>(&self, link: &str) -> Result<T, RedfishError> {
        let path = self.path_of(link)?;
        let reply = self.send(Method::GET, &path, None::<&()>).await?;
        if reply.status != 200 {
            return Err(self.status_error(&path, &reply));
        }
        parse(&path, &reply.body).map_err(|error| self.redacted(error))
    }

    /// `POST`/`PATCH` a body; `2xx` answers are returned, anything else is an error.
    pub async fn write<B: Serialize>(
        &self,
        method: Method,
        link: &str,
        body: &B,
        if_match: Option<&str>,
    ) -> Result<Reply, RedfishError> {
        let path = self.path_of(link)?;
        let reply = self.send_with(method, &path, Some(body), if_match).await?;
        if !(200..300).contains(&reply.status) {
            return Err(self.status_error(&path, &reply));
        }
        Ok(reply)
    }

    /// A raw `GET` for task monitors, whose answers are `202` while the task runs.
    pub async fn poll(&self, link: &str) -> Result<Reply, RedfishError> {
        let path = self.path_of(link)?;
        self.send(Method::GET, &path, None::<&()>).await
    }

    /// The path of a link on this BMC: an absolute path (`/redfish/…`, a task monitor such
    /// as `/taskmon/42`), or an absolute URL of this same BMC. Fragments (`…/Thermal#/Fans/0`)
    /// are dropped.
    pub fn path_of(&self, link: &str) -> Result<String, RedfishError> {
        let error = |problem| RedfishError::Link {
            link: link.chars().take(200).collect(),
            problem,
        };
        let link = link.split('#').next().unwrap_or_default();
        let path = if link.starts_with('/') {
            link.to_owned()
        } else {
            let url = reqwest::Url::parse(link).map_err(|_| error("not a Redfish link"))?;
            if url.origin().ascii_serialization() != self.url.origin() {
                return Err(error("the link leads off the BMC; it is not followed"));
            }
            url.path().to_owned()
        };
        if path.starts_with("//")
            || path
                .split('/')
                .any(|segment| segment == ".." || segment == ".")
            || path.chars().any(|c| c.is_control() || c == '?')
        {
            return Err(error("not a Redfish path"));
        }
        Ok(path)
    }

    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Reply, RedfishError> {
        self.send_with(method, path, body, None).await
    }

    /// One request, retried while the BMC answers busy.
    async fn send_with<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        if_match: Option<&str>,
    ) -> Result<Reply, RedfishError> {
        let mut delay = Duration::from_millis(500);
        for attempt in 1..=BUSY_ATTEMPTS {
            let reply = {
                // The semaphore is never closed, so acquiring only fails if it were.
                let _permit = self.requests.acquire().await.map_err(|_| {
                    RedfishError::Unreachable("the request queue was closed".to_owned())
                })?;
                self.once(method.clone(), path, body, if_match).await?
            };
            let busy = reply.status == 503 || reply.status == 429;
            if !busy || attempt == BUSY_ATTEMPTS {
                return Ok(reply);
            }
            tokio::time::sleep(reply.retry_after.unwrap_or(delay).min(MAX_RETRY_AFTER)).await;
            delay *= 2;
        }
        unreachable!("the loop returns on its last attempt")
    }

    async fn once<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        if_match: Option<&str>,
    ) -> Result<Reply, RedfishError> {
        let url = format!("{}{path}", self.url.origin());
        let mut request = self
            .http
            .request(method, &url)
            .basic_auth(&self.user, Some(self.password.expose()))
            .header(ACCEPT, "application/json")
            // The Redfish protocol version clients announce; some BMCs insist on it.
            .header("OData-Version", "4.0");
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|error| RedfishError::Malformed {
                path: path.to_owned(),
                problem: format!("cannot encode the request: {error}"),
            })?;
            request = request.header(CONTENT_TYPE, "application/json").body(json);
        }
        if let Some(etag) = if_match {
            request = request.header("If-Match", etag);
        }
        let mut response = request
            .send()
            .await
            .map_err(|error| self.transport_error(&error))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(RedfishError::Auth {
                user: self.user.clone(),
                status: status.as_u16(),
            });
        }
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|length| length > MAX_BODY as u64)
        {
            return Err(RedfishError::TooLarge {
                path: path.to_owned(),
            });
        }
        let delimited = response.content_length().is_some()
            || headers.get(reqwest::header::TRANSFER_ENCODING).is_some();
        let mut body = Vec::new();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                // A body that ends with the connection (HTTP/1.0, no Content-Length), closed
                // without TLS close_notify, as small web servers in BMCs do: what arrived is
                // the answer, and the JSON parser finds it out if it was cut short.
                Err(error) if !delimited && is_unexpected_eof(&error) => break,
                Err(error) => return Err(self.transport_error(&error)),
            };
            if body.len() + chunk.len() > MAX_BODY {
                return Err(RedfishError::TooLarge {
                    path: path.to_owned(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status: status.as_u16(),
            location: header_text(&headers, LOCATION),
            retry_after: header_text(&headers, RETRY_AFTER)
                .and_then(|text| text.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
            body,
        })
    }

    fn status_error(&self, path: &str, reply: &Reply) -> RedfishError {
        let message = serde_json::from_slice::<ErrorBody>(&reply.body)
            .ok()
            .and_then(|body| body.error)
            .and_then(|detail| detail.text());
        self.redacted(RedfishError::Status {
            path: path.to_owned(),
            status: reply.status,
            message,
        })
    }

    /// Errors quote what the BMC answered; a BMC that echoes the request must not make the
    /// password (or its basic-auth encoding) appear in a report.
    pub(super) fn redacted(&self, error: RedfishError) -> RedfishError {
        let secret = self.password.expose();
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{secret}", self.user).as_bytes());
        let clean = |text: String| {
            text.replace(secret, "<redacted>")
                .replace(&encoded, "<redacted>")
        };
        match error {
            RedfishError::Status {
                path,
                status,
                message,
            } => RedfishError::Status {
                path,
                status,
                message: message.map(clean),
            },
            RedfishError::Malformed { path, problem } => RedfishError::Malformed {
                path,
                problem: clean(problem),
            },
            other => other,
        }
    }

    /// Connection, TLS and timeout failures, with the root cause in words.
    fn transport_error(&self, error: &reqwest::Error) -> RedfishError {
        if let Some(reason) = self.observed.refusal() {
            return RedfishError::TlsUntrusted(reason);
        }
        let cause = root_cause(error);
        if error.is_timeout() {
            return RedfishError::Timeout(cause);
        }
        if let Some(tls) = rustls_error(error) {
            return RedfishError::Unreachable(format!("TLS handshake failed: {tls}"));
        }
        RedfishError::Unreachable(cause)
    }
}

fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Parses a JSON answer as `T`, saying what came instead when it is not JSON.
pub fn parse<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, RedfishError> {
    serde_json::from_slice(body).map_err(|error| {
        let start = String::from_utf8_lossy(&body[..body.len().min(40)])
            .trim()
            .replace(['\n', '\r'], " ");
        RedfishError::Malformed {
            path: path.to_owned(),
            problem: if body.is_empty() {
                "an empty answer".to_owned()
            } else if start.starts_with('<') {
                format!("HTML or XML instead of JSON ('{start}…')")
            } else {
                format!("malformed JSON ({error})")
            },
        }
    })
}

/// The innermost messages of an error chain, without the request URL reqwest puts first.
fn root_cause(error: &reqwest::Error) -> String {
    let mut messages: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !messages.iter().any(|known| known.contains(&text)) {
            messages.push(text);
        }
        source = cause.source();
    }
    if messages.is_empty() {
        return error.to_string();
    }
    messages.join(": ")
}

fn is_unexpected_eof(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

fn rustls_error(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls.to_string());
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        let url = BmcUrl {
            host: "10.0.0.21".to_owned(),
            port: 443,
        };
        Client::new(
            &url,
            "admin",
            Arc::new(Password::for_tests("hunter2")),
            &Trust::Insecure,
            Duration::from_secs(1),
        )
        .unwrap()
    }

    #[test]
    fn links_stay_on_the_bmc() {
        let client = client();
        assert_eq!(
            client.path_of("/redfish/v1/Systems/1").unwrap(),
            "/redfish/v1/Systems/1"
        );
        assert_eq!(
            client
                .path_of("https://10.0.0.21/redfish/v1/Systems/1#/x")
                .unwrap(),
            "/redfish/v1/Systems/1"
        );
        assert_eq!(client.path_of("/taskmon/42").unwrap(), "/taskmon/42");
        for link in [
            "https://10.0.0.99/redfish/v1/Systems/1",
            "https://10.0.0.21:8443/redfish/v1/Systems/1",
            "/redfish/v1/../../etc/passwd",
            "//10.0.0.99/redfish/v1",
            "/redfish/v1/Systems?$expand=*",
            "Systems/1",
        ] {
            assert!(client.path_of(link).is_err(), "{link}");
        }
    }

    #[test]
    fn non_json_answers_say_what_came() {
        let error = parse::<serde_json::Value>("/redfish/v1/", b"<!DOCTYPE html><html>")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "/redfish/v1/: not a Redfish answer: HTML or XML instead of JSON ('<!DOCTYPE html><html>…')"
        );
        let error = parse::<serde_json::Value>("/p", b"")
            .unwrap_err()
            .to_string();
        assert!(error.ends_with("an empty answer"), "{error}");
        let error = parse::<serde_json::Value>("/p", b"{\"a\": ")
            .unwrap_err()
            .to_string();
        assert!(error.contains("malformed JSON"), "{error}");
    }

    #[test]
    fn echoed_secrets_are_redacted_from_errors() {
        let client = client();
        let echoed = RedfishError::Status {
            path: "/redfish/v1/".to_owned(),
            status: 400,
            message: Some("bad header Basic YWRtaW46aHVudGVyMg== (hunter2)".to_owned()),
        };
        assert_eq!(
            client.redacted(echoed).to_string(),
            "/redfish/v1/: HTTP 400: bad header Basic <redacted> (<redacted>)"
        );
    }

    #[test]
    fn errors_map_to_host_outcomes() {
        let auth = RedfishError::Auth {
            user: "admin".to_owned(),
            status: 401,
        };
        assert_eq!(auth.outcome(), HostOutcome::AuthFailed);
        assert_eq!(
            RedfishError::TlsUntrusted(String::new()).outcome(),
            HostOutcome::TlsUntrusted
        );
        let status = RedfishError::Status {
            path: "/redfish/v1/Systems/9".to_owned(),
            status: 404,
            message: Some("not found".to_owned()),
        };
        assert!(status.is_not_found());
        assert_eq!(
            status.to_string(),
            "/redfish/v1/Systems/9: HTTP 404: not found"
        );
        assert_eq!(status.outcome(), HostOutcome::InvalidReport);
    }
}
