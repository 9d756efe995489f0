//! OpenSSH client configuration (`ssh_config(5)`): the subset that decides where and how a
//! host is reached — `Host`/`Match host` blocks, `HostName`, `Port`, `User`, `IdentityFile`,
//! `IdentitiesOnly`, `ProxyJump`, `UserKnownHostsFile`, `StrictHostKeyChecking`,
//! `ConnectTimeout` and `Include` — with OpenSSH's rule that the first value obtained wins.
//!
//! Hand-written rather than ssh2-config 0.9: its errors carry neither file nor line (a
//! malformed config must name both), it has no `Match`, and it keeps `StrictHostKeyChecking`
//! and `UserKnownHostsFile` as untyped strings. Keywords ironprep does not use are accepted and
//! ignored, as they change nothing here; values of the keywords it uses are checked on every
//! line, matching or not, so a typo fails before any host is contacted.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Most nested `Include`s, as OpenSSH (`READCONF_MAX_DEPTH`): deeper is a cycle.
const MAX_INCLUDE_DEPTH: usize = 16;
/// Most bytes one config file may have; a config is a few kilobytes.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// A config that cannot be used; the message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum SshConfigError {
    #[error("{}:{line}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        message: Malformed,
    },
    #[error("cannot read the ssh config {}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: ironprep_input::ReadError,
    },
}

/// What is wrong with one line of an ssh config (or with `ansible_ssh_*_args`); the file and
/// line are attached by [`SshConfigError::Syntax`].
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    #[error("'{0}' is not a keyword")]
    NotAKeyword(String),
    #[error("{keyword}: missing {what}")]
    Missing { keyword: String, what: &'static str },
    #[error("{keyword}: expected one {what}")]
    MoreThanOne { keyword: String, what: &'static str },
    #[error("unbalanced double quote")]
    UnbalancedQuote,
    #[error("{keyword}: '{value}' is not yes or no")]
    NotYesNo { keyword: String, value: String },
    #[error("Match: missing criteria")]
    MatchWithoutCriteria,
    #[error("Match {0}: missing patterns")]
    MatchWithoutPatterns(String),
    #[error("Include nested more than {MAX_INCLUDE_DEPTH} deep (a file including itself?)")]
    IncludeTooDeep,
    #[error("Include: '{0}' names no file")]
    IncludeNamesNoFile(String),
    #[error("Include {}: {cause}", file.display())]
    IncludeUnreadable {
        file: PathBuf,
        cause: ironprep_input::ReadError,
    },
    #[error("Port: '{0}' is not a TCP port")]
    BadPort(String),
    #[error("ProxyJump: '{0}' is not [user@]host[:port]")]
    BadHop(String),
    #[error("StrictHostKeyChecking: '{0}' is not yes, ask, accept-new, no or off")]
    BadStrictness(String),
    #[error("ConnectTimeout: '{0}' is not a number of seconds (1–86400)")]
    BadTimeout(String),
}

/// Where a value was written, for errors about it (a ProxyJump loop names its lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// `StrictHostKeyChecking`, as far as it can change ironprep: only `yes` (or `ask`, which
/// cannot ask here) tightens; looser values are reported and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    Strict,
    Looser,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Setting {
    HostName(String),
    Port(u16),
    User(String),
    IdentityFile(String),
    IdentitiesOnly(bool),
    /// `None` is `ProxyJump none`.
    ProxyJump(Option<Vec<String>>),
    UserKnownHostsFile(Vec<String>),
    StrictHostKeyChecking(Strictness),
    ConnectTimeout(Duration),
}

#[derive(Clone, Debug)]
enum Condition {
    Always,
    /// `Host`: the name given (before `HostName`).
    Host(Vec<String>),
    /// `Match host` (the host name as resolved so far) / `Match originalhost`.
    MatchHost(Vec<String>),
    MatchOriginalHost(Vec<String>),
    /// `Match` with a criterion ironprep cannot evaluate (`exec`, `user`, …): never applies.
    Unsupported,
}

#[derive(Clone, Debug)]
struct Block {
    condition: Condition,
    settings: Vec<(Setting, Origin)>,
}

/// A parsed configuration: blocks in file order, `Include`s expanded in place.
#[derive(Clone, Debug, Default)]
pub struct SshConfig {
    blocks: Vec<Block>,
    /// Things accepted but not honoured (a `Match exec`, `StrictHostKeyChecking no`).
    pub warnings: Vec<String>,
}

/// What the configuration says about one host; `None` where it says nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_files: Vec<PathBuf>,
    pub identities_only: Option<bool>,
    /// `Some(None)`: `ProxyJump none`. With where it was written.
    pub proxy_jump: Option<(Option<Vec<String>>, Origin)>,
    pub user_known_hosts: Option<Vec<PathBuf>>,
    pub strict: Option<Strictness>,
    pub connect_timeout: Option<Duration>,
}

