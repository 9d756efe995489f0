//! The MachineInventory name each host will register as: elemental's own templating and
//! sanitisation, ported from elemental-operator at commit 57608bff, applied to the SMBIOS facts
//! of an ironprep fleet report.
//!
//! What the source does (and the tests below pin):
//! - `pkg/templater/templater.go` `replaceStringData`: each `${` up to the first `}` after it
//!   is a variable, a `/`-separated path into the data the client sent (`${System
//!   Information/UUID}` is the `UUID` line of dmidecode's `System Information` section); only
//!   string values count. A `${` without a closing `}` is kept as literal text there; here it
//!   is an error, since it is always a typo.
//! - `pkg/templater/random.go`: `${Random/UUID}`, `${Random/Hex/1..32}`, `${Random/Int/N}` are
//!   random per registration; any other `Random/UUID|Hex|Int` form fails the registration.
//! - `pkg/server/labeltmpl.go` `updateInventoryName`: a value the client did not send makes the
//!   name a random `m-<uuid>` (with only a warning in the operator's log); here it is an error.
//!   Then `sanitizeHostname`: every character outside `[0-9a-zA-Z.]` becomes `-`, runs of `-`
//!   collapse, characters that are not ASCII letters or digits are dropped from both ends, the
//!   result is cut to 58 bytes (after trimming, so it may end in `-` or `.` again), and it is
//!   lower-cased. An empty result fails the registration.
//!
//! The fleet report carries the SMBIOS system UUID and serial number (and the hostname, which
//! is not what the live ISO runs with); any other variable is an error naming the host.

use std::fmt;

use ironprep_schema::HostFacts;

/// elemental's limit on inventory names (`sanitize` in `pkg/server/labeltmpl.go`).
pub const MAX_NAME_BYTES: usize = 58;

/// A `machineName` template, split into text and variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    /// The path between `${` and `}`, split at `/`.
    Variable(Vec<String>),
}

/// Why a template cannot be used at all, for any host.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unbalanced `${{` at character {column}: no `}}` closes it (elemental would keep it as \
         literal text and sanitise it to `-`)"
    )]
    Unbalanced { column: usize },
    #[error(
        "`${{{path}}}` is not a valid random template (Random/UUID, Random/Hex/1-32 or \
         Random/Int/N): elemental-register fails every registration with it"
    )]
    InvalidRandom { path: String },
}

/// Why one host's name cannot be predicted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// The fleet report has no value for the variable on this host.
    Missing { variable: String },
    /// The variable is not one the fleet report carries.
    Unknown { variable: String },
    /// The value is chosen at boot (`${Random/…}`, the live system's hostname).
    Unpredictable { variable: String, why: &'static str },
    /// elemental-operator refuses the name: nothing is left after sanitising.
    Empty,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Missing { variable } => write!(
                f,
                "no value for `${{{variable}}}` in the fleet report (elemental would silently \
                 name the inventory m-<random uuid>)"
            ),
            NameProblem::Unknown { variable } => write!(
                f,
                "`${{{variable}}}` is not in the fleet report, which carries `${{{UUID}}}` and \
                 `${{{SERIAL}}}`"
            ),
            NameProblem::Unpredictable { variable, why } => {
                write!(
                    f,
                    "`${{{variable}}}` {why}: the name cannot be known before boot"
                )
            }
            NameProblem::Empty => write!(
                f,
                "the name is empty after elemental's sanitising: the registration fails with \
                 `invalid MachineInventory name`"
            ),
        }
    }
}

/// The variables the fleet report answers (the agent reads them from `/sys/class/dmi/id`,
/// which the kernel decodes as dmidecode does).
pub const UUID: &str = "System Information/UUID";
pub const SERIAL: &str = "System Information/Serial Number";

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut consumed = 0;
        while let Some(open) = rest.find("${") {
            let Some(close) = rest[open..].find('}') else {
                return Err(TemplateError::Unbalanced {
                    column: text[..consumed + open].chars().count() + 1,
                });
            };
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let inner = &rest[open + 2..open + close];
            let path: Vec<String> = inner.split('/').map(str::to_owned).collect();
            if let Some(problem) = invalid_random(&path) {
                return Err(problem);
            }
            parts.push(Part::Variable(path));
            consumed += open + close + 1;
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// Whether any variable comes from SMBIOS (`no-smbios: true` leaves them all unset).
    pub fn uses_smbios(&self) -> bool {
        self.variables().any(|path| {
            !matches!(
                path.first().map(String::as_str),
                Some(
                    "Random" | "System Data" | "Runtime" | "CPU" | "Memory" | "Network" | "Storage"
                )
            )
        })
    }

    pub fn variables(&self) -> impl Iterator<Item = &[String]> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable(path) => Some(path.as_slice()),
            Part::Text(_) => None,
        })
    }

    /// The name elemental-operator gives a host with these facts.
    pub fn expand(&self, facts: &HostFacts) -> Result<String, NameProblem> {
        let mut decoded = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => decoded.push_str(text),
                Part::Variable(path) => decoded.push_str(&value(path, facts)?),
            }
        }
        let name = sanitize_hostname(&decoded).to_lowercase();
        if name.is_empty() {
            return Err(NameProblem::Empty);
        }
        Ok(name)
    }
}

