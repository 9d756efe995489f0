//! Turns checks into results: applies scopes and `--only/--skip/--with`, derives the status
//! from what each check observed, and contains a panicking check to that one check.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use ironprep_schema::{CheckResult, Status};

use crate::check::{Check, Context, Level, Outcome, Severity};
use crate::checks;
use crate::host::Host;

/// Which checks the user asked for (`--only`, `--skip`, `--with`); shared with the
/// controller's `--list-hosts`, which must pick the checks exactly as this runner does. IDs are
/// validated against the registry before one exists.
pub use ironprep_schema::listing::Selection;

/// IDs that name no check, for a usage error.
pub fn unknown_ids<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    ids.into_iter()
        .filter(|id| checks::find(id).is_none())
        .cloned()
        .collect()
}

/// Threads that run checks. More than the queries that can run at once (four) gains nothing;
/// fewer makes a slow query hold up the file checks behind it.
const WORKERS: usize = 6;

pub fn run(host: &Host, context: &Context, selection: &Selection) -> Vec<CheckResult> {
    let selected: Vec<&dyn Check> = checks::ALL
        .iter()
        .copied()
        .filter(|check| selection.listed(check.id()))
        .collect();
    // A few workers take the checks in registry order. Most checks read a few small files; the
    // read-only queries (sshd -T, systemctl, ip, nft) each wait for a process, and with
    // WORKERS threads those waits still overlap. A thread per check (42 of them) cost more CPU
    // in thread starts and stack page faults than all the file reads together.
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<CheckResult>>> =
        selected.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(selected.len()) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let (Some(check), Some(slot)) = (selected.get(index), slots.get(index)) else {
                        break;
                    };
                    // evaluate_requested contains a check's panic itself; this also contains
                    // one while building the result, so one check never takes its worker's
                    // later checks with it.
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        if selection.skipped(check.id()) {
                            skipped(*check, "skipped with --skip".to_owned())
                        } else {
                            evaluate_requested(
                                *check,
                                host,
                                context,
                                selection.requested(check.id()),
                            )
                        }
                    }))
                    .unwrap_or_else(|_| {
                        errored(*check, "internal error in the check: panicked".to_owned())
                    });
                    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
                }
            });
        }
    });
    slots
        .into_iter()
        .zip(&selected)
        .map(|(slot, check)| {
            slot.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or_else(|| {
                    errored(*check, "internal error in the check: no result".to_owned())
                })
        })
        .collect()
}

/// Evaluates one check as the runner would without a selection.
pub fn evaluate(check: &dyn Check, host: &Host, context: &Context) -> CheckResult {
    evaluate_requested(check, host, context, false)
}

fn evaluate_requested(
    check: &dyn Check,
    host: &Host,
    context: &Context,
    requested: bool,
) -> CheckResult {
    if let Some(reason) = check.scope().skip_reason(context, requested) {
        return skipped(check, reason);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| check.run(host, context)));
    let observation = match outcome {
        Ok(Ok(Outcome::Observed(observation))) => observation,
        Ok(Ok(Outcome::Skip(reason))) => return skipped(check, reason),
        Ok(Err(error)) => return errored(check, error.to_string()),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            return errored(check, format!("internal error in the check: {message}"));
        }
    };
    let status = match (observation.level, check.severity()) {
        (Level::Ok, _) => Status::Pass,
        (Level::Warn, _) | (Level::Fail, Severity::Advisory) => Status::Warn,
        (Level::Fail, Severity::Required) => Status::Fail,
    };
    CheckResult {
        id: check.id().to_owned(),
        title: check.title().to_owned(),
        status,
        observed: observation.observed,
        expected: observation.expected,
        hint: observation.hint.unwrap_or_else(|| check.hint().to_owned()),
        reason: None,
    }
}

