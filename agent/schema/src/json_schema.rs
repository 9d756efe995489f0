//! The JSON Schema (draft 2020-12) of every document ironprep prints, generated from the very
//! types that serialise them, so the published schemas cannot drift from the output. The files
//! under `agent/schema/json/` are these, written by `ironprep schema --write DIR` and kept
//! current by a test.

use schemars::{JsonSchema, Schema, generate::SchemaSettings};

use crate::{AgentReport, FleetReport, ProbeReport, bmc, certs, iso, lint, listing, registration};

/// One published document: the command that prints it and its schema.
pub struct Published {
    /// The file stem under `agent/schema/json/` (`fleet-report` → `fleet-report.schema.json`).
    pub name: &'static str,
    /// Which commands print it with `--format json`.
    pub printed_by: &'static str,
    pub schema: Schema,
}

fn schema_of<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Every document, in a stable order.
pub fn documents() -> Vec<Published> {
    vec![
        Published {
            name: "agent-report",
            printed_by: "ironprep-agent --format json",
            schema: schema_of::<AgentReport>(),
        },
        Published {
            name: "fleet-report",
            printed_by: "ironprep check, ironprep bmc check, ironprep merge",
            schema: schema_of::<FleetReport>(),
        },
        Published {
            name: "bmc-boot-report",
            printed_by: "ironprep bmc boot",
            schema: schema_of::<bmc::BmcBootReport>(),
        },
        Published {
            name: "probe-report",
            printed_by: "ironprep probe",
            schema: schema_of::<ProbeReport>(),
        },
        Published {
            name: "lint-report",
            printed_by: "ironprep lint",
            schema: schema_of::<lint::LintReport>(),
        },
        Published {
            name: "rule-list",
            printed_by: "ironprep lint --list-rules",
            schema: schema_of::<lint::RuleList>(),
        },
        Published {
            name: "check-list",
            printed_by: "ironprep-agent --list, ironprep check --list",
            schema: schema_of::<listing::CheckList>(),
        },
        Published {
            name: "host-list",
            printed_by: "ironprep check --list-hosts",
            schema: schema_of::<listing::HostList>(),
        },
        Published {
            name: "certificate-report",
            printed_by: "ironprep certs verify|probe|dr-check",
            schema: schema_of::<certs::CertificateReport>(),
        },
        Published {
            name: "written-files",
            printed_by: "ironprep certs dex-tls|sa-key|encryption-config",
            schema: schema_of::<certs::WrittenFiles>(),
        },
        Published {
            name: "comparison-report",
            printed_by: "ironprep certs compare",
            schema: schema_of::<certs::ComparisonReport>(),
        },
        Published {
            name: "iso-report",
            printed_by: "ironprep iso check",
            schema: schema_of::<iso::IsoReport>(),
        },
        Published {
            name: "names-report",
            printed_by: "ironprep registration names",
            schema: schema_of::<registration::NamesReport>(),
        },
        Published {
            name: "pools-report",
            printed_by: "ironprep registration pools",
            schema: schema_of::<registration::PoolsReport>(),
        },
    ]
}
