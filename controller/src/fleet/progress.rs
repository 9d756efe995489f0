//! What a person sees while a fleet runs: a live bar on a terminal (hosts done, failed,
//! running), else one plain line per finished host on stderr, so logs stay greppable.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ironprep_report::event::{Event, NoteLevel, Observer};
use ironprep_schema::{HostEntry, HostOutcome, Status};

use super::render::outcome_word;

pub struct Progress {
    bar: std::sync::OnceLock<Option<ProgressBar>>,
    running: AtomicUsize,
    failed: AtomicUsize,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Started { subjects } => {
                let _ = self.bar.set(bar(*subjects));
            }
            Event::SubjectStarted { .. } => self.started(),
            Event::HostFinished { entry } => self.finished(entry),
            Event::Note { level, text } => {
                let prefix = match level {
                    NoteLevel::Info => "",
                    NoteLevel::Warning => "warning: ",
                };
                self.println(&format!("ironprep: {prefix}{text}"));
            }
        }
    }
}

fn bar(total: usize) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        // The template is a constant known to be valid; fall back to the default if not.
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} hosts · {msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    })
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            bar: std::sync::OnceLock::new(),
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

    fn started(&self) {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.update();
    }

    fn finished(&self, host: &HostEntry) {
        // Hosts that never started (the jump host failed) leave the count at zero.
        let _ = self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        let failed = host.outcome != HostOutcome::Reported
            || host
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
            None => eprintln!("{}", line(host)),
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

    pub fn done(&self) {
        if let Some(bar) = self.bar() {
            bar.finish_and_clear();
        }
    }
}

/// `ironprep: node-1 (10.0.0.1:22): reported, 2 failed checks (net.hostname, memory.swap)`
fn line(host: &HostEntry) -> String {
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
        host.host,
        host.address,
        outcome_word(host.outcome),
        detail
    )
}
