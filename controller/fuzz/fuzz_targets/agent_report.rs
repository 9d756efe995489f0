//! A compromised host controls the agent report the controller reads (its stdout): the bytes
//! go where the fleet runner sends them — classified, timed against our clock, compared across
//! hosts, rendered in every format — and must never panic or blow up on the way.
#![no_main]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use ironprep::fleet::cross_host::{self, Measured};
use ironprep::fleet::remote;
use ironprep::fleet::ssh::{CommandOutput, Exit};
use ironprep_report::sinks::{self, Context, Document};
use ironprep_report::{Format, View};
use ironprep_schema::{FleetReport, HostEntry, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let output = CommandOutput {
        stdout: data.to_vec(),
        stderr: Vec::new(),
        exit: Exit::Status(0),
        stdin_done: None,
    };
    let classified = remote::classify(&output, "root");
    let Some(report) = classified.report else {
        return;
    };
    let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let offset = remote::clock_offset(&report, sent, sent + Duration::from_millis(40));
    // Two hosts sending the same report: every cross-host check has a pair to compare.
    let entries: Vec<HostEntry> = ["node-1", "node-2"]
        .into_iter()
        .map(|host| HostEntry {
            host: host.to_owned(),
            address: format!("{host}:22"),
            outcome: classified.outcome,
            error: None,
            report: Some(report.clone()),
        })
        .collect();
    let measured: BTreeMap<String, Measured> = entries
        .iter()
        .map(|entry| {
            let measured = Measured {
                roles: vec![Role::ControlPlane],
                clock_offset_ms: offset,
            };
            (entry.host.clone(), measured)
        })
        .collect();
    let fleet = cross_host::run(&entries, &measured);
    let report = FleetReport::new(entries, fleet);
    let view = View::of_fleet(&report);
    let Ok(json) = serde_json::to_string_pretty(&report) else {
        return;
    };
    let document = Document {
        view: &view,
        json: &json,
    };
    for format in Format::ALL {
        if let Ok(sink) = sinks::for_format(format, Context::default()) {
            let _ = sink.write(&document, &mut std::io::sink());
        }
    }
});
