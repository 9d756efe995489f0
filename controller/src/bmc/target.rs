//! Which BMCs to talk to: `--bmc URL,…` or the `bmc=` variable of inventory hosts (the same
//! inventory as for SSH, so one line describes a host's OS address and its BMC). A URL is
//! `https://HOST[:PORT][#SystemId]`; the fragment picks one system of a BMC that has several.
//!
//! URLs are checked before any BMC is contacted: only https (the password goes with every
//! request), no credentials inside the URL (they would end up in logs and reports), no paths
//! other than the Redfish root.

use std::path::Path;

use ironprep_schema::Role;

use crate::fleet::inventory::{self, InventoryHost};

/// Where a BMC answers: the origin of its Redfish service.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BmcUrl {
    /// A DNS name (lower-case) or an IP address, without brackets.
    pub host: String,
    pub port: u16,
}

impl BmcUrl {
    fn bracketed_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// `https://host[:port]`, for requests and reports.
    pub fn origin(&self) -> String {
        if self.port == 443 {
            format!("https://{}", self.bracketed_host())
        } else {
            format!("https://{}:{}", self.bracketed_host(), self.port)
        }
    }

    /// `host:port` (`[v6]:port`): the BMC's name in `bmc_known_hosts`.
    pub fn pin_name(&self) -> String {
        format!("{}:{}", self.bracketed_host(), self.port)
    }
}

/// One BMC to reach, with what the command line or inventory says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BmcTarget {
    /// The inventory host name, or the URL's host for `--bmc`.
    pub name: String,
    pub url: BmcUrl,
    /// The `#SystemId` fragment: only this system; `None`: every system of the BMC.
    pub system: Option<String>,
    /// `bmc_user=` of the inventory host.
    pub user: Option<String>,
    /// Roles from the inventory groups; empty when nobody said.
    pub roles: Vec<Role>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    Inventory(#[from] inventory::InventoryError),
    #[error("{origin}: {problem}")]
    Url { origin: String, problem: String },
    #[error("nothing to check: give --bmc URL,… or an inventory whose hosts carry bmc=URL")]
    Empty,
    #[error("{first} and {second} name the same BMC system {url}")]
    Duplicate {
        first: String,
        second: String,
        url: String,
    },
}

