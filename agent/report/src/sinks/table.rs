//! `--format table`: what a person reads in a terminal or a CI log. Failures first, then
//! warnings and what could not be evaluated, each with what was seen, what was wanted and the
//! fix — commands on lines of their own, ready to copy — then one line counting the rest
//! (`-v` shows everything). A fleet groups hosts that fail the same way. Every string that came
//! from a host or a file is escaped (`text::escape`): a hostile report cannot rewrite the
//! screen. Prose wraps to the terminal (`COLUMNS`, else 100 columns when piped); check IDs,
//! paths and commands never break.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use ironprep_schema::Status;

use super::{Document, Sink};
use crate::options::{RenderOptions, Verbosity};
use crate::text::{Piece, escape, fix_lines, pieces, ranges, width, wrap, wrap_hanging};
use crate::view::{Excerpt, Item, Subject, View, ViewKind, outcome_word};

/// Where the label column of an item ends: `      expected  `.
const INDENT: usize = 6;
const LABEL: usize = 10;
/// Hosts named per group before `and N more`.
const HOSTS_SHOWN: usize = 6;

pub struct Table {
    options: RenderOptions,
}

impl Table {
    pub fn new(options: RenderOptions) -> Table {
        Table { options }
    }

    /// The text of a view, for callers that need it as a string.
    pub fn render(&self, view: &View) -> String {
        let mut out = String::new();
        if view.kind == ViewKind::Manifest {
            // The text is the product (YAML to apply): escaped, never wrapped or annotated.
            for line in view.sections.iter().flat_map(|section| &section.lines) {
                let _ = writeln!(out, "{}", escape(line));
            }
            return out;
        }
        match view.kind {
            ViewKind::Fleet | ViewKind::Bmc => self.fleet(view, &mut out),
            ViewKind::Lint => self.lint(view, &mut out),
            ViewKind::Catalog => self.catalog(view, &mut out),
            _ => self.subjects(view, &mut out),
        }
        for section in &view.sections {
            let _ = writeln!(out, "{}", escape(&section.heading));
            for line in &section.lines {
                // Lines keep their own alignment; a command in backticks stands alone.
                let commands = pieces(line)
                    .iter()
                    .any(|piece| matches!(piece, Piece::Code(_)));
                if commands {
                    for piece in fix_lines(line, self.options.width, 2) {
                        let _ = writeln!(out, "{piece}");
                    }
                } else {
                    let _ = writeln!(out, "  {}", escape(line));
                }
            }
        }
        if !view.summary.is_empty() {
            let _ = writeln!(out, "{}", escape(&view.summary));
        }
        out
    }

    fn paint(&self, text: &str, status: Status) -> String {
        if !self.options.color {
            return text.to_owned();
        }
        let code = match status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail | Status::Error => "1;31",
            Status::Skip => "2",
            Status::Waived => "36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn word(&self, status: Status) -> String {
        self.paint(&format!("{:<5}", status.as_str().to_uppercase()), status)
    }

    /// Host, probe, certificate and check views: each subject's items, worst first.
    fn subjects(&self, view: &View, out: &mut String) {
        for line in &view.headline {
            let _ = writeln!(out, "{}", wrap(line, self.options.width, 2));
        }
        if !view.headline.is_empty() {
            out.push('\n');
        }
        for subject in &view.subjects {
            if view.subjects.len() > 1 {
                let _ = writeln!(out, "{}", escape(&subject.name));
            }
            if !subject.reached() {
                let _ = writeln!(
                    out,
                    "{}  {}",
                    self.paint(
                        &subject
                            .outcome
                            .map(outcome_word)
                            .unwrap_or("error")
                            .to_uppercase(),
                        Status::Error
                    ),
                    wrap(
                        subject.error.as_deref().unwrap_or("no report"),
                        self.options.width,
                        2
                    )
                );
                continue;
            }
            if let Some(detail) = &subject.detail
                && view.kind != ViewKind::Host
            {
                let _ = writeln!(out, "{}", wrap(detail, self.options.width, 2));
            }
            self.items(&subject.items, out);
        }
    }

