//! Renders a large fleet report to HTML and says how long it took and how big the page is:
//! the measurement behind `scripts/bench-html.sh`. The fleet is made from one real host report
//! (`ironprep check --format json` of this machine) copied to N hosts, with every tenth host
//! failing a check the others pass and every hundredth unreachable, so the page has the shape
//! of a real fleet's.
//!
//! It then renders the same view with every other sink (the table as people see it and with
//! `-v`, JSON, JUnit, SARIF) and times each: the table's share of a fleet run is what the
//! output pipeline promises to keep under 5 %.
//!
//! `cargo run --release -p ironprep-report --features html,junit --example render-html -- \
//!     LOCAL.json HOSTS OUT.html`

use std::time::Instant;

use ironprep_report::sinks::{self, Context, Document, html};
use ironprep_report::{Format, RenderOptions, Verbosity, View};
use ironprep_schema::{FleetReport, HostOutcome, Status};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, local, hosts, out] = args.as_slice() else {
        return Err("usage: render-html LOCAL.json HOSTS OUT.html".into());
    };
    let local: FleetReport = serde_json::from_str(&std::fs::read_to_string(local)?)?;
    let template = local.hosts.first().ok_or("the report has no host")?;
    let count: usize = hosts.parse()?;
    let entries = (0..count)
        .map(|index| {
            let mut entry = template.clone();
            entry.host = format!("node-{index:04}");
            entry.address = format!("10.{}.{}.{}", index / 65536, index / 256 % 256, index % 256);
            if index % 100 == 99 {
                entry.outcome = HostOutcome::Unreachable;
                entry.error = Some("connect: no route to host".to_owned());
                entry.report = None;
            } else if let Some(report) = &mut entry.report {
                report.host.hostname = entry.host.clone();
                if index % 10 == 3
                    && let Some(check) = report
                        .checks
                        .iter_mut()
                        .find(|check| check.status == Status::Pass)
                {
                    check.status = Status::Fail;
                    check.observed = format!("{} (node {index})", check.observed);
                }
            }
            entry
        })
        .collect();
    let report = FleetReport::new(entries, Vec::new());
    let started = Instant::now();
    let view = View::of_fleet(&report);
    let page = html::render(&view);
    std::fs::write(out, &page)?;
    let elapsed = started.elapsed();
    let checks: usize = view
        .subjects
        .iter()
        .map(|subject| subject.items.len())
        .sum();
    println!(
        "hosts={count} results={checks} render_ms={:.1} bytes={} ({:.2} MB)",
        elapsed.as_secs_f64() * 1000.0,
        page.len(),
        page.len() as f64 / 1_000_000.0
    );
    let json = serde_json::to_string_pretty(&report)?;
    for (name, format, verbosity) in [
        ("table", Format::Table, Verbosity::Normal),
        ("table -v", Format::Table, Verbosity::Verbose),
        ("json", Format::Json, Verbosity::Normal),
        ("junit", Format::Junit, Verbosity::Normal),
        ("sarif", Format::Sarif, Verbosity::Normal),
    ] {
        let context = Context {
            options: RenderOptions {
                verbosity,
                ..RenderOptions::default()
            },
            working_directory: None,
        };
        let sink = sinks::for_format(format, context)?;
        let started = Instant::now();
        let view = View::of_fleet(&report);
        let mut bytes = Vec::new();
        sink.write(
            &Document {
                view: &view,
                json: &json,
            },
            &mut bytes,
        )?;
        println!(
            "format={name:<8} render_ms={:.1} bytes={}",
            started.elapsed().as_secs_f64() * 1000.0,
            bytes.len()
        );
    }
    Ok(())
}
