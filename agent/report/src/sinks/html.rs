//! `--format html`: one self-contained page of any view, to read in a browser, mail or print.
//! Nothing is fetched: the stylesheet and the script are inline and a Content-Security-Policy
//! allows exactly those two (by hash), so a hostile string that slipped past escaping still
//! could not run. Every text of the report is escaped (and its control characters shown, as
//! on a terminal); the script reads the report's strings from a JSON block and only ever sets
//! `textContent`.
//!
//! A fleet is a hosts × checks matrix, failing hosts and checks first, with the failing checks
//! grouped by check above it; other views are a list of results. Statuses are never listed
//! here: their order is [`Status`]'s, their names `as_str`, and a status the stylesheet does not
//! know is drawn in a neutral colour.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use ironprep_schema::Status;
use sha2::{Digest as _, Sha256};

use super::{Document, Sink};
use crate::text;
use crate::view::{Connectivity, Excerpt, Item, Subject, View, ViewKind, outcome_word};

const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// Hosts in a connectivity grid before it shows only the hosts of failing pairs (a full grid
/// of 1,000 hosts would be a million cells).
const FULL_GRID: usize = 40;
/// Host names listed in a grouped failure before the rest fold away.
const NAMED_HOSTS: usize = 12;

pub struct Html;

impl Sink for Html {
    fn write(&self, document: &Document<'_>, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(document.view).as_bytes())
    }
}

/// The whole page.
pub fn render(view: &View) -> String {
    let mut page = Page::default();
    page.head(view);
    page.header(view);
    page.filters(view);
    if view.kind.is_fleet() {
        page.problems(view);
        page.matrix(view);
        page.across(view);
        if let Some(connectivity) = &view.connectivity {
            page.connectivity(connectivity);
        }
    } else {
        page.results(view);
    }
    page.catalog(view);
    page.sections(view);
    page.tail();
    page.html
}

/// `sha256-…` of an inline element, as a Content-Security-Policy source.
fn csp_hash(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Text for an HTML element or a quoted attribute.
fn escape(text: &str) -> String {
    let shown = text::escape(text);
    let mut escaped = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// JSON that may stand inside `<script>`: no `<`, `>` or `&` can end the element or open a
/// comment, and the line separators old parsers choke on are escaped too.
fn script_json(value: &serde_json::Value) -> String {
    let json = value.to_string();
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\u{2028}' => safe.push_str("\\u2028"),
            '\u{2029}' => safe.push_str("\\u2029"),
            c => safe.push(c),
        }
    }
    safe
}

fn heading(kind: ViewKind) -> &'static str {
    match kind {
        ViewKind::Host => "host check",
        ViewKind::Fleet => "fleet check",
        ViewKind::Bmc => "BMC check",
        ViewKind::Lint => "lint",
        ViewKind::Probe => "probe",
        ViewKind::Certificates => "certificates",
        ViewKind::Files => "files written",
        ViewKind::Comparison => "comparison",
        ViewKind::Catalog => "catalogue",
        ViewKind::Hosts => "host list",
        ViewKind::Checks | ViewKind::Manifest => "report",
    }
}

/// What the check filter is called: lint has rules.
fn check_word(kind: ViewKind) -> &'static str {
    if kind == ViewKind::Lint {
        "rule"
    } else {
        "check"
    }
}

/// Statuses seen, worst first, with their counts; an unreached host counts as an error, as in
/// [`Subject::worst`].
fn status_counts(view: &View) -> Vec<(Status, usize)> {
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for item in view.items() {
        *counts.entry(item.status).or_default() += 1;
    }
    for subject in view.subjects.iter().filter(|subject| !subject.reached()) {
        if let Some(worst) = subject.worst() {
            *counts.entry(worst).or_default() += 1;
        }
    }
    counts.into_iter().rev().collect()
}

fn status_class(status: Status) -> String {
    format!("st st-{}", status.as_str())
}