    /// Failures, warnings, errors in full; passes and skips counted (or listed with `-v`).
    fn items(&self, items: &[Item], out: &mut String) {
        let quiet = self.options.verbosity == Verbosity::Quiet;
        // Waived results in full too: a waiver is a decision someone should keep seeing.
        for status in [Status::Fail, Status::Warn, Status::Error, Status::Waived] {
            if quiet && matches!(status, Status::Warn | Status::Waived) {
                continue;
            }
            for item in items.iter().filter(|item| item.status == status) {
                self.item(item, out);
            }
        }
        let passed = items.iter().filter(|item| item.status == Status::Pass);
        let skipped = items.iter().filter(|item| item.status == Status::Skip);
        if self.options.verbosity == Verbosity::Verbose {
            // IDs in one column, as long as the longest (within reason).
            let column = passed
                .clone()
                .chain(skipped.clone())
                .map(|item| width(&item.id))
                .max()
                .unwrap_or(0)
                .min(30);
            for item in passed.clone().chain(skipped.clone()) {
                let id = escape(&item.id);
                let pad = column.saturating_sub(width(&id));
                let _ = writeln!(
                    out,
                    "{} {id}{}  {}",
                    self.word(item.status),
                    " ".repeat(pad),
                    wrap(
                        item.seen(),
                        self.options.width,
                        INDENT + 2 + width(&id) + pad
                    )
                );
            }
        }
        let (passed, skipped) = (passed.count(), skipped.count());
        if (passed > 0 || skipped > 0) && !quiet {
            let mut line = format!("{passed} passed, {skipped} skipped");
            if self.options.verbosity != Verbosity::Verbose {
                line.push_str(" (-v shows them)");
            }
            let _ = writeln!(out, "{line}");
        }
    }

    /// `FAIL  id  title`, then what was seen, wanted and the fix.
    fn item(&self, item: &Item, out: &mut String) {
        let _ = writeln!(
            out,
            "{} {}  {}",
            self.word(item.status),
            escape(&item.id),
            wrap(&item.title, self.options.width, INDENT + 2 + item.id.len())
        );
        if self.options.verbosity == Verbosity::Quiet {
            return;
        }
        if !item.hosts.is_empty() && matches!(item.status, Status::Fail | Status::Warn) {
            let hosts: Vec<&str> = item.hosts.iter().map(String::as_str).collect();
            self.labelled("hosts", &ranges(&hosts, HOSTS_SHOWN), out);
        }
        self.labelled("saw", item.seen(), out);
        if item.status != Status::Error && !item.expected.is_empty() {
            self.labelled("expected", &item.expected, out);
        }
        self.fix(&item.fix, out);
        if let Some(detail) = &item.detail {
            self.labelled("", detail, out);
        }
        out.push('\n');
    }

