//! Reading host firewall rules: `nft list ruleset` and nftables rule files, `iptables-save`
//! output and its saved files. The guide wants every host firewall off (seed 004, "Отключите
//! apparmor/selinux и брандмауэр"), and a firewall is whatever drops or rejects packets in a
//! filter chain, whichever tool put it there. Only the filter tables matter: NAT and mangle
//! rules do not drop traffic between nodes.

use std::fmt;

/// What one table filters: chains whose policy drops, and rules whose verdict drops or
/// rejects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// `inet filter`, `ip firewalld`, or for iptables `filter` (of `iptables`/`ip6tables`).
    pub name: String,
    pub drop_policies: Vec<String>,
    pub drop_rules: usize,
    pub reject_rules: usize,
}

impl Table {
    pub fn filters(&self) -> bool {
        !self.drop_policies.is_empty() || self.drop_rules > 0 || self.reject_rules > 0
    }
}

impl fmt::Display for Table {
    /// `table inet filter: policy drop on input, 2 drop rules, 1 reject rule`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.drop_policies.is_empty() {
            parts.push(format!("policy drop on {}", self.drop_policies.join(", ")));
        }
        let plural = |count: usize, word: &str| {
            format!("{count} {word} rule{}", if count == 1 { "" } else { "s" })
        };
        if self.drop_rules > 0 {
            parts.push(plural(self.drop_rules, "drop"));
        }
        if self.reject_rules > 0 {
            parts.push(plural(self.reject_rules, "reject"));
        }
        write!(f, "table {}: {}", self.name, parts.join(", "))
    }
}

/// The tables of a ruleset that filter, in the order they appear.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ruleset {
    pub tables: Vec<Table>,
}

impl Ruleset {
    /// The filtering tables of nft syntax: `nft list ruleset`, or an nftables rule file. Chains
    /// count when they are filter base chains (`type filter hook …`), or regular chains of a
    /// table that has one (what they jump to); `drop` and `reject` count as verdicts wherever
    /// they stand in a rule (also inside verdict maps).
    pub fn parse_nft(text: &str) -> Ruleset {
        struct Chain {
            name: String,
            base_type: Option<String>,
            policy_drop: bool,
            drops: usize,
            rejects: usize,
        }
        let mut tables: Vec<(String, Vec<Chain>)> = Vec::new();
        let mut depth = 0usize;
        let mut in_chain = false;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let opens = line.matches('{').count();
            let closes = line.matches('}').count();
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
                .filter(|word| !word.is_empty())
                .collect();
            match words.as_slice() {
                ["table", rest @ ..] if depth == 0 => {
                    let name = rest
                        .iter()
                        .take_while(|word| **word != "{")
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" ");
                    tables.push((name, Vec::new()));
                }
                ["chain", name, rest @ ..] if depth == 1 => {
                    if let Some((_, chains)) = tables.last_mut() {
                        // A chain may be written on one line: `chain input { type filter …; }`.
                        let base_type = rest
                            .windows(2)
                            .find(|pair| pair[0] == "type")
                            .map(|pair| pair[1].to_owned());
                        chains.push(Chain {
                            name: (*name).to_owned(),
                            base_type,
                            policy_drop: rest.windows(2).any(|pair| pair == ["policy", "drop"]),
                            drops: 0,
                            rejects: 0,
                        });
                        in_chain = true;
                    }
                }
                _ if in_chain && depth == 2 => {
                    if let Some(chain) = tables.last_mut().and_then(|(_, chains)| chains.last_mut())
                    {
                        if words.first() == Some(&"type") {
                            chain.base_type = words.get(1).map(|word| (*word).to_owned());
                            chain.policy_drop =
                                words.windows(2).any(|pair| pair == ["policy", "drop"]);
                        } else if words.first() != Some(&"policy") {
                            chain.drops += usize::from(words.contains(&"drop"));
                            chain.rejects += usize::from(words.contains(&"reject"));
                        } else if words.get(1) == Some(&"drop") {
                            chain.policy_drop = true;
                        }
                    }
                }
                _ => {}
            }
            depth = (depth + opens).saturating_sub(closes);
            if depth < 2 {
                in_chain = false;
            }
        }
        let tables = tables
            .into_iter()
            .filter(|(_, chains)| {
                chains
                    .iter()
                    .any(|chain| chain.base_type.as_deref() == Some("filter"))
            })
            .map(|(name, chains)| {
                let counted: Vec<&Chain> = chains
                    .iter()
                    .filter(|chain| matches!(chain.base_type.as_deref(), None | Some("filter")))
                    .collect();
                Table {
                    name,
                    drop_policies: counted
                        .iter()
                        .filter(|chain| chain.policy_drop)
                        .map(|chain| chain.name.clone())
                        .collect(),
                    drop_rules: counted.iter().map(|chain| chain.drops).sum(),
                    reject_rules: counted.iter().map(|chain| chain.rejects).sum(),
                }
            })
            .filter(Table::filters)
            .collect();
        Ruleset { tables }
    }

    /// The `*filter` table of `iptables-save` output or a saved file (`/etc/sysconfig/iptables`,
    /// `/etc/iptables/rules.v4`): built-in chains with a DROP policy, `-j DROP` and
    /// `-j REJECT` rules. `family` names the table (`iptables`, `ip6tables`).
    pub fn parse_iptables_save(text: &str, family: &str) -> Ruleset {
        let mut table = Table {
            name: format!("{family} filter"),
            ..Table::default()
        };
        let mut in_filter = false;
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('*') {
                in_filter = name == "filter";
                continue;
            }
            if !in_filter {
                continue;
            }
            if let Some(chain) = line.strip_prefix(':') {
                let mut fields = chain.split_whitespace();
                if let (Some(name), Some("DROP")) = (fields.next(), fields.next()) {
                    table.drop_policies.push(name.to_owned());
                }
                continue;
            }
            if line.starts_with("-A ") {
                let words: Vec<&str> = line.split_whitespace().collect();
                let target = words
                    .windows(2)
                    .find(|pair| pair[0] == "-j" || pair[0] == "--jump")
                    .map(|pair| pair[1]);
                match target {
                    Some("DROP") => table.drop_rules += 1,
                    Some("REJECT") => table.reject_rules += 1,
                    _ => {}
                }
            }
        }
        Ruleset {
            tables: if table.filters() {
                vec![table]
            } else {
                Vec::new()
            },
        }
    }

    /// The paths of nftables `include "…"` lines (literal paths only, not globs).
    pub fn nft_includes(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|line| {
                let line = line.split('#').next()?.trim();
                let path = line.strip_prefix("include")?.trim().trim_matches('"');
                (path.starts_with('/') && !path.contains(['*', '?', '['])).then(|| path.to_owned())
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    pub fn extend(&mut self, other: Ruleset) {
        self.tables.extend(other.tables);
    }
}

impl fmt::Display for Ruleset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables: Vec<String> = self.tables.iter().map(Table::to_string).collect();
        f.write_str(&tables.join("; "))
    }
}