/// Strings of the matrix cells, each stored once: most observed values, and every title,
/// expectation and fix, repeat across hosts.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Strings {
    fn add(&mut self, text: &str) -> i64 {
        if text.is_empty() {
            return -1;
        }
        let shown = text::escape(text);
        if let Some(&index) = self.index.get(shown.as_ref()) {
            return index as i64;
        }
        let index = self.list.len();
        self.list.push(shown.clone().into_owned());
        self.index.insert(shown.into_owned(), index);
        index as i64
    }
}

#[derive(Default)]
struct Page {
    html: String,
    strings: Strings,
    /// Per matrix cell: subject, ID, status, title, observed, expected, fix, reason (indices
    /// into `strings`, -1 for none).
    cells: Vec<[i64; 8]>,
}

impl Page {
    fn push(&mut self, text: &str) {
        self.html.push_str(text);
    }

    fn text(&mut self, text: &str) {
        let escaped = escape(text);
        self.html.push_str(&escaped);
    }

    fn head(&mut self, view: &View) {
        let title = view
            .subjects
            .first()
            .filter(|_| view.subjects.len() == 1)
            .map(|subject| subject.name.clone())
            .unwrap_or_default();
        let _ = write!(
            self.html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"ironprep {}\">\n<title>ironprep {}",
            csp_hash(STYLE),
            csp_hash(SCRIPT),
            env!("CARGO_PKG_VERSION"),
            heading(view.kind),
        );
        if !title.is_empty() {
            self.push(" — ");
            self.text(&title);
        }
        self.push("</title>\n<style>");
        self.push(STYLE);
        self.push("</style>\n</head>\n<body>\n");
    }

    fn header(&mut self, view: &View) {
        let _ = writeln!(
            self.html,
            "<header><h1>ironprep {}</h1>",
            heading(view.kind)
        );
        for line in &view.headline {
            self.push("<p class=\"headline\">");
            self.text(line);
            self.push("</p>\n");
        }
        if view.kind.is_fleet() {
            let reached = view.subjects.iter().filter(|s| s.reached()).count();
            let failing = view
                .subjects
                .iter()
                .filter(|subject| subject.worst() == Some(Status::Fail))
                .count();
            let _ = writeln!(
                self.html,
                "<ul class=\"counts\" id=\"host-counts\"><li><b>{}</b>hosts</li>\
                 <li><b>{reached}</b>reported</li><li><b>{}</b>not reached</li>\
                 <li><b>{failing}</b>with failed checks</li></ul>",
                view.subjects.len(),
                view.subjects.len() - reached,
            );
        }
        let counts = status_counts(view);
        if !counts.is_empty() {
            self.push("<ul class=\"counts\" id=\"status-counts\">");
            for (status, count) in counts {
                let _ = write!(
                    self.html,
                    "<li class=\"{}\" data-status=\"{}\"><b>{count}</b>{}</li>",
                    status_class(status),
                    status.as_str(),
                    status.as_str()
                );
            }
            self.push("</ul>\n");
        }
        if !view.summary.is_empty() {
            self.push("<p class=\"summary\" id=\"summary\">");
            self.text(&view.summary);
            self.push("</p>\n");
        }
        self.push("</header>\n");
    }

    fn filters(&mut self, view: &View) {
        let statuses = status_counts(view);
        if statuses.is_empty() {
            return;
        }
        self.push("<nav id=\"filters\" aria-label=\"filters\"><span>status:</span>");
        for (status, _) in &statuses {
            let _ = write!(
                self.html,
                "<label><input type=\"checkbox\" checked data-status=\"{0}\"> \
                 <span class=\"tag {1}\">{0}</span></label>",
                status.as_str(),
                status_class(*status)
            );
        }
        let roles: BTreeSet<&str> = view
            .subjects
            .iter()
            .flat_map(|subject| subject.roles.iter().map(String::as_str))
            .collect();
        if !roles.is_empty() {
            self.push("<label>role: <select id=\"filter-role\"><option value=\"\">all</option>");
            for role in roles {
                let role = escape(role);
                let _ = write!(self.html, "<option value=\"{role}\">{role}</option>");
            }
            self.push("</select></label>");
        }
        let _ = write!(
            self.html,
            "<label>{}: <select id=\"filter-check\"><option value=\"\">all</option>",
            check_word(view.kind)
        );
        for id in check_ids(view) {
            let id = escape(id);
            let _ = write!(self.html, "<option value=\"{id}\">{id}</option>");
        }
        self.push("</select></label><output id=\"shown\"></output></nav>\n");
    }