/// elemental's `isRandomTemplate` accepts `Random/UUID|Hex|Int…`; `randomTemplateToString`
/// then rejects every form but `Random/UUID`, `Random/Hex/1..32` and `Random/Int/1..`.
fn invalid_random(path: &[String]) -> Option<TemplateError> {
    let random = path.len() >= 2
        && path[0] == "Random"
        && matches!(path[1].as_str(), "UUID" | "Hex" | "Int");
    if !random {
        return None;
    }
    let number = |text: &str| text.parse::<i64>().ok();
    let valid = match (path[1].as_str(), path.len()) {
        ("UUID", 2) => true,
        ("Hex", 3) => number(&path[2]).is_some_and(|length| (1..=32).contains(&length)),
        ("Int", 3) => number(&path[2]).is_some_and(|max| max >= 1),
        _ => false,
    };
    (!valid).then(|| TemplateError::InvalidRandom {
        path: path.join("/"),
    })
}

fn value(path: &[String], facts: &HostFacts) -> Result<String, NameProblem> {
    let variable = path.join("/");
    let known = |value: &Option<String>| {
        value.clone().ok_or_else(|| NameProblem::Missing {
            variable: variable.clone(),
        })
    };
    match variable.as_str() {
        UUID => known(&facts.system_uuid),
        SERIAL => known(&facts.system_serial),
        "System Data/Runtime/Hostname" | "Runtime/Hostname" => Err(NameProblem::Unpredictable {
            variable,
            why: "is the live ISO's hostname, not the installed system's",
        }),
        _ if path.first().is_some_and(|first| first == "Random") => {
            Err(NameProblem::Unpredictable {
                variable,
                why: "is random at every registration",
            })
        }
        _ => Err(NameProblem::Unknown { variable }),
    }
}

/// `sanitizeHostname` of `pkg/server/labeltmpl.go`: `sanitize(s, [^0-9a-zA-Z.])`.
pub fn sanitize_hostname(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut collapsed = String::with_capacity(text.len());
    for character in text.chars() {
        let kept = if character.is_ascii_alphanumeric() || character == '.' {
            character
        } else {
            '-'
        };
        if kept == '-' && collapsed.ends_with('-') {
            continue;
        }
        collapsed.push(kept);
    }
    // Every character is ASCII now, so byte positions are character positions.
    let trimmed = collapsed
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    trimmed[..trimmed.len().min(MAX_NAME_BYTES)].to_owned()
}

/// A Kubernetes object name (DNS-1123 subdomain): what the API server accepts for the
/// MachineInventory elemental creates. elemental's cut to 58 bytes can end a name in `-` or
/// `.`, and `-.` can survive sanitising: such a host never registers.
/// The same rule is what Kubernetes applies to node names (RFC 1123), so it also judges the
/// hostnames of pool members.
pub fn valid_object_name(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(valid_label)
}

