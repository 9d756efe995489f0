//! Inventories: the files people already have (Ansible INI and YAML, as Kubespray and most
//! installers use), ironprep's own small YAML, and a plain list of hosts. All become one list
//! of [`InventoryHost`]; errors name the file and, where the parser knows it, the line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use ironprep_schema::Role;
use serde::Deserialize;

/// One host to check, whatever the inventory format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryHost {
    /// The name people use (inventory hostname); unique within an inventory.
    pub name: String,
    /// Where to connect: `ansible_host`, `address`, else the name.
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub key_file: Option<PathBuf>,
    /// Empty when the inventory says nothing; the command line's roles apply then.
    pub roles: Vec<Role>,
    pub labels: BTreeMap<String, String>,
    /// `bmc=`: the host's BMC (Redfish URL), for `ironprep bmc`.
    pub bmc: Option<String>,
    /// `bmc_user=`: the BMC login.
    pub bmc_user: Option<String>,
    /// `ansible_ssh_common_args` then `ansible_ssh_extra_args`: their `-J`/`-o ProxyJump`.
    pub ssh_args: Option<String>,
    /// The Ansible groups the host is in, ancestors included (`all` and `ungrouped` left
    /// out); `None` for formats without groups (ironprep's own YAML, `--hosts`).
    pub groups: Option<Vec<String>>,
}

impl InventoryHost {
    pub fn named(name: &str) -> InventoryHost {
        InventoryHost {
            name: name.to_owned(),
            address: name.to_owned(),
            port: None,
            user: None,
            key_file: None,
            roles: Vec::new(),
            labels: BTreeMap::new(),
            bmc: None,
            bmc_user: None,
            ssh_args: None,
            groups: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub hosts: Vec<InventoryHost>,
    /// Things that were ignored (unknown group variables); shown, never fatal.
    pub warnings: Vec<String>,
    /// Kubespray's `[bastion]` host: the fleet is reached through it, it is not checked.
    pub bastion: Option<InventoryHost>,
}

/// A malformed inventory: the file, the line when known, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for InventoryError {}

/// Groups whose members get a role, as Kubespray, kubeadm-style and installer inventories
/// name them.
const ROLE_GROUPS: &[(&str, Role)] = &[
    ("kube_control_plane", Role::ControlPlane),
    ("kube-master", Role::ControlPlane),
    ("kube_master", Role::ControlPlane),
    ("control-plane", Role::ControlPlane),
    ("control_plane", Role::ControlPlane),
    ("masters", Role::ControlPlane),
    ("kube_node", Role::Worker),
    ("kube-node", Role::Worker),
    ("worker", Role::Worker),
    ("workers", Role::Worker),
    ("nodes", Role::Worker),
    ("installer", Role::Installer),
    ("bootstrap", Role::Installer),
    // Kubespray's etcd members; with kube_control_plane too a host gets both roles.
    ("etcd", Role::Etcd),
];

/// Groups of Kubespray's layout that give no role on purpose, with what to do about it.
/// `calico_rr` holds Calico's route reflectors: Kubespray joins them as nodes (its kubeadm
/// play runs on `k8s_cluster`, `calico_rr` a child of it) that run Calico's BGP as
/// reflectors. A dedicated reflector is often a small host that carries no workloads, so
/// holding it to a worker's sizing is the operator's call (`--role worker`), not a guess.
pub const ROLELESS_GROUPS: &[(&str, &str)] = &[(
    "calico_rr",
    "calico_rr holds Calico route reflectors, which Kubespray joins as nodes: put them in \
     kube_node too, or give --role worker",
)];

/// Kubespray's group for the SSH jump host (`roles/bastion-ssh-config`).
const BASTION_GROUP: &str = "bastion";

/// Variables ironprep reads; anything else in a group's vars is ignored with a warning.
const KNOWN_VARS: &[&str] = &[
    "ansible_host",
    "ansible_ssh_host",
    "ansible_port",
    "ansible_ssh_port",
    "ansible_user",
    "ansible_ssh_user",
    "ansible_ssh_private_key_file",
    "ansible_private_key_file",
    "bmc",
    "bmc_user",
    "ansible_ssh_common_args",
    "ansible_ssh_extra_args",
];

/// The largest inventory read: 100,000 hosts with their variables are a few MiB.
const MAX_INVENTORY_BYTES: u64 = 64 * 1024 * 1024;

/// Most (group, ancestor) and (host, group) pairs resolved: 100,000 hosts in 20 groups each.
/// Nesting makes them grow as the square of the file (a chain of n groups has n²/2), so the
/// file's size alone does not bound them.
const MAX_MEMBERSHIPS: usize = 2_000_000;

pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
    let file = path.display().to_string();
    let text = ironprep_input::read_to_string(path, MAX_INVENTORY_BYTES).map_err(|error| {
        InventoryError {
            file: file.clone(),
            line: None,
            message: format!("cannot read the inventory: {error}"),
        }
    })?;
    parse(&file, &text)
}

/// Parses by content: YAML when the first meaningful line looks like a YAML key or list,
/// else Ansible INI (which also covers a plain list of hosts, one per line).
pub fn parse(file: &str, text: &str) -> Result<Inventory, InventoryError> {
    // Windows editors start files with a byte-order mark; it is not part of `[all]`.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with(';'));
    let is_yaml = file.ends_with(".yaml")
        || file.ends_with(".yml")
        || first.is_some_and(|line| line == "---" || (line.ends_with(':') && !line.contains(' ')));
    let mut inventory = if is_yaml {
        parse_yaml(file, text)?
    } else {
        parse_ini(file, text)?
    };
    let mut seen = BTreeSet::new();
    for host in &inventory.hosts {
        if !seen.insert(host.name.as_str()) {
            return Err(InventoryError {
                file: file.to_owned(),
                line: None,
                message: format!("host '{}' is listed twice", host.name),
            });
        }
    }
    if inventory.hosts.is_empty() {
        return Err(InventoryError {
            file: file.to_owned(),
            line: None,
            message: "no hosts in the inventory".to_owned(),
        });
    }
    inventory.warnings.sort();
    inventory.warnings.dedup();
    Ok(inventory)
}

/// `a,b:2222,root@c` from `--hosts`.
pub fn from_list(hosts: &[String]) -> Result<Inventory, InventoryError> {
    let mut inventory = Inventory::default();
    for spec in hosts
        .iter()
        .map(|host| host.trim())
        .filter(|host| !host.is_empty())
    {
        inventory
            .hosts
            .push(plain_host(spec).map_err(|error| InventoryError {
                file: "--hosts".to_owned(),
                line: None,
                message: error.to_string(),
            })?);
    }
    if inventory.hosts.is_empty() {
        return Err(InventoryError {
            file: "--hosts".to_owned(),
            line: None,
            message: "no hosts given".to_owned(),
        });
    }
    Ok(inventory)
}

/// Why a `[user@]host[:port]` is not one.
#[derive(Debug, thiserror::Error)]
enum HostSpecError {
    #[error("'{0}': unclosed '['")]
    UnclosedBracket(String),
    #[error("'{spec}': bad port '{port}'")]
    BadPort { spec: String, port: String },
    #[error("'{0}': no host name")]
    NoName(String),
}

/// `[user@]host[:port]`, with `[v6]:port` for IPv6.
fn plain_host(spec: &str) -> Result<InventoryHost, HostSpecError> {
    let (user, rest) = match spec.rsplit_once('@') {
        Some((user, rest)) => (Some(user.to_owned()), rest),
        None => (None, spec),
    };
    let (address, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (address, after) = inner
            .split_once(']')
            .ok_or_else(|| HostSpecError::UnclosedBracket(spec.to_owned()))?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(parse_port(port).ok_or_else(|| HostSpecError::BadPort {
                spec: spec.to_owned(),
                port: port.to_owned(),
            })?),
            None => None,
        };
        (address.to_owned(), port)
    } else if rest.matches(':').count() == 1 {
        let (address, port) = rest.split_once(':').unwrap_or((rest, ""));
        let port = parse_port(port).ok_or_else(|| HostSpecError::BadPort {
            spec: spec.to_owned(),
            port: port.to_owned(),
        })?;
        (address.to_owned(), Some(port))
    } else {
        (rest.to_owned(), None)
    };
    if address.is_empty() {
        return Err(HostSpecError::NoName(spec.to_owned()));
    }
    let mut host = InventoryHost::named(&address);
    host.port = port;
    host.user = user;
    Ok(host)
}