    /// The failing (and warning, erroring …) checks of a fleet, each with the hosts it fails
    /// on: what to fix, most hosts first.
    fn problems(&mut self, view: &View) {
        // (status, check) → hosts and one example item.
        let mut groups: BTreeMap<(Status, &str), (Vec<&Subject>, &Item)> = BTreeMap::new();
        for subject in &view.subjects {
            for item in subject.items.iter().filter(|item| is_problem(item.status)) {
                groups
                    .entry((item.status, item.id.as_str()))
                    .or_insert_with(|| (Vec::new(), item))
                    .0
                    .push(subject);
            }
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(
            |((status_a, id_a), (hosts_a, _)), ((status_b, id_b), (hosts_b, _))| {
                status_b
                    .cmp(status_a)
                    .then(hosts_b.len().cmp(&hosts_a.len()))
                    .then(id_a.cmp(id_b))
            },
        );
        let unreached: Vec<&Subject> = view.subjects.iter().filter(|s| !s.reached()).collect();
        if groups.is_empty() && unreached.is_empty() {
            return;
        }
        self.push(
            "<section id=\"problems\"><h2>What to fix</h2>\n<table class=\"list\"><thead><tr>\
             <th>status</th><th>check</th><th>hosts</th><th>observed (first host)</th>\
             <th>expected</th><th>fix</th></tr></thead><tbody>\n",
        );
        for subject in &unreached {
            let status = subject.worst().unwrap_or(Status::Error);
            let outcome = subject.outcome.map(outcome_word).unwrap_or("not reached");
            self.push("<tr data-status=\"");
            self.push(status.as_str());
            self.push("\" data-check=\"\" data-roles=\"\" class=\"unreached\"><td>");
            self.status_tag(status);
            self.push("</td><td>");
            self.text(outcome);
            self.push("</td><td class=\"hosts\">");
            self.text(&subject.name);
            self.push("</td><td colspan=\"3\">");
            self.text(subject.error.as_deref().unwrap_or(""));
            self.push("</td></tr>\n");
        }
        for ((status, id), (hosts, item)) in groups {
            let roles: BTreeSet<&str> = hosts
                .iter()
                .flat_map(|host| host.roles.iter().map(String::as_str))
                .collect();
            self.push("<tr data-status=\"");
            self.push(status.as_str());
            self.push("\" data-check=\"");
            self.text(id);
            self.push("\" data-roles=\"");
            self.text(&roles.into_iter().collect::<Vec<_>>().join(" "));
            self.push("\"><td>");
            self.status_tag(status);
            self.push("</td><td><code>");
            self.text(id);
            self.push("</code><br>");
            self.text(&item.title);
            let _ = write!(
                self.html,
                "</td><td class=\"hosts\"><b>{}</b> ",
                hosts.len()
            );
            self.host_names(&hosts);
            self.push("</td><td>");
            self.text(item.seen());
            self.push("</td><td>");
            self.text(&item.expected);
            self.push("</td><td>");
            self.fix(&item.fix);
            self.push("</td></tr>\n");
        }
        self.push("</tbody></table></section>\n");
    }

    fn host_names(&mut self, hosts: &[&Subject]) {
        let (named, folded) = hosts.split_at(hosts.len().min(NAMED_HOSTS));
        let names = |hosts: &[&Subject]| {
            hosts
                .iter()
                .map(|host| host.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.text(&names(named));
        if !folded.is_empty() {
            let _ = write!(
                self.html,
                " <details><summary>and {} more</summary>",
                folded.len()
            );
            self.text(&names(folded));
            self.push("</details>");
        }
    }

    fn fix(&mut self, fix: &str) {
        if !fix.is_empty() {
            self.push("<pre class=\"fix\">");
            self.text(fix);
            self.push("</pre>");
        }
    }

    fn status_tag(&mut self, status: Status) {
        let _ = write!(
            self.html,
            "<span class=\"tag {}\">{}</span>",
            status_class(status),
            status.as_str()
        );
    }

    /// Hosts × checks, worst hosts on top and worst checks on the left; a cell opens its
    /// result in the detail panel.
    fn matrix(&mut self, view: &View) {
        if view.subjects.is_empty() {
            return;
        }
        let columns = matrix_columns(view);
        let mut rows: Vec<(usize, &Subject)> = view.subjects.iter().enumerate().collect();
        rows.sort_by_key(|(index, subject)| {
            let worst = subject.worst();
            let at_worst = subject
                .items
                .iter()
                .filter(|item| Some(item.status) == worst)
                .count();
            (
                std::cmp::Reverse(!subject.reached()),
                std::cmp::Reverse(worst),
                std::cmp::Reverse(at_worst),
                *index,
            )
        });
        self.push(
            "<section id=\"matrix-section\"><h2>Hosts × checks</h2>\n\
             <p class=\"noprint\">Worst hosts first, worst checks on the left; click a cell for \
             what was observed, what is expected and the fix.</p>\n\
             <div class=\"matrix-wrap\"><table class=\"matrix\" id=\"matrix\"><thead><tr><th></th>",
        );
        for id in &columns {
            self.push("<th data-check=\"");
            self.text(id);
            self.push("\">");
            self.text(id);
            self.push("</th>");
        }
        self.push("</tr></thead><tbody>\n");
        for (_, subject) in rows {
            let subject_index = self.strings.add(&subject.name);
            self.push("<tr data-host=\"");
            self.text(&subject.name);
            self.push("\" data-roles=\"");
            self.text(&subject.roles.join(" "));
            self.push("\"><th title=\"");
            self.text(
                subject
                    .detail
                    .as_deref()
                    .or(subject.address.as_deref())
                    .unwrap_or(""),
            );
            self.push("\">");
            self.text(&subject.name);
            if !subject.roles.is_empty() {
                self.push("<span class=\"role\">");
                self.text(&subject.roles.join(","));
                self.push("</span>");
            }
            self.push("</th>");
            if !subject.reached() {
                let status = subject.worst().unwrap_or(Status::Error);
                let outcome = subject.outcome.map(outcome_word).unwrap_or("not reached");
                let cell = self.cells.len();
                self.cells.push([
                    subject_index,
                    self.strings.add(outcome),
                    self.strings.add(status.as_str()),
                    self.strings.add("the host was not reached"),
                    self.strings
                        .add(subject.error.as_deref().unwrap_or(outcome)),
                    self.strings.add("reported"),
                    -1,
                    -1,
                ]);
                let _ = write!(
                    self.html,
                    "<td class=\"st-{} down\" colspan=\"{}\" data-i=\"{cell}\">",
                    status.as_str(),
                    columns.len().max(1)
                );
                self.text(outcome);
                self.push(": ");
                self.text(subject.error.as_deref().unwrap_or(""));
                self.push("</td></tr>\n");
                continue;
            }
            let by_id: HashMap<&str, &Item> = subject
                .items
                .iter()
                .rev()
                .map(|item| (item.id.as_str(), item))
                .collect();
            for id in &columns {
                let Some(item) = by_id.get(id) else {
                    self.push("<td class=\"none\"></td>");
                    continue;
                };
                let cell = self.cells.len();
                self.cells.push([
                    subject_index,
                    self.strings.add(&item.id),
                    self.strings.add(item.status.as_str()),
                    self.strings.add(&item.title),
                    self.strings.add(&item.observed),
                    self.strings.add(&item.expected),
                    self.strings.add(&item.fix),
                    self.strings.add(item.reason.as_deref().unwrap_or("")),
                ]);
                let _ = write!(
                    self.html,
                    "<td class=\"st-{}\" data-i=\"{cell}\"></td>",
                    item.status.as_str()
                );
            }
            self.push("</tr>\n");
        }
        self.push("</tbody></table></div></section>\n");
    }

    /// Checks across hosts (`fleet.*`).
    fn across(&mut self, view: &View) {
        if view.across.is_empty() {
            return;
        }
        self.push(
            "<section id=\"across\"><h2>Across hosts</h2>\n<table class=\"list\"><thead><tr>\
             <th>status</th><th>check</th><th>observed</th><th>expected</th><th>hosts</th>\
             <th>fix</th></tr></thead><tbody>\n",
        );
        let mut items: Vec<&Item> = view.across.iter().collect();
        items.sort_by_key(|item| std::cmp::Reverse(item.status));
        for item in items {
            self.item_row_start(item, "");
            self.push("<td><code>");
            self.text(&item.id);
            self.push("</code><br>");
            self.text(&item.title);
            self.push("</td><td>");
            self.text(item.seen());
            self.push("</td><td>");
            self.text(&item.expected);
            self.push("</td><td class=\"hosts\">");
            self.text(&item.hosts.join(", "));
            self.push("</td><td>");
            self.fix(&item.fix);
            self.push("</td></tr>\n");
        }
        self.push("</tbody></table></section>\n");
    }

    fn item_row_start(&mut self, item: &Item, roles: &str) {
        self.push("<tr data-status=\"");
        self.push(item.status.as_str());
        self.push("\" data-check=\"");
        self.text(&item.id);
        self.push("\" data-roles=\"");
        self.text(roles);
        self.push("\"><td>");
        self.status_tag(item.status);
        self.push("</td>");
    }

    /// Which host reached which: a row per source, a column per destination.
    fn connectivity(&mut self, connectivity: &Connectivity) {
        let failing: BTreeMap<(&str, &str), Vec<String>> =
            connectivity
                .failing
                .iter()
                .fold(BTreeMap::new(), |mut pairs, pair| {
                    pairs
                        .entry((pair.from.as_str(), pair.to.as_str()))
                        .or_insert_with(Vec::new)
                        .push(format!("{} {}", pair.port, pair.result));
                    pairs
                });
        let hosts: Vec<&str> = if connectivity.hosts.len() <= FULL_GRID {
            connectivity.hosts.iter().map(String::as_str).collect()
        } else {
            let involved: BTreeSet<&str> =
                failing.keys().flat_map(|(from, to)| [*from, *to]).collect();
            connectivity
                .hosts
                .iter()
                .map(String::as_str)
                .filter(|host| involved.contains(host))
                .collect()
        };
        let _ = write!(
            self.html,
            "<section id=\"connectivity\"><h2>Connectivity</h2>\n<p>{} hosts, {} failing \
             pair(s); rows are sources, columns destinations.",
            connectivity.hosts.len(),
            failing.len()
        );
        if hosts.len() < connectivity.hosts.len() {
            self.push(" Only the hosts of failing pairs are drawn; every other pair connected.");
        }
        self.push("</p>\n");
        if hosts.is_empty() {
            self.push("</section>\n");
            return;
        }
        self.push("<table class=\"grid\" id=\"connectivity-grid\"><thead><tr><th></th>");
        for host in &hosts {
            self.push("<th>");
            self.text(host);
            self.push("</th>");
        }
        self.push("</tr></thead><tbody>\n");
        for from in &hosts {
            self.push("<tr><th>");
            self.text(from);
            self.push("</th>");
            for to in &hosts {
                if from == to {
                    self.push("<td class=\"self\"></td>");
                } else if let Some(results) = failing.get(&(*from, *to)) {
                    let _ = write!(
                        self.html,
                        "<td class=\"{}\" title=\"",
                        status_class(Status::Fail)
                    );
                    self.text(&format!("{from} → {to}: {}", results.join(", ")));
                    self.push("\">✗</td>");
                } else {
                    self.push("<td>✓</td>");
                }
            }
            self.push("</tr>\n");
        }
        self.push("</tbody></table></section>\n");
    }

    /// One row per result, worst first: a host's checks, lint findings, probed endpoints.
    fn results(&mut self, view: &View) {
        let mut items: Vec<(&Subject, &Item)> = view
            .subjects
            .iter()
            .flat_map(|subject| subject.items.iter().map(move |item| (subject, item)))
            .chain(view.across.iter().map(|item| (&EMPTY_SUBJECT, item)))
            .collect();
        if items.is_empty() && view.subjects.iter().all(Subject::reached) {
            return;
        }
        items.sort_by_key(|(_, item)| std::cmp::Reverse(item.status));
        let named = view.subjects.len() > 1 && view.kind != ViewKind::Lint;
        let located = items.iter().any(|(_, item)| item.location.is_some());
        self.push("<section id=\"results\"><h2>Results</h2>\n");
        for subject in view.subjects.iter().filter(|subject| !subject.reached()) {
            self.push("<p class=\"unreached\">");
            self.status_tag(subject.worst().unwrap_or(Status::Error));
            self.push(" ");
            self.text(&subject.name);
            self.push(": ");
            self.text(subject.outcome.map(outcome_word).unwrap_or(""));
            self.push(" — ");
            self.text(subject.error.as_deref().unwrap_or(""));
            self.push("</p>\n");
        }
        self.push("<table class=\"list\" id=\"results-table\"><thead><tr><th>status</th>");
        if named {
            self.push("<th>subject</th>");
        }
        let _ = write!(self.html, "<th>{}</th>", check_word(view.kind));
        if located {
            self.push("<th>where</th>");
        }
        self.push("<th>observed</th><th>expected</th><th>fix</th></tr></thead><tbody>\n");
        for (subject, item) in items {
            self.item_row_start(item, &subject.roles.join(" "));
            if named {
                self.push("<td>");
                self.text(&subject.name);
                self.push("</td>");
            }
            self.push("<td><code>");
            self.text(&item.id);
            self.push("</code><br>");
            self.text(&item.title);
            self.push("</td>");
            if located {
                self.push("<td>");
                if let Some(location) = &item.location {
                    self.push("<code class=\"location\">");
                    self.text(&location.position());
                    self.push("</code>");
                    for extra in [&location.object, &location.field] {
                        if !extra.is_empty() {
                            self.push("<br>");
                            self.text(extra);
                        }
                    }
                    match &location.excerpt {
                        Some(Excerpt::Source(line)) => {
                            self.push("<pre class=\"source\">");
                            self.text(line);
                            self.push("</pre>");
                        }
                        Some(Excerpt::Withheld { key }) => {
                            self.push("<p class=\"withheld\">source line withheld: the value of ");
                            self.text(key);
                            self.push(" may be secret</p>");
                        }
                        None => {}
                    }
                }
                self.push("</td>");
            }
            self.push("<td>");
            self.text(item.seen());
            if let Some(detail) = &item.detail {
                self.push("<br><small>");
                self.text(detail);
                self.push("</small>");
            }
            self.push("</td><td>");
            self.text(&item.expected);
            self.push("</td><td>");
            self.fix(&item.fix);
            self.push("</td></tr>\n");
        }
        self.push("</tbody></table></section>\n");
    }

    /// The checks or rules of a catalogue.
    fn catalog(&mut self, view: &View) {
        if view.kind != ViewKind::Catalog || view.rules.is_empty() {
            return;
        }
        self.push(
            "<section id=\"catalog\"><table class=\"list\"><thead><tr><th>level</th><th>id</th>\
             <th>title</th><th>help</th></tr></thead><tbody>\n",
        );
        for rule in &view.rules {
            self.push("<tr><td>");
            self.status_tag(rule.level);
            self.push("</td><td><code>");
            self.text(&rule.id);
            self.push("</code></td><td>");
            self.text(&rule.title);
            self.push("</td><td><pre>");
            self.text(&rule.help);
            self.push("</pre></td></tr>\n");
        }
        self.push("</tbody></table></section>\n");
    }

    fn sections(&mut self, view: &View) {
        for section in &view.sections {
            self.push("<section class=\"text\">");
            if !section.heading.is_empty() {
                self.push("<h2>");
                self.text(&section.heading);
                self.push("</h2>");
            }
            self.push("<pre>");
            self.text(&section.lines.join("\n"));
            self.push("</pre></section>\n");
        }
    }

    fn tail(&mut self) {
        self.push(
            "<aside id=\"detail\" hidden aria-live=\"polite\"><button type=\"button\">close\
             </button><h3></h3><p><span class=\"tag\"></span> <span class=\"title\"></span></p>\
             <dl></dl></aside>\n",
        );
        let data = serde_json::json!({
            "strings": self.strings.list,
            "items": self.cells,
        });
        let data = script_json(&data);
        let _ = write!(
            self.html,
            "<script type=\"application/json\" id=\"ironprep-data\">{data}</script>\n<script>"
        );
        self.push(SCRIPT);
        self.push("</script>\n</body></html>\n");
    }
}

static EMPTY_SUBJECT: Subject = Subject {
    name: String::new(),
    address: None,
    detail: None,
    roles: Vec::new(),
    outcome: None,
    error: None,
    items: Vec::new(),
};

/// A result someone must look at: anything worse than a waived result. Skips, passes and
/// waived results (accepted, with their reason) are not problems; warnings and worse are.
fn is_problem(status: Status) -> bool {
    status > Status::Waived
}

/// Every check ID in the order results first show it.
fn check_ids(view: &View) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    view.items()
        .map(|item| item.id.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The matrix's columns: checks that fail somewhere first (most hosts first), then the rest in
/// the order the hosts report them.
fn matrix_columns(view: &View) -> Vec<&str> {
    let mut order: Vec<&str> = Vec::new();
    let mut worst: HashMap<&str, (Status, usize)> = HashMap::new();
    for item in view.subjects.iter().flat_map(|subject| &subject.items) {
        let entry = worst.entry(item.id.as_str()).or_insert_with(|| {
            order.push(item.id.as_str());
            (item.status, 0)
        });
        match item.status.cmp(&entry.0) {
            std::cmp::Ordering::Greater => *entry = (item.status, 1),
            std::cmp::Ordering::Equal => entry.1 += 1,
            std::cmp::Ordering::Less => {}
        }
    }
    let position: HashMap<&str, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    order.sort_by_key(|id| {
        let (status, count) = worst.get(id).copied().unwrap_or_default();
        let problem = is_problem(status);
        (
            std::cmp::Reverse(problem.then_some(status)),
            std::cmp::Reverse(if problem { count } else { 0 }),
            position.get(id).copied().unwrap_or(usize::MAX),
        )
    });
    order
}

#[cfg(test)]
mod tests {
    use ironprep_schema::HostOutcome;

    use super::*;
    use crate::view::Location;

    const HOSTILE: &str = "<script>alert(1)</script>\"'&\u{202e}";

    fn hostile_fleet() -> View {
        let mut view = View::empty(ViewKind::Fleet);
        view.subjects.push(Subject {
            name: HOSTILE.to_owned(),
            roles: vec!["worker\"><blink>".to_owned()],
            outcome: Some(HostOutcome::Reported),
            items: vec![Item {
                id: "kernel.<i>x</i>".to_owned(),
                status: Status::Fail,
                observed: "</script><script>alert(2)</script>".to_owned(),
                fix: "`rm -rf <x>`".to_owned(),
                ..Item::default()
            }],
            ..Subject::default()
        });
        view.subjects.push(Subject {
            name: "down<1>".to_owned(),
            outcome: Some(HostOutcome::Unreachable),
            error: Some("no route to <host>".to_owned()),
            ..Subject::default()
        });
        view
    }

    /// The page's text outside the two trusted inline elements.
    fn outside_trusted(page: &str) -> String {
        let without_style = page.replace(STYLE, "");
        without_style.replace(SCRIPT, "")
    }

    #[test]
    fn hostile_strings_are_text_never_markup() {
        let page = render(&hostile_fleet());
        let rest = outside_trusted(&page);
        for markup in [
            "<script>alert",
            "<i>x</i>",
            "<blink>",
            "<x>",
            "<host>",
            "<1>",
            "\u{202e}",
        ] {
            assert!(
                !rest.contains(markup),
                "{markup} reached the page as markup"
            );
        }
        // Two script elements only: the JSON block and the trusted script.
        assert_eq!(rest.matches("<script").count(), 2, "{rest}");
        assert!(rest.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\\u{202e}"));
        assert!(rest.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(2)"));
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let page = render(&hostile_fleet());
        let policy = format!(
            "default-src 'none'; style-src {}; script-src {};",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        );
        assert!(page.contains(&policy), "{page}");
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        // Nothing to fetch: no URL, no external reference.
        let rest = outside_trusted(&page);
        for reference in ["http:", "https:", " src=", " href=", "url("] {
            assert!(!rest.contains(reference), "{reference} in the page");
        }
        assert!(!STYLE.contains("url(") && !STYLE.contains("@import"));
    }

    #[test]
    fn a_fleet_counts_hosts_and_lists_failing_checks_first() {
        let page = render(&hostile_fleet());
        assert!(page.contains("<li><b>2</b>hosts</li><li><b>1</b>reported</li>"));
        assert!(page.contains("<li><b>1</b>not reached</li><li><b>1</b>with failed checks</li>"));
        // The unreached host first in the matrix, then the failing one.
        let down = page.find("data-host=\"down&lt;1&gt;\"").unwrap();
        let failing = page.find("data-host=\"&lt;script&gt;").unwrap();
        assert!(down < failing);
        assert!(page.contains("class=\"st-error down\" colspan=\"1\""));
    }

    #[test]
    fn lint_findings_show_the_source_line_unless_withheld() {
        let mut view = View::empty(ViewKind::Lint);
        let finding = |line: u32, excerpt: Excerpt| Item {
            id: "secret.inline".to_owned(),
            status: Status::Warn,
            location: Some(Location {
                file: "cluster.yaml".to_owned(),
                line,
                column: 3,
                excerpt: Some(excerpt),
                ..Location::default()
            }),
            ..Item::default()
        };
        view.subjects.push(Subject {
            name: "secret.inline".to_owned(),
            items: vec![
                finding(4, Excerpt::Source("  image: <evil>".to_owned())),
                finding(
                    9,
                    Excerpt::Withheld {
                        key: "password".to_owned(),
                    },
                ),
            ],
            ..Subject::default()
        });
        let page = render(&view);
        assert!(page.contains("<pre class=\"source\">  image: &lt;evil&gt;</pre>"));
        assert!(page.contains("cluster.yaml:9:3"));
        assert!(page.contains("source line withheld: the value of password may be secret"));
    }

    #[test]
    fn a_large_connectivity_grid_draws_only_hosts_of_failing_pairs() {
        let hosts: Vec<String> = (0..100).map(|n| format!("node-{n:03}")).collect();
        let connectivity = Connectivity {
            hosts,
            failing: vec![crate::view::Pair {
                from: "node-004".to_owned(),
                to: "node-037".to_owned(),
                port: "tcp/10250".to_owned(),
                result: "dropped".to_owned(),
            }],
        };
        let mut page = Page::default();
        page.connectivity(&connectivity);
        assert_eq!(page.html.matches("<td").count(), 4, "{}", page.html);
        assert!(page.html.contains("node-004 → node-037: tcp/10250 dropped"));
    }
}
