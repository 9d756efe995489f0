//! `--format junit`: a suite per host (or rule, or endpoint), a case per result, valid against
//! the JUnit XSD Jenkins validates with (jenkinsci/xunit-plugin `junit-10.xsd`): `tests`,
//! `failures` and `errors` on every suite, nothing on `<testsuites>` but name, time, tests,
//! failures and errors, no properties on cases. A failed check is a `<failure>`, one that could
//! not be evaluated an `<error>`, a skipped one `<skipped>`; a warning passes (it must not fail
//! a CI job) and says so in `<system-out>`. A host that was not reached is one `<error>` case.
//! Text is escaped for XML, and control characters (illegal in XML 1.0) shown as escapes.

use std::io::{self, Write};

use ironprep_schema::Status;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{Document, Sink};
use crate::text::escape;
use crate::view::{Counts, Item, Subject, View, ViewKind, outcome_word};

pub struct Junit;

impl Sink for Junit {
    fn write(&self, document: &Document<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut writer = Writer::new_with_indent(out, b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let view = document.view;
        let suites = suites(view);
        let total = suites.iter().fold(Counts::default(), |mut total, suite| {
            let counts = suite.counts();
            total.pass += counts.pass;
            total.warn += counts.warn;
            total.fail += counts.fail;
            total.skip += counts.skip;
            total.error += counts.error;
            total.waived += counts.waived;
            total
        });
        let mut root = BytesStart::new("testsuites");
        root.push_attribute(("name", name(view)));
        push_counts(&mut root, &total);
        writer.write_event(Event::Start(root))?;
        for suite in &suites {
            suite.write(&mut writer)?;
        }
        writer.write_event(Event::End(BytesEnd::new("testsuites")))?;
        writer.get_mut().write_all(b"\n")
    }
}

fn name(view: &View) -> &'static str {
    match view.kind {
        ViewKind::Lint => "ironprep lint",
        ViewKind::Bmc => "ironprep bmc",
        ViewKind::Probe => "ironprep probe",
        ViewKind::Certificates | ViewKind::Comparison | ViewKind::Files => "ironprep certs",
        _ => "ironprep",
    }
}

/// `tests`, `failures`, `errors` (required by the XSD on suites) and nothing else. A waived
/// check is a case (shown skipped, with its reason), so it counts among the tests.
fn push_counts(tag: &mut BytesStart<'_>, counts: &Counts) {
    let tests =
        counts.pass + counts.warn + counts.fail + counts.skip + counts.error + counts.waived;
    tag.push_attribute(("tests", tests.to_string().as_str()));
    tag.push_attribute(("failures", counts.fail.to_string().as_str()));
    tag.push_attribute(("errors", counts.error.to_string().as_str()));
}

struct Suite<'a> {
    name: String,
    subject: Option<&'a Subject>,
    items: Vec<&'a Item>,
}

impl Suite<'_> {
    fn counts(&self) -> Counts {
        let mut counts = Counts::of(self.items.iter().copied());
        if self.subject.is_some_and(|subject| !subject.reached()) {
            counts.error += 1;
        }
        counts
    }

    fn write<W: Write>(&self, writer: &mut Writer<W>) -> io::Result<()> {
        let mut tag = BytesStart::new("testsuite");
        tag.push_attribute(("name", escape(&self.name).as_ref()));
        let counts = self.counts();
        push_counts(&mut tag, &counts);
        let skipped = counts.skip + counts.waived;
        tag.push_attribute(("skipped", skipped.to_string().as_str()));
        if let Some(address) = self.subject.and_then(|subject| subject.address.as_deref()) {
            tag.push_attribute(("hostname", escape(address).as_ref()));
        }
        writer.write_event(Event::Start(tag))?;
        if let Some(subject) = self.subject
            && !subject.reached()
        {
            let outcome = subject.outcome.map(outcome_word).unwrap_or("error");
            let message = subject.error.as_deref().unwrap_or("no report");
            case(
                writer,
                &format!("{} {outcome}", subject.name),
                "reach",
                Some(("error", outcome, message)),
                None,
                None,
            )?;
        }
        for item in &self.items {
            write_item(writer, &self.name, item)?;
        }
        writer.write_event(Event::End(BytesEnd::new("testsuite")))
    }
}

