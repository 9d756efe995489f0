//! Human renderings of ironprep reports, shared so that `ironprep-agent` and `ironprep check`
//! print the very same table for a host.
//!
//! Human output may change between versions; machines read the JSON of `ironprep-schema`.

pub mod event;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use ironprep_schema::{AgentReport, CheckResult, Status};

/// How status words are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Palette {
    Plain,
    Ansi,
}

/// How wide tables may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// Wrap cells to the width of the terminal on stdout.
    Terminal,
    /// Wrap cells to this many columns (tests, fixed-width logs).
    Fixed(u16),
    /// Never wrap (pipes and files: one row per line is easier to grep).
    Unlimited,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions {
    pub palette: Palette,
    pub width: Width,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            palette: Palette::Plain,
            width: Width::Unlimited,
        }
    }
}

/// One line of `--list`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedCheck {
    pub id: &'static str,
    pub title: &'static str,
    pub when: String,
    /// Advisory checks warn instead of failing.
    pub advisory: bool,
    pub hint: &'static str,
}

/// The agent report for one host: a header line, one row per check, the fixes, a summary.
pub fn render_agent_report(report: &AgentReport, options: &TableOptions) -> String {
    let mut text = String::new();
    text.push_str(&host_header(report));
    text.push('\n');
    let mut table = new_table(options);
    table.set_header(["STATUS", "CHECK", "OBSERVED", "EXPECTED", "FIX"]);
    for check in &report.checks {
        table.add_row(check_row(check, options.palette));
    }
    text.push_str(&table.to_string());
    text.push('\n');
    text.push_str(&summary_line(&report.checks));
    text.push('\n');
    text
}

/// `node-1 · Ubuntu 22.04.1 LTS · kernel 5.15.0-56-generic · x86_64 · traditional · …`
pub fn host_header(report: &AgentReport) -> String {
    let host = &report.host;
    let mut parts = vec![if host.hostname.is_empty() {
        "(no hostname)".to_owned()
    } else {
        host.hostname.clone()
    }];
    if !host.os.is_empty() {
        parts.push(host.os.clone());
    }
    if !host.kernel.is_empty() {
        parts.push(format!("kernel {}", host.kernel));
    }
    if !host.arch.is_empty() {
        parts.push(host.arch.clone());
    }
    parts.push(format!("profile {}", report.profile));
    let roles: Vec<&str> = report.roles.iter().map(|role| role.as_str()).collect();
    parts.push(format!("roles {}", roles.join(",")));
    parts.push(format!("cni {}", report.cni));
    parts.join(" · ")
}

/// `summary: 30 pass, 2 warn, 1 fail, 6 skip, 0 error` and what it means.
pub fn summary_line(checks: &[CheckResult]) -> String {
    let count = |status: Status| checks.iter().filter(|check| check.status == status).count();
    let counts = Status::ALL
        .iter()
        .map(|status| format!("{} {}", count(*status), status))
        .collect::<Vec<_>>()
        .join(", ");
    let verdict = match (count(Status::Fail), count(Status::Error)) {
        (0, 0) => "nothing blocks the installation".to_owned(),
        (0, errors) => format!("{errors} check(s) could not be evaluated; see the reasons above"),
        (failures, _) => format!("fix the {failures} failed check(s) before installing"),
    };
    format!("summary: {counts} — {verdict}")
}

fn check_row(check: &CheckResult, palette: Palette) -> Vec<Cell> {
    let status = Cell::new(check.status.as_str().to_uppercase());
    let status = match palette {
        Palette::Plain => status,
        Palette::Ansi => status.fg(match check.status {
            Status::Pass => Color::Green,
            Status::Warn => Color::Yellow,
            Status::Fail | Status::Error => Color::Red,
            Status::Skip => Color::DarkGrey,
        }),
    };
    let (observed, expected, fix) = match check.status {
        Status::Skip | Status::Error => (
            check.reason.clone().unwrap_or_default(),
            String::new(),
            if check.status == Status::Error {
                check.hint.clone()
            } else {
                String::new()
            },
        ),
        Status::Pass => (
            check.observed.clone(),
            check.expected.clone(),
            String::new(),
        ),
        Status::Warn | Status::Fail => (
            check.observed.clone(),
            check.expected.clone(),
            check.hint.clone(),
        ),
    };
    vec![
        status,
        Cell::new(&check.id),
        Cell::new(observed),
        Cell::new(expected),
        Cell::new(fix),
    ]
}

/// `--list`: every check, its title and when it applies.
pub fn render_check_list(checks: &[ListedCheck]) -> String {
    let mut table = new_table(&TableOptions::default());
    table.set_header(["CHECK", "WHAT", "WHEN", "KIND"]);
    for check in checks {
        table.add_row([
            check.id,
            check.title,
            check.when.as_str(),
            if check.advisory {
                "advisory"
            } else {
                "required"
            },
        ]);
    }
    format!("{table}\n")
}

/// A table in the house style, sized and coloured as `options` say; every renderer starts here.
pub fn new_table(options: &TableOptions) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_BORDERS_ONLY);
    match options.width {
        Width::Terminal => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        Width::Fixed(width) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(width);
            table.force_no_tty();
        }
        Width::Unlimited => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    match options.palette {
        Palette::Ansi => {
            table.enforce_styling();
        }
        Palette::Plain => {
            table.force_no_tty();
        }
    }
    table
}
