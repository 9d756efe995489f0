//! The output options every command shares, decided once: which format, whether to colour,
//! how wide to wrap, how much to show. The command line parses the words; this module owns what
//! they mean, so `NO_COLOR` and `COLUMNS` are honoured the same way by every command.

use std::fmt;
use std::str::FromStr;

/// The formats every command can write. Names are the same everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For people: failures first, fixes on their own lines, fitted to the terminal.
    #[default]
    Table,
    /// The versioned document of `ironprep-schema`.
    Json,
    /// JUnit XML for CI systems (Jenkins, GitLab): a suite per host or rule.
    Junit,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// One self-contained HTML page: the hosts × checks matrix with filters.
    Html,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Json,
        Format::Junit,
        Format::Sarif,
        Format::Html,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Html => "html",
        }
    }

    /// Formats that machines parse: nothing else may share their stream.
    pub fn is_machine_readable(self) -> bool {
        !matches!(self, Format::Table)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no format or colour choice; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}' (valid: {valid})")]
pub struct UnknownChoice {
    what: &'static str,
    given: String,
    valid: String,
}

impl UnknownChoice {
    fn new<'a>(what: &'static str, given: &str, valid: impl IntoIterator<Item = &'a str>) -> Self {
        UnknownChoice {
            what,
            given: given.to_owned(),
            valid: valid.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

impl FromStr for Format {
    type Err = UnknownChoice;

    fn from_str(text: &str) -> Result<Format, UnknownChoice> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str() == text)
            .ok_or_else(|| UnknownChoice::new("format", text, Format::ALL.map(Format::as_str)))
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub const ALL: [ColorChoice; 3] = [ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }

    /// Whether to colour: an explicit choice wins; `auto` colours a terminal unless `NO_COLOR`
    /// holds a non-empty value (<https://no-color.org>: "present and not an empty string").
    pub fn resolve(self, to_terminal: bool, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && no_color.is_none_or(str::is_empty),
        }
    }

    /// [`ColorChoice::resolve`] with this process's `NO_COLOR`.
    pub fn resolve_here(self, to_terminal: bool) -> bool {
        let no_color = std::env::var("NO_COLOR").ok();
        self.resolve(to_terminal, no_color.as_deref())
    }
}

impl FromStr for ColorChoice {
    type Err = UnknownChoice;

    fn from_str(text: &str) -> Result<ColorChoice, UnknownChoice> {
        ColorChoice::ALL
            .into_iter()
            .find(|choice| choice.as_str() == text)
            .ok_or_else(|| {
                UnknownChoice::new(
                    "colour choice",
                    text,
                    ColorChoice::ALL.map(ColorChoice::as_str),
                )
            })
    }
}

/// How much the terminal sink shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: failures and the summary line.
    Quiet,
    /// Failures, warnings and errors in full; passes and skips counted.
    #[default]
    Normal,
    /// `-v`: every result, passes and skips included.
    Verbose,
}

/// Piped output wraps here: wide enough for a fix on one line, narrow enough for a log viewer.
pub const PIPE_WIDTH: usize = 100;
/// Below this a terminal is treated as this wide: narrower would wrap every other word.
pub const MIN_WIDTH: usize = 40;

/// How wide to wrap: `COLUMNS` when set to a number (what shells export, and what people set
/// to force a width), else the terminal's width, else [`PIPE_WIDTH`].
pub fn width(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|value| *value > 0)
        .or(terminal)
        .unwrap_or(PIPE_WIDTH)
        .max(MIN_WIDTH)
}

/// [`width`] for this process's stdout.
pub fn width_here(to_terminal: bool) -> usize {
    let columns = std::env::var("COLUMNS").ok();
    let terminal = to_terminal
        .then(|| terminal_size::terminal_size_of(std::io::stdout()))
        .flatten()
        .map(|(terminal_size::Width(columns), _)| usize::from(columns));
    width(columns.as_deref(), terminal)
}

/// Everything a sink needs to know about where its text goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    pub color: bool,
    /// Columns to wrap prose at.
    pub width: usize,
    pub verbosity: Verbosity,
}

impl Default for RenderOptions {
    /// Plain, 100 columns, normal: what tests and files get.
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: PIPE_WIDTH,
            verbosity: Verbosity::Normal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_is_honoured_only_when_non_empty_and_only_for_auto() {
        assert!(ColorChoice::Auto.resolve(true, None));
        assert!(ColorChoice::Auto.resolve(true, Some("")));
        assert!(!ColorChoice::Auto.resolve(true, Some("1")));
        assert!(!ColorChoice::Auto.resolve(false, None));
        assert!(ColorChoice::Always.resolve(false, Some("1")));
        assert!(!ColorChoice::Never.resolve(true, None));
    }

    #[test]
    fn columns_wins_then_the_terminal_then_a_pipe_width() {
        assert_eq!(width(Some("132"), Some(80)), 132);
        assert_eq!(width(Some("junk"), Some(80)), 80);
        assert_eq!(width(None, None), PIPE_WIDTH);
        assert_eq!(width(Some("10"), None), MIN_WIDTH);
        assert_eq!(width(Some("0"), None), PIPE_WIDTH);
    }

    #[test]
    fn format_names_are_the_same_everywhere() {
        for format in Format::ALL {
            assert_eq!(format.as_str().parse::<Format>(), Ok(format));
        }
        assert!(
            "human"
                .parse::<Format>()
                .unwrap_err()
                .to_string()
                .contains("table, json")
        );
    }
}