impl SshConfig {
    /// Reads `files` in order (the user's, then the system's); a file that is not there is
    /// skipped when `optional`, else an error (`-F`).
    pub fn load(files: &[PathBuf], optional: bool) -> Result<SshConfig, SshConfigError> {
        let mut config = SshConfig::default();
        for file in files {
            if optional && !file.exists() {
                continue;
            }
            let base = file.parent().map(Path::to_owned).unwrap_or_default();
            config.read_file(file, &base, Condition::Always, 0)?;
        }
        Ok(config)
    }

    /// Parses `text` as if read from `file` (tests, and `Include` after reading).
    pub fn parse(file: &Path, text: &str) -> Result<SshConfig, SshConfigError> {
        let mut config = SshConfig::default();
        let base = file.parent().map(Path::to_owned).unwrap_or_default();
        config.parse_text(file, text, &base, Condition::Always, 0)?;
        Ok(config)
    }

    fn read_file(
        &mut self,
        file: &Path,
        base: &Path,
        condition: Condition,
        depth: usize,
    ) -> Result<(), SshConfigError> {
        // Only a regular file, and capped while reading: `-F` naming a FIFO or /dev/stdin
        // would block, and a file under /proc reports size 0 and may be endless.
        let bytes =
            ironprep_input::read(file, MAX_FILE_BYTES).map_err(|source| SshConfigError::Read {
                file: file.to_owned(),
                source,
            })?;
        let text = String::from_utf8_lossy(&bytes);
        self.parse_text(file, &text, base, condition, depth)
    }