fn suites(view: &View) -> Vec<Suite<'_>> {
    let mut suites: Vec<Suite<'_>> = view
        .subjects
        .iter()
        .map(|subject| Suite {
            name: subject.name.clone(),
            subject: Some(subject),
            items: subject.items.iter().collect(),
        })
        .collect();
    if !view.across.is_empty() {
        suites.push(Suite {
            name: "fleet".to_owned(),
            subject: None,
            items: view.across.iter().collect(),
        });
    }
    suites
}

fn write_item<W: Write>(writer: &mut Writer<W>, suite: &str, item: &Item) -> io::Result<()> {
    let name = match &item.location {
        Some(location) if location.line == 0 => format!("{} {}", item.id, location.file),
        Some(location) => format!(
            "{} {}:{} {} {}",
            item.id, location.file, location.line, location.object, location.field
        ),
        // The ID alone: CI systems track a test's history by its name.
        None => item.id.clone(),
    };
    let description = || {
        let mut text = format!("observed: {}", item.seen());
        if !item.expected.is_empty() {
            text.push_str(&format!("\nexpected: {}", item.expected));
        }
        if !item.fix.is_empty() {
            text.push_str(&format!("\nfix: {}", item.fix));
        }
        if let Some(location) = &item.location {
            text.push_str(&format!("\nat: {}", location.position()));
        }
        text
    };
    match item.status {
        Status::Pass => case(writer, &name, suite, None, None, None),
        Status::Warn => {
            let out = format!("warning: {}", description());
            case(writer, &name, suite, None, None, Some(&out))
        }
        Status::Skip => case(writer, &name, suite, None, Some(item.seen()), None),
        // Ran and failed, but accepted: CI shows it as skipped with the waiver's reason.
        Status::Waived => case(writer, &name, suite, None, Some(item.seen()), None),
        Status::Fail => case(
            writer,
            &name,
            suite,
            Some(("failure", "fail", &description())),
            None,
            None,
        ),
        Status::Error => case(
            writer,
            &name,
            suite,
            Some(("error", "error", &description())),
            None,
            None,
        ),
    }
}

/// One `<testcase>`; `problem` is (element, type, text), `skipped` the skip message.
fn case<W: Write>(
    writer: &mut Writer<W>,
    name: &str,
    classname: &str,
    problem: Option<(&str, &str, &str)>,
    skipped: Option<&str>,
    system_out: Option<&str>,
) -> io::Result<()> {
    let mut tag = BytesStart::new("testcase");
    tag.push_attribute(("name", escape(name).as_ref()));
    tag.push_attribute(("classname", escape(classname).as_ref()));
    if problem.is_none() && skipped.is_none() && system_out.is_none() {
        return writer.write_event(Event::Empty(tag));
    }
    writer.write_event(Event::Start(tag))?;
    if let Some(message) = skipped {
        let mut skip = BytesStart::new("skipped");
        skip.push_attribute(("message", escape(message).as_ref()));
        writer.write_event(Event::Empty(skip))?;
    }
    if let Some((element, kind, text)) = problem {
        let first = text.lines().next().unwrap_or_default();
        let mut tag = BytesStart::new(element);
        tag.push_attribute(("type", kind));
        tag.push_attribute(("message", escape(first).as_ref()));
        writer.write_event(Event::Start(tag))?;
        writer.write_event(Event::Text(BytesText::new(&escape_lines(text))))?;
        writer.write_event(Event::End(BytesEnd::new(element)))?;
    }
    if let Some(text) = system_out {
        writer.write_event(Event::Start(BytesStart::new("system-out")))?;
        writer.write_event(Event::Text(BytesText::new(&escape_lines(text))))?;
        writer.write_event(Event::End(BytesEnd::new("system-out")))?;
    }
    writer.write_event(Event::End(BytesEnd::new("testcase")))
}

/// Every line escaped, the line breaks kept.
fn escape_lines(text: &str) -> String {
    text.lines()
        .map(|line| escape(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}
