//! The output options every `ironprep` command shares (`--format`, `--output`, `--color`,
//! `-v`, `-q`) and the one place that writes a finished run: the chosen sink renders the
//! document, and the bytes go to stdout or, atomically, to the `--output` file — a complete
//! file or none. The file's directory is proved writable before a command does any work, so a
//! typo costs a second, not a fleet run.

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use ironprep_report::event::Observer;
use ironprep_report::progress::Progress;
use ironprep_report::sinks::{self, Document};
use ironprep_report::{ColorChoice, Format, RenderOptions, Verbosity, View, options};
use serde::Serialize;

#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// table (for people), json (the versioned document of the output contract), junit (CI),
    /// sarif (code scanning), html (one self-contained page).
    #[arg(long, value_name = "FORMAT", default_value = "table",
          value_parser = PossibleValuesParser::new(["table", "json", "junit", "sarif", "html", "human"])
              .map(|text| parse_format(&text)),
          hide_possible_values = true)]
    pub format: Format,

    /// Write to FILE instead of stdout: the whole file appears at once, or nothing does.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Colour: auto (when writing to a terminal and NO_COLOR is unset or empty), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto",
          value_parser = PossibleValuesParser::new(["auto", "always", "never"])
              .map(|text| text.parse::<ColorChoice>().unwrap_or_default()))]
    pub color: ColorChoice,

    /// Show every result, passes and skips included.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,

    /// Show failures and the summary only (and no per-host progress lines).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl Default for OutputArgs {
    fn default() -> Self {
        OutputArgs {
            format: Format::Table,
            output: None,
            color: ColorChoice::Auto,
            verbose: false,
            quiet: false,
        }
    }
}

/// `human` is what `ironprep lint` called `table` before every command shared the names.
fn parse_format(text: &str) -> Format {
    match text {
        "human" => Format::Table,
        other => other.parse().unwrap_or_default(),
    }
}

/// The output of a command could not be set up or written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("--output {}: cannot write there: {source}", path.display())]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--output {}: is a directory", .0.display())]
    Directory(PathBuf),
    #[error(transparent)]
    Unsupported(#[from] sinks::Unsupported),
    #[error("cannot write the report: {0}")]
    Write(#[source] std::io::Error),
    #[error("cannot serialise the report: {0}")]
    Serialise(#[from] serde_json::Error),
}

impl OutputError {
    /// A closed stdout (`| head`) is not an error worth a word.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OutputError::Write(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Where a run's output goes, decided before the run.
pub struct Output {
    format: Format,
    options: RenderOptions,
    /// The `--output` file being prepared beside its final name; `None`: stdout.
    file: Option<(PathBuf, tempfile::NamedTempFile)>,
    progress: Progress,
}

impl Output {
    /// Checks the options and, with `--output`, that the file can be written.
    pub fn open(args: &OutputArgs) -> Result<Output, OutputError> {
        let file = match &args.output {
            Some(path) => Some((path.clone(), staging_file(path)?)),
            None => None,
        };
        let to_terminal = file.is_none() && std::io::stdout().is_terminal();
        let options = RenderOptions {
            color: args.color.resolve_here(to_terminal),
            width: if file.is_some() {
                options::width(std::env::var("COLUMNS").ok().as_deref(), None)
            } else {
                options::width_here(to_terminal)
            },
            verbosity: if args.verbose {
                Verbosity::Verbose
            } else if args.quiet {
                Verbosity::Quiet
            } else {
                Verbosity::Normal
            },
        };
        // Fail now, not after the run, when this build lacks the format.
        sinks::for_format(args.format, sinks::Context::default())?;
        Ok(Output {
            format: args.format,
            options,
            file,
            progress: Progress::new(true, !args.quiet),
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// What a running command reports its progress and notes to.
    pub fn observer(&self) -> &dyn Observer {
        &self.progress
    }

    /// Renders the finished run with the chosen sink and writes it out.
    pub fn finish<T: Serialize>(
        self,
        document: &T,
        view: &View,
        stdout: &mut dyn Write,
    ) -> Result<(), OutputError> {
        self.progress.done();
        let json = serde_json::to_string_pretty(document)?;
        let context = sinks::Context {
            options: self.options,
            working_directory: std::env::current_dir().ok(),
        };
        let sink = sinks::for_format(self.format, context)?;
        let document = Document { view, json: &json };
        match self.file {
            None => {
                sink.write(&document, stdout).map_err(OutputError::Write)?;
                stdout.flush().map_err(OutputError::Write)
            }
            Some((path, mut staging)) => {
                sink.write(&document, staging.as_file_mut())
                    .and_then(|()| staging.as_file_mut().sync_all())
                    .map_err(OutputError::Write)?;
                staging
                    .persist(&path)
                    .map_err(|error| OutputError::Unwritable {
                        path,
                        source: error.error,
                    })?;
                Ok(())
            }
        }
    }
}

/// A hidden file beside `path` that becomes `path` by a rename (atomic on one filesystem).
fn staging_file(path: &Path) -> Result<tempfile::NamedTempFile, OutputError> {
    if path.is_dir() {
        return Err(OutputError::Directory(path.to_owned()));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".ironprep-tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Reports hold no secrets: readable like any file the user writes (umask applies).
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
        .tempfile_in(directory)
        .map_err(|source| OutputError::Unwritable {
            path: path.to_owned(),
            source,
        })
}