/// Parses one BMC URL. `origin` says where it came from (`--bmc`, `hosts.ini: host node-1`)
/// for the error; the error never repeats a URL that carries credentials.
pub fn parse_url(text: &str, origin: &str) -> Result<(BmcUrl, Option<String>), TargetError> {
    let error = |problem: String| TargetError::Url {
        origin: origin.to_owned(),
        problem,
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(error("empty BMC URL".to_owned()));
    }
    // The URL parser would silently drop tabs and newlines; refuse them (and every other
    // control character) instead of guessing what was meant.
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(error(
            "invalid BMC URL: control characters and spaces are not allowed (URL not shown)"
                .to_owned(),
        ));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|problem| {
        let shown = if trimmed.contains('@') {
            "(URL not shown: it may hold credentials)".to_owned()
        } else {
            format!("'{trimmed}'")
        };
        error(format!("invalid BMC URL {shown}: {problem}"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(error(
            "the BMC URL holds credentials: give the user with --bmc-user or bmc_user=, the \
             password with IRONPREP_BMC_PASSWORD or --bmc-password-file"
                .to_owned(),
        ));
    }
    if url.scheme() != "https" {
        return Err(error(format!(
            "'{trimmed}' is not https: the BMC password would cross the network in clear"
        )));
    }
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(host) => host.to_string().to_lowercase(),
        None => return Err(error(format!("'{trimmed}' names no host"))),
    };
    let path = url.path().trim_end_matches('/');
    if !path.is_empty() && path != "/redfish/v1" {
        return Err(error(format!(
            "'{trimmed}': a BMC URL has no path (the Redfish root /redfish/v1 is implied)"
        )));
    }
    if url.query().is_some() {
        return Err(error(format!("'{trimmed}': a BMC URL has no query")));
    }
    let system = match url.fragment() {
        None => None,
        Some("") => return Err(error(format!("'{trimmed}': empty #SystemId"))),
        Some(fragment) => Some(
            percent_decode(fragment)
                .ok_or_else(|| error(format!("'{trimmed}': malformed #SystemId")))?,
        ),
    };
    Ok((
        BmcUrl {
            host,
            port: url.port_or_known_default().unwrap_or(443),
        },
        system,
    ))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// `--bmc URL,…`: each BMC named by its host (and port, when not 443).
pub fn from_urls(urls: &[String]) -> Result<Vec<BmcTarget>, TargetError> {
    let mut targets = Vec::new();
    for text in urls.iter().filter(|text| !text.trim().is_empty()) {
        let (url, system) = parse_url(text, "--bmc")?;
        let name = if url.port == 443 {
            url.host.clone()
        } else {
            url.pin_name()
        };
        targets.push(BmcTarget {
            name,
            url,
            system,
            user: None,
            roles: Vec::new(),
        });
    }
    finish(targets)
}

/// The hosts of an inventory that carry `bmc=`; the others are left out with a warning (they
/// have an OS and are checked with `ironprep check`).
pub fn from_inventory(
    path: &Path,
    warn: &mut dyn FnMut(String),
) -> Result<Vec<BmcTarget>, TargetError> {
    let loaded = inventory::load(path)?;
    for warning in &loaded.warnings {
        warn(warning.clone());
    }
    let file = path.display().to_string();
    let mut targets = Vec::new();
    let mut without: Vec<&str> = Vec::new();
    for host in &loaded.hosts {
        let Some(bmc) = &host.bmc else {
            without.push(&host.name);
            continue;
        };
        targets.push(target_of(host, bmc, &file)?);
    }
    if !without.is_empty() && !targets.is_empty() {
        warn(format!(
            "{file}: {} host(s) without bmc= left out: {}",
            without.len(),
            without.join(", ")
        ));
    }
    finish(targets)
}

fn target_of(host: &InventoryHost, bmc: &str, file: &str) -> Result<BmcTarget, TargetError> {
    let (url, system) = parse_url(bmc, &format!("{file}: host {}: bmc", host.name))?;
    Ok(BmcTarget {
        name: host.name.clone(),
        url,
        system,
        user: host.bmc_user.clone(),
        roles: host.roles.clone(),
    })
}

fn finish(targets: Vec<BmcTarget>) -> Result<Vec<BmcTarget>, TargetError> {
    if targets.is_empty() {
        return Err(TargetError::Empty);
    }
    for (index, target) in targets.iter().enumerate() {
        if let Some(other) = targets[..index]
            .iter()
            .find(|other| other.url == target.url && other.system == target.system)
        {
            return Err(TargetError::Duplicate {
                first: other.name.clone(),
                second: target.name.clone(),
                url: target.url.origin(),
            });
        }
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_a_bmc_url_are_refused_not_dropped() {
        for url in [
            "https://10.0.0.21/\r\nX: 1",
            "https://10.0.\t0.21",
            "10.0.0.21\n/x",
        ] {
            let error = parse_url(url, "--bmc").unwrap_err().to_string();
            assert!(error.contains("control characters"), "{url:?}: {error}");
        }
    }

    #[test]
    fn urls_with_ports_fragments_and_ipv6() {
        let (url, system) = parse_url("https://10.0.0.21", "--bmc").unwrap();
        assert_eq!(
            (url.origin(), url.pin_name()),
            ("https://10.0.0.21".to_owned(), "10.0.0.21:443".to_owned())
        );
        assert_eq!(system, None);
        let (url, system) =
            parse_url("BMC-1.Example:8443/redfish/v1/#System.Embedded.1", "--bmc").unwrap();
        assert_eq!(url.origin(), "https://bmc-1.example:8443");
        assert_eq!(system.as_deref(), Some("System.Embedded.1"));
        let (url, _) = parse_url("https://[fd00::21]:8443#1", "--bmc").unwrap();
        assert_eq!(url.host, "fd00::21");
        assert_eq!(url.pin_name(), "[fd00::21]:8443");
        let (_, system) = parse_url("https://h#a%20b", "--bmc").unwrap();
        assert_eq!(system.as_deref(), Some("a b"));
    }

    #[test]
    fn unsafe_or_unusable_urls_are_refused_without_echoing_secrets() {
        let error = parse_url("https://admin:hunter2@10.0.0.21", "--bmc").unwrap_err();
        assert!(error.to_string().contains("holds credentials"), "{error}");
        assert!(!error.to_string().contains("hunter2"));
        let error = parse_url("https://admin:hunter2@[::1", "--bmc").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        for (text, problem) in [
            ("http://10.0.0.21", "is not https"),
            ("https://10.0.0.21/redfish/v1/Systems/1", "has no path"),
            ("https://10.0.0.21?x=1", "has no query"),
            ("https://10.0.0.21#", "empty #SystemId"),
            ("https://", "invalid BMC URL"),
            ("  ", "empty BMC URL"),
        ] {
            let error = parse_url(text, "hosts.ini: host n1: bmc")
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("hosts.ini: host n1: bmc: "), "{error}");
            assert!(error.contains(problem), "{text}: {error}");
        }
    }

    #[test]
    fn the_same_system_twice_is_an_input_error() {
        let urls = ["https://10.0.0.21".to_owned(), "10.0.0.21:443".to_owned()];
        let error = from_urls(&urls).unwrap_err().to_string();
        assert_eq!(
            error,
            "10.0.0.21 and 10.0.0.21 name the same BMC system https://10.0.0.21"
        );
        let two_systems = [
            "https://10.0.0.21#1".to_owned(),
            "https://10.0.0.21#2".to_owned(),
        ];
        assert_eq!(from_urls(&two_systems).unwrap().len(), 2);
        assert!(matches!(from_urls(&[]), Err(TargetError::Empty)));
    }

    #[test]
    fn inventory_hosts_carry_their_bmc_user_and_roles() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hosts.ini");
        std::fs::write(
            &path,
            "[kube_control_plane]\ncp1 ansible_host=10.0.1.1 bmc=https://10.0.0.21 bmc_user=admin\n\
             [kube_node]\nw1 bmc=10.0.0.22#1\nw2 ansible_host=10.0.1.3\n",
        )
        .unwrap();
        let mut warnings = Vec::new();
        let targets = from_inventory(&path, &mut |warning| warnings.push(warning)).unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].name, "cp1");
        assert_eq!(targets[0].user.as_deref(), Some("admin"));
        assert_eq!(targets[0].roles, vec![Role::ControlPlane]);
        assert_eq!(targets[1].system.as_deref(), Some("1"));
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].ends_with("1 host(s) without bmc= left out: w2"),
            "{warnings:?}"
        );
        std::fs::write(&path, "n1 bmc=http://10.0.0.21\n").unwrap();
        let error = from_inventory(&path, &mut |_| {}).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}: host n1: bmc: ", path.display())),
            "{error}"
        );
    }
}