fn parse_port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|port| *port != 0)
}

/// What an Ansible inventory says, before variables are resolved.
#[derive(Default)]
struct Groups {
    /// Host names in order of first appearance, with their own variables.
    hosts: Vec<(String, BTreeMap<String, String>)>,
    /// Host name → its index in `hosts`: a 100,000-host inventory stays linear.
    index: HashMap<String, usize>,
    /// Group → direct member hosts.
    members: BTreeMap<String, BTreeSet<String>>,
    /// Group → child groups.
    children: BTreeMap<String, BTreeSet<String>>,
    vars: BTreeMap<String, BTreeMap<String, String>>,
}

impl Groups {
    fn add_host(&mut self, group: &str, name: &str, vars: BTreeMap<String, String>) {
        match self.index.get(name) {
            Some(&at) => self.hosts[at].1.extend(vars),
            None => {
                self.index.insert(name.to_owned(), self.hosts.len());
                self.hosts.push((name.to_owned(), vars));
            }
        }
        self.members
            .entry(group.to_owned())
            .or_default()
            .insert(name.to_owned());
    }

    /// A `:children` cycle, as the path that closes it (`a → b → a`), if there is one.
    fn cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: HashMap<&str, Mark> = HashMap::new();
        for root in self.children.keys() {
            if marks.contains_key(root.as_str()) {
                continue;
            }
            // Iterative depth-first walk: the path is the stack of open groups.
            let mut path: Vec<&str> = vec![root];
            let mut pending: Vec<Vec<&str>> = vec![self.kids(root)];
            marks.insert(root, Mark::Open);
            while let Some(next) = pending.last_mut() {
                match next.pop() {
                    Some(kid) => match marks.get(kid) {
                        Some(Mark::Open) => {
                            let from = path.iter().position(|group| *group == kid).unwrap_or(0);
                            let mut cycle: Vec<String> = path[from..]
                                .iter()
                                .map(|group| (*group).to_owned())
                                .collect();
                            cycle.push(kid.to_owned());
                            return Some(cycle);
                        }
                        Some(Mark::Done) => {}
                        None => {
                            marks.insert(kid, Mark::Open);
                            path.push(kid);
                            pending.push(self.kids(kid));
                        }
                    },
                    None => {
                        pending.pop();
                        if let Some(done) = path.pop() {
                            marks.insert(done, Mark::Done);
                        }
                    }
                }
            }
        }
        None
    }

    fn kids(&self, group: &str) -> Vec<&str> {
        self.children
            .get(group)
            .map(|kids| kids.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Every group's ancestors (itself included) and depth below `all`, each group resolved
    /// once. Needs an acyclic graph ([`Groups::cycle`] first). `Err` when the ancestors add up
    /// to more than [`MAX_MEMBERSHIPS`]: a chain of n groups has n²/2 of them.
    fn ancestry(&self) -> Result<BTreeMap<String, (usize, BTreeSet<String>)>, usize> {
        let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut every: BTreeSet<&str> = BTreeSet::from(["all"]);
        for (parent, kids) in &self.children {
            every.insert(parent);
            for kid in kids {
                every.insert(kid);
                parents.entry(kid).or_default().push(parent);
            }
        }
        every.extend(self.members.keys().map(String::as_str));
        let mut resolved: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
        let mut memberships = 0_usize;
        for group in every {
            // Post-order walk up the parents, so a group is resolved after all of its own.
            let mut stack = vec![(group, false)];
            while let Some((current, parents_done)) = stack.pop() {
                if resolved.contains_key(current) {
                    continue;
                }
                let own_parents: &[&str] = parents.get(current).map_or(&[], Vec::as_slice);
                if !parents_done {
                    stack.push((current, true));
                    for parent in own_parents {
                        if !resolved.contains_key(*parent) {
                            stack.push((parent, false));
                        }
                    }
                    continue;
                }
                let mut ancestors = BTreeSet::from([current.to_owned()]);
                let mut depth = if current == "all" { 0 } else { 1 };
                for parent in own_parents {
                    if let Some((parent_depth, parent_ancestors)) = resolved.get(*parent) {
                        depth = depth.max(parent_depth + 1);
                        ancestors.extend(parent_ancestors.iter().cloned());
                    }
                }
                memberships += ancestors.len();
                if memberships > MAX_MEMBERSHIPS {
                    return Err(memberships);
                }
                resolved.insert(current.to_owned(), (depth, ancestors));
            }
        }
        Ok(resolved)
    }

    fn resolve(self, file: &str) -> Result<Inventory, InventoryError> {
        let mut inventory = Inventory::default();
        for (group, vars) in &self.vars {
            for name in vars
                .keys()
                .filter(|name| !KNOWN_VARS.contains(&name.as_str()))
            {
                inventory.warnings.push(format!(
                    "{file}: ignoring variable '{name}' of group '{group}' (ironprep reads only \
                     the connection variables)"
                ));
            }
        }
        if let Some(cycle) = self.cycle() {
            return Err(InventoryError {
                file: file.to_owned(),
                line: None,
                message: format!(
                    "the groups' children form a cycle: {} (a group cannot contain itself)",
                    cycle.join(" → ")
                ),
            });
        }
        let mut unused_host_vars = BTreeSet::new();
        for (_, own_vars) in &self.hosts {
            unused_host_vars.extend(
                own_vars
                    .keys()
                    .filter(|name| !KNOWN_VARS.contains(&name.as_str())),
            );
        }
        if !unused_host_vars.is_empty() {
            let names: Vec<String> = unused_host_vars
                .iter()
                .map(|name| format!("'{name}'"))
                .collect();
            inventory.warnings.push(format!(
                "{file}: ignoring host variables {} (ironprep reads only the connection \
                 variables)",
                names.join(", ")
            ));
        }
        let mut bastions = Vec::new();
        let too_many = |_| InventoryError {
            file: file.to_owned(),
            line: None,
            message: format!(
                "the groups nest too deeply or widely: more than {MAX_MEMBERSHIPS} group \
                 memberships to resolve (a real inventory has a few per host)"
            ),
        };
        let ancestry = self.ancestry().map_err(too_many)?;
        let mut memberships = 0_usize;
        let mut direct: HashMap<&str, Vec<&str>> = HashMap::new();
        for (group, members) in &self.members {
            for member in members {
                direct.entry(member).or_default().push(group);
            }
        }
        for (name, own_vars) in &self.hosts {
            // Every group of the host, ancestors included, shallowest (`all`) first so that
            // deeper groups' variables override.
            let mut found = BTreeSet::from(["all".to_owned()]);
            for group in direct.get(name.as_str()).into_iter().flatten() {
                if let Some((_, ancestors)) = ancestry.get(*group) {
                    found.extend(ancestors.iter().cloned());
                }
            }
            memberships += found.len();
            if memberships > MAX_MEMBERSHIPS {
                return Err(too_many(memberships));
            }
            let mut groups: Vec<(usize, String)> = found
                .into_iter()
                .map(|group| (ancestry.get(&group).map_or(1, |(depth, _)| *depth), group))
                .collect();
            groups.sort();
            let mut vars: BTreeMap<&str, &str> = BTreeMap::new();
            for (_, group) in &groups {
                if let Some(group_vars) = self.vars.get(group) {
                    vars.extend(group_vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                }
            }
            vars.extend(own_vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let var = |names: &[&str]| names.iter().find_map(|name| vars.get(name).copied());
            let mut host = InventoryHost::named(name);
            if let Some(address) = var(&["ansible_host", "ansible_ssh_host"]) {
                host.address = address.to_owned();
            }
            if let Some(port) = var(&["ansible_port", "ansible_ssh_port"]) {
                host.port = Some(parse_port(port).ok_or_else(|| InventoryError {
                    file: file.to_owned(),
                    line: None,
                    message: format!("host '{name}': ansible_port '{port}' is not a TCP port"),
                })?);
            }
            host.user = var(&["ansible_user", "ansible_ssh_user"]).map(str::to_owned);
            host.key_file = var(&["ansible_ssh_private_key_file", "ansible_private_key_file"])
                .map(PathBuf::from);
            host.bmc = var(&["bmc"]).map(str::to_owned);
            host.bmc_user = var(&["bmc_user"]).map(str::to_owned);
            let ssh_args: Vec<&str> = ["ansible_ssh_common_args", "ansible_ssh_extra_args"]
                .iter()
                .filter_map(|name| vars.get(name).copied())
                .collect();
            host.ssh_args = (!ssh_args.is_empty()).then(|| ssh_args.join(" "));
            for (_, group) in &groups {
                for (role_group, role) in ROLE_GROUPS {
                    if group == role_group && !host.roles.contains(role) {
                        host.roles.push(*role);
                    }
                }
            }
            host.roles.sort();
            let groups: Vec<String> = groups
                .into_iter()
                .map(|(_, group)| group)
                .filter(|group| group != "all" && group != "ungrouped")
                .collect();
            let is_bastion = groups.iter().any(|group| group == BASTION_GROUP);
            host.groups = Some(groups);
            if is_bastion {
                bastions.push(host);
            } else {
                inventory.hosts.push(host);
            }
        }
        if bastions.len() > 1 {
            let names: Vec<&str> = bastions.iter().map(|host| host.name.as_str()).collect();
            return Err(InventoryError {
                file: file.to_owned(),
                line: None,
                message: format!(
                    "the '{BASTION_GROUP}' group lists {} hosts ({}); the fleet is reached \
                     through one",
                    bastions.len(),
                    names.join(", ")
                ),
            });
        }
        inventory.bastion = bastions.pop();
        Ok(inventory)
    }
}

/// Ansible's INI format: `[group]`, `[group:vars]`, `[group:children]`, host lines with
/// `key=value` variables, `host:port`, and numeric ranges such as `node[01:20]`.
fn parse_ini(file: &str, text: &str) -> Result<Inventory, InventoryError> {
    enum Section {
        Hosts(String),
        Vars(String),
        Children(String),
    }
    let error = |line: usize, message: String| InventoryError {
        file: file.to_owned(),
        line: Some(line),
        message,
    };
    let mut groups = Groups::default();
    let mut expanded = 0_usize;
    let mut section = Section::Hosts("ungrouped".to_owned());
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        // `[group]` is a section; `[fd00::3]:22` is a host.
        let is_host_address = line.starts_with('[') && line.contains("]:");
        if let Some(header) = line.strip_prefix('[').filter(|_| !is_host_address) {
            let header = header
                .strip_suffix(']')
                .ok_or_else(|| error(number, format!("unclosed section header '{line}'")))?;
            section = match header.split_once(':') {
                None => Section::Hosts(header.to_owned()),
                Some((group, "vars")) => Section::Vars(group.to_owned()),
                Some((group, "children")) => Section::Children(group.to_owned()),
                Some((_, other)) => {
                    return Err(error(
                        number,
                        format!("unknown section kind ':{other}' (valid: :vars, :children)"),
                    ));
                }
            };
            if let Section::Hosts(group) = &section {
                groups.members.entry(group.clone()).or_default();
            }
            continue;
        }
        match &section {
            Section::Vars(group) => {
                let (key, value) = line
                    .split_once('=')
                    .ok_or_else(|| error(number, format!("expected key=value, found '{line}'")))?;
                groups
                    .vars
                    .entry(group.clone())
                    .or_default()
                    .insert(key.trim().to_owned(), unquote(value.trim()));
            }
            Section::Children(group) => {
                if line.split_whitespace().count() != 1 {
                    return Err(error(
                        number,
                        format!("expected a group name, found '{line}'"),
                    ));
                }
                groups
                    .children
                    .entry(group.clone())
                    .or_default()
                    .insert(line.to_owned());
            }
            Section::Hosts(group) => {
                let words = split_words(line).map_err(|cause| error(number, cause.to_string()))?;
                let mut words = words.into_iter();
                let pattern = words.next().unwrap_or_default();
                let mut vars = BTreeMap::new();
                for word in words {
                    let (key, value) = word.split_once('=').ok_or_else(|| {
                        error(
                            number,
                            format!("expected key=value after the host, found '{word}'"),
                        )
                    })?;
                    vars.insert(key.to_owned(), unquote(value));
                }
                let specs =
                    expand_range(&pattern).map_err(|cause| error(number, cause.to_string()))?;
                // Each line is capped, but lines add up: 4,000 lines of `a[0:315]b[0:315]`
                // are 64 KiB and 400 million names, each with a copy of the line's variables.
                expanded = expanded.saturating_add(specs.len().saturating_mul(vars.len() + 1));
                if expanded > MAX_EXPANDED {
                    return Err(error(
                        number,
                        format!(
                            "the inventory expands to more than {MAX_EXPANDED} hosts and host \
                             variables by this line (ranges on many lines?)"
                        ),
                    ));
                }
                for spec in specs {
                    let host =
                        plain_host(&spec).map_err(|cause| error(number, cause.to_string()))?;
                    let mut host_vars = vars.clone();
                    if let Some(port) = host.port {
                        host_vars
                            .entry("ansible_port".to_owned())
                            .or_insert(port.to_string());
                    }
                    if let Some(user) = host.user {
                        host_vars.entry("ansible_user".to_owned()).or_insert(user);
                    }
                    groups.add_host(group, &host.name, host_vars);
                }
            }
        }
    }
    groups.resolve(file)
}

/// Splits on whitespace, keeping quoted values (`a="b c"`) together.
fn split_words(line: &str) -> Result<Vec<String>, LineError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for character in line.chars() {
        match (quote, character) {
            (None, '#') if word.is_empty() => break,
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '"' | '\'') => {
                quote = Some(character);
                word.push(character);
            }
            (Some(open), c) if c == open => {
                quote = None;
                word.push(character);
            }
            _ => word.push(character),
        }
    }
    if quote.is_some() {
        return Err(LineError::UnclosedQuote(line.to_owned()));
    }
    if !word.is_empty() {
        words.push(word);
    }
    Ok(words)
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.to_owned();
        }
    }
    value.to_owned()
}