    fn parse_text(
        &mut self,
        file: &Path,
        text: &str,
        base: &Path,
        condition: Condition,
        depth: usize,
    ) -> Result<(), SshConfigError> {
        self.blocks.push(Block {
            condition: condition.clone(),
            settings: Vec::new(),
        });
        for (index, raw) in text.lines().enumerate() {
            let origin = Origin {
                file: file.to_owned(),
                line: index + 1,
            };
            let syntax = |message: Malformed| SshConfigError::Syntax {
                file: file.to_owned(),
                line: index + 1,
                message,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (keyword, rest) = split_keyword(line);
            if keyword.is_empty()
                || !keyword
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(syntax(Malformed::NotAKeyword(keyword.to_owned())));
            }
            let arguments = tokenize(rest).map_err(syntax)?;
            let keyword = keyword.to_ascii_lowercase();
            let one = |what: &'static str| match arguments.as_slice() {
                [value] => Ok(value.clone()),
                [] => Err(syntax(Malformed::Missing {
                    keyword: keyword.clone(),
                    what,
                })),
                _ => Err(syntax(Malformed::MoreThanOne {
                    keyword: keyword.clone(),
                    what,
                })),
            };
            let setting = match keyword.as_str() {
                "host" => {
                    if arguments.is_empty() {
                        return Err(syntax(Malformed::Missing {
                            keyword: "Host".to_owned(),
                            what: "pattern",
                        }));
                    }
                    self.blocks.push(Block {
                        condition: Condition::Host(arguments),
                        settings: Vec::new(),
                    });
                    continue;
                }
                "match" => {
                    let condition = match_condition(&arguments).map_err(syntax)?;
                    if matches!(condition, Condition::Unsupported) {
                        self.warnings.push(format!(
                            "{origin}: Match {} is not supported by ironprep; the block is \
                             ignored",
                            arguments.join(" ")
                        ));
                    }
                    self.blocks.push(Block {
                        condition,
                        settings: Vec::new(),
                    });
                    continue;
                }
                "include" => {
                    if arguments.is_empty() {
                        return Err(syntax(Malformed::Missing {
                            keyword: "Include".to_owned(),
                            what: "file",
                        }));
                    }
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(syntax(Malformed::IncludeTooDeep));
                    }
                    let current = self
                        .blocks
                        .last()
                        .map_or(Condition::Always, |block| block.condition.clone());
                    for pattern in &arguments {
                        for included in include_files(pattern, base).map_err(syntax)? {
                            self.read_file(&included, base, current.clone(), depth + 1)
                                .map_err(|error| match error {
                                    SshConfigError::Read { file, source } => {
                                        syntax(Malformed::IncludeUnreadable {
                                            file,
                                            cause: source,
                                        })
                                    }
                                    other => other,
                                })?;
                        }
                    }
                    // A Host or Match in an included file ends with that file.
                    self.blocks.push(Block {
                        condition: current,
                        settings: Vec::new(),
                    });
                    continue;
                }
                "hostname" => Setting::HostName(one("host name")?),
                "port" => {
                    let value = one("port")?;
                    match value.parse::<u16>() {
                        Ok(port) if port > 0 => Setting::Port(port),
                        _ => return Err(syntax(Malformed::BadPort(value))),
                    }
                }
                "user" => Setting::User(one("user name")?),
                "identityfile" => Setting::IdentityFile(one("file")?),
                "identitiesonly" => {
                    Setting::IdentitiesOnly(yes_no(&one("yes or no")?, &keyword).map_err(syntax)?)
                }
                "proxyjump" => {
                    let value = one("jump host list")?;
                    if value.eq_ignore_ascii_case("none") {
                        Setting::ProxyJump(None)
                    } else {
                        let hops: Vec<String> =
                            value.split(',').map(|hop| hop.trim().to_owned()).collect();
                        if let Some(bad) = hops.iter().find(|hop| parse_hop(hop).is_none()) {
                            return Err(syntax(Malformed::BadHop(bad.clone())));
                        }
                        Setting::ProxyJump(Some(hops))
                    }
                }
                "userknownhostsfile" => {
                    if arguments.is_empty() {
                        return Err(syntax(Malformed::Missing {
                            keyword: "UserKnownHostsFile".to_owned(),
                            what: "file",
                        }));
                    }
                    Setting::UserKnownHostsFile(arguments)
                }
                "stricthostkeychecking" => {
                    let value = one("value")?.to_ascii_lowercase();
                    match value.as_str() {
                        "yes" | "ask" => Setting::StrictHostKeyChecking(Strictness::Strict),
                        "no" | "off" | "accept-new" => {
                            Setting::StrictHostKeyChecking(Strictness::Looser)
                        }
                        _ => {
                            return Err(syntax(Malformed::BadStrictness(value)));
                        }
                    }
                }
                "connecttimeout" => {
                    let value = one("seconds")?;
                    match value.parse::<u64>() {
                        Ok(seconds) if seconds > 0 && seconds <= 86_400 => {
                            Setting::ConnectTimeout(Duration::from_secs(seconds))
                        }
                        _ => {
                            return Err(syntax(Malformed::BadTimeout(value)));
                        }
                    }
                }
                // Everything else OpenSSH knows changes nothing ironprep does.
                _ => continue,
            };
            if let Some(block) = self.blocks.last_mut() {
                block.settings.push((setting, origin));
            }
        }
        Ok(())
    }

    /// What applies to `host` (the name as given: an alias or an address), first value wins.
    pub fn lookup(&self, host: &str) -> HostConfig {
        let mut found = HostConfig::default();
        let original = host.to_ascii_lowercase();
        // `Match host` sees the HostName set so far, already expanded once when it was set
        // (expanding it again would turn `%%h` into the host), lower-cased once here rather
        // than for every block.
        let mut current: Option<String> = None;
        for block in &self.blocks {
            let applies = match &block.condition {
                Condition::Always => true,
                Condition::Host(patterns) | Condition::MatchOriginalHost(patterns) => {
                    pattern_list_matches(patterns, &original)
                }
                Condition::MatchHost(patterns) => {
                    pattern_list_matches(patterns, current.as_deref().unwrap_or(&original))
                }
                Condition::Unsupported => false,
            };
            if !applies {
                continue;
            }
            for (setting, origin) in &block.settings {
                match setting {
                    Setting::HostName(name) => {
                        if found.host_name.is_none() {
                            let expanded = expand_host(name, host);
                            current = Some(expanded.to_ascii_lowercase());
                            found.host_name = Some(expanded);
                        }
                    }
                    Setting::Port(port) => {
                        found.port.get_or_insert(*port);
                    }
                    Setting::User(user) => {
                        found.user.get_or_insert_with(|| user.clone());
                    }
                    Setting::IdentityFile(file) => {
                        found.identity_files.push(PathBuf::from(file));
                    }
                    Setting::IdentitiesOnly(only) => {
                        found.identities_only.get_or_insert(*only);
                    }
                    Setting::ProxyJump(hops) => {
                        found
                            .proxy_jump
                            .get_or_insert_with(|| (hops.clone(), origin.clone()));
                    }
                    Setting::UserKnownHostsFile(files) => {
                        found
                            .user_known_hosts
                            .get_or_insert_with(|| files.iter().map(PathBuf::from).collect());
                    }
                    Setting::StrictHostKeyChecking(strictness) => {
                        found.strict.get_or_insert(*strictness);
                    }
                    Setting::ConnectTimeout(timeout) => {
                        found.connect_timeout.get_or_insert(*timeout);
                    }
                }
            }
        }
        found
    }
}

