//! `net.resolv-search`: kubelet copies the host's search domains into every pod and adds the
//! cluster's own three. Past its limits pods fail to start or DNS lookups fail; within them
//! every short name still costs a query per domain, so the guide wants none at all.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::network::ResolvConf;

const PATH: &str = "/etc/resolv.conf";

/// kubelet's `domainCountLimit`; the cluster's search domains take three of them.
const DOMAIN_COUNT_LIMIT: usize = 32;
const CLUSTER_DOMAINS: usize = 3;
const MAX_DOMAIN_LENGTH: usize = 253;
/// kubelet's `MaxDNSSearchListChar`: all domains joined with spaces.
const MAX_SEARCH_LIST_CHARS: usize = 2048;

/// Domains shown in the observation before the rest are counted.
const SHOWN_DOMAINS: usize = 5;

pub struct NetResolvSearch;

impl Check for NetResolvSearch {
    fn id(&self) -> &'static str {
        "net.resolv-search"
    }

    fn title(&self) -> &'static str {
        "/etc/resolv.conf has no search domains"
    }

    fn hint(&self) -> &'static str {
        "remove the search/domain line from /etc/resolv.conf — RHEL/CentOS/Kylin: `nmcli \
         connection modify CONN ipv4.dns-search '' && nmcli connection up CONN`; Ubuntu: drop \
         'search:' from the netplan nameservers, then `netplan apply`; if domains are needed, keep \
         fewer than 29, each ≤ 253 characters, ≤ 2048 characters in all"
    }

    fn explain(&self) -> &'static str {
        "⚠️ (seed 004): resolv.conf should have no search domains; if they are needed, the \
         guide's limits apply — fewer than domainCountLimit - 3 (32 - 3) domains, each at most \
         253 characters, at most 2048 characters together. Search domains within the limits \
         are a warning (the guide prefers none, but allows them); over the limits the \
         condition is known to break pod DNS, so the check fails."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let expected = format!(
            "no search domains; if needed: fewer than {} domains, each ≤ {MAX_DOMAIN_LENGTH} \
             characters, ≤ {MAX_SEARCH_LIST_CHARS} characters in all",
            DOMAIN_COUNT_LIMIT - CLUSTER_DOMAINS
        );
        let Some(text) = host.read_optional(PATH)? else {
            return Ok(
                Observation::new("no /etc/resolv.conf, so no search domains", expected).into(),
            );
        };
        let conf = ResolvConf::parse(&text);
        // systemd-resolved writes `search .` for "none": the root domain adds nothing.
        let domains: Vec<&str> = conf
            .search
            .iter()
            .map(String::as_str)
            .filter(|domain| *domain != ".")
            .collect();
        let Some((line, keyword)) = conf.search_line.filter(|_| !domains.is_empty()) else {
            return Ok(Observation::new("no search domains", expected).into());
        };
        let problems = limit_problems(&domains);
        let total = domains.join(" ").chars().count();
        let mut shown = domains
            .iter()
            .take(SHOWN_DOMAINS)
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        if domains.len() > SHOWN_DOMAINS {
            shown.push_str(&format!(" … ({} more)", domains.len() - SHOWN_DOMAINS));
        }
        let count = domains.len();
        let verdict = if problems.is_empty() {
            "within kubelet's limits".to_owned()
        } else {
            format!("over kubelet's limits: {}", problems.join("; "))
        };
        let observed = format!(
            "{keyword} {shown} (line {line}): {count} domain{}, {total} characters, {verdict}",
            if count == 1 { "" } else { "s" }
        );
        Ok(Observation::new(observed, expected)
            .warn_if(true)
            .fail_if(!problems.is_empty())
            .into())
    }
}

/// Each kubelet limit the list breaks, in words.
fn limit_problems(domains: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let max_count = DOMAIN_COUNT_LIMIT - CLUSTER_DOMAINS;
    if domains.len() >= max_count {
        problems.push(format!(
            "{} domains (must be fewer than {max_count})",
            domains.len()
        ));
    }
    for domain in domains {
        let length = domain.chars().count();
        if length > MAX_DOMAIN_LENGTH {
            let start: String = domain.chars().take(20).collect();
            problems.push(format!(
                "'{start}…' is {length} characters (max {MAX_DOMAIN_LENGTH})"
            ));
        }
    }
    let total = domains.join(" ").chars().count();
    if total > MAX_SEARCH_LIST_CHARS {
        problems.push(format!(
            "{total} characters in all (max {MAX_SEARCH_LIST_CHARS})"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    fn check(resolv: &str) -> ironprep_schema::CheckResult {
        Tree::new()
            .file("etc/resolv.conf", resolv)
            .status(&NetResolvSearch)
    }

    #[test]
    fn no_search_line_passes() {
        let result = check("# Generated by NetworkManager\nnameserver 10.10.0.2\n");
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "no search domains");
    }

    #[test]
    fn systemd_resolved_root_domain_is_no_domain() {
        let result = check("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n");
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn the_guide_example_warns_within_the_limits() {
        let result = check("nameserver 10.10.0.2\nsearch domain1.com domain2.com domain3.com\n");
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "search domain1.com domain2.com domain3.com (line 2): 3 domains, 35 characters, \
             within kubelet's limits"
        );
    }

    #[test]
    fn the_last_of_search_and_domain_wins() {
        let result = check("search a.example b.example\ndomain corp.example.com\n");
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "domain corp.example.com (line 2): 1 domain, 16 characters, within kubelet's limits"
        );
    }

    #[test]
    fn over_the_limits_fails_and_every_broken_limit_is_named() {
        let many: Vec<String> = (1..=29).map(|n| format!("d{n}.example.com")).collect();
        let result = check(&format!("search {}\n", many.join(" ")));
        assert_status(&result, Status::Fail);
        assert!(
            result.observed.contains("… (24 more)")
                && result
                    .observed
                    .contains("over kubelet's limits: 29 domains (must be fewer than 29)"),
            "{}",
            result.observed
        );
        let long = format!("{}.example.com", "a".repeat(250));
        let problems = limit_problems(&[long.as_str(); 9]);
        assert_eq!(
            problems.len(),
            10,
            "nine long domains and the total: {problems:?}"
        );
        assert_eq!(problems[9], "2366 characters in all (max 2048)");
        assert!(limit_problems(&["a.example"; 28]).is_empty());
    }

    #[test]
    fn no_file_means_no_domains() {
        let result = Tree::new().status(&NetResolvSearch);
        assert_status(&result, Status::Pass);
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        let result = Tree::new().dir("etc/resolv.conf").status(&NetResolvSearch);
        assert_status(&result, Status::Error);
        assert!(
            result
                .reason
                .as_deref()
                .unwrap()
                .starts_with("/etc/resolv.conf: "),
            "{result:?}"
        );
    }
}
