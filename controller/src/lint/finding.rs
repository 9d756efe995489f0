//! What lint reports: findings in the shape of the output contract. The types live in the
//! schema crate with every other document; lint uses them under their old names.

pub use ironprep_schema::lint::{Finding, InputError, LintReport, Severity, Waiver};

/// Bumped on incompatible changes of [`LintReport`]; additive fields do not bump it.
pub const SCHEMA_VERSION: u32 = ironprep_schema::SCHEMA_VERSION;