    fn labelled(&self, label: &str, text: &str, out: &mut String) {
        if text.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "{}{label:<LABEL$}{}",
            " ".repeat(INDENT),
            wrap(text, self.options.width, INDENT + LABEL)
        );
    }

    fn fix(&self, fix: &str, out: &mut String) {
        if fix.is_empty() {
            return;
        }
        let lines = fix_lines(fix, self.options.width, INDENT + LABEL);
        for (index, line) in lines.iter().enumerate() {
            if index == 0 {
                let _ = writeln!(
                    out,
                    "{}{:<LABEL$}{}",
                    " ".repeat(INDENT),
                    "fix",
                    &line[INDENT + LABEL..]
                );
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    /// Hosts grouped by how they fail, then each failing check once, then the checks across
    /// hosts.
    fn fleet(&self, view: &View, out: &mut String) {
        for line in &view.headline {
            let _ = writeln!(out, "{}\n", escape(line));
        }
        self.host_groups(view, out);
        let quiet = self.options.verbosity == Verbosity::Quiet;
        // Worst first, then by ID; each with the hosts it failed on. Waived ones last but
        // shown, as for one host: a waiver is a decision someone should keep seeing.
        type Hits<'a> = Vec<(&'a Subject, &'a Item)>;
        let mut by_check: BTreeMap<(std::cmp::Reverse<u8>, &str), Hits<'_>> = BTreeMap::new();
        for subject in &view.subjects {
            for item in &subject.items {
                let shown = match item.status {
                    Status::Fail | Status::Warn | Status::Error => true,
                    Status::Waived => !quiet,
                    Status::Pass | Status::Skip => false,
                };
                if shown {
                    by_check
                        .entry((std::cmp::Reverse(order(item.status)), item.id.as_str()))
                        .or_default()
                        .push((subject, item));
                }
            }
        }
        if !by_check.is_empty() {
            let _ = writeln!(out, "CHECKS THAT DID NOT PASS\n");
            for ((_, _), hits) in &by_check {
                let (first_host, first) = hits[0];
                let hosts: Vec<&str> = hits.iter().map(|(host, _)| host.name.as_str()).collect();
                let mut item = (*first).clone();
                item.hosts.clear();
                let _ = writeln!(
                    out,
                    "{} {}  {}",
                    self.word(item.status),
                    escape(&item.id),
                    wrap(&item.title, self.options.width, INDENT + 2 + item.id.len())
                );
                if self.options.verbosity == Verbosity::Quiet {
                    continue;
                }
                self.labelled(
                    "hosts",
                    &format!("{} ({})", ranges(&hosts, HOSTS_SHOWN), hosts.len()),
                    out,
                );
                let seen = if hosts.len() > 1 {
                    format!("{} (on {})", item.seen(), first_host.name)
                } else {
                    item.seen().to_owned()
                };
                self.labelled("saw", &seen, out);
                if item.status != Status::Error {
                    self.labelled("expected", &item.expected, out);
                }
                self.fix(&item.fix, out);
                out.push('\n');
            }
        }
        if !view.across.is_empty() {
            let _ = writeln!(out, "ACROSS HOSTS\n");
            self.items(&view.across, out);
            out.push('\n');
        }
    }

    /// `FAIL  node-004…node-037 (34)  kernel.modules-ipvs · warn net.nic-speed`
    fn host_groups(&self, view: &View, out: &mut String) {
        type Key = (
            Status,
            Vec<String>,
            Vec<String>,
            Vec<String>,
            Vec<String>,
            String,
        );
        let mut groups: Vec<(Key, Vec<&str>)> = Vec::new();
        for subject in &view.subjects {
            let ids = |status| {
                subject
                    .items
                    .iter()
                    .filter(|item| item.status == status)
                    .map(|item| item.id.clone())
                    .collect::<Vec<_>>()
            };
            let key: Key = if subject.reached() {
                let worst = if subject.items.iter().any(|item| item.status == Status::Fail) {
                    Status::Fail
                } else if subject
                    .items
                    .iter()
                    .any(|item| item.status == Status::Error)
                {
                    Status::Error
                } else if subject.items.iter().any(|item| item.status == Status::Warn) {
                    Status::Warn
                } else {
                    Status::Pass
                };
                (
                    worst,
                    ids(Status::Fail),
                    ids(Status::Error),
                    ids(Status::Warn),
                    ids(Status::Waived),
                    String::new(),
                )
            } else {
                let outcome = subject.outcome.map(outcome_word).unwrap_or("error");
                let error = subject.error.clone().unwrap_or_default();
                (
                    Status::Error,
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    format!("{outcome}: {error}"),
                )
            };
            match groups.iter_mut().find(|(existing, _)| *existing == key) {
                Some((_, names)) => names.push(&subject.name),
                None => groups.push((key, vec![&subject.name])),
            }
        }
        groups.sort_by_key(|((status, ..), _)| std::cmp::Reverse(order(*status)));
        let _ = writeln!(out, "HOSTS\n");
        for ((status, failed, errors, warned, waived, unreached), names) in &groups {
            let word = match status {
                Status::Pass => self.paint("ok   ", Status::Pass),
                _ => self.word(*status),
            };
            let mut parts = Vec::new();
            if !unreached.is_empty() {
                parts.push(unreached.clone());
            }
            if !failed.is_empty() {
                parts.push(failed.join(", "));
            }
            if !errors.is_empty() {
                parts.push(format!("not evaluated: {}", errors.join(", ")));
            }
            if !warned.is_empty() {
                parts.push(format!("warn: {}", warned.join(", ")));
            }
            if !waived.is_empty() {
                parts.push(format!("waived: {}", waived.join(", ")));
            }
            let hosts = format!("{} ({})", ranges(names, HOSTS_SHOWN), names.len());
            let _ = writeln!(out, "{word} {hosts}");
            if !parts.is_empty() {
                let _ = writeln!(
                    out,
                    "{}{}",
                    " ".repeat(INDENT),
                    wrap(&parts.join(" · "), self.options.width, INDENT)
                );
            }
        }
        out.push('\n');
    }

    /// Compiler-like: `error[rule]: message`, `--> file:line:col object field`, the source
    /// line with a caret, `= fix:`.
    fn lint(&self, view: &View, out: &mut String) {
        let mut items: Vec<&Item> = view
            .items()
            .filter(|item| item.location.is_some() || item.status != Status::Pass)
            .filter(|item| {
                item.status != Status::Skip || self.options.verbosity != Verbosity::Quiet
            })
            .collect();
        items.sort_by_key(|item| std::cmp::Reverse(order(item.status)));
        for item in items {
            let word = match item.status {
                Status::Fail | Status::Error => "error",
                Status::Warn => "warning",
                Status::Skip => "info",
                Status::Waived => "waived",
                Status::Pass => "ok",
            };
            let head = format!("{word}[{}]", escape(&item.id));
            let message = wrap_hanging(item.seen(), self.options.width, width(&head) + 2, 2);
            let _ = writeln!(out, "{}: {message}", self.paint(&head, item.status));
            if let Some(location) = &item.location {
                let mut at = format!("  --> {}", escape(&location.position()));
                if !location.object.is_empty() {
                    let _ = write!(at, " {}", escape(&location.object));
                }
                if !location.field.is_empty() {
                    let _ = write!(at, " {}", escape(&location.field));
                }
                let _ = writeln!(out, "{at}");
                if self.options.verbosity != Verbosity::Quiet {
                    snippet(
                        out,
                        location.excerpt.as_ref(),
                        location.line,
                        location.column,
                    );
                }
            }
            if !item.fix.is_empty() && self.options.verbosity != Verbosity::Quiet {
                let lines = fix_lines(&item.fix, self.options.width, 10);
                for (index, line) in lines.iter().enumerate() {
                    if index == 0 {
                        let _ = writeln!(out, "   = fix: {}", line.trim_start());
                    } else {
                        let _ = writeln!(out, "{line}");
                    }
                }
            }
            out.push('\n');
        }
    }

    /// `--list`: one line per check or rule.
    fn catalog(&self, view: &View, out: &mut String) {
        let width = view
            .rules
            .iter()
            .map(|rule| rule.id.len())
            .max()
            .unwrap_or(0);
        for rule in &view.rules {
            let kind = match rule.level {
                Status::Fail => "required",
                Status::Warn => "advisory",
                _ => "info",
            };
            let _ = writeln!(
                out,
                "{:<width$}  {kind:<8}  {}",
                escape(&rule.id),
                wrap(&rule.title, self.options.width, width + 12)
            );
        }
    }
}

/// Worst last, as `Status` orders, but errors (not evaluated) below failures for people.
fn order(status: Status) -> u8 {
    match status {
        Status::Fail => 4,
        Status::Error => 3,
        Status::Warn => 2,
        Status::Waived => 1,
        Status::Pass => 1,
        Status::Skip => 0,
    }
}

/// The source line with a caret under the field, as compilers show it; a line that holds a
/// secret is named, never shown.
fn snippet(out: &mut String, excerpt: Option<&Excerpt>, line: u32, column: u32) {
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    match excerpt {
        None => {}
        Some(Excerpt::Withheld { key }) => {
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(
                out,
                "{number} | ({} withheld: it may hold secret material)",
                escape(key)
            );
            let _ = writeln!(out, "{pad} |");
        }
        Some(Excerpt::Source(text)) => {
            let shown: String = escape(text).chars().take(160).collect();
            let start = (column as usize)
                .saturating_sub(1)
                .min(shown.chars().count());
            let width = shown
                .chars()
                .skip(start)
                .take_while(|c| !c.is_whitespace() && *c != ':')
                .count()
                .max(1);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {shown}");
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(start), "^".repeat(width));
        }
    }
}

impl Sink for Table {
    fn write(&self, document: &Document<'_>, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(self.render(document.view).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::HostOutcome;

    use super::*;
    use crate::view::Subject;

    fn item(id: &str, status: Status) -> Item {
        Item {
            id: id.to_owned(),
            title: format!("{id} holds"),
            status,
            observed: format!("{id} seen"),
            expected: "something".to_owned(),
            fix: format!("fix {id} with `fix-{id} --now`"),
            ..Item::default()
        }
    }

    fn host(name: &str, items: Vec<Item>) -> Subject {
        Subject {
            name: name.to_owned(),
            outcome: Some(HostOutcome::Reported),
            items,
            ..Subject::default()
        }
    }

    #[test]
    fn failures_come_first_and_passes_are_counted() {
        let mut view = View::empty(ViewKind::Host);
        view.subjects.push(host(
            "h",
            vec![
                item("a.pass", Status::Pass),
                item("b.warn", Status::Warn),
                item("c.fail", Status::Fail),
                item("d.skip", Status::Skip),
            ],
        ));
        let text = Table::new(RenderOptions::default()).render(&view);
        let fail = text.find("FAIL  c.fail").unwrap();
        let warn = text.find("WARN  b.warn").unwrap();
        assert!(fail < warn, "{text}");
        assert!(!text.contains("a.pass"), "{text}");
        assert!(
            text.contains("1 passed, 1 skipped (-v shows them)"),
            "{text}"
        );
        // The command stands alone on its line.
        assert!(
            text.lines().any(|line| line.trim() == "fix-c.fail --now"),
            "{text}"
        );
        let verbose = Table::new(RenderOptions {
            verbosity: Verbosity::Verbose,
            ..RenderOptions::default()
        })
        .render(&view);
        assert!(verbose.contains("PASS  a.pass"), "{verbose}");
    }

    #[test]
    fn hosts_failing_the_same_way_are_one_line() {
        let mut view = View::empty(ViewKind::Fleet);
        for n in 4..=37 {
            view.subjects.push(host(
                &format!("node-{n:03}"),
                vec![item("kernel.modules-ipvs", Status::Fail)],
            ));
        }
        view.subjects
            .push(host("cp-1", vec![item("net.nic-speed", Status::Warn)]));
        view.subjects.push(Subject {
            name: "down".to_owned(),
            outcome: Some(HostOutcome::Unreachable),
            error: Some("connection refused".to_owned()),
            ..Subject::default()
        });
        let text = Table::new(RenderOptions::default()).render(&view);
        assert!(
            text.contains("FAIL  node-004…node-037 (34)\n      kernel.modules-ipvs"),
            "{text}"
        );
        assert!(
            text.contains("WARN  cp-1 (1)\n      warn: net.nic-speed"),
            "{text}"
        );
        assert!(text.contains("unreachable: connection refused"), "{text}");
        assert!(text.contains("hosts     node-004…node-037 (34)"), "{text}");
    }

    #[test]
    fn waived_checks_of_a_fleet_are_shown_with_their_reason() {
        let waived = |host_name: &str| {
            let mut check = item("hw.tpm", Status::Waived);
            check.reason = Some(format!("waived (fail: TPM 1.2 on {host_name}): edge rack"));
            check
        };
        let mut view = View::empty(ViewKind::Fleet);
        view.subjects.push(host(
            "edge-1",
            vec![waived("edge-1"), item("cpu.cores", Status::Pass)],
        ));
        view.subjects.push(host("edge-2", vec![waived("edge-2")]));
        view.subjects
            .push(host("rack-1", vec![item("hw.tpm", Status::Fail)]));
        let text = Table::new(RenderOptions::default()).render(&view);
        assert!(
            text.contains("ok    edge-1, edge-2 (2)\n      waived: hw.tpm"),
            "{text}"
        );
        let fail = text.find("FAIL  hw.tpm").unwrap();
        let waived = text.find("WAIVED hw.tpm").unwrap();
        assert!(fail < waived, "{text}");
        assert!(
            text[waived..].contains("hosts     edge-1, edge-2 (2)")
                && text[waived..]
                    .contains("waived (fail: TPM 1.2 on edge-1): edge rack (on edge-1)"),
            "{text}"
        );
        let quiet = Table::new(RenderOptions {
            verbosity: Verbosity::Quiet,
            ..RenderOptions::default()
        })
        .render(&view);
        assert!(!quiet.contains("WAIVED"), "{quiet}");
    }

    #[test]
    fn nothing_from_a_host_reaches_the_terminal_raw() {
        let mut view = View::empty(ViewKind::Host);
        let mut evil = item("x.fail", Status::Fail);
        evil.observed = "ok\x1b[2K\r\x1b[32mPASS everything\x1b[0m".to_owned();
        view.subjects.push(host("h\x1b]0;owned\x07", vec![evil]));
        view.summary = "summary\x1b[1A".to_owned();
        let text = Table::new(RenderOptions::default()).render(&view);
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(text.contains("\\x1b[2K\\r"), "{text}");
    }

    /// `ironprep check --list-hosts`: aligned columns, the jump chain, the checks not every
    /// host runs; names from an inventory escaped.
    #[test]
    fn a_host_list_is_a_table_of_hosts_and_the_checks_they_share() {
        use ironprep_schema::listing::{HostList, JumpHop, ListedHost};
        use ironprep_schema::{Cni, Profile, Role};
        let host = |name: &str, address: &str, roles: Vec<Role>, checks: &[&str]| ListedHost {
            host: name.to_owned(),
            address: address.to_owned(),
            port: 22,
            user: "root".to_owned(),
            roles,
            groups: None,
            jump: vec![JumpHop {
                name: "bastion".to_owned(),
                address: "192.0.2.1".to_owned(),
                port: 2222,
                user: "jump".to_owned(),
            }],
            checks: checks.iter().map(|id| (*id).to_owned()).collect(),
        };
        let mut direct = host("w1\x1b[2J", "fd00::7", vec![Role::Worker], &["os.support"]);
        direct.jump.clear();
        direct.checks.push("memory.size".to_owned());
        let list = HostList {
            schema_version: ironprep_schema::SCHEMA_VERSION,
            profile: Profile::Traditional,
            cni: Cni::Calico,
            hosts: vec![
                host(
                    "cp1",
                    "10.0.0.1",
                    vec![Role::ControlPlane, Role::Etcd],
                    &["os.support", "memory.size", "disk.ssd"],
                ),
                host(
                    "etcd-1",
                    "10.0.0.2",
                    vec![Role::Etcd],
                    &["os.support", "disk.ssd"],
                ),
                direct,
            ],
        };
        let text = Table::new(RenderOptions::default()).render(&View::of_host_list(&list));
        assert!(!text.contains('\x1b'), "{text:?}");
        insta::assert_snapshot!("host_list", text);
    }

    #[test]
    fn a_secret_line_is_withheld() {
        let mut view = View::empty(ViewKind::Lint);
        view.subjects.push(Subject {
            name: "input".to_owned(),
            items: vec![Item {
                id: "input".to_owned(),
                status: Status::Error,
                observed: "duplicate key".to_owned(),
                location: Some(crate::view::Location {
                    file: "s.yaml".to_owned(),
                    line: 7,
                    column: 3,
                    excerpt: Some(Excerpt::Withheld {
                        key: "tls.key".to_owned(),
                    }),
                    ..Default::default()
                }),
                ..Item::default()
            }],
            ..Subject::default()
        });
        let text = Table::new(RenderOptions::default()).render(&view);
        assert!(text.contains("7 | (tls.key withheld"), "{text}");
    }
}
