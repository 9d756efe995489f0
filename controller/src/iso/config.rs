//! The registration configuration embedded in the ISO, read the way `elemental-register` reads
//! it. elemental-operator writes it from `MachineRegistration.GetClientRegistrationConfig`
//! (`api/v1beta1/machineregistration_types.go` at commit 57608bff): `elemental.registration`
//! with `url` (`status.registrationURL`, that is `<server-url>/elemental/registration/<token>`),
//! `ca-cert` (Rancher's `cacerts`), `emulate-tpm`, `emulated-tpm-seed`, `no-smbios` and `auth`,
//! marshalled by gopkg.in/yaml.v3 (the `yaml` tags of `api/v1beta1/types.go`). Other keys are
//! ignored, as the client ignores them.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
struct Document {
    #[serde(default)]
    elemental: Option<Elemental>,
}

#[derive(Debug, Default, Deserialize)]
struct Elemental {
    #[serde(default)]
    registration: Option<Registration>,
}

/// `elemental.registration`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Registration {
    #[serde(default)]
    pub url: Option<String>,
    /// A PEM text, or a path to a file on the live system (the client accepts both).
    #[serde(default, rename = "ca-cert")]
    pub ca_cert: Option<String>,
    #[serde(default, rename = "emulate-tpm")]
    pub emulate_tpm: Option<bool>,
    #[serde(default, rename = "emulated-tpm-seed")]
    pub emulated_tpm_seed: Option<i64>,
    #[serde(default, rename = "no-smbios")]
    pub no_smbios: Option<bool>,
    #[serde(default)]
    pub auth: Option<String>,
}

/// Why the embedded text is not a usable configuration.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("not UTF-8 text")]
    NotText,
    #[error("not YAML: {message}{}", location(*.line, *.column))]
    Yaml {
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
    #[error("no `elemental.registration` section")]
    NoRegistration,
}

fn location(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}

/// Parses the config; the caller names the file.
pub fn parse(bytes: &[u8]) -> Result<Registration, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ConfigError::NotText)?;
    let document: Option<Document> = serde_saphyr::from_str(text).map_err(|error| {
        let location = error.location();
        ConfigError::Yaml {
            line: location.as_ref().map(|location| location.line()),
            column: location.as_ref().map(|location| location.column()),
            message: error
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    })?;
    document
        .and_then(|document| document.elemental)
        .and_then(|elemental| elemental.registration)
        .ok_or(ConfigError::NoRegistration)
}

/// The parts of an `https://host[:port]/path` URL the checks judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationUrl {
    pub scheme: String,
    /// An IP address (without brackets) or a DNS name, lower-cased.
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl RegistrationUrl {
    pub fn parse(url: &str) -> Option<RegistrationUrl> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() || host.contains(['@', ' ']) {
            return None;
        }
        let default = if scheme == "https" { 443 } else { 80 };
        let port = match port {
            Some(port) => port.parse().ok()?,
            None => default,
        };
        Some(RegistrationUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path: path.to_owned(),
        })
    }

    /// The token after `/elemental/registration/`, when the path has that shape.
    pub fn token(&self) -> Option<&str> {
        self.path
            .strip_prefix("/elemental/registration/")
            .filter(|token| !token.is_empty() && !token.contains('/'))
    }
}

/// The URL with its token cut to four characters: the token registers machines, so it is
/// never printed whole.
pub fn redact(url: &str) -> String {
    const MARK: &str = "/elemental/registration/";
    match url.find(MARK) {
        Some(at) => {
            let start = at + MARK.len();
            let token = &url[start..];
            let shown: String = token.chars().take(4).collect();
            if token.chars().count() > 4 {
                format!("{}{shown}…", &url[..start])
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape gopkg.in/yaml.v3 writes (four-space indentation, block scalar for the CA).
    const WRITTEN: &str = "elemental:\n    registration:\n        url: https://192.168.10.5:12443/elemental/registration/jf8s9c2lq7\n        ca-cert: |\n            -----BEGIN CERTIFICATE-----\n            MIIB\n            -----END CERTIFICATE-----\n        emulate-tpm: true\n        emulated-tpm-seed: -1\n        auth: tpm\n";

    #[test]
    fn the_operator_shape_parses() {
        let registration = parse(WRITTEN.as_bytes()).unwrap();
        assert_eq!(
            registration.url.as_deref(),
            Some("https://192.168.10.5:12443/elemental/registration/jf8s9c2lq7")
        );
        assert!(registration.ca_cert.unwrap().starts_with("-----BEGIN"));
        assert_eq!(registration.emulate_tpm, Some(true));
        assert_eq!(registration.emulated_tpm_seed, Some(-1));
        assert_eq!(registration.no_smbios, None);
        assert_eq!(registration.auth.as_deref(), Some("tpm"));
    }

    #[test]
    fn broken_or_foreign_text_says_why_and_where() {
        let error = parse(b"elemental:\n  registration: [url\n").unwrap_err();
        let ConfigError::Yaml { line, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(line.is_some(), "{error}");
        assert_eq!(
            parse(b"#cloud-config\nusers: []\n").unwrap_err(),
            ConfigError::NoRegistration
        );
        assert_eq!(parse(b"\xff\xfe").unwrap_err(), ConfigError::NotText);
        assert_eq!(parse(b"").unwrap_err(), ConfigError::NoRegistration);
    }

    #[test]
    fn urls_split_and_tokens_are_redacted() {
        let url = RegistrationUrl::parse("https://[fd00::5]:12443/elemental/registration/abcdef")
            .unwrap();
        assert_eq!((url.host.as_str(), url.port), ("fd00::5", 12443));
        assert_eq!(url.token(), Some("abcdef"));
        let url =
            RegistrationUrl::parse("https://Platform.Example/elemental/registration/").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.token()),
            ("platform.example", 443, None)
        );
        assert!(RegistrationUrl::parse("no url").is_none());
        assert_eq!(
            redact("https://10.0.0.5:12443/elemental/registration/jf8s9c2lq7"),
            "https://10.0.0.5:12443/elemental/registration/jf8s…"
        );
    }
}