/// The most hosts one inventory line may expand to: ranges multiply (`n[0:9999]x[0:9999]` is
/// 10⁸ names from 18 bytes), and no fleet checked from one controller is near this size.
const MAX_HOSTS_PER_LINE: usize = 100_000;

/// The most (host name, variable) pairs all lines together may expand to: 200,000 hosts with
/// nine variables each.
const MAX_EXPANDED: usize = 2_000_000;

/// What is wrong with the words or host ranges of an INI line (the file and line are attached
/// by [`InventoryError`]).
#[derive(Debug, thiserror::Error)]
enum LineError {
    #[error("unclosed quote in '{0}'")]
    UnclosedQuote(String),
    #[error("unclosed '[' in '{0}'")]
    UnclosedBracket(String),
    #[error("bad range [{range}] in '{pattern}'")]
    BadRange { range: String, pattern: String },
    #[error(
        "'{pattern}' expands to {count} hosts; one line may give at most {MAX_HOSTS_PER_LINE} \
         (split the ranges over several lines or groups)"
    )]
    TooManyHosts { pattern: String, count: usize },
}

/// `node[01:03]` → node01, node02, node03 (Ansible keeps the leading zeros).
fn expand_range(pattern: &str) -> Result<Vec<String>, LineError> {
    let mut count: usize = 1;
    let mut rest = pattern;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|at| at + open) else {
            break;
        };
        if let Some((from, to)) = rest[open + 1..close].split_once(':')
            && let (Ok(start), Ok(end)) = (from.parse::<u64>(), to.parse::<u64>())
            && end >= start
        {
            let size = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
            count = count.saturating_mul(size);
        }
        rest = &rest[close + 1..];
    }
    if count > MAX_HOSTS_PER_LINE {
        return Err(LineError::TooManyHosts {
            pattern: pattern.to_owned(),
            count,
        });
    }
    expand_ranges(pattern)
}

