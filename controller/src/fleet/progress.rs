//! What a person sees while a fleet runs: a live bar on a terminal (hosts done, failed,
//! running), else one plain line per finished host on stderr, so logs stay greppable.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ironprep_schema::{HostEntry, HostOutcome, Status};

use super::render::outcome_word;

pub struct Progress {
    bar: Option<ProgressBar>,
    running: AtomicUsize,
    failed: AtomicUsize,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            // The template is a constant known to be valid; fall back to the default if not.
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} hosts · {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            running: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }

    pub fn started(&self) {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.update();
    }

    pub fn finished(&self, host: &HostEntry) {
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
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                self.update();
            }
            None => eprintln!("{}", line(host)),
        }
    }

    fn update(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} failed · {} running",
                self.failed.load(Ordering::SeqCst),
                self.running.load(Ordering::SeqCst)
            ));
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
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
