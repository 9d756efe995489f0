//! `--format json`: the versioned document exactly as `ironprep-schema` serialises it.

use std::io::{self, Write};

use super::{Document, Sink};

pub struct Json;

impl Sink for Json {
    fn write(&self, document: &Document<'_>, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(document.json.as_bytes())?;
        out.write_all(b"\n")
    }
}
