//! `--limit`: Ansible's host patterns, so that the selection an operator already types for
//! `ansible-playbook --limit` picks the same hosts here. Terms are separated by `:` or `,`;
//! a plain term adds hosts, `&term` keeps only hosts also matched by it, `!term` removes
//! hosts. A term is a host or group name, a `*` wildcard over either, or `~REGEX` over host
//! names. Order of terms does not matter, as in Ansible: unions first, then intersections,
//! then exclusions.

use regex::Regex;

use super::inventory::InventoryHost;

/// A `--limit` pattern that cannot be used; nothing was contacted.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("--limit '{pattern}': bad regular expression '{regex}': {source}")]
    Regex {
        pattern: String,
        regex: String,
        source: Box<regex::Error>,
    },
    #[error("--limit '{pattern}': an empty term")]
    Empty { pattern: String },
    #[error("--limit '{pattern}' matches no host of the inventory")]
    NoMatch { pattern: String },
}

enum Term {
    Name(String),
    Regex(Regex),
}

impl Term {
    fn matches(&self, host: &InventoryHost) -> bool {
        match self {
            Term::Regex(regex) => regex.is_match(&host.name),
            Term::Name(pattern) => {
                let hit = |name: &str| {
                    if pattern.contains('*') {
                        super::known_hosts::wildcard(pattern.as_bytes(), name.as_bytes())
                    } else {
                        pattern == name
                    }
                };
                hit(&host.name)
                    || hit(&host.address)
                    || hit("all")
                    || host.groups.iter().flatten().any(|group| hit(group))
            }
        }
    }
}

/// The hosts `pattern` selects, in inventory order; selecting none is an error (a typing
/// error would otherwise "pass" with nothing checked).
pub fn select(pattern: &str, hosts: Vec<InventoryHost>) -> Result<Vec<InventoryHost>, LimitError> {
    let mut union = Vec::new();
    let mut intersect = Vec::new();
    let mut exclude = Vec::new();
    for raw in pattern.split([':', ',']) {
        let raw = raw.trim();
        let (list, text) = if let Some(rest) = raw.strip_prefix('&') {
            (&mut intersect, rest)
        } else if let Some(rest) = raw.strip_prefix('!') {
            (&mut exclude, rest)
        } else {
            (&mut union, raw)
        };
        if text.is_empty() {
            return Err(LimitError::Empty {
                pattern: pattern.to_owned(),
            });
        }
        let term = match text.strip_prefix('~') {
            Some(regex) => Term::Regex(Regex::new(regex).map_err(|source| LimitError::Regex {
                pattern: pattern.to_owned(),
                regex: regex.to_owned(),
                source: Box::new(source),
            })?),
            None => Term::Name(text.to_owned()),
        };
        list.push(term);
    }
    let selected: Vec<InventoryHost> = hosts
        .into_iter()
        .filter(|host| {
            // `&x` or `!x` alone applies to every host, as `all:&x` in Ansible.
            (union.is_empty() || union.iter().any(|term| term.matches(host)))
                && intersect.iter().all(|term| term.matches(host))
                && !exclude.iter().any(|term| term.matches(host))
        })
        .collect();
    if selected.is_empty() {
        return Err(LimitError::NoMatch {
            pattern: pattern.to_owned(),
        });
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::inventory;

    fn names(pattern: &str) -> Result<Vec<String>, LimitError> {
        let text = "[kube_control_plane]\ncp[1:3]\n[etcd]\ncp[1:3]\ne1\n[kube_node]\n\
                    w[1:2]\nweb ansible_host=10.0.0.9\n[calico_rr]\nrr1\n\
                    [k8s_cluster:children]\nkube_control_plane\nkube_node\ncalico_rr\n";
        let hosts = inventory::parse("hosts.ini", text).unwrap().hosts;
        select(pattern, hosts).map(|hosts| hosts.into_iter().map(|host| host.name).collect())
    }

    #[test]
    fn ansible_patterns_select_like_ansible() {
        assert_eq!(names("cp1").unwrap(), ["cp1"]);
        assert_eq!(names("kube_node").unwrap(), ["w1", "w2", "web"]);
        assert_eq!(names("cp1:w2").unwrap(), ["cp1", "w2"]);
        assert_eq!(names("cp1,w2").unwrap(), ["cp1", "w2"]);
        assert_eq!(names("etcd:!kube_control_plane").unwrap(), ["e1"]);
        assert_eq!(names("k8s_cluster:&etcd").unwrap(), ["cp1", "cp2", "cp3"]);
        assert_eq!(names("!k8s_cluster").unwrap(), ["e1"]);
        assert_eq!(names("w*").unwrap(), ["w1", "w2", "web"]);
        assert_eq!(
            names("kube_*:!cp2").unwrap(),
            ["cp1", "cp3", "w1", "w2", "web"]
        );
        assert_eq!(names("~^w[0-9]$").unwrap(), ["w1", "w2"]);
        assert_eq!(names("10.0.0.9").unwrap(), ["web"]);
        assert_eq!(names("all:!calico_rr:!etcd").unwrap(), ["w1", "w2", "web"]);
    }

    #[test]
    fn bad_patterns_are_errors_naming_the_pattern() {
        let error = names("nosuch").unwrap_err().to_string();
        assert!(error.contains("'nosuch' matches no host"), "{error}");
        let error = names("~w[").unwrap_err().to_string();
        assert!(error.contains("bad regular expression 'w['"), "{error}");
        let error = names("cp1::w1").unwrap_err().to_string();
        assert!(error.contains("an empty term"), "{error}");
    }
}