fn skipped(check: &dyn Check, reason: String) -> CheckResult {
    CheckResult {
        id: check.id().to_owned(),
        title: check.title().to_owned(),
        status: Status::Skip,
        observed: String::new(),
        expected: String::new(),
        hint: check.hint().to_owned(),
        reason: Some(reason),
    }
}

fn errored(check: &dyn Check, reason: String) -> CheckResult {
    CheckResult {
        id: check.id().to_owned(),
        title: check.title().to_owned(),
        status: Status::Error,
        observed: String::new(),
        expected: String::new(),
        hint: check.hint().to_owned(),
        reason: Some(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Observation, Scope};
    use crate::host::HostError;
    use crate::testing::Tree;

    struct Probe(Result<Outcome, HostError>, Severity);

    impl Check for Probe {
        fn id(&self) -> &'static str {
            "test.probe"
        }
        fn title(&self) -> &'static str {
            "a probe"
        }
        fn hint(&self) -> &'static str {
            "do the thing"
        }
        fn scope(&self) -> Scope {
            Scope::EVERY_PROFILE
        }
        fn severity(&self) -> Severity {
            self.1
        }
        fn run(&self, _: &Host, _: &Context) -> Result<Outcome, HostError> {
            if let Ok(Outcome::Skip(reason)) = &self.0
                && reason == "panic"
            {
                panic!("boom");
            }
            self.0.clone()
        }
    }

    fn status(outcome: Result<Outcome, HostError>, severity: Severity) -> CheckResult {
        evaluate(
            &Probe(outcome, severity),
            &Tree::new().host(),
            &Context::default(),
        )
    }

    #[test]
    fn the_runner_derives_every_status() {
        let fail = Observation::new("seen", "wanted").fail_if(true);
        assert_eq!(
            status(Ok(fail.clone().into()), Severity::Required).status,
            Status::Fail
        );
        assert_eq!(
            status(Ok(fail.into()), Severity::Advisory).status,
            Status::Warn
        );
        let ok = Observation::new("seen", "wanted");
        let pass = status(Ok(ok.into()), Severity::Required);
        assert_eq!(
            (pass.status, pass.hint.as_str()),
            (Status::Pass, "do the thing")
        );
        let skip = status(Ok(Outcome::skip("not here")), Severity::Required);
        assert_eq!(
            (skip.status, skip.reason.as_deref()),
            (Status::Skip, Some("not here"))
        );
        let error = status(
            Err(HostError::new("/proc/x", "permission denied")),
            Severity::Required,
        );
        assert_eq!(
            (error.status, error.reason.as_deref()),
            (Status::Error, Some("/proc/x: permission denied"))
        );
    }

    #[test]
    fn a_panicking_check_becomes_an_error_for_that_check_only() {
        let result = status(Ok(Outcome::skip("panic")), Severity::Required);
        assert_eq!(result.status, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("internal error in the check: boom")
        );
    }

    #[test]
    fn a_specific_hint_replaces_the_general_one() {
        let observation = Observation::new("a", "b").fail_if(true).with_hint("rm /x");
        assert_eq!(
            status(Ok(observation.into()), Severity::Required).hint,
            "rm /x"
        );
    }

    #[test]
    fn selection_only_skip_and_with() {
        let selection = Selection {
            only: vec!["memory.swap".into(), "net.hostname".into()],
            skip: vec!["net.hostname".into()],
            with: vec![],
        };
        let host = Tree::new()
            .file("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n")
            .host();
        let results = run(&host, &Context::default(), &selection);
        let ids: Vec<(&str, Status)> = results.iter().map(|r| (r.id.as_str(), r.status)).collect();
        assert_eq!(
            ids,
            [
                ("memory.swap", Status::Pass),
                ("net.hostname", Status::Skip)
            ]
        );
        assert_eq!(results[1].reason.as_deref(), Some("skipped with --skip"));
        assert_eq!(
            unknown_ids(&["memory.swap".to_owned(), "nope".to_owned()]),
            ["nope"]
        );
    }
}
