//! `ironprep schema`: the JSON Schema of every document ironprep prints with `--format json`,
//! generated from the types that print them (so a schema can never lag behind its output).
//! The same files are published under `agent/schema/json/`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use ironprep_schema::ExitCode;
use ironprep_schema::json_schema::{Published, documents};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ironprep schema                      list the documents and the commands that print them
  ironprep schema fleet-report         the JSON Schema (draft 2020-12) of ironprep check --format json
  ironprep schema --write schemas/     every schema as NAME.schema.json")]
pub struct SchemaArgs {
    /// The document (see the list without it).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Write every schema into DIR as NAME.schema.json.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub write: Option<PathBuf>,
}

pub fn run(args: &SchemaArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let published = documents();
    if let Some(directory) = &args.write {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("cannot create {}", directory.display()))?;
        for document in &published {
            let path = directory.join(format!("{}.schema.json", document.name));
            std::fs::write(&path, text(document)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        writeln!(
            out,
            "wrote {} schemas to {}",
            published.len(),
            directory.display()
        )?;
        return Ok(ExitCode::Success);
    }
    match &args.name {
        None => {
            let width = published.iter().map(|d| d.name.len()).max().unwrap_or(0);
            for document in &published {
                writeln!(out, "{:<width$}  {}", document.name, document.printed_by)?;
            }
        }
        Some(name) => {
            let Some(document) = published.iter().find(|document| document.name == name) else {
                let names: Vec<&str> = published.iter().map(|document| document.name).collect();
                bail!("unknown document '{name}' (valid: {})", names.join(", "));
            };
            out.write_all(text(document)?.as_bytes())?;
        }
    }
    Ok(ExitCode::Success)
}

/// The schema as published: pretty JSON and a final newline.
pub fn text(document: &Published) -> anyhow::Result<String> {
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&document.schema)?
    ))
}