/// One DNS label: 1–63 lowercase letters, digits and `-`, not starting or ending with `-`.
pub fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(uuid: Option<&str>, serial: Option<&str>) -> HostFacts {
        HostFacts {
            system_uuid: uuid.map(str::to_owned),
            system_serial: serial.map(str::to_owned),
            ..HostFacts::default()
        }
    }

    fn name(template: &str, facts: &HostFacts) -> Result<String, NameProblem> {
        Template::parse(template).unwrap().expand(facts)
    }

    /// `TestBuildName` of `pkg/server/api_registration_test.go`, whose cases go through the
    /// label sanitiser (`_` allowed); the hostname sanitiser turns `_` into `-` as well.
    #[test]
    fn the_operators_sanitising_cases() {
        assert_eq!(sanitize_hostname("+check-sanitize!"), "check-sanitize");
        assert_eq!(
            sanitize_hostname(
                "VeryVeryVeryLongLabelValueThatWillBeCutTo58Chars-xxxxx-End|CUTFROMHERE"
            ),
            "VeryVeryVeryLongLabelValueThatWillBeCutTo58Chars-xxxxx-End"
        );
        assert_eq!(
            sanitize_hostname("double--dash--+-sanitized++--"),
            "double-dash-sanitized"
        );
        assert_eq!(
            sanitize_hostname("AllowedNotAlphaNumChars:_.NotTrailingBTW_."),
            "AllowedNotAlphaNumChars-.NotTrailingBTW"
        );
        assert_eq!(sanitize_hostname("+.!_-"), "");
        assert_eq!(sanitize_hostname(""), "");
        assert_eq!(sanitize_hostname("-"), "");
        // `TestUpdateInventoryName`: an empty value leaves a trailing dash, trimmed; `.-` alone
        // is nothing.
        assert_eq!(sanitize_hostname("machine-"), "machine");
        assert_eq!(sanitize_hostname(".-"), "");
        // `hostInfoFixture`'s broken CPU vendor: every non-ASCII character is one dash.
        assert_eq!(
            sanitize_hostname("-this_is@broken?TM-][{¬{$h4yh46Ŋ£$⅝ŋg46¬~{~←ħ¬"),
            "this-is-broken-TM-h4yh46-g46"
        );
    }

    #[test]
    fn names_are_cut_to_58_bytes_after_trimming_and_lower_cased() {
        let uuid = "4C4C4544-0042-3510-8052-B4C04F333732";
        let long = format!("global-control-plane-rack-07-{uuid}");
        let expanded = name(
            "global-control-plane-rack-07-${System Information/UUID}",
            &facts(Some(uuid), None),
        )
        .unwrap();
        assert_eq!(expanded, long[..58].to_lowercase());
        assert_eq!(expanded.len(), 58);
        // The cut falls on a dash: elemental keeps it, and the API server refuses the name.
        let dashed = name(
            "a-${System Information/Serial Number}",
            &facts(None, Some(&format!("{}-tail", "x".repeat(55)))),
        )
        .unwrap();
        assert!(dashed.ends_with('-'), "{dashed}");
        assert!(!valid_object_name(&dashed));
        assert!(valid_object_name("global-4c4c4544-0042"));
        assert!(!valid_object_name("a.-b"));
        assert!(!valid_object_name("a..b"));
    }

    #[test]
    fn seed_templates_expand_with_smbios_facts() {
        let host = facts(
            Some("4c4c4544-0042-3510-8052-b4c04f333732"),
            Some("FX8Q9K2"),
        );
        assert_eq!(
            name("global-${System Information/UUID}", &host).unwrap(),
            "global-4c4c4544-0042-3510-8052-b4c04f333732"
        );
        assert_eq!(
            name("Rack7_${System Information/Serial Number}", &host).unwrap(),
            "rack7-fx8q9k2"
        );
        // A serial with spaces and a placeholder value: sanitised, not refused.
        let placeholder = facts(None, Some("To Be Filled By O.E.M."));
        assert_eq!(
            name("w-${System Information/Serial Number}", &placeholder).unwrap(),
            "w-to-be-filled-by-o.e.m"
        );
    }

    #[test]
    fn values_the_report_lacks_are_errors_not_random_names() {
        let host = facts(None, Some("S1"));
        assert_eq!(
            name("g-${System Information/UUID}", &host),
            Err(NameProblem::Missing {
                variable: UUID.to_owned()
            })
        );
        assert!(matches!(
            name("g-${System Information/Manufacturer}", &host),
            Err(NameProblem::Unknown { .. })
        ));
        assert!(matches!(
            name("g-${}", &host),
            Err(NameProblem::Unknown { .. })
        ));
        assert!(matches!(
            name("g-${System Data/Runtime/Hostname}", &host),
            Err(NameProblem::Unpredictable { .. })
        ));
        assert!(matches!(
            name("g-${Random/Hex/6}", &host),
            Err(NameProblem::Unpredictable { .. })
        ));
        assert_eq!(
            name(
                "${System Information/Serial Number}.-",
                &facts(None, Some(""))
            ),
            Err(NameProblem::Empty)
        );
    }

    #[test]
    fn unbalanced_and_invalid_random_templates_are_refused() {
        assert_eq!(
            Template::parse("global-${System Information/UUID"),
            Err(TemplateError::Unbalanced { column: 8 })
        );
        assert_eq!(
            Template::parse("a${b}c${"),
            Err(TemplateError::Unbalanced { column: 7 })
        );
        assert!(Template::parse("plain-name").is_ok());
        // `}` before `${` is text, as in the operator.
        let template = Template::parse("}a${System Information/UUID}").unwrap();
        assert_eq!(template.expand(&facts(Some("AB"), None)).unwrap(), "aab");
        for bad in [
            "Random/Hex/0",
            "Random/Hex/33",
            "Random/Int/0",
            "Random/UUID/16",
            "Random/Int/x",
        ] {
            assert!(
                matches!(
                    Template::parse(&format!("${{{bad}}}")),
                    Err(TemplateError::InvalidRandom { .. })
                ),
                "{bad}"
            );
        }
        assert!(Template::parse("${Random/Custom}").is_ok());
        assert!(Template::parse("${Random/Hex/32}").is_ok());
    }

    #[test]
    fn smbios_use_is_known() {
        assert!(
            Template::parse("g-${System Information/UUID}")
                .unwrap()
                .uses_smbios()
        );
        assert!(!Template::parse("g-${Random/UUID}").unwrap().uses_smbios());
        assert!(!Template::parse("g").unwrap().uses_smbios());
    }
}