#[cfg(test)]
pub mod fixtures {
    /// `nft list ruleset` of a RHEL 9 host whose administrator wrote an inet filter table
    /// (policy drop on input, a reject at the end), next to a NAT table that filters nothing.
    pub const NFT_RULESET: &str = "table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tct state invalid drop
\t\tiif \"lo\" accept
\t\ttcp dport 22 accept
\t\treject with icmpx type admin-prohibited
\t}

\tchain forward {
\t\ttype filter hook forward priority filter; policy accept;
\t}

\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t}
}
table ip nat {
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\toifname \"eth0\" masquerade
\t}
}
";

    /// `iptables-save` of a CentOS 7 host with iptables-services' stock rules.
    pub const IPTABLES_SAVE: &str =
        "# Generated by iptables-save v1.4.21 on Mon Jan  8 10:12:01 2024
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [52:5104]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -j REJECT --reject-with icmp-host-prohibited
COMMIT
# Completed on Mon Jan  8 10:12:01 2024
";
}

#[cfg(test)]
mod tests {
    use super::fixtures::{IPTABLES_SAVE, NFT_RULESET};
    use super::*;

    #[test]
    fn nft_filter_tables_with_policies_and_verdicts() {
        let ruleset = Ruleset::parse_nft(NFT_RULESET);
        assert_eq!(
            ruleset.tables,
            [Table {
                name: "inet filter".to_owned(),
                drop_policies: vec!["input".to_owned()],
                drop_rules: 1,
                reject_rules: 1,
            }]
        );
        assert_eq!(
            ruleset.to_string(),
            "table inet filter: policy drop on input, 1 drop rule, 1 reject rule"
        );
    }

    #[test]
    fn an_accepting_or_empty_ruleset_filters_nothing() {
        // Debian's stock /etc/nftables.conf: a filter table that accepts everything.
        let stock = "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter;\n\t}\n\tchain output {\n\t\ttype filter hook output priority filter;\n\t}\n}\n";
        assert!(Ruleset::parse_nft(stock).is_empty());
        assert!(Ruleset::parse_nft("").is_empty());
    }

    #[test]
    fn regular_chains_of_a_filter_table_count_and_nat_chains_do_not() {
        let text = "table ip firewalld {\n  chain filter_INPUT {\n    type filter hook input priority filter + 10; policy accept;\n    jump filter_INPUT_ZONES\n  }\n  chain filter_IN_public_deny {\n    ip saddr 10.0.0.0/8 drop\n    tcp dport vmap { 23 : drop, 25 : reject }\n  }\n}\ntable ip mangle {\n  chain pre {\n    type filter hook prerouting priority mangle; policy accept;\n  }\n  chain other {\n    type nat hook output priority -100;\n    drop\n  }\n}\n";
        let ruleset = Ruleset::parse_nft(text);
        assert_eq!(
            ruleset.to_string(),
            "table ip firewalld: 2 drop rules, 1 reject rule"
        );
    }

    #[test]
    fn iptables_save_counts_only_the_filter_table() {
        let ruleset = Ruleset::parse_iptables_save(IPTABLES_SAVE, "iptables");
        assert_eq!(ruleset.to_string(), "table iptables filter: 2 reject rules");
        let policy =
            "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
        assert_eq!(
            Ruleset::parse_iptables_save(policy, "ip6tables").to_string(),
            "table ip6tables filter: policy drop on INPUT, FORWARD"
        );
        assert!(
            Ruleset::parse_iptables_save("*nat\n-A X -j DROP\nCOMMIT\n", "iptables").is_empty()
        );
    }

    #[test]
    fn a_chain_on_one_line_is_read_too() {
        let text = "table ip filter {\n  chain INPUT { type filter hook input priority 0; policy drop; }\n}\n";
        assert_eq!(
            Ruleset::parse_nft(text).to_string(),
            "table ip filter: policy drop on INPUT"
        );
    }

    #[test]
    fn literal_includes_are_followed_and_globs_are_not() {
        let text = "#include \"/etc/nftables/main.nft\"\ninclude \"/etc/nftables/filter.nft\"\ninclude \"/etc/nftables/*.nft\"\n";
        assert_eq!(Ruleset::nft_includes(text), ["/etc/nftables/filter.nft"]);
    }
}
