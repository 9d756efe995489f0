//! The terminal's view of a run while it happens: a live bar on a terminal (hosts done,
//! failed, running), else one plain line per finished host on stderr, so logs stay greppable.
//! Notes (warnings about the input, phase timings) go to stderr either way.

use std::io::IsTerminal as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ironprep_schema::{HostEntry, HostOutcome, Status};

use crate::event::{Event, NoteLevel, Observer};
use crate::text::escape;
use crate::view::outcome_word;

pub struct Progress {
    /// Set when the run starts and knows its size; `None` inside when stderr is no terminal.
    bar: OnceLock<Option<ProgressBar>>,
    /// Plain lines per host even on a terminal without a bar (`-q` keeps only notes).
    lines: bool,
    running: AtomicUsize,
    failed: AtomicUsize,
}

impl Progress {
    /// `live`: draw a bar when stderr is a terminal; `lines`: one line per finished host when
    /// there is no bar.
    pub fn new(live: bool, lines: bool) -> Progress {
        let bar = OnceLock::new();
        if !(live && std::io::stderr().is_terminal()) {
            let _ = bar.set(None);
        }
        Progress {
            bar,
            lines,
            running: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }

    fn bar(&self) -> Option<&ProgressBar> {
        self.bar.get().and_then(Option::as_ref)
    }

    fn println(&self, line: &str) {
        match self.bar() {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn update(&self) {
        if let Some(bar) = self.bar() {
            bar.set_message(format!(
                "{} failed · {} running",
                self.failed.load(Ordering::SeqCst),
                self.running.load(Ordering::SeqCst)
            ));
        }
    }

    /// Clears the bar before the report is printed.
    pub fn done(&self) {
        if let Some(bar) = self.bar() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Started { subjects } => {
                let _ = self.bar.set(Some(new_bar(*subjects)));
            }
            Event::SubjectStarted { .. } => {
                self.running.fetch_add(1, Ordering::SeqCst);
                self.update();
            }
            Event::HostFinished { entry } => {
                // Hosts that never started (the jump host failed) leave the count at zero.
                let _ = self
                    .running
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                let failed = entry.outcome != HostOutcome::Reported
                    || entry
                        .report
                        .as_ref()
                        .is_some_and(|report| report.count(Status::Fail) > 0);
                if failed {
                    self.failed.fetch_add(1, Ordering::SeqCst);
                }
                match self.bar() {
                    Some(bar) => {
                        bar.inc(1);
                        self.update();
                    }
                    None if self.lines => eprintln!("{}", line(entry)),
                    None => {}
                }
            }
            Event::Note { level, text } => {
                let prefix = match level {
                    NoteLevel::Info => "",
                    NoteLevel::Warning => "warning: ",
                };
                self.println(&format!("ironprep: {prefix}{}", escape(text)));
            }
        }
    }
}

fn new_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    // The template is a constant known to be valid; the default style stays if it were not.
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} hosts · {msg}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// `ironprep: node-1 (10.0.0.1:22): reported, 2 failed checks (net.hostname, memory.swap)`
pub fn line(host: &HostEntry) -> String {
    let detail = match &host.report {
        Some(report) => {
            let failed: Vec<&str> = report
                .checks
                .iter()
                .filter(|check| check.status == Status::Fail)
                .map(|check| check.id.as_str())
                .collect();
            if failed.is_empty() {
                "no failed checks".to_owned()
            } else {
                format!("{} failed checks ({})", failed.len(), failed.join(", "))
            }
        }
        None => host.error.clone().unwrap_or_default(),
    };
    format!(
        "ironprep: {} ({}): {}, {}",
        escape(&host.host),
        escape(&host.address),
        outcome_word(host.outcome),
        escape(&detail)
    )
}
