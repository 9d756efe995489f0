//! `net.hostname`: the node name rules of the installation guide. Kubernetes node names are
//! DNS subdomains; the platform is stricter (36 characters) because it derives other names
//! from them.

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};

const MAX_LENGTH: usize = 36;

pub struct NetHostname;

impl Check for NetHostname {
    fn id(&self) -> &'static str {
        "net.hostname"
    }

    fn title(&self) -> &'static str {
        "hostname is a valid node name"
    }

    fn hint(&self) -> &'static str {
        "`hostnamectl set-hostname NAME` with at most 36 lowercase letters, digits, '-' and '.', \
         starting and ending with a letter or digit"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let hostname = host.read("/proc/sys/kernel/hostname")?.trim().to_owned();
        let problems = problems(&hostname);
        let observed = if problems.is_empty() {
            format!("'{hostname}'")
        } else {
            format!("'{hostname}': {}", problems.join("; "))
        };
        Ok(Observation::new(
            observed,
            "≤ 36 chars of [a-z0-9.-], alphanumeric at both ends, no '..', '.-' or '-.'",
        )
        .fail_if(!problems.is_empty())
        .into())
    }
}

/// Every rule the name breaks, in words.
fn problems(hostname: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if hostname.is_empty() {
        return vec!["empty".to_owned()];
    }
    let length = hostname.chars().count();
    if length > MAX_LENGTH {
        problems.push(format!("{length} characters, more than {MAX_LENGTH}"));
    }
    let invalid: String = hostname
        .chars()
        .filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
        .collect();
    if !invalid.is_empty() {
        let uppercase = invalid.chars().any(|c| c.is_ascii_uppercase());
        problems.push(format!(
            "characters not allowed: {}{}",
            invalid
                .chars()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(" "),
            if uppercase { " (uppercase)" } else { "" }
        ));
    }
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alphanumeric(hostname.chars().next()) || !alphanumeric(hostname.chars().last()) {
        problems.push("must start and end with a letter or digit".to_owned());
    }
    for sequence in ["..", ".-", "-."] {
        if hostname.contains(sequence) {
            problems.push(format!("contains '{sequence}'"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    fn check(name: &str) -> ironprep_schema::CheckResult {
        Tree::new()
            .file("proc/sys/kernel/hostname", &format!("{name}\n"))
            .status(&NetHostname)
    }

    #[test]
    fn valid_names_pass() {
        for name in ["node-1", "cp1.dc1.example.com", "a", "0ab", &"a".repeat(36)] {
            assert_status(&check(name), Status::Pass);
        }
    }

    #[test]
    fn each_rule_is_named() {
        let cases = [
            ("Node-1", "characters not allowed: 'N' (uppercase)"),
            ("node_1", "characters not allowed: '_'"),
            ("-node", "must start and end with a letter or digit"),
            ("node.", "must start and end with a letter or digit"),
            ("a..b", "contains '..'"),
            ("a.-b", "contains '.-'"),
            ("a-.b", "contains '-.'"),
        ];
        for (name, problem) in cases {
            let result = check(name);
            assert_status(&result, Status::Fail);
            assert!(
                result.observed.contains(problem),
                "{name}: {}",
                result.observed
            );
        }
        let long = check(&"a".repeat(37));
        assert!(
            long.observed.contains("37 characters, more than 36"),
            "{}",
            long.observed
        );
    }

    #[test]
    fn an_empty_hostname_fails() {
        let result = Tree::new()
            .file("proc/sys/kernel/hostname", "\n")
            .status(&NetHostname);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "'': empty");
    }
}
