//! Renders a large fleet report to HTML and says how long it took and how big the page is:
//! the measurement behind `scripts/bench-html.sh`. The fleet is made from one real host report
//! (`ironprep check --format json` of this machine) copied to N hosts, with every tenth host
//! failing a check the others pass and every hundredth unreachable, so the page has the shape
//! of a real fleet's.
//!
//! `cargo run --release -p ironprep-report --features html --example render-html -- \
//!     LOCAL.json HOSTS OUT.html`

use std::time::Instant;

use ironprep_report::View;
use ironprep_report::sinks::html;
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
    Ok(())
}