fn expand_ranges(pattern: &str) -> Result<Vec<String>, LineError> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_owned()]);
    };
    // `[::1]:22` style addresses are not ranges.
    let Some(close) = pattern[open..].find(']').map(|at| at + open) else {
        return Err(LineError::UnclosedBracket(pattern.to_owned()));
    };
    let inner = &pattern[open + 1..close];
    let Some((from, to)) = inner.split_once(':') else {
        return Ok(vec![pattern.to_owned()]);
    };
    let (Ok(start), Ok(end)) = (from.parse::<u32>(), to.parse::<u32>()) else {
        return Ok(vec![pattern.to_owned()]);
    };
    if end < start || end - start > 10_000 {
        return Err(LineError::BadRange {
            range: inner.to_owned(),
            pattern: pattern.to_owned(),
        });
    }
    let width = if from.starts_with('0') { from.len() } else { 0 };
    let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
    let mut hosts = Vec::new();
    for number in start..=end {
        for rest in expand_ranges(suffix)? {
            hosts.push(format!("{prefix}{number:0width$}{rest}"));
        }
    }
    Ok(hosts)
}

/// A YAML scalar variable as text, for both inventory styles.
fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnsibleGroup {
    #[serde(default)]
    hosts: Option<BTreeMap<String, Option<BTreeMap<String, serde_json::Value>>>>,
    #[serde(default)]
    children: Option<BTreeMap<String, Option<AnsibleGroup>>>,
    #[serde(default)]
    vars: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnInventory {
    #[serde(default)]
    defaults: OwnDefaults,
    hosts: Vec<OwnHost>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnDefaults {
    port: Option<u16>,
    user: Option<String>,
    key: Option<PathBuf>,
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnHost {
    name: String,
    address: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    key: Option<PathBuf>,
    #[serde(default)]
    roles: Vec<Role>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    bmc: Option<String>,
    bmc_user: Option<String>,
}

fn parse_yaml(file: &str, text: &str) -> Result<Inventory, InventoryError> {
    let yaml_error = |error: serde_saphyr::Error| {
        let message = error.to_string();
        InventoryError {
            file: file.to_owned(),
            line: line_of(&message),
            message: first_line(&message),
        }
    };
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(yaml_error)?;
    let own = value
        .get("hosts")
        .is_some_and(|hosts| hosts.is_array() || hosts.is_null());
    if own {
        let own: OwnInventory = serde_saphyr::from_str(text).map_err(yaml_error)?;
        let mut inventory = Inventory::default();
        for host in own.hosts {
            let mut entry = InventoryHost::named(&host.name);
            if let Some(address) = host.address {
                entry.address = address;
            }
            entry.port = host.port.or(own.defaults.port);
            entry.user = host.user.or_else(|| own.defaults.user.clone());
            entry.key_file = host.key.or_else(|| own.defaults.key.clone());
            entry.roles = if host.roles.is_empty() {
                own.defaults.roles.clone()
            } else {
                host.roles
            };
            entry.roles.sort();
            entry.roles.dedup();
            entry.labels = host.labels;
            entry.bmc = host.bmc;
            entry.bmc_user = host.bmc_user;
            inventory.hosts.push(entry);
        }
        return Ok(inventory);
    }
    let top: BTreeMap<String, Option<AnsibleGroup>> =
        serde_saphyr::from_str(text).map_err(yaml_error)?;
    let mut groups = Groups::default();
    fn walk(groups: &mut Groups, name: &str, group: AnsibleGroup) {
        groups.members.entry(name.to_owned()).or_default();
        for (host, vars) in group.hosts.unwrap_or_default() {
            let vars = vars
                .unwrap_or_default()
                .iter()
                .map(|(key, value)| (key.clone(), scalar(value)))
                .collect();
            groups.add_host(name, &host, vars);
        }
        if let Some(vars) = group.vars {
            groups
                .vars
                .entry(name.to_owned())
                .or_default()
                .extend(vars.iter().map(|(key, value)| (key.clone(), scalar(value))));
        }
        for (child, body) in group.children.unwrap_or_default() {
            groups
                .children
                .entry(name.to_owned())
                .or_default()
                .insert(child.clone());
            if let Some(body) = body {
                walk(groups, &child, body);
            }
        }
    }
    for (name, group) in top {
        if let Some(group) = group {
            walk(&mut groups, &name, group);
        }
    }
    groups.resolve(file)
}

/// serde-saphyr errors read "… at line 5 column 11 …".
fn line_of(message: &str) -> Option<usize> {
    let after = message.split("line ").nth(1)?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubespray_bastion_groups_and_unused_host_variables() {
        let text = "[all]\nnode1 ansible_host=10.0.0.1 ip=10.0.0.1 etcd_member_name=etcd1\n\
                    node2 ansible_host=10.0.0.2 ip=10.0.0.2\n\
                    bastion ansible_host=192.0.2.1 ansible_user=jump\n\
                    [bastion]\nbastion\n[kube_control_plane]\nnode1\n[etcd]\nnode1\nnode2\n\
                    [kube_node]\n[calico_rr]\n\
                    [k8s_cluster:children]\nkube_control_plane\nkube_node\ncalico_rr\n";
        let inventory = parse("hosts.ini", text).unwrap();
        let names: Vec<&str> = inventory.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["node1", "node2"]);
        let bastion = inventory.bastion.unwrap();
        assert_eq!(bastion.address, "192.0.2.1");
        assert_eq!(bastion.user.as_deref(), Some("jump"));
        assert_eq!(
            inventory.hosts[0].groups.as_deref().unwrap(),
            ["etcd", "k8s_cluster", "kube_control_plane"]
        );
        assert_eq!(inventory.hosts[1].groups.as_deref().unwrap(), ["etcd"]);
        // etcd alone: the etcd role; with kube_control_plane: both.
        assert_eq!(inventory.hosts[1].roles, [Role::Etcd]);
        assert_eq!(inventory.hosts[0].roles, [Role::ControlPlane, Role::Etcd]);
        // One warning for every unused host variable, however many hosts carry it.
        let host_warnings: Vec<&String> = inventory
            .warnings
            .iter()
            .filter(|w| w.contains("host variables"))
            .collect();
        assert_eq!(
            host_warnings,
            [
                "hosts.ini: ignoring host variables 'etcd_member_name', 'ip' (ironprep reads \
              only the connection variables)"
            ]
        );
        let error = parse("h.ini", "[bastion]\nb1\nb2\n[kube_node]\nn1\n").unwrap_err();
        assert!(error.message.contains("lists 2 hosts (b1, b2)"), "{error}");
        // Formats without groups leave the roles to the command line.
        assert_eq!(from_list(&["a".to_owned()]).unwrap().hosts[0].groups, None);
    }

    #[test]
    fn a_children_cycle_is_an_error_naming_it() {
        // The 54-byte inventory of the review: it used to never finish.
        let text = "[a:children]\nb\n[b:children]\nc\n[c:children]\na\n[a]\nnode1\n";
        let error = parse("inv.ini", text).unwrap_err();
        assert!(
            error.message.contains("cycle: a → b → c → a"),
            "{}",
            error.message
        );
        let error = parse("inv.ini", "[g:children]\ng\n[g]\nnode1\n").unwrap_err();
        assert!(error.message.contains("cycle: g → g"), "{}", error.message);
        let yaml = "all:\n  children:\n    a:\n      children:\n        b:\n          \
                    children:\n            a:\n              hosts:\n                n1:\n";
        let error = parse("inv.yaml", yaml).unwrap_err();
        assert!(error.message.contains("cycle"), "{}", error.message);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_group() {
        let inventory = parse("inv.ini", "\u{feff}[kube_node]\nnode1\n").unwrap();
        assert_eq!(inventory.hosts[0].name, "node1");
        assert_eq!(inventory.hosts[0].roles, vec![Role::Worker]);
        let inventory = parse("inv.yaml", "\u{feff}all:\n  hosts:\n    node1:\n").unwrap();
        assert_eq!(inventory.hosts[0].name, "node1");
    }

    #[test]
    fn a_deep_chain_of_groups_resolves_each_group_once() {
        // 300 levels: the old walk doubled its work per level (20 levels took 6 s).
        let mut text = String::from("[g0]\nnode1\n[g0:vars]\nansible_user=deepest\n");
        for level in 1..300 {
            text.push_str(&format!("[g{level}:children]\ng{}\n", level - 1));
        }
        text.push_str("[g299:vars]\nansible_user=shallow\nansible_port=2200\n");
        text.push_str("[kube_node:children]\ng150\n");
        let inventory = parse("inv.ini", &text).unwrap();
        let host = &inventory.hosts[0];
        assert_eq!(
            host.user.as_deref(),
            Some("deepest"),
            "the deeper group wins"
        );
        assert_eq!(
            host.port,
            Some(2200),
            "variables of a far ancestor still apply"
        );
        assert_eq!(
            host.roles,
            vec![Role::Worker],
            "roles come through the chain"
        );
    }

    #[test]
    fn a_hundred_thousand_hosts_parse_in_linear_time() {
        // Host lookup was a linear scan per line: 100,000 hosts took 35 s.
        let mut text = String::from("[kube_node]\n");
        for index in 0..100_000 {
            text.push_str(&format!(
                "node{index} ansible_host=10.{}.{}.{}\n",
                index / 65536,
                index / 256 % 256,
                index % 256
            ));
        }
        let inventory = parse("inv.ini", &text).unwrap();
        assert_eq!(inventory.hosts.len(), 100_000);
        assert_eq!(inventory.hosts[99_999].address, "10.1.134.159");
    }

    #[test]
    fn nesting_whose_memberships_grow_as_the_square_is_refused() {
        // A chain of 5,000 groups: 12.5 million (group, ancestor) pairs from 100 KiB of text;
        // 100,000 groups (3 MiB) used to exhaust memory.
        let mut text = String::from("[g0]\nnode1\n");
        for level in 1..5_000 {
            text.push_str(&format!("[g{level}:children]\ng{}\n", level - 1));
        }
        let error = parse("inv.ini", &text).unwrap_err();
        assert!(
            error.message.contains("nest too deeply or widely")
                && error.message.contains("2000000"),
            "{}",
            error.message
        );
        // Many hosts in a few groups each are far from the cap.
        let mut text = String::from("[kube_node]\n");
        for index in 0..200_000 {
            text.push_str(&format!("node{index}\n"));
        }
        text.push_str("[k8s_cluster:children]\nkube_node\n");
        assert_eq!(parse("inv.ini", &text).unwrap().hosts.len(), 200_000);
    }

    #[test]
    fn ranges_on_many_lines_add_up_to_a_cap() {
        // 100 lines of 99,856 names each: every line under its cap, 10 million together.
        let text = format!(
            "[all]\n{}",
            "a[0:315]b[0:315] ansible_user=ops\n".repeat(100)
        );
        let error = parse("inv.ini", &text).unwrap_err();
        assert_eq!(error.line, Some(12), "{}", error.message);
        assert!(
            error.message.contains("more than 2000000"),
            "{}",
            error.message
        );
        // One line's names, each with many variables, count too.
        let vars: Vec<String> = (0..300).map(|index| format!("v{index}=x")).collect();
        let text = format!("[all]\nn[0:9999] {}\n", vars.join(" "));
        let error = parse("inv.ini", &text).unwrap_err();
        assert!(
            error.message.contains("more than 2000000"),
            "{}",
            error.message
        );
    }

    #[test]
    fn ranges_that_multiply_past_the_cap_are_refused_with_the_count() {
        let error = parse("inv.ini", "[all]\nn[0:10000]x[0:10000]\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error.message.contains("expands to 100020001 hosts")
                && error.message.contains("at most 100000"),
            "{}",
            error.message
        );
        let inventory = parse("inv.ini", "[all]\nn[1:3]x[1:2]\n").unwrap();
        let names: Vec<&str> = inventory
            .hosts
            .iter()
            .map(|host| host.name.as_str())
            .collect();
        assert_eq!(names, ["n1x1", "n1x2", "n2x1", "n2x2", "n3x1", "n3x2"]);
    }

    #[test]
    fn ansible_ini_with_children_vars_and_ranges() {
        let text = "\
# kubespray style
[all]
node1 ansible_host=10.0.0.1 ip=10.0.0.1
node2 ansible_host=10.0.0.2 ansible_port=2222
node[3:4] ansible_user=admin

[kube_control_plane]
node1

[kube_node]
node2
node3
node4

[etcd:children]
kube_control_plane

[k8s_cluster:children]
kube_control_plane
kube_node

[k8s_cluster:vars]
ansible_user=ops
ansible_ssh_private_key_file=\"/keys/id rsa\"
kube_network_plugin=calico
";
        let inventory = parse("hosts.ini", text).unwrap();
        let names: Vec<&str> = inventory.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["node1", "node2", "node3", "node4"]);
        let node1 = &inventory.hosts[0];
        assert_eq!(node1.address, "10.0.0.1");
        // In etcd through kube_control_plane: a control-plane node that runs etcd.
        assert_eq!(node1.roles, [Role::ControlPlane, Role::Etcd]);
        assert_eq!(node1.user.as_deref(), Some("ops"));
        assert_eq!(node1.key_file.as_deref(), Some(Path::new("/keys/id rsa")));
        assert_eq!(inventory.hosts[1].port, Some(2222));
        assert_eq!(inventory.hosts[1].roles, [Role::Worker]);
        // Host variables beat group variables.
        assert_eq!(inventory.hosts[2].user.as_deref(), Some("admin"));
        assert_eq!(inventory.hosts[3].address, "node4");
        assert_eq!(inventory.warnings.len(), 2, "{:?}", inventory.warnings);
        assert!(inventory.warnings[0].contains("host variables 'ip'"));
        assert!(inventory.warnings[1].contains("kube_network_plugin"));
    }

    #[test]
    fn ansible_yaml_with_children() {
        let text = "\
all:
  hosts:
    cp1:
      ansible_host: 10.1.0.1
      ansible_port: 22
    w1:
      ansible_host: 10.1.0.2
    boot:
  children:
    masters:
      hosts:
        cp1:
    nodes:
      hosts:
        w1: {}
    installer:
      hosts:
        boot:
  vars:
    ansible_user: root
";
        let inventory = parse("inv.yaml", text).unwrap();
        let by_name = |name: &str| inventory.hosts.iter().find(|h| h.name == name).unwrap();
        assert_eq!(by_name("cp1").roles, [Role::ControlPlane]);
        assert_eq!(by_name("cp1").port, Some(22));
        assert_eq!(by_name("w1").roles, [Role::Worker]);
        assert_eq!(by_name("boot").roles, [Role::Installer]);
        assert_eq!(by_name("boot").user.as_deref(), Some("root"));
    }

    #[test]
    fn own_yaml() {
        let text = "\
defaults:
  user: root
hosts:
  - name: cp-1
    address: 10.0.0.1
    roles: [control-plane, installer]
    labels: {rack: a1}
  - name: w-1
    port: 2200
";
        let inventory = parse("fleet.yaml", text).unwrap();
        assert_eq!(
            inventory.hosts[0].roles,
            [Role::ControlPlane, Role::Installer]
        );
        assert_eq!(inventory.hosts[0].labels["rack"], "a1");
        assert_eq!(inventory.hosts[1].address, "w-1");
        assert_eq!(inventory.hosts[1].port, Some(2200));
        assert_eq!(inventory.hosts[1].user.as_deref(), Some("root"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let error = parse("bad.ini", "[all]\nnode1\n[kube_node\nnode1\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "bad.ini:3: unclosed section header '[kube_node'"
        );
        let error = parse("bad.ini", "[all]\nnode1 ansible_port\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        let error = parse("bad.ini", "[all]\nnode1 ansible_port=ssh\n").unwrap_err();
        assert!(error.to_string().contains("not a TCP port"), "{error}");
        let error = parse("f.yaml", "hosts:\n  - name: a\n    prot: 22\n").unwrap_err();
        assert_eq!(error.line, Some(3), "{error}");
        assert!(error.message.contains("prot"), "{error}");
        let error = parse("f.yaml", "hosts:\n  - name: a\n    roles: [master]\n").unwrap_err();
        assert_eq!(error.line, Some(3), "{error}");
        let error = parse("f.yaml", "hosts:\n  - name: a\n  - name: a\n").unwrap_err();
        assert!(error.message.contains("twice"), "{error}");
    }

    #[test]
    fn plain_lists() {
        let inventory = parse("hosts.txt", "10.0.0.1\nroot@10.0.0.2:2222\n[fd00::3]:22\n").unwrap();
        assert_eq!(inventory.hosts[1].user.as_deref(), Some("root"));
        assert_eq!(inventory.hosts[1].port, Some(2222));
        assert_eq!(inventory.hosts[2].address, "fd00::3");
        let list = from_list(&["a".into(), "b:2200".into()]).unwrap();
        assert_eq!(list.hosts[1].port, Some(2200));
        assert!(from_list(&["a:x".into()]).is_err());
    }
}
