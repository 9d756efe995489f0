//! One sink per format. A sink turns a finished run — its [`View`] and its versioned JSON
//! document — into bytes; a new format is one new file here and one line in [`for_format`].

#[cfg(feature = "html")]
pub mod html;
pub mod json;
#[cfg(feature = "junit")]
pub mod junit;
pub mod sarif;
pub mod table;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::options::{Format, RenderOptions};
use crate::view::View;

/// A finished run, as every sink sees it.
pub struct Document<'a> {
    pub view: &'a View,
    /// The versioned document of `ironprep-schema`, serialised once (pretty, fields in the
    /// order the schema declares them).
    pub json: &'a str,
}

pub trait Sink {
    fn write(&self, document: &Document<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// Where the run happened, for sinks that name files relative to it.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub options: RenderOptions,
    /// Inputs under this directory are named relative to it (SARIF's `uriBaseId`).
    pub working_directory: Option<PathBuf>,
}

/// The sink of `format`, or why this build has none.
pub fn for_format(format: Format, context: Context) -> Result<Box<dyn Sink>, Unsupported> {
    match format {
        Format::Table => Ok(Box::new(table::Table::new(context.options))),
        Format::Json => Ok(Box::new(json::Json)),
        Format::Sarif => Ok(Box::new(sarif::Sarif::new(context.working_directory))),
        #[cfg(feature = "junit")]
        Format::Junit => Ok(Box::new(junit::Junit)),
        #[cfg(feature = "html")]
        Format::Html => Ok(Box::new(html::Html)),
        #[cfg(not(all(feature = "junit", feature = "html")))]
        _ => Err(Unsupported(format)),
    }
}

/// A format this binary was built without (the agent writes only table and JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported(pub Format);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "this program cannot write --format {}", self.0)
    }
}

impl std::error::Error for Unsupported {}