/// `Keyword value`, `Keyword=value` or `Keyword = value`.
fn split_keyword(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    (keyword, rest)
}

/// Whitespace-separated arguments, double quotes grouping; a `#` outside quotes after
/// whitespace starts a comment.
fn tokenize(text: &str) -> Result<Vec<String>, Malformed> {
    let mut arguments = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_token = true;
            }
            '#' if !quoted && !in_token => break,
            c if c.is_whitespace() && !quoted => {
                if in_token {
                    arguments.push(std::mem::take(&mut current));
                    in_token = false;
                }
            }
            c => {
                current.push(c);
                in_token = true;
            }
        }
    }
    if quoted {
        return Err(Malformed::UnbalancedQuote);
    }
    if in_token {
        arguments.push(current);
    }
    Ok(arguments)
}

fn yes_no(value: &str, keyword: &str) -> Result<bool, Malformed> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(Malformed::NotYesNo {
            keyword: keyword.to_owned(),
            value: value.to_owned(),
        }),
    }
}

fn match_condition(arguments: &[String]) -> Result<Condition, Malformed> {
    let Some(first) = arguments.first() else {
        return Err(Malformed::MatchWithoutCriteria);
    };
    let criterion = first.to_ascii_lowercase();
    match (criterion.as_str(), &arguments[1..]) {
        ("all", []) => Ok(Condition::Always),
        ("host" | "originalhost", []) => Err(Malformed::MatchWithoutPatterns(criterion)),
        ("host", [patterns]) => Ok(Condition::MatchHost(split_patterns(patterns))),
        ("originalhost", [patterns]) => Ok(Condition::MatchOriginalHost(split_patterns(patterns))),
        _ => Ok(Condition::Unsupported),
    }
}

