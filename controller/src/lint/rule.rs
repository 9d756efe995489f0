//! What a lint rule is: a tiny type that looks at the manifest set and reports findings. The
//! same shape as the agent's checks — stable ID, what must hold, why (the seed's reason) and an
//! example fix — and one line in the ordered registry of `rules/mod.rs`.
//!
//! A rule never filters itself: the [`Sink`] drops findings on documents that ignore the rule,
//! and turns a missing input into one `info` finding per rule instead of a guess.

use super::context::Context;
use super::finding::{Finding, Severity};
use super::object::{self, Object};
use super::set::Manifests;
use super::tree::Pos;

pub trait Rule: Sync {
    /// Stable ID (`area.name`), part of the user contract: `--disable`, ignore comments, JSON.
    fn id(&self) -> &'static str;

    /// One line saying what must hold.
    fn title(&self) -> &'static str;

    /// Why it matters, with the documented consequence.
    fn why(&self) -> &'static str;

    /// A manifest fragment that satisfies the rule.
    fn example(&self) -> &'static str;

    /// The severity of its findings, unless a finding says otherwise.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink);

    /// Compares the two sides of a DR pair (`lint --primary DIR --standby DIR`), each linted
    /// on its own by [`Rule::check`] first. Only rules about what both sides must share have
    /// something to say here.
    fn check_pair(&self, _primary: Side<'_>, _standby: Side<'_>, _sink: &mut Sink) {}
}

/// One side of a DR pair: its own manifest set and the context inferred from it.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub set: &'a Manifests,
    pub context: &'a Context,
}

/// Collects one rule's findings.
pub struct Sink {
    rule: &'static str,
    severity: Severity,
    findings: Vec<Finding>,
    context_noted: bool,
}

impl Sink {
    pub fn new(rule: &dyn Rule) -> Sink {
        Sink {
            rule: rule.id(),
            severity: rule.severity(),
            findings: Vec::new(),
            context_noted: false,
        }
    }

    /// A finding with the rule's severity at `pos`.
    pub fn at(
        &mut self,
        object: &Object,
        pos: Pos,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.with(self.severity, object, pos, field, message, fix);
    }

    pub fn with(
        &mut self,
        severity: Severity,
        object: &Object,
        pos: Pos,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        if object
            .ignored
            .iter()
            .any(|id| id == self.rule || id == "all")
        {
            return;
        }
        self.findings.push(Finding {
            rule: self.rule.to_owned(),
            severity,
            file: object.source.name.clone(),
            line: pos.line,
            column: pos.column,
            object: object.label(),
            field: field.into(),
            message: message.into(),
            fix: fix.into(),
            // Decided over all findings at the end (`LintResult::waive`).
            waived: None,
        });
    }

    /// A finding about the field at `path`, or — when it is missing — at its nearest parent.
    pub fn field(
        &mut self,
        object: &Object,
        path: &[&str],
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let pos = object
            .field(path)
            .map_or_else(|| object.nearest(path), |field| field.pos);
        self.at(object, pos, object::path(path), message, fix);
    }

    /// Says once per rule, as `info`, that it could not check `object` without `what`.
    pub fn missing_context(&mut self, object: &Object, field: &str, what: &str) {
        if self.context_noted {
            return;
        }
        self.context_noted = true;
        let pos = object
            .field(&field.split('.').collect::<Vec<_>>())
            .map_or(object.pos, |f| f.pos);
        self.with(
            Severity::Info,
            object,
            pos,
            field,
            format!("not checked: {what} is not known"),
            "give it on the command line (see `ironprep lint --help`) or include the manifest \
             it is read from",
        );
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}
