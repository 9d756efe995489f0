//! `security.firewall` on a running kernel: the agent binary in a private network namespace
//! (`unshare --net`) where a real ruleset was loaded with `nft` or legacy `iptables`, so the
//! check reads live rules through its read-only queries. Only that namespace is changed; it
//! disappears with the shell.

use std::path::Path;
use std::process::Command;

use ironprep_schema::{AgentReport, Status};

const AGENT: &str = env!("CARGO_BIN_EXE_ironprep-agent");

/// Whether the tools exist and we may make a network namespace; CI (root, install-deps.sh)
/// must have them.
fn can_run(programs: &[&str]) -> bool {
    let present = programs.iter().all(|program| {
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .any(|directory| Path::new(directory).join(program).exists())
    });
    let root = nix_uid_is_root();
    if !(present && root) && std::env::var_os("CI").is_some() {
        panic!("CI needs root and {programs:?} (scripts/install-deps.sh)");
    }
    present && root
}

fn nix_uid_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .map(|ids| ids.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `setup` then the agent's firewall check inside a fresh network namespace.
fn firewall_in_namespace(setup: &str) -> ironprep_schema::CheckResult {
    let script = format!("set -e\n{setup}\nexec \"$0\" --only security.firewall --format json");
    let output = Command::new("unshare")
        .args(["--net", "sh", "-c", &script, AGENT])
        .output()
        .expect("unshare runs");
    let report: AgentReport = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not a report ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    report.checks.into_iter().next().expect("one check")
}

#[test]
fn a_live_nftables_ruleset_that_drops_fails_and_is_named() {
    if !can_run(&["unshare", "nft"]) {
        return;
    }
    let result = firewall_in_namespace(
        "nft add table inet acp_test\n\
         nft add chain inet acp_test input '{ type filter hook input priority 0; policy drop; }'\n\
         nft add rule inet acp_test input tcp dport 6443 reject",
    );
    assert_eq!(result.status, Status::Fail, "{result:#?}");
    assert!(
        result.observed.contains(
            "live nftables ruleset (nft list ruleset): table inet acp_test: policy drop on \
             input, 1 reject rule"
        ),
        "{}",
        result.observed
    );
    assert!(result.hint.contains("nft flush ruleset"), "{}", result.hint);
}

#[test]
fn a_live_ruleset_that_only_accepts_or_rewrites_addresses_passes() {
    if !can_run(&["unshare", "nft"]) {
        return;
    }
    let result = firewall_in_namespace(
        "nft add table ip acp_nat\n\
         nft add chain ip acp_nat post '{ type nat hook postrouting priority 100; }'\n\
         nft add rule ip acp_nat post masquerade\n\
         nft add table inet acp_open\n\
         nft add chain inet acp_open input '{ type filter hook input priority 0; policy accept; }'\n\
         nft add rule inet acp_open input tcp dport 22 accept",
    );
    assert_ne!(result.status, Status::Fail, "{result:#?}");
    assert!(
        !result.observed.contains("live nftables ruleset"),
        "{}",
        result.observed
    );
}

#[test]
fn legacy_iptables_rules_fail_and_are_named() {
    if !can_run(&["unshare", "iptables-legacy", "iptables-legacy-save"]) {
        return;
    }
    let result = firewall_in_namespace(
        "iptables-legacy -P INPUT DROP\n\
         iptables-legacy -A INPUT -p tcp --dport 2379 -j REJECT",
    );
    assert_eq!(result.status, Status::Fail, "{result:#?}");
    assert!(
        result.observed.contains(
            "live iptables rules (iptables-legacy-save -t filter): table iptables filter: \
             policy drop on INPUT, 1 reject rule"
        ),
        "{}",
        result.observed
    );
}