fn split_patterns(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|pattern| !pattern.is_empty())
        .map(str::to_owned)
        .collect()
}

/// OpenSSH's pattern lists: some pattern matches and no negated (`!`) one does.
fn pattern_list_matches(patterns: &[String], host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        let pattern = pattern.to_ascii_lowercase();
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_matches(negated, host) {
                return false;
            }
        } else if wildcard_matches(&pattern, host) {
            matched = true;
        }
    }
    matched
}

/// `*` and `?` globbing, linear in time (the last `*` is the only backtrack point).
pub(crate) fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// `%h` (the host as given) and `%%` in `HostName`.
fn expand_host(value: &str, host: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(host),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// The files an `Include` argument names: `~` is the home directory, a relative path is
/// under `base` (~/.ssh for the user's config, /etc/ssh for the system's), and `*`/`?` in the
/// last component match file names, in sorted order. No match is not an error (OpenSSH).
fn include_files(pattern: &str, base: &Path) -> Result<Vec<PathBuf>, Malformed> {
    let path = super::plan::expand_home(Path::new(pattern));
    let path = if path.is_absolute() {
        path
    } else {
        base.join(path)
    };
    let Some(name) = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
    else {
        return Err(Malformed::IncludeNamesNoFile(pattern.to_owned()));
    };
    if !name.contains(['*', '?']) {
        return Ok(if path.is_file() {
            vec![path]
        } else {
            Vec::new()
        });
    }
    let directory = path.parent().map(Path::to_owned).unwrap_or_default();
    let Ok(entries) = std::fs::read_dir(&directory) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| wildcard_matches(&name, &entry.file_name().to_string_lossy()))
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// One hop of a `ProxyJump`/`-J`/`--jump` list: `[user@]host[:port]` or
/// `ssh://[user@]host[:port]`; an IPv6 address in brackets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

pub fn parse_hop(text: &str) -> Option<Hop> {
    let text = text.strip_prefix("ssh://").unwrap_or(text);
    let text = text.strip_suffix('/').unwrap_or(text);
    let (user, rest) = match text.rsplit_once('@') {
        Some((user, rest)) if !user.is_empty() => (Some(user.to_owned()), rest),
        Some(_) => return None,
        None => (None, text),
    };
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            // A bare IPv6 address.
            Some(_) => (rest, None),
            None => (rest, None),
        }
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '/')
    {
        return None;
    }
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok().filter(|port| *port > 0)?),
        None => None,
    };
    Some(Hop {
        user,
        host: host.to_owned(),
        port,
    })
}

/// The jump hosts an `ansible_ssh_common_args`/`ansible_ssh_extra_args` value names with
/// `-J HOSTS`, `-JHOSTS`, `-o ProxyJump=HOSTS` or `-o "ProxyJump HOSTS"`; `Some(None)` for
/// `none`. Other options are ignored (ironprep is not ssh).
pub fn jump_from_ssh_args(arguments: &str) -> Result<Option<Option<Vec<String>>>, Malformed> {
    let words = tokenize(&arguments.replace('\'', "\""))?;
    let mut words = words.iter();
    let mut found = None;
    let parse = |value: &str| -> Result<Option<Vec<String>>, Malformed> {
        if value.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let hops: Vec<String> = value.split(',').map(|hop| hop.trim().to_owned()).collect();
        match hops.iter().find(|hop| parse_hop(hop).is_none()) {
            Some(bad) => Err(Malformed::BadHop(bad.clone())),
            None => Ok(Some(hops)),
        }
    };
    while let Some(word) = words.next() {
        let option = if word == "-J" {
            Some((
                "proxyjump".to_owned(),
                words.next().cloned().unwrap_or_default(),
            ))
        } else if let Some(value) = word.strip_prefix("-J") {
            Some(("proxyjump".to_owned(), value.to_owned()))
        } else if word == "-o" {
            words.next().map(|option| {
                let (key, value) = split_keyword(option);
                (key.to_ascii_lowercase(), value.to_owned())
            })
        } else if let Some(option) = word.strip_prefix("-o") {
            let (key, value) = split_keyword(option);
            Some((key.to_ascii_lowercase(), value.to_owned()))
        } else {
            None
        };
        if let Some((key, value)) = option
            && key == "proxyjump"
            && found.is_none()
        {
            found = Some(parse(&value)?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SshConfig {
        SshConfig::parse(Path::new("/cfg/config"), text).unwrap()
    }

    #[test]
    fn first_value_wins_and_patterns_negate() {
        let config = parse(
            "# fleet\nHost node? !node9\n  HostName 10.0.0.%h\n  Port=2222\n  User ops\n\
             Host *\n  Port 22\n  User root\n  IdentityFile ~/.ssh/a\n  IdentityFile b\n",
        );
        let node1 = config.lookup("node1");
        assert_eq!(node1.host_name.as_deref(), Some("10.0.0.node1"));
        assert_eq!(node1.port, Some(2222));
        assert_eq!(node1.user.as_deref(), Some("ops"));
        assert_eq!(node1.identity_files.len(), 2);
        let node9 = config.lookup("NODE9");
        assert_eq!(node9.host_name, None);
        assert_eq!(node9.port, Some(22));
        assert_eq!(node9.user.as_deref(), Some("root"));
    }

    #[test]
    fn proxy_jump_none_and_chains() {
        let config = parse(
            "Host direct\n ProxyJump none\nHost *\n ProxyJump ops@bastion:2200,[fd00::1]:22\n",
        );
        assert_eq!(config.lookup("direct").proxy_jump.unwrap().0, None);
        let (hops, origin) = config.lookup("x").proxy_jump.unwrap();
        assert_eq!(
            hops.unwrap(),
            ["ops@bastion:2200".to_owned(), "[fd00::1]:22".to_owned()]
        );
        assert_eq!(origin.to_string(), "/cfg/config:4");
        assert_eq!(
            parse_hop("ops@bastion:2200"),
            Some(Hop {
                user: Some("ops".to_owned()),
                host: "bastion".to_owned(),
                port: Some(2200)
            })
        );
        assert_eq!(parse_hop("[fd00::1]:22").unwrap().host, "fd00::1");
        assert_eq!(parse_hop("ssh://b:7/").unwrap().port, Some(7));
        assert_eq!(parse_hop("b:0"), None);
        assert_eq!(parse_hop("@b"), None);
    }

    #[test]
    fn match_host_sees_the_resolved_name() {
        let config = parse(
            "Host web\n HostName 10.1.2.3\nMatch host 10.1.*\n User inner\n\
             Match exec \"true\"\n User never\nMatch originalhost web\n Port 7\n",
        );
        let web = config.lookup("web");
        assert_eq!(web.user.as_deref(), Some("inner"));
        assert_eq!(web.port, Some(7));
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("/cfg/config:5"));
    }

    #[test]
    fn match_host_sees_the_host_name_expanded_once() {
        // `%%h` is a literal `%h` in the name: `Match host` must not expand it a second time.
        let config = parse("Host web\n HostName a%%hb\nMatch host awebb\n User wrong\n");
        let web = config.lookup("web");
        assert_eq!(web.host_name.as_deref(), Some("a%hb"));
        assert_eq!(web.user, None);
        let config = parse("Host web\n HostName A%%hB\nMatch host a%hb\n User right\n");
        assert_eq!(config.lookup("web").user.as_deref(), Some("right"));
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for (text, line, fragment) in [
            ("Host a\n  Port 70000\n", 2, "not a TCP port"),
            ("Host\n", 1, "missing pattern"),
            ("Host a\nUser \"ops\n", 2, "unbalanced"),
            ("IdentitiesOnly maybe\n", 1, "yes or no"),
            ("\n\nProxyJump a,,b\n", 3, "ProxyJump"),
            ("ConnectTimeout soon\n", 1, "seconds"),
            (
                "StrictHostKeyChecking perhaps\n",
                1,
                "StrictHostKeyChecking",
            ),
            ("{{ broken }}\n", 1, "not a keyword"),
        ] {
            let error = SshConfig::parse(Path::new("/cfg/config"), text)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with(&format!("/cfg/config:{line}: ")) && error.contains(fragment),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn includes_expand_in_place_and_cycles_stop() {
        let directory = tempfile::tempdir().unwrap();
        let main = directory.path().join("config");
        std::fs::create_dir(directory.path().join("conf.d")).unwrap();
        std::fs::write(
            directory.path().join("conf.d/10-a.conf"),
            "Host a\n HostName 10.0.0.1\n",
        )
        .unwrap();
        std::fs::write(
            directory.path().join("conf.d/20-b.conf"),
            "Host a b\n HostName never\n Port 2\n",
        )
        .unwrap();
        std::fs::write(&main, "Include conf.d/*.conf\nHost a\n Port 3\n").unwrap();
        let config = SshConfig::load(std::slice::from_ref(&main), false).unwrap();
        let a = config.lookup("a");
        assert_eq!(a.host_name.as_deref(), Some("10.0.0.1"));
        assert_eq!(a.port, Some(2));

        let looping = directory.path().join("loop");
        std::fs::write(&looping, format!("Include {}\n", looping.display())).unwrap();
        let error = SshConfig::load(&[looping], false).unwrap_err().to_string();
        assert!(error.contains("nested more than"), "{error}");

        let missing = SshConfig::load(&[directory.path().join("nope")], false).unwrap_err();
        assert!(matches!(missing, SshConfigError::Read { .. }));
        assert!(SshConfig::load(&[directory.path().join("nope")], true).is_ok());
    }

    /// `-F` naming a FIFO (no writer ever comes) or a device is an error at once; it used to
    /// block in the read forever, or read /dev/zero until memory ran out.
    #[test]
    fn a_config_that_is_not_a_regular_file_is_refused_at_once() {
        let directory = tempfile::tempdir().unwrap();
        let fifo = directory.path().join("config");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (sender, receiver) = std::sync::mpsc::channel();
        let reading = fifo.clone();
        // On a thread: before the fix the read never returned, and the test must fail, not hang.
        std::thread::spawn(move || {
            let _ = sender.send(SshConfig::load(&[reading], false).map(|_| ()));
        });
        let error = receiver
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("loading a FIFO as ssh config blocked")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&fifo.display().to_string()) && error.contains("FIFO"),
            "{error}"
        );

        let error = SshConfig::load(&[PathBuf::from("/dev/zero")], false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("character device"), "{error}");

        let large = directory.path().join("large");
        let file = std::fs::File::create(&large).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let error = SshConfig::load(&[large], false).unwrap_err().to_string();
        assert!(error.contains("larger than 4 MiB"), "{error}");
    }

    #[test]
    fn ansible_ssh_args_name_jump_hosts() {
        assert_eq!(
            jump_from_ssh_args("-o StrictHostKeyChecking=no -o ProxyJump=ops@b1,b2").unwrap(),
            Some(Some(vec!["ops@b1".to_owned(), "b2".to_owned()]))
        );
        assert_eq!(
            jump_from_ssh_args("-J bastion:2222").unwrap(),
            Some(Some(vec!["bastion:2222".to_owned()]))
        );
        assert_eq!(
            jump_from_ssh_args("-o 'ProxyJump none'").unwrap(),
            Some(None)
        );
        assert_eq!(jump_from_ssh_args("-o ProxyCommand=nc").unwrap(), None);
        assert!(jump_from_ssh_args("-J a,,b").is_err());
    }

    #[test]
    fn wildcards_are_linear() {
        assert!(wildcard_matches("a*b?c", "axxbyc"));
        assert!(!wildcard_matches("a*b?c", "axxbc"));
        let long = "a".repeat(10_000);
        assert!(!wildcard_matches(&format!("{}b", "*a".repeat(24)), &long));
    }
}
